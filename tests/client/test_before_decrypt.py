"""Verify before decrypt (voting/static/src/verifier/before-decrypt.js): the
trustee's browser verifies the round's board up to its tally event and
recomputes the encrypted tally from the ballots; it refuses, naming the
failed check (PROTOCOL.md §14), a board whose tally, chain or ballots are
wrong. Boards are built with the Python reference (tests/crypto/records.py)
and the JS runs under Node (tests/client/before_decrypt.mjs)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from voting.crypto.audit import audit_body
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import tracker
from voting.crypto.drbg import TestRng
from voting.crypto.hashing import canonical_json
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import tally_to_json

from ..conftest import skip_unless
from ..crypto.conftest import agree_contest
from ..crypto.conftest import choose_contest
from ..crypto.records import build_round
from ..crypto.records import relink
from ..crypto.records import resign

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "client" / "before_decrypt.mjs"
NODE = shutil.which("node")
HAVE_PACKAGES = (ROOT / "node_modules" / "@noble" / "curves").is_dir()
needs_node = skip_unless(NODE is not None and HAVE_PACKAGES,
                         "needs `node` on PATH and the npm packages (npm ci)")

CONTESTS = [agree_contest("a"), choose_contest("c", 3, 2), choose_contest("p", 3, 1, "packed")]
CHOICES = [[[0], [0, 1], [2]], [[1], [2], [0]], [[0], [], [1]], [[], [1], [0]]]


@pytest.fixture(scope="module")
def built():
    return build_round(CONTESTS, [], CHOICES)


def upto_tally(events: list[dict]) -> list[dict]:
    cut = next(i for i, e in enumerate(events) if e["type"] == "tally")
    return copy.deepcopy(events[:cut + 1])


def ballots_of(events: list[dict]) -> list[dict]:
    return [e["body"]["ballot"] for e in events if e["type"] == "ballot"]


def board(events: list[dict], *, rechain: bool = True) -> bytes:
    events = relink(copy.deepcopy(events)) if rechain else events
    return b"".join(canonical_json(e) + b"\n" for e in events)


def run(tmp_path: Path, boards: dict[str, bytes], workers: int = 0) -> dict[str, dict]:
    paths = []
    for name, data in boards.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(data)
        paths.append(str(path))
    args = [NODE, str(DRIVER), *(["--workers", str(workers)] if workers else []), *paths]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    outs = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(outs) == len(boards), done.stdout
    return dict(zip(boards, outs, strict=True))


def tally_event(events):
    return next(e for e in events if e["type"] == "tally")


def close_event(events):
    return next(e for e in events if e["type"] == "close")


@needs_node
@pytest.mark.parametrize("workers", [0, 2])
def test_honest_board_gives_the_python_sum(tmp_path, built, workers):
    prefix = upto_tally(built.events)
    expected = tally_to_json(tally_ballots(built.election, ballots_of(prefix)))
    out = run(tmp_path, {"prefix": board(prefix), "whole": board(built.events)}, workers)
    for name in ("prefix", "whole"):  # a whole board is read up to its tally
        got = out[name]
        assert got["ok"], got
        assert got["ciphertexts"] == expected
        assert got["fingerprint"] == built.election.fingerprint.hex()
        assert got["public_key"] == built.election.public_key.hex()
        assert (got["cast"], got["ballots"], got["events"]) == (4, 4, len(prefix))
        assert got["progress"] == 1


def with_audit(events: list[dict], election, edit=None) -> list[dict]:
    """``events`` with an audit (§8.6) just before the close, its body edited."""
    body = audit_body(election, CHOICES[0], TestRng(b"before-decrypt/audit"))
    if edit:
        edit(body)
    out = copy.deepcopy(events)
    out.insert(out.index(close_event(out)), {"seq": 0, "parent": "", "type": "audit",
                                             "body": body})
    return out


@needs_node
def test_audits_are_accepted_and_not_counted(tmp_path, built):
    prefix = upto_tally(built.events)
    audited = with_audit(prefix, built.election)
    out = run(tmp_path, {"audited": board(audited)})["audited"]
    assert out["ok"], out
    assert out["ciphertexts"] == tally_to_json(tally_ballots(built.election, ballots_of(prefix)))
    assert (out["cast"], out["ballots"], out["events"]) == (4, 4, len(prefix) + 1)


def tampered(built) -> dict[str, tuple[list[dict] | bytes, int]]:
    """name -> (board, the check its refusal must name first)."""
    election = built.election
    prefix = upto_tally(built.events)
    ballots = ballots_of(prefix)
    cases = {}

    one = copy.deepcopy(prefix)  # helios-server #170: one ballot sent as "the tally"
    tally_event(one)["body"]["ciphertexts"] = tally_to_json(tally_ballots(election, ballots[:1]))
    cases["tally is one ballot"] = (one, 15)

    short = copy.deepcopy(prefix)
    tally_event(short)["body"]["ciphertexts"] = tally_to_json(
        tally_ballots(election, ballots[:-1]))
    cases["tally one ballot short"] = (short, 15)

    dropped = [e for e in copy.deepcopy(prefix) if e.get("body", {}).get("ballot") != ballots[1]]
    assert len(dropped) == len(prefix) - 1
    cases["dropped ballot, chain re-linked"] = (dropped, 14)

    covered = copy.deepcopy(dropped)  # the close and the tally agree with the drop
    close_event(covered)["body"]["bases"]["cast"] -= 1
    cases["dropped ballot, close re-counted"] = (covered, 15)

    broken = relink(copy.deepcopy(prefix))
    broken[3]["parent"] = broken[2]["parent"]
    cases["broken chain link"] = (board(broken, rechain=False), 2)

    proof = copy.deepcopy(prefix)
    event = next(e for e in proof if e["type"] == "ballot")
    u = event["body"]["ballot"]["contests"][1]["proofs"][0]["u"]
    u[0], u[1] = u[1], u[0]
    resign(built, event)
    cases["invalid selection proof"] = (proof, 12)

    stranger = copy.deepcopy(prefix)
    secret = derive_credential(bytes([77]) * 16, "round-x")  # a card never published
    ballot = encrypt_ballot(election, CHOICES[0], secret)
    at = next(i for i, e in enumerate(stranger) if e["type"] == "ballot")
    stranger[at] = {"seq": 0, "parent": "", "type": "ballot",
                    "body": {"ballot": ballot, "tracker": tracker(ballot).hex()}}
    tally_event(stranger)["body"]["ciphertexts"] = tally_to_json(
        tally_ballots(election, ballots_of(stranger)))
    cases["unpublished credential"] = (stranger, 11)

    extra = copy.deepcopy(prefix)  # a partial decryption before the tally's own place
    extra.insert(len(extra) - 1, copy.deepcopy(next(e for e in built.events
                                                    if e["type"] == "partial")))
    cases["event out of order"] = (extra, 2)

    no_tally = copy.deepcopy(prefix)[:-1]
    cases["no tally event"] = (no_tally, 2)

    # A client caught encrypting other choices than the voter's (check 19).
    cases["audit of other choices"] = (with_audit(prefix, election, lambda b: b[
        "choices"].__setitem__(0, [1])), 19)
    return cases


@needs_node
def test_tampered_boards_are_refused_naming_the_check(tmp_path, built):
    cases = tampered(built)
    out = run(tmp_path, {name.replace(" ", "-").replace(",", ""):
                         data if isinstance(data, bytes) else board(data)
                         for name, (data, _check) in cases.items()})
    for (name, (_data, check)), got in zip(cases.items(), out.values(), strict=True):
        assert not got["ok"], name
        assert got["check"] == check, (name, got)
        assert got["message"].startswith(f"Check {check} ("), (name, got)
        assert got["failed"][0] == check, (name, got)
    assert out["tally-is-one-ballot"]["message"] == \
        "Check 15 (Encrypted tally) failed: recorded tally is not the sum of the ballots"
    assert 15 in out["dropped-ballot-chain-re-linked"]["failed"]
    assert "not published" in out["unpublished-credential"]["message"]
