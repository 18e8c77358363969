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
from . import audit_trail
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


#: Delegates per page of the check-in list: a page of 5,000 rows, each with
#: its two forms, would weigh megabytes on the door staff's phones.
PAGE_SIZE = 100


@dataclass(frozen=True)
class DelegatePage:
    delegates: list[Delegate]
    #: Delegates matching the query, on every page.
    total: int
    #: This page's number (from 1) and the number of pages (at least 1).
    page: int
    pages: int


def _matching_ids(session: Session, conference_id: int, query: str) -> list[int]:
    """Ids of the delegates matching every word of ``query``, in list order."""
    rows = session.execute(select(Delegate.id, Delegate.name, Delegate.organisation)
                           .where(Delegate.conference_id == conference_id)
                           .order_by(Delegate.position)).all()
    words = folded(query).split()
    return [r.id for r in rows if all(w in folded(f"{r.name} {r.organisation}") for w in words)]


def search_delegates(session: Session, conference: Conference, query: str = "",
                     page: int = 1) -> DelegatePage:
    """One page of the conference's delegates in list order, those whose
    name or organisation contains every word of ``query`` (ignoring case
    and accents). A page beyond the last is the last."""
    ids = _matching_ids(session, conference.id, query)
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = ids[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    delegates = session.scalars(select(Delegate).where(Delegate.id.in_(shown))
                                .order_by(Delegate.position)).all() if shown else []
    return DelegatePage(list(delegates), len(ids), page, pages)


def page_of(session: Session, delegate: Delegate, query: str = "") -> int:
    """The page of the list (with ``query``) that shows ``delegate``."""
    ids = _matching_ids(session, delegate.conference_id, query)
    return ids.index(delegate.id) // PAGE_SIZE + 1 if delegate.id in ids else 1


def get_delegate(session: Session, conference: Conference, delegate_id: int) -> Delegate:
    delegate = session.get(Delegate, delegate_id)
    if delegate is None or delegate.conference_id != conference.id:
        raise NotFound("no such delegate in this conference")
    return delegate


def set_present(session: Session, delegate: Delegate, is_present: bool) -> None:
    """Mark a delegate present or absent."""
    if delegate.is_present != is_present:
        _record(session, delegate, "checkin.present", is_present)
    delegate.is_present = is_present
    session.commit()


def _record(session: Session, delegate: Delegate, action: str, value: bool) -> None:
    """The audit row says present, or *a* card handed out: nothing else."""
    audit_trail.record(session, action, conference_id=delegate.conference_id,
                       target=f"delegate {delegate.id}", detail={"value": value})


def set_card(session: Session, delegate: Delegate, has_card: bool) -> None:
    """Record that the delegate received a card (or gave it back). A card is
    handed over in the hall, so receiving one also marks the delegate present."""
    if delegate.has_card != has_card:
        _record(session, delegate, "checkin.card", has_card)
    delegate.has_card = has_card
    if has_card:
        delegate.is_present = True
    session.commit()
