"""Ballot cards: only serials and public credentials; tokens are never stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from .base import Base
from .base import utcnow


class Card(Base):
    __tablename__ = "card"
    __table_args__ = (UniqueConstraint("conference_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    #: Printed on the card; used to revoke a lost card.
    serial: Mapped[int] = mapped_column(Integer)
    is_spare: Mapped[bool] = mapped_column(Boolean, default=False)
    is_revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    credentials: Mapped[list[Credential]] = relationship(back_populates="card",
                                                         cascade="all, delete-orphan")


class Credential(Base):
    """A card's public credential X for one round (PROTOCOL §8.1)."""

    __tablename__ = "credential"
    __table_args__ = (UniqueConstraint("round_id", "public"),
                      UniqueConstraint("round_id", "card_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    #: X = x·B as hex.
    public: Mapped[str] = mapped_column(String(64))

    card: Mapped[Card] = relationship(back_populates="credentials")
