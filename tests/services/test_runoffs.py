"""Run-offs on the same cards (PROTOCOL §8.1): reserve rounds drawn with a
conference's first cards, taken by a run-off over exactly the tied units,
and voted in with the cards delegates already hold."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.verifier import verify_record
from voting.models import Credential
from voting.models import Delegate
from voting.models import Round
from voting.models import RoundKind
from voting.models import RoundState
from voting.models import Unit
from voting.services import cards
from voting.services import casting
from voting.services import conferences
from voting.services import rounds
from voting.services import runoffs
from voting.services.board import export_record
from voting.services.elections import election_of
from voting.services.errors import Invalid
from voting.services.results import round_result

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_conference


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def vote(session, rnd, token: bytes, choices) -> None:
    secret = derive_credential(token, rnd.public_id)
    casting.cast_ballot(session, rnd, encrypt_ballot(election_of(rnd), choices, secret))


def issue(session, conference, round_ids, count) -> list[bytes]:
    issued = cards.issue_cards(session, conference, count=count, spares=0, round_ids=round_ids)
    return [cards.decode_token(c.token_text) for c in issued]


def round_count(session, conference) -> int:
    return session.scalar(select(func.count()).select_from(Round)
                          .where(Round.conference_id == conference.id))


def choose_round(session, conference, *, quota: int, max_choices: int = 1):
    rnd = rounds.create_round(session, conference, "flag", "Suy tôn Cờ thi đua")
    rounds.update_rule(session, rnd, kind=RoundKind.CHOOSE, max_choices=max_choices,
                       comparator=">", num=0, den=1, base="cast", quota=quota)
    return rnd


@pytest.fixture
def tied(session, app):
    """A published choose-1 round among 4 units: units 1 and 2 tie at 2 votes
    each, unit 3 has 1, unit 4 none. Returns (conference, round, tokens, private)."""
    conference = make_conference(session, units=4, delegates=5)
    check_in(session, conference)
    private = complete_key_ceremony(session, conference)
    rnd = choose_round(session, conference, quota=1)
    tokens = issue(session, conference, [rnd.id], 5)
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    for token, choice in zip(tokens, [[[0]], [[1]], [[0]], [[1]], [[2]]], strict=True):
        vote(session, rnd, token, choice)
    rounds.close_round(session, rnd)
    decrypt_and_publish(session, conference, rnd, private)
    fresh(session)
    return conference, session.get(Round, rnd.id), tokens, private


def test_the_first_cards_draw_hidden_reserve_rounds_that_later_cards_cover_too(session):
    conference = make_conference(session, units=2, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    assert runoffs.free_reserves(session, conference.id) == []
    first = issue(session, conference, [rnd.id], 2)
    reserves = runoffs.free_reserves(session, conference.id)
    assert len(reserves) == runoffs.RESERVE_ROUNDS == 3
    assert all(r.is_reserve and r.state == RoundState.DRAFT and not r.candidates
               for r in reserves)
    later = issue(session, conference, [rnd.id], 1)
    assert runoffs.free_reserves(session, conference.id) == reserves  # none new
    for token in first + later:
        x = public_credential(derive_credential(token, reserves[0].public_id)).hex()
        assert session.scalar(select(Credential.round_id).where(Credential.public == x)) \
            == reserves[0].id
    # Hidden from every list: rounds, the cards' choices, the conferences' counts.
    assert conferences.conference_rounds(session, conference) == [rnd]
    assert cards.draft_rounds(session, conference) == [rnd]
    assert [row.rounds for row in conferences.list_conferences(session)] == [1]
    summary = cards.card_summary(session, conference)
    assert [r for r, _n in summary.coverage] == [rnd]
    assert [(r.id, n) for r, n in summary.reserves] == [(r.id, 3) for r in reserves]


def test_a_run_off_takes_a_reserve_over_exactly_the_tied_units(session, tied):
    conference, rnd, _tokens, _private = tied
    reserve = runoffs.free_reserves(session, conference.id)[0]
    assert runoffs.tied_unit_ids(rnd, round_result(session, rnd)) == \
        [u.id for u in conference.units[:2]]
    runoff, on_cards = runoffs.create_runoff(session, rnd, "Bầu lại")
    assert on_cards and runoff.id == reserve.id and not runoff.is_reserve
    assert runoff.runoff_of_id == rnd.id and runoff.title == "Bầu lại"
    assert [u.id for u in runoff.units] == [u.id for u in conference.units[:2]]
    assert (runoff.kind, runoff.max_choices, runoff.rule_quota) == (RoundKind.CHOOSE, 1, 1)
    assert (runoff.rule_comparator, runoff.rule_num, runoff.rule_den, runoff.rule_base) \
        == (">", 0, 1, "cast")
    assert runoff.position == rnd.position + 1 and runoff.state == RoundState.DRAFT
    assert runoffs.runoff_of(session, rnd).id == runoff.id
    assert len(runoffs.free_reserves(session, conference.id)) == 2
    assert conferences.conference_rounds(session, conference)[-1].id == runoff.id


def test_delegates_vote_in_the_run_off_with_their_original_cards(session, app, tied, tmp_path):
    conference, rnd, tokens, private = tied
    runoff, _ = runoffs.create_runoff(session, rnd, "Bầu lại")
    rounds.open_round(session, runoff, app.config["VOTING_KEYS_DIR"])
    assert len(election_of(runoff).credentials) == 5  # every card, none new
    for token, choice in zip(tokens, [[[0]], [[0]], [[1]], [[0]], []], strict=False):
        vote(session, runoff, token, choice or [[]])
    rounds.close_round(session, runoff)
    decrypt_and_publish(session, conference, runoff, private)
    fresh(session)
    result = round_result(session, session.get(Round, runoff.id))
    assert [(o.candidate, o.count, o.status) for o in result.all_outcomes] == [
        (conference.units[0].name, 3, "elected"), (conference.units[1].name, 1, "not_elected")]
    # A run-off on a reserve is, to a verifier, a round like any other (§8.1).
    path = tmp_path / "record.zip"
    path.write_bytes(export_record(session, session.get(Round, runoff.id),
                                   app.config["VOTING_KEYS_DIR"]))
    report = verify_record(path, workers=1)
    assert report.ok and report.ballots == 5, "\n".join(report.lines())
    # The follow-up round starts from the units the tie's run-off elected.
    assert conferences.preselected_units(session, conference, rnd.id) == [conference.units[0].id]


def test_the_run_off_leaves_the_seats_the_tie_left(session, app):
    conference = make_conference(session, units=4, delegates=6)
    check_in(session, conference)
    private = complete_key_ceremony(session, conference)
    rnd = choose_round(session, conference, quota=2, max_choices=2)
    tokens = issue(session, conference, [rnd.id], 3)
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    # unit 1: 3 votes (elected); units 2, 3, 4: 1 each, tied for the second seat.
    for token, choice in zip(tokens, [[[0, 1]], [[0, 2]], [[0, 3]]], strict=True):
        vote(session, rnd, token, choice)
    rounds.close_round(session, rnd)
    decrypt_and_publish(session, conference, rnd, private)
    fresh(session)
    runoff, _ = runoffs.create_runoff(session, session.get(Round, rnd.id), "Bầu lại")
    assert [u.id for u in runoff.units] == [u.id for u in conference.units[1:]]
    assert (runoff.rule_quota, runoff.max_choices) == (1, 1)


@pytest.mark.parametrize("state", ["draft", "published_without_tie", "second"])
def test_a_run_off_is_refused_where_there_is_nothing_to_decide(session, app, tied, state):
    conference, rnd, _tokens, _private = tied
    if state == "draft":
        rnd = rounds.create_round(session, conference, "advanced", "Vòng 2")
    elif state == "published_without_tie":
        rnd = session.get(Round, runoffs.create_runoff(session, rnd, "Bầu lại")[0].id)
        rnd.state = RoundState.PUBLISHED  # published with no result event: no tie
        session.commit()
    else:
        runoffs.create_runoff(session, rnd, "Bầu lại")
    before = (round_count(session, conference), len(runoffs.free_reserves(session,
                                                                           conference.id)))
    with pytest.raises(Invalid):
        runoffs.create_runoff(session, rnd, "Bầu lại lần nữa")
    fresh(session)
    assert (round_count(session, conference),
            len(runoffs.free_reserves(session, conference.id))) == before


def test_without_a_reserve_the_run_off_is_a_new_round_that_needs_cards(session, tied):
    conference, rnd, _tokens, _private = tied
    for reserve in runoffs.free_reserves(session, conference.id):
        reserve.state = RoundState.PUBLISHED  # used up
    session.commit()
    runoff, on_cards = runoffs.create_runoff(session, rnd, "Bầu lại")
    assert not on_cards and not runoff.is_reserve and runoff.runoff_of_id == rnd.id
    assert session.scalar(select(func.count()).select_from(Credential)
                          .where(Credential.round_id == runoff.id)) == 0


def test_a_new_conference_has_its_reserves_before_any_card(session, app):
    """So that cards made offline can cover them: their ids are known (and
    listed on the cards page) before a single card exists."""
    conference = conferences.create_conference(session, "Hội nghị")
    reserves = runoffs.free_reserves(session, conference.id)
    assert len(reserves) == runoffs.RESERVE_ROUNDS
    assert conferences.conference_rounds(session, conference) == []
    assert [r.id for r, _n in cards.card_summary(session, conference).reserves] \
        == [r.id for r in reserves]
    issue(session, conference, [rounds.create_round(session, conference, "advanced",
                                                    "Vòng 1", []).id], 1)
    assert runoffs.free_reserves(session, conference.id) == reserves  # none more


def test_cards_made_offline_with_the_reserve_ids_vote_in_the_run_off(session, app):
    from voting.services import cardfile

    conference = conferences.create_conference(session, "Hội nghị")
    for i, name in enumerate(("Đội A", "Đội B", "Đội C"), start=1):
        conference.units.append(Unit(position=i, name=name))
    for i in range(1, 5):
        conference.delegates.append(Delegate(position=i, name=f"Đại biểu {i}"))
    session.commit()
    check_in(session, conference)
    private = complete_key_ceremony(session, conference)
    rnd = choose_round(session, conference, quota=1)
    reserves = runoffs.free_reserves(session, conference.id)
    # The second reserve only, as an operator might list it: the run-off
    # must take the reserve the cards cover, not merely the oldest.
    issued, document = cardfile.offline_cards([rnd.public_id, reserves[1].public_id],
                                              count=4, spares=0)
    cardfile.import_credentials(session, conference, document)
    tokens = [cards.decode_token(c.token_text) for c in issued]
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    for token, choice in zip(tokens, [[[0]], [[1]], [[0]], [[1]]], strict=True):
        vote(session, rnd, token, choice)
    rounds.close_round(session, rnd)
    decrypt_and_publish(session, conference, rnd, private)
    fresh(session)
    runoff, on_cards = runoffs.create_runoff(session, session.get(Round, rnd.id), "Bầu lại")
    assert on_cards and runoff.id == reserves[1].id
    rounds.open_round(session, runoff, app.config["VOTING_KEYS_DIR"])
    for token in tokens:
        vote(session, runoff, token, [[0]])
    assert len(election_of(runoff).credentials) == 4


def test_a_reserve_no_card_covers_is_never_taken(session, tied):
    conference, rnd, _tokens, _private = tied
    for reserve in runoffs.free_reserves(session, conference.id):
        session.execute(Credential.__table__.delete().where(
            Credential.round_id == reserve.id))  # as if the cards had left them out
    session.commit()
    runoff, on_cards = runoffs.create_runoff(session, rnd, "Bầu lại")
    assert not on_cards and runoff.id not in {r.id for r in runoffs.free_reserves(
        session, conference.id)} and len(runoffs.free_reserves(session, conference.id)) == 3
