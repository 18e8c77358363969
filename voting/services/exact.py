"""Exact JSON types for what comes from outside (PROTOCOL §3.2).

A JSON ``true`` or ``false`` is never an integer, although Python's
``bool`` is a subclass of ``int`` (``isinstance(True, int)`` holds and
``True == 1``); an integer is never a boolean; and every integer lies in
[−2^53, 2^53], the range both Python and the browser represent exactly.
The parsers of the services, the web views and the CLI read numbers and
flags through these helpers; the crypto core has its own (``codec``).
"""

from __future__ import annotations

import json

from .errors import Invalid

#: The largest magnitude of a JSON integer (§3.2).
MAX_JSON_INT = 2**53


def is_int(value, low: int = -MAX_JSON_INT, high: int = MAX_JSON_INT) -> bool:
    """``value`` is an integer (not a boolean) in [low, high] ∩ [−2^53, 2^53]."""
    return (type(value) is int and -MAX_JSON_INT <= value <= MAX_JSON_INT
            and low <= value <= high)


def expect_int(value, what: str, low: int = -MAX_JSON_INT, high: int = MAX_JSON_INT) -> int:
    """``value`` if it is an integer in [low, high] (booleans refused).

    :raises Invalid: naming ``what`` and the range.
    """
    if not is_int(value, low, high):
        raise Invalid(f"{what} must be an integer in [{max(low, -MAX_JSON_INT)}, "
                      f"{min(high, MAX_JSON_INT)}]")
    return value


def expect_optional_int(value, what: str, low: int = -MAX_JSON_INT,
                        high: int = MAX_JSON_INT) -> int | None:
    """``None``, or an integer as ``expect_int``."""
    return None if value is None else expect_int(value, what, low, high)


def expect_bool(value, what: str) -> bool:
    """``value`` if it is ``True`` or ``False`` (never 0 or 1).

    :raises Invalid: naming ``what``.
    """
    if type(value) is not bool:
        raise Invalid(f"{what} must be true or false")
    return value


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def _no_float(_text: str):
    raise ValueError("numbers must be integers")


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -MAX_JSON_INT <= value <= MAX_JSON_INT:
        raise ValueError(f"integers must lie in [-2^53, 2^53], not {text[:40]}")
    return value


def loads(raw: bytes | str):
    """Parse JSON strictly: UTF-8 text, no floats, NaN or Infinity, no
    duplicate keys, every integer in [−2^53, 2^53].

    :raises ValueError: (``UnicodeDecodeError`` included) on any of these;
        ``RecursionError`` on absurd nesting.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_float=_no_float,
                      parse_constant=_no_float, parse_int=_bounded_int)
