"""One card, one vote under concurrency, and a board chain that stays whole
when many delegates cast at once. Runs on PostgreSQL (row locks, unique
constraints across connections) and on SQLite (serialised writers)."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func
from sqlalchemy import select

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.verifier import verify_record
from voting.db import new_session
from voting.models import Ballot
from voting.models import BoardEvent
from voting.services import casting
from voting.services import rounds
from voting.services.board import export_record
from voting.services.elections import election_of
from voting.services.errors import AlreadyVoted

from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_conference
from ..factories import make_open_round


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request):
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


def _prepare(app, cards: int):
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s, units=2, delegates=cards)
        private = complete_key_ceremony(s, conference)
        rnd, tokens = make_open_round(s, conference, app.config["VOTING_KEYS_DIR"], cards=cards)
        election = election_of(rnd)
        round_id, public_id = rnd.id, rnd.public_id
        s.close()
    return round_id, public_id, election, tokens, private


def _submit_all(app, round_id: int, ballots: list[dict], threads: int) -> list:
    """Submit every ballot from its own session, released together (fewer
    threads than the pool has connections, so that none waits for one)."""
    start = threading.Barrier(min(threads, len(ballots)))

    def submit(ballot):
        with app.app_context():
            s = new_session(app)
            try:
                rnd = rounds.get_round(s, round_id)
                try:
                    start.wait(timeout=30)
                except threading.BrokenBarrierError:
                    pass
                return casting.cast_ballot(s, rnd, ballot)
            except AlreadyVoted as exc:
                return exc
            finally:
                s.close()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(submit, ballots))


def _stored(app, round_id: int) -> tuple[int, int]:
    with app.app_context():
        s = new_session(app)
        ballots = s.scalar(select(func.count()).select_from(Ballot)
                           .where(Ballot.round_id == round_id))
        events = s.scalar(select(func.count()).select_from(BoardEvent)
                          .where(BoardEvent.round_id == round_id))
        s.close()
    return ballots, events


def test_fifty_concurrent_ballots_from_one_card_store_exactly_one(any_app):
    round_id, public_id, election, tokens, _ = _prepare(any_app, cards=2)
    secret = derive_credential(tokens[0], public_id)
    ballots = [encrypt_ballot(election, [[k % 2], [(k // 2) % 2]], secret) for k in range(50)]
    results = _submit_all(any_app, round_id, ballots, threads=12)
    receipts = [r for r in results if not isinstance(r, Exception)]
    assert len(receipts) == 1
    assert sum(isinstance(r, AlreadyVoted) for r in results) == 49
    assert _stored(any_app, round_id) == (1, 3)  # setup, open, one ballot


def test_two_hundred_concurrent_distinct_ballots_are_all_stored_on_one_chain(any_app):
    round_id, public_id, election, tokens, private = _prepare(any_app, cards=200)
    ballots = [encrypt_ballot(election, [[k % 2], []], derive_credential(t, public_id))
               for k, t in enumerate(tokens)]
    results = _submit_all(any_app, round_id, ballots, threads=12)
    assert not [r for r in results if isinstance(r, Exception)]
    assert len({r.tracker for r in results}) == 200
    assert sorted(r.seq for r in results) == list(range(2, 202))
    assert _stored(any_app, round_id) == (200, 202)
    with any_app.app_context():
        s = new_session(any_app)
        rnd = rounds.get_round(s, round_id)
        rounds.close_round(s, rnd)
        result = decrypt_and_publish(s, rnd.conference, rnd, private)
        record = export_record(s, rnd, any_app.config["VOTING_KEYS_DIR"])
        s.close()
    assert result["counts"] == [[100, 100], [0, 0]]
    report = verify_record(io.BytesIO(record), workers=1)
    assert report.ok, "\n".join(report.lines())
