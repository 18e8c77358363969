"""Appending to a round's board and exporting its record (PROTOCOL §9, §13).

Appends happen under the round's row lock (``lock_round``), so concurrent
workers extend one chain; the (round, seq) unique constraint backs it up.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto.board import make_event
from ..crypto.hashing import canonical_json
from ..crypto.hashing import hash32
from ..crypto.record import write_record
from ..models import BoardEvent
from ..models import Round
from .errors import NotFound
from .locking import lock_row
from .server_key import load_server_key


def lock_round(session: Session, round_id: int) -> Round:
    """Start a write on a round: load it under a row lock (:func:`lock_row`)."""
    rnd = lock_row(session, Round, round_id, Round.event_count)
    if rnd is None:
        raise NotFound("no such round")
    return rnd


def append_event(session: Session, rnd: Round, kind: str, body: dict) -> BoardEvent:
    """Add the next event to ``rnd``'s chain (the caller holds the lock and commits)."""
    event = make_event(rnd.event_count, bytes.fromhex(rnd.head), kind, body)
    line = canonical_json(event)
    row = BoardEvent(round_id=rnd.id, seq=rnd.event_count, kind=kind, line=line.decode(),
                     hash=hash32("event", line).hex())
    session.add(row)
    rnd.head, rnd.event_count = row.hash, rnd.event_count + 1
    return row


def events(session: Session, rnd: Round, kind: str | None = None) -> list[BoardEvent]:
    query = select(BoardEvent).where(BoardEvent.round_id == rnd.id).order_by(BoardEvent.seq)
    if kind is not None:
        query = query.where(BoardEvent.kind == kind)
    return list(session.scalars(query))


def event_bodies(session: Session, rnd: Round, kind: str) -> list[dict]:
    return [json.loads(e.line)["body"] for e in events(session, rnd, kind)]


def record_lines(session: Session, rnd: Round) -> Iterator[bytes]:
    """The board's canonical lines in order, streamed from the database."""
    query = (select(BoardEvent.line).where(BoardEvent.round_id == rnd.id)
             .order_by(BoardEvent.seq).execution_options(yield_per=100))
    for line in session.scalars(query):
        yield line.encode()


def has_tally(session: Session, rnd: Round) -> bool:
    """Whether the round's board holds its tally event (§9.2: it follows close)."""
    query = select(BoardEvent.seq).where(BoardEvent.round_id == rnd.id,
                                         BoardEvent.kind == "tally").limit(1)
    return session.scalar(query) is not None


def board_bytes(session: Session, rnd: Round) -> bytes:
    """The board as it stands, as the record's ``board.jsonl`` holds it (§13):
    one canonical event per line, each line ending with a newline."""
    return b"".join(line + b"\n" for line in record_lines(session, rnd))


def export_record(session: Session, rnd: Round, record_key) -> bytes:
    """The round's signed record zip (PROTOCOL §13) as bytes.

    :param record_key: the installation's key, or a keys folder
        (``server_key.load_server_key``).
    """
    if rnd.event_count == 0:
        raise NotFound("this round has no board yet")
    buffer = io.BytesIO()
    write_record(buffer, record_lines(session, rnd), load_server_key(record_key))
    return buffer.getvalue()
