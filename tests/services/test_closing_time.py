"""A round's closing time: set by the chair, counted down on the hall
screen; at that time no ballot is accepted and the round closes on the
next request (or ``voting close-due``)."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import UTC

import pytest
from sqlalchemy import select

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.models import BoardEvent
from voting.models import Round
from voting.models import RoundState
from voting.models.base import utcnow
from voting.services import casting
from voting.services import rounds
from voting.services.elections import election_of
from voting.services.errors import Invalid
from voting.services.errors import RoundNotOpen

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import make_conference
from ..factories import make_open_round


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


@pytest.fixture
def open_round(session, app):
    conference = make_conference(session, units=2, delegates=3)
    complete_key_ceremony(session, conference)
    rnd, tokens = make_open_round(session, conference, app.config["VOTING_KEYS_DIR"], cards=3)
    return rnd, tokens


def ballot(rnd, token):
    return encrypt_ballot(election_of(rnd), [[0], [1]], derive_credential(token, rnd.public_id))


def kinds(session, rnd) -> list[str]:
    return list(session.scalars(select(BoardEvent.kind).where(BoardEvent.round_id == rnd.id)
                                .order_by(BoardEvent.seq)))


def test_the_chair_sets_and_clears_a_closing_time(session, open_round):
    rnd, _ = open_round
    at = utcnow() + timedelta(minutes=10)
    rounds.set_closing_time(session, rnd, at)
    fresh(session)
    assert rounds.aware(session.get(Round, rnd.id).closes_at) == at
    rounds.set_closing_time(session, rnd, None)
    fresh(session)
    assert session.get(Round, rnd.id).closes_at is None


@pytest.mark.parametrize("delta", [timedelta(0), timedelta(seconds=-1),
                                   timedelta(hours=12, seconds=1)])
def test_a_time_outside_the_next_twelve_hours_is_refused(session, open_round, delta):
    rnd, _ = open_round
    now = utcnow()
    with pytest.raises(Invalid):
        rounds.set_closing_time(session, rnd, now + delta, now=now)
    rounds.set_closing_time(session, rnd, now + timedelta(hours=12), now=now)  # the limit


def test_a_naive_time_is_refused(session, open_round):
    rnd, _ = open_round
    with pytest.raises(Invalid):
        rounds.set_closing_time(session, rnd, datetime.now() + timedelta(minutes=5))


def test_only_an_open_round_gets_a_closing_time(session, app):
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    with pytest.raises(RoundNotOpen):
        rounds.set_closing_time(session, rnd, utcnow() + timedelta(minutes=5))


def test_at_the_closing_time_ballots_are_refused_and_the_round_closes(session, open_round):
    rnd, tokens = open_round
    now = utcnow()
    rounds.set_closing_time(session, rnd, now + timedelta(minutes=5), now=now)
    receipt = casting.cast_ballot(session, rnd, first := ballot(rnd, tokens[0]))
    assert rounds.close_due_rounds(session, now + timedelta(minutes=4, seconds=59)) == []
    rnd = session.get(Round, rnd.id)
    rnd.closes_at = utcnow()  # the time has come (closes_at <= now)
    session.commit()
    assert rounds.is_past_closing(rnd, rounds.aware(rnd.closes_at))
    assert not rounds.is_past_closing(rnd, rounds.aware(rnd.closes_at) - timedelta(seconds=1))
    with pytest.raises(RoundNotOpen):
        casting.cast_ballot(session, rnd, ballot(rnd, tokens[1]))
    assert casting.cast_ballot(session, rnd, first).tracker == receipt.tracker  # a retry
    with pytest.raises(RoundNotOpen):
        rounds.set_closing_time(session, rnd, utcnow() + timedelta(minutes=5))
    assert rounds.close_due_rounds(session) == [rnd.id]
    fresh(session)
    rnd = session.get(Round, rnd.id)
    assert rnd.state == RoundState.CLOSED and rnd.cast == 1
    assert kinds(session, rnd)[-3:] == ["ballot", "close", "tally"]
    assert rounds.close_due_rounds(session) == []  # once


def test_a_due_round_whose_figures_do_not_hold_stays_open_accepting_nothing(session, app):
    conference = make_conference(session, units=2, delegates=3)
    complete_key_ceremony(session, conference)
    rnd, tokens = make_open_round(session, conference, app.config["VOTING_KEYS_DIR"], cards=3)
    casting.cast_ballot(session, rnd, ballot(rnd, tokens[0]))
    check_in(session, conference, present=0)  # cast 1 > issued 0
    rnd = session.get(Round, rnd.id)
    rnd.closes_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert rounds.close_due_rounds(session) == []
    fresh(session)
    assert session.get(Round, rnd.id).state == RoundState.OPEN
    with pytest.raises(RoundNotOpen):
        casting.cast_ballot(session, rnd, ballot(rnd, tokens[1]))
    check_in(session, conference)
    assert rounds.close_due_rounds(session) == [rnd.id]


def test_the_next_request_closes_a_due_round(app, client, session, open_round):
    rnd, _ = open_round
    rnd.closes_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    assert client.get("/").status_code == 200
    fresh(session)
    assert session.get(Round, rnd.id).state == RoundState.CLOSED


def test_the_close_due_command(app, runner, session, open_round):
    rnd, _ = open_round
    rnd.closes_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    result = runner.invoke(args=["voting", "close-due"])
    assert result.exit_code == 0 and "closed 1 round(s)" in result.output
    fresh(session)
    assert session.get(Round, rnd.id).state == RoundState.CLOSED
