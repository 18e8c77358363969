"""The election object's limits, each at its bound and one past it
(PROTOCOL.md §5.3, §6.3); refusals are matched against their message."""

from __future__ import annotations

import copy

import pytest

from voting.crypto import keys
from voting.crypto.codec import point_hex
from voting.crypto.drbg import TestRng
from voting.crypto.election import election_object
from voting.crypto.election import parse_election
from voting.crypto.errors import InvalidStructure
from voting.crypto.group import mul_base

from .conftest import agree_contest
from .conftest import choose_contest

SERVER_KEY = mul_base(0x5E5E)


def manifest(contests=None) -> dict:
    return {"version": 1, "conference": "c", "round": "r", "title": "t",
            "contests": contests or [agree_contest("a")], "rules": []}


def credentials(n: int) -> list[str]:
    return [point_hex(mul_base(k)) for k in range(1, n + 1)]


def build(threshold=2, trustees=3, voters=3, contests=None, seed=b"election") -> dict:
    dealing = keys.deal(threshold, trustees, rng=TestRng(seed))
    return election_object(manifest(contests), "dealer", threshold, [dealing.to_json()],
                           [f"T{i}" for i in range(1, trustees + 1)], credentials(voters),
                           point_hex(SERVER_KEY), "c1" * 32)


@pytest.fixture(scope="module")
def good() -> dict:
    return build()


def refused(obj, message: str) -> None:
    with pytest.raises(InvalidStructure, match=message):
        parse_election(obj)


def test_a_built_election_parses_to_its_parts(good):
    election = parse_election(good)
    assert election.threshold == 2 and election.radix == 4
    assert [(t.index, t.name) for t in election.trustees] == [(1, "T1"), (2, "T2"), (3, "T3")]
    assert election.trustee(2) is election.trustees[1]
    assert election.trustee(0) is None and election.trustee(4) is None
    assert election.credential_list == tuple(mul_base(k) for k in (1, 2, 3))
    assert election.server_key == SERVER_KEY
    assert len(election.dealings) == 1 and len(election.dealings[0][0]) == 2


def test_election_object_checks_the_dealers_against_the_threshold():
    dealing = keys.deal(3, 3, rng=TestRng(b"three")).to_json()
    with pytest.raises(InvalidStructure, match=r"^dealer 0\.commitments: expected 2 items"):
        election_object(manifest(), "dealer", 2, [dealing], ["A", "B", "C"], credentials(1),
                        point_hex(SERVER_KEY), "c1" * 32)


def test_parse_election_checks_the_dealers_against_the_threshold(good):
    obj = copy.deepcopy(good)
    obj["dealers"] = [keys.deal(3, 3, rng=TestRng(b"three")).to_json()]
    refused(obj, r"^dealer 0\.commitments: expected 2 items")


def test_not_an_election_object(good):
    refused([good], r"^election: expected an object$")
    refused({k: v for k, v in good.items() if k != "server_key"},
            r"^election: missing \['server_key'\]")


@pytest.mark.parametrize(("threshold", "trustees"), [(1, 1), (3, 3), (1, 32)])
def test_thresholds_and_trustee_counts_at_their_bounds(threshold, trustees):
    election = parse_election(build(threshold, trustees, seed=b"bounds"))
    assert (election.threshold, len(election.trustees)) == (threshold, trustees)


@pytest.mark.parametrize("threshold", [0, 33, True])
def test_threshold_out_of_range(good, threshold):
    refused({**good, "threshold": threshold}, r"^threshold: expected an integer in \[1, 32\]$")


def test_more_than_32_trustees_or_fewer_than_the_threshold(good):
    obj = build(1, 32, seed=b"many")
    extra = {**obj["trustees"][0], "index": 33}
    refused({**obj, "trustees": obj["trustees"] + [extra]}, r"^need threshold <= trustees <= 32$")
    refused({**good, "threshold": 4}, r"^need threshold <= trustees <= 32$")


def test_trustees_are_a_list_of_exact_objects(good):
    refused({**good, "trustees": {}}, r"^trustees: expected a list$")
    bad = copy.deepcopy(good)
    bad["trustees"][1]["x"] = 1
    refused(bad, r"^trustee 1: missing \[\], unexpected \['x'\]$")


@pytest.mark.parametrize(("position", "index"), [(0, 0), (0, 2), (1, 1), (1, 3), (2, 4)])
def test_trustees_are_numbered_from_1_in_order(good, position, index):
    bad = copy.deepcopy(good)
    bad["trustees"][position]["index"] = index
    n = position + 1
    refused(bad, rf"^trustee index: expected an integer in \[{n}, {n}\]$")


def test_trustee_names_up_to_200_characters(good):
    ok = copy.deepcopy(good)
    ok["trustees"][0]["name"] = "n" * 200
    assert parse_election(ok).trustees[0].name == "n" * 200
    for name in ("n" * 201, "", 7):
        bad = copy.deepcopy(good)
        bad["trustees"][0]["name"] = name
        refused(bad, r"^trustee name: expected a non-empty string$")


def test_credentials_are_a_non_empty_sorted_distinct_list(good):
    refused({**good, "credentials": "x"}, r"^credentials: expected a list$")
    refused({**good, "credentials": []}, r"^at least one credential$")
    a, b, c = good["credentials"]
    for order in ([b, a, c], [a, c, b], [a, a, c], [a, b, b]):
        refused({**good, "credentials": order}, r"^credentials must be sorted and distinct$")


def test_packed_contests_bound_the_number_of_credentials():
    """radix = credentials + 1 and radix^options must stay below 2^32: with
    4 packed options, 254 credentials (255^4 < 2^32) but not 255 (256^4)."""
    packed = [choose_contest("p", 4, 1, "packed")]
    assert parse_election(build(voters=254, contests=packed, seed=b"254")).radix == 255
    refused(build(voters=255, contests=packed, seed=b"255"),
            r"^contest p: too many credentials to pack$")
    # The bound is for packed contests only.
    unpacked = [choose_contest("p", 4, 1)]
    assert parse_election(build(voters=255, contests=unpacked, seed=b"255")).radix == 256
