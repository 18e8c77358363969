"""Proofs of the wrong shape, and the reason each failure gives (§7).

A proof with a branch too few or too many must be refused as an invalid
proof, never crash the verifier with another exception; and each verifier
names what failed, which the cast API and the verifier report."""

from __future__ import annotations

import pytest

from voting.crypto import group
from voting.crypto.drbg import TestRng
from voting.crypto.elgamal import encrypt
from voting.crypto.errors import InvalidProof
from voting.crypto.errors import InvalidStructure
from voting.crypto.proofs import CompactProof
from voting.crypto.proofs import prove_dleq
from voting.crypto.proofs import prove_membership
from voting.crypto.proofs import schnorr_sign
from voting.crypto.proofs import schnorr_verify
from voting.crypto.proofs import verify_dleq
from voting.crypto.proofs import verify_membership

SECRET = 987654321
KEY = group.mul_base(SECRET)
CTX = (b"fingerprint", KEY, b"\0\0\0\2")


@pytest.fixture(scope="module")
def proved():
    rng = TestRng(b"shapes")
    r = group.random_scalar(rng)
    ct = encrypt(1, r, KEY)
    return ct, prove_membership(ct, r, 1, [0, 1, 2], KEY, CTX, rng)


@pytest.mark.parametrize("shape", [
    lambda p: CompactProof(p.c[:2], p.u),          # a challenge short
    lambda p: CompactProof(p.c, p.u[:2]),          # a response short
    lambda p: CompactProof(p.c + p.c[:1], p.u),    # a challenge more
    lambda p: CompactProof(p.c[:2], p.u[:2]),      # a whole branch short
], ids=["c-short", "u-short", "c-long", "both-short"])
def test_a_proof_with_the_wrong_number_of_branches_is_an_invalid_proof(proved, shape):
    ct, proof = proved
    verify_membership(ct, proof, [0, 1, 2], KEY, CTX)
    with pytest.raises(InvalidProof, match="^wrong number of branches$"):
        verify_membership(ct, shape(proof), [0, 1, 2], KEY, CTX)


def test_a_wrong_membership_proof_says_so(proved):
    ct, proof = proved
    with pytest.raises(InvalidProof, match="^membership proof does not verify$"):
        verify_membership(ct, proof, [0, 1, 3], KEY, CTX)


def test_a_wrong_decryption_proof_says_so():
    a = group.mul_base(77)
    c, u = prove_dleq(SECRET, a, CTX, TestRng(b"dleq"))
    verify_dleq(KEY, a, group.mul(SECRET, a), c, u, CTX)
    with pytest.raises(InvalidProof, match="^decryption proof does not verify$"):
        verify_dleq(KEY, a, group.mul(SECRET + 1, a), c, u, CTX)


def test_a_wrong_signature_says_so():
    c, u = schnorr_sign(SECRET, "signature", (b"m",), TestRng(b"sig"))
    with pytest.raises(InvalidProof, match="^signature does not verify$"):
        schnorr_verify(KEY, "signature", (b"other",), c, u)


def test_compact_proof_json_round_trip_and_shape(proved):
    _, proof = proved
    obj = proof.to_json()
    assert CompactProof.from_json(obj, 3, "p") == proof
    with pytest.raises(InvalidStructure, match=r"^p\.c: expected 2 items, got 3$"):
        CompactProof.from_json(obj, 2, "p")
    with pytest.raises(InvalidStructure, match=r"^p\.u: expected 3 items, got 2$"):
        CompactProof.from_json({**obj, "u": obj["u"][:2]}, 3, "p")
    with pytest.raises(InvalidStructure, match=r"^p\.c: expected a list$"):
        CompactProof.from_json({**obj, "c": obj["c"][0]}, 3, "p")
    with pytest.raises(InvalidStructure, match=r"^p: missing \['u'\], unexpected \[\]$"):
        CompactProof.from_json({"c": obj["c"]}, 3, "p")
