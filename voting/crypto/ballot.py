"""Credentials, ballot encryption, ballot verification and trackers
(PROTOCOL.md §6, §8).

A ballot holds, per contest, its ciphertexts and proofs, and is signed with
the round credential. Every proof's challenge binds the fingerprint, the
joint key, the credential and the proof's position, so neither a proof nor
a whole ballot can be moved to another credential, contest or round.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import group
from .codec import expect_list
from .codec import expect_object
from .codec import hex_bytes32
from .codec import parse_point
from .codec import parse_scalar
from .codec import point_hex
from .codec import scalar_hex
from .election import Election
from .elgamal import Ciphertext
from .elgamal import encrypt
from .errors import InvalidStructure
from .errors import WrongElection
from .group import L
from .group import Rng
from .hashing import canonical_json
from .hashing import hash32
from .hashing import hash_scalar
from .hashing import u32
from .manifest import Contest
from .proofs import CompactProof
from .proofs import prove_membership
from .proofs import schnorr_sign
from .proofs import schnorr_verify
from .proofs import verify_membership

TOKEN_BYTES = 16
BALLOT_KEYS = {"version", "round", "fingerprint", "credential", "contests", "signature"}


def derive_credential(token: bytes, round_id: str) -> int:
    """x = Hs("credential", token, round id): the card's secret for one round (§8.1)."""
    if len(token) != TOKEN_BYTES:
        raise ValueError("a card token is 16 bytes")
    x = hash_scalar("credential", token, round_id.encode())
    if x == 0:  # probability 2^-252; such a token is never issued
        raise ValueError("unusable token")
    return x


def public_credential(secret: int) -> bytes:
    return group.mul_base(secret)


@dataclass(frozen=True)
class ContestBallot:
    ciphertexts: tuple[Ciphertext, ...]
    proofs: tuple[CompactProof, ...]
    range_proof: CompactProof | None


@dataclass(frozen=True)
class Ballot:
    raw: dict
    credential: bytes
    contests: tuple[ContestBallot, ...]
    signature: tuple[int, int]


def _context(election: Election, credential: bytes, contest: int, slot: int):
    return (election.fingerprint, election.public_key, credential, u32(contest), u32(slot))


def _range_values(contest: Contest) -> list[int]:
    return list(range(contest.min, contest.max + 1))


def ballot_hash(ballot_obj: dict) -> bytes:
    """H32("ballot", canonical JSON of the ballot without its signature)."""
    unsigned = {k: v for k, v in ballot_obj.items() if k != "signature"}
    return hash32("ballot", canonical_json(unsigned))


def tracker(ballot_obj: dict) -> bytes:
    """H32("tracker", canonical JSON of the whole ballot) (§8.4)."""
    return hash32("tracker", canonical_json(ballot_obj))


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def short_tracker(full: bytes) -> str:
    """The first 40 bits of a tracker in Crockford base 32, as XXXX-XXXX (§8.4)."""
    bits = int.from_bytes(full[:5], "big")
    chars = "".join(CROCKFORD[(bits >> (35 - 5 * i)) & 31] for i in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def encrypt_ballot(election: Election, choices: list[list[int]], secret: int,
                   rng: Rng = group.os_rng) -> dict:
    """Encrypt, prove and sign a ballot; ``choices[i]`` lists the selected
    option indices of contest i. Returns the ballot's JSON object.

    :raises ValueError: if a choice is not allowed by its contest.
    """
    contests = election.manifest.contests
    if not 0 < secret < L:
        raise ValueError("a credential secret is a non-zero scalar")
    if len(choices) != len(contests):
        raise ValueError("one choice list per contest")
    credential = public_credential(secret)
    body = [_encrypt_contest(election, credential, i, contest, choice, rng)
            for i, (contest, choice) in enumerate(zip(contests, choices, strict=True))]
    ballot = {
        "version": 1,
        "round": election.manifest.round_id,
        "fingerprint": election.fingerprint.hex(),
        "credential": point_hex(credential),
        "contests": body,
    }
    c, u = schnorr_sign(secret, "signature", (election.fingerprint, ballot_hash(ballot)), rng)
    ballot["signature"] = {"c": scalar_hex(c), "u": scalar_hex(u)}
    return ballot


def _encrypt_contest(election, credential, i, contest: Contest, choice, rng) -> dict:
    chosen = sorted(set(choice))
    if (len(chosen) != len(choice) or not contest.min <= len(chosen) <= contest.max
            or any(not 0 <= j < len(contest.options) for j in chosen)):
        raise ValueError(f"choice not allowed in contest {contest.id}")
    key = election.public_key
    if contest.encoding == "packed":
        m = sum(election.radix**j for j in chosen)
        r = group.random_scalar(rng)
        ct = encrypt(m, r, key)
        proof = prove_membership(ct, r, m, contest.packed_values(election.radix), key,
                                 _context(election, credential, i, 0), rng)
        return {"ciphertexts": [ct.to_json()], "proofs": [proof.to_json()], "range_proof": None}
    cts, proofs, total_r = [], [], 0
    for j in range(len(contest.options)):
        m = int(j in chosen)
        r = group.random_scalar(rng)
        ct = encrypt(m, r, key)
        proof = prove_membership(ct, r, m, [0, 1], key, _context(election, credential, i, j), rng)
        cts.append(ct)
        proofs.append(proof.to_json())
        total_r += r
    total = _sum(cts)
    range_proof = prove_membership(total, total_r % L, len(chosen), _range_values(contest), key,
                                   _context(election, credential, i, len(cts)), rng)
    return {"ciphertexts": [ct.to_json() for ct in cts], "proofs": proofs,
            "range_proof": range_proof.to_json()}


def _sum(cts) -> Ciphertext:
    total = cts[0]
    for ct in cts[1:]:
        total = total + ct
    return total


def parse_ballot(election: Election, obj) -> Ballot:
    """Check a ballot's shape, round and fingerprint, and decode its values.

    :raises InvalidStructure: missing, extra or mistyped fields.
    :raises InvalidEncoding: a point or scalar is not canonical and valid.
    :raises WrongElection: another round or fingerprint.
    """
    expect_object(obj, BALLOT_KEYS, "ballot")
    if type(obj["version"]) is not int or obj["version"] != 1:
        raise InvalidStructure("ballot: unsupported version")
    if obj["round"] != election.manifest.round_id:
        raise WrongElection("ballot is for another round")
    if hex_bytes32(obj["fingerprint"]) != election.fingerprint:
        raise WrongElection("ballot carries another election fingerprint")
    credential = parse_point(obj["credential"])
    manifest_contests = election.manifest.contests
    items = expect_list(obj["contests"], "ballot.contests", len(manifest_contests))
    pairs = enumerate(zip(items, manifest_contests, strict=True))
    contests = tuple(_parse_contest(item, contest, i) for i, (item, contest) in pairs)
    expect_object(obj["signature"], {"c", "u"}, "ballot.signature")
    signature = (parse_scalar(obj["signature"]["c"]), parse_scalar(obj["signature"]["u"]))
    return Ballot(obj, credential, contests, signature)


def read_ciphertexts(election: Election, obj) -> list[list[Ciphertext]]:
    """A ballot's ciphertexts alone, one list per contest, read as strictly
    as :func:`parse_ballot` reads them but regardless of its other fields:
    the verifier sums and compares them even when the rest is malformed.

    :raises CryptoError: they do not have the manifest's shape or a point
        is not valid.
    """
    if not isinstance(obj, dict):
        raise InvalidStructure("ballot: expected an object")
    contests = election.manifest.contests
    items = expect_list(obj.get("contests"), "ballot.contests", len(contests))
    return [list(_read_contest_ciphertexts(item, contest, f"ballot contest {i}"))
            for i, (item, contest) in enumerate(zip(items, contests, strict=True))]


def _read_contest_ciphertexts(obj, contest: Contest, what: str) -> tuple[Ciphertext, ...]:
    if not isinstance(obj, dict):
        raise InvalidStructure(f"{what}: expected an object")
    items = expect_list(obj.get("ciphertexts"), f"{what}.ciphertexts", contest.tally_entries())
    return tuple(Ciphertext.from_json(ct, what) for ct in items)


def _parse_contest(obj, contest: Contest, i: int) -> ContestBallot:
    what = f"ballot contest {i}"
    expect_object(obj, {"ciphertexts", "proofs", "range_proof"}, what)
    n = contest.tally_entries()
    cts = _read_contest_ciphertexts(obj, contest, what)
    if contest.encoding == "packed":
        branches = len(contest.selection_sets())
        proofs = tuple(CompactProof.from_json(p, branches, what)
                       for p in expect_list(obj["proofs"], f"{what}.proofs", 1))
        if obj["range_proof"] is not None:
            raise InvalidStructure(f"{what}: a packed contest has no range proof")
        return ContestBallot(cts, proofs, None)
    proofs = tuple(CompactProof.from_json(p, 2, what)
                   for p in expect_list(obj["proofs"], f"{what}.proofs", n))
    range_proof = CompactProof.from_json(obj["range_proof"], contest.max - contest.min + 1, what)
    return ContestBallot(cts, proofs, range_proof)


def verify_signature(election: Election, ballot: Ballot) -> None:
    """Check the Schnorr signature under the ballot's credential (§8.3)."""
    c, u = ballot.signature
    schnorr_verify(ballot.credential, "signature",
                   (election.fingerprint, ballot_hash(ballot.raw)), c, u)


def verify_selection_proofs(election: Election, ballot: Ballot) -> None:
    """Check every selection proof and packed-contest proof (§7.1)."""
    key = election.public_key
    for i, (contest, cb) in enumerate(zip(election.manifest.contests, ballot.contests,
                                          strict=True)):
        if contest.encoding == "packed":
            values = contest.packed_values(election.radix)
            verify_membership(cb.ciphertexts[0], cb.proofs[0], values, key,
                              _context(election, ballot.credential, i, 0))
            continue
        for j, (ct, proof) in enumerate(zip(cb.ciphertexts, cb.proofs, strict=True)):
            verify_membership(ct, proof, [0, 1], key, _context(election, ballot.credential, i, j))


def verify_range_proofs(election: Election, ballot: Ballot) -> None:
    """Check each options-encoded contest's range proof on its sum (§7.1)."""
    for i, (contest, cb) in enumerate(zip(election.manifest.contests, ballot.contests,
                                          strict=True)):
        if contest.encoding == "packed":
            continue
        verify_membership(_sum(cb.ciphertexts), cb.range_proof, _range_values(contest),
                          election.public_key,
                          _context(election, ballot.credential, i, len(cb.ciphertexts)))


def verify_ballot(election: Election, obj) -> Ballot:
    """Everything the board checks before accepting a ballot, except
    eligibility (published, unused, unrevoked credential), which needs the
    board's state.

    :raises CryptoError: the first problem found.
    """
    ballot = parse_ballot(election, obj)
    verify_signature(election, ballot)
    verify_selection_proofs(election, ballot)
    verify_range_proofs(election, ballot)
    return ballot

