"""Rounds: templates, rules (PROTOCOL §5.2, §10), and the open / close moves.

A round is defined by its candidate units, its kind and its rule while it is
a draft; opening freezes all of it into the election object (PROTOCOL §5.3)
and writes the board's ``setup`` and ``open`` events.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto.election import election_object
from ..crypto.election import fingerprint
from ..crypto.hashing import canonical_json
from ..crypto.manifest import parse_manifest
from ..crypto.tally import tally_blobs
from ..crypto.tally import tally_to_json
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
from . import board
from . import checkin
from . import client_bundle
from . import exact
from .elections import election_of
from .errors import BasesInconsistent
from .errors import Invalid
from .errors import KeyNotReady
from .errors import NotFound
from .server_key import server_public_key_hex

AGREE, DISAGREE = "agree", "disagree"
#: Bounds of a rule (PROTOCOL §5.1, §5.2): k is at most the options of a contest.
MAX_CHOICES, MAX_DENOMINATOR, MAX_QUOTA = 200, 10**6, 10**4


@dataclass(frozen=True)
class Template:
    kind: RoundKind
    comparator: str
    fraction: tuple[int, int]
    base: str
    quota: int | None = None
    max_choices: int = 1


#: The three award shapes; "custom" starts from "advanced".
TEMPLATES = {
    "advanced": Template(RoundKind.PER_UNIT, ">", (1, 2), "present"),
    "determined": Template(RoundKind.PER_UNIT, ">=", (2, 3), "present"),
    "flag": Template(RoundKind.CHOOSE, ">", (1, 2), "cast", quota=1, max_choices=1),
    "custom": Template(RoundKind.PER_UNIT, ">", (1, 2), "present"),
}


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
    if template not in TEMPLATES:
        raise Invalid(f"unknown template {template!r}")
    t = TEMPLATES[template]
    title = (title or "").strip()
    if not title:
        raise Invalid("a round needs a title")
    position = session.scalar(select(func.count()).select_from(Round)
                              .where(Round.conference_id == conference.id)) or 0
    rnd = Round(conference_id=conference.id, public_id=f"r-{secrets.token_hex(8)}",
                position=position + 1, title=title[:300], template=template,
                kind=kind or t.kind, max_choices=t.max_choices, rule_comparator=t.comparator,
                rule_num=t.fraction[0], rule_den=t.fraction[1], rule_base=t.base,
                rule_quota=t.quota, state=RoundState.DRAFT)
    session.add(rnd)
    session.flush()
    set_candidates(session, rnd, unit_ids if unit_ids is not None
                   else [u.id for u in conference.units])
    session.commit()
    return rnd


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
    rnd.kind, rnd.max_choices = kind, max_choices
    rnd.rule_comparator, rnd.rule_num, rnd.rule_den = comparator, num, den
    rnd.rule_base, rnd.rule_quota = base, quota
    try:
        with session.no_autoflush:  # validate before the database sees it
            parse_manifest(manifest_of(rnd))
    except Exception as exc:
        session.rollback()
        raise Invalid(str(exc)) from exc
    session.commit()


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


def close_round(session: Session, rnd: Round) -> None:
    """Close voting, freeze the bases and put the encrypted tally on the board.

    One transaction: on a refusal nothing changes and the round stays open.

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
    session.commit()
