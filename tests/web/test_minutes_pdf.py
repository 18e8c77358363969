"""The vote-counting minutes as a PDF (GET /chair/rounds/<id>/minutes.pdf) and
the details the chair enters for them (organiser, place, counting committee):
a real round is voted, closed, decrypted and published, and the PDF's text
is read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from pypdf import PdfReader

from voting.models import Conference
from voting.models import Role
from voting.models import Round
from voting.models import RoundKind
from voting.services import ceremony
from voting.services import minutes_header
from voting.services import rounds
from voting.services import runoffs
from voting.services.server_key import round_server_key
from voting.web import vocabulary
from voting.web.figures import percent
from voting.web.minutes_layout import MinutesPDF
from voting.web.minutes_layout import MONO
from voting.web.minutes_layout import SERIF
from voting.web.minutes_pdf import date_line

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_cards
from ..factories import make_conference
from .test_chair import fresh
from .test_chair import post
from .test_chair import vote
from .test_trustee import TrusteeBrowser

COMMITTEE = [{"name": "Nguyễn Thị Hồng Nhung", "role": "Trưởng ban"},
             {"name": "Trần Quốc Khánh", "role": "Ủy viên"},
             {"name": "Lê Văn Dũng", "role": "Thư ký"}]
#: The round's times (UTC, as stored): 18:30 UTC on 28 February is 01:30
#: on 1 March in Hồ Chí Minh City (UTC+7), the date of the minutes.
OPENED_AT, CLOSED_AT = datetime(2025, 2, 28, 8, 0), datetime(2025, 2, 28, 9, 45)
PUBLISHED_AT = datetime(2025, 2, 28, 18, 30)


def publish(app, session, rnd, conference, private, ballots) -> None:
    """Open ``rnd`` on cards, cast ``ballots``, close, decrypt and publish it;
    then set its times to the fixed ones above."""
    tokens = make_cards(session, conference, [rnd.id], len(ballots))
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    for token, choices in zip(tokens, ballots, strict=True):
        vote(session, rnd, token, choices)
    rounds.close_round(session, rnd)
    decrypt_and_publish(session, conference, rnd, private)
    rnd.opened_at, rnd.closed_at, rnd.published_at = OPENED_AT, CLOSED_AT, PUBLISHED_AT
    session.commit()


@pytest.fixture
def per_unit(app, session):
    """A published per-unit round: 6 delegates, 4 present, 3 cards handed
    out, 2 ballots cast; "more than 1/2 of the cards handed out" (3).
    Unit 1: 2 agree (66,67 %, passed); unit 2: 1 agree, 1 disagree;
    unit 3: 1 disagree, 1 blank."""
    conference = make_conference(session, units=3, delegates=6)
    private = complete_key_ceremony(session, conference)
    minutes_header.set_minutes_details(session, conference, organiser="Công an tỉnh Vĩnh Phúc",
                                    place="Vĩnh Phúc", committee=COMMITTEE)
    check_in(session, conference, present=4, cards=3)
    rnd = rounds.create_round(session, conference, "advanced", "Bình xét “Đơn vị tiên tiến”")
    rounds.update_rule(session, rnd, kind=RoundKind.PER_UNIT, comparator=">", num=1, den=2,
                       base="issued", quota=None, max_choices=1)
    publish(app, session, rnd, conference, private, [[[0], [0], [1]], [[0], [1], []]])
    return rnd


@pytest.fixture
def tied(app, session):
    """A published choose-1 round, quota 1, "more than 0 of the ballots cast":
    4 ballots, 2 and 2, a tie at the cut-off."""
    conference = make_conference(session, units=3, delegates=4)
    private = complete_key_ceremony(session, conference)
    check_in(session, conference)
    rnd = rounds.create_round(session, conference, "flag", "Suy tôn Cờ thi đua")
    rounds.update_rule(session, rnd, kind=RoundKind.CHOOSE, comparator=">", num=0, den=1,
                       base="cast", quota=1, max_choices=1)
    publish(app, session, rnd, conference, private, [[[0]], [[1]], [[0]], [[1]]])
    return rnd


@pytest.fixture
def auditor(auth, client):
    auth.login("auditor", Role.AUDITOR)
    return client


def pdf_text(response) -> str:
    """The PDF's text, a line per line; its no-break spaces (in "66,67 %")
    come out as spaces."""
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def printed(text: str) -> str:
    """``text`` as pdf_text reads it back."""
    return text.replace("\u00a0", " ")


def compact(text: str) -> str:
    """Without any whitespace: what wraps in the PDF compares as on the page."""
    return re.sub(r"\s+", "", text)


def in_language(app, lang: str, function, *args):
    with app.test_request_context(f"/?lang={lang}"):
        return function(*args)


def test_the_minutes_of_a_round_as_an_auditor_reads_them(app, auditor, session, per_unit):
    response = auditor.get(f"/chair/rounds/{per_unit.id}/minutes.pdf?lang=vi")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=bien-ban-kiem-phieu-{per_unit.id}.pdf"
    text = pdf_text(response)
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập – Tự do – Hạnh phúc\n" in text
    assert "\nVĩnh Phúc, ngày 01 tháng 3 năm 2025\n" in text
    assert "\nBIÊN BẢN KIỂM PHIẾU\n" in text
    assert text.startswith("CÔNG AN TỈNH VĨNH PHÚC\nHỘI NGHỊ TỔNG KẾT CỤM\nTHI ĐUA\n")
    assert "Bình xét “Đơn vị tiên tiến”" in text
    assert "Bắt đầu bỏ phiếu lúc 15:00 28/02/2025, kết thúc lúc 16:45 28/02/2025; công bố " \
           "kết quả lúc 01:30 01/03/2025." in flat
    for number, member in enumerate(COMMITTEE, start=1):
        assert f"\n{number} {member['name']} {member['role']}\n" in text, member
    for label, figure in [("Tổng số đại biểu được triệu tập", 6), ("Số đại biểu có mặt", 4),
                          ("Số phiếu phát ra", 3), ("Số phiếu thu vào", 2)]:
        assert f"\n{label} {figure}\n" in text, label
    fresh(session)
    units = [u.name for u in per_unit.units]
    share = {n: in_language(app, "vi", percent, n, 3) for n in (2, 1, 0)}
    assert share == {2: "66,67\u00a0%", 1: "33,33\u00a0%", 0: "0,00\u00a0%"}
    passed, not_passed = (in_language(app, "vi", vocabulary.status_label, s, "per_unit")
                          for s in ("elected", "not_elected"))
    # No., unit, agree, share of the base, disagree, blank, valid (cast − blank), outcome
    for row in [f"1 {units[0]} 2 {share[2]} 0 0 2 {passed}",
                f"2 {units[1]} 1 {share[1]} 1 0 2 {not_passed}",
                f"3 {units[2]} 0 {share[0]} 1 1 1 {not_passed}"]:
        assert f"\n{printed(row)}\n" in text, row
    assert "tổng số phiếu phát ra" in text  # the rule's base, in its sentence
    assert compact(per_unit.fingerprint) in compact(text)
    assert compact(per_unit.head) in compact(text)
    assert compact(round_server_key(per_unit)) in compact(text)
    assert "Trustee 1, Trustee 2" in text
    assert f"\nhttps://vote.example/board/{per_unit.public_id}\n" in text
    # Each member signs under their role, the head as the committee's head.
    signatures = compact(text.split("V. ")[-1])
    for member in COMMITTEE:
        assert compact(member["name"]) in signatures
    assert compact("ỦY VIÊN(Ký, ghi rõ họ tên)Trần Quốc Khánh") in signatures
    assert compact("THƯ KÝ(Ký, ghi rõ họ tên)Lê Văn Dũng") in signatures


def test_the_minutes_in_english(chair_client, app, session, per_unit):
    text = pdf_text(chair_client.get(f"/chair/rounds/{per_unit.id}/minutes.pdf"))
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập – Tự do – Hạnh phúc\n" in text
    assert "\nVOTE-COUNTING MINUTES\n" in text and "BIÊN BẢN" not in text
    assert "\nVĩnh Phúc, 1 March 2025\n" in text
    assert "Voting opened at 15:00 28/02/2025 and closed at 16:45 28/02/2025; the result " \
           "was published at 01:30 01/03/2025." in flat
    assert ("A unit passes when its “agree” votes are more than 1/2 of the ballot cards "
            "handed out.") in flat
    assert "Base of the percentages: 3 (the ballot cards handed out)." in text
    for label, figure in [("Delegates entitled to vote (members)", 6), ("Delegates present", 4),
                          ("Ballot cards handed out (issued)", 3), ("Ballots cast", 2)]:
        assert f"\n{label} {figure}\n" in text, label
    fresh(session)
    units = [u.name for u in per_unit.units]
    share = in_language(app, "en", percent, 2, 3)
    assert share == "66.67\u00a0%"
    passed, not_passed = (in_language(app, "en", vocabulary.status_label, s, "per_unit")
                          for s in ("elected", "not_elected"))
    assert f"\n1 {units[0]} 2 {printed(share)} 0 0 2 {passed}\n" in text
    assert f"\n2 {units[1]} 1 33.33 % 1 0 2 {not_passed}\n" in text
    assert f"Units that passed (1): {units[0]}." in text
    assert compact("HEAD OF THE COUNTING COMMITTEE(Signature and full name)"
                   "Nguyễn Thị Hồng Nhung") in compact(text)


def test_a_tie_has_its_run_off_note_and_the_run_off_title(app, chair_client, session, tied):
    url = f"/chair/rounds/{tied.id}/minutes.pdf"
    fresh(session)
    units = [u.name for u in tied.units]
    text = pdf_text(chair_client.get(url))
    flat = " ".join(text.split())
    runoff = in_language(app, "en", vocabulary.status_label, "runoff", "choose")
    assert runoff == "Tie at the cut-off: run-off required"
    assert compact(f"1 {units[0]} 2 50.00\u00a0% {runoff}") in compact(text)
    assert compact(f"2 {units[1]} 2 50.00\u00a0% {runoff}") in compact(text)
    assert f"\n3 {units[2]} 0 0.00 % Not elected\n" in text
    assert "\nValid ballots 4\n" in text and "\nBlank ballots 0\n" in text
    assert (f"Tied at the cut-off, a run-off round decides between: {units[0]}; {units[1]}."
            in flat)
    assert "No unit is elected." in text
    assert "The run-off round is not created yet." in text
    runoffs.create_runoff(session, tied, "Bỏ phiếu lại: Suy tôn Cờ thi đua")
    text = pdf_text(chair_client.get(url))
    assert "Run-off round: Bỏ phiếu lại: Suy tôn Cờ thi đua." in text
    assert "not created yet" not in text


def test_without_a_committee_the_blocks_are_blank(chair_client, session, tied):
    text = pdf_text(chair_client.get(f"/chair/rounds/{tied.id}/minutes.pdf"))
    assert "The counting committee was not entered" in text
    assert compact("HEAD OF THE COUNTING COMMITTEE(Signature and full name)"
                   "COMMITTEE MEMBER(Signature and full name)"
                   "COMMITTEE MEMBER(Signature and full name)") in compact(text)
    # No organiser: the conference names the document; no place: the date alone.
    assert text.startswith("HỘI NGHỊ TỔNG KẾT CỤM\nTHI ĐUA\nCỘNG HÒA")
    assert "\n1 March 2025\n" in text


def test_the_font_is_embedded_and_the_bytes_are_reproducible(chair_client, per_unit):
    url = f"/chair/rounds/{per_unit.id}/minutes.pdf"
    first, second = chair_client.get(url).data, chair_client.get(url).data
    assert first == second
    reader = PdfReader(io.BytesIO(first))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = []
    for ref in fonts.values():
        font = ref.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor
        names.append(str(font["/BaseFont"]))
    assert any("DejaVuSerif" in name for name in names), names
    assert reader.metadata.creation_date.replace(tzinfo=None) == PUBLISHED_AT


def test_no_minutes_before_publication(chair_client, session):
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    response = chair_client.get(f"/chair/rounds/{rnd.id}/minutes.pdf")
    assert response.status_code == 404
    assert "The result of this round is not published yet." in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client, per_unit):
    response = client.get(f"/chair/rounds/{per_unit.id}/minutes.pdf")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_the_pages_link_the_pdf(chair_client, per_unit):
    link = f'href="/chair/rounds/{per_unit.id}/minutes.pdf"'
    assert link in chair_client.get(f"/chair/rounds/{per_unit.id}/minutes").get_data(as_text=True)
    assert link in chair_client.get(f"/chair/rounds/{per_unit.id}").get_data(as_text=True)


# -- The details form ---------------------------------------------------------------

@pytest.fixture
def chair_client(auth, client):
    auth.login()
    return client


def details_url(conference) -> str:
    return f"/chair/conferences/{conference.id}/minutes-details"


def details(session, conference_id: int) -> tuple:
    fresh(session)
    conference = session.get(Conference, conference_id)
    return conference.organiser, conference.place, minutes_header.committee_of(conference)


def test_the_chair_enters_the_details(chair_client, session):
    conference = make_conference(session)
    response = post(chair_client, details_url(conference), {
        "organiser": " Công an  tỉnh Vĩnh Phúc ", "place": "Vĩnh Phúc",
        "committee": "Nguyễn Văn A — Trưởng ban\n\nTrần Thị B, Ủy viên, thư ký\n"})
    assert response.status_code == 302 and response.location.endswith("#minutes")
    assert details(session, conference.id) == (
        "Công an tỉnh Vĩnh Phúc", "Vĩnh Phúc",
        [{"name": "Nguyễn Văn A", "role": "Trưởng ban"},
         {"name": "Trần Thị B", "role": "Ủy viên, thư ký"}])
    page = chair_client.get(response.location).get_data(as_text=True)
    assert "Nguyễn Văn A — Trưởng ban\nTrần Thị B — Ủy viên, thư ký</textarea>" in page


@pytest.mark.parametrize(("committee", "message"), [
    ("Nguyễn Văn A — Trưởng ban\nTrần Thị B\n", "Line 2: write the name, then “—” or a "
                                                "comma, then the role."),
    ("Nguyễn Văn A — Trưởng ban\n\n — Ủy viên\n", "Line 3: the name is empty."),
    ("Nguyễn Văn A — " + "x" * 101, "Line 1: the role is longer than 100 characters."),
    ("", "Enter 1 to 15 members, the head of the committee first."),
    ("\n".join(f"Người {i} — Ủy viên" for i in range(16)),
     "Enter 1 to 15 members, the head of the committee first."),
])
def test_a_bad_committee_is_refused_and_nothing_changes(chair_client, session, committee,
                                                        message):
    conference = make_conference(session)
    minutes_header.set_minutes_details(session, conference, organiser="Cũ", place="Cũ",
                                    committee=[{"name": "Cũ", "role": "Trưởng ban"}])
    before = details(session, conference.id)
    response = post(chair_client, details_url(conference),
                    {"organiser": "Mới", "place": "Mới", "committee": committee})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert details(session, conference.id) == before


def test_the_details_form_needs_its_csrf_token(chair_client, session):
    conference = make_conference(session)
    data = {"organiser": "Mới", "place": "Mới", "committee": "Nguyễn Văn A — Trưởng ban"}
    assert chair_client.post(details_url(conference), data=data).status_code == 400
    assert details(session, conference.id) == ("", "", [])
    assert post(chair_client, details_url(conference), data).status_code == 302


def test_only_the_chair_posts_the_details(app, auth, client, session):
    conference = make_conference(session)
    data = {"organiser": "Mới", "place": "Mới", "committee": "Nguyễn Văn A — Trưởng ban"}
    response = post(client, details_url(conference), data)
    assert response.status_code == 302 and "/auth/login" in response.location
    auth.login("auditor", Role.AUDITOR)
    assert post(client, details_url(conference), data).status_code == 403
    assert details(session, conference.id) == ("", "", [])


def test_a_trustee_cannot_post_the_details(app, session):
    """A trustee's session (an opened invitation) is no staff login."""
    conference = make_conference(session)
    token = ceremony.set_trustees(session, conference, ["Trustee 1", "Trustee 2"], 2)[1]
    browser = TrusteeBrowser(app)
    assert browser.open(token).status_code == 200
    response = browser.client.post(details_url(conference), headers={
        "X-CSRFToken": browser.csrf}, data={"organiser": "Mới", "place": "Mới",
                                            "committee": "Nguyễn Văn A — Trưởng ban"})
    assert response.status_code == 302 and "/auth/login" in response.location
    assert details(session, conference.id) == ("", "", [])


def test_an_auditor_sees_the_details_but_no_form(auditor, session):
    conference = make_conference(session)
    minutes_header.set_minutes_details(session, conference, organiser="Công an tỉnh",
                                    place="Vĩnh Phúc", committee=COMMITTEE)
    page = auditor.get(f"/chair/conferences/{conference.id}?lang=en").get_data(as_text=True)
    section = page.split('<section class="card" id="minutes">')[1].split("</section>")[0]
    assert "<form" not in section and "<textarea" not in section
    assert "<dd>Công an tỉnh</dd>" in section and "<dd>Vĩnh Phúc</dd>" in section
    assert "<li>Nguyễn Thị Hồng Nhung — Trưởng ban</li>" in section


def test_a_tall_round_stays_inside_the_page(app, chair_client, session):
    """30 units with long Vietnamese names over several pages: every line of
    text lies within the margins (30 mm left, 15 mm right), every row stays
    whole on one page, and the table's heading row starts each page it
    continues on."""
    conference = make_conference(session, units=30, delegates=3)
    for unit in conference.units:
        unit.name += " — Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ"
    session.commit()
    private = complete_key_ceremony(session, conference)
    check_in(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Bình xét " * 30)
    publish(app, session, rnd, conference, private, [[[0]] * 30, [[1]] * 30, [[]] * 30])
    reader = PdfReader(io.BytesIO(chair_client.get(f"/chair/rounds/{rnd.id}/minutes.pdf").data))
    spans = list(text_spans(reader))
    assert len(spans) > 300
    assert [text for text, left, right in spans if left < 30 - 0.3 or right > 195 + 0.3] == []
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    fresh(session)
    for number, unit in enumerate(session.get(Round, rnd.id).units, start=1):
        row = compact(f"{number} {unit.name} 1")
        assert sum(row in compact(page) for page in pages) == 1, unit.name
    continued = [page for page in pages[1:] if compact("phòng cháy, chữa cháy") in compact(page)]
    assert continued and all(compact("No. Unit Agree") in compact(page) for page in continued)


def text_spans(reader: PdfReader):
    """(text, left, right) in mm of each piece of text the PDF draws, its
    width measured with the same font at the same size."""
    ruler = MinutesPDF()
    for page in reader.pages:
        pieces = []

        def visit(text, cm, tm, font, size, pieces=pieces):
            # Justified lines read back with wider gaps: measure one space.
            pieces.append((" ".join(text.split()), tm[4], font, size))

        page.extract_text(visitor_text=visit)
        for text, x, font, size in pieces:
            if not text or font is None:
                continue
            name = str(font["/BaseFont"])
            ruler.set_font(MONO if "Mono" in name else SERIF,
                           "B" if "Bold" in name else "I" if "Italic" in name else "", size)
            left = x / 72 * 25.4
            yield text, left, left + ruler.get_string_width(text)


@pytest.mark.parametrize(("lang", "place", "at", "line"), [
    # Nghị định 30/2020: a leading zero for days below 10 and months 1 and 2 only.
    ("vi", "Hà Nội", datetime(2025, 1, 4, 12), "Hà Nội, ngày 04 tháng 01 năm 2025"),
    ("vi", "Hà Nội", datetime(2025, 2, 14, 12), "Hà Nội, ngày 14 tháng 02 năm 2025"),
    ("vi", "Hà Nội", datetime(2025, 9, 9, 12), "Hà Nội, ngày 09 tháng 9 năm 2025"),
    ("vi", "", datetime(2025, 12, 31, 16, 59), "Ngày 31 tháng 12 năm 2025"),
    ("vi", "Huế", datetime(2025, 12, 31, 17), "Huế, ngày 01 tháng 01 năm 2026"),  # UTC+7
    ("en", "Huế", datetime(2025, 12, 31, 17), "Huế, 1 January 2026"),
])
def test_the_date_line(app, lang, place, at, line):
    assert in_language(app, lang, date_line, place, at) == line
