"""Distributed key generation: every trustee deals (PROTOCOL.md §4.5).

A ceremony *attempt* has four phases. Each trustee enrols an X25519 key
(§4.4); then, as dealer i, commits to a polynomial by the hash of its
commitments, with the coefficients sealed to its own enrolment key; once
every dealer has committed, reveals the commitments, their proofs and one
share envelope per trustee; once every dealer has revealed, opens the
envelopes addressed to it, checks each share against its dealer's
commitments (Feldman) and confirms s_i·B = K_i, or complains about the
dealer whose share fails.

The trustee's side (:func:`commit`, :func:`reveal`, :func:`receive`) runs
in the trustee's browser (voting/static/src/trustee/dkg.js mirrors it) and,
for simulations and tests, here. The server only calls
:func:`check_reveal`, which needs nothing secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import envelope
from . import group
from . import keys
from .codec import expect_list
from .codec import expect_object
from .codec import parse_point
from .codec import point_hex
from .codec import scalar_hex
from .envelope import CannotOpen
from .envelope import decimal
from .envelope import Envelope
from .envelope import HEX_DIGITS
from .errors import InvalidEncoding
from .errors import InvalidProof
from .errors import InvalidStructure
from .group import L
from .group import Rng
from .group import scalar_bytes
from .hashing import hash32
from .hashing import u32
from .hashing import u64


@dataclass(frozen=True)
class Ceremony:
    """The public frame of one attempt: who the trustees are and the t."""

    conference_id: int
    attempt: int
    threshold: int
    #: P_1 … P_n, the trustees' enrolment keys (raw 32 bytes).
    enrolment_keys: tuple[bytes, ...]

    @property
    def trustees(self) -> int:
        return len(self.enrolment_keys)

    def share_items(self, dealer: int, recipient: int) -> tuple[bytes, ...]:
        return (decimal(self.conference_id), decimal(self.attempt), decimal(dealer),
                decimal(recipient))

    def coefficient_items(self, dealer: int) -> tuple[bytes, ...]:
        return (decimal(self.conference_id), decimal(self.attempt), decimal(dealer))


class Complaint(Exception):
    """A dealer's share to this trustee does not open or does not match the
    dealer's commitments."""

    def __init__(self, dealer: int, reason: str):
        super().__init__(f"dealer {dealer}: {reason}")
        self.dealer = dealer


def commitment_hash(ceremony: Ceremony, dealer: int, commitments) -> bytes:
    """h_i = H32("dealing-commitment", u64(conference), u32(attempt), u32(i),
    C_{i,0} … C_{i,t-1}) (§4.5)."""
    return hash32("dealing-commitment", u64(ceremony.conference_id), u32(ceremony.attempt),
                  u32(dealer), *commitments)


# -- the trustee's side --------------------------------------------------------

def commit(ceremony: Ceremony, dealer: int, coefficients: list[int],
           rng: Rng = group.os_rng) -> dict:
    """The commit message: the commitment hash, and the coefficients sealed
    to the dealer's own enrolment key (so that any device with the
    passphrase can reveal)."""
    commitments = [group.mul_base(a) for a in coefficients]
    sealed = envelope.seal(ceremony.enrolment_keys[dealer - 1],
                           b"".join(scalar_bytes(a) for a in coefficients),
                           envelope.COEFFICIENTS, ceremony.coefficient_items(dealer), rng)
    return {"commitment_hash": commitment_hash(ceremony, dealer, commitments).hex(),
            "sealed_coefficients": sealed.to_json()}


def open_coefficients(ceremony: Ceremony, dealer: int, private: bytes, sealed) -> list[int]:
    """The coefficients of a commit message, with the dealer's private key.

    :raises CannotOpen:
    """
    plain = envelope.open_sealed(private, Envelope.from_json(sealed, 32 * ceremony.threshold),
                                 envelope.COEFFICIENTS, ceremony.coefficient_items(dealer))
    try:
        return [group.decode_scalar(plain[32 * k:32 * k + 32])
                for k in range(ceremony.threshold)]
    except InvalidEncoding as exc:
        raise CannotOpen("the sealed coefficients are not scalars") from exc


def reveal(ceremony: Ceremony, dealer: int, coefficients: list[int],
           rng: Rng = group.os_rng) -> dict:
    """The reveal message: commitments and their proofs (§4.2, dealer number
    i − 1, its place in the record's list) and f_i(j) sealed to each P_j."""
    dealing = keys.dealing_of(coefficients, dealer - 1, ceremony.trustees, rng)
    shares = [envelope.seal(ceremony.enrolment_keys[j - 1], scalar_bytes(dealing.shares[j]),
                            envelope.SHARE, ceremony.share_items(dealer, j), rng).to_json()
              for j in range(1, ceremony.trustees + 1)]
    return {**dealing.to_json(), "shares": shares}


def receive(ceremony: Ceremony, recipient: int, private: bytes, reveals: dict[int, dict]) -> int:
    """Open the share every dealer sent ``recipient``, check each against its
    dealer's commitments, and return s_j = Σ_i f_i(j).

    :raises Complaint: naming the first dealer whose share fails.
    """
    total = 0
    for dealer in range(1, ceremony.trustees + 1):
        message = reveals[dealer]
        if (len(message["shares"]) != ceremony.trustees
                or len(message["commitments"]) != ceremony.threshold):
            raise Complaint(dealer, "the reveal has the wrong number of parts")
        try:
            sealed = Envelope.from_json(message["shares"][recipient - 1], 32)
            share = group.decode_scalar(envelope.open_sealed(
                private, sealed, envelope.SHARE, ceremony.share_items(dealer, recipient)))
        except (CannotOpen, InvalidEncoding, InvalidStructure) as exc:
            raise Complaint(dealer, "the share does not open") from exc
        commitments = [parse_point(c) for c in message["commitments"]]
        if group.mul_base(share) != feldman(commitments, recipient):
            raise Complaint(dealer, "the share does not match the commitments")
        total = (total + share) % L
    return total


def feldman(commitments, index: int) -> bytes:
    """Σ_k (index^k mod L)·C_k: what f(index)·B must equal."""
    return group.sum_points(group.mul(pow(index, k, L), c) for k, c in enumerate(commitments))


# -- the server's side: public checks only -------------------------------------

def check_commit(ceremony: Ceremony, message) -> dict:
    """Validate a commit message's shape (hash and sealed coefficients).

    :raises InvalidStructure:
    """
    expect_object(message, {"commitment_hash", "sealed_coefficients"}, "commit")
    digest = message["commitment_hash"]
    if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= HEX_DIGITS:
        raise InvalidStructure("commitment_hash: 32 bytes of lowercase hex")
    Envelope.from_json(message["sealed_coefficients"], 32 * ceremony.threshold)
    return message


def check_reveal(ceremony: Ceremony, dealer: int, committed: str, message) -> dict:
    """Check a reveal against the dealer's commit: t valid commitments whose
    hash is the committed one, a valid proof for each, and one well-formed
    envelope per trustee. Returns the dealer's record entry (§4.1).

    :raises InvalidStructure | InvalidEncoding | InvalidProof:
    """
    expect_object(message, {"commitments", "proofs", "shares"}, "reveal")
    entry = {"commitments": message["commitments"], "proofs": message["proofs"]}
    [(commitments, proofs)] = keys.parse_dealings([entry], ceremony.threshold)
    if commitment_hash(ceremony, dealer, commitments).hex() != committed:
        raise InvalidProof("the commitments differ from the committed hash")
    keys.verify_dealing(dealer - 1, commitments, proofs)
    for sealed in expect_list(message["shares"], "shares", ceremony.trustees):
        Envelope.from_json(sealed, 32)
    return {"commitments": [point_hex(c) for c in commitments],
            "proofs": [{"c": scalar_hex(c), "u": scalar_hex(u)} for c, u in proofs]}

