"""The public board: each round's hash-chained events (PROTOCOL §9)."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import Base


class BoardEvent(Base):
    __tablename__ = "board_event"
    __table_args__ = (UniqueConstraint("round_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    #: The event's canonical JSON, exactly as it goes into the record.
    line: Mapped[str] = mapped_column(Text)
    #: H32("event", line) as hex.
    hash: Mapped[str] = mapped_column(String(64))
