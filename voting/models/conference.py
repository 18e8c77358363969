"""A conference, its candidate units, delegates and trustees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from .base import Base
from .base import utcnow


class Conference(Base):
    __tablename__ = "conference"
    __table_args__ = (
        CheckConstraint("threshold >= 1 AND threshold <= trustee_count AND trustee_count <= 32",
                        name="threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: n and t of the key ceremony.
    trustee_count: Mapped[int] = mapped_column(Integer, default=3)
    threshold: Mapped[int] = mapped_column(Integer, default=2)
    #: Joint public key K (hex), set when the key ceremony completes.
    public_key: Mapped[str | None] = mapped_column(String(64))
    #: The dealers' commitments and proofs (JSON list, PROTOCOL §4).
    dealers_json: Mapped[str | None] = mapped_column(Text)
    #: Which ceremony made the key: "distributed" or "dealer" (PROTOCOL §4.1).
    key_ceremony: Mapped[str | None] = mapped_column(String(20))
    #: The distributed key generation's attempt, 1 + the restarts (§4.5).
    ceremony_attempt: Mapped[int] = mapped_column(Integer, default=1)
    #: For the minutes' header: the organising body and the place (city)
    #: of the date line.
    organiser: Mapped[str] = mapped_column(String(300), default="")
    place: Mapped[str] = mapped_column(String(100), default="")
    #: The counting committee (Ban kiểm phiếu) as a JSON list of
    #: {"name", "role"}, the head first.
    committee_json: Mapped[str] = mapped_column(Text, default="[]")
    #: The conference's own round templates, JSON {template: rule}; a
    #: template not named here is the built-in one.
    templates_json: Mapped[str] = mapped_column(Text, default="{}")

    units: Mapped[list[Unit]] = relationship(back_populates="conference",
                                             order_by="Unit.position",
                                             cascade="all, delete-orphan")
    delegates: Mapped[list[Delegate]] = relationship(back_populates="conference",
                                                     order_by="Delegate.position",
                                                     cascade="all, delete-orphan")
    trustees: Mapped[list[Trustee]] = relationship(back_populates="conference",
                                                   order_by="Trustee.index",
                                                   cascade="all, delete-orphan")

    @property
    def has_key(self) -> bool:
        return self.public_key is not None


class Unit(Base):
    """A candidate unit (đơn vị) of the conference."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("conference_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    #: Free text shown under the name (e.g. the cluster or the leader).
    note: Mapped[str] = mapped_column(String(500), default="")

    conference: Mapped[Conference] = relationship(back_populates="units")


class Delegate(Base):
    """A delegate entitled to vote. Records presence and that *a* card was
    handed over, never which card."""

    __tablename__ = "delegate"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    #: The delegate's unit or organisation, as imported.
    organisation: Mapped[str] = mapped_column(String(300), default="")
    is_present: Mapped[bool] = mapped_column(Boolean, default=False)
    has_card: Mapped[bool] = mapped_column(Boolean, default=False)

    conference: Mapped[Conference] = relationship(back_populates="delegates")


class Trustee(Base):
    """A holder of one key share (PROTOCOL §4)."""

    __tablename__ = "trustee"
    __table_args__ = (UniqueConstraint("conference_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    #: 1..n, the x-coordinate of the trustee's share.
    index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the invitation token; the token itself is never stored.
    invite_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The trustee's enrolment public key (hex), derived in their browser
    #: from their passphrase; shares are encrypted to it.
    enrolment_key: Mapped[str | None] = mapped_column(String(64))
    #: KDF salt (hex) the browser used with the passphrase.
    kdf_salt: Mapped[str | None] = mapped_column(String(64))
    #: The distributed key generation of the current attempt (§4.5). Each
    #: column is public or sealed to a trustee's enrolment key: the commit's
    #: hash, the dealer's coefficients sealed to its own key (deleted at the
    #: reveal), and the reveal (commitments, proofs, one sealed share per
    #: trustee) as JSON.
    commitment_hash: Mapped[str | None] = mapped_column(String(64))
    sealed_coefficients: Mapped[str | None] = mapped_column(Text)
    reveal_json: Mapped[str | None] = mapped_column(Text)
    #: The dealer (index) whose share this trustee found bad, if any.
    complaint_against: Mapped[int | None] = mapped_column(Integer)
    #: K_i (hex), the public share, set when the key is made.
    public_share: Mapped[str | None] = mapped_column(String(64))
    enrolled_at: Mapped[datetime | None] = mapped_column()
    committed_at: Mapped[datetime | None] = mapped_column()
    revealed_at: Mapped[datetime | None] = mapped_column()
    #: When the trustee's browser confirmed s_i·B = K_i.
    share_checked_at: Mapped[datetime | None] = mapped_column()

    conference: Mapped[Conference] = relationship(back_populates="trustees")
