"""Group arithmetic and the validation of every point from outside (§2)."""

from __future__ import annotations

import pytest

from voting.crypto import group
from voting.crypto.codec import parse_point
from voting.crypto.codec import parse_scalar
from voting.crypto.errors import InvalidEncoding

P = 2**255 - 19
#: A point of order 8 (from the well-known small-order list).
ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
#: The point of order 2: (0, -1).
ORDER_2 = bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")


def test_base_point_round_trip():
    assert group.decode_point(group.BASE) == group.BASE
    assert group.mul_base(1) == group.BASE
    assert group.mul(2, group.BASE) == group.add(group.BASE, group.BASE)


@pytest.mark.parametrize("bad", [
    group.IDENTITY,
    ORDER_2,
    ORDER_8,
    # Torsion component: B plus a point of order 8 is on the curve but
    # outside the prime-order subgroup.
    group.add(group.BASE, ORDER_8),
    # Non-canonical: y = p + 1 encodes the identity's y = 1.
    (P + 1).to_bytes(32, "little"),
    # Non-canonical: y = p + 3 is y = 3, a curve point that libsodium's
    # addition accepts (see below); decoding must refuse it.
    (P + 3).to_bytes(32, "little"),
    # x = 0 with the sign bit set ("negative zero").
    (1 | 1 << 255).to_bytes(32, "little"),
    # Off curve: y = 2 has no x.
    (2).to_bytes(32, "little"),
    b"\x00" * 31,
])
def test_invalid_points_are_refused(bad):
    with pytest.raises(InvalidEncoding):
        group.decode_point(bad)


def test_arithmetic_alone_would_accept_bad_encodings():
    # Why decode_point matters: libsodium's addition takes these happily.
    assert group.add(group.BASE, ORDER_8) != group.BASE
    assert group.add((P + 3).to_bytes(32, "little"), group.IDENTITY) == (3).to_bytes(32, "little")


def test_hex_must_be_lowercase_and_exact():
    point = group.mul_base(7)
    good = point.hex()
    assert good != good.upper()
    assert parse_point(good) == point
    for bad in (good.upper(), good[:-2], good + "00", " " + good[1:], 5, None):
        with pytest.raises(InvalidEncoding):
            parse_point(bad)


def test_scalars_must_be_reduced():
    assert parse_scalar((group.L - 1).to_bytes(32, "little").hex()) == group.L - 1
    with pytest.raises(InvalidEncoding):
        parse_scalar(group.L.to_bytes(32, "little").hex())


def test_zero_scalar_and_identity_are_handled_explicitly():
    assert group.mul(0, group.BASE) == group.IDENTITY
    assert group.mul_base(0) == group.IDENTITY
    assert group.mul(5, group.IDENTITY) == group.IDENTITY
    assert group.add(group.IDENTITY, group.BASE) == group.BASE
    assert group.sub(group.BASE, group.BASE) == group.IDENTITY


def test_random_scalars_are_nonzero_and_reduced():
    values = {group.random_scalar() for _ in range(50)}
    assert len(values) == 50 and all(0 < v < group.L for v in values)
    zeros_then_one = iter([bytes(64), (1).to_bytes(64, "little")])
    assert group.random_scalar(lambda n: next(zeros_then_one)) == 1
