"""Domain-separated hashing and canonical JSON (PROTOCOL.md §3).

Every hash in the protocol is SHA-512 over a sequence of length-prefixed
items, the first of which is the domain tag ``"voting/v1/" + tag``.
"""

from __future__ import annotations

import hashlib
import json

from .group import L

PREFIX = "voting/v1/"


def u32(n: int) -> bytes:
    """Encode an integer in [0, 2^32) as 4 bytes big-endian."""
    return n.to_bytes(4, "big")


def u64(n: int) -> bytes:
    """Encode an integer in [0, 2^64) as 8 bytes big-endian."""
    return n.to_bytes(8, "big")


def framed_sha512(tag: str, items) -> bytes:
    """SHA-512 over u32(len(x)) || x for x in (PREFIX + tag, *items)."""
    h = hashlib.sha512()
    for item in (f"{PREFIX}{tag}".encode(), *items):
        h.update(len(item).to_bytes(4, "big"))
        h.update(item)
    return h.digest()


def hash32(tag: str, *items: bytes) -> bytes:
    """H32: the first 32 bytes of the framed SHA-512 (§3.1)."""
    return framed_sha512(tag, items)[:32]


def hash_scalar(tag: str, *items: bytes) -> int:
    """Hs: the framed SHA-512 read little-endian, reduced mod L (§3.1)."""
    return int.from_bytes(framed_sha512(tag, items), "little") % L


def canonical_json(value) -> bytes:
    """Serialise ``value`` as canonical JSON (§3.2).

    Sorted keys, no insignificant whitespace, UTF-8, integers only, each in
    [-2^53, 2^53]; ``True`` and ``False`` are JSON booleans, never integers.

    :raises TypeError: on floats, integers out of range or values JSON
        cannot represent.
    :raises UnicodeEncodeError: on strings with lone surrogates.
    """
    _check_numbers(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        allow_nan=False,
    ).encode()


#: The largest magnitude of an integer in canonical JSON (§3.2).
MAX_JSON_INT = 2**53


def _check_numbers(value) -> None:
    if isinstance(value, float):
        raise TypeError("canonical JSON carries integers only")
    if type(value) is int and not -MAX_JSON_INT <= value <= MAX_JSON_INT:
        raise TypeError("canonical JSON integers lie in [-2^53, 2^53]")
    if isinstance(value, dict):
        for v in value.values():
            _check_numbers(v)
    elif isinstance(value, list):
        for v in value:
            _check_numbers(v)
