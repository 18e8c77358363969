"""The shape of board events, to the level of PROTOCOL.md §9.1 and §9.3.

``read_event`` decides whether a board line is *readable* (valid JSON with
the four event keys, an integer ``seq``, a string ``parent`` and a known
type); ``body_problem`` checks the body's keys and value types. Both feed
check 1; the checks that use a body call the same readers, so that a
malformed body makes them fail instead of being read loosely.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from .board import EVENT_KEYS
from .codec import expect_int
from .codec import expect_list
from .codec import expect_object
from .errors import CryptoError
from .errors import InvalidStructure
from .hashing import canonical_json

BODY_KEYS = {
    "setup": {"election", "fingerprint"}, "open": {"at"}, "ballot": {"ballot", "tracker"},
    "revoke": {"credential"}, "close": {"at", "bases"}, "tally": {"ciphertexts"},
    "partial": {"trustee", "shares"}, "result": {"trustees", "counts", "outcomes"},
    "audit": {"round", "fingerprint", "ciphertexts", "randomness", "choices"},
}
BASE_NAMES = ("members", "present", "issued", "cast")
OUTCOME_KEYS = {"contest", "option", "count", "base", "status"}
STATUSES = ("elected", "not_elected", "runoff")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}Z\Z")


def read_event(line: bytes) -> dict:
    """Parse one board line into an event whose header is readable (§9.1).

    :raises CryptoError: the line is not UTF-8 JSON, carries a number that
        is not an integer in [-2^53, 2^53] or a lone surrogate, or is not an
        object with the event keys, an integer ``seq``, a string ``parent``
        and a known ``type`` with an object ``body``.
    """
    try:
        event = json.loads(line.decode("utf-8"))  # UTF-8 only; a BOM is not JSON
        canonical_json(event)  # refuses floats, big integers, lone surrogates
    except (ValueError, TypeError) as exc:
        raise InvalidStructure(f"not readable JSON: {exc}") from exc
    expect_object(event, EVENT_KEYS, "event")
    expect_int(event["seq"], "seq")
    if not isinstance(event["parent"], str):
        raise InvalidStructure("parent: expected a string")
    if not isinstance(event["type"], str) or event["type"] not in BODY_KEYS:
        raise InvalidStructure("unknown event type")
    if not isinstance(event["body"], dict):
        raise InvalidStructure("body: expected an object")
    return event


def body_problem(event: dict) -> str | None:
    """What is wrong with a readable event's body (§9.3), or None."""
    try:
        _BODY[event["type"]](expect_object(event["body"], BODY_KEYS[event["type"]], "body"))
    except CryptoError as exc:
        return str(exc)
    return None


def expect_hex64(value, what: str) -> str:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise InvalidStructure(f"{what}: expected 64 lowercase hex characters")
    return value


def expect_at(value, what: str = "at") -> str:
    """A UTC time to the minute, ``YYYY-MM-DDTHH:MMZ``, that exists."""
    if not isinstance(value, str) or not _AT.match(value):
        raise InvalidStructure(f"{what}: expected YYYY-MM-DDTHH:MMZ")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%MZ")
    except ValueError as exc:
        raise InvalidStructure(f"{what}: not a real date and time") from exc
    return value


def close_bases(body: dict) -> dict[str, int]:
    """The four bases of a close event body, each an integer >= 0."""
    bases = expect_object(body.get("bases"), set(BASE_NAMES), "bases")
    for name in BASE_NAMES:
        expect_int(bases[name], f"bases.{name}")
    return bases


def _hex_rows(value, keys: set[str], what: str) -> None:
    for i, row in enumerate(expect_list(value, what)):
        for j, item in enumerate(expect_list(row, f"{what}[{i}]")):
            expect_object(item, keys, f"{what}[{i}][{j}]")
            for key in keys:
                expect_hex64(item[key], f"{what}[{i}][{j}].{key}")


def _audit(body: dict) -> None:
    """§9.3's audit row: the types only; check 19 reads the contents."""
    if not isinstance(body["round"], str):
        raise InvalidStructure("round: expected a string")
    expect_hex64(body["fingerprint"], "fingerprint")
    _hex_rows(body["ciphertexts"], {"alpha", "beta"}, "ciphertexts")
    for i, row in enumerate(expect_list(body["randomness"], "randomness")):
        for j, r in enumerate(expect_list(row, f"randomness[{i}]")):
            expect_hex64(r, f"randomness[{i}][{j}]")
    for i, row in enumerate(expect_list(body["choices"], "choices")):
        for j, c in enumerate(expect_list(row, f"choices[{i}]")):
            expect_int(c, f"choices[{i}][{j}]")


def _object_and_hash(body: dict, obj: str, digest: str) -> None:
    if not isinstance(body[obj], dict):
        raise InvalidStructure(f"{obj}: expected an object")
    expect_hex64(body[digest], digest)


def _close(body: dict) -> None:
    expect_at(body["at"])
    close_bases(body)


def _result(body: dict) -> None:
    for i, index in enumerate(expect_list(body["trustees"], "trustees")):
        expect_int(index, f"trustees[{i}]", 1)
    for i, row in enumerate(expect_list(body["counts"], "counts")):
        for j, count in enumerate(expect_list(row, f"counts[{i}]")):
            expect_int(count, f"counts[{i}][{j}]")
    for i, row in enumerate(expect_list(body["outcomes"], "outcomes")):
        for j, outcome in enumerate(expect_list(row, f"outcomes[{i}]")):
            what = f"outcomes[{i}][{j}]"
            expect_object(outcome, OUTCOME_KEYS, what)
            for key in ("contest", "count", "base"):
                expect_int(outcome[key], f"{what}.{key}")
            if outcome["option"] is not None:
                expect_int(outcome["option"], f"{what}.option")
            if outcome["status"] not in STATUSES:
                raise InvalidStructure(f"{what}.status: one of {STATUSES}")


_BODY = {
    "setup": lambda body: _object_and_hash(body, "election", "fingerprint"),
    "open": lambda body: expect_at(body["at"]),
    "ballot": lambda body: _object_and_hash(body, "ballot", "tracker"),
    "revoke": lambda body: expect_hex64(body["credential"], "credential"),
    "close": _close,
    "tally": lambda body: _hex_rows(body["ciphertexts"], {"alpha", "beta"}, "ciphertexts"),
    "partial": lambda body: (expect_int(body["trustee"], "trustee", 1),
                             _hex_rows(body["shares"], {"d", "c", "u"}, "shares")),
    "result": _result,
    "audit": lambda body: _audit(body),
}
