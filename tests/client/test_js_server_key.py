"""The JavaScript verifier's ``--server-key HEX`` (PROTOCOL §13, §14 check
3), like ``voting-verify --server-key``: the right key passes, another key
fails check 3 and only check 3, a malformed one is a usage error."""

from __future__ import annotations

import json
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from voting.crypto.record import fingerprint_groups
from voting.simulate import simulate

from .test_js_verifier import CLI
from .test_js_verifier import needs_node
from .test_js_verifier import NODE
from .test_js_verifier import ROOT

pytestmark = needs_node


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    path = tmp_path_factory.mktemp("record") / "r.zip"
    result = simulate(ballots=2, units=2, trustees=3, threshold=2, out=path, workers=1, seed=13)
    return result.election.server_key.hex(), path


def run(path, *args):
    return subprocess.run([NODE, str(CLI), "--json", "--workers", "1", str(path), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def failed(proc) -> dict[str, list[str]]:
    report = json.loads(proc.stdout)
    return {n: f for n, f in report["checks"].items() if f}


def test_the_right_key_as_shown_passes(sim):
    proc = run(sim[1], "--server-key", fingerprint_groups(sim[0]).upper())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert failed(proc) == {}


def test_another_key_fails_check_3_only_naming_both_keys(sim):
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw,
                                                                   PublicFormat.Raw).hex()
    proc = run(sim[1], "--server-key", other)
    assert proc.returncode == 1
    failures = failed(proc)
    assert list(failures) == ["3"]
    assert sim[0] in failures["3"][0] and other in failures["3"][0]


def test_a_malformed_key_is_a_usage_error(sim):
    assert run(sim[1], "--server-key", "abcd").returncode == 2


def test_the_client_hash_is_printed_and_compared_like_voting_verify(sim):
    from voting.simulate import SIMULATED_CLIENT

    proc = run(sim[1], "--client-hash", SIMULATED_CLIENT)
    assert proc.returncode == 0 and json.loads(proc.stdout)["ballotClient"] == SIMULATED_CLIENT
    other = "ab" * 32
    proc = run(sim[1], "--client-hash", other)
    assert proc.returncode == 1
    failures = failed(proc)
    assert list(failures) == ["4"] and other in failures["4"][0]
    assert run(sim[1], "--client-hash", "abc").returncode == 2
    text = subprocess.run([NODE, str(CLI), "--workers", "1", str(sim[1])], cwd=ROOT,
                          capture_output=True, text=True, timeout=300).stdout
    assert f"Ballot client: sha256 {SIMULATED_CLIENT}" in text
