"""Threshold keys: Feldman-committed polynomial shares, t of n (PROTOCOL.md §4).

A *dealer* draws a polynomial f of degree t-1, publishes commitments
C_j = a_j·B with a Schnorr proof of knowledge for each, and gives trustee i
the share f(i). The joint public key is the sum of every dealer's C_0, and
trustee i's public share is K_i = Σ_dealers Σ_j i^j·C_j. With one dealer
this is a trusted dealer; with every trustee acting as a dealer it is a
distributed key generation, and the verifier is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import group
from .codec import expect_list
from .codec import expect_object
from .codec import parse_point
from .codec import parse_scalar
from .codec import point_hex
from .codec import scalar_hex
from .errors import InvalidProof
from .errors import InvalidStructure
from .group import L
from .group import Rng
from .hashing import u32
from .proofs import schnorr_sign
from .proofs import schnorr_verify

MAX_TRUSTEES = 32


@dataclass(frozen=True)
class Dealing:
    """A dealer's public part (``to_json``) and the secret shares it hands out."""

    commitments: tuple[bytes, ...]
    proofs: tuple[tuple[int, int], ...]
    shares: dict[int, int]

    def to_json(self) -> dict:
        return {
            "commitments": [point_hex(c) for c in self.commitments],
            "proofs": [{"c": scalar_hex(c), "u": scalar_hex(u)} for c, u in self.proofs],
        }


def _coefficient_message(dealer: int, j: int) -> tuple[bytes, ...]:
    return (u32(dealer), u32(j))


def deal(threshold: int, trustees: int, dealer: int = 0, rng: Rng = group.os_rng) -> Dealing:
    """Draw a polynomial of degree ``threshold - 1`` and share it (§4.1).

    The coefficients exist only inside this call; callers keep ``shares``
    only long enough to hand each to its trustee.
    """
    if (type(threshold) is not int or type(trustees) is not int
            or not 1 <= threshold <= trustees <= MAX_TRUSTEES):
        raise ValueError("need 1 <= threshold <= trustees <= 32")
    return dealing_of(draw_coefficients(threshold, rng), dealer, trustees, rng)


def draw_coefficients(threshold: int, rng: Rng = group.os_rng) -> list[int]:
    """a_0 … a_{t-1}: uniform non-zero scalars (§4.1)."""
    return [group.random_scalar(rng) for _ in range(threshold)]


def dealing_of(coefficients: list[int], dealer: int, trustees: int,
               rng: Rng = group.os_rng) -> Dealing:
    """Commitments, coefficient proofs (dealer number ``dealer``, §4.2) and
    the shares f(1) … f(trustees) of the polynomial ``coefficients``."""
    commitments = tuple(group.mul_base(a) for a in coefficients)
    proofs = tuple(
        schnorr_sign(a, "coefficient", _coefficient_message(dealer, j), rng)
        for j, a in enumerate(coefficients)
    )
    shares = {i: _evaluate(coefficients, i) for i in range(1, trustees + 1)}
    return Dealing(commitments, proofs, shares)


def _evaluate(coefficients: list[int], x: int) -> int:
    result = 0
    for a in reversed(coefficients):
        result = (result * x + a) % L
    return result


def parse_dealings(obj, threshold: int) -> list[tuple[tuple[bytes, ...], tuple]]:
    """Parse the ``dealers`` list: commitments and proofs, validated points."""
    out = []
    for d, dealer in enumerate(expect_list(obj, "dealers")):
        expect_object(dealer, {"commitments", "proofs"}, f"dealer {d}")
        commitments = tuple(map(parse_point, expect_list(dealer["commitments"],
                                                         f"dealer {d}.commitments", threshold)))
        proofs = []
        for p in expect_list(dealer["proofs"], f"dealer {d}.proofs", threshold):
            expect_object(p, {"c", "u"}, f"dealer {d} proof")
            proofs.append((parse_scalar(p["c"]), parse_scalar(p["u"])))
        out.append((commitments, tuple(proofs)))
    if not out:
        raise InvalidStructure("at least one dealer")
    return out


def verify_dealings(dealings) -> None:
    """Check every coefficient's proof of knowledge (§4.2).

    :raises InvalidProof: on the first that fails.
    """
    for d, (commitments, proofs) in enumerate(dealings):
        verify_dealing(d, commitments, proofs)


def verify_dealing(dealer: int, commitments, proofs) -> None:
    """Check the coefficient proofs of dealer number ``dealer`` (§4.2).

    :raises InvalidProof:
    """
    for j, (c_j, (c, u)) in enumerate(zip(commitments, proofs, strict=True)):
        schnorr_verify(c_j, "coefficient", _coefficient_message(dealer, j), c, u)


def joint_public_key(dealings) -> bytes:
    """K = Σ over dealers of C_0."""
    return group.sum_points(commitments[0] for commitments, _ in dealings)


def public_share(dealings, index: int) -> bytes:
    """K_i = Σ_dealers Σ_j i^j·C_j: trustee ``index``'s public share."""
    terms = []
    for commitments, _ in dealings:
        for j, c_j in enumerate(commitments):
            terms.append(group.mul(pow(index, j, L), c_j))
    return group.sum_points(terms)


def check_share(dealings, index: int, share: int) -> None:
    """Let a trustee check their secret share against the commitments.

    :raises InvalidProof: if share·B differs from the public share.
    """
    if group.mul_base(share) != public_share(dealings, index):
        raise InvalidProof(f"share of trustee {index} does not match the commitments")


def lagrange_at_zero(indices: list[int]) -> dict[int, int]:
    """Lagrange coefficients λ_i for interpolation at 0 over ``indices`` (§11.2)."""
    coefficients = {}
    for i in indices:
        num, den = 1, 1
        for j in indices:
            if j != i:
                num = num * j % L
                den = den * (j - i) % L
        coefficients[i] = num * pow(den, -1, L) % L
    return coefficients
