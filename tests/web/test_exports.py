"""The chair's exports as CSV and XLSX: the published figures exactly,
Vietnamese intact, formulas neutralised, who may download them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from voting.models import Role
from voting.services import rounds
from voting.services.exports import Table
from voting.services.results import percent_value
from voting.services.results import round_result
from voting.web import exports as writers
from voting.web import vocabulary
from voting.web.chair_forms import BASE_LABELS
from voting.web.chair_forms import KIND_LABELS
from voting.web.chair_forms import STATE_LABELS

from ..factories import make_conference
from ..services.test_exports import ATTENDANCE_ROWS
from ..services.test_exports import build
from ..services.test_exports import INJECTIONS
from ..services.test_exports import RESULT_ROWS
from ..services.test_exports import TURNOUT_ROWS
from .test_chair import chair  # noqa: F401 - fixture
from .test_chair import text

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def built(app, session):
    return build(session, app.config["VOTING_KEYS_DIR"])


@pytest.fixture
def words(app) -> dict[str, str]:
    """The English words of the codes in the tables."""
    with app.test_request_context("/?lang=en"):
        return {code: str(labels[code]) for labels, codes in [
            (BASE_LABELS, ["present", "cast"]), (KIND_LABELS, ["per_unit", "choose"]),
            (STATE_LABELS, ["published", "open"]), (writers.YES_NO, ["yes", "no"])]
            for code in codes} | {
            f"{kind}:{status}": vocabulary.status_label(status, kind)
            for kind in ("per_unit", "choose") for status in ("elected", "not_elected")}


def url(conference_id: int, what: str, fmt: str) -> str:
    return f"/chair/conferences/{conference_id}/export/{what}.{fmt}"


def csv_rows(response) -> list[list[str]]:
    body = response.data
    assert body.startswith(BOM) and not body[3:].startswith(BOM)
    assert body.count(b"\r\n") == body.count(b"\n")  # CRLF line ends only
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def xlsx_sheet(response):
    return load_workbook(io.BytesIO(response.data)).active


def as_csv(cell, words) -> str:
    """What the CSV holds for a table cell, codes in English words."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return writers.neutralised(words.get(cell, cell))
    return str(cell)


def as_xlsx(cell, words):
    """What openpyxl reads back: empty text is an empty cell, 66.67 a float."""
    if isinstance(cell, str):
        return writers.neutralised(words.get(cell, cell)) or None
    return float(cell) if isinstance(cell, Decimal) else cell


def expected(rows, convert, words) -> list[list]:
    """The rows as written, an outcome (column 7) in its ballot shape's words."""
    def outcome_coded(row):
        return [*row[:7], f"{row[-1]}:{row[7]}", *row[8:]] if len(row) == 12 else row
    return [[convert(cell, words) for cell in outcome_coded(row)] for row in rows]


def test_results_csv_and_xlsx_hold_the_published_figures(chair, built, session, words):  # noqa: F811
    response = chair.get(url(built.conference.id, "results", "csv"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="conference-{built.conference.id}-results.csv"'
    header, *rows = csv_rows(response)
    assert header[:3] == ["No.", "Round", "Unit"] and header[6] == "Share of the base (%)"
    assert rows == expected(RESULT_ROWS, as_csv, words)
    assert rows[3][3:8] == ["2", words["cast"], "3", "66.67", "Elected"]
    assert rows[0][7] == "Passed"  # a per-unit round passes a unit, as on the pages
    # every count, base and percentage is the board's published result
    published = [o for rnd in (built.per_unit, built.choose)
                 for o in round_result(session, rnd).all_outcomes]
    assert [(int(r[3]), int(r[5]), Decimal(r[6])) for r in rows] == \
        [(o.count, o.base, percent_value(o.count, o.base)) for o in published]

    response = chair.get(url(built.conference.id, "results", "xlsx"))
    assert response.headers["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="conference-{built.conference.id}-results.xlsx"'
    sheet = xlsx_sheet(response)
    values = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == expected(RESULT_ROWS, as_xlsx, words)
    assert [(r[3], r[5], Decimal(str(r[6]))) for r in values] == \
        [(o.count, o.base, percent_value(o.count, o.base)) for o in published]
    assert all(cell.font.bold for cell in sheet[1])
    percentages = [sheet.cell(row, 7) for row in range(2, sheet.max_row + 1)]
    assert {(c.data_type, c.number_format) for c in percentages} == {("n", "0.00")}
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["A"].width


def test_turnout_exports_equal_rounds_turnout(chair, built, session, words):  # noqa: F811
    header, *rows = csv_rows(chair.get(url(built.conference.id, "turnout", "csv")))
    assert header == ["No.", "Round", "State", "Delegates entitled to vote (members)",
                      "Delegates present", "Ballot cards handed out (issued)", "Ballots cast",
                      "Ballots cast as a share of cards issued (%)"]
    assert rows == expected(TURNOUT_ROWS, as_csv, words)
    sheet = xlsx_sheet(chair.get(url(built.conference.id, "turnout", "xlsx")))
    values = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == expected(TURNOUT_ROWS, as_xlsx, words)
    for row, rnd in zip(values, (built.per_unit, built.choose, built.open), strict=True):
        t = rounds.turnout(session, rnd)
        assert row[3:7] == [t.members, t.present, t.issued, t.cast]


def test_draft_and_reserve_rounds_are_absent(chair, built):  # noqa: F811
    for what in ("results", "turnout"):
        csv_text = chair.get(url(built.conference.id, what, "csv")).data.decode("utf-8")
        sheet = xlsx_sheet(chair.get(url(built.conference.id, what, "xlsx")))
        titles = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
        for hidden in (built.reserve.title, built.draft.title):
            assert hidden not in csv_text and hidden not in titles


def test_attendance_flags_and_vietnamese_names_round_trip(chair, built, words):  # noqa: F811
    header, *rows = csv_rows(chair.get(url(built.conference.id, "attendance", "csv")))
    assert header == ["No.", "Name", "Organisation", "Present", "Card handed out"]
    assert rows == expected(ATTENDANCE_ROWS, as_csv, words)
    assert rows[0] == ["1", "Nguyễn Thị Ánh Tuyết", "Công an tỉnh Vĩnh Phúc", "Yes", "Yes"]
    assert rows[4][3:] == ["Yes", "No"] and rows[5][3:] == ["No", "No"]
    sheet = xlsx_sheet(chair.get(url(built.conference.id, "attendance", "xlsx")))
    values = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == expected(ATTENDANCE_ROWS, as_xlsx, words)
    assert values[0][1:3] == ["Nguyễn Thị Ánh Tuyết", "Công an tỉnh Vĩnh Phúc"]


def test_formulas_are_neutralised_in_both_formats(chair, built):  # noqa: F811
    neutral = {"'" + name for name in INJECTIONS} | {"'\t=1+2"}
    csv_cells = {c for row in csv_rows(chair.get(url(built.conference.id, "attendance", "csv")))
                 for c in row}
    assert neutral <= csv_cells
    assert not {c for c in csv_cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")}
    results = csv_rows(chair.get(url(built.conference.id, "results", "csv")))
    assert {row[2] for row in results[1:]} >= {"'" + INJECTIONS[0]}

    for what in ("attendance", "results"):
        sheet = xlsx_sheet(chair.get(url(built.conference.id, what, "xlsx")))
        cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert {c.data_type for c in cells} == {"s"}
        assert not [c for c in cells if c.value[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert "'" + INJECTIONS[0] in {c.value for c in cells}
    sheet = xlsx_sheet(chair.get(url(built.conference.id, "attendance", "xlsx")))
    assert [sheet.cell(row, 2).value for row in range(3, 6)] == ["'" + t for t in
                                                                  (INJECTIONS[0], INJECTIONS[2],
                                                                   INJECTIONS[3])]


def test_numbers_are_never_touched_and_formula_like_text_stays_text(app):
    table = Table(["No.", "Name"], [[-2, "-2"], [Decimal("-1.50"), "=1+1"], [3, "#N/A"]])
    with app.test_request_context("/?lang=en"):
        rows = list(csv.reader(io.StringIO(writers.write_csv(table)[3:].decode(), newline="")))
        sheet = load_workbook(io.BytesIO(writers.write_xlsx(table, "results"))).active
    assert rows[1:] == [["-2", "'-2"], ["-1.50", "'=1+1"], ["3", "#N/A"]]
    assert [(c.value, c.data_type) for row in sheet.iter_rows(min_row=2) for c in row] == [
        (-2, "n"), ("'-2", "s"), (-1.5, "n"), ("'=1+1", "s"), (3, "n"), ("#N/A", "s")]


def test_the_conference_page_links_the_six_exports(chair, session):  # noqa: F811
    conference = make_conference(session, units=1, delegates=1)
    page = text(chair.get(f"/chair/conferences/{conference.id}"))
    for what in ("results", "turnout", "attendance"):
        for fmt in ("csv", "xlsx"):
            assert f'href="{url(conference.id, what, fmt)}"' in page
            assert chair.get(url(conference.id, what, fmt)).status_code == 200


def test_anonymous_is_refused_and_an_auditor_may_export(app, auth, client, session):
    conference = make_conference(session, units=1, delegates=2)
    response = client.get(url(conference.id, "attendance", "csv"))
    assert response.status_code == 302 and "/auth/login" in response.location
    auth.login("auditor", Role.AUDITOR)
    response = client.get(url(conference.id, "attendance", "xlsx"))
    assert response.status_code == 200
    assert [row[1] for row in xlsx_sheet(response).iter_rows(min_row=2, values_only=True)] == \
        ["Đại biểu 1", "Đại biểu 2"]


def test_unknown_conference_or_export_is_not_found(chair, session):  # noqa: F811
    conference = make_conference(session, units=1, delegates=1)
    assert chair.get(url(conference.id + 1, "results", "csv")).status_code == 404
    assert chair.get(url(conference.id, "ballots", "csv")).status_code == 404
    assert chair.get(url(conference.id, "results", "pdf")).status_code == 404
