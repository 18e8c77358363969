"""Rule evaluation with exact fractions (PROTOCOL.md §10).

Pure integer arithmetic: ``count > num/den · base`` is decided as
``count·den > num·base``, so the server and every verifier agree exactly.
"""

from __future__ import annotations

from .manifest import Manifest
from .manifest import Rule

ELECTED, NOT_ELECTED, RUNOFF = "elected", "not_elected", "runoff"


def candidates(manifest: Manifest, rule: Rule) -> list[tuple[int, int | None]]:
    """A rule's candidates in order: (contest, None) when the rule names an
    option (one candidate per contest), else (contest, option)."""
    if rule.option is not None:
        return [(i, None) for i in rule.contests]
    return [(i, j) for i in rule.contests for j in range(len(manifest.contests[i].options))]


def evaluate(manifest: Manifest, counts: list[list[int]],
             bases: dict[str, int]) -> list[list[dict]]:
    """Apply each of the round's rules to the decrypted counts (§10.2).

    ``bases`` holds members, present, issued and cast; the base ``valid``
    is the number of non-blank ballots in the candidate's contest, which is
    the sum of its counts because such contests have max = 1.

    Returns, per rule, one outcome per candidate: contest, option (or
    null), count, base, and status ``elected``, ``not_elected`` or ``runoff``.
    """
    return [_evaluate_rule(manifest, rule, counts, bases) for rule in manifest.rules]


def _evaluate_rule(manifest: Manifest, rule: Rule, counts, bases) -> list[dict]:
    num, den = rule.fraction
    rows = []
    for i, j in candidates(manifest, rule):
        option = manifest.contests[i].options.index(rule.option) if j is None else j
        count = counts[i][option]
        base = sum(counts[i]) if rule.base == "valid" else bases[rule.base]
        passed = count * den > num * base if rule.comparator == ">" else count * den >= num * base
        rows.append({"contest": i, "option": j, "count": count, "base": base, "passed": passed})
    _apply_quota(rows, rule.quota)
    return [{"contest": r["contest"], "option": r["option"], "count": r["count"],
             "base": r["base"], "status": r["status"]} for r in rows]


def _apply_quota(rows: list[dict], quota: int | None) -> None:
    """Mark statuses; a tie across the quota's cut-off needs a run-off (§10.3)."""
    passing = [r for r in rows if r["passed"]]
    for r in rows:
        r["status"] = ELECTED if r["passed"] else NOT_ELECTED
    if quota is None or len(passing) <= quota:
        return
    cutoff = sorted((r["count"] for r in passing), reverse=True)[quota - 1]
    above = sum(1 for r in passing if r["count"] > cutoff)
    at_cutoff = [r for r in passing if r["count"] == cutoff]
    for r in passing:
        if r["count"] < cutoff:
            r["status"] = NOT_ELECTED
    if above + len(at_cutoff) > quota:
        for r in at_cutoff:
            r["status"] = RUNOFF
