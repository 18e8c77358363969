"""The server's Ed25519 record-signing key, kept in ``keys/``.

Created once, atomically (several workers may race), readable only by its
owner. Its public half goes into every election object.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.hazmat.primitives.serialization import NoEncryption
from cryptography.hazmat.primitives.serialization import PrivateFormat
from cryptography.hazmat.primitives.serialization import PublicFormat

FILENAME = "server-ed25519.pem"


def load_server_key(keys_dir) -> Ed25519PrivateKey:
    path = Path(keys_dir) / FILENAME
    if not path.exists():
        _create(path)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} is not an Ed25519 key")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                     NoEncryption())
    tmp = path.with_name(f".{FILENAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    try:
        os.link(tmp, path)  # atomic: fails if another worker made it first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def server_public_key_hex(keys_dir) -> str:
    return load_server_key(keys_dir).public_key().public_bytes(Encoding.Raw,
                                                               PublicFormat.Raw).hex()
