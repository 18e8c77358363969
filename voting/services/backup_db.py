"""Dumping and restoring the database itself (voting/services/backup.py).

A dump is consistent while the app keeps writing, and the Alembic revision
the manifest names is read from the same state as the data:

- SQLite: the online-backup API (``sqlite3.Connection.backup``), from a
  read-only connection, in one step: one read transaction, which the WAL
  writers never disturb. The revision is read from the copy.
- PostgreSQL: ``pg_dump --format=custom`` inside a snapshot exported by a
  repeatable-read transaction (``pg_export_snapshot``), in which the
  revision is read too. ``pg_dump`` must be of the server's major version
  or newer. The password goes to it in ``PGPASSWORD``, never on its
  command line (``ps`` shows command lines to every user).

Restoring writes into a database that :func:`occupied` found empty: SQLite
through the same backup API into the target path (which also deals with a
left-over ``-wal`` file, as a plain file copy would not), PostgreSQL with
``pg_restore --no-owner --no-privileges --single-transaction
--exit-on-error``: a failure leaves the database as empty as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import pool
from sqlalchemy import select
from sqlalchemy import table
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.engine import URL

from .errors import DomainError

MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: Schemas that hold no user tables.
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast"}


class DatabaseBackupError(DomainError):
    """The database cannot be backed up or restored."""

    code, status = "backup_failed", 409


@dataclass(frozen=True)
class Dump:
    path: Path
    #: The Alembic revision of the dumped state.
    revision: str
    #: What the manifest records about the dump (tool and server versions).
    details: dict


def dialect_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in MEMBER:
        raise DatabaseBackupError(f"cannot back up a {name} database (SQLite or PostgreSQL)")
    return name


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise DatabaseBackupError("the SQLite database must be a file path")
    return Path(database)


def _sqlite_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def _revision(rows: list) -> str:
    if len(rows) != 1:
        raise DatabaseBackupError("the database has no single Alembic revision "
                                  "(alembic_version): is it this app's, migrated by init-db?")
    return rows[0][0]


def _dump_sqlite(url: str, workdir: Path) -> Dump:
    source = sqlite_path(url)
    if not source.is_file():
        raise DatabaseBackupError(f"there is no SQLite database at {source}")
    dest = workdir / MEMBER["sqlite"]
    src = sqlite3.connect(_sqlite_uri(source), uri=True, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)  # pages=-1: the whole file in one step, one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        try:
            revision = _revision(dst.execute("SELECT version_num FROM alembic_version")
                                 .fetchall())
        except sqlite3.OperationalError:
            revision = _revision([])
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise DatabaseBackupError("the copy of the SQLite database fails integrity_check")
    finally:
        src.close()
        dst.close()
    return Dump(dest, revision, {"sqlite": sqlite3.sqlite_version})


# -- PostgreSQL tools ------------------------------------------------------------

def libpq_uri(url: str) -> tuple[str, dict]:
    """A libpq URI without the password, and the environment giving it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    uri = URL.create("postgresql", username=parsed.username, host=parsed.host,
                     port=parsed.port, database=parsed.database, query=parsed.query)
    return uri.render_as_string(hide_password=False), env


def _tool(name: str) -> tuple[str, str]:
    """(path, version) of a PostgreSQL client tool on PATH."""
    path = shutil.which(name)
    if path is None:
        raise DatabaseBackupError(
            f"{name} is not installed (or not on PATH): install the PostgreSQL client of "
            f"the server's major version, e.g. 'apt install postgresql-client-15'")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"\)\s*(\d+(?:\.\d+)?)", out.stdout)
    if out.returncode != 0 or found is None:
        raise DatabaseBackupError(f"cannot tell the version of {path}")
    return path, found.group(1)


def _major(version: str) -> int:
    return int(version.split(".")[0])


def _run(command: list[str], env: dict, what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DatabaseBackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")


def _dump_postgresql(url: str, workdir: Path) -> Dump:
    pg_dump, version = _tool("pg_dump")
    uri, env = libpq_uri(url)
    dest = workdir / MEMBER["postgresql"]
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            server = ".".join(str(n) for n in conn.dialect.server_version_info[:2])
            if _major(version) < _major(server):
                raise DatabaseBackupError(
                    f"pg_dump {version} cannot dump a PostgreSQL {server} server: install "
                    f"postgresql-client-{_major(server)} and put its pg_dump first on PATH")
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            if not inspect(conn).has_table("alembic_version"):
                _revision([])
            revision = _revision(conn.execute(text("SELECT version_num FROM alembic_version"))
                                 .fetchall())
            _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                  f"--file={dest}", f"--dbname={uri}"], env, "pg_dump")
            conn.rollback()
    finally:
        engine.dispose()
    return Dump(dest, revision, {"pg_dump": version, "server": server})


def dump(url: str, workdir: Path) -> Dump:
    """A consistent dump of the database at ``url`` into ``workdir``.

    :raises DatabaseBackupError: no database there, not migrated, pg_dump
        missing, too old or failing.
    """
    if dialect_of(url) == "sqlite":
        return _dump_sqlite(url, workdir)
    return _dump_postgresql(url, workdir)


# -- restoring -------------------------------------------------------------------

def occupied(url: str, app_tables: set[str]) -> list[str]:
    """What keeps the database at ``url`` from being empty (nothing: empty).

    Empty means: none of the app's tables (``app_tables``, from the models'
    metadata, and ``alembic_version``) exists in any schema, even without
    rows, and every other table, in every schema but the system ones, has
    no row. A SQLite file that does not exist yet is empty.
    """
    if dialect_of(url) == "sqlite" and not sqlite_path(url).exists():
        return []
    found = []
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for schema in inspector.get_schema_names():
                if schema in SYSTEM_SCHEMAS or schema.startswith("pg_"):
                    continue
                for name in inspector.get_table_names(schema=schema):
                    if name in app_tables or name == "alembic_version":
                        found.append(f"table {name}")
                    elif conn.execute(select(text("1")).select_from(table(name, schema=schema))
                                      .limit(1)).first() is not None:
                        found.append(f"rows in {name}")
    finally:
        engine.dispose()
    return sorted(found)


def _restore_sqlite(url: str, path: Path) -> None:
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(_sqlite_uri(path), uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _restore_postgresql(url: str, path: Path, details: dict) -> None:
    pg_restore, version = _tool("pg_restore")
    made_by = str(details.get("pg_dump", "0"))
    if _major(version) < _major(made_by):
        raise DatabaseBackupError(f"pg_restore {version} cannot read a dump of pg_dump "
                                  f"{made_by}: install postgresql-client-{_major(made_by)}")
    uri, env = libpq_uri(url)
    _run([pg_restore, "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", "--no-password", f"--dbname={uri}", str(path)], env, "pg_restore")


def restore(url: str, path: Path, details: dict) -> None:
    """Write the dump at ``path`` into the (empty) database at ``url``.

    :raises DatabaseBackupError: pg_restore missing, too old or failing.
    """
    if dialect_of(url) == "sqlite":
        _restore_sqlite(url, path)
    else:
        _restore_postgresql(url, path, details)


def current_revision(url: str) -> str:
    """The Alembic revision of the database at ``url``."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return _revision([])
            return _revision(conn.execute(text("SELECT version_num FROM alembic_version"))
                             .fetchall())
    finally:
        engine.dispose()
