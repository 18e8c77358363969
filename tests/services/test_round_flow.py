"""A whole round through the services: the record the app publishes
passes the independent verifier."""

from __future__ import annotations

import io

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.verifier import verify_record
from voting.models import RoundState
from voting.services import casting
from voting.services import rounds
from voting.services import tallying
from voting.services.board import export_record
from voting.services.elections import election_of
from voting.services.errors import AlreadyVoted
from voting.services.errors import IllegalTransition
from voting.services.errors import KeyNotReady
from voting.services.errors import RoundNotOpen

from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_cards
from ..factories import make_conference
from ..factories import make_open_round


def keys_dir(app):
    return app.config["VOTING_KEYS_DIR"]


def vote(session, rnd, token, choices):
    election = election_of(rnd)
    ballot = encrypt_ballot(election, choices, derive_credential(token, rnd.public_id))
    return ballot, casting.cast_ballot(session, rnd, ballot)


def test_a_round_end_to_end_verifies(app, session, tmp_path):
    conference = make_conference(session, units=3, delegates=6)
    private = complete_key_ceremony(session, conference)
    rnd, tokens = make_open_round(session, conference, keys_dir(app), cards=5)
    choices = [[[0], [0], [1]], [[0], [1], []], [[0], [], [0]], [[1], [0], [0]]]
    for token, choice in zip(tokens, choices, strict=False):
        vote(session, rnd, token, choice)
    rounds.close_round(session, rnd)
    result = decrypt_and_publish(session, conference, rnd, private)
    assert result["counts"] == [[3, 1], [2, 1], [2, 1]]
    assert rnd.state == RoundState.PUBLISHED
    path = tmp_path / "record.zip"
    path.write_bytes(export_record(session, rnd, keys_dir(app)))
    report = verify_record(path, workers=1)
    assert report.ok, "\n".join(report.lines())
    assert report.ballots == 4


def test_same_ballot_twice_gets_the_same_receipt_and_another_is_refused(app, session):
    conference = make_conference(session)
    complete_key_ceremony(session, conference)
    rnd, tokens = make_open_round(session, conference, keys_dir(app))
    ballot, receipt = vote(session, rnd, tokens[0], [[0], [0], [0]])
    again = casting.cast_ballot(session, rnd, ballot)
    assert receipt.created and not again.created
    assert again.to_json() == receipt.to_json()
    with pytest.raises(AlreadyVoted):
        vote(session, rnd, tokens[0], [[1], [1], [1]])


def test_round_cannot_open_without_a_key(app, session):
    conference = make_conference(session)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    make_cards(session, conference, [rnd.id], 2)
    with pytest.raises(KeyNotReady):
        rounds.open_round(session, rnd, keys_dir(app))


def test_closed_round_never_reopens_and_refuses_ballots(app, session):
    conference = make_conference(session)
    complete_key_ceremony(session, conference)
    rnd, tokens = make_open_round(session, conference, keys_dir(app))
    rounds.close_round(session, rnd)
    with pytest.raises(IllegalTransition):
        rounds.open_round(session, rnd, keys_dir(app))
    with pytest.raises(RoundNotOpen):
        vote(session, rnd, tokens[0], [[0], [0], [0]])


def test_empty_round_publishes_zero_counts_and_verifies(app, session, tmp_path):
    conference = make_conference(session)
    complete_key_ceremony(session, conference)
    rnd, _ = make_open_round(session, conference, keys_dir(app), template="flag")
    rounds.close_round(session, rnd)
    result = tallying.publish_result(session, rnd)
    assert result["counts"] == [[0, 0, 0]] and result["trustees"] == []
    path = tmp_path / "record.zip"
    path.write_bytes(export_record(session, rnd, keys_dir(app)))
    assert verify_record(io.BytesIO(path.read_bytes()), workers=1).ok


def test_a_round_whose_k_exceeds_its_candidates_cannot_open(session, app):
    """The rule was fine for three units, then the candidates became one:
    opening refuses it (a delegate cannot choose 2 of 1)."""
    from voting.models import RoundKind
    from voting.services.errors import Invalid

    conference = make_conference(session, units=3, delegates=0)
    complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "flag", "Cờ")
    rounds.update_rule(session, rnd, kind=RoundKind.CHOOSE, max_choices=2, comparator=">",
                       num=1, den=2, base="cast", quota=None)
    rounds.set_candidates(session, rnd, [conference.units[0].id])
    session.commit()
    make_cards(session, conference, [rnd.id], 1)
    with pytest.raises(Invalid, match=r"k \(2\) is more than the 1 candidate units"):
        rounds.open_round(session, rnd, keys_dir(app))
    session.rollback()
    assert rnd.state == RoundState.DRAFT
