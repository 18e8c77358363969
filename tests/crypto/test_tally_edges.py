"""The tally at its edges (PROTOCOL.md §11): shapes that must not be
truncated, counts above their bound, a round without ballots, and tallies
summed in parts."""

from __future__ import annotations

import copy
import re

import pytest

from voting.crypto import group
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.drbg import TestRng
from voting.crypto.elgamal import Ciphertext
from voting.crypto.elgamal import ZERO
from voting.crypto.errors import InvalidStructure
from voting.crypto.tally import _unpack
from voting.crypto.tally import add_rows
from voting.crypto.tally import ciphertext_blob
from voting.crypto.tally import combine
from voting.crypto.tally import discrete_log
from voting.crypto.tally import empty_tally
from voting.crypto.tally import parse_partial
from voting.crypto.tally import parse_tally
from voting.crypto.tally import partial_decrypt
from voting.crypto.tally import result_body
from voting.crypto.tally import sum_tallies
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import tally_blobs
from voting.crypto.tally import tally_to_json
from voting.crypto.tally import verify_partial

from .conftest import agree_contest
from .conftest import choose_contest
from .conftest import make_election

BASES = {"members": 10, "present": 8, "issued": 6}
CHOICES = [[[0], [1], [0, 2]], [[0], [], [2]], [[1], [0], []], [[], [], [1, 2]]]


@pytest.fixture(scope="module")
def ballots(small):
    election, secrets, _ = small
    rng = TestRng(b"tally edges")
    return [encrypt_ballot(election, c, s, rng) for c, s in zip(CHOICES, secrets, strict=True)]


def partials(election, tally, shares, trustees=(1, 2)):
    rng = TestRng(b"partials")
    return [partial_decrypt(election, tally, i, shares[i], rng) for i in trustees]


def parsed(election, objs):
    return dict(parse_partial(election, obj) for obj in objs)


def test_adding_rows_of_another_shape_is_refused(small):
    election, _, _ = small
    tally = empty_tally(election)
    ct = Ciphertext(group.BASE, group.BASE)
    assert add_rows(tally, [[ct], [ct], [ct, ct, ct]])[2] == [ct, ct, ct]
    with pytest.raises(ValueError):    # a contest short
        add_rows(tally, [[ct], [ct]])
    with pytest.raises(ValueError):    # an entry short
        add_rows(tally, [[ct], [ct], [ct, ct]])


def test_a_blob_must_fit_the_manifest(small, ballots):
    election, _, _ = small
    blob = ciphertext_blob(ballots[0])
    assert len(blob) == 64 * 5   # 1 + 1 + 3 entries
    with pytest.raises(ValueError, match="^ciphertext blob does not fit the manifest$"):
        tally_blobs(election, [blob[:-64]])
    with pytest.raises(ValueError, match="^ciphertext blob does not fit the manifest$"):
        tally_blobs(election, [blob + blob[:64]])


def test_tally_of_no_ballot_is_the_empty_tally(small):
    election, _, _ = small
    assert tally_blobs(election, []) == empty_tally(election)
    assert empty_tally(election) == [[ZERO], [ZERO], [ZERO, ZERO, ZERO]]


def test_a_tally_summed_in_parts_equals_the_whole(small, ballots):
    election, _, _ = small
    whole = tally_ballots(election, ballots)
    parts = [tally_ballots(election, ballots[:1]), tally_ballots(election, ballots[1:3]),
             tally_ballots(election, ballots[3:])]
    assert sum_tallies(parts) == whole
    assert sum_tallies(parts[:1]) == parts[0]
    assert sum_tallies(iter(parts)) == whole


def test_combine_refuses_counts_above_the_number_cast(small, ballots):
    """Each entry is searched only up to its bound: cast for an option, cast
    times the largest packed value for a packed contest."""
    election, _, shares = small
    tally = tally_ballots(election, ballots)
    chosen = parsed(election, partials(election, tally, shares))
    assert combine(election, tally, chosen, 4) == [[2, 1], [1, 1], [1, 1, 3]]
    # Option 2 of contest c has 3 votes: with 2 cast it is out of range.
    with pytest.raises(ValueError, match="^decrypted value out of range$"):
        combine(election, tally, chosen, 2)


def test_combine_needs_threshold_partials(small, ballots):
    election, _, shares = small
    tally = tally_ballots(election, ballots)
    one = parsed(election, partials(election, tally, shares, (1,)))
    with pytest.raises(ValueError, match="^fewer partial decryptions than the threshold$"):
        combine(election, tally, one, 4)


def test_unpack_reads_little_endian_digits_and_refuses_an_overflow():
    assert _unpack(0, 5, 2) == [0, 0]
    assert _unpack(3 + 2 * 5, 5, 2) == [3, 2]
    assert _unpack(24, 5, 2) == [4, 4]
    with pytest.raises(ValueError, match="^packed total exceeds its digits$"):
        _unpack(25, 5, 2)


@pytest.mark.parametrize("bound", [0, 1, 2, 3, 15, 16, 17, 24, 25, 26])
def test_discrete_log_at_every_bound(bound):
    """Every m in [0, bound] is found and bound + 1 is not, also around the
    squares where the baby-step table changes size."""
    for m in {0, bound // 2, max(bound - 1, 0), bound}:
        assert discrete_log(group.mul_base(m), bound) == m
    with pytest.raises(ValueError, match="^decrypted value out of range$"):
        discrete_log(group.mul_base(bound + 1), bound)


def test_a_round_without_ballots_has_zero_counts_and_no_trustees():
    election, _, _ = make_election([agree_contest("a"), choose_contest("b", 3, 1)],
                                   rules=[{"contests": ["a"], "option": "agree",
                                           "comparator": ">=", "fraction": [0, 1],
                                           "base": "cast", "quota": None, "ties": "runoff"}],
                                   seed=b"empty")
    body = result_body(election, empty_tally(election), [], {**BASES, "cast": 0})
    assert body == {"trustees": [], "counts": [[0, 0], [0, 0, 0]],
                    "outcomes": [[{"contest": 0, "option": None, "count": 0, "base": 0,
                                   "status": "elected"}]]}


def test_result_body_uses_the_first_threshold_partials(small, ballots):
    election, _, shares = small
    tally = tally_ballots(election, ballots)
    objs = partials(election, tally, shares, (3, 1, 2))
    body = result_body(election, tally, objs, {**BASES, "cast": 4})
    assert body["trustees"] == [1, 3]
    assert body["counts"] == [[2, 1], [1, 1], [1, 1, 3]]
    assert body["outcomes"] == []


PARTIAL_CASES = {
    "fields": (lambda p: p.pop("shares"), "partial decryption: missing ['shares'], unexpected []"),
    "trustee 0": (lambda p: p.update(trustee=0), "partial.trustee: expected an integer in [1, 3]"),
    "trustee 4": (lambda p: p.update(trustee=4), "partial.trustee: expected an integer in [1, 3]"),
    "a contest short": (lambda p: p["shares"].pop(), "partial.shares: expected 3 items, got 2"),
    "an entry short": (lambda p: p["shares"][2].pop(),
                       "partial.shares[2]: expected 3 items, got 2"),
    "a packed entry more": (lambda p: p["shares"][0].append(p["shares"][0][0]),
                            "partial.shares[0]: expected 1 items, got 2"),
    "share fields": (lambda p: p["shares"][1][0].pop("u"),
                     "partial share: missing ['u'], unexpected []"),
}


@pytest.mark.parametrize("case", sorted(PARTIAL_CASES))
def test_a_malformed_partial_decryption_is_refused_by_its_own_check(small, ballots, case):
    election, _, shares = small
    tally = tally_ballots(election, ballots)
    obj = copy.deepcopy(partials(election, tally, shares, (1,))[0])
    change, message = PARTIAL_CASES[case]
    change(obj)
    with pytest.raises(InvalidStructure, match=f"^{re.escape(message)}$"):
        parse_partial(election, obj)


def test_verify_partial_refuses_an_unknown_trustee(small, ballots):
    election, _, shares = small
    tally = tally_ballots(election, ballots)
    _, rows = parse_partial(election, partials(election, tally, shares, (1,))[0])
    verify_partial(election, tally, 1, rows)
    with pytest.raises(InvalidStructure, match="^unknown trustee 4$"):
        verify_partial(election, tally, 4, rows)


def test_a_published_tally_is_read_in_the_manifest_shape(small, ballots):
    election, _, _ = small
    tally = tally_ballots(election, ballots)
    obj = tally_to_json(tally)
    assert parse_tally(election, obj) == tally

    def refused(bad, message):
        with pytest.raises(InvalidStructure, match=f"^{re.escape(message)}$"):
            parse_tally(election, bad)

    refused({"tally": obj}, "tally: expected a list")
    refused(obj[:2], "tally: expected 3 items, got 2")
    refused([obj[0], obj[1], obj[2][:2]], "tally[2]: expected 3 items, got 2")
    refused([obj[0] + obj[0], obj[1], obj[2]], "tally[0]: expected 1 items, got 2")
    refused([obj[0], [{"alpha": obj[1][0]["alpha"]}], obj[2]],
            "tally[1]: missing ['beta'], unexpected []")


def test_decryption_never_skips_an_entry_of_a_shorter_tally(small, ballots):
    """Partials and tally of different shapes are an error, not a check of
    the common part."""
    election, _, shares = small
    tally = tally_ballots(election, ballots)
    objs = partials(election, tally, shares)
    chosen = parsed(election, objs)
    short = [tally[0], tally[1], tally[2][:2]]
    with pytest.raises(ValueError):
        verify_partial(election, short, 1, chosen[1])
    with pytest.raises(ValueError):
        verify_partial(election, tally[:2], 1, chosen[1])
    with pytest.raises(ValueError):
        combine(election, tally[:2], chosen, 4)
