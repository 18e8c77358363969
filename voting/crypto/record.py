"""The election record of one round: a zip holding ``board.jsonl`` (one
canonical event a line) and ``signature.json`` (PROTOCOL.md §13).

The server signs H32("record", fingerprint, head, u64(events)) with its
Ed25519 key; the verifier checks it against the key named in ``setup``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .election import fingerprint as election_fingerprint
from .hashing import canonical_json
from .hashing import hash32
from .hashing import u64
from .signature import verify_ed25519

BOARD = "board.jsonl"
SIGNATURE = "signature.json"
MEMBERS = (BOARD, SIGNATURE)


def key_fingerprint(server_key: bytes) -> str:
    """The server key's fingerprint (§13): the raw 32-byte Ed25519 public
    key itself, as 64 lowercase hex characters."""
    return server_key.hex()


def fingerprint_groups(fingerprint: str) -> str:
    """The fingerprint as people read it (§13): groups of 4 characters."""
    return " ".join(fingerprint[i:i + 4] for i in range(0, len(fingerprint), 4))


def parse_key_fingerprint(text: str) -> bytes:
    """A fingerprint as typed (§13): 64 hex digits, in either case, grouped
    or not by spaces or colons.

    :raises ValueError: if it is not 64 hex digits.
    """
    compact = text.replace(" ", "").replace(":", "").lower()
    if len(compact) != 64 or any(c not in "0123456789abcdef" for c in compact):
        raise ValueError("a server key fingerprint is 64 hexadecimal digits")
    return bytes.fromhex(compact)


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
    """Verify the record signature by the strict rule of §13.

    :raises CryptoError: if the key, R or S is not valid, or it does not verify.
    """
    verify_ed25519(server_key, record_digest(fingerprint, head, count), signature)


def write_record(path, lines, key: Ed25519PrivateKey) -> bytes:
    """Write the board's canonical event ``lines`` (an iterable of bytes,
    streamed) and their signature to a zip at ``path``. Returns the head."""
    head, count, fingerprint = bytes(32), 0, b""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(BOARD, "w") as out:
            for line in lines:
                if count == 0:  # the setup event: its election's fingerprint (§14.4)
                    fingerprint = election_fingerprint(json.loads(line)["body"]["election"])
                out.write(line + b"\n")
                head, count = hash32("event", line), count + 1
        zf.writestr(SIGNATURE, canonical_json(sign_record(key, fingerprint, head, count)))
    return head


def container_problems(path) -> list[str]:
    """What makes the zip at ``path`` other than exactly the two members of
    §13, each named once (empty when it is exact).

    :raises zipfile.BadZipFile: if it is not a readable zip.
    """
    with zipfile.ZipFile(path) as zf:
        names = [info.filename for info in zf.infolist()]
    problems = [f"member {name!r} appears {names.count(name)} times"
                for name in MEMBERS if names.count(name) != 1]
    problems += [f"unexpected member {name!r}" for name in dict.fromkeys(names)
                 if name not in MEMBERS]
    return problems


def _open_member(zf: zipfile.ZipFile, name: str):
    """Open a member that §13 allows: stored or deflated, not encrypted.

    :raises zipfile.BadZipFile: otherwise.
    """
    info = zf.getinfo(name)
    if info.flag_bits & 0x1:
        raise zipfile.BadZipFile(f"member {name!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise zipfile.BadZipFile(f"member {name!r} is neither stored nor deflated")
    return zf.open(info)


def read_lines(path) -> Iterator[bytes]:
    """Stream the board's lines from a record zip, each with its newline
    (the last one may lack it: the caller checks)."""
    with zipfile.ZipFile(path) as zf, _open_member(zf, BOARD) as f:
        yield from f


def read_signature(path) -> bytes:
    """The bytes of ``signature.json``."""
    with zipfile.ZipFile(path) as zf, _open_member(zf, SIGNATURE) as f:
        return f.read()
