"""Run-offs on the cards delegates already hold (PROTOCOL §8.1, §10.3).

A card covers the rounds that exist when it is printed. So that a tie at
the quota's cut-off does not mean new cards for everyone, every conference
has ``RESERVE_ROUNDS`` *reserve* rounds from its creation, which every
card covers: drafts with a random round id and nothing else, hidden from
every list.
A run-off takes the next free reserve and becomes an ordinary round over
exactly the tied units; the cards' credentials for it were made with the
others, from the same token and that round's id, so they are as
unlinkable as any two rounds' credentials.
"""

from __future__ import annotations

import secrets

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Card
from ..models import Conference
from ..models import Credential
from ..models import Round
from ..models import RoundKind
from ..models import RoundState
from . import audit_trail
from . import rounds
from .errors import Invalid
from .locking import lock_row
from .results import round_result
from .results import RoundResult

#: Reserve rounds drawn with a conference's first cards.
RESERVE_ROUNDS = 3
#: A reserve's title, never shown: a run-off gives it its own.
RESERVE_TITLE = "reserve"


def free_reserves(session: Session, conference_id: int) -> list[Round]:
    """The conference's reserve rounds no run-off has taken, oldest first."""
    return list(session.scalars(select(Round).where(
        Round.conference_id == conference_id, Round.is_reserve.is_(True),
        Round.state == RoundState.DRAFT).order_by(Round.id)))


def make_reserves(session: Session, conference_id: int) -> list[Round]:
    """Draw the conference's ``RESERVE_ROUNDS`` reserve rounds (no commit).
    A conference gets them when it is created, so that their ids are known
    before any card exists: the cards page lists them for cards made
    offline (``voting make-cards --rounds``)."""
    made = [Round(conference_id=conference_id, public_id=f"r-{secrets.token_hex(8)}",
                  position=0, title=RESERVE_TITLE, template="custom",
                  kind=RoundKind.PER_UNIT, state=RoundState.DRAFT, is_reserve=True)
            for _ in range(RESERVE_ROUNDS)]
    session.add_all(made)
    session.flush()
    return made


def reserves_for_new_cards(session: Session, conference_id: int) -> list[Round]:
    """The reserve rounds new cards must cover: the free ones. A conference
    made before reserves existed gets them with its very first cards, never
    later (cards printed before would not cover them). Call inside the
    card write (the conference row is locked)."""
    free = free_reserves(session, conference_id)
    if free or session.scalar(select(func.count()).select_from(Card)
                              .where(Card.conference_id == conference_id)):
        return free
    return make_reserves(session, conference_id)


def _covered(session: Session, rnd: Round) -> int:
    """How many unrevoked cards hold a credential for ``rnd``."""
    return session.scalar(select(func.count()).select_from(Credential).join(Card).where(
        Credential.round_id == rnd.id, Card.is_revoked.is_(False)))


def tied_unit_ids(rnd: Round, result: RoundResult | None) -> list[int]:
    """The units of ``rnd`` whose status in its ``result`` is run-off."""
    if result is None:
        return []
    tied = {o.candidate_id for o in result.all_outcomes if o.status == "runoff"}
    return [u.id for u in rnd.units if rounds.contest_id(u) in tied]


def seats_left(rnd: Round, result: RoundResult) -> int:
    """The quota's seats the tie leaves open: quota − elected (at least 1)."""
    elected = sum(1 for o in result.all_outcomes if o.status == "elected")
    return max(1, (rnd.rule_quota or 1) - elected)


def runoff_of(session: Session, rnd: Round) -> Round | None:
    """The run-off round made for ``rnd``'s tie, if any."""
    return session.scalar(select(Round).where(Round.runoff_of_id == rnd.id,
                                              Round.is_reserve.is_(False)).order_by(Round.id))


def create_runoff(session: Session, rnd: Round, title: str) -> tuple[Round, bool]:
    """Make the run-off of the published round ``rnd``: a draft over exactly
    its tied units, with its rule and the quota's seats left (and k no
    larger for a choose round). It takes the next free reserve, so the
    cards already handed out vote in it; without one it is a new draft
    that needs cards. One transaction.

    :returns: the round, and whether it is a reserve the cards cover.
    :raises Invalid: ``rnd`` is not published, has no tie, or has a run-off.
    """
    round_id = rnd.id
    lock_row(session, Conference, rnd.conference_id, Conference.ceremony_attempt)
    try:
        rnd = session.get(Round, round_id)
        if rnd.state != RoundState.PUBLISHED:
            raise Invalid("only a published round can have a run-off")
        result = round_result(session, rnd)
        tied = tied_unit_ids(rnd, result)
        if not tied:
            raise Invalid("this round has no tie to decide")
        if runoff_of(session, rnd) is not None:
            raise Invalid("this round already has its run-off")
        target, from_reserve = _runoff_round(session, rnd, seats_left(rnd, result), title)
        rounds.set_candidates(session, target, tied)
        audit_trail.record(session, "round.runoff", conference_id=rnd.conference_id,
                           target=f"round {target.id}",
                           detail={"of_round": rnd.id, "units": len(tied),
                                   "reserve": from_reserve})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return target, from_reserve


def _runoff_round(session: Session, rnd: Round, seats: int, title: str) -> tuple[Round, bool]:
    """The run-off's round: the free reserve that the most valid cards
    cover (the oldest among equals), or, when no card covers any, a new
    draft that needs cards."""
    covered = [(_covered(session, r), -r.id, r) for r in free_reserves(session,
                                                                        rnd.conference_id)]
    best = max(covered, default=None, key=lambda c: c[:2])
    reserve = best[2] if best and best[0] > 0 else None
    target = reserve or Round(conference_id=rnd.conference_id,
                              public_id=f"r-{secrets.token_hex(8)}", state=RoundState.DRAFT)
    target.is_reserve, target.runoff_of_id = False, rnd.id
    target.position = rounds.next_position(session, rnd.conference_id)
    target.title, target.template, target.kind = title[:300], rnd.template, rnd.kind
    target.max_choices = min(rnd.max_choices, seats) if rnd.kind == RoundKind.CHOOSE else 1
    target.rule_comparator, target.rule_num, target.rule_den = (
        rnd.rule_comparator, rnd.rule_num, rnd.rule_den)
    target.rule_base, target.rule_quota = rnd.rule_base, seats
    session.add(target)
    session.flush()
    return target, reserve is not None
