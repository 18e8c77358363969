"""Decoding refuses by the right rule, and arithmetic on points that
bypassed decoding is refused rather than answered (PROTOCOL.md §2, §6.1)."""

from __future__ import annotations

import pytest

from voting.crypto import group
from voting.crypto.elgamal import Ciphertext
from voting.crypto.elgamal import encrypt
from voting.crypto.elgamal import ZERO
from voting.crypto.errors import InvalidEncoding
from voting.crypto.errors import InvalidStructure

from .test_group import ORDER_8


@pytest.mark.parametrize("size", [0, 31, 33])
def test_a_scalar_is_32_bytes(size):
    with pytest.raises(InvalidEncoding, match="^a scalar is 32 bytes$"):
        group.decode_scalar(bytes(size))


def test_scalars_from_l_up_are_not_reduced():
    assert group.decode_scalar((group.L - 1).to_bytes(32, "little")) == group.L - 1
    for k in (group.L, group.L + 1, 2**256 - 1):
        with pytest.raises(InvalidEncoding, match="^scalar is not reduced mod L$"):
            group.decode_scalar(k.to_bytes(32, "little"))


@pytest.mark.parametrize("size", [0, 31, 33])
def test_a_point_is_32_bytes(size):
    with pytest.raises(InvalidEncoding, match="^a point is 32 bytes$"):
        group.decode_point(group.BASE[:size] + bytes(max(0, size - 32)))


def test_an_invalid_point_is_not_a_group_element():
    for bad in (group.IDENTITY, ORDER_8, (2).to_bytes(32, "little")):
        with pytest.raises(InvalidEncoding, match="^not a valid group element$"):
            group.decode_point(bad)


def test_multiplying_a_small_order_point_is_refused():
    with pytest.raises(InvalidEncoding, match="^scalar multiplication refused$"):
        group.mul(5, ORDER_8)


def test_scalars_are_reduced_before_multiplying():
    assert group.mul(group.L + 3, group.BASE) == group.mul_base(3)
    assert group.mul_base(group.L) == group.IDENTITY
    assert group.scalar_bytes(group.L + 1) == (1).to_bytes(32, "little")


def test_ciphertexts_add_componentwise_and_zero_is_neutral():
    key = group.mul_base(11)
    a, b = encrypt(2, 5, key), encrypt(3, 7, key)
    assert a + b == encrypt(5, 12, key)
    assert a + ZERO == a and ZERO + a == a
    assert Ciphertext.from_json(a.to_json()) == a


def test_ciphertext_json_is_checked_and_names_its_place():
    with pytest.raises(InvalidStructure, match="^ciphertext: expected an object$"):
        Ciphertext.from_json([])
    missing_beta = r"^tally\[0\]: missing \['beta'\], unexpected \[\]$"
    with pytest.raises(InvalidStructure, match=missing_beta):
        Ciphertext.from_json({"alpha": group.BASE.hex()}, "tally[0]")
    with pytest.raises(InvalidEncoding):
        Ciphertext.from_json({"alpha": group.IDENTITY.hex(), "beta": group.BASE.hex()})
