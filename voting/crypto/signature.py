"""Ed25519 signature verification under the protocol's strict rule
(PROTOCOL.md §13, "Record signature"; points per §2.2, scalars per §2.3).

A signature ``R ‖ S`` (64 bytes) on a message ``M`` under a public key ``A``
verifies if and only if

1. ``A`` is a valid group element (§2.2: canonical, on the curve, in the
   prime-order subgroup, not the identity);
2. ``R`` is a valid group element in the same sense;
3. ``S`` is a canonical scalar, ``S < L`` (§2.3);
4. ``S·B = R + k·A`` with ``k = SHA-512(R ‖ A ‖ M)`` read little-endian,
   mod ``L``.

Because ``A`` and ``R`` are torsion-free, ``S·B − R − k·A`` lies in the
prime-order subgroup, where ``8·X = O`` only for ``X = O``: the cofactored and
the cofactorless equations give the same verdict, so this rule does not
depend on that choice. Every check here is done with :mod:`voting.crypto.group`
(libsodium's point arithmetic and the same point validation as everywhere
else in the protocol), not with an Ed25519 library's own verification
policy, which differs between libraries (OpenSSL, for instance, accepts
small-order and mixed-order public keys). ``tests/crypto/test_ed25519_suites.py``
pins the rule against the C2SP/CCTV and Wycheproof suites.
"""

from __future__ import annotations

import hashlib

from . import group
from .errors import InvalidEncoding
from .errors import InvalidProof

#: Bytes in an Ed25519 signature: R (a point) then S (a scalar).
SIGNATURE_SIZE = 64


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify an Ed25519 signature under the strict rule above.

    :raises InvalidEncoding: the signature is not 64 bytes, or ``A`` or ``R``
        is not a valid group element, or ``S`` is not below ``L``.
    :raises InvalidProof: the encodings are valid but ``S·B ≠ R + k·A``.
    """
    if len(signature) != SIGNATURE_SIZE:
        raise InvalidEncoding("an Ed25519 signature is 64 bytes")
    r_bytes, s_bytes = bytes(signature[:32]), bytes(signature[32:])
    try:
        a = group.decode_point(public_key)
    except InvalidEncoding as exc:
        raise InvalidEncoding(f"Ed25519 public key: {exc}") from exc
    try:
        r = group.decode_point(r_bytes)
    except InvalidEncoding as exc:
        raise InvalidEncoding(f"Ed25519 signature R: {exc}") from exc
    try:
        s = group.decode_scalar(s_bytes)
    except InvalidEncoding as exc:
        raise InvalidEncoding(f"Ed25519 signature S: {exc}") from exc
    k = int.from_bytes(hashlib.sha512(r + a + bytes(message)).digest(), "little") % group.L
    # Canonical encodings on both sides, so equal bytes <=> equal points.
    if group.mul_base(s) != group.add(r, group.mul(k, a)):
        raise InvalidProof("Ed25519 signature does not verify")
