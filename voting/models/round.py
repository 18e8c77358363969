"""Rounds: one sitting of one secret ballot, with its rule and its state."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from ..errors import IllegalTransition
from .base import Base
from .conference import Conference
from .conference import Unit


class RoundKind(enum.StrEnum):
    #: One agree/disagree contest per candidate unit (blank allowed).
    PER_UNIT = "per_unit"
    #: One contest: choose up to k of the candidate units.
    CHOOSE = "choose"


class RoundState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    #: Closed; the encrypted tally is on the board, awaiting trustees.
    CLOSED = "closed"
    #: The result is on the board.
    PUBLISHED = "published"


#: Legal moves of the state machine; a closed round never reopens.
TRANSITIONS = {
    RoundState.DRAFT: {RoundState.OPEN},
    RoundState.OPEN: {RoundState.CLOSED},
    RoundState.CLOSED: {RoundState.PUBLISHED},
    RoundState.PUBLISHED: set(),
}


class Round(Base):
    __tablename__ = "round"
    __table_args__ = (
        CheckConstraint("rule_num >= 0 AND rule_num <= rule_den AND rule_den >= 1",
                        name="fraction"),
        CheckConstraint("rule_comparator IN ('>', '>=')", name="comparator"),
        CheckConstraint("max_choices >= 1", name="max_choices"),
        CheckConstraint(
            "rule_base IN ('members', 'present', 'issued', 'cast', 'valid')", name="base"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The protocol's round id (PROTOCOL §5.1): random, public, in URLs.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    #: advanced, determined, flag or custom: how the round was made.
    template: Mapped[str] = mapped_column(String(20))
    kind: Mapped[RoundKind] = mapped_column(Enum(RoundKind, native_enum=False, length=20))
    #: k of "choose up to k"; 1 for per-unit rounds.
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    rule_comparator: Mapped[str] = mapped_column(String(2), default=">")
    rule_num: Mapped[int] = mapped_column(Integer, default=1)
    rule_den: Mapped[int] = mapped_column(Integer, default=2)
    rule_base: Mapped[str] = mapped_column(String(10), default="present")
    #: At most this many winners, ranked by count; None for no quota.
    rule_quota: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[RoundState] = mapped_column(Enum(RoundState, native_enum=False, length=20),
                                              default=RoundState.DRAFT)
    #: The election object frozen at open (canonical JSON) and its fingerprint.
    election_json: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: The board's head hash and length, updated under the row lock.
    head: Mapped[str] = mapped_column(String(64), default="0" * 64)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Bases frozen at close.
    members: Mapped[int | None] = mapped_column(Integer)
    present: Mapped[int | None] = mapped_column(Integer)
    issued: Mapped[int | None] = mapped_column(Integer)
    cast: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    #: When an open round closes by itself, if the chair set a time.
    closes_at: Mapped[datetime | None] = mapped_column()
    #: A draft kept in reserve: the conference's first cards cover it, so
    #: that an unplanned run-off can be voted on the same cards (§8.1).
    #: Hidden from every list until a run-off takes it.
    is_reserve: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The round whose tie at the cut-off this round decides, if any.
    runoff_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("round.id", ondelete="SET NULL"))

    conference: Mapped[Conference] = relationship()
    candidates: Mapped[list[RoundUnit]] = relationship(back_populates="round",
                                                       order_by="RoundUnit.position",
                                                       cascade="all, delete-orphan")

    def move_to(self, target: RoundState) -> None:
        """Change state along a legal move only.

        :raises IllegalTransition: for any other move.
        """
        if target not in TRANSITIONS[self.state]:
            raise IllegalTransition(self.state.value, target.value)
        self.state = target

    @property
    def units(self) -> list[Unit]:
        return [c.unit for c in self.candidates]


class RoundUnit(Base):
    """A candidate unit of a round, in ballot order."""

    __tablename__ = "round_unit"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)

    round: Mapped[Round] = relationship(back_populates="candidates")
    unit: Mapped[Unit] = relationship()



