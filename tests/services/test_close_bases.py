"""The bases frozen at close satisfy cast ≤ issued ≤ present ≤ members
(PROTOCOL §9.3, §14 check 14): closing is refused, with nothing changed,
unless check-in accounts for every ballot. Each test sits on a boundary:
one more ballot (card, delegate present) than allowed is refused, equality
closes."""

from __future__ import annotations

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.models import RoundState
from voting.services import board
from voting.services import casting
from voting.services import checkin
from voting.services import rounds
from voting.services.elections import election_of
from voting.services.errors import BasesInconsistent
from voting.services.errors import IllegalTransition

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import make_conference
from ..factories import make_open_round

MEMBERS = 4


@pytest.fixture
def opened(app, session):
    """An open 2-unit round, 4 delegates, 4 cards, nobody checked in yet."""
    conference = make_conference(session, units=2, delegates=MEMBERS)
    complete_key_ceremony(session, conference)
    rnd, tokens = make_open_round(session, conference, app.config["VOTING_KEYS_DIR"],
                                  cards=MEMBERS, checked_in=False)
    return conference, rnd, tokens


def vote(session, rnd, tokens, count: int) -> None:
    for token in tokens[:count]:
        ballot = encrypt_ballot(election_of(rnd), [[0], [1]],
                                derive_credential(token, rnd.public_id))
        casting.cast_ballot(session, rnd, ballot)


def board_state(session, rnd) -> tuple:
    """Everything a refused close must leave as it was."""
    session.rollback()
    session.refresh(rnd)
    lines = [e.line for e in board.events(session, rnd)]
    state = (rnd.state, rnd.event_count, rnd.head, rnd.closed_at,
             (rnd.members, rnd.present, rnd.issued, rnd.cast), lines)
    session.rollback()
    return state


def close_bases(session, rnd) -> dict:
    return board.event_bodies(session, rnd, "close")[0]["bases"]


def assert_refused(session, rnd, problem: str, **figures) -> None:
    before = board_state(session, rnd)
    with pytest.raises(BasesInconsistent) as refused:
        rounds.close_round(session, rnd)
    assert refused.value.code == "bases_inconsistent" and refused.value.status == 409
    assert refused.value.details == {"problem": problem, **figures}
    assert board_state(session, rnd) == before
    assert before[0] == RoundState.OPEN and before[4] == (None, None, None, None)


# --- the service ------------------------------------------------------------------

def test_one_ballot_more_than_cards_handed_out_is_refused(session, opened):
    conference, rnd, tokens = opened
    check_in(session, conference, present=2, cards=2)
    vote(session, rnd, tokens, 3)
    assert_refused(session, rnd, "cast_exceeds_issued",
                   members=MEMBERS, present=2, issued=2, cast=3)


def test_as_many_ballots_as_cards_handed_out_closes(session, opened):
    conference, rnd, tokens = opened
    check_in(session, conference, present=3, cards=3)
    vote(session, rnd, tokens, 3)
    rounds.close_round(session, rnd)
    assert rnd.state == RoundState.CLOSED
    assert close_bases(session, rnd) == {"members": MEMBERS, "present": 3, "issued": 3,
                                         "cast": 3}


def test_the_round_stays_open_after_a_refusal_and_closes_once_check_in_is_corrected(
        session, opened):
    conference, rnd, tokens = opened
    check_in(session, conference, present=1, cards=1)
    vote(session, rnd, tokens, 2)
    assert_refused(session, rnd, "cast_exceeds_issued",
                   members=MEMBERS, present=1, issued=1, cast=2)
    vote(session, rnd, tokens[2:], 1)  # still open: the lock was released, ballots go on
    checkin.set_card(session, conference.delegates[1], True)
    checkin.set_card(session, conference.delegates[2], True)
    rounds.close_round(session, rnd)
    assert close_bases(session, rnd) == {"members": MEMBERS, "present": 3, "issued": 3,
                                         "cast": 3}
    with pytest.raises(IllegalTransition):  # closed is closed: the transition is checked first
        rounds.close_round(session, rnd)


def test_one_card_more_than_delegates_present_is_refused(session, opened):
    conference, rnd, tokens = opened
    check_in(session, conference, present=3, cards=3)
    checkin.set_present(session, conference.delegates[2], False)  # the card stays recorded
    vote(session, rnd, tokens, 1)
    assert_refused(session, rnd, "issued_exceeds_present",
                   members=MEMBERS, present=2, issued=3, cast=1)


def test_as_many_cards_as_delegates_present_closes(session, opened):
    conference, rnd, tokens = opened
    check_in(session, conference, present=3, cards=3)
    checkin.set_present(session, conference.delegates[2], False)
    checkin.set_present(session, conference.delegates[2], True)
    vote(session, rnd, tokens, 1)
    rounds.close_round(session, rnd)
    assert close_bases(session, rnd) == {"members": MEMBERS, "present": 3, "issued": 3,
                                         "cast": 1}


def test_every_delegate_present_with_a_card_and_voting_closes(session, opened):
    conference, rnd, tokens = opened
    check_in(session, conference)
    vote(session, rnd, tokens, MEMBERS)
    rounds.close_round(session, rnd)
    assert close_bases(session, rnd) == {"members": MEMBERS, "present": MEMBERS,
                                         "issued": MEMBERS, "cast": MEMBERS}


def test_nobody_checked_in_and_no_ballot_closes(session, opened):
    _conference, rnd, _tokens = opened
    rounds.close_round(session, rnd)
    assert close_bases(session, rnd) == {"members": MEMBERS, "present": 0, "issued": 0,
                                         "cast": 0}


def test_one_delegate_present_more_than_members_is_refused(session, opened, monkeypatch):
    """Check-in counts the conference's own delegates, so present > members
    cannot happen through the services: make the count say so."""
    _conference, rnd, _tokens = opened
    monkeypatch.setattr(checkin, "counts", lambda _s, _c: checkin.Counts(MEMBERS, MEMBERS + 1, 0))
    assert_refused(session, rnd, "present_exceeds_members",
                   members=MEMBERS, present=MEMBERS + 1, issued=0, cast=0)
    monkeypatch.setattr(checkin, "counts", lambda _s, _c: checkin.Counts(MEMBERS, MEMBERS, 0))
    rounds.close_round(session, rnd)
    assert close_bases(session, rnd)["present"] == MEMBERS


# --- the rule itself, on every boundary ------------------------------------------------

@pytest.mark.parametrize(("members", "present", "issued", "cast", "problem"), [
    (5, 3, 3, 3, None),
    (5, 3, 3, 4, "cast_exceeds_issued"),
    (5, 3, 2, 2, None),
    (5, 3, 4, 2, "issued_exceeds_present"),
    (5, 5, 5, 5, None),
    (5, 6, 5, 5, "present_exceeds_members"),
    (0, 0, 0, 0, None),
    (0, 0, 0, 1, "cast_exceeds_issued"),
    (5, 2, 3, 4, "cast_exceeds_issued"),  # the first inequality broken, from the ballots up
    (2, 3, 4, 1, "issued_exceeds_present"),
])
def test_close_problem_boundaries(members, present, issued, cast, problem):
    assert rounds.Turnout(members, present, issued, cast).close_problem() == problem


def test_the_refusal_message_names_the_figures():
    error = BasesInconsistent("cast_exceeds_issued", members=4, present=2, issued=2, cast=3)
    assert error.message == ("more ballots were cast (3) than cards were handed out at "
                             "check-in (2): correct check-in before closing")
