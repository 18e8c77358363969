"""Cast or challenge: a ballot's encryption revealed as an audit (PROTOCOL.md
§8.6, check 19).

The phone encrypts the voter's choices and shows the *encryption code*, a
hash of the ciphertexts alone. If the voter challenges instead of casting,
the phone publishes the ciphertexts with their randomness and the choices;
anyone re-encrypts and compares. The audit carries no credential, signature
or proof, so it cannot be linked to the ballot the same card casts next.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import group
from .ballot import short_tracker
from .codec import expect_list
from .codec import expect_object
from .codec import expect_str
from .codec import parse_scalar
from .codec import scalar_hex
from .election import Election
from .elgamal import Ciphertext
from .elgamal import encrypt
from .errors import InvalidProof
from .errors import InvalidStructure
from .errors import WrongElection
from .group import Rng
from .hashing import canonical_json
from .hashing import hash32
from .manifest import Contest

AUDIT_KEYS = {"round", "fingerprint", "ciphertexts", "randomness", "choices"}


def encryption_code(ciphertexts: list[list[dict]]) -> bytes:
    """E = H32("encryption", canonical JSON of the contests' ciphertext lists)."""
    return hash32("encryption", canonical_json(ciphertexts))


def short_code(ciphertexts: list[list[dict]]) -> str:
    """The encryption code as people compare it (§8.4's short form)."""
    return short_tracker(encryption_code(ciphertexts))


def plaintexts(election: Election, contest: Contest, chosen: list[int]) -> list[int]:
    """What each of a contest's ciphertexts encrypts (§6.2, §6.3)."""
    if contest.encoding == "packed":
        return [sum(election.radix**j for j in chosen)]
    return [int(j in chosen) for j in range(len(contest.options))]


def check_choice(contest: Contest, chosen) -> list[int]:
    """Ascending distinct option indices, as many as the contest allows.

    :raises InvalidStructure:
    """
    items = expect_list(chosen, f"choices of {contest.id}")
    if (any(type(j) is not int for j in items) or items != sorted(set(items))
            or any(not 0 <= j < len(contest.options) for j in items)
            or not contest.min <= len(items) <= contest.max):
        raise InvalidStructure(f"contest {contest.id}: not an allowed choice")
    return items


def audit_body(election: Election, choices: list[list[int]], rng: Rng = group.os_rng) -> dict:
    """Encrypt ``choices`` and reveal the randomness: an audit (§8.6), as a
    challenged phone posts it (for simulations and tests)."""
    cts, rs = [], []
    for contest, chosen in zip(election.manifest.contests, choices, strict=True):
        chosen = check_choice(contest, sorted(chosen))
        row_r = [group.random_scalar(rng) for _ in range(contest.tally_entries())]
        row = [encrypt(m, r, election.public_key)
               for m, r in zip(plaintexts(election, contest, chosen), row_r, strict=True)]
        cts.append([ct.to_json() for ct in row])
        rs.append([scalar_hex(r) for r in row_r])
    return {"round": election.manifest.round_id, "fingerprint": election.fingerprint.hex(),
            "ciphertexts": cts, "randomness": rs,
            "choices": [sorted(c) for c in choices]}


@dataclass(frozen=True)
class Audit:
    """A verified audit: the revealed choices, and the encryption code."""

    choices: tuple[tuple[int, ...], ...]
    code: bytes


def verify_audit(election: Election, body) -> Audit:
    """Check 19 for one audit body: shapes, valid points and scalars, allowed
    choices, and the re-encryption reproducing every ciphertext.

    :raises WrongElection: another round or fingerprint.
    :raises InvalidStructure | InvalidEncoding: malformed.
    :raises InvalidProof: a ciphertext that the revealed values do not make.
    """
    expect_object(body, AUDIT_KEYS, "audit")
    if (expect_str(body["round"], "round", 200) != election.manifest.round_id
            or body["fingerprint"] != election.fingerprint.hex()):
        raise WrongElection("the audit names another round or fingerprint")
    contests = election.manifest.contests
    rows = expect_list(body["ciphertexts"], "ciphertexts", len(contests))
    r_rows = expect_list(body["randomness"], "randomness", len(contests))
    c_rows = expect_list(body["choices"], "choices", len(contests))
    chosen_all = []
    for i, (contest, row, r_row, chosen) in enumerate(zip(contests, rows, r_rows, c_rows,
                                                           strict=True)):
        n = contest.tally_entries()
        cts = [Ciphertext.from_json(ct, f"contest {i} ciphertext")
               for ct in expect_list(row, f"contest {i} ciphertexts", n)]
        rs = [parse_scalar(r) for r in expect_list(r_row, f"contest {i} randomness", n)]
        if any(r == 0 for r in rs):
            raise InvalidStructure(f"contest {i}: randomness must be non-zero")
        chosen = check_choice(contest, chosen)
        for j, (ct, m, r) in enumerate(zip(cts, plaintexts(election, contest, chosen), rs,
                                           strict=True)):
            if encrypt(m, r, election.public_key) != ct:
                raise InvalidProof(f"contest {contest.id}, ciphertext {j}: the revealed "
                                   "choice and randomness do not make this ciphertext")
        chosen_all.append(tuple(chosen))
    return Audit(tuple(chosen_all), encryption_code(rows))
