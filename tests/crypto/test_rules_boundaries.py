"""Rules on their boundaries (PROTOCOL.md §10).

Each threshold is tried exactly on the line count·den == num·base, where
``>`` and ``>=`` disagree, and one vote either side; each quota with
exactly q candidates passing, q + 1 with and without a tie at the cut-off,
and ties above it. The outcome rows are compared whole.
"""

from __future__ import annotations

import pytest

from voting.crypto.manifest import parse_manifest
from voting.crypto.rules import candidates
from voting.crypto.rules import evaluate

from .conftest import agree_contest
from .conftest import choose_contest
from .test_rules import manifest
from .test_rules import statuses

BASES = {"members": 30, "present": 20, "issued": 18, "cast": 12}


@pytest.mark.parametrize(("comparator", "fraction", "base", "count", "passed"), [
    # More than half of those present (20): the line is 10.
    (">", [1, 2], "present", 9, False),
    (">", [1, 2], "present", 10, False),
    (">", [1, 2], "present", 11, True),
    (">=", [1, 2], "present", 9, False),
    (">=", [1, 2], "present", 10, True),
    (">=", [1, 2], "present", 11, True),
    # Two thirds of the members (30): the line is 20; den > 1 and num > 1.
    (">", [2, 3], "members", 20, False),
    (">", [2, 3], "members", 21, True),
    (">=", [2, 3], "members", 19, False),
    (">=", [2, 3], "members", 20, True),
    # Three quarters of the cards issued (18): 13.5 is not a whole count.
    (">", [3, 4], "issued", 13, False),
    (">", [3, 4], "issued", 14, True),
    (">=", [3, 4], "issued", 13, False),
    (">=", [3, 4], "issued", 14, True),
    # All of the ballots cast (12): only unanimity reaches a fraction of 1.
    (">=", [1, 1], "cast", 11, False),
    (">=", [1, 1], "cast", 12, True),
    (">", [1, 1], "cast", 12, False),
    # A fraction of 0: ">" needs one vote, ">=" passes everyone.
    (">", [0, 1], "cast", 0, False),
    (">", [0, 1], "cast", 1, True),
    (">=", [0, 1], "cast", 0, True),
])
def test_threshold_on_and_beside_the_line(comparator, fraction, base, count, passed):
    m = manifest([agree_contest("a")], comparator=comparator, fraction=fraction, base=base)
    row = evaluate(m, [[count, 0]], BASES)[0][0]
    assert row == {"contest": 0, "option": None, "count": count, "base": BASES[base],
                   "status": "elected" if passed else "not_elected"}


@pytest.mark.parametrize(("comparator", "votes", "passed"), [
    (">", [5, 5], False), (">", [6, 4], True), (">=", [5, 5], True), (">=", [4, 6], False),
])
def test_valid_base_on_the_line(comparator, votes, passed):
    # Valid = agree + disagree = 10 (blank ballots are not in the counts).
    m = manifest([agree_contest("a")], comparator=comparator, base="valid")
    assert evaluate(m, [votes], BASES)[0][0]["base"] == 10
    assert statuses(m, [votes], BASES) == ["elected" if passed else "not_elected"]


def test_a_rule_on_the_second_option_counts_that_option():
    m = manifest([agree_contest("a"), agree_contest("b")], option="disagree", base="valid")
    out = evaluate(m, [[2, 7], [7, 2]], BASES)[0]
    assert out == [
        {"contest": 0, "option": None, "count": 7, "base": 9, "status": "elected"},
        {"contest": 1, "option": None, "count": 2, "base": 9, "status": "not_elected"},
    ]


def test_rule_covers_only_its_contests_in_its_order():
    contests = [agree_contest("a"), agree_contest("b"), agree_contest("c")]
    m = manifest(contests, contests=["c", "a"])
    assert candidates(m, m.rules[0]) == [(2, None), (0, None)]
    out = evaluate(m, [[11, 0], [20, 0], [10, 0]], BASES)[0]
    assert [(r["contest"], r["count"], r["status"]) for r in out] == [
        (2, 10, "not_elected"), (0, 11, "elected")]


def test_candidates_of_an_options_rule_are_every_option():
    m = manifest([choose_contest("x", 3, 1)], option=None, base="cast")
    assert candidates(m, m.rules[0]) == [(0, 0), (0, 1), (0, 2)]
    out = evaluate(m, [[7, 5, 0]], BASES)[0]
    assert out == [
        {"contest": 0, "option": 0, "count": 7, "base": 12, "status": "elected"},
        {"contest": 0, "option": 1, "count": 5, "base": 12, "status": "not_elected"},
        {"contest": 0, "option": 2, "count": 0, "base": 12, "status": "not_elected"},
    ]


def test_every_rule_is_evaluated_over_its_own_base():
    contests = [agree_contest("a"), agree_contest("b")]
    m = manifest(contests, contests=["a"])
    raw = {**m.raw, "rules": [m.raw["rules"][0],
                              {**m.raw["rules"][0], "contests": ["b"], "base": "members",
                               "comparator": ">="}]}
    out = evaluate(parse_manifest(raw), [[11, 0], [15, 0]], BASES)
    assert [[(r["contest"], r["base"], r["status"]) for r in rule] for rule in out] == [
        [(0, 20, "elected")], [(1, 30, "elected")]]


def quota_statuses(counts, quota, fraction=(1, 10)):
    n = len(counts)
    m = manifest([choose_contest("flag", n, n)], option=None, base="cast", quota=quota,
                 fraction=list(fraction))
    return statuses(m, [counts], BASES)


@pytest.mark.parametrize(("counts", "quota", "expected"), [
    # Exactly q pass (the others fall below 1/10 of 12 cast, i.e. need 2):
    # all of them are elected, whatever their order.
    ([1, 9, 3, 1], 2, ["not_elected", "elected", "elected", "not_elected"]),
    ([5, 5, 1], 2, ["elected", "elected", "not_elected"]),
    # q + 1 pass with distinct counts: the lowest is cut.
    ([5, 9, 7], 2, ["not_elected", "elected", "elected"]),
    ([5, 9, 7], 1, ["not_elected", "elected", "not_elected"]),
    # q + 1 pass with a tie at the cut-off: run-off between the tied ones.
    ([7, 9, 7], 2, ["runoff", "elected", "runoff"]),
    ([7, 7], 1, ["runoff", "runoff"]),
    # A tie above the cut-off fills the quota exactly: no run-off.
    ([9, 9, 7], 2, ["elected", "elected", "not_elected"]),
    # Three tied for two places, one clearly below.
    ([6, 6, 6, 2], 2, ["runoff", "runoff", "runoff", "not_elected"]),
    # A tie at the cut-off among q + 2, with one ahead and one behind.
    ([9, 7, 7, 5], 2, ["elected", "runoff", "runoff", "not_elected"]),
    # Fewer pass than the quota allows.
    ([9, 1, 1], 2, ["elected", "not_elected", "not_elected"]),
])
def test_quota_cut_off(counts, quota, expected):
    assert quota_statuses(counts, quota) == expected


def test_quota_ranks_only_candidates_that_passed():
    # 12 cast; more than half needs 7. Option 1 has 6: it fails the
    # threshold and does not compete for the single place.
    assert quota_statuses([7, 6, 0], 1, (1, 2)) == ["elected", "not_elected", "not_elected"]
    assert quota_statuses([8, 7, 6], 1, (1, 2)) == ["elected", "not_elected", "not_elected"]
    assert quota_statuses([7, 7, 6], 1, (1, 2)) == ["runoff", "runoff", "not_elected"]


def test_no_quota_elects_everyone_who_passes():
    assert quota_statuses([9, 9, 9, 9], None) == ["elected"] * 4
