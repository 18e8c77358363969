"""Building signed records for verifier tests: from a simulation, from any
manifest, and from raw board lines (for lines that are not canonical).

Every record written here is signed with the election's server key, so a
verdict never rests on check 3 alone."""

from __future__ import annotations

import copy
import json
import zipfile
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from voting.crypto import keys
from voting.crypto.ballot import ballot_hash
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.ballot import tracker
from voting.crypto.board import Chain
from voting.crypto.board import event_hash
from voting.crypto.board import GENESIS
from voting.crypto.codec import point_hex
from voting.crypto.codec import scalar_hex
from voting.crypto.election import election_object
from voting.crypto.election import parse_election
from voting.crypto.hashing import canonical_json
from voting.crypto.hashing import hash32
from voting.crypto.proofs import schnorr_sign
from voting.crypto.record import sign_record
from voting.crypto.record import write_record
from voting.crypto.tally import partial_decrypt
from voting.crypto.tally import result_body
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import tally_to_json
from voting.crypto.verifier import verify_record

AT = "2026-01-15T09:00Z"
#: The ballot_client of every record built here (§5.3): no bundle is served.
BALLOT_CLIENT = "c1" * 32


@dataclass
class Built:
    """A round built in memory: its events, keys and voters' secrets."""

    events: list[dict]
    election: object
    server_key: Ed25519PrivateKey
    secrets: list[int]
    shares: dict[int, int]


def build_round(contests: list[dict], rules: list[dict], choices: list[list[list[int]]],
                *, voters: int | None = None, bases: dict | None = None,
                threshold: int = 2, trustees: int = 3) -> Built:
    """A whole honest round over ``contests`` and ``rules``: one ballot per
    entry of ``choices`` (each a choice list per contest)."""
    voters = voters if voters is not None else len(choices) + 1
    server_key = Ed25519PrivateKey.generate()
    dealing = keys.deal(threshold, trustees)
    secrets = [derive_credential(bytes([i + 1]) * 16, "round-x") for i in range(voters)]
    manifest = {"version": 1, "conference": "Hội nghị", "round": "round-x", "title": "Vòng",
                "contests": contests, "rules": rules}
    obj = election_object(manifest, "dealer", threshold, [dealing.to_json()],
                          [f"T{i}" for i in range(1, trustees + 1)],
                          [point_hex(public_credential(x)) for x in secrets],
                          server_key.public_key().public_bytes(Encoding.Raw,
                                                               PublicFormat.Raw).hex(),
                          BALLOT_CLIENT)
    election = parse_election(obj)
    chain = Chain()
    chain.append("setup", {"election": obj, "fingerprint": election.fingerprint.hex()})
    chain.append("open", {"at": AT})
    ballots = [encrypt_ballot(election, c, secrets[k]) for k, c in enumerate(choices)]
    for b in ballots:
        chain.append("ballot", {"ballot": b, "tracker": tracker(b).hex()})
    n = len(ballots)
    bases = bases or {"members": n + 2, "present": n + 1, "issued": n, "cast": n}
    chain.append("close", {"at": AT, "bases": bases})
    tally = tally_ballots(election, ballots)
    chain.append("tally", {"ciphertexts": tally_to_json(tally)})
    partials = [partial_decrypt(election, tally, i, dealing.shares[i])
                for i in range(1, threshold + 1)] if n else []
    for p in partials:
        chain.append("partial", p)
    chain.append("result", result_body(election, tally, partials, bases))
    return Built(chain.events, election, server_key, secrets, dealing.shares)


def relink(events: list[dict]) -> list[dict]:
    head = GENESIS
    for seq, event in enumerate(events):
        event["seq"], event["parent"] = seq, head.hex()
        head = event_hash(event)
    return events


def signed(tmp_path, events: list[dict], key: Ed25519PrivateKey, *, rechain: bool = True,
           name: str = "t.zip"):
    """Write ``events`` as a record signed with ``key``; return its path."""
    path = tmp_path / name
    events = relink(copy.deepcopy(events)) if rechain else events
    write_record(path, map(canonical_json, events), key)
    return path


def verify(tmp_path, events, key, **kw):
    return verify_record(signed(tmp_path, events, key, **kw), workers=1)


def signed_lines(tmp_path, lines: list[bytes], key: Ed25519PrivateKey, *,
                 name: str = "raw.zip", newline: bool = True):
    """Write raw board lines (each without its newline), signed over the
    hash of the last line as it stands: the chain links are the caller's."""
    path = tmp_path / name
    head = hash32("event", lines[-1])
    try:
        fp = parse_election(json.loads(lines[0])["body"]["election"]).fingerprint
    except (ValueError, KeyError):  # a setup line that is not even readable
        fp = bytes(32)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("board.jsonl", b"\n".join(lines) + (b"\n" if newline else b""))
        zf.writestr("signature.json", canonical_json(sign_record(key, fp, head, len(lines))))
    return path


def relink_lines(lines: list[bytes], start: int) -> list[bytes]:
    """Re-link every line after ``start`` to the raw hash of its predecessor
    (the line at ``start`` is kept byte for byte)."""
    out = list(lines)
    for i in range(start + 1, len(out)):
        event = json.loads(out[i])
        event["parent"] = hash32("event", out[i - 1]).hex()
        out[i] = canonical_json(event)
    return out


def first(events, kind):
    return next(e for e in events if e["type"] == kind)


def resign(built_or_sim, event) -> None:
    """Re-sign a ballot with its voter's credential and refresh its tracker,
    as a voter colluding with the attacker could."""
    secrets = {point_hex(public_credential(x)): x for x in built_or_sim.secrets}
    ballot = event["body"]["ballot"]
    election = built_or_sim.election
    c, u = schnorr_sign(secrets[ballot["credential"]], "signature",
                        (election.fingerprint, ballot_hash(ballot)), lambda n: bytes([9]) * n)
    ballot["signature"] = {"c": scalar_hex(c), "u": scalar_hex(u)}
    event["body"]["tracker"] = tracker(ballot).hex()


def failing(report) -> set[int]:
    """The numbers of the checks that failed."""
    return {n for n in report.failures if not report.passed(n)}
