"""The browser ballot client against the Python reference (PROTOCOL.md §12).

(a) The committed vectors are exactly what the reference produces now, so
    a change on the Python side cannot drift silently from the client.
(b) The bundled client reproduces every vector (``node --test``).
(c) Ballots the bundled client makes with real randomness verify in Python,
    and stop verifying once a ciphertext or a proof value is altered.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from voting.crypto.ballot import ballot_hash
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import public_credential
from voting.crypto.ballot import tracker
from voting.crypto.ballot import verify_ballot
from voting.crypto.codec import point_hex
from voting.crypto.codec import scalar_hex
from voting.crypto.election import parse_election
from voting.crypto.errors import CryptoError
from voting.crypto.errors import InvalidProof
from voting.crypto.group import L
from voting.crypto.group import os_rng
from voting.crypto.proofs import schnorr_sign

from ..conftest import IN_CI
from ..conftest import skip_unless
from .make_vectors import make_vectors
from .make_vectors import random_election
from .make_vectors import render
from .make_vectors import ROUND_ID
from .make_vectors import VECTORS_PATH

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "voting" / "static" / "dist" / "ballot.js"
NODE = shutil.which("node")

needs_node = skip_unless(
    NODE is not None and BUNDLE.is_file(),
    "needs `node` on PATH and the bundle voting/static/dist/ballot.js (npm run build)",
)

#: One voter per line: choices over the vectors' manifest (3 packed
#: agree/disagree contests, choose-1 of 4, choose up to 2 of 5).
CHOICES = [
    [[0], [0], [0], [0], [0, 1]],
    [[1], [], [0], [3], []],
    [[], [1], [1], [2], [4]],
    [[0], [1], [], [1], [3, 2]],
]


def test_committed_vectors_match_the_reference():
    committed = VECTORS_PATH.read_text(encoding="utf-8")
    assert render(make_vectors()) == committed, (
        "tests/client/vectors.json is stale: run .venv/bin/python tests/client/make_vectors.py "
        "and make the client match the new vectors")


@needs_node
def test_bundled_client_reproduces_the_vectors():
    proc = subprocess.run([NODE, "--test", str(ROOT / "tests" / "client" / "vectors.test.mjs")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (
        f"node --test failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    assert "# fail 0" in proc.stdout


@pytest.fixture(scope="module")
def js_ballots():
    """(election, tokens, ballots made by the bundled client with OS randomness)."""
    if (NODE is None or not BUNDLE.is_file()) and not IN_CI:
        pytest.skip("needs `node` on PATH and the bundle voting/static/dist/ballot.js")
    # One more card than ballots: a published credential that never votes.
    obj, tokens, _ = random_election(len(CHOICES) + 1)
    voters = [{"token": t.hex(), "choices": c}
              for t, c in zip(tokens[:len(CHOICES)], CHOICES, strict=True)]
    request = {"election": obj, "voters": voters}
    proc = subprocess.run([NODE, str(ROOT / "tests" / "client" / "make_ballots.mjs")],
                          input=json.dumps(request, ensure_ascii=False), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ballots = json.loads(proc.stdout)["ballots"]
    assert len(ballots) == len(CHOICES)
    return parse_election(obj), tokens, ballots


@needs_node
def test_js_ballots_verify_in_python(js_ballots):
    election, tokens, ballots = js_ballots
    for token, made in zip(tokens[:len(ballots)], ballots, strict=True):
        credential = public_credential(derive_credential(token, ROUND_ID))
        assert made["credential"] == point_hex(credential)
        assert credential in election.credentials
        parsed = verify_ballot(election, made["ballot"])
        assert parsed.credential == credential
        assert made["tracker"] == tracker(made["ballot"]).hex()
    # Real randomness: no two ciphertexts anywhere share a point.
    alphas = [ct["alpha"] for made in ballots for contest in made["ballot"]["contests"]
              for ct in contest["ciphertexts"]]
    assert len(alphas) == len(set(alphas))


def _resign(election, ballot: dict, token: bytes) -> None:
    """Sign an altered ballot again, so that only its proofs can catch the change."""
    secret = derive_credential(token, ROUND_ID)
    c, u = schnorr_sign(secret, "signature", (election.fingerprint, ballot_hash(ballot)), os_rng)
    ballot["signature"] = {"c": scalar_hex(c), "u": scalar_hex(u)}


def _bump(value: str) -> str:
    """Another canonical scalar: value + 1 mod L."""
    return scalar_hex((int.from_bytes(bytes.fromhex(value), "little") + 1) % L)


ALTERATIONS = {
    # A valid point from another contest, so only the proof can object.
    "packed ciphertext alpha": lambda b: b["contests"][0]["ciphertexts"][0].__setitem__(
        "alpha", b["contests"][1]["ciphertexts"][0]["alpha"]),
    "options ciphertext beta": lambda b: b["contests"][4]["ciphertexts"][2].__setitem__(
        "beta", b["contests"][4]["ciphertexts"][3]["beta"]),
    "packed proof challenge": lambda b: b["contests"][2]["proofs"][0]["c"].__setitem__(
        1, _bump(b["contests"][2]["proofs"][0]["c"][1])),
    "selection proof response": lambda b: b["contests"][3]["proofs"][1]["u"].__setitem__(
        0, _bump(b["contests"][3]["proofs"][1]["u"][0])),
    "range proof response": lambda b: b["contests"][4]["range_proof"]["u"].__setitem__(
        -1, _bump(b["contests"][4]["range_proof"]["u"][-1])),
}


@needs_node
@pytest.mark.parametrize("what", sorted(ALTERATIONS))
def test_altered_js_ballot_fails_in_python(js_ballots, what):
    election, tokens, ballots = js_ballots
    original = ballots[0]["ballot"]
    altered = copy.deepcopy(original)
    ALTERATIONS[what](altered)
    assert altered != original
    with pytest.raises(CryptoError):  # the signature no longer matches
        verify_ballot(election, altered)
    _resign(election, altered, tokens[0])
    with pytest.raises(InvalidProof, match="membership proof"):
        verify_ballot(election, altered)


@needs_node
def test_altered_js_signature_fails_in_python(js_ballots):
    election, _, ballots = js_ballots
    altered = copy.deepcopy(ballots[1]["ballot"])
    altered["signature"]["u"] = _bump(altered["signature"]["u"])
    with pytest.raises(InvalidProof, match="signature"):
        verify_ballot(election, altered)
