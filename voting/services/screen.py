"""The hall screen (the projector in the conference hall): which round the
hall sees, and the live figures its page polls. Read-only.

While a round is open or closed the screen shows only counts of people and
ballots (the turnout), never partial results: the result exists only once
the trustees have decrypted it and the chair has published it, and the
screen's page then reads it from the board (``results.round_result``).
"""

from __future__ import annotations

from datetime import datetime
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Conference
from ..models import Round
from ..models import RoundState
from ..models.base import utcnow
from . import rounds

#: The states the hall may see (never a draft).
SHOWN = (RoundState.OPEN, RoundState.CLOSED, RoundState.PUBLISHED)
_EPOCH = datetime.min.replace(tzinfo=UTC)


def current_round(session: Session, conference: Conference) -> Round | None:
    """The round the hall should see, or None before any round opened.

    The open round opened most recently; else the closed or published round
    that changed most recently (its ``published_at``, else ``closed_at``).
    Drafts and reserve rounds are never shown.
    """
    shown = list(session.scalars(select(Round).where(
        Round.conference_id == conference.id, Round.state.in_(SHOWN),
        Round.is_reserve.is_(False))))
    open_rounds = [r for r in shown if r.state == RoundState.OPEN]
    if open_rounds:
        return max(open_rounds, key=lambda r: (_at(r.opened_at), r.id))
    return max(shown, key=lambda r: (max(_at(r.closed_at), _at(r.published_at)), r.id),
               default=None)


def screen_state(session: Session, conference: Conference) -> dict:
    """What the screen's page polls: the conference, its current round, the
    turnout (cast, issued, present, members), the closing time and the
    server's clock, all times ISO 8601 UTC. ``version`` changes whenever the
    page must be rendered again (another round, another state, a result).
    No count of votes is ever in it.
    """
    return round_state(session, conference, current_round(session, conference))


def round_state(session: Session, conference: Conference, rnd: Round | None) -> dict:
    """``screen_state`` for a round already chosen by ``current_round``."""
    state = {"conference": conference.name, "round": None, "turnout": None,
             "closes_at": None, "now": iso_utc(utcnow()), "version": version(rnd)}
    if rnd is None:
        return state
    figures = rounds.turnout(session, rnd)
    state["round"] = {"public_id": rnd.public_id, "title": rnd.title, "state": rnd.state.value}
    state["turnout"] = {"cast": figures.cast, "issued": figures.issued,
                        "present": figures.present, "members": figures.members}
    if rnd.state == RoundState.OPEN and rnd.closes_at is not None:
        state["closes_at"] = iso_utc(rnd.closes_at)
    return state


def version(rnd: Round | None) -> str:
    """Changes with the round shown, its state and its publication."""
    if rnd is None:
        return "none"
    published = iso_utc(rnd.published_at) if rnd.published_at else "-"
    return f"{rnd.id}:{rnd.state.value}:{published}"


def iso_utc(at: datetime) -> str:
    """``at`` as ISO 8601 in UTC with milliseconds: 2025-01-31T08:05:00.000Z."""
    return rounds.aware(at).astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _at(at: datetime | None) -> datetime:
    return rounds.aware(at) if at is not None else _EPOCH
