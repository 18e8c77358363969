"""Who may do what in which conference (per-conference roles).

An administrator acts as the chair of every conference. Anyone else acts
in a conference only through a ``Membership``: its owner chair (who made
it), secretaries (check-in, cards, the closing time) and auditors
(read-only). An account whose own role is auditor reads every conference:
an installation's appointed observer. A chair of conference A is nobody in
conference B.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Conference
from ..models import Membership
from ..models import Role
from ..models import User
from . import audit_trail
from .errors import Invalid
from .errors import NotFound

#: The roles a membership can give.
MEMBER_ROLES = (Role.CHAIR, Role.SECRETARY, Role.AUDITOR)


def role_in(session: Session, user: User, conference_id: int) -> Role | None:
    """``user``'s role in the conference: chair, secretary, auditor or None."""
    if user.is_disabled:
        return None
    if user.is_admin:
        return Role.CHAIR
    role = session.scalar(select(Membership.role).where(Membership.conference_id == conference_id,
                                                        Membership.user_id == user.id))
    if role is not None:
        return role
    return Role.AUDITOR if user.role == Role.AUDITOR else None


def may_create_conferences(user: User) -> bool:
    return not user.is_disabled and user.role in (Role.ADMIN, Role.CHAIR)


def visible_conference_ids(session: Session, user: User) -> set[int] | None:
    """The conferences ``user`` may see; None for all of them."""
    if user.is_admin or user.role == Role.AUDITOR:
        return None
    return set(session.scalars(select(Membership.conference_id)
                               .where(Membership.user_id == user.id)))


def members(session: Session, conference: Conference) -> list[Membership]:
    return list(session.scalars(select(Membership).join(User)
                                .where(Membership.conference_id == conference.id)
                                .order_by(Membership.role, User.username)))


def make_owner(session: Session, conference: Conference, user: User) -> None:
    """Make ``user`` the chair of the conference it just created (no commit:
    part of the creation's transaction)."""
    session.add(Membership(conference_id=conference.id, user_id=user.id, role=Role.CHAIR))


def set_member(session: Session, conference: Conference, username: str,
               role: Role | None) -> None:
    """Give the account ``username`` a role in the conference, or (None)
    take it away. One transaction, with its audit row.

    :raises NotFound: no such account.
    :raises Invalid: a role no membership gives, or the last chair removed.
    """
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise NotFound("there is no account with that username")
    if role is not None and role not in MEMBER_ROLES:
        raise Invalid("a member is a chair, a secretary or an auditor")
    existing = session.scalar(select(Membership).where(
        Membership.conference_id == conference.id, Membership.user_id == user.id))
    chairs = [m for m in members(session, conference) if m.role == Role.CHAIR]
    if existing is not None and existing.role == Role.CHAIR and role != Role.CHAIR \
            and len(chairs) == 1:
        raise Invalid("a conference keeps at least one chair")
    if role is None:
        if existing is not None:
            session.delete(existing)
    elif existing is None:
        session.add(Membership(conference_id=conference.id, user_id=user.id, role=role))
    else:
        existing.role = role
    audit_trail.record(session, "member.set", conference_id=conference.id,
                       target=f"account {user.username}",
                       detail={"role": role.value if role else None})
    session.commit()
