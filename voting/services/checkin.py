"""Check-in at the door: who is present, and who received *a* ballot card.

Secrecy by table design (``voting.models``): this records only that a delegate
received a card, never which one; nothing here takes a card or a serial.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Conference
from ..models import Delegate
from .errors import NotFound


@dataclass(frozen=True)
class Counts:
    #: Delegates entitled to vote, present, and holding a card.
    members: int
    present: int
    issued: int


def counts(session: Session, conference: Conference) -> Counts:
    row = session.execute(
        select(func.count(), func.count().filter(Delegate.is_present),
               func.count().filter(Delegate.has_card))
        .where(Delegate.conference_id == conference.id)).one()
    return Counts(row[0], row[1], row[2])


def folded(text: str) -> str:
    """Lower case without diacritics, so that "nguyen van" finds "Nguyễn Văn"."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_delegates(session: Session, conference: Conference, query: str = "") -> list[Delegate]:
    """The conference's delegates in list order, those whose name or
    organisation contains every word of ``query`` (ignoring case and accents)."""
    delegates = session.scalars(select(Delegate).where(Delegate.conference_id == conference.id)
                                .order_by(Delegate.position))
    words = folded(query).split()
    return [d for d in delegates
            if all(w in folded(f"{d.name} {d.organisation}") for w in words)]


def get_delegate(session: Session, conference: Conference, delegate_id: int) -> Delegate:
    delegate = session.get(Delegate, delegate_id)
    if delegate is None or delegate.conference_id != conference.id:
        raise NotFound("no such delegate in this conference")
    return delegate


def set_present(session: Session, delegate: Delegate, is_present: bool) -> None:
    """Mark a delegate present or absent."""
    delegate.is_present = is_present
    session.commit()


def set_card(session: Session, delegate: Delegate, has_card: bool) -> None:
    """Record that the delegate received a card (or gave it back). A card is
    handed over in the hall, so receiving one also marks the delegate present."""
    delegate.has_card = has_card
    if has_card:
        delegate.is_present = True
    session.commit()
