"""Bytes sealed under a passphrase: how a backup holds ``keys/`` (README
§Backups). The primitives are those of the envelopes (PROTOCOL §4.4), with
a passphrase in place of an X25519 key, and scrypt's cost raised because a
stolen backup can be attacked offline for as long as its holder likes::

    salt    = 16 random bytes
    key     = scrypt(UTF-8(NFC(passphrase)), salt, N = 2^17, r = 8, p = 1, 32 bytes)
    aad     = label | N | r | p | salt
    sealed  = ChaCha20-Poly1305(key, nonce = 12 random bytes, plaintext, aad)

The sealed object is UTF-8 JSON ``{"format": label, "kdf": {"algorithm":
"scrypt", "N", "r", "p", "length", "salt"}, "nonce", "ciphertext"}``, the
salt and nonce in lowercase hex and the ciphertext (tag included) in
base64. Only these exact scrypt parameters are accepted, so that a forged
header can neither weaken the check nor make the reader spend unbounded
memory.
"""

from __future__ import annotations

import binascii
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .envelope import CannotOpen
from .envelope import decimal
from .envelope import derive_seed
from .envelope import HEX_DIGITS
from .envelope import SEPARATOR
from .errors import InvalidStructure

#: scrypt parameters of a sealed backup: 128 MiB and about half a second.
KDF = {"algorithm": "scrypt", "N": 2**17, "r": 8, "p": 1, "length": 32}
SALT_LENGTH = 16
NONCE_LENGTH = 12


def _aad(label: str, salt: bytes) -> bytes:
    return SEPARATOR.join([label.encode(), decimal(KDF["N"]), decimal(KDF["r"]),
                           decimal(KDF["p"]), salt])


def seal(plaintext: bytes, passphrase: str, label: str, rng=os.urandom) -> bytes:
    """``plaintext`` sealed under ``passphrase``, as the JSON bytes above.

    :param label: names what is sealed; :func:`open_sealed` must be given
        the same one.
    :param rng: a source of random bytes (``os.urandom``).
    """
    salt, nonce = rng(SALT_LENGTH), rng(NONCE_LENGTH)
    key = derive_seed(passphrase, salt, KDF)
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, plaintext, _aad(label, salt))
    obj = {"format": label, "kdf": {**KDF, "salt": salt.hex()}, "nonce": nonce.hex(),
           "ciphertext": binascii.b2a_base64(ciphertext, newline=False).decode()}
    return json.dumps(obj, sort_keys=True).encode() + b"\n"


def _hex(value, length: int, what: str) -> bytes:
    if (not isinstance(value, str) or len(value) != 2 * length
            or not set(value) <= HEX_DIGITS):
        raise InvalidStructure(f"sealed {what}: {length} bytes of lowercase hex")
    return bytes.fromhex(value)


def _parse(data: bytes, label: str) -> tuple[bytes, bytes, bytes]:
    """(salt, nonce, ciphertext) of a sealed object.

    :raises InvalidStructure: not JSON of the form above, another label, or
        other scrypt parameters.
    """
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise InvalidStructure("a sealed object is JSON") from exc
    if not isinstance(obj, dict) or set(obj) != {"format", "kdf", "nonce", "ciphertext"}:
        raise InvalidStructure("a sealed object has format, kdf, nonce and ciphertext")
    if obj["format"] != label:
        raise InvalidStructure(f"this sealed object is not {label}")
    kdf = obj["kdf"]
    if (not isinstance(kdf, dict) or set(kdf) != {*KDF, "salt"}
            or any(type(kdf[name]) is not type(value) or kdf[name] != value
                   for name, value in KDF.items())):
        raise InvalidStructure(f"sealed kdf: exactly {KDF} and a salt")
    if not isinstance(obj["ciphertext"], str):
        raise InvalidStructure("sealed ciphertext: base64")
    try:
        ciphertext = binascii.a2b_base64(obj["ciphertext"], strict_mode=True)
    except binascii.Error as exc:
        raise InvalidStructure("sealed ciphertext: base64") from exc
    return (_hex(kdf["salt"], SALT_LENGTH, "salt"), _hex(obj["nonce"], NONCE_LENGTH, "nonce"),
            ciphertext)


def open_sealed(data: bytes, passphrase: str, label: str) -> bytes:
    """The plaintext :func:`seal` sealed.

    :raises InvalidStructure: ``data`` is not a sealed object of ``label``.
    :raises CannotOpen: wrong passphrase, or the object was altered.
    """
    salt, nonce, ciphertext = _parse(data, label)
    key = derive_seed(passphrase, salt, KDF)
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, _aad(label, salt))
    except InvalidTag as exc:
        raise CannotOpen("the passphrase does not open this sealed object") from exc
