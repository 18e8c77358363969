"""Login limits on Redis (VOTING_RATELIMIT_STORAGE_URI): they hold across
workers (a second process sees the first one's count), they count per
account as well as per address, and only failed logins count, so that a
hall behind one address is not locked out by its own chairs.

Runs against the Redis on 127.0.0.1:6379; where none is reachable the tests
skip with that reason (in CI they fail: .ci/run starts Redis)."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from voting import create_app
from voting.db import new_session
from voting.models import Role
from voting.services import accounts

from ..conftest import PASSWORD
from ..conftest import skip_unless

REDIS_URL = os.environ.get("VOTING_TEST_REDIS_URL", "redis://127.0.0.1:6379")
#: One prefix for this run's keys: Flask-Limiter keeps the first prefix it
#: is given for the process, so each test removes its keys instead.
PREFIX = f"voting-test-{secrets.token_hex(6)}"
ROOT = Path(__file__).resolve().parents[2]


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception:
        return None


pytestmark = skip_unless(_redis() is not None, f"no Redis at {REDIS_URL}")


@pytest.fixture
def limited(migrated_sqlite, tmp_path):
    """An app whose limits live in Redis under this run's prefix, cleared
    after the test."""
    path = tmp_path / "voting.sqlite3"
    shutil.copy(migrated_sqlite, path)
    prefix = PREFIX
    config = {"TESTING": True, "VOTING_DATABASE_URL": f"sqlite:///{path}",
              "VOTING_KEYS_DIR": str(tmp_path), "RATELIMIT_ENABLED": True,
              "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    app = create_app(config)
    with app.app_context():
        s = new_session(app)
        for name in ("chu-toa", "thu-ky", *(f"khach-{i}" for i in range(12))):
            accounts.create_user(s, name, name, PASSWORD, Role.CHAIR)
        s.close()
    yield app, config, prefix
    client = _redis()
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    app.extensions["voting.engine"].dispose()


def attempt(app, username: str, password: str, address: str = "10.0.0.1") -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    return client.post("/auth/login", data={"username": username, "password": password,
                                            "csrf_token": token}).status_code


def test_the_counts_are_in_redis_and_a_second_process_sees_them(limited):
    app, config, prefix = limited
    assert [attempt(app, "chu-toa", "wrong") for _ in range(5)] == [200] * 5
    assert any(prefix in key.decode() for key in _redis().scan_iter(f"*{prefix}*"))
    # Another worker: a separate Python process with the same settings.
    script = textwrap.dedent(f"""
        import json, re, sys
        from voting import create_app
        app = create_app(json.loads(sys.argv[1]))
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
        print(client.post("/auth/login", data={{"username": "chu-toa",
              "password": {PASSWORD!r}, "csrf_token": token}}).status_code)
    """)
    out = subprocess.run([sys.executable, "-c", script, json.dumps(config)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "429"


def test_an_account_is_limited_from_every_address(limited):
    app, _config, _prefix = limited
    for i in range(5):
        assert attempt(app, "chu-toa", "wrong", f"10.0.1.{i}") == 200
    assert attempt(app, "chu-toa", PASSWORD, "10.0.2.1") == 429  # the account is locked
    assert attempt(app, " CHU-TOA ", PASSWORD, "10.0.2.2") == 429  # however it is written
    assert attempt(app, "thu-ky", PASSWORD, "10.0.1.0") == 302  # others are not


def test_one_address_with_many_chairs_is_not_locked_by_their_typos(limited):
    app, _config, _prefix = limited
    hall = "192.168.1.1"
    for i in range(12):  # 24 typos from the hall, at most 2 per account
        assert attempt(app, f"khach-{i}", "wrong", hall) == 200
        assert attempt(app, f"khach-{i}", "wrong", hall) == 200
    assert attempt(app, "chu-toa", PASSWORD, hall) == 302
    for _ in range(40):  # successful logins never count
        assert attempt(app, "thu-ky", PASSWORD, hall) == 302


def test_the_address_limit_still_holds(limited):
    app, _config, _prefix = limited
    codes = [attempt(app, f"khach-{i % 12}", "wrong", "10.9.9.9") for i in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_production_says_loudly_when_limits_are_per_worker(monkeypatch, caplog, tmp_path):
    monkeypatch.setenv("VOTING_ENV", "production")
    monkeypatch.setenv("VOTING_SECRET_KEY", secrets.token_hex(32))
    from ..test_record_key import new_pem

    monkeypatch.setenv("VOTING_RECORD_KEY", new_pem()[0])
    with caplog.at_level(logging.WARNING, logger="voting.security"):
        create_app({"VOTING_DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3",
                    "RATELIMIT_STORAGE_URI": "memory://"})
    assert "RATE LIMITS ARE PER WORKER" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="voting.security"):
        create_app({"VOTING_DATABASE_URL": f"sqlite:///{tmp_path}/b.sqlite3",
                    "RATELIMIT_STORAGE_URI": REDIS_URL})
    assert "RATE LIMITS" not in caplog.text
