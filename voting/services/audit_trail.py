"""The audit trail (``AuditEvent``): one row per state change, in the
change's own transaction, naming who made it.

Who acts is the session's *actor*, set once per request by the web layer
(the logged-in account with its role in the conference, or the trustee);
without one, the actor is the system (a round closing at its closing time,
and for now the CLI's commands, which name no operator). Services call ``record`` just
before their commit, so the row and the change stand or fall together: a
refused change (a domain error, rolled back) leaves no row. One user action
is one row, also when its service calls another (the sample conference's
three rounds are part of ``conference.create``); a repeated post that
changes nothing (a trustee's page posting its step again, a toggle set to
the value it has) writes none. Each committed row is also logged on the
``voting.audit`` logger (action, actor, conference, target; never the
detail).

A detail names ids, counts and public values only: never a token, a
passphrase, a share, an envelope, a credential, a password, an invitation
link or a hash of one, and never a card serial beside a delegate (check-in
rows say only present / card handed out). Delegates' ballots and audits are
anonymous and on the public board: they are not audited.

The actions (target; detail):

======================  ======================================================
``account.*``           create, logout, password, disable, enable, role
                        (``account <username>``; the role) — no conference
``conference.create``   ``conference <id>``; name, and ``sample`` with its
                        number of ``rounds`` for the sample conference
``conference.minutes``  ``conference <id>``; organiser, place, the committee's
                        size
``import.units``,       ``conference <id>``; the ``count`` of rows imported
``import.delegates``
``member.set``          ``account <username>``; the role (None: removed)
``template.save``,      ``template <name>``; the round saved from
``template.restore``
``checkin.present``,    ``delegate <id>``; ``value`` true or false, nothing
``checkin.card``        about which card
``round.create``        ``round <id>``; template, title, number of units
``round.rule``          ``round <id>``; kind, k, comparator, fraction, base,
                        quota
``round.open``          ``round <id>``; the number of credentials frozen
``round.closing_time``  ``round <id>``; ``closes_at`` (UTC, None: cleared)
``round.close``         ``round <id>``; the bases, ``at_closing_time`` (then
                        by the system)
``round.runoff``        ``round <id>`` (the run-off); the round it decides,
                        its number of units, whether it is a reserve
``round.publish``       ``round <id>``
``tally.partial``       ``round <id>``; the trustee's index
``cards.issue``         ``serials <first>-<last>``; count, spares, first,
                        last, the rounds covered
``cards.import``        ``serials <first>-<last>``; count, spares, first, last
``cards.revoke``        ``card <serial>``; the serial
``ceremony.trustees``   ``conference <id>``; names, threshold
``ceremony.restart``    ``conference <id>``; the new attempt, who left
``ceremony.offline``    ``conference <id>``; trustees, threshold (offline
                        dealing installed)
``ceremony.enrol``,     ``trustee <id>``; the attempt (confirm: whether it
``ceremony.commit``,    made the key; complaint: the dealer complained of)
``ceremony.reveal``,
``ceremony.confirm``,
``ceremony.complaint``
======================  ======================================================
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEvent


@dataclass(frozen=True)
class Actor:
    #: user, trustee, system or cli.
    kind: str
    id: int | None
    name: str
    #: The role the actor acts in: admin, chair, secretary, trustee, system...
    role: str


SYSTEM = Actor("system", None, "voting", "system")
_KEY, _PENDING = "voting.actor", "voting.audit.pending"
#: The action groups (an action's first word), as the audit page filters them.
GROUPS = ("conference", "import", "member", "template", "checkin", "cards", "ceremony",
          "round", "tally")
log = logging.getLogger("voting.audit")


def act_as(session: Session, actor: Actor) -> None:
    """Make ``actor`` the author of every change this session records."""
    session.info[_KEY] = actor


def actor_of(session: Session) -> Actor:
    return session.info.get(_KEY, SYSTEM)


def record(session: Session, action: str, *, conference_id: int | None = None,
           target: str = "", detail: dict | None = None, actor: Actor | None = None) -> None:
    """Add the audit row of a change to the session's transaction (the
    caller commits it with the change), by ``actor`` or the session's."""
    actor = actor or actor_of(session)
    row = AuditEvent(actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name[:200],
                     role=actor.role, action=action, conference_id=conference_id,
                     target=target[:200],
                     detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True))
    session.add(row)
    session.info.setdefault(_PENDING, []).append({
        "action": action, "actor": f"{actor.kind} {'-' if actor.id is None else actor.id}",
        "name": row.actor_name, "role": actor.role, "conference": conference_id,
        "target": row.target})


@event.listens_for(Session, "after_commit")
def _log_committed(session: Session) -> None:
    """One ``voting.audit`` line per committed row: who, what, on what;
    never the detail (public, but a log is no place to decide that again)."""
    for line in session.info.pop(_PENDING, ()):
        log.info("%s", json.dumps(line, ensure_ascii=False))


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction) -> None:
    """Rows rolled back (or never committed) are never logged."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Filter:
    action: str = ""
    actor: str = ""
    since: datetime | None = None
    until: datetime | None = None


#: The most rows one page or export shows.
MAX_ROWS = 5000


def events(session: Session, conference_id: int, wanted: Filter = Filter()) -> list[AuditEvent]:
    """The conference's audit rows, newest first, that match ``wanted``:
    an action prefix (``round`` finds ``round.open``), an actor name, a
    time window."""
    query = select(AuditEvent).where(AuditEvent.conference_id == conference_id)
    if wanted.action:
        query = query.where(AuditEvent.action.startswith(wanted.action, autoescape=True))
    if wanted.actor:
        query = query.where(AuditEvent.actor_name == wanted.actor)
    if wanted.since:
        query = query.where(AuditEvent.at >= wanted.since)
    if wanted.until:
        query = query.where(AuditEvent.at < wanted.until)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(MAX_ROWS)))


def actors(session: Session, conference_id: int) -> list[str]:
    """The names of everyone with a row in the conference's trail, sorted."""
    return list(session.scalars(select(AuditEvent.actor_name).distinct()
                                .where(AuditEvent.conference_id == conference_id)
                                .order_by(AuditEvent.actor_name)))
