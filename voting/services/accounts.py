"""Accounts: Argon2id password hashes (argon2-cffi), roles, disabling, and
ending every session of an account (``User.session_version``)."""

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
from . import audit_trail
from .errors import Invalid
from .errors import NotFound

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
    if not isinstance(role, Role):
        raise Invalid("unknown role")
    user = User(username=username, display_name=(display_name or username).strip()[:200],
                password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    audit_trail.record(session, "account.create", target=f"account {username}",
                       detail={"role": role.value})
    session.commit()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.is_disabled:
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
    password = new_password()
    create_user(session, "chair", "Chair", password, Role.ADMIN)
    return password


def new_password() -> str:
    """A random password (96 bits) to show once."""
    return secrets.token_urlsafe(12)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every session of ``user``, on every device (logout)."""
    user.session_version += 1
    audit_trail.record(session, "account.logout", target=f"account {user.username}")
    session.commit()


def reset_password(session: Session, user: User) -> str:
    """Give ``user`` a new random password and end its sessions.

    :returns: the password, to be shown once; only its hash is stored.
    """
    password = new_password()
    user.password_hash = _hasher.hash(password)
    user.session_version += 1
    audit_trail.record(session, "account.password", target=f"account {user.username}")
    session.commit()
    return password


def set_disabled(session: Session, user: User, is_disabled: bool, by: User) -> None:
    """Disable (ending its sessions) or enable an account.

    :raises Invalid: an administrator disabling their own account.
    """
    if is_disabled and user.id == by.id:
        raise Invalid("you cannot disable your own account")
    user.is_disabled = is_disabled
    if is_disabled:
        user.session_version += 1
    audit_trail.record(session, "account.disable" if is_disabled else "account.enable",
                       target=f"account {user.username}")
    session.commit()


def set_role(session: Session, user: User, role: Role, by: User) -> None:
    """Change an account's own role (its part in each conference is its
    memberships). Ends its sessions, which carried the old role.

    :raises Invalid: an unknown role, or an administrator demoting themself.
    """
    if not isinstance(role, Role):
        raise Invalid("unknown role")
    if user.id == by.id and role != Role.ADMIN:
        raise Invalid("you cannot take away your own administration")
    user.role = role
    user.session_version += 1
    audit_trail.record(session, "account.role", target=f"account {user.username}",
                       detail={"role": role.value})
    session.commit()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
