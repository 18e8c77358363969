"""The prime-order subgroup of edwards25519 (PROTOCOL.md §2).

Scalars are Python ints in [0, L). Points are their 32-byte canonical
compressed encodings (``bytes``); arithmetic goes through libsodium via
PyNaCl. The identity may appear as an intermediate value (a zero count, an
empty sum) but is never accepted from outside: :func:`decode_point` refuses
it, as it refuses non-canonical, off-curve and small-order encodings.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from nacl import bindings as _na
from nacl.exceptions import RuntimeError as _NaclRuntimeError

from .errors import InvalidEncoding

#: Order of the prime-order subgroup (PROTOCOL.md §2.1).
L = 2**252 + 27742317777372353535851937790883648493

#: Canonical encoding of the identity element (x = 0, y = 1).
IDENTITY = bytes([1]) + bytes(31)

#: Canonical encoding of the standard base point B.
BASE = _na.crypto_scalarmult_ed25519_base_noclamp((1).to_bytes(32, "little"))

#: A source of random bytes: ``rng(n) -> n bytes``. Production code uses the
#: OS CSPRNG; test vectors pass a deterministic stream (PROTOCOL.md §12).
Rng = Callable[[int], bytes]


def os_rng(n: int) -> bytes:
    """Return ``n`` bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(n)


def random_scalar(rng: Rng = os_rng) -> int:
    """Draw a uniform non-zero scalar: 64 bytes, little-endian, mod L.

    Zero is redrawn (probability 2^-252), so a drawn scalar never makes a
    commitment or key the identity.
    """
    while True:
        k = int.from_bytes(rng(64), "little") % L
        if k:
            return k


def scalar_bytes(k: int) -> bytes:
    """Encode a scalar as 32 bytes little-endian (PROTOCOL.md §2.3)."""
    return (k % L).to_bytes(32, "little")


def decode_scalar(data: bytes) -> int:
    """Decode a 32-byte little-endian scalar, refusing values >= L.

    :raises InvalidEncoding: wrong length or non-canonical value.
    """
    if len(data) != 32:
        raise InvalidEncoding("a scalar is 32 bytes")
    k = int.from_bytes(data, "little")
    if k >= L:
        raise InvalidEncoding("scalar is not reduced mod L")
    return k


def decode_point(data: bytes) -> bytes:
    """Validate a point received from outside (PROTOCOL.md §2.2).

    Accepts only the canonical encoding of a point on the curve, in the
    prime-order subgroup, other than the identity.

    :raises InvalidEncoding: if any of those conditions fails.
    """
    if len(data) != 32:
        raise InvalidEncoding("a point is 32 bytes")
    # libsodium checks canonical y, on-curve, not small order (which
    # includes the identity and, ignoring the sign bit, the only two points
    # with x = 0) and membership of the prime-order subgroup.
    if not _na.crypto_core_ed25519_is_valid_point(data):
        raise InvalidEncoding("not a valid group element")
    return bytes(data)


def add(p: bytes, q: bytes) -> bytes:
    """Return p + q."""
    return _na.crypto_core_ed25519_add(p, q)


def sub(p: bytes, q: bytes) -> bytes:
    """Return p - q."""
    return _na.crypto_core_ed25519_sub(p, q)


def mul(k: int, p: bytes) -> bytes:
    """Return k·p; a zero scalar or the identity gives the identity.

    libsodium refuses both (it will not output the identity), so they are
    handled here explicitly.
    """
    k %= L
    if k == 0 or p == IDENTITY:
        return IDENTITY
    try:
        return _na.crypto_scalarmult_ed25519_noclamp(k.to_bytes(32, "little"), p)
    except _NaclRuntimeError as exc:  # only for points that bypassed decode
        raise InvalidEncoding("scalar multiplication refused") from exc


def mul_base(k: int) -> bytes:
    """Return k·B, using libsodium's precomputed table for B."""
    k %= L
    if k == 0:
        return IDENTITY
    return _na.crypto_scalarmult_ed25519_base_noclamp(k.to_bytes(32, "little"))


def sum_points(points) -> bytes:
    """Return the sum of an iterable of points (the identity if empty)."""
    total = IDENTITY
    for p in points:
        total = add(total, p)
    return total
