"""Browser tests: the real app served on localhost, driven in Debian's
Chromium by Playwright (``executable_path``; no downloaded browser)."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from voting import create_app

from ..conftest import IN_CI

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Flags for a root user in a sandboxed machine without network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
#: A mid-range phone.
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or CHROMIUM is None:
        reason = "browser tests need the playwright package and Debian's chromium"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def served(migrated_sqlite, tmp_path, settings):
    """An app on a copy of the migrated database, served on a free localhost
    port in a thread. ``settings(port)`` gives the configuration beyond the
    database and keys (it may also set the environment the app reads).
    Yields (app, base URL)."""
    db = tmp_path / "voting.sqlite3"
    shutil.copy(migrated_sqlite, db)
    keys = tmp_path / "keys"
    keys.mkdir()
    server = make_server("127.0.0.1", 0, None, threaded=True)
    port = server.server_port
    app = create_app({"VOTING_DATABASE_URL": f"sqlite:///{db}", "VOTING_KEYS_DIR": str(keys),
                      "RATELIMIT_ENABLED": False, **settings(port)})
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        app.extensions["voting.engine"].dispose()


@pytest.fixture
def live_server(migrated_sqlite, tmp_path):
    """The app on a free localhost port, in a thread; yields its base URL."""
    with served(migrated_sqlite, tmp_path,
                lambda port: {"VOTING_PUBLIC_URL": f"http://127.0.0.1:{port}"}) as served_app:
        yield served_app


@pytest.fixture
def phone(browser):
    """A factory of separate phone-sized browser contexts (one per person)."""
    contexts = []

    def new_page():
        context = browser.new_context(**PHONE, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield new_page
    for context in contexts:
        context.close()
