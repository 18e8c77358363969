"""The chair's pages, through the test client with CSRF on: conferences,
import, check-in, rounds (rule, moves, turnout) and a published result."""

from __future__ import annotations

import io
import re

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.models import Conference
from voting.models import Role
from voting.models import Round
from voting.models import RoundState
from voting.services import casting
from voting.services import conferences
from voting.services import rounds
from voting.services.elections import election_of

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_cards
from ..factories import make_conference


@pytest.fixture
def chair(auth, client):
    """A logged-in chair's client, in English."""
    auth.login()
    client.get("/chair/?lang=en")
    return client


def csrf(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


def post(client, url, data=None, **kwargs):
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def fresh(session) -> None:
    """End the test session's read snapshot and forget loaded values, so
    that the next read sees what the app committed."""
    session.rollback()
    session.expire_all()


def text(response) -> str:
    return response.get_data(as_text=True)


def vote(session, rnd, token, choices):
    ballot = encrypt_ballot(election_of(rnd), choices, derive_credential(token, rnd.public_id))
    return casting.cast_ballot(session, rnd, ballot)


def rule_data(**changes) -> dict:
    data = {"kind": "per_unit", "max_choices": "1", "comparator": ">", "num": "1",
            "den": "2", "base": "present", "quota": ""}
    return {**data, **changes}


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/chair/")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_create_a_conference(chair, app, session):
    response = post(chair, "/chair/conferences", {"name": "Hội nghị tổng kết Cụm thi đua"})
    assert response.status_code == 302
    conference = conferences.list_conferences(session)[0].conference
    assert response.location.endswith(f"/chair/conferences/{conference.id}")
    page = text(chair.get(response.location))
    assert "Hội nghị tổng kết Cụm thi đua" in page and "Key ceremony not done yet" in page
    for endpoint, prefix in [("cards.index", "/cards/"), ("ceremony.index", "/ceremony/")]:
        # colleagues' pages: linked once their endpoints exist
        linked = re.search(rf'href="{prefix}[^"]*{conference.id}"', page) is not None
        assert linked == (endpoint in app.view_functions)
    assert "Hội nghị tổng kết Cụm thi đua" in text(chair.get("/chair/"))


def test_an_empty_name_is_refused(chair, session):
    assert post(chair, "/chair/conferences", {"name": "  "}).status_code == 400
    assert conferences.list_conferences(session) == []


def test_the_sample_conference_in_one_click(chair, session):
    response = post(chair, "/chair/conferences/sample")
    page = text(chair.get(response.location))
    assert "Hội nghị tổng kết Cụm thi đua khối Cảnh sát năm 2018" in page
    assert "Phòng Cảnh sát phòng chống tội phạm về môi trường" in page
    assert page.count("Draft") >= 3
    assert len(conferences.list_conferences(session)) == 1


def test_import_units_from_a_file(chair, session):
    conference = conferences.create_conference(session, "Hội nghị")
    url = f"/chair/conferences/{conference.id}/import/units"
    assert "name,note" in text(chair.get(url))
    csv_bytes = "\ufeffname,note\nPhòng Cảnh sát hình sự,Cụm trưởng\nPhòng Cảnh sát kinh tế,\n"
    response = post(chair, url, {"file": (io.BytesIO(csv_bytes.encode()), "units.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 302
    page = text(chair.get(response.location))
    assert "2 rows imported" in page and "Phòng Cảnh sát kinh tế" in page


def test_a_pasted_list_with_errors_imports_nothing_and_names_the_rows(chair, session):
    conference = conferences.create_conference(session, "Hội nghị")
    url = f"/chair/conferences/{conference.id}/import/delegates"
    pasted = "name,organisation\nNguyễn Văn Hùng,PC02\n,PC03\nNguyễn Văn Hùng,PC02\n"
    response = post(chair, url, {"text": pasted})
    assert response.status_code == 400
    page = text(response)
    assert "Nothing was imported" in page
    assert re.search(r">3</td><td>The name is empty\.", page)
    assert re.search(r">4</td><td>Same as row 2\.", page)
    fresh(session)
    assert session.get(Conference, conference.id).delegates == []


def test_an_import_needs_a_file_or_text(chair, session):
    conference = conferences.create_conference(session, "Hội nghị")
    response = post(chair, f"/chair/conferences/{conference.id}/import/units", {"text": ""})
    assert response.status_code == 200 and "Choose a file or paste the rows." in text(response)


def test_check_in_marks_presence_and_a_card(chair, session):
    conference = make_conference(session, units=1, delegates=3)
    delegate = conference.delegates[1]
    base = f"/chair/conferences/{conference.id}"
    response = post(chair, f"{base}/delegates/{delegate.id}/card", {"value": "1", "q": "2"})
    assert response.status_code == 302 and response.location.endswith(f"q=2#d-{delegate.id}")
    fresh(session)
    assert (delegate.is_present, delegate.has_card) == (True, True)
    page = text(chair.get(f"{base}/checkin?q=biểu 2"))
    assert "Đại biểu 2" in page and "Đại biểu 3" not in page and "Card received ✓" in page
    post(chair, f"{base}/delegates/{delegate.id}/present", {"value": "0"})
    fresh(session)
    assert delegate.is_present is False


def test_create_a_round_over_chosen_units(chair, session):
    conference = make_conference(session, units=3, delegates=2)
    first, _, third = conference.units
    url = f"/chair/conferences/{conference.id}/rounds/new"
    assert text(chair.get(url)).count('checked') == 3   # every unit by default
    response = post(chair, url, {"template": "determined", "title": "",
                                 "units": [str(first.id), str(third.id)]})
    rnd = conferences.conference_rounds(session, conference)[0]
    assert response.location.endswith(f"/chair/rounds/{rnd.id}")
    assert (rnd.template, rnd.title, rnd.rule_comparator) == (
        "determined", "Determined-to-win unit", ">=")
    assert [u.id for u in rnd.units] == [first.id, third.id]
    page = text(chair.get(response.location))
    assert "at least 2/3 of the delegates present" in page


def test_a_round_needs_at_least_one_unit(chair, session):
    conference = make_conference(session, units=2, delegates=0)
    response = post(chair, f"/chair/conferences/{conference.id}/rounds/new",
                    {"template": "advanced", "title": "Vòng 1"})
    assert "Choose at least one unit." in text(response)
    assert conferences.conference_rounds(session, conference) == []


def test_edit_the_rule(chair, session):
    conference = make_conference(session, units=2, delegates=0)
    rnd = rounds.create_round(session, conference, "flag", "Suy tôn")
    response = post(chair, f"/chair/rounds/{rnd.id}/rule",
                    rule_data(kind="choose", max_choices="2", comparator=">=", num="3",
                              den="5", base="cast", quota="1"))
    assert response.status_code == 302
    fresh(session)
    assert (rnd.max_choices, rnd.rule_comparator, rnd.rule_num, rnd.rule_den, rnd.rule_base,
            rnd.rule_quota) == (2, ">=", 3, 5, "cast", 1)
    assert "The rule was saved." in text(chair.get(response.location))


@pytest.mark.parametrize(("changes", "status", "message"), [
    ({"num": "3", "den": "2"}, 400, "The fraction must be at most 1."),
    ({"den": "0"}, 400, "Number must be between"),
    ({"base": "everyone"}, 400, "Not a valid choice"),
    ({"comparator": "<"}, 400, "Not a valid choice"),
    ({"quota": "0"}, 400, "Number must be between"),
    ({"kind": "choose", "max_choices": "2", "base": "valid"}, 302, "needs k = 1"),
])
def test_an_invalid_rule_is_refused_and_nothing_changes(chair, session, changes, status,
                                                        message):
    conference = make_conference(session, units=2, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    before = rounds.manifest_of(rnd)
    response = post(chair, f"/chair/rounds/{rnd.id}/rule", rule_data(**changes))
    assert response.status_code == status
    page = text(chair.get(response.location) if status == 302 else response)
    assert message in page
    fresh(session)
    assert rounds.manifest_of(session.get(Round, rnd.id)) == before


def test_opening_without_a_key_shows_the_error(chair, session):
    conference = make_conference(session, units=2, delegates=2)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    make_cards(session, conference, [rnd.id], 2)
    response = post(chair, f"/chair/rounds/{rnd.id}/open")
    page = text(chair.get(response.location))
    assert "The key ceremony must be complete before a round opens." in page
    fresh(session)
    assert rnd.state == RoundState.DRAFT


def test_turnout_is_counts_only(chair, app, session):
    conference = make_conference(session, units=2, delegates=4)
    complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    tokens = make_cards(session, conference, [rnd.id], 3)
    post(chair, f"/chair/rounds/{rnd.id}/open")
    fresh(session)
    assert rnd.state == RoundState.OPEN
    vote(session, rnd, tokens[0], [[0], [1]])
    body = chair.get(f"/chair/rounds/{rnd.id}/turnout.json").get_json()
    assert body == {"state": "open", "members": 4, "present": 0, "issued": 0, "cast": 1,
                    "close_problem": CAST_EXCEEDS_ISSUED.format(cast=1, issued=0)}
    assert "dist/turnout.js" in text(chair.get(f"/chair/rounds/{rnd.id}"))


CAST_EXCEEDS_ISSUED = ("More ballots were cast ({cast}) than cards were handed out at "
                       "check-in ({issued}): correct check-in before closing.")
ISSUED_EXCEEDS_PRESENT = ("More delegates received a card ({issued}) than are marked "
                          "present ({present}): correct check-in before closing.")


def close_problem_shown(page: str) -> str | None:
    """The round page's reason why the round cannot close, if it shows one."""
    match = re.search(r'<p class="flash flash-error( hidden)?" data-close-problem[^>]*>\s*'
                      r'<span data-close-reason>([^<]*)</span>\s*<a href="([^"]+)"', page)
    assert match, "the open round's page has a place for the reason"
    return None if match[1] else (match[2], match[3])


def test_the_round_page_says_why_it_cannot_close_until_check_in_is_corrected(chair, session):
    """2 cards handed out, 3 ballots: the page says why, closing is refused
    with nothing changed; the chair hands out the third card on the
    check-in page while the round is open, and then it closes."""
    conference = make_conference(session, units=2, delegates=4)
    complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    tokens = make_cards(session, conference, [rnd.id], 4)
    check_in(session, conference, present=2, cards=2)
    url, checkin_url = f"/chair/rounds/{rnd.id}", f"/chair/conferences/{conference.id}/checkin"
    post(chair, f"{url}/open")
    fresh(session)
    for token in tokens[:3]:
        vote(session, rnd, token, [[0], [1]])
    reason = CAST_EXCEEDS_ISSUED.format(cast=3, issued=2)
    page = text(chair.get(url))
    assert close_problem_shown(page) == (reason, checkin_url)
    for figure, value in [("cast", 3), ("issued", 2), ("present", 2), ("members", 4)]:
        assert f'data-figure="{figure}">{value}</span>' in page
    events = session.get(Round, rnd.id).event_count
    response = post(chair, f"{url}/close", {"confirm": "1"})
    assert response.status_code == 302
    assert text(chair.get(response.location)).count(reason) == 2  # flashed, and on the page
    fresh(session)
    refused = session.get(Round, rnd.id)
    assert (refused.state, refused.event_count, refused.cast) == (RoundState.OPEN, events, None)
    # check-in stays editable while the round is open
    third = conference.delegates[2]
    post(chair, f"/chair/conferences/{conference.id}/delegates/{third.id}/card", {"value": "1"})
    assert close_problem_shown(text(chair.get(url))) is None
    assert chair.get(f"{url}/turnout.json").get_json()["close_problem"] is None
    post(chair, f"{url}/close", {"confirm": "1"})
    fresh(session)
    closed = session.get(Round, rnd.id)
    assert closed.state == RoundState.CLOSED
    assert (closed.members, closed.present, closed.issued, closed.cast) == (4, 3, 3, 3)


def test_a_card_marked_without_presence_is_explained(chair, session):
    conference = make_conference(session, units=1, delegates=3)
    complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    make_cards(session, conference, [rnd.id], 2)
    check_in(session, conference, present=2, cards=2)
    post(chair, f"/chair/rounds/{rnd.id}/open")
    second = conference.delegates[1]
    post(chair, f"/chair/conferences/{conference.id}/delegates/{second.id}/present",
         {"value": "0"})
    reason = ISSUED_EXCEEDS_PRESENT.format(issued=2, present=1)
    assert close_problem_shown(text(chair.get(f"/chair/rounds/{rnd.id}")))[0] == reason
    response = post(chair, f"/chair/rounds/{rnd.id}/close", {"confirm": "1"})
    assert reason in text(chair.get(response.location))
    fresh(session)
    assert session.get(Round, rnd.id).state == RoundState.OPEN


def test_a_whole_round_through_the_pages(chair, app, session):
    conference = make_conference(session, units=3, delegates=5)
    check_in(session, conference)
    private = complete_key_ceremony(session, conference)
    post(chair, f"/chair/conferences/{conference.id}/rounds/new",
         {"template": "advanced", "title": "Đơn vị tiên tiến",
          "units": [str(u.id) for u in conference.units]})
    fresh(session)  # reading the units began a snapshot older than the new round
    rnd = conferences.conference_rounds(session, conference)[0]
    tokens = make_cards(session, conference, [rnd.id], 5)
    url = f"/chair/rounds/{rnd.id}"
    post(chair, f"{url}/open")
    fresh(session)
    for token, choices in zip(tokens, [[[0], [0], [1]], [[0], [1], [1]], [[0], [], [1]],
                                       [[1], [0], []]], strict=False):
        vote(session, rnd, token, choices)
    post(chair, f"{url}/close", {"confirm": "1"})
    assert "0 of the 2 trustees needed" in text(chair.get(url))
    response = post(chair, f"{url}/publish", {"confirm": "1"})
    assert "2 trustees must decrypt the tally first (0 so far)." in text(
        chair.get(response.location))
    fresh(session)
    decrypt_and_publish(session, conference, rnd, private)
    fresh(session)
    assert rnd.state == RoundState.PUBLISHED
    page = text(chair.get(url))
    units = [u.name for u in conference.units]
    # a per-unit (agree / disagree) round passes units (voting/web/vocabulary.py)
    for name, count, status in [(units[0], 3, "Passed"), (units[1], 2, "Not passed"),
                                (units[2], 0, "Not passed")]:
        assert re.search(rf"<td>{re.escape(name)}</td><td class=\"num\">{count}</td>\s*"
                         rf"<td class=\"num\">5</td><td><span [^>]*>{status}</span>", page)
    minutes = text(chair.get(f"{url}/minutes"))
    assert "Vote-counting minutes" in minutes
    assert rnd.fingerprint in minutes and rnd.head in minutes
    assert re.search(r"Ballots cast</th><td class=\"num\">4</td>", minutes)
    # unit 2: agree 2 (ballots 1, 4), disagree 1, blank 1
    assert re.search(rf"{re.escape(units[1])}</td><td class=\"num\">2</td>\s*"
                     r"<td class=\"num\">1</td><td class=\"num\">1</td>", minutes)
    # the next round can start from the units this one elected
    new = text(chair.get(f"/chair/conferences/{conference.id}/rounds/new?from_round={rnd.id}"))
    assert new.count("checked") == 1


def test_a_tie_at_the_quota_is_a_run_off(chair, app, session):
    conference = make_conference(session, units=3, delegates=4)
    check_in(session, conference)
    private = complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "flag", "Suy tôn Cờ thi đua")
    post(chair, f"/chair/rounds/{rnd.id}/rule", rule_data(
        kind="choose", num="0", den="1", base="cast", quota="1"))
    tokens = make_cards(session, conference, [rnd.id], 4)
    post(chair, f"/chair/rounds/{rnd.id}/open")
    fresh(session)
    for token, choice in zip(tokens, [[[0]], [[1]], [[0]], [[1]]], strict=True):
        vote(session, rnd, token, choice)
    post(chair, f"/chair/rounds/{rnd.id}/close", {"confirm": "1"})
    fresh(session)
    decrypt_and_publish(session, conference, rnd, private)
    page = text(chair.get(f"/chair/rounds/{rnd.id}"))
    assert page.count("Tie at the cut-off: run-off required") == 2
    assert "Blank ballots: 0." in text(chair.get(f"/chair/rounds/{rnd.id}/minutes"))


def test_minutes_wait_for_the_result(chair, session):
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    assert chair.get(f"/chair/rounds/{rnd.id}/minutes").status_code == 404


def test_an_auditor_reads_but_sees_no_controls(app, auth, client, session):
    conference = make_conference(session, units=2, delegates=2)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    auth.login("auditor", Role.AUDITOR)
    page = text(client.get(f"/chair/rounds/{rnd.id}"))
    assert rnd.title in page
    assert "/open" not in page and "/rule" not in page
    checkin_page = text(client.get(f"/chair/conferences/{conference.id}/checkin"))
    assert "Đại biểu 1" in checkin_page and "<button" not in checkin_page.split("</form>")[-1]
    fresh(session)
    assert session.get(Round, rnd.id).state == RoundState.DRAFT


@pytest.mark.parametrize("number", [2**53 + 1, 10**30])
def test_ids_beyond_two_to_the_53_in_a_url_are_not_found(chair, number):
    """An absurd id is a 404, never an integer the database cannot hold (a 500)."""
    for url in (f"/chair/rounds/{number}", f"/chair/conferences/{number}",
                f"/chair/rounds/{number}/turnout.json"):
        assert chair.get(url).status_code == 404, url
