"""Conferences: creation, all-or-nothing CSV import with per-row errors,
the sample conference."""

from __future__ import annotations

import unicodedata

import pytest

from voting.crypto.manifest import parse_manifest
from voting.models import RoundKind
from voting.models import RoundState
from voting.services import conferences
from voting.services import rounds
from voting.services import sample
from voting.services.conferences import ImportFailed
from voting.services.errors import Invalid

from ..factories import make_conference


def codes(exc_info) -> list[tuple[int | None, str]]:
    return [(e.row, e.code) for e in exc_info.value.errors]


def test_create_and_list_conferences(session):
    first = conferences.create_conference(session, "  Hội nghị   Cụm thi đua  ")
    conferences.create_conference(session, "Đại hội Hội Luật gia")
    rows = conferences.list_conferences(session)
    assert [r.conference.name for r in rows] == ["Đại hội Hội Luật gia", "Hội nghị Cụm thi đua"]
    assert (rows[1].conference.id, rows[1].units, rows[1].delegates, rows[1].rounds) == (
        first.id, 0, 0, 0)


@pytest.mark.parametrize("name", ["", "   ", "x" * 301])
def test_a_conference_needs_a_sensible_name(session, name):
    with pytest.raises(Invalid):
        conferences.create_conference(session, name)
    assert conferences.list_conferences(session) == []


def test_units_import_accepts_bom_vietnamese_and_decomposed_text(session):
    conference = conferences.create_conference(session, "Hội nghị")
    decomposed = unicodedata.normalize("NFD", "Phòng Cảnh sát kinh tế")
    data = ("name,note\r\nPhòng Cảnh sát hình sự,Cụm trưởng\r\n"
            f"{decomposed},\r\n\r\n\"Phòng Cảnh sát phòng cháy, chữa cháy\",\r\n")
    assert conferences.import_units(session, conference, b"\xef\xbb\xbf" + data.encode()) == 3
    session.expire_all()
    units = conference.units
    assert [(u.position, u.name, u.note) for u in units] == [
        (1, "Phòng Cảnh sát hình sự", "Cụm trưởng"),
        (2, unicodedata.normalize("NFC", "Phòng Cảnh sát kinh tế"), ""),
        (3, "Phòng Cảnh sát phòng cháy, chữa cháy", ""),
    ]


def test_control_characters_are_dropped(session):
    conference = conferences.create_conference(session, "Hội\x00 nghị\x07")
    conferences.import_units(session, conference, "name\nPhòng\x00Cảnh sát\u200b\x1f\n")
    assert conference.name == "Hội nghị"
    assert conference.units[0].name == "Phòng Cảnh sát"


def test_a_second_import_appends_after_the_existing_rows(session):
    conference = make_conference(session, units=2, delegates=0)
    conferences.import_units(session, conference, "tên đơn vị\nPhòng Cảnh sát giao thông\n")
    assert [u.position for u in conference.units] == [1, 2, 3]


def test_one_bad_row_refuses_the_whole_file_with_every_row_error(session):
    conference = conferences.create_conference(session, "Hội nghị")
    data = "\n".join([
        "name,note",                         # row 1
        "Phòng Cảnh sát hình sự,",           # row 2: fine
        " ,ghi chú",                         # row 3: empty name
        "phòng cảnh sát  HÌNH SỰ,",          # row 4: duplicate of row 2
        "x" * 301 + ",",                     # row 5: too long
        "Phòng Cảnh sát kinh tế",            # row 6: one column, header has two
        "Phòng Cảnh sát cơ động,a,b",        # row 7: three columns
        "Phòng Cảnh sát giao thông,",        # row 8: fine
    ])
    with pytest.raises(ImportFailed) as exc_info:
        conferences.import_units(session, conference, data.encode())
    assert codes(exc_info) == [(3, "empty_name"), (4, "duplicate"), (5, "too_long"),
                               (6, "columns"), (7, "columns")]
    errors = exc_info.value.errors
    assert errors[1].params == {"other": 2}
    assert errors[2].params == {"field": "name", "limit": 300}
    assert errors[3].params == {"expected": 2, "found": 1}
    session.expire_all()
    assert conference.units == []


def test_a_unit_already_in_the_conference_is_refused(session):
    conference = make_conference(session, units=1, delegates=0)
    existing = conference.units[0].name
    with pytest.raises(ImportFailed) as exc_info:
        conferences.import_units(session, conference, f"name\nMới\n{existing}\n")
    assert codes(exc_info) == [(3, "exists")]
    session.expire_all()
    assert len(conference.units) == 1


@pytest.mark.parametrize(("data", "expected"), [
    (b"name\n\xff\xfe\n", [(None, "not_utf8")]),
    (b"", [(None, "empty_file")]),
    (b"\n  \n", [(None, "empty_file")]),
    (b",,\n,\n", [(None, "empty_file")]),
    (b"name,note\n", [(None, "empty_file")]),
    (b"unit,leader\nA,B\n", [(1, "bad_header")]),
    (b"name,note,extra\nA,B,C\n", [(1, "bad_header")]),
])
def test_file_level_errors(session, data, expected):
    conference = conferences.create_conference(session, "Hội nghị")
    with pytest.raises(ImportFailed) as exc_info:
        conferences.import_units(session, conference, data)
    assert codes(exc_info) == expected


@pytest.mark.parametrize(("data", "expected"), [
    # An unbalanced quote would swallow the rows below into one name.
    ('name,note\nĐội 1,a\n"Đội 2,b\nĐội 3,c\nĐội 4,d\n'.encode(), [(3, "unbalanced_quote")]),
    ('name,note\nĐội 1,"a\nĐội 2,b\n'.encode(), [(2, "unbalanced_quote")]),
    # Closed, but with a line break inside: no name holds one.
    ('name,note\nĐội 1,a\nĐội 2,"b\nc"\n'.encode(), [(3, "unbalanced_quote")]),
    # Text after a closing quote.
    ('name,note\nĐội 1,a\n"Đội 2"x,b\n'.encode(), [(3, "bad_csv")]),
    # A row with too many fields is its own error, with its line.
    ("name,note\nĐội 1,a\nĐội 2,b,c\n".encode(), [(3, "columns")]),
])
def test_malformed_csv_is_refused_with_its_line_and_imports_nothing(session, data, expected):
    conference = conferences.create_conference(session, "Hội nghị")
    with pytest.raises(ImportFailed) as exc_info:
        conferences.import_units(session, conference, data)
    assert codes(exc_info) == expected
    session.rollback()
    assert conference.units == []


def test_more_units_than_a_round_can_hold_are_refused(session):
    conference = conferences.create_conference(session, "Hội nghị")
    rows = "\n".join(f"Đơn vị {i}" for i in range(conferences.MAX_UNITS + 1))
    with pytest.raises(ImportFailed) as exc_info:
        conferences.import_units(session, conference, f"name\n{rows}\n")
    assert codes(exc_info) == [(None, "too_many")]
    session.expire_all()
    assert conference.units == []


def test_delegates_pasted_from_a_spreadsheet(session):
    conference = conferences.create_conference(session, "Hội nghị")
    pasted = ("Họ và tên\tĐơn vị\n"
              "Nguyễn Văn Hùng\tPhòng Cảnh sát hình sự\n"
              "Nguyễn Văn Hùng\tPhòng Cảnh sát giao thông\n"   # a namesake: fine
              "Đỗ Thị Thu Hà\tPhòng Cảnh sát kinh tế\n")
    assert conferences.import_delegates(session, conference, pasted) == 3
    assert [(d.name, d.organisation) for d in conference.delegates][1] == (
        "Nguyễn Văn Hùng", "Phòng Cảnh sát giao thông")
    assert not any(d.is_present or d.has_card for d in conference.delegates)


def test_delegates_semicolon_file_with_a_duplicate_is_refused(session):
    conference = conferences.create_conference(session, "Hội nghị")
    data = "name;organisation\nLê Văn Dũng;PC06\nLê Văn Dũng;PC06\n".encode()
    with pytest.raises(ImportFailed) as exc_info:
        conferences.import_delegates(session, conference, data)
    assert codes(exc_info) == [(3, "duplicate")]
    session.expire_all()
    assert conference.delegates == []


def test_the_sample_conference(session):
    conference = sample.create_sample_conference(session)
    assert conference.name == "Hội nghị tổng kết Cụm thi đua khối Cảnh sát năm 2018"
    assert 6 <= len(conference.units) <= 10
    assert "Phòng Cảnh sát phòng chống tội phạm về môi trường" in [u.name for u in
                                                                     conference.units]
    assert len(conference.delegates) == 25
    assert all(d.organisation for d in conference.delegates)
    advanced, determined, flag = conferences.conference_rounds(session, conference)
    assert all(r.state == RoundState.DRAFT for r in (advanced, determined, flag))
    assert (advanced.template, advanced.kind) == ("advanced", RoundKind.PER_UNIT)
    assert len(advanced.candidates) == len(conference.units)
    assert determined.template == "determined"
    assert 0 < len(determined.candidates) < len(conference.units)
    assert (flag.kind, flag.max_choices, flag.rule_quota) == (RoundKind.CHOOSE, 1, 1)
    for rnd in (advanced, determined, flag):
        parse_manifest(rounds.manifest_of(rnd))


def test_every_unit_is_preselected_without_an_earlier_round(session):
    conference = make_conference(session, units=3, delegates=0)
    other = make_conference(session, units=1, delegates=0)
    foreign = rounds.create_round(session, other, "advanced", "Vòng 1")
    everyone = [u.id for u in conference.units]
    assert conferences.preselected_units(session, conference, None) == everyone
    assert conferences.preselected_units(session, conference, foreign.id) == everyone
