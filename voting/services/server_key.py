"""The installation's Ed25519 record-signing key (PROTOCOL §13).

One key per installation, not per host: every worker and every host signs
with the same key, given either as ``VOTING_RECORD_KEY`` (the PEM text) or
as the file ``server-ed25519.pem`` in ``VOTING_KEYS_DIR``, which
``voting record-key new`` writes once. Development and tests make the file
on first use; production refuses to start without a key
(``voting.record_key``). Its public half goes into every election object
and is published outside the record too (board, minutes, receipts), so
that an auditor can name it to ``voting-verify --server-key``.

The key's PEM text is a secret: no message here ever contains it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.hazmat.primitives.serialization import NoEncryption
from cryptography.hazmat.primitives.serialization import PrivateFormat
from cryptography.hazmat.primitives.serialization import PublicFormat

from ..crypto.record import key_fingerprint
from ..models import Round

FILENAME = "server-ed25519.pem"


class MissingRecordKey(RuntimeError):
    """No installation key, or an unusable one: the app must not start."""


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key, as the election object names it (§5.3)."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_pem(pem: bytes, where: str) -> Ed25519PrivateKey:
    """An unencrypted PKCS#8 Ed25519 private key in PEM.

    :param where: names the source in the error (never the key itself).
    :raises MissingRecordKey: if it is anything else.
    """
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise MissingRecordKey(f"{where} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise MissingRecordKey(f"{where} is not an Ed25519 key")
    return key


def read_key_file(keys_dir) -> Ed25519PrivateKey | None:
    """The key in ``keys_dir``, or None if there is no key file."""
    path = Path(keys_dir) / FILENAME
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return None
    return parse_pem(pem, str(path))


def create_key_file(path) -> Ed25519PrivateKey:
    """Write a new key to ``path``, readable by its owner only (mode 0600),
    atomically and never overwriting (several workers may race).

    :raises FileExistsError: if ``path`` exists; it is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    try:
        os.link(tmp, path)  # atomic: fails if the file exists
    finally:
        tmp.unlink()
    return key


def installation_key(pem_text: str, keys_dir, *, create: bool) -> Ed25519PrivateKey:
    """The installation's key: ``pem_text`` (``VOTING_RECORD_KEY``) if set,
    else the file in ``keys_dir``, else, if ``create``, a new key file.

    :raises MissingRecordKey: there is none and ``create`` is false; or the
        variable and the file both exist and hold different keys (two hosts
        would sign with different keys).
    """
    on_disk = read_key_file(keys_dir)
    if pem_text:
        key = parse_pem(pem_text.encode(), "VOTING_RECORD_KEY")
        if on_disk is not None and public_key_bytes(on_disk) != public_key_bytes(key):
            raise MissingRecordKey(f"VOTING_RECORD_KEY and {Path(keys_dir) / FILENAME} hold "
                                   "different keys: keep one")
        return key
    if on_disk is not None:
        return on_disk
    if not create:
        raise MissingRecordKey(
            f"no record-signing key: set VOTING_RECORD_KEY or put {FILENAME} in "
            f"VOTING_KEYS_DIR ({keys_dir}); make one once with 'flask --app wsgi voting "
            "record-key new', run without VOTING_ENV=production")
    return load_server_key(keys_dir)


def load_server_key(source) -> Ed25519PrivateKey:
    """The key to sign with.

    :param source: the installation key itself (what the app passes), or a
        keys directory, whose key file is made on first use (development
        and tests only: ``installation_key`` never lets production get here
        without a key).
    """
    if isinstance(source, Ed25519PrivateKey):
        return source
    key = read_key_file(source)
    if key is None:
        try:
            key = create_key_file(Path(source) / FILENAME)
        except FileExistsError:  # another worker made it first
            key = read_key_file(source)
    return key


def server_public_key_hex(source) -> str:
    """The public key of ``load_server_key(source)``, 64 hex characters."""
    return key_fingerprint(public_key_bytes(load_server_key(source)))


def round_server_key(rnd: Round) -> str | None:
    """The fingerprint of the key that signs this round's record: the one
    its election object names (§5.3); None before the round opens."""
    if not rnd.election_json:
        return None
    return json.loads(rnd.election_json)["server_key"]
