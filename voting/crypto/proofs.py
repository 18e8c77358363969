"""Zero-knowledge proofs, all in compact (challenge, response) form with
strong Fiat–Shamir challenges (PROTOCOL.md §7).

- :func:`prove_membership`: a disjunctive Chaum–Pedersen proof that a
  ciphertext encrypts one value of a public list (§7.1). With the list
  [0, 1] it is the selection proof; with [min..max] the contest range proof;
  with the packed values of a contest the packed-contest proof.
- :func:`prove_dleq`: Chaum–Pedersen proof of equal discrete logarithms,
  used for partial decryptions (§7.2).
- :func:`schnorr_sign`: Schnorr proof of knowledge of a discrete log bound
  to a message: ballot signatures and coefficient proofs (§7.3).

Every verifier recomputes the commitments and compares the challenge hash;
it raises :class:`InvalidProof` on any mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import group
from .codec import expect_list
from .codec import expect_object
from .codec import parse_scalar
from .codec import scalar_hex
from .elgamal import Ciphertext
from .errors import InvalidProof
from .group import L
from .group import Rng
from .hashing import hash_scalar
from .hashing import u32
from .hashing import u64


@dataclass(frozen=True, slots=True)
class CompactProof:
    """Challenges and responses; ``c`` and ``u`` have one entry per branch."""

    c: tuple[int, ...]
    u: tuple[int, ...]

    def to_json(self) -> dict:
        return {"c": [scalar_hex(x) for x in self.c], "u": [scalar_hex(x) for x in self.u]}

    @classmethod
    def from_json(cls, obj, branches: int, what: str) -> CompactProof:
        expect_object(obj, {"c", "u"}, what)
        c = expect_list(obj["c"], f"{what}.c", branches)
        u = expect_list(obj["u"], f"{what}.u", branches)
        return cls(tuple(map(parse_scalar, c)), tuple(map(parse_scalar, u)))


@lru_cache(maxsize=4096)
def _value_point(v: int) -> bytes:
    return group.mul_base(v)


def _membership_challenge(context, values, ct, commitments) -> int:
    return hash_scalar(
        "membership", *context, u32(len(values)), *(u64(v) for v in values),
        ct.alpha, ct.beta, *commitments,
    )


def prove_membership(ct: Ciphertext, r: int, m: int, values: list[int], key: bytes,
                     context: tuple[bytes, ...], rng: Rng) -> CompactProof:
    """Prove that ``ct`` = Enc(m, r) under ``key`` with m in ``values`` (§7.1).

    Randomness is drawn in branch order: for the true branch a nonce w, for
    every other branch a challenge then a response (§12).

    The prover knows r, so a simulated branch's commitments are computed as
    multiples of B and K alone, the same points the verifier recomputes:
    ``a = u·B − c·α = (u − c·r)·B`` and
    ``b = u·K − c·(β − v·B) = (u − c·r)·K + c·(v − m)·B``,
    which saves two variable-base multiplications per simulated branch.
    """
    real = values.index(m)
    cs, us, commitments = [0] * len(values), [0] * len(values), []
    w = 0
    for j, v in enumerate(values):
        if j == real:
            w = group.random_scalar(rng)
            a, b = group.mul_base(w), group.mul(w, key)
        else:
            cs[j], us[j] = group.random_scalar(rng), group.random_scalar(rng)
            s = (us[j] - cs[j] * r) % L
            a = group.mul_base(s)
            b = group.add(group.mul(s, key), group.mul_base(cs[j] * (v - m)))
        commitments += (a, b)
    c = _membership_challenge(context, values, ct, commitments)
    cs[real] = (c - sum(cs)) % L
    us[real] = (w + cs[real] * r) % L
    return CompactProof(tuple(cs), tuple(us))


def _branch_commitments(ct: Ciphertext, key: bytes, v: int, c: int, u: int):
    a = group.sub(group.mul_base(u), group.mul(c, ct.alpha))
    shifted = ct.beta if v == 0 else group.sub(ct.beta, _value_point(v))
    b = group.sub(group.mul(u, key), group.mul(c, shifted))
    return a, b


def verify_membership(ct: Ciphertext, proof: CompactProof, values: list[int], key: bytes,
                      context: tuple[bytes, ...]) -> None:
    """Check a proof made by :func:`prove_membership`.

    :raises InvalidProof: if the challenges do not sum to the hash.
    """
    if len(proof.c) != len(values) or len(proof.u) != len(values):
        raise InvalidProof("wrong number of branches")
    commitments = []
    for v, c, u in zip(values, proof.c, proof.u, strict=True):
        commitments += _branch_commitments(ct, key, v, c, u)
    if sum(proof.c) % L != _membership_challenge(context, values, ct, commitments):
        raise InvalidProof("membership proof does not verify")


def prove_dleq(secret: int, base2: bytes, context: tuple[bytes, ...],
               rng: Rng) -> tuple[int, int]:
    """Prove log_B(s·B) = log_A(s·A) for A = ``base2`` (§7.2); returns (c, u)."""
    w = group.random_scalar(rng)
    pub, image = group.mul_base(secret), group.mul(secret, base2)
    c = hash_scalar("dleq", *context, pub, base2, image, group.mul_base(w), group.mul(w, base2))
    return c, (w + c * secret) % L


def verify_dleq(pub: bytes, base2: bytes, image: bytes, c: int, u: int,
                context: tuple[bytes, ...]) -> None:
    """Check that log_B(pub) = log_{base2}(image).

    :raises InvalidProof: if the proof does not verify.
    """
    a = group.sub(group.mul_base(u), group.mul(c, pub))
    b = group.sub(group.mul(u, base2), group.mul(c, image))
    if c != hash_scalar("dleq", *context, pub, base2, image, a, b):
        raise InvalidProof("decryption proof does not verify")


def schnorr_sign(secret: int, tag: str, message: tuple[bytes, ...], rng: Rng) -> tuple[int, int]:
    """Schnorr proof of knowledge of ``secret`` bound to ``message`` (§7.3)."""
    w = group.random_scalar(rng)
    c = hash_scalar(tag, *message, group.mul_base(secret), group.mul_base(w))
    return c, (w + c * secret) % L


def schnorr_verify(pub: bytes, tag: str, message: tuple[bytes, ...], c: int, u: int) -> None:
    """Check a :func:`schnorr_sign` proof for public key ``pub``.

    :raises InvalidProof: if it does not verify.
    """
    commitment = group.sub(group.mul_base(u), group.mul(c, pub))
    if c != hash_scalar(tag, *message, pub, commitment):
        raise InvalidProof("signature does not verify")
