"""The public board: an append-only hash chain of events (PROTOCOL.md §9).

Each event is ``{"seq", "parent", "type", "body"}``; its hash is
H32("event", canonical JSON of the event), and the next event's ``parent``
is that hash. The first event's parent is 32 zero bytes.
"""

from __future__ import annotations

from .hashing import canonical_json
from .hashing import hash32

GENESIS = bytes(32)
EVENT_KEYS = {"seq", "parent", "type", "body"}
EVENT_TYPES = ("setup", "open", "ballot", "revoke", "audit", "close", "tally", "partial",
               "result")


def event_hash(event: dict) -> bytes:
    return hash32("event", canonical_json(event))


def make_event(seq: int, parent: bytes, kind: str, body: dict) -> dict:
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event type {kind}")
    return {"seq": seq, "parent": parent.hex(), "type": kind, "body": body}


class Chain:
    """Builds a board in memory: ``append`` returns each new event."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        #: Each event's canonical JSON, as it goes into the record.
        self.lines: list[bytes] = []
        self.head = GENESIS

    def append(self, kind: str, body: dict) -> dict:
        event = make_event(len(self.events), self.head, kind, body)
        line = canonical_json(event)
        self.events.append(event)
        self.lines.append(line)
        self.head = hash32("event", line)
        return event
