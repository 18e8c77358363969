"""Backing up and restoring an installation: its database and ``keys/``
(``flask --app wsgi voting backup OUT | restore IN``, README §Backups).

A backup is one tar file (voting/services/backup_archive.py): a manifest
(format, created_at in UTC, the database's Alembic revision, its dialect,
the app's version, each member's size and SHA-256), a consistent dump of
the database taken while the app keeps serving
(voting/services/backup_db.py), and, unless left out, ``keys/``.

What ``keys/`` holds, and why it is sealed. The only file the app writes
there is ``server-ed25519.pem``, the installation's record-signing key
(PROTOCOL §13). It decrypts nothing: no decryption key exists on the
server, since every tally needs the trustees' shares, which the trustees
keep. It matters both ways: a leaked copy lets its holder sign forged
records under the fingerprint published on the board, the minutes and every
receipt; a lost one means that the restored server signs the records of
rounds already opened with a key other than the one their election names,
so those records fail check 3. The other files an operator may have left
there are the offline ceremony's (``deal-offline``): ``public.json``, which
is public, and share files, each already sealed under its trustee's
passphrase (§4.4), which should have been handed out and deleted. So the
key must be backed up, but never in clear beside the database, whose
backups travel further (off-site copies, cron jobs). By default the keys
go into the same archive, sealed under a passphrase
(voting/crypto/passphrase.py: scrypt, ChaCha20-Poly1305), which the
operator keeps apart from the archive: one file to carry, useless to a
thief without the passphrase, and a cron job can read the passphrase from
a file kept on the server. ``clear`` (the operator asks for it) puts them
in the archive unencrypted; ``none`` leaves them out (a key given as
``VOTING_RECORD_KEY`` is never in ``keys/``, so never in a backup).

A restore goes into an empty database only (``backup_db.occupied``):
merging a backup into live rows would fork the boards. Every member is
checked against the manifest, the database found empty, the sealed keys
opened and the key files compared before anything is written; then the database, then the key
files (mode 0600), then the migrations run up to head.

Secrets (the passphrase, the key files' contents, the database password)
never appear in an error, a report or a log line.
"""

from __future__ import annotations

import importlib.metadata
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine
from sqlalchemy import pool
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import ROOT
from ..models import Base
from ..models import Round
from . import backup_archive
from . import backup_db
from . import backup_keys
from .backup_archive import ArchiveDamaged as ArchiveDamaged
from .backup_db import DatabaseBackupError as DatabaseBackupError
from .backup_keys import KeyConflict as KeyConflict
from .backup_keys import KeysLocked as KeysLocked
from .errors import DomainError
from .passphrases import check_passphrase


class KeysMode(StrEnum):
    SEALED = "sealed"
    CLEAR = "clear"
    NONE = "none"


class BackupRefused(DomainError):
    """The backup or the restore was refused; nothing was changed."""

    code, status = "backup_refused", 409


@dataclass(frozen=True)
class BackupReport:
    path: Path
    sha256: str
    manifest: dict


@dataclass(frozen=True)
class RestoreReport:
    manifest: dict
    #: The revision after the migrations (head).
    revision: str
    keys_written: tuple[str, ...]
    keys_unchanged: tuple[str, ...]
    #: Fingerprints of the server keys the restored rounds' elections name.
    round_keys: frozenset[str]


def app_version() -> str:
    try:
        return importlib.metadata.version("voting")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def alembic_config(url: str) -> Config:
    """As ``voting.migrate.alembic_config``, from a URL instead of an app."""
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# -- backup ------------------------------------------------------------------

def create_backup(url: str, keys_dir, out, *, keys: KeysMode,
                  passphrase: Callable[[], str] | None = None, force: bool = False,
                  now: datetime | None = None) -> BackupReport:
    """Write a backup of the database at ``url`` and of ``keys_dir`` to ``out``.

    :param keys: how ``keys/`` goes in: sealed under a passphrase, in clear,
        or not at all.
    :param passphrase: gives the passphrase (asked only when there are key
        files to seal); at least 12 characters.
    :raises BackupRefused: ``out`` exists without ``force``; no passphrase.
    :raises DatabaseBackupError: the database cannot be dumped.
    """
    out = Path(out)
    if out.is_dir() or (out.exists() and not force):
        raise BackupRefused(f"{out} exists: give --force to overwrite it")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    files = backup_keys.collect(keys_dir) if keys != KeysMode.NONE else {}
    secret = None
    if files and keys == KeysMode.SEALED:
        if passphrase is None:
            raise BackupRefused("the keys are sealed under a passphrase: none was given")
        secret = check_passphrase(passphrase())
    if not out.parent.is_dir():
        raise BackupRefused(f"the folder {out.parent} does not exist")
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".voting-backup-") as tmp:
        workdir = Path(tmp)
        dump = backup_db.dump(url, workdir)
        dialect = backup_db.dialect_of(url)
        members = {backup_db.MEMBER[dialect]: dump.path}
        mode = keys if files else KeysMode.NONE
        if files:
            name, blob = backup_keys.pack(files, secret)
            members[name] = workdir / name
            members[name].write_bytes(blob)
        manifest = {
            "format": backup_archive.FORMAT, "format_version": backup_archive.FORMAT_VERSION,
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "app_version": app_version(),
            "dialect": dialect, "alembic_revision": dump.revision,
            "database": {"member": backup_db.MEMBER[dialect], **dump.details},
            "keys": {"mode": mode.value, "member": backup_keys.MEMBER.get(mode.value),
                     "files": sorted(files)},
        }
        try:
            sha256 = backup_archive.write_archive(out, manifest, members, force=force,
                                                  mtime=int(now.timestamp()))
        except FileExistsError:
            raise BackupRefused(f"{out} exists: give --force to overwrite it") from None
    return BackupReport(out, sha256, manifest)


# -- restore -----------------------------------------------------------------

def _known_revision(cfg: Config, revision) -> None:
    try:
        known = isinstance(revision, str) and ScriptDirectory.from_config(cfg).get_revision(
            revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupRefused(f"the backup's schema revision {revision!r} is unknown to this "
                            "version of the app: restore it with the version that made it "
                            "or a newer one")


def _round_keys(url: str) -> frozenset[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(Round.election_json)
                                   .where(Round.election_json.is_not(None)))
            return frozenset(json.loads(row)["server_key"] for row in rows)
    finally:
        engine.dispose()


def restore_backup(url: str, keys_dir, archive, *,
                   passphrase: Callable[[], str] | None = None,
                   force: bool = False) -> RestoreReport:
    """Restore the backup at ``archive`` into the empty database at ``url``
    and into ``keys_dir``, then migrate the database to head.

    :param passphrase: gives the passphrase of sealed keys (asked only then).
    :param force: replace key files that differ from the backup's.
    :raises ArchiveDamaged: truncated, altered or not a backup.
    :raises KeysLocked: sealed keys and no passphrase, or a wrong one.
    :raises KeyConflict: a key file differs from the backup's, without ``force``.
    :raises BackupRefused: the database is not empty; another dialect; an
        unknown revision.
    :raises DatabaseBackupError: pg_restore missing or failing.
    """
    cfg = alembic_config(url)
    with tempfile.TemporaryDirectory(prefix="voting-restore-") as tmp:
        manifest, paths = backup_archive.read_archive(Path(archive), Path(tmp))
        dialect = backup_db.dialect_of(url)
        if manifest.get("dialect") != dialect:
            raise BackupRefused(f"this is a backup of a {manifest.get('dialect')} database; "
                                f"the target is {dialect}")
        _known_revision(cfg, manifest.get("alembic_revision"))
        database = paths.get(backup_db.MEMBER[dialect])
        if database is None:
            raise ArchiveDamaged(f"the archive has no {backup_db.MEMBER[dialect]}")
        found = backup_db.occupied(url, set(Base.metadata.tables))
        if found:
            raise BackupRefused(
                f"the target database is not empty ({', '.join(found[:5])}): restore needs a "
                "new, empty database; create one (PostgreSQL: createdb; SQLite: a path where "
                "no file is) and point VOTING_DATABASE_URL at it, without running init-db "
                "or the app on it first; nothing was changed")
        files = backup_keys.unpack(paths, passphrase)
        write, same = backup_keys.plan(keys_dir, files, force)
        backup_db.restore(url, database, manifest.get("database", {}))
    restored = backup_db.current_revision(url)
    if restored != manifest["alembic_revision"]:
        raise BackupRefused(f"the restored database is at revision {restored}, not the "
                            f"manifest's {manifest['alembic_revision']}")
    backup_keys.write(keys_dir, files, write)
    command.upgrade(cfg, "head")
    return RestoreReport(manifest, backup_db.current_revision(url), tuple(write), tuple(same),
                         _round_keys(url))
