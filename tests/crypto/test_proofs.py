"""Every proof: completeness, and rejection of forged or altered proofs (§7)."""

from __future__ import annotations

import pytest

from voting.crypto import group
from voting.crypto.elgamal import Ciphertext
from voting.crypto.elgamal import encrypt
from voting.crypto.errors import InvalidProof
from voting.crypto.proofs import CompactProof
from voting.crypto.proofs import prove_dleq
from voting.crypto.proofs import prove_membership
from voting.crypto.proofs import schnorr_sign
from voting.crypto.proofs import schnorr_verify
from voting.crypto.proofs import verify_dleq
from voting.crypto.proofs import verify_membership

SECRET = 123456789
KEY = group.mul_base(SECRET)
CTX = (b"fingerprint", KEY, b"credential", b"\0\0\0\1", b"\0\0\0\0")
rng = group.os_rng


def bump(x: int) -> int:
    return (x + 1) % group.L


@pytest.mark.parametrize("values,m", [([0, 1], 0), ([0, 1], 1), ([0, 1, 2, 3], 2),
                                      ([0, 1, 1002], 1002), ([2], 2)])
def test_membership_complete(values, m):
    r = group.random_scalar()
    ct = encrypt(m, r, KEY)
    verify_membership(ct, prove_membership(ct, r, m, values, KEY, CTX, rng), values, KEY, CTX)


def test_membership_refuses_a_value_outside_the_list():
    r = group.random_scalar()
    ct = encrypt(2, r, KEY)
    with pytest.raises(ValueError):
        prove_membership(ct, r, 2, [0, 1], KEY, CTX, rng)
    # A cheating prover claiming m = 1 for an encryption of 2 fails to verify.
    proof = prove_membership(ct, r, 1, [0, 1], KEY, CTX, rng)
    with pytest.raises(InvalidProof):
        verify_membership(ct, proof, [0, 1], KEY, CTX)


def _proof_and_ct():
    r = group.random_scalar()
    ct = encrypt(1, r, KEY)
    return ct, prove_membership(ct, r, 1, [0, 1], KEY, CTX, rng)


@pytest.mark.parametrize("alter", [
    lambda ct, p: (ct, CompactProof((bump(p.c[0]),) + p.c[1:], p.u), CTX, [0, 1]),
    lambda ct, p: (ct, CompactProof(p.c, p.u[:1] + (bump(p.u[1]),)), CTX, [0, 1]),
    lambda ct, p: (ct, CompactProof(p.c[::-1], p.u[::-1]), CTX, [0, 1]),
    lambda ct, p: (Ciphertext(ct.alpha, group.add(ct.beta, group.BASE)), p, CTX, [0, 1]),
    lambda ct, p: (Ciphertext(group.add(ct.alpha, group.BASE), ct.beta), p, CTX, [0, 1]),
    lambda ct, p: (ct, p, (b"other fingerprint",) + CTX[1:], [0, 1]),
    lambda ct, p: (ct, p, CTX[:2] + (b"another credential",) + CTX[3:], [0, 1]),
    lambda ct, p: (ct, p, CTX[:4] + (b"\0\0\0\1",), [0, 1]),
    lambda ct, p: (ct, p, CTX, [1, 2]),
    lambda ct, p: (ct, p, CTX, [0, 1, 2]),
], ids=["challenge", "response", "swapped-branches", "beta", "alpha", "fingerprint",
        "credential", "position", "values", "branch-count"])
def test_membership_rejects_alterations(alter):
    ct, proof = _proof_and_ct()
    ct2, proof2, ctx, values = alter(ct, proof)
    with pytest.raises(InvalidProof):
        verify_membership(ct2, proof2, values, KEY, ctx)


def test_dleq_complete_and_sound():
    a = group.mul_base(group.random_scalar())
    c, u = prove_dleq(SECRET, a, CTX, rng)
    image = group.mul(SECRET, a)
    verify_dleq(KEY, a, image, c, u, CTX)
    for args in [(KEY, a, group.add(image, group.BASE), c, u, CTX),
                 (KEY, a, image, bump(c), u, CTX),
                 (KEY, a, image, c, bump(u), CTX),
                 (group.mul_base(7), a, image, c, u, CTX),
                 (KEY, a, image, c, u, (b"other",))]:
        with pytest.raises(InvalidProof):
            verify_dleq(*args)


def test_schnorr_complete_and_bound_to_message_and_key():
    c, u = schnorr_sign(SECRET, "signature", (b"m",), rng)
    schnorr_verify(KEY, "signature", (b"m",), c, u)
    for pub, tag, msg, cc, uu in [(KEY, "signature", (b"n",), c, u),
                                  (KEY, "coefficient", (b"m",), c, u),
                                  (group.BASE, "signature", (b"m",), c, u),
                                  (KEY, "signature", (b"m",), c, bump(u))]:
        with pytest.raises(InvalidProof):
            schnorr_verify(pub, tag, msg, cc, uu)
