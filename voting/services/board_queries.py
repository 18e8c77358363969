"""Read-only queries behind the public board and the phone's API
(PROTOCOL §8.4, §9). Nothing here writes; ``board.py`` appends.

Draft rounds are not public: they have no board yet and are reported as
not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto.ballot import CROCKFORD
from ..crypto.ballot import short_tracker
from ..models import Ballot
from ..models import BoardEvent
from ..models import Conference
from ..models import Round
from ..models import RoundState
from .errors import NotFound

#: Board events shown per page.
PER_PAGE = 100
GENESIS = "0" * 64
_HEX = frozenset("0123456789abcdef")
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def open_rounds(session: Session) -> list[Round]:
    """Every round open for voting now, by conference and position."""
    return list(session.scalars(select(Round).where(Round.state == RoundState.OPEN)
                                .order_by(Round.conference_id, Round.position)))


def listed_rounds(session: Session) -> list[tuple[Conference, list[Round]]]:
    """Each conference with its non-draft rounds, newest conference first."""
    rows = session.scalars(
        select(Round).join(Conference).where(Round.state != RoundState.DRAFT)
        .order_by(Conference.id.desc(), Round.position))
    grouped: dict[int, tuple[Conference, list[Round]]] = {}
    for rnd in rows:
        grouped.setdefault(rnd.conference_id, (rnd.conference, []))[1].append(rnd)
    return list(grouped.values())


def public_round(session: Session, public_id: str) -> Round:
    """:raises NotFound: no such round, or a draft."""
    rnd = session.scalar(select(Round).where(Round.public_id == public_id))
    if rnd is None or rnd.state == RoundState.DRAFT:
        raise NotFound("no such round")
    return rnd


@dataclass(frozen=True)
class EventRow:
    seq: int
    kind: str
    hash: str
    #: The previous event's hash (zeros for event 0): what the event's own
    #: ``parent`` field holds; the verifier checks every link.
    parent: str
    #: The ballot's tracker, for ballot events.
    tracker: str | None

    @property
    def short_tracker(self) -> str | None:
        return short_tracker(bytes.fromhex(self.tracker)) if self.tracker else None


@dataclass(frozen=True)
class EventPage:
    rows: list[EventRow]
    page: int
    pages: int


def event_page(session: Session, rnd: Round, page: int) -> EventPage:
    """One page of the chain (1-based, clamped to the pages there are)."""
    pages = max(1, -(-rnd.event_count // PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PER_PAGE
    rows = session.execute(
        select(BoardEvent.seq, BoardEvent.kind, BoardEvent.hash, Ballot.tracker)
        .outerjoin(Ballot, and_(Ballot.round_id == BoardEvent.round_id,
                                Ballot.seq == BoardEvent.seq))
        .where(BoardEvent.round_id == rnd.id, BoardEvent.seq >= start - 1,
               BoardEvent.seq < start + PER_PAGE)
        .order_by(BoardEvent.seq)).all()
    out, parent = [], GENESIS
    for seq, kind, hash_, track in rows:
        if seq >= start:
            out.append(EventRow(seq, kind, hash_, parent, track))
        parent = hash_
    return EventPage(out, page, pages)


def tracker_prefix(text: str) -> str | None:
    """The hex a typed tracker must start with: all 64 hex digits of a full
    tracker, or the 10 of a short one (XXXX-XXXX, Crockford base 32, any case,
    O/I/L read as 0/1). None if the text is neither."""
    text = (text or "").strip()
    if len(text) == 64 and set(text.lower()) <= _HEX:
        return text.lower()
    digits = text.upper().translate(_ALIASES)
    if len(digits) != 8 or any(ch not in CROCKFORD for ch in digits):
        return None
    value = 0
    for ch in digits:
        value = value * 32 + CROCKFORD.index(ch)
    return f"{value:010x}"


def find_ballots(session: Session, rnd: Round, prefix: str) -> list[Ballot]:
    """The round's ballots whose tracker starts with ``prefix`` (hex)."""
    return list(session.scalars(select(Ballot).where(Ballot.round_id == rnd.id,
                                                     Ballot.tracker.startswith(prefix))
                                .order_by(Ballot.seq)))


def ballot_event(session: Session, rnd: Round, tracker: str) -> tuple[Ballot, BoardEvent]:
    """A ballot of the round by its full tracker, and its board event.

    :raises NotFound: no such ballot in this round.
    """
    ballot = session.scalar(select(Ballot).where(Ballot.round_id == rnd.id,
                                                 Ballot.tracker == tracker))
    if ballot is None:
        raise NotFound("no ballot with this tracker in this round")
    event = session.scalar(select(BoardEvent).where(BoardEvent.round_id == rnd.id,
                                                    BoardEvent.seq == ballot.seq))
    return ballot, event
