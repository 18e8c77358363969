"""Exponential ElGamal on the group (PROTOCOL.md §6.1)."""

from __future__ import annotations

from dataclasses import dataclass

from . import group
from .codec import expect_object
from .codec import parse_point
from .codec import point_hex


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """(alpha, beta) = (r·B, m·B + r·K)."""

    alpha: bytes
    beta: bytes

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(group.add(self.alpha, other.alpha),
                          group.add(self.beta, other.beta))

    def to_json(self) -> dict:
        return {"alpha": point_hex(self.alpha), "beta": point_hex(self.beta)}

    @classmethod
    def from_json(cls, obj, what: str = "ciphertext") -> Ciphertext:
        expect_object(obj, {"alpha", "beta"}, what)
        return cls(parse_point(obj["alpha"]), parse_point(obj["beta"]))


#: The encryption of zero with zero randomness: the neutral element of sums.
ZERO = Ciphertext(group.IDENTITY, group.IDENTITY)


def encrypt(m: int, r: int, key: bytes) -> Ciphertext:
    """Encrypt the integer ``m`` under ``key`` with randomness ``r`` (non-zero)."""
    return Ciphertext(group.mul_base(r), group.add(group.mul_base(m), group.mul(r, key)))
