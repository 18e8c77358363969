"""The ballot client named by the record (PROTOCOL §5.3 ``ballot_client``,
§14 check 4): the verifiers print the hash the election names and, given
the hash an auditor rebuilt (``--client-hash``), fail check 4, and only
check 4, when the election names another; without it nothing changes."""

from __future__ import annotations

import hashlib

import pytest

from voting import verify
from voting.crypto.verifier import verify_record
from voting.simulate import simulate
from voting.simulate import SIMULATED_CLIENT

from .records import failing

OTHER = hashlib.sha256(b"another bundle").hexdigest()


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    path = tmp_path_factory.mktemp("record") / "r.zip"
    simulate(ballots=3, units=2, trustees=3, threshold=2, out=path, workers=1, seed=17)
    return path


def test_the_report_names_the_elections_ballot_client(record):
    report = verify_record(record, workers=1)
    assert report.ok and report.ballot_client == SIMULATED_CLIENT
    assert SIMULATED_CLIENT == hashlib.sha256(b"python -m voting.simulate").hexdigest()


def test_the_expected_hash_passes_and_another_fails_check_4_only(record):
    assert verify_record(record, workers=1, client_hash=SIMULATED_CLIENT).ok
    report = verify_record(record, workers=1, client_hash=OTHER)
    assert failing(report) == {4}
    (message,) = report.failures[4]
    assert SIMULATED_CLIENT in message and OTHER in message


def test_the_cli_prints_the_hash_and_compares_it(record, capsys):
    assert verify.main([str(record), "--quiet", "--workers", "1",
                        "--client-hash", SIMULATED_CLIENT.upper()]) == 0
    assert f"Ballot client: sha256 {SIMULATED_CLIENT}" in capsys.readouterr().out
    assert verify.main([str(record), "--quiet", "--workers", "1", "--client-hash", OTHER]) == 1
    assert "[ 4] FAIL" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        verify.main([str(record), "--client-hash", "abc"])
