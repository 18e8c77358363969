"""Accepted ballots. No timestamp and no link to a person, by design."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import Base


class Ballot(Base):
    __tablename__ = "ballot"
    #: One ballot per credential per round, enforced by the database.
    __table_args__ = (UniqueConstraint("round_id", "credential"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    credential: Mapped[str] = mapped_column(String(64))
    tracker: Mapped[str] = mapped_column(String(64), unique=True)
    #: The ballot's board event number.
    seq: Mapped[int] = mapped_column(Integer)
    #: Its ciphertexts as alpha||beta, 64 bytes an entry, for the tally.
    blob: Mapped[bytes] = mapped_column(LargeBinary)


class CiphertextAlpha(Base):
    """Every alpha accepted in a round: a copied ciphertext is refused
    (PROTOCOL §8.5 rule 6)."""

    __tablename__ = "ciphertext_alpha"

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          primary_key=True)
    alpha: Mapped[str] = mapped_column(String(64), primary_key=True)
