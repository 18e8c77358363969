"""Sealed envelopes to a trustee's enrolment key (PROTOCOL.md §4.4).

One construction serves every secret a trustee receives: a share a dealer
sends in the distributed key generation, the dealer's own coefficients kept
on the server between the commit and the reveal, and the share file of an
offline dealing. Only the context differs, so that no envelope can be opened
as another kind::

    e       = a fresh X25519 key pair (E its public key)
    context = label | item_1 | ... | item_k | E | P
    key     = HKDF-SHA256(X25519(e, P), salt = none, info = context, 32)
    sealed  = ChaCha20-Poly1305(key, nonce, plaintext, aad = context)

where P is the recipient's enrolment key and ``|`` is the byte 0x7c.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from .codec import expect_object
from .errors import InvalidStructure
from .group import os_rng
from .group import Rng

#: scrypt parameters a passphrase is stretched with (N, r, p, output length).
KDF = {"algorithm": "scrypt", "N": 2**15, "r": 8, "p": 1, "length": 32}
SEPARATOR = b"|"
HEX_DIGITS = frozenset("0123456789abcdef")

SHARE = "voting/v1/share"
COEFFICIENTS = "voting/v1/coefficients"
OFFLINE_SHARE = "voting/v1/offline-share"


class CannotOpen(Exception):
    """The key does not open this envelope, or the envelope was altered."""


def derive_seed(passphrase: str, salt: bytes, kdf: dict = KDF) -> bytes:
    """scrypt over the UTF-8 of the passphrase's NFC form: the X25519
    private key of an enrolment (the browser computes the same)."""
    data = unicodedata.normalize("NFC", passphrase).encode()
    return hashlib.scrypt(data, salt=salt, n=kdf["N"], r=kdf["r"], p=kdf["p"],
                          dklen=kdf["length"], maxmem=256 * kdf["N"] * kdf["r"] * kdf["p"])


def public_key(private: bytes) -> bytes:
    """The X25519 public key (the enrolment key) of a 32-byte private key."""
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def context(label: str, items: tuple[bytes, ...], ephemeral: bytes, recipient: bytes) -> bytes:
    return SEPARATOR.join([label.encode(), *items, ephemeral, recipient])


def decimal(n: int) -> bytes:
    """A context item for a number: ASCII decimal."""
    return str(n).encode()


@dataclass(frozen=True)
class Envelope:
    ephemeral: bytes
    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict:
        return {"ephemeral": self.ephemeral.hex(), "nonce": self.nonce.hex(),
                "ciphertext": self.ciphertext.hex()}

    @classmethod
    def from_json(cls, obj, plaintext_length: int) -> Envelope:
        """Parse ``{ephemeral, nonce, ciphertext}`` (lowercase hex), checking
        the lengths: 32, 12, and the plaintext's length plus the 16-byte tag.

        :raises InvalidStructure:
        """
        expect_object(obj, {"ephemeral", "nonce", "ciphertext"}, "envelope")
        parts = {}
        for name, length in (("ephemeral", 32), ("nonce", 12),
                             ("ciphertext", plaintext_length + 16)):
            value = obj[name]
            # bytes.fromhex alone would skip whitespace: check every character.
            if (not isinstance(value, str) or len(value) != 2 * length
                    or not set(value) <= HEX_DIGITS):
                raise InvalidStructure(f"envelope {name}: {length} bytes of lowercase hex")
            parts[name] = bytes.fromhex(value)
        return cls(**parts)


def _aead(shared: bytes, info: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                 info=info).derive(shared))


def seal(recipient: bytes, plaintext: bytes, label: str, items: tuple[bytes, ...],
         rng: Rng = os_rng) -> Envelope:
    """Seal ``plaintext`` to the X25519 key ``recipient`` under the context
    ``label | items | E | P``.

    :raises InvalidStructure: if ``recipient`` is not a usable X25519 key.
    """
    ephemeral = X25519PrivateKey.from_private_bytes(rng(32))
    ephemeral_pub = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    except ValueError as exc:
        raise InvalidStructure("not a usable X25519 public key") from exc
    info = context(label, items, ephemeral_pub, recipient)
    nonce = rng(12)
    return Envelope(ephemeral_pub, nonce, _aead(shared, info).encrypt(nonce, plaintext, info))


def open_sealed(private: bytes, envelope: Envelope, label: str,
                items: tuple[bytes, ...]) -> bytes:
    """The inverse of :func:`seal`, with the recipient's private key.

    :raises CannotOpen: wrong key, wrong context or altered envelope.
    """
    key = X25519PrivateKey.from_private_bytes(private)
    recipient = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(envelope.ephemeral))
        info = context(label, items, envelope.ephemeral, recipient)
        return _aead(shared, info).decrypt(envelope.nonce, envelope.ciphertext, info)
    except (ValueError, InvalidTag) as exc:
        raise CannotOpen("the key does not open this envelope") from exc
