"""Threshold keys at their limits (PROTOCOL.md §4, §11.2): 1-of-1 up to 32
trustees, exact Lagrange coefficients, and dealings that are incomplete
or sit at another dealer's position."""

from __future__ import annotations

import re

import pytest

from voting.crypto import group
from voting.crypto import keys
from voting.crypto.drbg import TestRng
from voting.crypto.errors import InvalidProof
from voting.crypto.errors import InvalidStructure
from voting.crypto.group import L

NEED = r"^need 1 <= threshold <= trustees <= 32$"


def public(dealing: keys.Dealing):
    return (dealing.commitments, dealing.proofs)


@pytest.mark.parametrize(("threshold", "trustees"), [(1, 1), (1, 3), (3, 3), (2, 32), (32, 32)])
def test_deal_accepts_every_threshold_from_1_to_n_and_up_to_32_trustees(threshold, trustees):
    dealing = keys.deal(threshold, trustees, rng=TestRng(b"deal"))
    assert len(dealing.commitments) == len(dealing.proofs) == threshold
    # Exactly the trustees 1..n get a share, each matching the commitments.
    assert sorted(dealing.shares) == list(range(1, trustees + 1))
    keys.verify_dealings([public(dealing)])
    for i, share in dealing.shares.items():
        keys.check_share([public(dealing)], i, share)


@pytest.mark.parametrize(("threshold", "trustees"), [(0, 1), (0, 0), (2, 1), (4, 3), (1, 33),
                                                     (33, 33)])
def test_deal_refuses_impossible_thresholds_with_its_reason(threshold, trustees):
    with pytest.raises(ValueError, match=NEED):
        keys.deal(threshold, trustees)


def test_one_of_one_share_is_the_secret_itself():
    dealing = keys.deal(1, 1, rng=TestRng(b"1of1"))
    assert group.mul_base(dealing.shares[1]) == keys.joint_public_key([public(dealing)])
    assert keys.lagrange_at_zero([1]) == {1: 1}


def test_lagrange_coefficients_are_exact():
    # λ_i = Π_{j≠i} j / (j − i) mod L.
    assert keys.lagrange_at_zero([1, 2]) == {1: 2, 2: L - 1}
    assert keys.lagrange_at_zero([1, 2, 3]) == {1: 3, 2: L - 3, 3: 1}
    assert keys.lagrange_at_zero([2, 3]) == {2: 3, 3: L - 2}
    # 1/2 mod L for the pair {1, 3}: λ_1 = 3/2, λ_3 = −1/2.
    half = pow(2, -1, L)
    assert keys.lagrange_at_zero([1, 3]) == {1: 3 * half % L, 3: L - half}


def test_lagrange_interpolates_a_known_polynomial():
    # f(x) = 5 + 7x + 11x²: any three points give f(0) = 5.
    f = {x: (5 + 7 * x + 11 * x * x) % L for x in range(1, 6)}
    for subset in ([1, 2, 3], [2, 4, 5], [1, 3, 5]):
        lam = keys.lagrange_at_zero(subset)
        assert sum(lam[i] * f[i] for i in subset) % L == 5


def test_a_dealing_with_a_missing_proof_does_not_verify():
    dealing = keys.deal(3, 3, rng=TestRng(b"short"))
    with pytest.raises(ValueError):
        keys.verify_dealings([(dealing.commitments, dealing.proofs[:2])])


def test_coefficient_proofs_are_bound_to_the_dealer_position():
    first = keys.deal(2, 3, dealer=0, rng=TestRng(b"d0"))
    second = keys.deal(2, 3, dealer=1, rng=TestRng(b"d1"))
    keys.verify_dealings([public(first), public(second)])
    with pytest.raises(InvalidProof, match="signature does not verify"):
        keys.verify_dealings([public(second), public(first)])


def test_several_dealers_add_up():
    """Distributed generation: every trustee deals; trustee i's share is the
    sum of what each dealer gave them, and the joint key the sum of C_0."""
    dealings = [keys.deal(2, 3, dealer=d, rng=TestRng(bytes([d]))) for d in range(3)]
    public_parts = [public(d) for d in dealings]
    key = keys.joint_public_key(public_parts)
    assert key == group.sum_points(d.commitments[0] for d in dealings)
    combined = {i: sum(d.shares[i] for d in dealings) % L for i in (1, 2, 3)}
    for i, share in combined.items():
        keys.check_share(public_parts, i, share)
        assert keys.public_share(public_parts, i) == group.mul_base(share)
        with pytest.raises(InvalidProof,
                           match=rf"^share of trustee {i} does not match the commitments$"):
            keys.check_share(public_parts, i, dealings[0].shares[i])
    lam = keys.lagrange_at_zero([1, 3])
    assert group.mul_base(sum(lam[i] * combined[i] for i in (1, 3))) == key


def test_parse_dealings_checks_shapes_and_counts():
    dealing = keys.deal(2, 3, rng=TestRng(b"parse")).to_json()
    parsed = keys.parse_dealings([dealing], 2)
    assert len(parsed) == 1 and len(parsed[0][0]) == 2 and len(parsed[0][1]) == 2

    def refused(obj, threshold, message):
        with pytest.raises(InvalidStructure, match=f"^{re.escape(message)}$"):
            keys.parse_dealings(obj, threshold)

    refused([], 2, "at least one dealer")
    refused(dealing, 2, "dealers: expected a list")
    refused([{"commitments": dealing["commitments"]}], 2,
            "dealer 0: missing ['proofs'], unexpected []")
    bad_proof = {**dealing, "proofs": [dealing["proofs"][0], {"c": dealing["proofs"][1]["c"]}]}
    refused([bad_proof], 2, "dealer 0 proof: missing ['u'], unexpected []")
    refused([dealing], 3, "dealer 0.commitments: expected 3 items, got 2")
    refused([{**dealing, "proofs": dealing["proofs"][:1]}], 2,
            "dealer 0.proofs: expected 2 items, got 1")
