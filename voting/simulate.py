"""Run a complete simulated round and write its election record.

    python -m voting.simulate --ballots 1000 --units 30 --trustees 5 \\
        --threshold 3 --out record.zip

The trustees' distributed key generation (every trustee deals, §4.5),
cards, N random ballots over U per-unit agree/disagree contests and one
choose-1 contest over the same units, the homomorphic tally, t partial
decryptions and the result: every step the trustees and the server take on
conference day, with the same crypto core and record format.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from dataclasses import field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from .crypto import dkg
from .crypto import envelope
from .crypto import keys
from .crypto.audit import audit_body
from .crypto.ballot import derive_credential
from .crypto.ballot import encrypt_ballot
from .crypto.ballot import public_credential
from .crypto.ballot import tracker
from .crypto.board import Chain
from .crypto.codec import point_hex
from .crypto.election import DISTRIBUTED
from .crypto.election import Election
from .crypto.election import election_object
from .crypto.election import parse_election
from .crypto.group import os_rng
from .crypto.record import write_record
from .crypto.tally import ciphertext_blob
from .crypto.tally import partial_decrypt
from .crypto.tally import result_body
from .crypto.tally import sum_tallies
from .crypto.tally import tally_blobs
from .crypto.tally import tally_to_json

ROUND_ID = "sim-round-1"
FIXED_TIME = "2026-01-15T09:00Z"
#: The election's ``ballot_client``: a simulation encrypts in Python and
#: serves no browser code, so it names this fixed string's hash instead.
SIMULATED_CLIENT = hashlib.sha256(b"python -m voting.simulate").hexdigest()


def per_unit_contest(unit: int) -> dict:
    return {"id": f"unit-{unit:03d}", "title": f"Đơn vị {unit}",
            "options": [{"id": "agree", "title": "Đồng ý"},
                        {"id": "disagree", "title": "Không đồng ý"}],
            "min": 0, "max": 1, "encoding": "packed"}


def simulation_manifest(units: int, flag: bool = True) -> dict:
    """U per-unit agree/disagree contests and, with ``flag``, a choose-1
    contest over the same units."""
    contests = [per_unit_contest(u) for u in range(1, units + 1)]
    rules = [{"contests": [c["id"] for c in contests], "option": "agree", "comparator": ">",
              "fraction": [1, 2], "base": "present", "quota": None, "ties": "runoff"}]
    if flag:
        contests.append({"id": "flag", "title": "Suy tôn Cờ thi đua",
                         "options": [{"id": f"unit-{u:03d}", "title": f"Đơn vị {u}"}
                                     for u in range(1, units + 1)],
                         "min": 0, "max": 1, "encoding": "options"})
        rules.append({"contests": ["flag"], "option": None, "comparator": ">",
                      "fraction": [1, 2], "base": "cast", "quota": 1, "ties": "runoff"})
    return {"version": 1, "conference": "Simulated conference", "round": ROUND_ID,
            "title": "Simulated round", "contests": contests, "rules": rules}


@dataclass
class Simulation:
    """Everything a simulated round produced, kept for tests and benches."""

    election: Election
    server_key: Ed25519PrivateKey
    shares: dict[int, int]
    secrets: list[int]
    chain: Chain
    timings: dict[str, float] = field(default_factory=dict)


def distributed_key_generation(trustees: int, threshold: int,
                               rng=os_rng) -> tuple[list[dict], dict[int, int]]:
    """The trustees' key generation of PROTOCOL §4.5, each trustee's side
    as its browser computes it and the server's checks between the phases:
    returns the record's dealer entries and each trustee's share s_i."""
    private = {i: rng(32) for i in range(1, trustees + 1)}
    frame = dkg.Ceremony(1, 1, threshold,
                         tuple(envelope.public_key(private[i]) for i in range(1, trustees + 1)))
    commits = {i: dkg.commit(frame, i, keys.draw_coefficients(threshold, rng), rng)
               for i in private}
    for message in commits.values():
        dkg.check_commit(frame, message)
    reveals = {}
    for i, message in commits.items():
        coefficients = dkg.open_coefficients(frame, i, private[i], message["sealed_coefficients"])
        reveals[i] = dkg.reveal(frame, i, coefficients, rng)
    dealers = [dkg.check_reveal(frame, i, commits[i]["commitment_hash"], reveals[i])
               for i in sorted(reveals)]
    return dealers, {i: dkg.receive(frame, i, private[i], reveals) for i in private}


def set_up(*, voters: int, units: int, trustees: int, threshold: int,
           flag: bool = True) -> Simulation:
    """Generate the key (every trustee deals), make cards and freeze the
    election (the ``setup`` event)."""
    server_key = Ed25519PrivateKey.generate()
    started = time.perf_counter()
    dealers, shares = distributed_key_generation(trustees, threshold)
    key_seconds = time.perf_counter() - started
    secrets = [derive_credential(os_rng(16), ROUND_ID) for _ in range(voters)]
    election_obj = election_object(
        simulation_manifest(units, flag), DISTRIBUTED, threshold, dealers,
        [f"Trustee {i}" for i in range(1, trustees + 1)],
        [point_hex(public_credential(x)) for x in secrets],
        server_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex(),
        SIMULATED_CLIENT)
    election = parse_election(election_obj)
    chain = Chain()
    chain.append("setup", {"election": election_obj, "fingerprint": election.fingerprint.hex()})
    chain.append("open", {"at": FIXED_TIME})
    return Simulation(election, server_key, shares, secrets, chain,
                      {"key generation": key_seconds})


def random_choices(election: Election, rnd: random.Random) -> list[list[int]]:
    """Agree 70 %, disagree 20 %, blank 10 %; the flag goes to a favourite."""
    choices = []
    for contest in election.manifest.contests:
        if contest.encoding == "packed":
            x = rnd.random()
            choices.append([0] if x < 0.7 else [1] if x < 0.9 else [])
        else:
            n = len(contest.options)
            choices.append([] if rnd.random() < 0.05 else [min(int(rnd.expovariate(1.0)), n - 1)])
    return choices


_WORKER: dict = {}


def _init_worker(election_obj: dict) -> None:
    _WORKER["election"] = parse_election(election_obj)


def _make_ballot(args: tuple[int, int]) -> tuple[dict, bytes]:
    secret, seed = args
    election = _WORKER["election"]
    ballot = encrypt_ballot(election, random_choices(election, random.Random(seed)), secret)
    return ballot, ciphertext_blob(ballot)


def _tally_part(blobs: list[bytes]):
    return tally_blobs(_WORKER["election"], blobs)


def cast_ballots(sim: Simulation, count: int, workers: int, seed: int) -> list[bytes]:
    """Encrypt ``count`` random ballots in ``workers`` processes and put
    them on the board; returns their ciphertext blobs, as the server keeps."""
    if len(sim.secrets) > count:  # a lost spare card, revoked before anyone votes
        spare = point_hex(public_credential(sim.secrets[-1]))
        sim.chain.append("revoke", {"credential": spare})
    jobs = [(sim.secrets[k], seed * 1_000_003 + k) for k in range(count)]
    with ProcessPoolExecutor(workers, initializer=_init_worker,
                             initargs=(sim.election.raw,)) as pool:
        made = list(pool.map(_make_ballot, jobs, chunksize=8))
    for ballot, _ in made:
        sim.chain.append("ballot", {"ballot": ballot, "tracker": tracker(ballot).hex()})
    return [blob for _, blob in made]


def close_and_tally(sim: Simulation, ballots: list[bytes], workers: int) -> None:
    """Close, tally homomorphically, decrypt with t trustees, publish the result."""
    election = sim.election
    n = len(ballots)
    bases = {"members": n + n // 5 + 1, "present": n + n // 10 + 1,
             "issued": n + n // 20 + 1, "cast": n}
    sim.chain.append("close", {"at": FIXED_TIME, "bases": bases})
    if workers > 1 and n >= 2 * workers:
        size = -(-n // workers)
        with ProcessPoolExecutor(workers, initializer=_init_worker,
                                 initargs=(election.raw,)) as pool:
            tally = sum_tallies(pool.map(_tally_part, [ballots[i:i + size]
                                                       for i in range(0, n, size)]))
    else:
        tally = tally_blobs(election, ballots)
    sim.chain.append("tally", {"ciphertexts": tally_to_json(tally)})
    partials = []
    if n:
        for index in range(1, election.threshold + 1):
            partial = partial_decrypt(election, tally, index, sim.shares[index])
            sim.chain.append("partial", partial)
            partials.append(partial)
    sim.chain.append("result", result_body(election, tally, partials, bases))


def challenge(sim: Simulation, audits: int, seed: int) -> None:
    """Post ``audits`` challenged encryptions (PROTOCOL §8.6) on the board:
    random choices, encrypted with their randomness revealed."""
    rnd = random.Random(seed + 1)
    for _ in range(audits):
        sim.chain.append("audit", audit_body(sim.election, random_choices(sim.election, rnd)))


def simulate(*, ballots: int, units: int, trustees: int, threshold: int, out,
             workers: int = 2, seed: int = 1, flag: bool = True, audits: int = 0) -> Simulation:
    """Run a whole round and write its record to ``out``; ``audits``
    challenged encryptions are posted after the ballots, before the close."""
    if ballots < 0 or units < 1 or audits < 0:
        raise ValueError("need ballots >= 0, audits >= 0 and units >= 1")
    t0 = time.perf_counter()
    sim = set_up(voters=max(ballots + ballots // 10, ballots + 1), units=units,
                 trustees=trustees, threshold=threshold, flag=flag)
    t1 = time.perf_counter()
    cast = cast_ballots(sim, ballots, workers, seed)
    challenge(sim, audits, seed)
    t2 = time.perf_counter()
    close_and_tally(sim, cast, workers)
    write_record(out, sim.chain.lines, sim.server_key)
    t3 = time.perf_counter()
    sim.timings |= {"setup": t1 - t0, "ballots": t2 - t1, "tally_decrypt_record": t3 - t2}
    return sim


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voting.simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ballots", type=int, required=True)
    parser.add_argument("--units", type=int, required=True)
    parser.add_argument("--trustees", type=int, default=5)
    parser.add_argument("--threshold", type=int, default=3)
    parser.add_argument("--out", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--audits", type=int, default=0,
                        help="challenged encryptions to put on the board (PROTOCOL §8.6)")
    parser.add_argument("--no-flag", dest="flag", action="store_false",
                        help="only the per-unit contests, without the choose-1 contest")
    args = parser.parse_args(argv)
    try:
        sim = simulate(ballots=args.ballots, units=args.units, trustees=args.trustees,
                       threshold=args.threshold, out=args.out, workers=args.workers,
                       seed=args.seed, flag=args.flag, audits=args.audits)
    except ValueError as exc:
        parser.error(str(exc))
    t = sim.timings
    digest = hashlib.sha256(open(args.out, "rb").read()).hexdigest()[:16]
    print(f"wrote {args.out}: {args.ballots} ballots, {args.audits} audits, "
          f"{len(sim.chain.events)} events "
          f"(sha256 {digest}…); key generation {t['key generation']:.2f} s, "
          f"set-up {t['setup']:.2f} s, ballots {t['ballots']:.2f} s, "
          f"tally+decryption+record {t['tally_decrypt_record']:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
