"""Cross-language test vectors for the browser ballot client.

    .venv/bin/python tests/client/make_vectors.py

writes ``tests/client/vectors.json``: hashes, credentials, canonical JSON,
the test-vector byte stream, point encodings the client must refuse, and
whole ballots made by the Python reference (PROTOCOL.md §12). Everything is
deterministic: keys and ballots draw from :class:`TestRng` with fixed seeds,
so regenerating must give the committed file byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from nacl.bindings import crypto_core_ed25519_add

from voting.crypto import keys
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.ballot import short_tracker
from voting.crypto.ballot import tracker
from voting.crypto.ballot import verify_ballot
from voting.crypto.codec import point_hex
from voting.crypto.codec import scalar_hex
from voting.crypto.drbg import TestRng
from voting.crypto.election import election_object
from voting.crypto.election import parse_election
from voting.crypto.errors import InvalidEncoding
from voting.crypto.group import decode_point
from voting.crypto.group import mul_base
from voting.crypto.group import os_rng
from voting.crypto.hashing import canonical_json
from voting.crypto.hashing import hash32
from voting.crypto.hashing import hash_scalar

VECTORS_PATH = Path(__file__).with_name("vectors.json")

#: The field prime 2^255 - 19, for building non-canonical encodings.
P = 2**255 - 19

ROUND_ID = "hội-nghị-2026/vòng-1"
#: The record-signing key must be a valid group element (§5.3): any fixed one.
SERVER_KEY = point_hex(mul_base(0x5E5E))
#: The vectors' ballot-client hash (any 32 bytes: the vectors run no served bundle).
BALLOT_CLIENT = "c1" * 32


def token(label: str) -> bytes:
    """A fixed 16-byte card token."""
    return hashlib.sha256(f"vector-token/{label}".encode()).digest()[:16]


def hash_samples() -> list[dict]:
    cases = [
        ("fingerprint", []),
        ("ballot", [b""]),
        ("membership", [b"\x00" * 32, bytes(range(256)), "Đồng ý".encode()]),
        ("tracker", [b"a", b"bc", b"\xff" * 70]),
    ]
    return [{"tag": tag, "items": [x.hex() for x in items],
             "hash32": hash32(tag, *items).hex(),
             "hash_scalar": scalar_hex(hash_scalar(tag, *items))}
            for tag, items in cases]


def credential_samples() -> list[dict]:
    cases = [
        (bytes(16), "round-1"),
        (bytes(range(16)), "sim-round-1"),
        (token("a"), ROUND_ID),
        (token("b"), "Vòng bầu cử Ban Chấp hành — lần 2"),
        (b"\xff" * 16, "Đại hội đại biểu toàn quốc lần thứ XIV"),
    ]
    out = []
    for tok, round_id in cases:
        secret = derive_credential(tok, round_id)
        out.append({"token": tok.hex(), "round": round_id, "secret": scalar_hex(secret),
                    "credential": point_hex(public_credential(secret))})
    return out


def canonical_json_samples() -> list[dict]:
    values = [
        0, -1, 2**53, -(2**53), True, False, None, "", [], {},
        "Hội nghị thi đua — Cờ thi đua của Chính phủ",
        "Ho\u0302\u0323i nghi\u0323",  # the same words, decomposed (NFD): other bytes
        'quote " backslash \\ slash / newline \n tab \t cr \r bs \b ff \f',
        "controls \u0000\u0001\u001f del \u007f nbsp \u00a0 sep \u2028\u2029",
        "astral 😀 𝄞 and BMP \uffff \ue000",
        {"b": 1, "a": [1, 2, {"d": None, "c": "x"}], "": 0},
        {"10": "ten", "9": "nine", "a": "A", "B": "b", "_": "_"},
        {"\uffff": 1, "😀": 2, "\ue000": 3, "é": 4, "e\u0301": 5, "z": 6},
        {"contests": [{"id": "unit-001", "title": "Đơn vị 1", "min": 0, "max": 1}],
         "nested": {"deeper": {"deepest": [[], [[]], {}]}}},
    ]
    return [{"value": v, "json": canonical_json(v).decode()} for v in values]


def rng_samples() -> list[dict]:
    out = []
    for seed, draws in ((b"", [64, 64]), (b"seed", [1, 32, 63, 64]),
                        ("hạt giống".encode(), [16, 64])):
        rng = TestRng(seed)
        out.append({"seed": seed.hex(), "draws": draws,
                    "output": [rng(n).hex() for n in draws]})
    return out


def _encoding(y: int, sign: int = 0) -> bytes:
    """Encode y (even if >= p) with the x sign bit, as a point would be."""
    data = bytearray(y.to_bytes(32, "little"))
    data[31] |= sign << 7
    return bytes(data)


def invalid_points(valid: bytes) -> list[dict]:
    """Encodings every client must refuse, each checked against Python too."""
    torsion8 = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
    off_curve = next(_encoding(v) for v in range(2, 100) if not _on_curve(v))
    cases = [
        ("identity", _encoding(1)),
        ("identity with the sign bit set (x = 0)", _encoding(1, 1)),
        ("non-canonical identity (y = p + 1)", _encoding(P + 1)),
        ("non-canonical y = p", _encoding(P)),
        ("non-canonical y = 2^255 - 1", _encoding(2**255 - 1)),
        ("small order 2 (y = p - 1)", _encoding(P - 1)),
        ("small order 4 (y = 0)", _encoding(0)),
        ("small order 8", torsion8),
        ("mixed order: valid point plus an order-8 point", _mixed(valid, torsion8)),
        ("off the curve", off_curve),
    ]
    out = []
    for reason, data in cases:
        try:
            decode_point(data)
        except InvalidEncoding:
            out.append({"reason": reason, "point": data.hex()})
        else:
            raise AssertionError(f"Python accepted the invalid point: {reason}")
    return out


def _on_curve(y: int) -> bool:
    """Whether some x satisfies -x^2 + y^2 = 1 + d x^2 y^2 (mod p)."""
    d = -121665 * pow(121666, -1, P) % P
    x2 = (y * y - 1) * pow(d * y * y + 1, -1, P) % P
    return x2 == 0 or pow(x2, (P - 1) // 2, P) == 1


def _mixed(valid: bytes, torsion: bytes) -> bytes:
    """A point with both a prime-order and a small-order component."""
    return crypto_core_ed25519_add(valid, torsion)


def manifest() -> dict:
    units = [{"id": f"unit-{u:03d}", "title": f"Đơn vị {u}",
              "options": [{"id": "agree", "title": "Đồng ý"},
                          {"id": "disagree", "title": "Không đồng ý"}],
              "min": 0, "max": 1, "encoding": "packed"} for u in range(1, 4)]
    flag = {"id": "flag", "title": "Suy tôn Cờ thi đua",
            "options": [{"id": f"unit-{u:03d}", "title": f"Đơn vị {u}"} for u in range(1, 5)],
            "min": 1, "max": 1, "encoding": "options"}
    board = {"id": "board", "title": "Bầu \"Ban\" chấp hành\n(tối đa 2)",
             "options": [{"id": f"c{k}", "title": name} for k, name in
                         enumerate(["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường",
                                    "Phạm Đức Dũng", "Võ Thị Ê"])],
             "min": 0, "max": 2, "encoding": "options"}
    return {
        "version": 1, "conference": "Hội nghị thi đua 2026", "round": ROUND_ID,
        "title": "Vòng 1", "contests": [*units, flag, board],
        "rules": [
            {"contests": [u["id"] for u in units], "option": "agree", "comparator": ">",
             "fraction": [1, 2], "base": "present", "quota": None, "ties": "runoff"},
            {"contests": ["flag"], "option": None, "comparator": ">", "fraction": [1, 2],
             "base": "valid", "quota": 1, "ties": "runoff"},
            {"contests": ["board"], "option": None, "comparator": ">=", "fraction": [1, 2],
             "base": "cast", "quota": 2, "ties": "runoff"},
        ],
    }


def build_election(voters: int = 5, trustees: int = 3, threshold: int = 2) -> tuple[dict, list]:
    """The vectors' election object and the card tokens of its voters."""
    dealing = keys.deal(threshold, trustees, rng=TestRng(b"vectors/dealer"))
    tokens = [token(f"voter-{k}") for k in range(voters)]
    credentials = [point_hex(public_credential(derive_credential(t, ROUND_ID))) for t in tokens]
    obj = election_object(manifest(), "dealer", threshold, [dealing.to_json()],
                          [f"Người giữ khóa {i}" for i in range(1, trustees + 1)],
                          credentials, SERVER_KEY, BALLOT_CLIENT)
    return obj, tokens


#: (voter, choices, rng seed) for each ballot vector.
BALLOTS = [
    (0, [[0], [0], [0], [0], [0, 1]], b"ballot-0"),
    (1, [[1], [], [0], [3], []], b"ballot-1"),
    (2, [[], [], [], [2], [4]], b"ballot-2"),
    (3, [[0], [1], [], [1], [3, 2]], b"ballot-3"),
    (4, [[1], [1], [1], [0], [4, 0]], "lá phiếu-4".encode()),
]

#: Choices the client must refuse (each also refused by Python).
INVALID_CHOICES = [
    ("too few contests", [[0], [0], [0], [0]]),
    ("too many contests", [[0], [0], [0], [0], [], []]),
    ("both options of a packed agree/disagree contest", [[0, 1], [0], [0], [0], []]),
    ("option index out of range", [[2], [0], [0], [0], []]),
    ("negative option index", [[-1], [0], [0], [0], []]),
    ("blank where min = 1", [[0], [0], [0], [], []]),
    ("two where max = 1", [[0], [0], [0], [0, 1], []]),
    ("three where max = 2", [[0], [0], [0], [0], [0, 1, 2]]),
    ("duplicate index", [[0], [0], [0], [0], [1, 1]]),
]


def random_election(voters: int) -> tuple[dict, list[bytes], dict[int, int]]:
    """A fresh election over the vectors' manifest with OS-random keys and
    cards (for tests, not vectors): (election object, tokens, shares)."""
    dealing = keys.deal(2, 3)
    tokens = [os_rng(16) for _ in range(voters)]
    credentials = [point_hex(public_credential(derive_credential(t, ROUND_ID))) for t in tokens]
    obj = election_object(manifest(), "dealer", 2, [dealing.to_json()],
                          [f"Trustee {i}" for i in (1, 2, 3)], credentials, SERVER_KEY,
                          BALLOT_CLIENT)
    return obj, tokens, dealing.shares


def ballot_vectors(obj: dict, tokens: list[bytes]) -> list[dict]:
    election = parse_election(obj)
    out = []
    for voter, choices, seed in BALLOTS:
        secret = derive_credential(tokens[voter], ROUND_ID)
        ballot = encrypt_ballot(election, choices, secret, TestRng(seed))
        verify_ballot(election, ballot)
        out.append({"token": tokens[voter].hex(), "secret": scalar_hex(secret),
                    "choices": choices, "seed": seed.hex(), "ballot": ballot,
                    "tracker": tracker(ballot).hex(),
                    "short_tracker": short_tracker(tracker(ballot))})
    return out


def invalid_choice_vectors(obj: dict, secret: int) -> list[dict]:
    election = parse_election(obj)
    for reason, choices in INVALID_CHOICES:
        try:
            encrypt_ballot(election, choices, secret, TestRng(b"never"))
        except ValueError:
            continue
        raise AssertionError(f"Python accepted invalid choices: {reason}")
    return [{"reason": reason, "choices": choices} for reason, choices in INVALID_CHOICES]


def make_vectors() -> dict:
    """Return every vector as one JSON-compatible dict."""
    obj, tokens = build_election()
    election = parse_election(obj)
    return {
        "about": "Generated by tests/client/make_vectors.py from the Python reference; "
                 "do not edit by hand.",
        "hash": hash_samples(),
        "credential": credential_samples(),
        "canonical_json": canonical_json_samples(),
        "test_rng": rng_samples(),
        "invalid_points": invalid_points(mul_base(7)),
        "election": {"object": obj, "fingerprint": election.fingerprint.hex(),
                     "radix": election.radix, "tokens": [t.hex() for t in tokens]},
        "ballots": ballot_vectors(obj, tokens),
        "invalid_choices": invalid_choice_vectors(obj, derive_credential(tokens[0], ROUND_ID)),
    }


def render(vectors: dict) -> str:
    """The committed file's exact text."""
    return json.dumps(vectors, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> int:
    VECTORS_PATH.write_text(render(make_vectors()), encoding="utf-8")
    print(f"wrote {VECTORS_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
