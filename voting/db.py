"""Database wiring: one engine per app, one session per app context.

``init_app`` builds the engine and the session factory; ``get_session``
keeps one ``Session`` on ``g`` and the teardown closes it. Services receive
the session explicitly and own their commits.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask import Flask
from flask import g
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker


def database_url(app: Flask) -> str:
    """The configured URL, or SQLite in the instance folder."""
    url = app.config.get("VOTING_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'voting.sqlite3'}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is off (see _sqlite_pragmas);
        # emit a plain deferred BEGIN: readers never block, and writers take
        # the lock with their first write (see services.board.lock_round).
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # the engine's "begin" hook issues BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def init_app(app: Flask) -> None:
    engine = make_engine(database_url(app))
    app.extensions["voting.engine"] = engine
    factory = sessionmaker(engine, expire_on_commit=False)
    _track_flushes(factory)
    app.extensions["voting.sessionmaker"] = factory
    app.teardown_appcontext(close_session)


def _track_flushes(factory: sessionmaker) -> None:
    """Keep ``session.info["has_flushed"]`` true while the current
    transaction holds flushed writes (services.board.lock_round needs it)."""
    def flushed(session, _context):
        session.info["has_flushed"] = True

    def ended(session, *_args):
        session.info.pop("has_flushed", None)

    event.listen(factory, "after_flush", flushed)
    for name in ("after_commit", "after_rollback", "after_soft_rollback"):
        event.listen(factory, name, ended)


def new_session(app: Flask | None = None) -> Session:
    """A session not tied to the request (CLI, background work)."""
    return (app or current_app).extensions["voting.sessionmaker"]()


def get_session() -> Session:
    """The app context's session, created on first use."""
    if "db_session" not in g:
        g.db_session = new_session()
    return g.db_session


def close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
