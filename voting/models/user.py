"""Accounts for the people who log in, and their part in each conference.

An account's ``role`` says what it may do anywhere: an administrator
manages accounts and every conference; a chair may create conferences (and
owns those); secretaries and auditors act only where a conference's owner
made them members. ``Membership`` gives an account its role in one
conference.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from .base import Base
from .base import utcnow


class Role(enum.StrEnum):
    #: Manages accounts; acts as a chair in every conference.
    ADMIN = "admin"
    CHAIR = "chair"
    #: Check-in, cards and the hall screen's closing time; never open,
    #: close or publish.
    SECRETARY = "secretary"
    #: Reads everything of a conference (the audit trail, the exports);
    #: changes nothing.
    AUDITOR = "auditor"


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name (an e-mail address or a short name), unique.
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    #: Argon2id hash; the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A disabled account cannot log in, and its sessions end.
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Part of every session cookie; raising it (logout, a new password,
    #: disabling) ends every session of the account on the server.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    def get_id(self) -> str:
        """Flask-Login's session id: the account and its session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account is logged out
        return not self.is_disabled

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Membership(Base):
    """An account's role in one conference: its owner chair, a secretary
    or an auditor."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("conference_id", "user_id"),
                      CheckConstraint("role IN ('CHAIR', 'SECRETARY', 'AUDITOR')",
                                      name="role"))

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20,
                                            create_constraint=False))

    user: Mapped[User] = relationship()
