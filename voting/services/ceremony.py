"""The key ceremony: trustees enrol from their own devices, a dealer shares
the key, each trustee checks their share (PROTOCOL §4, §4.4).

Passphrases never leave the trustee's browser. The browser stretches the
passphrase with scrypt into an X25519 key pair and enrols only the public
half; the dealer encrypts each share to it (X25519 + HKDF-SHA256 +
ChaCha20-Poly1305, all of which the browser can also compute). The dealer's
polynomial exists only inside :func:`deal_keys` and is never stored or logged.
"""

from __future__ import annotations

import hashlib
import json
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto import keys
from ..crypto.codec import point_hex
from ..crypto.group import scalar_bytes
from ..models import Conference
from ..models import Round
from ..models import RoundState
from ..models import Trustee
from ..models.base import utcnow
from . import exact
from .errors import Invalid
from .errors import NotFound

#: scrypt parameters the browser uses to stretch a passphrase (N, r, p).
KDF = {"algorithm": "scrypt", "N": 2**15, "r": 8, "p": 1, "length": 32}
SHARE_INFO = b"voting/v1/share"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_trustees(session: Session, conference: Conference, names: list[str],
                 threshold: int) -> dict[int, str]:
    """Name the n trustees and the threshold t; returns each trustee's
    one-time invitation token (shown once, never stored).

    :raises Invalid: bad n or t, or a key already dealt.
    """
    names = [n.strip() for n in names if n.strip()]
    if conference.has_key:
        raise Invalid("the key has already been made")
    if not exact.is_int(threshold) or not 1 <= threshold <= len(names) <= keys.MAX_TRUSTEES:
        raise Invalid("need 1 ≤ t ≤ n ≤ 32 trustees")
    if len(set(names)) != len(names):
        raise Invalid("trustee names must be distinct")
    conference.trustees.clear()
    session.flush()
    tokens = {}
    for index, name in enumerate(names, start=1):
        token = secrets.token_urlsafe(24)
        tokens[index] = token
        conference.trustees.append(Trustee(index=index, name=name[:200],
                                           invite_hash=hash_token(token)))
    conference.trustee_count, conference.threshold = len(names), threshold
    session.commit()
    return tokens


def trustee_by_token(session: Session, token: str) -> Trustee:
    trustee = session.scalar(select(Trustee).where(Trustee.invite_hash == hash_token(token)))
    if trustee is None:
        raise NotFound("this invitation is not valid")
    return trustee


def _hex32(value, what: str) -> str:
    if not isinstance(value, str) or len(value) != 64:
        raise Invalid(f"{what} must be 64 hex characters")
    try:
        bytes.fromhex(value)
    except ValueError as exc:
        raise Invalid(f"{what} must be 64 hex characters") from exc
    return value.lower()


def enrol(session: Session, trustee: Trustee, enrolment_key: str, kdf_salt: str) -> None:
    """Record the public key the trustee's browser derived from their passphrase."""
    if trustee.conference.has_key:
        raise Invalid("the key has already been made")
    key = _hex32(enrolment_key, "enrolment key")
    try:
        X25519PublicKey.from_public_bytes(bytes.fromhex(key))
    except ValueError as exc:
        raise Invalid("not an X25519 public key") from exc
    if bytes.fromhex(key) == bytes(32):
        raise Invalid("not an X25519 public key")
    trustee.enrolment_key, trustee.kdf_salt = key, _hex32(kdf_salt, "salt")
    trustee.enrolled_at = utcnow()
    session.commit()


def _share_context(conference: Conference, trustee: Trustee, ephemeral: bytes) -> bytes:
    return b"|".join([SHARE_INFO, str(conference.id).encode(), str(trustee.index).encode(),
                      ephemeral, bytes.fromhex(trustee.enrolment_key)])


def encrypt_share(conference: Conference, trustee: Trustee, share: int) -> dict:
    """Encrypt a share to the trustee's enrolment key (X25519, HKDF, ChaCha20-Poly1305)."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_pub = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(
        bytes.fromhex(trustee.enrolment_key)))
    context = _share_context(conference, trustee, ephemeral_pub)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=context).derive(shared)
    nonce = secrets.token_bytes(12)
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, scalar_bytes(share), context)
    return {"ephemeral": ephemeral_pub.hex(), "nonce": nonce.hex(),
            "ciphertext": ciphertext.hex()}


def decrypt_share(conference: Conference, trustee: Trustee, envelope: dict,
                  private_key: X25519PrivateKey) -> int:
    """The inverse of :func:`encrypt_share` (used by the offline CLI and tests)."""
    ephemeral = bytes.fromhex(envelope["ephemeral"])
    shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    context = _share_context(conference, trustee, ephemeral)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=context).derive(shared)
    plain = ChaCha20Poly1305(key).decrypt(bytes.fromhex(envelope["nonce"]),
                                          bytes.fromhex(envelope["ciphertext"]), context)
    return int.from_bytes(plain, "little")


def deal_keys(session: Session, conference: Conference) -> None:
    """Deal the conference key once every trustee has enrolled.

    :raises Invalid: trustees missing or a key already made.
    """
    trustees = conference.trustees
    if conference.has_key:
        raise Invalid("the key has already been made")
    if not trustees or any(t.enrolment_key is None for t in trustees):
        raise Invalid("every trustee must enrol first")
    dealing = keys.deal(conference.threshold, len(trustees))
    install_public_material(conference, [dealing.to_json()])
    for trustee in trustees:
        trustee.encrypted_share = json.dumps(encrypt_share(conference, trustee,
                                                           dealing.shares[trustee.index]))
    del dealing
    session.commit()


def install_public_material(conference: Conference, dealers: list[dict]) -> None:
    """Set K, the dealers' commitments and each trustee's public share."""
    parsed = keys.parse_dealings(dealers, conference.threshold)
    keys.verify_dealings(parsed)
    conference.dealers_json = json.dumps(dealers)
    conference.public_key = point_hex(keys.joint_public_key(parsed))
    for trustee in conference.trustees:
        trustee.public_share = point_hex(keys.public_share(parsed, trustee.index))


def confirm_share(session: Session, trustee: Trustee) -> None:
    """The trustee's browser opened the share and found s_i·B = K_i."""
    trustee.share_checked_at = utcnow()
    session.commit()


def has_open_rounds(session: Session, conference: Conference) -> bool:
    return session.scalar(select(Round.id).where(
        Round.conference_id == conference.id, Round.state != RoundState.DRAFT).limit(1)) is not None
