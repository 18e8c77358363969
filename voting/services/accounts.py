"""Chair and auditor accounts: Argon2id password hashes (argon2-cffi)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Role
from ..models import User
from .errors import Invalid

_hasher = PasswordHasher()  # RFC 9106 "low memory" profile: 64 MiB, t=3
#: Verified against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not a password")
MIN_PASSWORD = 10


def create_user(session: Session, username: str, display_name: str, password: str,
                role: Role) -> User:
    """:raises Invalid: empty or taken username, or a short password."""
    username = username.strip()
    if not username or len(username) > 120:
        raise Invalid("a username is 1 to 120 characters")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password has at least {MIN_PASSWORD} characters")
    if session.scalar(select(User).where(User.username == username)):
        raise Invalid("that username is taken")
    user = User(username=username, display_name=(display_name or username).strip()[:200],
                password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.commit()
    return user


def bootstrap_chair(session: Session) -> str | None:
    """On an empty database, create the account ``chair`` with a random
    password and return that password (to be shown once); else None."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(12)
    create_user(session, "chair", "Chair", password, Role.CHAIR)
    return password
