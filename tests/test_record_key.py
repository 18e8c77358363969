"""One record-signing key per installation (PROTOCOL §13): production
refuses to start without it, every app instance given the same key (the
variable or a shared key file) signs with it, development makes one on first
use, and ``voting record-key new | show`` make it once and print its
fingerprint, never the key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import NoEncryption
from cryptography.hazmat.primitives.serialization import PrivateFormat
from cryptography.hazmat.primitives.serialization import PublicFormat

from voting import create_app
from voting.crypto.record import fingerprint_groups
from voting.record_key import get_fingerprint
from voting.services.server_key import FILENAME
from voting.services.server_key import MissingRecordKey


def new_pem() -> tuple[str, str]:
    """A fresh key's PEM text and fingerprint."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return pem, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


@pytest.fixture
def production(monkeypatch, tmp_path):
    """The environment of a production host, without a record key."""
    monkeypatch.setenv("VOTING_ENV", "production")
    monkeypatch.setenv("VOTING_SECRET_KEY", "s" * 64)
    monkeypatch.setenv("VOTING_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("VOTING_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.delenv("VOTING_RECORD_KEY", raising=False)
    keys = tmp_path / "keys"
    keys.mkdir()
    monkeypatch.setenv("VOTING_KEYS_DIR", str(keys))
    return keys


def dev_app(keys_dir, **config):
    return create_app({"TESTING": True, "VOTING_KEYS_DIR": str(keys_dir), **config})


# -- production ---------------------------------------------------------------

def test_production_refuses_to_start_without_a_key_and_makes_none(production):
    with pytest.raises(MissingRecordKey, match="no record-signing key"):
        create_app()
    assert list(production.iterdir()) == []


def test_production_starts_with_the_key_file(production):
    pem, fingerprint = new_pem()
    (production / FILENAME).write_text(pem)
    assert get_fingerprint(create_app()) == fingerprint


def test_production_starts_with_the_variable_and_writes_no_file(production, monkeypatch):
    pem, fingerprint = new_pem()
    monkeypatch.setenv("VOTING_RECORD_KEY", pem)
    assert get_fingerprint(create_app()) == fingerprint
    assert list(production.iterdir()) == []


def test_a_bad_variable_stops_the_app_without_showing_the_key(production, monkeypatch):
    pem, _ = new_pem()
    broken = pem.replace("PRIVATE KEY-----\n", "PRIVATE KEY-----\nAAAA", 1)
    monkeypatch.setenv("VOTING_RECORD_KEY", broken)
    with pytest.raises(MissingRecordKey) as exc_info:
        create_app()
    body = pem.splitlines()[1]
    assert "VOTING_RECORD_KEY" in str(exc_info.value) and body not in str(exc_info.value)


def test_a_variable_and_a_file_holding_different_keys_stop_the_app(production, monkeypatch):
    (production / FILENAME).write_text(new_pem()[0])
    monkeypatch.setenv("VOTING_RECORD_KEY", new_pem()[0])
    with pytest.raises(MissingRecordKey, match="different keys"):
        create_app()


# -- one key for every instance -------------------------------------------------

def test_two_instances_given_the_same_variable_sign_with_the_same_key(monkeypatch, tmp_path):
    pem, fingerprint = new_pem()
    monkeypatch.setenv("VOTING_RECORD_KEY", pem)
    first, second = dev_app(tmp_path / "a"), dev_app(tmp_path / "b")
    assert get_fingerprint(first) == get_fingerprint(second) == fingerprint
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_two_instances_sharing_the_key_file_sign_with_the_same_key(production, tmp_path):
    pem, fingerprint = new_pem()
    (production / FILENAME).write_text(pem)
    assert get_fingerprint(create_app()) == get_fingerprint(create_app()) == fingerprint


def test_development_makes_a_key_on_first_use_that_the_next_instance_reads(tmp_path):
    keys = tmp_path / "keys"
    first = dev_app(keys)
    assert not (keys / FILENAME).exists()  # not at start: on first use
    fingerprint = get_fingerprint(first)
    assert stat.S_IMODE((keys / FILENAME).stat().st_mode) == 0o600
    assert get_fingerprint(dev_app(keys)) == fingerprint
    assert get_fingerprint(dev_app(tmp_path / "elsewhere")) != fingerprint


# -- the CLI ---------------------------------------------------------------------

def test_record_key_new_writes_the_key_once_with_mode_0600(app, runner):
    path = Path(app.config["VOTING_KEYS_DIR"]) / FILENAME
    made = runner.invoke(args=["voting", "record-key", "new"])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    fingerprint = get_fingerprint(app)
    assert fingerprint_groups(fingerprint) in made.output and fingerprint in made.output
    assert "PRIVATE KEY" not in made.output
    pem = path.read_bytes()
    again = runner.invoke(args=["voting", "record-key", "new"])
    assert again.exit_code != 0 and "exists" in again.output
    assert path.read_bytes() == pem


def test_record_key_new_refuses_when_the_variable_is_set(app, runner):
    app.config["VOTING_RECORD_KEY"] = new_pem()[0]
    made = runner.invoke(args=["voting", "record-key", "new"])
    assert made.exit_code != 0 and "VOTING_RECORD_KEY is set" in made.output


def test_record_key_new_out_writes_elsewhere(runner, tmp_path):
    out = tmp_path / "install" / "record.pem"
    made = runner.invoke(args=["voting", "record-key", "new", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_record_key_show_prints_the_fingerprint_and_never_makes_a_key(app, runner):
    missing = runner.invoke(args=["voting", "record-key", "show"])
    assert missing.exit_code != 0 and "no record-signing key" in missing.output
    assert not (Path(app.config["VOTING_KEYS_DIR"]) / FILENAME).exists()
    pem, fingerprint = new_pem()
    app.config["VOTING_RECORD_KEY"] = pem
    shown = runner.invoke(args=["voting", "record-key", "show"])
    assert shown.exit_code == 0
    assert fingerprint_groups(fingerprint) in shown.output
    assert "PRIVATE KEY" not in shown.output and pem.splitlines()[1] not in shown.output
