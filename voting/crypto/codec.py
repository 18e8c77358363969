"""JSON-level encodings: lowercase hex for points, scalars and hashes, and
strict field checking for objects received from outside (PROTOCOL.md §2.3).
"""

from __future__ import annotations

import re

from .errors import InvalidEncoding
from .errors import InvalidStructure
from .group import decode_point
from .group import decode_scalar
from .group import scalar_bytes

_HEX64 = re.compile(r"[0-9a-f]{64}")


def hex_bytes32(value) -> bytes:
    """Parse 64 lowercase hex characters into 32 bytes."""
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise InvalidEncoding("expected 64 lowercase hex characters")
    return bytes.fromhex(value)


def parse_point(value) -> bytes:
    """Parse and validate a point given as hex (§2.2)."""
    return decode_point(hex_bytes32(value))


def parse_scalar(value) -> int:
    """Parse a canonical scalar given as hex (§2.3)."""
    return decode_scalar(hex_bytes32(value))


def point_hex(p: bytes) -> str:
    return p.hex()


def scalar_hex(k: int) -> str:
    return scalar_bytes(k).hex()


def expect_object(value, keys: set[str], what: str) -> dict:
    """Check that ``value`` is a dict with exactly ``keys``."""
    if not isinstance(value, dict):
        raise InvalidStructure(f"{what}: expected an object")
    if set(value) != keys:
        missing = sorted(keys - set(value))
        extra = sorted(set(value) - keys)
        raise InvalidStructure(f"{what}: missing {missing}, unexpected {extra}")
    return value


def expect_list(value, what: str, length: int | None = None) -> list:
    if not isinstance(value, list):
        raise InvalidStructure(f"{what}: expected a list")
    if length is not None and len(value) != length:
        raise InvalidStructure(f"{what}: expected {length} items, got {len(value)}")
    return value


def expect_int(value, what: str, low: int = 0, high: int = 2**53) -> int:
    if type(value) is not int or not low <= value <= high:
        raise InvalidStructure(f"{what}: expected an integer in [{low}, {high}]")
    return value


def expect_str(value, what: str, max_len: int = 1000) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise InvalidStructure(f"{what}: expected a non-empty string")
    return value
