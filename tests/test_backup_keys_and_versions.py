"""Backups (voting/services/backup.py): the record key is in the archive in
clear only when the operator asks; sealed keys need their passphrase; a
different key file is kept unless forced; an older backup is migrated to
head and one from a newer app or another dialect is refused; pg_dump is
checked and never given the password on its command line."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import NoEncryption
from cryptography.hazmat.primitives.serialization import PrivateFormat

from voting.migrate import alembic_config
from voting.migrate import downgrade
from voting.services import backup
from voting.services import backup_db
from voting.services.server_key import FILENAME
from voting.services.server_key import load_server_key

from .test_backup import is_empty
from .test_backup import keys
from .test_backup import PASSPHRASE
from .test_backup import small_backup
from .test_backup import target  # noqa: F401 - fixture
from .test_backup import url


def rewrite_manifest(archive: Path, **changes) -> None:
    """Change manifest fields (which no hash covers), keeping every member."""
    with tarfile.open(archive) as tar:
        members = [(info, tar.extractfile(info).read()) for info in tar]
    body = json.dumps({**json.loads(members[0][1]), **changes}).encode()
    members[0][0].size = len(body)
    with tarfile.open(archive, "w") as tar:
        for info, data in [(members[0][0], body), *members[1:]]:
            tar.addfile(info, io.BytesIO(data))


def test_an_older_backup_is_migrated_to_head(app, target, tmp_path):  # noqa: F811
    script = ScriptDirectory.from_config(alembic_config(app))
    head = script.get_current_head()
    older = script.get_revision(head).down_revision
    downgrade(app, older)
    archive = tmp_path / "older.tar"
    made = backup.create_backup(url(app), keys(app), archive, keys=backup.KeysMode.NONE)
    assert made.manifest["alembic_revision"] == older
    new = target(app)
    restored = backup.restore_backup(url(new), keys(new), archive)
    assert restored.manifest["alembic_revision"] == older and restored.revision == head
    assert backup_db.current_revision(url(new)) == head


@pytest.mark.parametrize(("change", "message"), [
    ({"alembic_revision": "9999"}, "the backup's schema revision '9999' is unknown to this "
                                   "version of the app"),
    ({"dialect": "postgresql"}, "this is a backup of a postgresql database; the target is sqlite"),
])
def test_a_backup_from_a_newer_app_or_another_dialect_is_refused(
        app, target, tmp_path, change, message):  # noqa: F811
    archive = small_backup(app, tmp_path, keys=backup.KeysMode.NONE)
    rewrite_manifest(archive, **change)
    new = target(app)
    with pytest.raises(backup.BackupRefused, match=re.escape(message)):
        backup.restore_backup(url(new), keys(new), archive)
    assert is_empty(new)


def secrets_of(app) -> tuple[bytes, bytes]:
    """The record key's PEM body (without its armour lines) and raw 32 bytes."""
    pem = (Path(keys(app)) / FILENAME).read_bytes()
    raw = load_server_key(keys(app)).private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                   NoEncryption())
    return b"".join(pem.splitlines()[1:-1]), raw


@pytest.mark.parametrize("mode", ["sealed", "none", "clear"])
def test_the_record_key_is_in_clear_in_the_archive_only_when_asked(app, tmp_path, mode):
    archive = small_backup(app, tmp_path, keys=backup.KeysMode(mode))
    body, raw = secrets_of(app)
    data = archive.read_bytes()
    assert (body in data, raw in data) == ((True, False) if mode == "clear" else (False, False))
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names == ["manifest.json", "database.sqlite3",
                     *{"sealed": ["keys.sealed"], "clear": ["keys.tar"], "none": []}[mode]]


def test_sealed_keys_need_their_passphrase(app, target, tmp_path):  # noqa: F811
    archive = small_backup(app, tmp_path)
    new = target(app)
    with pytest.raises(backup.KeysLocked, match="sealed: give --keys-passphrase-file"):
        backup.restore_backup(url(new), keys(new), archive)
    with pytest.raises(backup.KeysLocked, match="does not open"):
        backup.restore_backup(url(new), keys(new), archive, passphrase=lambda: "wrong " * 3)
    assert is_empty(new) and not Path(keys(new)).exists()


def test_a_different_key_file_is_kept_unless_forced(app, target, tmp_path):  # noqa: F811
    archive = small_backup(app, tmp_path)
    new = target(app)
    other = load_server_key(keys(new))  # a key of its own, made first
    path = Path(keys(new)) / FILENAME
    mine = path.read_bytes()
    with pytest.raises(backup.KeyConflict, match=f"{path} exists and differs"):
        backup.restore_backup(url(new), keys(new), archive, passphrase=lambda: PASSPHRASE)
    assert is_empty(new) and path.read_bytes() == mine and other is not None
    backup.restore_backup(url(new), keys(new), archive, passphrase=lambda: PASSPHRASE,
                          force=True)
    assert path.read_bytes() == (Path(keys(app)) / FILENAME).read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_identical_key_file_is_kept_as_it_is(app, target, tmp_path):  # noqa: F811
    archive = small_backup(app, tmp_path)
    new = target(app)
    path = Path(keys(new)) / FILENAME
    path.parent.mkdir()
    path.write_bytes((Path(keys(app)) / FILENAME).read_bytes())
    restored = backup.restore_backup(url(new), keys(new), archive, passphrase=lambda: PASSPHRASE)
    assert (restored.keys_written, restored.keys_unchanged) == ((), (FILENAME,))


def test_pg_tools_get_the_password_in_their_environment_not_their_arguments(monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    uri, env = backup_db.libpq_uri("postgresql+psycopg://voting:s3cr%40t@db:5433/voting"
                                   "?sslmode=require")
    assert uri == "postgresql://voting@db:5433/voting?sslmode=require"
    assert env["PGPASSWORD"] == "s3cr@t"
    assert "PGPASSWORD" not in backup_db.libpq_uri("postgresql://voting@db/voting")[1]


def test_a_pg_dump_older_than_the_server_is_refused(pg_app, tmp_path, monkeypatch):
    real = backup_db._tool("pg_dump")[0]
    monkeypatch.setattr(backup_db, "_tool", lambda name: (real, "14.9"))
    with pytest.raises(backup.DatabaseBackupError,
                       match=r"^pg_dump 14\.9 cannot dump a PostgreSQL 1[5-9]\.\d+ server: "
                             r"install postgresql-client-1[5-9]"):
        backup.create_backup(url(pg_app), keys(pg_app), tmp_path / "b.tar",
                             keys=backup.KeysMode.NONE)
    assert list(tmp_path.iterdir()) == [Path(keys(pg_app))]
