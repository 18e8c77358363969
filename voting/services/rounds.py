"""Rounds: templates, rules (PROTOCOL §5.2, §10), and the open / close moves.

A round is defined by its candidate units, its kind and its rule while it is
a draft; opening freezes all of it into the election object (PROTOCOL §5.3)
and writes the board's ``setup`` and ``open`` events.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import UTC

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto.election import election_object
from ..crypto.election import fingerprint
from ..crypto.hashing import canonical_json
from ..crypto.manifest import parse_manifest
from ..crypto.tally import tally_blobs
from ..crypto.tally import tally_to_json
from ..errors import IllegalTransition
from ..models import Ballot
from ..models import BoardEvent
from ..models import Card
from ..models import Conference
from ..models import Credential
from ..models import Round
from ..models import RoundKind
from ..models import RoundState
from ..models import RoundUnit
from ..models import Unit
from ..models.base import utcnow
from . import audit_trail
from . import board
from . import checkin
from . import client_bundle
from . import exact
from .elections import election_of
from .errors import BasesInconsistent
from .errors import Invalid
from .errors import KeyNotReady
from .errors import NotFound
from .errors import RoundNotOpen
from .round_templates import template_for
from .round_templates import TEMPLATES  # noqa: F401 - the templates' names, for callers
from .server_key import server_public_key_hex

AGREE, DISAGREE = "agree", "disagree"
#: Bounds of a rule (PROTOCOL §5.1, §5.2): k is at most the options of a contest.
MAX_CHOICES, MAX_DENOMINATOR, MAX_QUOTA = 200, 10**6, 10**4


def get_round(session: Session, round_id: int) -> Round:
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound("no such round")
    return rnd


def get_round_by_public_id(session: Session, public_id: str) -> Round:
    rnd = session.scalar(select(Round).where(Round.public_id == public_id))
    if rnd is None:
        raise NotFound("no such round")
    return rnd


def create_round(session: Session, conference: Conference, template: str, title: str,
                 unit_ids: list[int] | None = None, kind: RoundKind | None = None) -> Round:
    """Create a draft round from a template over the given units (all by default)."""
    rnd = add_round(session, conference, template, title, unit_ids, kind)
    _record(session, rnd, "round.create", template=template, title=rnd.title,
            units=len(rnd.candidates))
    session.commit()
    return rnd


def _record(session: Session, rnd: Round, action: str, *, actor=None, **detail) -> None:
    audit_trail.record(session, action, conference_id=rnd.conference_id,
                       target=f"round {rnd.id}", detail=detail, actor=actor)


def add_round(session: Session, conference: Conference, template: str, title: str,
              unit_ids: list[int] | None = None, kind: RoundKind | None = None) -> Round:
    """:func:`create_round` without its commit and audit row, for a caller
    whose own action it is part of (the sample conference)."""
    t = template_for(conference, template)
    title = (title or "").strip()
    if not title:
        raise Invalid("a round needs a title")
    rnd = Round(conference_id=conference.id, public_id=f"r-{secrets.token_hex(8)}",
                position=next_position(session, conference.id), title=title[:300],
                template=template,
                kind=kind or t.kind, max_choices=t.max_choices, rule_comparator=t.comparator,
                rule_num=t.fraction[0], rule_den=t.fraction[1], rule_base=t.base,
                rule_quota=t.quota, state=RoundState.DRAFT)
    session.add(rnd)
    session.flush()
    set_candidates(session, rnd, unit_ids if unit_ids is not None
                   else [u.id for u in conference.units])
    return rnd


def next_position(session: Session, conference_id: int) -> int:
    """The place of a conference's next round, after every round but the
    reserves (which have none)."""
    return (session.scalar(select(func.max(Round.position)).where(
        Round.conference_id == conference_id, Round.is_reserve.is_(False))) or 0) + 1


def _require_draft(rnd: Round) -> None:
    if rnd.state != RoundState.DRAFT:
        raise Invalid("only a draft round can be changed")


def set_candidates(session: Session, rnd: Round, unit_ids: list[int]) -> None:
    """Replace the round's candidate units (in the given order)."""
    _require_draft(rnd)
    if not all(exact.is_int(unit_id, 1) for unit_id in unit_ids):  # True would be unit 1
        raise Invalid("candidates must be distinct units of this conference")
    units = {u.id: u for u in session.scalars(
        select(Unit).where(Unit.conference_id == rnd.conference_id, Unit.id.in_(unit_ids)))}
    if len(units) != len(set(unit_ids)) or len(unit_ids) != len(set(unit_ids)):
        raise Invalid("candidates must be distinct units of this conference")
    rnd.candidates.clear()
    session.flush()
    for position, unit_id in enumerate(unit_ids, start=1):
        rnd.candidates.append(RoundUnit(unit_id=unit_id, position=position))


def update_rule(session: Session, rnd: Round, *, kind: RoundKind, max_choices: int,
                comparator: str, num: int, den: int, base: str, quota: int | None) -> None:
    """Edit a draft round's rule; validated exactly as the verifier will
    (integers are never booleans, and lie in the ranges of PROTOCOL §5.2)."""
    _require_draft(rnd)
    if not isinstance(kind, RoundKind):
        raise Invalid("unknown ballot shape")
    exact.expect_int(max_choices, "k (most units a delegate may choose)", 1, MAX_CHOICES)
    exact.expect_int(num, "the fraction's numerator", 0, MAX_DENOMINATOR)
    exact.expect_int(den, "the fraction's denominator", 1, MAX_DENOMINATOR)
    exact.expect_optional_int(quota, "the quota", 1, MAX_QUOTA)
    check_fits_candidates(len(rnd.candidates), kind, max_choices, quota)
    rnd.kind, rnd.max_choices = kind, max_choices
    rnd.rule_comparator, rnd.rule_num, rnd.rule_den = comparator, num, den
    rnd.rule_base, rnd.rule_quota = base, quota
    try:
        with session.no_autoflush:  # validate before the database sees it
            parse_manifest(manifest_of(rnd))
    except Exception as exc:
        session.rollback()
        raise Invalid(str(exc)) from exc
    _record(session, rnd, "round.rule", kind=kind.value, k=max_choices, comparator=comparator,
            fraction=[num, den], base=base, quota=quota)
    session.commit()


def check_fits_candidates(candidates: int, kind: RoundKind, max_choices: int,
                          quota: int | None) -> None:
    """A delegate cannot choose, nor a quota elect, more units than stand.

    :raises Invalid: k (of a choose round) or the quota exceeds the candidates.
    """
    if kind == RoundKind.CHOOSE and max_choices > candidates:
        raise Invalid(f"k ({max_choices}) is more than the {candidates} candidate units")
    if quota is not None and quota > candidates:
        raise Invalid(f"the quota ({quota}) is more than the {candidates} candidate units")


def contest_id(unit: Unit) -> str:
    return f"unit-{unit.id}"


def manifest_of(rnd: Round) -> dict:
    """The round's manifest (PROTOCOL §5.1) from its current definition."""
    units = rnd.units
    if rnd.kind == RoundKind.PER_UNIT:
        contests = [{"id": contest_id(u), "title": u.name,
                     "options": [{"id": AGREE, "title": "Đồng ý"},
                                 {"id": DISAGREE, "title": "Không đồng ý"}],
                     "min": 0, "max": 1, "encoding": "packed"} for u in units]
        option = AGREE
    else:
        contests = [{"id": "choice", "title": rnd.title,
                     "options": [{"id": contest_id(u), "title": u.name} for u in units],
                     "min": 0, "max": min(rnd.max_choices, max(len(units), 1)),
                     "encoding": "options"}]
        option = None
    rules = [{"contests": [c["id"] for c in contests], "option": option,
              "comparator": rnd.rule_comparator, "fraction": [rnd.rule_num, rnd.rule_den],
              "base": rnd.rule_base, "quota": rnd.rule_quota, "ties": "runoff"}]
    return {"version": 1, "conference": rnd.conference.name, "round": rnd.public_id,
            "title": rnd.title, "contests": contests, "rules": rules}


def open_round(session: Session, rnd: Round, keys_dir) -> None:
    """Freeze the manifest and credentials and open the round for voting.

    :raises KeyNotReady: the conference has no joint key yet.
    :raises Invalid: no candidates, no valid credentials, or a bad rule.
    :raises IllegalTransition: the round is not a draft.
    """
    rnd = board.lock_round(session, rnd.id)
    conference = rnd.conference
    if not conference.has_key:
        raise KeyNotReady("the key ceremony must be complete before a round opens")
    if not rnd.candidates:
        raise Invalid("the round has no candidate units")
    check_fits_candidates(len(rnd.candidates), rnd.kind, rnd.max_choices, rnd.rule_quota)
    credentials = sorted(session.scalars(
        select(Credential.public).join(Card)
        .where(Credential.round_id == rnd.id, Card.is_revoked.is_(False))))
    if not credentials:
        raise Invalid("no ballot cards cover this round yet")
    election_obj = election_object(manifest_of(rnd), conference.key_ceremony,
                                   conference.threshold, json.loads(conference.dealers_json),
                                   [t.name for t in conference.trustees], credentials,
                                   server_public_key_hex(keys_dir), client_bundle.sha256_hex())
    try:
        parse_manifest(election_obj["manifest"])
    except Exception as exc:
        raise Invalid(f"the round cannot open: {exc}") from exc
    rnd.move_to(RoundState.OPEN)
    rnd.election_json = canonical_json(election_obj).decode()
    rnd.fingerprint = fingerprint(election_obj).hex()
    rnd.opened_at = utcnow()
    board.append_event(session, rnd, "setup", {"election": election_obj,
                                               "fingerprint": rnd.fingerprint})
    board.append_event(session, rnd, "open", {"at": _minute(rnd.opened_at)})
    _record(session, rnd, "round.open", credentials=len(credentials))
    session.commit()


def _minute(at) -> str:
    return at.strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class Turnout:
    members: int
    present: int
    issued: int
    cast: int

    def close_problem(self) -> str | None:
        """Why these figures cannot be frozen as a close event's bases, or None.

        The bases must satisfy cast ≤ issued ≤ present ≤ members (PROTOCOL
        §9.3, §14 check 14): every ballot came from a card handed out at
        check-in, every card went to a delegate present, every delegate
        present is entitled to vote. The code names the first inequality
        that fails, from the ballots up (``BasesInconsistent.MESSAGES``).
        """
        if self.cast > self.issued:
            return "cast_exceeds_issued"
        if self.issued > self.present:
            return "issued_exceeds_present"
        if self.present > self.members:
            return "present_exceeds_members"
        return None


def turnout(session: Session, rnd: Round) -> Turnout:
    """Live figures for the chair: never partial results. ``cast`` is the
    number of ballot events on the board (frozen once the round closes)."""
    if rnd.cast is not None:
        return Turnout(rnd.members, rnd.present, rnd.issued, rnd.cast)
    counts = checkin.counts(session, rnd.conference)
    cast = session.scalar(select(func.count()).select_from(BoardEvent)
                          .where(BoardEvent.round_id == rnd.id,
                                 BoardEvent.kind == "ballot")) or 0
    return Turnout(counts.members, counts.present, counts.issued, cast)


#: The furthest ahead a closing time may be set.
MAX_CLOSING_DELAY = timedelta(hours=12)


def aware(at: datetime | None) -> datetime | None:
    """``at`` as an aware UTC datetime (SQLite returns naive ones)."""
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def is_past_closing(rnd: Round, now: datetime | None = None) -> bool:
    """The round's closing time has come: no ballot is accepted any more."""
    return rnd.closes_at is not None and aware(rnd.closes_at) <= (now or utcnow())


def set_closing_time(session: Session, rnd: Round, closes_at: datetime | None,
                     now: datetime | None = None) -> None:
    """Set (or, with None, clear) the time an open round closes by itself.

    Closing still takes the chair's action before that time, or happens at
    that time (``close_due_rounds``); from then on no ballot is accepted.

    :raises IllegalTransition: (as ``RoundNotOpen``) the round is not open.
    :raises Invalid: the time is not aware, has passed, or is more than
        ``MAX_CLOSING_DELAY`` ahead.
    """
    now = now or utcnow()
    if closes_at is not None and (closes_at.tzinfo is None or closes_at <= now
                                  or closes_at > now + MAX_CLOSING_DELAY):
        raise Invalid("the closing time must lie in the next 12 hours")
    rnd = board.lock_round(session, rnd.id)
    if rnd.state != RoundState.OPEN or is_past_closing(rnd, now):
        session.rollback()
        raise RoundNotOpen()
    rnd.closes_at = closes_at
    _record(session, rnd, "round.closing_time",
            closes_at=closes_at.astimezone(UTC).isoformat() if closes_at else None)
    session.commit()


def close_due_rounds(session: Session, now: datetime | None = None) -> list[int]:
    """Close every open round whose closing time has come.

    A round whose figures cannot be frozen (``BasesInconsistent``) stays
    open, accepting no ballot, until the chair corrects check-in and closes
    it; a round another process closed meanwhile is skipped.

    :returns: the ids of the rounds this call closed.
    """
    now = now or utcnow()
    due = list(session.scalars(select(Round.id).where(
        Round.state == RoundState.OPEN, Round.closes_at.is_not(None),
        Round.closes_at <= now)))
    if session.in_transaction():
        session.rollback()
    closed = []
    for round_id in due:
        try:
            close_round(session, session.get(Round, round_id), at_closing_time=True)
        except (BasesInconsistent, IllegalTransition):
            session.rollback()
        else:
            closed.append(round_id)
    return closed


def close_round(session: Session, rnd: Round, *, at_closing_time: bool = False) -> None:
    """Close voting, freeze the bases and put the encrypted tally on the board.

    One transaction: on a refusal nothing changes and the round stays open.
    ``at_closing_time``: the round's time has come, and the system closes
    it (``close_due_rounds``), whoever's request or command runs it.

    :raises IllegalTransition: the round is not open.
    :raises BasesInconsistent: the figures break cast ≤ issued ≤ present ≤
        members (check-in must be corrected first; it stays editable).
    """
    rnd = board.lock_round(session, rnd.id)
    rnd.move_to(RoundState.CLOSED)
    figures = turnout(session, rnd)
    problem = figures.close_problem()
    if problem is not None:
        session.rollback()
        raise BasesInconsistent(problem, members=figures.members, present=figures.present,
                                issued=figures.issued, cast=figures.cast)
    rnd.members, rnd.present, rnd.issued, rnd.cast = (
        figures.members, figures.present, figures.issued, figures.cast)
    rnd.closed_at = utcnow()
    board.append_event(session, rnd, "close", {
        "at": _minute(rnd.closed_at),
        "bases": {"members": rnd.members, "present": rnd.present, "issued": rnd.issued,
                  "cast": rnd.cast}})
    blobs = session.scalars(select(Ballot.blob).where(Ballot.round_id == rnd.id)
                            .order_by(Ballot.seq))
    tally = tally_blobs(election_of(rnd), blobs)
    board.append_event(session, rnd, "tally", {"ciphertexts": tally_to_json(tally)})
    _record(session, rnd, "round.close", at_closing_time=at_closing_time,
            bases={"members": rnd.members, "present": rnd.present, "issued": rnd.issued,
                   "cast": rnd.cast}, actor=audit_trail.SYSTEM if at_closing_time else None)
    session.commit()
