"""The audit trail: who changed what, append-only.

One row per state change by a chair, secretary, trustee or the system (a
round closing at its time), written in the same transaction as the
change. No row names a card serial together with a delegate, nor anything
of a ballot: check-in rows say only that a delegate is present or received
*a* card (README, §Audit trail).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import Base
from .base import utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: user, trustee, system or cli.
    actor_kind: Mapped[str] = mapped_column(String(10))
    #: The account's or trustee's id, when there is one.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    #: Username, trustee name, or the system's name for itself.
    actor_name: Mapped[str] = mapped_column(String(200))
    #: The actor's role for this action (admin, chair, secretary, trustee...).
    role: Mapped[str] = mapped_column(String(20))
    #: A dotted verb, e.g. ``round.open``, ``checkin.card``.
    action: Mapped[str] = mapped_column(String(40), index=True)
    conference_id: Mapped[int | None] = mapped_column(
        ForeignKey("conference.id", ondelete="SET NULL"), index=True)
    #: What was acted on, e.g. ``round 12``, ``delegate 40``.
    target: Mapped[str] = mapped_column(String(200), default="")
    #: Canonical JSON of the change's public details; never a secret.
    detail: Mapped[str] = mapped_column(Text, default="{}")
