"""The election record of one round: a zip holding ``board.jsonl`` (one
canonical event a line) and ``signature.json`` (PROTOCOL.md §13).

The server signs H32("record", fingerprint, head, u64(events)) with its
Ed25519 key; the verifier checks it against the key named in ``setup``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import InvalidProof
from .hashing import canonical_json
from .hashing import hash32
from .hashing import u64

BOARD = "board.jsonl"
SIGNATURE = "signature.json"


def record_digest(fingerprint: bytes, head: bytes, count: int) -> bytes:
    return hash32("record", fingerprint, head, u64(count))


def sign_record(key: Ed25519PrivateKey, fingerprint: bytes, head: bytes, count: int) -> dict:
    """The ``signature.json`` object for a board of ``count`` events."""
    return {
        "head": head.hex(),
        "events": count,
        "signature": key.sign(record_digest(fingerprint, head, count)).hex(),
    }


def check_record_signature(server_key: bytes, fingerprint: bytes, head: bytes, count: int,
                           signature: bytes) -> None:
    """:raises InvalidProof: if the Ed25519 signature does not verify."""
    try:
        Ed25519PublicKey.from_public_bytes(server_key).verify(
            signature, record_digest(fingerprint, head, count))
    except (InvalidSignature, ValueError) as exc:
        raise InvalidProof("record signature does not verify") from exc


def write_record(path, lines, key: Ed25519PrivateKey) -> bytes:
    """Write the board's canonical event ``lines`` (an iterable of bytes,
    streamed) and their signature to a zip at ``path``. Returns the head."""
    head, count, fingerprint = bytes(32), 0, b""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(BOARD, "w") as out:
            for line in lines:
                if count == 0:
                    fingerprint = bytes.fromhex(json.loads(line)["body"]["fingerprint"])
                out.write(line + b"\n")
                head, count = hash32("event", line), count + 1
        zf.writestr(SIGNATURE, canonical_json(sign_record(key, fingerprint, head, count)))
    return head


def read_lines(path) -> Iterator[bytes]:
    """Stream the board's lines (without the newline) from a record zip."""
    with zipfile.ZipFile(path) as zf, zf.open(BOARD) as f:
        for line in f:
            yield line.rstrip(b"\n")


def read_signature(path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read(SIGNATURE))
