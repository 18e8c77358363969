"""The round manifest: contests, options, encodings and the rule (PROTOCOL.md §5).

Parsing is strict: anything the verifier could not evaluate identically is
refused here, so the server and the verifier agree on one meaning.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from itertools import combinations

from .codec import expect_int
from .codec import expect_list
from .codec import expect_object
from .codec import expect_str
from .errors import InvalidStructure

ENCODINGS = ("options", "packed")
BASES = ("members", "present", "issued", "cast", "valid")
COMPARATORS = (">", ">=")
#: A packed contest's largest plaintext must stay below this bound so that
#: its tally can be recovered by baby-step giant-step (§11.3).
PACKED_LIMIT = 2**32
MAX_CONTESTS = 200
MAX_OPTIONS = 200


@dataclass(frozen=True)
class Contest:
    id: str
    options: tuple[str, ...]
    min: int
    max: int
    encoding: str

    def selection_sets(self) -> list[tuple[int, ...]]:
        """Every allowed set of selected option indices."""
        return [chosen for k in range(self.min, self.max + 1)
                for chosen in combinations(range(len(self.options)), k)]

    def packed_values(self, radix: int) -> list[int]:
        """Plaintexts a packed contest may encrypt, ascending (§6.3).

        Distinct because radix exceeds every digit (0 or 1).
        """
        return sorted(sum(radix**i for i in chosen) for chosen in self.selection_sets())

    def tally_entries(self) -> int:
        """Ciphertexts per ballot for this contest."""
        return 1 if self.encoding == "packed" else len(self.options)


@dataclass(frozen=True)
class Rule:
    contests: tuple[int, ...]
    option: str | None
    comparator: str
    fraction: tuple[int, int]
    base: str
    quota: int | None
    ties: str


@dataclass(frozen=True)
class Manifest:
    raw: dict
    round_id: str
    contests: tuple[Contest, ...]
    rules: tuple[Rule, ...]


def parse_manifest(obj) -> Manifest:
    """Validate a manifest object and return its typed view.

    :raises InvalidStructure: on any deviation from §5.
    """
    expect_object(obj, {"version", "conference", "round", "title", "contests", "rules"},
                  "manifest")
    if type(obj["version"]) is not int or obj["version"] != 1:
        raise InvalidStructure("manifest: unsupported version")
    expect_str(obj["conference"], "manifest.conference")
    expect_str(obj["title"], "manifest.title")
    round_id = _expect_id(obj["round"], "manifest.round", 200)
    items = expect_list(obj["contests"], "manifest.contests")
    if not 0 < len(items) <= MAX_CONTESTS:
        raise InvalidStructure("manifest: 1 to 200 contests")
    contests = tuple(_parse_contest(c, i) for i, c in enumerate(items))
    if len({c.id for c in contests}) != len(contests):
        raise InvalidStructure("manifest: contest ids must be distinct")
    rules = tuple(_parse_rule(r, contests, k)
                  for k, r in enumerate(expect_list(obj["rules"], "manifest.rules")))
    covered = [i for r in rules for i in r.contests]
    if len(covered) != len(set(covered)):
        raise InvalidStructure("manifest: a contest belongs to at most one rule")
    return Manifest(obj, round_id, contests, rules)


def _expect_id(value, what: str, max_len: int = 100) -> str:
    """An id: a non-empty string of at most ``max_len`` code points, in
    Unicode normalisation form C, compared code point by code point (§5.1)."""
    expect_str(value, what, max_len)
    if not unicodedata.is_normalized("NFC", value):
        raise InvalidStructure(f"{what}: an id must be in Unicode normalisation form C")
    return value


def _parse_contest(obj, i: int) -> Contest:
    what = f"contest {i}"
    expect_object(obj, {"id", "title", "options", "min", "max", "encoding"}, what)
    expect_str(obj["title"], f"{what}.title")
    options = expect_list(obj["options"], f"{what}.options")
    if not 0 < len(options) <= MAX_OPTIONS:
        raise InvalidStructure(f"{what}: 1 to 200 options")
    ids = []
    for j, opt in enumerate(options):
        expect_object(opt, {"id", "title"}, f"{what}.option {j}")
        expect_str(opt["title"], f"{what}.option {j}.title")
        ids.append(_expect_id(opt["id"], f"{what}.option {j}.id"))
    if len(set(ids)) != len(ids):
        raise InvalidStructure(f"{what}: option ids must be distinct")
    low = expect_int(obj["min"], f"{what}.min", 0, len(ids))
    high = expect_int(obj["max"], f"{what}.max", max(low, 1), len(ids))
    if obj["encoding"] not in ENCODINGS:
        raise InvalidStructure(f"{what}: encoding must be one of {ENCODINGS}")
    contest = Contest(_expect_id(obj["id"], f"{what}.id"), tuple(ids), low, high,
                      obj["encoding"])
    if contest.encoding == "packed" and len(ids) > 4:
        raise InvalidStructure(f"{what}: a packed contest has at most 4 options")
    return contest


def _parse_rule(obj, contests: tuple[Contest, ...], k: int) -> Rule:
    what = f"rule {k}"
    expect_object(obj, {"contests", "option", "comparator", "fraction", "base", "quota", "ties"},
                  what)
    ids = [c.id for c in contests]
    names = expect_list(obj["contests"], f"{what}.contests")
    if not names or any(n not in ids for n in names) or len(set(names)) != len(names):
        raise InvalidStructure(f"{what}: contests must be distinct ids of this manifest")
    indices = tuple(ids.index(n) for n in names)
    covered = [contests[i] for i in indices]
    option = obj["option"]
    if option is not None:
        expect_str(option, f"{what}.option")
        if any(option not in c.options for c in covered):
            raise InvalidStructure(f"{what}: option must be an option of each of its contests")
    if obj["comparator"] not in COMPARATORS:
        raise InvalidStructure(f"{what}: comparator must be '>' or '>='")
    fraction = expect_list(obj["fraction"], f"{what}.fraction", 2)
    num = expect_int(fraction[0], f"{what}: fraction numerator", 0, 10**6)
    den = expect_int(fraction[1], f"{what}: fraction denominator", 1, 10**6)
    if num > den:
        raise InvalidStructure(f"{what}: fraction must be at most 1")
    if obj["base"] not in BASES:
        raise InvalidStructure(f"{what}: base must be one of {BASES}")
    if obj["base"] == "valid" and any(c.max != 1 for c in covered):
        raise InvalidStructure(f"{what}: base 'valid' needs contests with max = 1")
    quota = obj["quota"]
    if quota is not None:
        expect_int(quota, f"{what}.quota", 1, 10**4)
    if obj["ties"] != "runoff":
        raise InvalidStructure(f"{what}: ties must be 'runoff'")
    return Rule(indices, option, obj["comparator"], (num, den), obj["base"], quota, "runoff")
