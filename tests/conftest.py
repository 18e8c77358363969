"""Shared test policy, and flaskr's fixtures (app, client, runner, auth) over a
migrated database: SQLite by default, PostgreSQL for tests that ask for
``pg_app``. Crypto tests use none of them."""

from __future__ import annotations

import os
import secrets
import shutil

import pytest

from voting import create_app
from voting.db import new_session
from voting.migrate import upgrade
from voting.models import Role
from voting.services import accounts

#: CI installs every prerequisite (Node, the bundle, Chromium, PostgreSQL):
#: there, a test that would skip for a missing one fails instead.
IN_CI = bool(os.environ.get("CI"))


def skip_unless(condition: bool, reason: str):
    """``skipif(not condition)`` on a developer's machine; in CI the test
    runs regardless, so a missing prerequisite fails loudly."""
    return pytest.mark.skipif(not condition and not IN_CI, reason=reason)

PG_ADMIN_URL = os.environ.get("VOTING_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A SQLite file migrated once by Alembic; each test gets a copy."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    upgrade(create_app({"VOTING_DATABASE_URL": f"sqlite:///{path}"}))
    return path


def _make_app(url: str, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    return create_app({"TESTING": True, "VOTING_DATABASE_URL": url,
                       "VOTING_KEYS_DIR": str(keys), "RATELIMIT_ENABLED": False,
                       "VOTING_PUBLIC_URL": "https://vote.example"})


@pytest.fixture
def app(migrated_sqlite, tmp_path):
    path = tmp_path / "voting.sqlite3"
    shutil.copy(migrated_sqlite, path)
    app = _make_app(f"sqlite:///{path}", tmp_path)
    yield app
    app.extensions["voting.engine"].dispose()


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


@pytest.fixture
def pg_app(tmp_path):
    """The app on a fresh PostgreSQL database (dropped afterwards)."""
    import psycopg

    if not _pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    name = f"voting_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    app = _make_app(f"{base}/{name}", tmp_path)
    upgrade(app)
    yield app
    app.extensions["voting.engine"].dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def session(app):
    """A session of its own; no app context is pushed, so requests made by
    the test client get their own session and user as in production."""
    s = new_session(app)
    yield s
    s.close()


@pytest.fixture
def client(app):
    """A browser that chose English (``?lang=en``), so that assertions read
    like the msgids; tests/web/test_i18n.py checks the Vietnamese default."""
    client = app.test_client()
    with client.session_transaction() as s:
        s["lang"] = "en"
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, app, client):
        self.app, self.client = app, client

    def create(self, username="chair", role=Role.ADMIN):
        with self.app.app_context():
            s = new_session(self.app)
            accounts.create_user(s, username, username.title(), PASSWORD, role)
            s.close()

    def login(self, username="chair", role=Role.ADMIN):
        """Log in as a new account; by default an administrator, who acts as
        the chair of every conference (the tests' conferences have no owner)."""
        self.create(username, role)
        page = self.client.get("/auth/login")
        token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
        token = token.split('"')[0]
        return self.client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                                     "csrf_token": token})


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)
