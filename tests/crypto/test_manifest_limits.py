"""The manifest's limits, each tried at its bound and one past it (PROTOCOL.md §5).

Every refusal is matched against its whole message, so that a case is
refused by the check it is about and not by an earlier one, and the message
names the field and its bound.
"""

from __future__ import annotations

import copy
import re

import pytest

from voting.crypto.errors import InvalidStructure
from voting.crypto.manifest import Contest
from voting.crypto.manifest import MAX_CONTESTS
from voting.crypto.manifest import MAX_OPTIONS
from voting.crypto.manifest import parse_manifest
from voting.crypto.manifest import Rule

from .conftest import agree_contest
from .conftest import choose_contest

RULE = {"contests": ["a"], "option": "agree", "comparator": ">", "fraction": [1, 2],
        "base": "present", "quota": None, "ties": "runoff"}


def doc(contests=None, rules=None, **top) -> dict:
    return {"version": 1, "conference": "c", "round": "r", "title": "t",
            "contests": [agree_contest("a")] if contests is None else contests,
            "rules": [] if rules is None else rules, **top}


def with_rule(**changes) -> dict:
    return doc(rules=[{**RULE, **changes}])


BASES = "('members', 'present', 'issued', 'cast', 'valid')"


def refused(obj, message: str) -> None:
    with pytest.raises(InvalidStructure, match=f"^{re.escape(message)}$"):
        parse_manifest(obj)


def test_limits_are_the_documented_ones():
    assert (MAX_CONTESTS, MAX_OPTIONS) == (200, 200)


def test_a_minimal_manifest_parses_to_its_typed_view():
    obj = with_rule()
    m = parse_manifest(obj)
    assert m.raw is obj and m.round_id == "r"
    assert m.contests == (Contest("a", ("agree", "disagree"), 0, 1, "packed"),)
    assert m.rules == (Rule((0,), "agree", ">", (1, 2), "present", None, "runoff"),)


# -- contests ---------------------------------------------------------------

def test_exactly_200_contests_are_accepted():
    m = parse_manifest(doc([agree_contest(f"c{i}") for i in range(200)]))
    assert len(m.contests) == 200 and m.contests[199].id == "c199"


def test_201_contests_are_refused():
    refused(doc([agree_contest(f"c{i}") for i in range(201)]), "manifest: 1 to 200 contests")


def test_no_contest_is_refused():
    refused(doc([]), "manifest: 1 to 200 contests")


def test_contest_ids_must_be_distinct():
    refused(doc([agree_contest("a"), agree_contest("a")]),
            "manifest: contest ids must be distinct")


# -- options ----------------------------------------------------------------

def test_exactly_200_options_are_accepted():
    m = parse_manifest(doc([choose_contest("x", 200, 200)]))
    assert len(m.contests[0].options) == 200 and m.contests[0].max == 200


def test_201_options_are_refused():
    refused(doc([choose_contest("x", 201, 1)]), "contest 0: 1 to 200 options")


def test_no_option_is_refused():
    refused(doc([choose_contest("x", 0, 1)]), "contest 0: 1 to 200 options")


def test_a_single_option_is_enough():
    contest = parse_manifest(doc([choose_contest("x", 1, 1)])).contests[0]
    assert contest.options == ("o0",) and contest.selection_sets() == [(), (0,)]


def test_contests_and_options_are_exact_objects():
    refused(doc([{**agree_contest("a"), "x": 1}]), "contest 0: missing [], unexpected ['x']")
    refused(doc([{**agree_contest("a"), "options": "agree"}]),
            "contest 0.options: expected a list")
    contest = agree_contest("a")
    del contest["options"][1]["title"]
    refused(doc([contest]), "contest 0.option 1: missing ['title'], unexpected []")


def test_ids_must_be_in_normalisation_form_c():
    contest = agree_contest("a")
    contest["options"][0]["id"] = "e\u0301"    # é as e + combining acute
    refused(doc([contest]),
            "contest 0.option 0.id: an id must be in Unicode normalisation form C")
    contest["options"][0]["id"] = "\u00e9"     # é precomposed
    assert parse_manifest(doc([contest])).contests[0].options[0] == "\u00e9"


def test_option_ids_must_be_distinct():
    contest = choose_contest("x", 2, 1)
    contest["options"][1]["id"] = contest["options"][0]["id"]
    refused(doc([contest]), "contest 0: option ids must be distinct")


def test_exactly_4_packed_options_are_accepted():
    m = parse_manifest(doc([choose_contest("p", 4, 4, "packed")]))
    assert m.contests[0].encoding == "packed" and len(m.contests[0].options) == 4


def test_5_packed_options_are_refused():
    refused(doc([choose_contest("p", 5, 1, "packed")]),
            "contest 0: a packed contest has at most 4 options")


def test_5_options_are_fine_unpacked():
    assert parse_manifest(doc([choose_contest("p", 5, 1)])).contests[0].tally_entries() == 5


def test_unknown_encoding_is_refused():
    refused(doc([choose_contest("p", 2, 1, "binary")]),
            "contest 0: encoding must be one of ('options', 'packed')")


# -- min and max ------------------------------------------------------------

@pytest.mark.parametrize(("low", "high"), [(0, 1), (0, 3), (3, 3), (1, 2), (2, 3)])
def test_min_and_max_within_bounds(low, high):
    contest = {**choose_contest("x", 3, high), "min": low}
    parsed = parse_manifest(doc([contest])).contests[0]
    assert (parsed.min, parsed.max) == (low, high)


@pytest.mark.parametrize(("low", "high", "message"), [
    (0, 0, "contest 0.max: expected an integer in [1, 3]"),    # max is at least 1
    (0, 4, "contest 0.max: expected an integer in [1, 3]"),    # at most the options
    (2, 1, "contest 0.max: expected an integer in [2, 3]"),    # at least min
    (4, 4, "contest 0.min: expected an integer in [0, 3]"),    # min at most the options
    (-1, 1, "contest 0.min: expected an integer in [0, 3]"),
])
def test_min_and_max_out_of_bounds(low, high, message):
    contest = {**choose_contest("x", 3, high), "min": low}
    refused(doc([contest]), message)


def test_selection_sets_and_packed_values():
    contest = parse_manifest(doc([{**choose_contest("p", 3, 2, "packed"), "min": 1}])).contests[0]
    assert contest.selection_sets() == [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]
    # radix 10: digit i of the plaintext is option i.
    assert contest.packed_values(10) == [1, 10, 11, 100, 101, 110]
    assert contest.tally_entries() == 1
    blank = parse_manifest(doc([choose_contest("q", 2, 1)])).contests[0]
    assert blank.selection_sets() == [(), (0,), (1,)]
    assert blank.tally_entries() == 2


# -- strings ----------------------------------------------------------------

def _contest_with(key: str, value: str) -> dict:
    contest = agree_contest("a")
    if key == "option id":
        contest["options"][0]["id"] = value
    elif key == "option title":
        contest["options"][0]["title"] = value
    else:
        contest[key] = value
    return contest


@pytest.mark.parametrize(("where", "bound", "field"), [
    ("id", 100, "contest 0.id"), ("option id", 100, "contest 0.option 0.id"),
    ("title", 1000, "contest 0.title"), ("option title", 1000, "contest 0.option 0.title"),
])
def test_contest_strings_at_their_bound(where, bound, field):
    contest = _contest_with(where, "x" * bound)
    rules = [{**RULE, "contests": [contest["id"]], "option": contest["options"][0]["id"]}]
    parse_manifest(doc([contest], rules))
    refused(doc([_contest_with(where, "x" * (bound + 1))]), f"{field}: expected a non-empty string")
    refused(doc([_contest_with(where, "")]), f"{field}: expected a non-empty string")


@pytest.mark.parametrize(("key", "bound"), [("round", 200), ("conference", 1000),
                                            ("title", 1000)])
def test_manifest_strings_at_their_bound(key, bound):
    assert parse_manifest({**doc(), key: "x" * bound}).raw[key] == "x" * bound
    refused({**doc(), key: "x" * (bound + 1)}, f"manifest.{key}: expected a non-empty string")
    refused({**doc(), key: ""}, f"manifest.{key}: expected a non-empty string")


def test_round_id_is_returned():
    assert parse_manifest({**doc(), "round": "r" * 200}).round_id == "r" * 200


# -- the manifest object ----------------------------------------------------

@pytest.mark.parametrize("version", [0, 2, True, "1", 1.0])
def test_only_version_1(version):
    refused({**doc(), "version": version}, "manifest: unsupported version")


def test_unknown_and_missing_fields_are_refused():
    refused({**doc(), "extra": 1}, "manifest: missing [], unexpected ['extra']")
    obj = doc()
    del obj["title"]
    refused(obj, "manifest: missing ['title'], unexpected []")
    refused([doc()], "manifest: expected an object")
    refused({**doc(), "contests": {}}, "manifest.contests: expected a list")
    refused({**doc(), "rules": {}}, "manifest.rules: expected a list")


# -- rules ------------------------------------------------------------------

def test_fraction_of_exactly_one_is_accepted():
    assert parse_manifest(with_rule(fraction=[7, 7])).rules[0].fraction == (7, 7)


def test_fraction_just_above_one_is_refused():
    refused(with_rule(fraction=[8, 7]), "rule 0: fraction must be at most 1")


def test_fraction_of_zero_is_accepted():
    assert parse_manifest(with_rule(fraction=[0, 5])).rules[0].fraction == (0, 5)


def test_denominator_up_to_a_million():
    assert parse_manifest(with_rule(fraction=[1, 10**6])).rules[0].fraction == (1, 10**6)
    assert parse_manifest(with_rule(fraction=[10**6, 10**6])).rules[0].fraction == (10**6, 10**6)
    refused(with_rule(fraction=[1, 10**6 + 1]), DEN)
    refused(with_rule(fraction=[10**6 + 1, 10**6 + 1]), NUM)


NUM = "rule 0: fraction numerator: expected an integer in [0, 1000000]"
DEN = "rule 0: fraction denominator: expected an integer in [1, 1000000]"


@pytest.mark.parametrize(("fraction", "message"), [
    ([1, 0], DEN), ([-1, 2], NUM), ([True, 2], NUM), (["1", 2], NUM), ([1, True], DEN),
    ([1], "rule 0.fraction: expected 2 items, got 1"),
    ([1, 2, 3], "rule 0.fraction: expected 2 items, got 3"),
    ("1/2", "rule 0.fraction: expected a list"),
])
def test_malformed_fractions(fraction, message):
    refused(with_rule(fraction=fraction), message)


def test_quota_bounds():
    assert parse_manifest(with_rule(quota=1)).rules[0].quota == 1
    assert parse_manifest(with_rule(quota=10**4)).rules[0].quota == 10**4
    for quota in (10**4 + 1, 0, True, "1"):
        refused(with_rule(quota=quota), "rule 0.quota: expected an integer in [1, 10000]")


@pytest.mark.parametrize("base", ["members", "present", "issued", "cast", "valid"])
def test_every_base_is_accepted(base):
    assert parse_manifest(with_rule(base=base)).rules[0].base == base


@pytest.mark.parametrize("comparator", [">", ">="])
def test_both_comparators_are_accepted(comparator):
    assert parse_manifest(with_rule(comparator=comparator)).rules[0].comparator == comparator


@pytest.mark.parametrize(("changes", "message"), [
    ({"comparator": "<"}, "rule 0: comparator must be '>' or '>='"),
    ({"comparator": "=>"}, "rule 0: comparator must be '>' or '>='"),
    ({"base": "everyone"}, f"rule 0: base must be one of {BASES}"),
    ({"ties": "coin"}, "rule 0: ties must be 'runoff'"),
    ({"contests": []}, "rule 0: contests must be distinct ids of this manifest"),
    ({"contests": ["a", "a"]}, "rule 0: contests must be distinct ids of this manifest"),
    ({"contests": ["z"]}, "rule 0: contests must be distinct ids of this manifest"),
    ({"contests": "a"}, "rule 0.contests: expected a list"),
    ({"option": "maybe"}, "rule 0: option must be an option of each of its contests"),
    ({"option": 3}, "rule 0.option: expected a non-empty string"),
    ({"x": 1}, "rule 0: missing [], unexpected ['x']"),
])
def test_bad_rules_are_refused_by_their_own_check(changes, message):
    refused(with_rule(**changes), message)


def test_an_option_must_be_in_every_contest_of_the_rule():
    contests = [agree_contest("a"), choose_contest("b", 2, 1)]
    refused(doc(contests, [{**RULE, "contests": ["a", "b"]}]),
            "rule 0: option must be an option of each of its contests")


def test_rule_without_option_covers_the_contests_in_its_order():
    contests = [agree_contest("a"), choose_contest("b", 2, 1)]
    rule = parse_manifest(doc(contests, [{**RULE, "contests": ["b", "a"], "option": None,
                                          "quota": 2}])).rules[0]
    assert rule == Rule((1, 0), None, ">", (1, 2), "present", 2, "runoff")


def test_base_valid_needs_max_one_in_every_contest():
    contests = [agree_contest("a"), choose_contest("b", 3, 2)]
    parse_manifest(doc(contests, [{**RULE, "base": "valid"}]))
    refused(doc(contests, [{**RULE, "contests": ["a", "b"], "option": None, "base": "valid"}]),
            "rule 0: base 'valid' needs contests with max = 1")


def test_a_contest_belongs_to_at_most_one_rule():
    contests = [agree_contest("a"), agree_contest("b")]
    parse_manifest(doc(contests, [RULE, {**RULE, "contests": ["b"]}]))
    refused(doc(contests, [RULE, {**RULE, "contests": ["b", "a"]}]),
            "manifest: a contest belongs to at most one rule")


def test_the_second_rule_is_named_in_its_errors():
    contests = [agree_contest("a"), agree_contest("b")]
    refused(doc(contests, [RULE, {**RULE, "contests": ["b"], "base": "x"}]),
            f"rule 1: base must be one of {BASES}")


def test_parsing_does_not_change_its_input():
    obj = with_rule()
    before = copy.deepcopy(obj)
    parse_manifest(obj)
    assert obj == before
