"""The expected server key (PROTOCOL §13, §14 check 3): given the key's
fingerprint from outside the record, the verifier fails check 3, and only
check 3, when the record is signed by another key; without it nothing
changes."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from voting import verify
from voting.crypto.record import fingerprint_groups
from voting.crypto.record import key_fingerprint
from voting.crypto.record import parse_key_fingerprint
from voting.crypto.verifier import verify_record
from voting.simulate import simulate

from .records import failing


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    path = tmp_path_factory.mktemp("record") / "r.zip"
    result = simulate(ballots=3, units=2, trustees=3, threshold=2, out=path, workers=1, seed=11)
    return result, path


@pytest.fixture(scope="module")
def other_key() -> bytes:
    return public_bytes(Ed25519PrivateKey.generate())


def test_the_fingerprint_is_the_public_key_in_hex_shown_in_groups_of_four(sim):
    key = public_bytes(sim[0].server_key)
    fingerprint = key_fingerprint(key)
    assert fingerprint == key.hex() == sim[0].election.server_key.hex()
    groups = fingerprint_groups(fingerprint).split(" ")
    assert len(groups) == 16 and all(len(g) == 4 for g in groups)
    assert "".join(groups) == fingerprint


@pytest.mark.parametrize("typed", [
    lambda f: f, lambda f: f.upper(), fingerprint_groups,
    lambda f: ":".join(f[i:i + 2] for i in range(0, 64, 2)),
])
def test_a_typed_fingerprint_in_either_case_and_grouped_is_the_key(sim, typed):
    key = public_bytes(sim[0].server_key)
    assert parse_key_fingerprint(typed(key.hex())) == key


@pytest.mark.parametrize("bad", ["", "ab" * 31, "ab" * 33, "zz" * 32, "0x" + "ab" * 31])
def test_a_fingerprint_that_is_not_64_hex_digits_is_refused(bad):
    with pytest.raises(ValueError, match="64 hexadecimal digits"):
        parse_key_fingerprint(bad)


def test_the_right_key_passes_every_check(sim):
    report = verify_record(sim[1], workers=1, server_key=public_bytes(sim[0].server_key))
    assert report.ok, "\n".join(report.lines())


def test_without_the_option_the_record_passes_as_before(sim):
    assert verify_record(sim[1], workers=1).ok


def test_another_key_fails_check_3_only_naming_both_keys(sim, other_key):
    report = verify_record(sim[1], workers=1, server_key=other_key)
    assert failing(report) == {3}
    (message,) = report.failures[3]
    assert sim[0].election.server_key.hex() in message and other_key.hex() in message


def test_a_record_of_another_installation_fails_check_3_only(sim, tmp_path):
    """Two honest records, each signed by its own server: each one passes
    on its own, and fails check 3 when the other's key is expected."""
    path = tmp_path / "other.zip"
    other = simulate(ballots=2, units=2, trustees=3, threshold=2, out=path, workers=1, seed=12)
    assert verify_record(path, workers=1).ok
    report = verify_record(path, workers=1, server_key=public_bytes(sim[0].server_key))
    assert failing(report) == {3}
    assert other.election.server_key.hex() in report.failures[3][0]


def test_voting_verify_takes_the_fingerprint_as_shown(sim, capsys):
    shown = fingerprint_groups(sim[0].election.server_key.hex())
    assert verify.main([str(sim[1]), "--workers", "1", "--quiet", "--server-key", shown]) == 0
    out = capsys.readouterr().out
    assert f"Expected server key: {shown}" in out and "VALID" in out


def test_voting_verify_fails_check_3_on_another_key(sim, other_key, capsys):
    assert verify.main([str(sim[1]), "--workers", "1", "--quiet",
                        "--server-key", other_key.hex()]) == 1
    out = capsys.readouterr().out
    assert "[ 3] FAIL" in out and "[ 4] PASS" in out and "[17] PASS" in out
    assert other_key.hex() in out and sim[0].election.server_key.hex() in out


def test_voting_verify_refuses_a_malformed_fingerprint(sim, capsys):
    with pytest.raises(SystemExit) as exit_info:
        verify.main([str(sim[1]), "--server-key", "abcd"])
    assert exit_info.value.code == 2
    assert "64 hexadecimal digits" in capsys.readouterr().err
