"""Fixtures for the crypto core: small deterministic elections."""

from __future__ import annotations

import pytest

from voting.crypto import keys
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import public_credential
from voting.crypto.codec import point_hex
from voting.crypto.drbg import TestRng
from voting.crypto.election import election_object
from voting.crypto.election import parse_election
from voting.crypto.group import mul_base


def agree_contest(cid: str) -> dict:
    return {"id": cid, "title": cid, "options": [{"id": "agree", "title": "Đồng ý"},
                                                {"id": "disagree", "title": "Không đồng ý"}],
            "min": 0, "max": 1, "encoding": "packed"}


def choose_contest(cid: str, n: int, k: int, encoding: str = "options") -> dict:
    return {"id": cid, "title": cid, "options": [{"id": f"o{i}", "title": f"Option {i}"}
                                                for i in range(n)],
            "min": 0, "max": k, "encoding": encoding}


def make_election(contests: list[dict], rules: list[dict] | None = None, voters: int = 4,
                  trustees: int = 3, threshold: int = 2, seed: bytes = b"fixture"):
    """Return (election, secrets, shares) built from a deterministic stream."""
    rng = TestRng(seed)
    dealing = keys.deal(threshold, trustees, rng=rng)
    secrets = [derive_credential(bytes([i]) * 16, "round-1") for i in range(voters)]
    manifest = {"version": 1, "conference": "Hội nghị", "round": "round-1",
                "title": "Vòng 1", "contests": contests, "rules": rules or []}
    obj = election_object(manifest, "dealer", threshold, [dealing.to_json()],
                          [f"T{i}" for i in range(1, trustees + 1)],
                          [point_hex(public_credential(x)) for x in secrets],
                          point_hex(mul_base(0x5E5E)), "c1" * 32)
    return parse_election(obj), secrets, dealing.shares


@pytest.fixture(scope="session")
def small():
    """Two packed per-unit contests and one choose-up-to-2 options contest."""
    return make_election([agree_contest("a"), agree_contest("b"), choose_contest("c", 3, 2)])
