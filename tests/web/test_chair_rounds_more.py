"""The chair's closing time, one-click run-off and saved templates, through
the pages: each form is CSRF-protected and the chair's, and a refusal
changes nothing."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import UTC

import pytest
from flask_babel import get_timezone

from voting.models import Conference
from voting.models import Role
from voting.models import Round
from voting.models import RoundKind
from voting.models.base import utcnow
from voting.services import cards
from voting.services import rounds
from voting.services import runoffs

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_conference
from .test_chair import fresh
from .test_chair import post
from .test_chair import rule_data
from .test_chair import text
from .test_chair import vote


@pytest.fixture
def chair(auth, client):
    """A logged-in chair's client, in English."""
    auth.login()
    client.get("/chair/?lang=en")
    return client


@pytest.fixture
def open_round(session, app):
    conference = make_conference(session, units=2, delegates=2)
    complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    cards.issue_cards(session, conference, count=2, spares=0, round_ids=[rnd.id])
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    return rnd


def closes_at(session, rnd):
    fresh(session)
    return rounds.aware(session.get(Round, rnd.id).closes_at)


def test_close_in_n_minutes(chair, app, session, open_round):
    before = utcnow()
    response = post(chair, f"/chair/rounds/{open_round.id}/closing-time", {"minutes": "15"},
                    follow_redirects=True)
    at = closes_at(session, open_round)
    assert before + timedelta(minutes=15) <= at <= utcnow() + timedelta(minutes=15)
    with app.test_request_context():
        local = at.astimezone(get_timezone()).strftime("%H:%M")
    assert f"Voting closes by itself at {local}." in text(response)


def test_close_at_a_time_of_day_in_the_conference_timezone(chair, session, open_round,
                                                            monkeypatch):
    """At 23:40 in Hà Nội (16:40 UTC), "23:50" is ten minutes ahead, and
    "00:10" is today's, which has passed: never silently tomorrow's."""
    now = datetime(2030, 6, 1, 16, 40, tzinfo=UTC)
    monkeypatch.setattr("voting.web.chair_rounds.utcnow", lambda: now)
    monkeypatch.setattr("voting.services.rounds.utcnow", lambda: now)
    post(chair, f"/chair/rounds/{open_round.id}/closing-time", {"at": "00:10"})
    assert closes_at(session, open_round) is None
    post(chair, f"/chair/rounds/{open_round.id}/closing-time", {"at": "23:50"})
    assert closes_at(session, open_round) == datetime(2030, 6, 1, 16, 50, tzinfo=UTC)


@pytest.mark.parametrize("data", [{}, {"at": "15:30", "minutes": "5"}, {"at": "25:00"},
                                  {"at": "9h"}, {"minutes": "0"}, {"minutes": "721"}])
def test_a_bad_closing_form_changes_nothing(chair, session, open_round, data):
    response = post(chair, f"/chair/rounds/{open_round.id}/closing-time", data)
    assert response.status_code == 400
    assert closes_at(session, open_round) is None


def test_a_time_that_has_passed_is_refused_with_a_reason(chair, app, session,
                                                         open_round):
    with app.test_request_context():
        past = (utcnow() - timedelta(minutes=2)).astimezone(get_timezone())
    response = post(chair, f"/chair/rounds/{open_round.id}/closing-time",
                    {"at": past.strftime("%H:%M")}, follow_redirects=True)
    assert "The closing time must lie in the next 12 hours" in text(response)
    assert closes_at(session, open_round) is None


def test_the_chair_clears_the_closing_time(chair, session, open_round):
    post(chair, f"/chair/rounds/{open_round.id}/closing-time", {"minutes": "5"})
    assert closes_at(session, open_round) is not None
    page = text(chair.get(f"/chair/rounds/{open_round.id}"))
    assert "Clear the closing time" in page
    post(chair, f"/chair/rounds/{open_round.id}/closing-time", {"clear": "1"})
    assert closes_at(session, open_round) is None


def test_the_closing_time_is_the_chairs(app, auth, client, session, open_round):
    auth.login("auditor", Role.AUDITOR)
    response = post(client, f"/chair/rounds/{open_round.id}/closing-time", {"minutes": "5"})
    assert response.status_code == 403
    assert closes_at(session, open_round) is None
    auth.login()
    no_csrf = client.post(f"/chair/rounds/{open_round.id}/closing-time", data={"minutes": "5"})
    assert no_csrf.status_code == 400 and closes_at(session, open_round) is None


def test_one_click_makes_the_run_off_on_the_same_cards(chair, app, session):
    conference = make_conference(session, units=3, delegates=4)
    check_in(session, conference)
    private = complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "flag", "Suy tôn Cờ thi đua")
    post(chair, f"/chair/rounds/{rnd.id}/rule", rule_data(
        kind="choose", num="0", den="1", base="cast", quota="1"))
    issued = cards.issue_cards(session, conference, count=4, spares=0, round_ids=[rnd.id])
    post(chair, f"/chair/rounds/{rnd.id}/open")
    fresh(session)
    rnd = session.get(Round, rnd.id)
    for card, choice in zip(issued, [[[0]], [[1]], [[0]], [[1]]], strict=True):
        vote(session, rnd, cards.decode_token(card.token_text), choice)
    post(chair, f"/chair/rounds/{rnd.id}/close", {"confirm": "1"})
    fresh(session)
    decrypt_and_publish(session, conference, session.get(Round, rnd.id), private)
    page = text(chair.get(f"/chair/rounds/{rnd.id}"))
    assert "2 units are tied at the cut-off" in page and "Create the run-off round" in page
    reserve = runoffs.free_reserves(session, conference.id)[0].id
    response = post(chair, f"/chair/rounds/{rnd.id}/runoff")
    assert response.status_code == 302 and response.location.endswith(f"/rounds/{reserve}")
    page = text(chair.get(response.location))
    assert "Run-off: Suy tôn Cờ thi đua" in page and "This run-off decides the tie of" in page
    fresh(session)
    runoff = session.get(Round, reserve)
    assert [u.name for u in runoff.units] == [u.name for u in conference.units[:2]]
    # A second click makes nothing more; the first round now names its run-off.
    post(chair, f"/chair/rounds/{rnd.id}/runoff")
    page = text(chair.get(f"/chair/rounds/{rnd.id}"))
    assert "The tie is decided by the run-off round" in page
    assert len(runoffs.free_reserves(session, conference.id)) == runoffs.RESERVE_ROUNDS - 1


def test_a_reserve_round_has_no_page(chair, session, open_round):
    reserve = runoffs.free_reserves(session, open_round.conference_id)[0]
    assert chair.get(f"/chair/rounds/{reserve.id}").status_code == 404


def test_a_saved_rule_is_the_template_of_the_conferences_new_rounds(chair, session):
    conference = make_conference(session, units=2, delegates=0)
    other = make_conference(session, units=2, delegates=0)
    rnd = rounds.create_round(session, conference, "determined", "Vòng 1")
    post(chair, f"/chair/rounds/{rnd.id}/rule", rule_data(
        comparator=">=", num="3", den="4", base="cast"))
    post(chair, f"/chair/rounds/{rnd.id}/template")
    fresh(session)
    conf = session.get(Conference, conference.id)
    made = rounds.create_round(session, conf, "determined", "Vòng 2")
    assert (made.rule_comparator, made.rule_num, made.rule_den, made.rule_base) \
        == (">=", 3, 4, "cast")
    untouched = rounds.create_round(session, session.get(Conference, other.id), "determined", "V")
    assert (untouched.rule_num, untouched.rule_den, untouched.rule_base) == (2, 3, "present")
    advanced = rounds.create_round(session, conf, "advanced", "Vòng 3")
    assert (advanced.rule_num, advanced.rule_den) == (1, 2)
    page = text(chair.get(f"/chair/conferences/{conference.id}/rounds/new"))
    assert "This conference's own templates" in page
    post(chair, f"/chair/conferences/{conference.id}/templates/determined/restore")
    fresh(session)
    again = rounds.create_round(session, session.get(Conference, conference.id), "determined",
                                "Vòng 4")
    assert (again.rule_comparator, again.rule_num, again.rule_den) == (">=", 2, 3)
    assert again.kind == RoundKind.PER_UNIT


def test_saving_a_template_is_the_chairs(app, auth, client, session):
    conference = make_conference(session, units=2, delegates=0)
    rnd = rounds.create_round(session, conference, "determined", "Vòng 1")
    auth.login("auditor", Role.AUDITOR)
    assert post(client, f"/chair/rounds/{rnd.id}/template").status_code == 403
    fresh(session)
    assert session.get(Conference, conference.id).templates_json == "{}"


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "choose", "max_choices": "3"}, "k (3) is more than the 2 candidate units."),
    ({"quota": "3"}, "The quota (3) is more than the 2 candidate units."),
])
def test_a_rule_asking_more_than_the_candidates_is_refused(chair, session, changes, message):
    conference = make_conference(session, units=2, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    response = post(chair, f"/chair/rounds/{rnd.id}/rule", rule_data(**changes),
                    follow_redirects=True)
    assert message in text(response)
    fresh(session)
    rnd = session.get(Round, rnd.id)
    assert (rnd.kind, rnd.max_choices, rnd.rule_quota) == (RoundKind.PER_UNIT, 1, None)
    # At the limit it is accepted.
    post(chair, f"/chair/rounds/{rnd.id}/rule", rule_data(kind="choose", max_choices="2",
                                                          quota="2"))
    fresh(session)
    assert (session.get(Round, rnd.id).max_choices, session.get(Round, rnd.id).rule_quota) \
        == (2, 2)
