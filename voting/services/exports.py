"""Tables for the chair's exports: the published results, the turnout of
each round and the attendance list. Read-only.

Each table is a header row of English msgids (the web layer translates
them) and rows of str, int, Decimal or None (an empty cell). Codes such as
an outcome's status, a round's state, a base's name or "yes"/"no" are left
as codes for the web layer to put in words. Reserve rounds are placeholders
and never appear; the attendance list says who was present and who received
*a* card, never which one (there is no such link to give).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Conference
from ..models import Delegate
from ..models import Round
from ..models import RoundKind
from ..models import RoundState
from . import rounds
from .results import percent_value
from .results import round_result

Cell = str | int | Decimal | None


def _(message: str) -> str:
    """Mark a column header as a msgid (for extraction); the web layer
    translates it when it writes the file."""
    return message


YES, NO = "yes", "no"

RESULTS_HEADERS = [_("No."), _("Round"), _("Unit"), _("Votes"), _("Base"), _("Base figure"),
                   _("Share of the base (%)"), _("Outcome"),
                   _("Agree"), _("Disagree"), _("Blank"), _("Ballot shape")]
TURNOUT_HEADERS = [_("No."), _("Round"), _("State"), _("Delegates entitled to vote (members)"),
                   _("Delegates present"), _("Ballot cards handed out (issued)"),
                   _("Ballots cast"), _("Ballots cast as a share of cards issued (%)")]
ATTENDANCE_HEADERS = [_("No."), _("Name"), _("Organisation"), _("Present"),
                      _("Card handed out")]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[Cell]]


def listed_rounds(session: Session, conference: Conference,
                  states: set[RoundState]) -> list[Round]:
    """The conference's rounds in the given states, in order, reserves left out."""
    return list(session.scalars(
        select(Round).where(Round.conference_id == conference.id,
                            Round.is_reserve.is_(False), Round.state.in_(states))
        .order_by(Round.position)))


def results_table(session: Session, conference: Conference) -> Table:
    """One row per published round and outcome of its rule(s): the
    candidate's count, the rule's base (name and figure), the percentage,
    the outcome (elected, not_elected, runoff) and, for a per-unit round,
    the unit's agree / disagree / blank counts (empty for a choose round,
    where the count is the unit's votes)."""
    rows = []
    for rnd in listed_rounds(session, conference, {RoundState.PUBLISHED}):
        result = round_result(session, rnd)
        if result is None:
            continue
        manifest = result.manifest
        per_contest = {c["id"]: counted for c, counted
                       in zip(manifest["contests"], result.contests, strict=True)}
        for rule, outcomes in zip(manifest["rules"], result.outcomes, strict=True):
            for o in outcomes:
                if result.kind == RoundKind.PER_UNIT:
                    counted = per_contest[o.candidate_id]
                    split = [counted.counts[0], counted.counts[1], counted.blank]
                else:
                    split = [None, None, None]
                rows.append([rnd.position, rnd.title, o.candidate, o.count, rule["base"],
                             o.base, percent_value(o.count, o.base), o.status, *split,
                             rnd.kind.value])
    return Table(RESULTS_HEADERS, rows)


def turnout_table(session: Session, conference: Conference) -> Table:
    """One row per round that has opened: its state and turnout (live while
    open, frozen at close), and the ballots cast as a share of cards issued."""
    rows = []
    states = {RoundState.OPEN, RoundState.CLOSED, RoundState.PUBLISHED}
    for rnd in listed_rounds(session, conference, states):
        t = rounds.turnout(session, rnd)
        rows.append([rnd.position, rnd.title, rnd.state.value, t.members, t.present,
                     t.issued, t.cast, percent_value(t.cast, t.issued)])
    return Table(TURNOUT_HEADERS, rows)


def attendance_table(session: Session, conference: Conference) -> Table:
    """The delegates in list order: present, and whether they received a card."""
    delegates = session.scalars(select(Delegate).where(Delegate.conference_id == conference.id)
                                .order_by(Delegate.position))
    return Table(ATTENDANCE_HEADERS, [
        [d.position, d.name, d.organisation, YES if d.is_present else NO,
         YES if d.has_card else NO] for d in delegates])


TABLES = {"results": results_table, "turnout": turnout_table, "attendance": attendance_table}
