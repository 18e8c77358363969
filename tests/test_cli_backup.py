"""``voting backup`` and ``voting restore`` through the CLI (voting/cli/backup.py):
exit codes, what they print and what they never print. The use cases are
tested in tests/test_backup.py."""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path

from alembic.script import ScriptDirectory

from voting import create_app
from voting.db import new_session
from voting.migrate import alembic_config
from voting.services import backup_db
from voting.services.server_key import FILENAME
from voting.services.server_key import load_server_key
from voting.services.server_key import server_public_key_hex

from .factories import complete_key_ceremony
from .factories import make_conference
from .factories import make_open_round
from .test_backup import flip_byte_of
from .test_backup import is_empty
from .test_backup import keys
from .test_backup import PASSPHRASE
from .test_backup import target  # noqa: F401 - fixture
from .test_backup_keys_and_versions import secrets_of


def passphrase_file(tmp_path, text: str = PASSPHRASE) -> str:
    path = tmp_path / "passphrase"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["voting", *args], input=input)


def backed_up(app, tmp_path, *options):
    load_server_key(keys(app))
    out = tmp_path / "backup.tar"
    result = run(app, "backup", str(out), *options)
    assert result.exit_code == 0, result.output
    return out, result


def test_backup_prints_where_everything_went_and_no_secret(app, tmp_path):
    out, result = backed_up(app, tmp_path, "--keys-passphrase-file", passphrase_file(tmp_path))
    head = ScriptDirectory.from_config(alembic_config(app)).get_current_head()
    sha256 = hashlib.sha256(out.read_bytes()).hexdigest()
    assert result.stdout.splitlines() == [
        f"wrote {out} (mode 0600): sqlite database at revision {head}, "
        f"{out.stat().st_size} bytes",
        f"sha256 {sha256}  (note it apart to check the copy before a restore)",
        f"keys/ ({FILENAME}) is in {out} as keys.sealed, sealed under your passphrase: keep "
        "the passphrase apart from the archive; restore needs it"]
    assert result.stderr == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    body, _raw = secrets_of(app)
    assert PASSPHRASE not in result.output and body.decode() not in result.output


def test_an_existing_archive_is_kept_unless_forced(app, tmp_path):
    out, _ = backed_up(app, tmp_path, "--no-keys")
    before = out.read_bytes()
    result = run(app, "backup", str(out), "--no-keys")
    assert result.exit_code == 1
    assert f"Error: {out} exists: give --force to overwrite it" in result.output
    assert out.read_bytes() == before
    with app.app_context():
        s = new_session(app)
        make_conference(s, units=1, delegates=1)  # so that the new backup differs
        s.close()
    assert run(app, "backup", str(out), "--no-keys", "--force").exit_code == 0
    assert out.read_bytes() != before


def test_key_options_exclude_each_other(app, tmp_path):
    result = run(app, "backup", str(tmp_path / "b.tar"), "--no-keys", "--keys-in-clear")
    assert result.exit_code == 2
    assert "give at most one of --keys-passphrase-file, --keys-in-clear and --no-keys" in (
        result.output)
    assert not (tmp_path / "b.tar").exists()


def test_the_passphrase_is_typed_twice_and_a_short_one_is_refused(app, tmp_path):
    load_server_key(keys(app))
    out = tmp_path / "typed.tar"
    result = run(app, "backup", str(out), input=f"short\n{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    assert "use at least 12 characters" in result.output and PASSPHRASE not in result.output
    result = run(app, "backup", str(tmp_path / "none.tar"))  # nothing typed (cron)
    assert result.exit_code == 1
    assert "Error: no passphrase typed: give --keys-passphrase-file FILE" in result.output
    result = run(app, "backup", str(tmp_path / "short.tar"), "--keys-passphrase-file",
                 passphrase_file(tmp_path, "too short"))
    assert result.exit_code == 1 and "Error: use at least 12 characters" in result.output
    assert not (tmp_path / "none.tar").exists() and not (tmp_path / "short.tar").exists()


def test_keys_in_clear_or_left_out_are_warned_about(app, tmp_path):
    out, result = backed_up(app, tmp_path, "--keys-in-clear")
    assert result.stderr == (f"WARNING: {out} holds keys/ ({FILENAME}) IN CLEAR, the "
                             "record-signing key included: whoever reads it can sign records "
                             "as this installation. Keep it offline, apart from ordinary "
                             "backups.\n")
    result = run(app, "backup", str(out), "--no-keys", "--force")
    assert result.exit_code == 0
    assert result.stderr == (f"WARNING: keys/ ({keys(app)}) is not in this backup: keep a copy "
                             f"of {FILENAME} apart, or the restored server cannot sign its "
                             "rounds' records.\n")


def test_restore_through_the_cli(app, target, tmp_path):  # noqa: F811
    out, _ = backed_up(app, tmp_path, "--keys-passphrase-file", passphrase_file(tmp_path))
    new = target(app)
    result = run(new, "restore", str(out), "--keys-passphrase-file", passphrase_file(tmp_path))
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(alembic_config(app)).get_current_head()
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"restored the backup of \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ into "
                        rf"sqlite:///{re.escape(str(tmp_path))}/restored\.sqlite3 "
                        rf"\(revision {head}, now {head}\)", lines[0])
    assert lines[1:] == [f"wrote {Path(keys(new)) / FILENAME} (mode 0600)",
                         f"record-signing key: {server_public_key_hex(keys(app))}"]
    again = run(new, "restore", str(out), "--keys-passphrase-file", passphrase_file(tmp_path))
    assert again.exit_code == 1 and "Error: the target database is not empty" in again.output


def test_restore_refusals_exit_1_and_write_nothing(app, target, tmp_path):  # noqa: F811
    out, _ = backed_up(app, tmp_path, "--keys-passphrase-file", passphrase_file(tmp_path))
    new = target(app)
    result = run(new, "restore", str(out))  # sealed keys, nothing typed
    assert result.exit_code == 1
    assert "Error: no passphrase typed: give --keys-passphrase-file FILE" in result.output
    result = run(new, "restore", str(out), "--keys-passphrase-file",
                 passphrase_file(tmp_path, "another long passphrase"))
    assert result.exit_code == 1
    assert ("Error: this passphrase does not open the keys sealed in the backup; nothing was "
            "restored") in result.output
    flip_byte_of(out, "database.sqlite3")
    result = run(new, "restore", str(out), "--keys-passphrase-file", passphrase_file(tmp_path))
    assert result.exit_code == 1
    assert ("Error: member database.sqlite3 does not match the SHA-256 in the manifest: the "
            "archive is damaged or was altered") in result.output
    assert is_empty(new) and not Path(keys(new)).exists()


def test_restore_warns_when_the_rounds_name_another_record_key(app, target, tmp_path):  # noqa: F811
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s, units=1, delegates=1)
        complete_key_ceremony(s, conference)
        make_open_round(s, conference, keys(app), template="flag", cards=1)
        s.close()
    out, _ = backed_up(app, tmp_path, "--no-keys")
    new = target(app)
    other = server_public_key_hex(keys(new))  # this machine made a key of its own
    result = run(new, "restore", str(out))
    assert result.exit_code == 0, result.output
    assert f"record-signing key: {other}" in result.stdout
    assert result.stderr == (f"WARNING: the restored rounds name the record key "
                             f"{server_public_key_hex(keys(app))}, not this one: their records "
                             "would fail check 3; restore the original key.\n")


def test_a_missing_pg_dump_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(backup_db.shutil, "which", lambda name: None)
    app = create_app({"TESTING": True, "VOTING_KEYS_DIR": str(tmp_path / "keys"),
                      "VOTING_DATABASE_URL": "postgresql://voting:s3cret@127.0.0.1:1/voting"})
    result = run(app, "backup", str(tmp_path / "b.tar"), "--no-keys")
    assert result.exit_code == 1
    assert ("Error: pg_dump is not installed (or not on PATH): install the PostgreSQL client "
            "of the server's major version") in result.output
    assert "s3cret" not in result.output and not (tmp_path / "b.tar").exists()
