"""No credential or card token in a URL or a log line (README, Deployment).

An access log records each request line with the client's address and
time; a credential there would link a phone to its ballot. This test runs a
whole vote against the real app served by werkzeug (whose request log is
what an access log holds) and captures every log line of werkzeug, Flask
and the app, and every URL the app receives."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request

import pytest
from flask import request
from flask import request_started
from werkzeug.serving import make_server

from .test_api import credential_of
from .test_api import opened  # noqa: F401 - fixture
from .test_vote import token_text

#: Loggers heard at DEBUG; every other logger still reaches the handler
#: from WARNING up, through the root logger.
VERBOSE = ["werkzeug", "flask", "voting"]


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def served(app):
    """The app on a free localhost port, its log lines and received URLs."""
    handler, urls = Lines(), []
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    names = [*VERBOSE, app.logger.name]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)

    def received(sender, **extra):
        urls.extend([request.url, request.environ.get("REQUEST_URI", ""),
                     request.environ.get("RAW_URI", "")])

    request_started.connect(received, app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", handler.lines, urls
    finally:
        server.shutdown()
        request_started.disconnect(received, app)
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def call(base: str, path: str, body=None) -> tuple[int, bytes]:
    data = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    req = urllib.request.Request(base + path, data=data and data.encode(),
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_whole_vote_puts_no_credential_or_token_in_urls_or_logs(served, opened):  # noqa: F811
    base, lines, urls = served
    credential = credential_of(opened)
    status_path = f"/api/rounds/{opened.public_id}/credential-status"

    status, page = call(base, "/vote")
    assert status == 200 and b"credential-status" in page
    status, body = call(base, "/api/rounds/open")
    assert status == 200 and credential in json.loads(body)["rounds"][0]["election"]["credentials"]
    status, body = call(base, status_path, {"credential": credential})
    assert status == 200 and json.loads(body)["receipt"] is None
    ballot = json.dumps(opened.ballot())
    assert call(base, f"/api/rounds/{opened.public_id}/ballots", ballot)[0] == 201
    assert call(base, f"/api/rounds/{opened.public_id}/ballots", ballot)[0] == 200  # a retry
    status, body = call(base, status_path, {"credential": credential})
    voted = json.loads(body)
    assert status == 200 and voted["receipt"]
    assert call(base, voted["board_url"])[0] == 200
    assert voted["qr"].startswith("data:image/svg+xml;base64,")   # nothing to fetch
    assert call(base, status_path, {"credential": credential.upper()})[0] == 400

    # The capture works: each request's line is logged, and the receipt's
    # tracker (a public value, in the board URL) shows up in URLs and lines.
    requested = [line for line in lines if line.startswith("werkzeug ")]
    assert sum("POST /api/rounds/" in line for line in requested) == 5, lines
    tracker = voted["receipt"]["tracker"]
    assert any(tracker in u for u in urls) and any(tracker in line for line in requested)
    token = opened.tokens[0]
    secrets = {"credential": credential, "token": token.hex(),
               "card code": token_text(token), "card code (lowercase)": token_text(token).lower()}
    for name, value in secrets.items():
        leaks = [text for text in [*urls, *lines] if value in text or value in text.lower()]
        assert not leaks, f"the {name} appears in: {leaks}"
