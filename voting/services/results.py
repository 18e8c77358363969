"""A round's published result with candidate and option names, read from
its board: for the chair's round page and minutes (biên bản kiểm phiếu) and
for the public board. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from decimal import ROUND_HALF_UP

from sqlalchemy.orm import Session

from ..models import Round
from ..models import RoundKind
from . import board
from . import rounds
from .elections import election_of


def percent_value(count: int, base: int) -> Decimal | None:
    """100·count/base rounded half up to two decimals, or None for base 0:
    the one percentage of the screen, board, minutes and exports."""
    if base <= 0:
        return None
    return (Decimal(100 * count) / Decimal(base)).quantize(Decimal("0.01"),
                                                           rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Outcome:
    #: The manifest id of the candidate (``unit-<id>``) and its name.
    candidate_id: str
    candidate: str
    count: int
    base: int
    #: elected, not_elected or runoff
    status: str


@dataclass(frozen=True)
class ContestCounts:
    title: str
    counts: list[int]
    #: Ballots that selected nothing here, when it can be told (max = 1).
    blank: int | None
    #: The options' titles, in the order of ``counts``.
    options: list[str]

    @property
    def named_counts(self) -> list[tuple[str, int]]:
        return list(zip(self.options, self.counts, strict=True))


@dataclass(frozen=True)
class RoundResult:
    kind: RoundKind
    manifest: dict
    bases: dict[str, int]
    contests: list[ContestCounts]
    outcomes: list[list[Outcome]]
    trustees: list[int]

    @property
    def all_outcomes(self) -> list[Outcome]:
        return [o for rule in self.outcomes for o in rule]


def round_manifest(rnd: Round) -> dict:
    """The manifest as frozen at open, or as it would be frozen now (draft)."""
    return election_of(rnd).manifest.raw if rnd.election_json else rounds.manifest_of(rnd)


def round_result(session: Session, rnd: Round) -> RoundResult | None:
    """The published result of ``rnd`` with candidate names, or None."""
    bodies = board.event_bodies(session, rnd, "result")
    if not bodies:
        return None
    body, manifest = bodies[0], election_of(rnd).manifest.raw
    contests = manifest["contests"]
    bases = {"members": rnd.members, "present": rnd.present, "issued": rnd.issued,
             "cast": rnd.cast}
    counted = [ContestCounts(c["title"], counts,
                             rnd.cast - sum(counts) if c["max"] == 1 else None,
                             [o["title"] for o in c["options"]])
               for c, counts in zip(contests, body["counts"], strict=True)]

    def candidate(outcome: dict) -> dict:
        contest = contests[outcome["contest"]]
        return contest if outcome["option"] is None else contest["options"][outcome["option"]]

    outcomes = [[Outcome(candidate(o)["id"], candidate(o)["title"], o["count"], o["base"],
                         o["status"]) for o in rule] for rule in body["outcomes"]]
    return RoundResult(rnd.kind, manifest, bases, counted, outcomes, body["trustees"])


def elected_unit_ids(session: Session, rnd: Round) -> list[int]:
    """The candidate units ``rnd`` elected (to preselect the next round's)."""
    result = round_result(session, rnd)
    if result is None:
        return []
    elected = {o.candidate_id for rule in result.outcomes for o in rule
               if o.status == "elected"}
    return [u.id for u in rnd.units if rounds.contest_id(u) in elected]
