"""Rule evaluation: exact fractions, every base, quotas and run-offs (§10)."""

from __future__ import annotations

import pytest

from voting.crypto.errors import InvalidStructure
from voting.crypto.manifest import parse_manifest
from voting.crypto.rules import evaluate

from .conftest import agree_contest
from .conftest import choose_contest

BASES = {"members": 30, "present": 21, "issued": 20, "cast": 20}


def manifest(contest_list, **rule):
    defaults = {"contests": [c["id"] for c in contest_list], "option": "agree", "comparator": ">",
                "fraction": [1, 2], "base": "present", "quota": None, "ties": "runoff"}
    return parse_manifest({"version": 1, "conference": "c", "round": "r", "title": "t",
                           "contests": contest_list, "rules": [{**defaults, **rule}]})


def statuses(m, counts, bases=BASES):
    return [o["status"] for o in evaluate(m, counts, bases)[0]]


def test_strict_majority_of_present_is_exact():
    m = manifest([agree_contest("a"), agree_contest("b"), agree_contest("c")])
    # 21 present: 10.5 is half. 11 passes, 10 fails; no rounding anywhere.
    assert statuses(m, [[11, 0], [10, 5], [21, 0]]) == ["elected", "not_elected", "elected"]


def test_at_least_two_thirds_with_equality():
    m = manifest([agree_contest("a"), agree_contest("b")], comparator=">=", fraction=[2, 3],
                 base="members")
    assert statuses(m, [[20, 0], [19, 0]]) == ["elected", "not_elected"]   # 20 = 2/3 of 30


def test_ninety_percent_of_cast():
    m = manifest([agree_contest("a"), agree_contest("b")], comparator=">=", fraction=[9, 10],
                 base="cast")
    assert statuses(m, [[18, 2], [17, 0]]) == ["elected", "not_elected"]


def test_valid_base_ignores_blank_ballots():
    m = manifest([agree_contest("a")], base="valid")
    out = evaluate(m, [[6, 5]], BASES)[0][0]
    assert out["base"] == 11 and out["status"] == "elected"


def test_quota_takes_the_top_and_reports_a_tie_at_the_cut_off():
    m = manifest([choose_contest("flag", 4, 1)], option=None, base="cast", quota=1,
                 fraction=[1, 4])
    assert statuses(m, [[9, 6, 3, 2]]) == ["elected", "not_elected", "not_elected",
                                          "not_elected"]
    assert statuses(m, [[7, 7, 6, 0]]) == ["runoff", "runoff", "not_elected", "not_elected"]


def test_quota_of_two_with_tie_for_second_place():
    m = manifest([choose_contest("flag", 4, 2)], option=None, base="cast", quota=2,
                 fraction=[1, 10])
    assert statuses(m, [[9, 5, 5, 1]]) == ["elected", "runoff", "runoff", "not_elected"]
    assert statuses(m, [[9, 9, 5, 1]]) == ["elected", "elected", "not_elected", "not_elected"]


def test_valid_base_is_refused_for_multi_choice_contests():
    with pytest.raises(InvalidStructure):
        manifest([choose_contest("flag", 4, 2)], option=None, base="valid")


@pytest.mark.parametrize("rule", [
    {"fraction": [3, 2]}, {"fraction": [1, 0]}, {"comparator": "<"}, {"base": "everyone"},
    {"option": "maybe"}, {"ties": "coin"}, {"quota": 0}, {"contests": ["nope"]},
])
def test_bad_rules_are_refused(rule):
    with pytest.raises(InvalidStructure):
        manifest([agree_contest("a")], **rule)
