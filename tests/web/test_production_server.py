"""``make serve``'s server (deploy/gunicorn.conf.py, voting/serving.py)
against the clients of venue Wi-Fi: six phones that send a cast's body one
byte a second keep no ordinary request from being answered; a client that
sends its headers and then nothing is dropped after ``keepalive`` seconds,
while the trickling ones, slow but never that long idle, are kept; a body
over the app's limit is refused by its Content-Length, unread.

The server starts as ``make serve`` starts it: the preflight and the
migrations (twice: the second run must change nothing), then gunicorn from
the same config file with 2 workers, VOTING_ENV=production, a fresh secret
and record key (VOTING_RECORD_KEY); on PostgreSQL when it is reachable
(required in CI), else on SQLite.
"""

from __future__ import annotations

import http.client
import json
import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import NoEncryption
from cryptography.hazmat.primitives.serialization import PrivateFormat

from voting import create_app
from voting.db import new_session
from voting.serving import RunningRequests
from voting.serving import WaitressWorker

from ..conftest import _pg_available
from ..conftest import IN_CI
from ..conftest import PG_ADMIN_URL
from ..factories import complete_key_ceremony
from ..factories import make_conference
from ..factories import make_open_round

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
SLOW_CLIENTS = 6
BODY_LENGTH = 2000
#: Per ordinary request: generous, since only answered or not counts.
REQUEST_TIMEOUT = 10


@contextmanager
def database(tmp: Path):
    """A fresh PostgreSQL database when the server is reachable, else SQLite."""
    if not _pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        yield f"sqlite:///{tmp / 'voting.sqlite3'}"
        return
    import psycopg

    name = f"voting_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: list[str], env: dict) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes | None = None):
    """(status, body) of one request on its own connection; raises OSError
    (TimeoutError included) when it is not answered in REQUEST_TIMEOUT."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until_ready(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/")[0] == 200:
                return
        except OSError:
            pass
        try:
            proc.wait(timeout=0.2)  # the pause between polls, and an early exit
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
    pytest.fail(f"the server did not answer within 60 s:\n{log.read_text()}")


def open_round(url: str, keys: Path, record_key: Ed25519PrivateKey) -> str:
    """An open round (signed with the installation's key, as the server's)."""
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL": url, "VOTING_KEYS_DIR": str(keys)})
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        complete_key_ceremony(s, conference)
        rnd, _ = make_open_round(s, conference, record_key)
        public_id = rnd.public_id
        s.close()
    app.extensions["voting.engine"].dispose()
    return public_id


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    keys = tmp / "keys"
    port = free_port()
    record_key = Ed25519PrivateKey.generate()
    pem = record_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    settings = runpy.run_path(str(CONFIG))
    with database(tmp) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOTING_")}
        env.update(VOTING_ENV="production", VOTING_SECRET_KEY=secrets.token_hex(32),
                   VOTING_RECORD_KEY=pem, VOTING_DATABASE_URL=url,
                   VOTING_KEYS_DIR=str(keys), VOTING_INSTANCE_PATH=str(tmp / "instance"),
                   HOST="127.0.0.1", PORT=str(port), WORKERS="2")
        run([str(ROOT / "deploy" / "preflight.py")], env)
        for _ in range(2):  # the second run finds the schema current
            assert run(["-m", "flask", "--app", "wsgi", "voting", "init-db"], env) == \
                "database is at the latest schema\n"
        round_id = open_round(url, keys, record_key)
        log = tmp / "server.log"
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(CONFIG)],
                                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        try:
            wait_until_ready(proc, port, log)
            yield SimpleNamespace(port=port, cast=f"/api/rounds/{round_id}/ballots",
                                  keepalive=settings["keepalive"], log=log)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Trickle(threading.Thread):
    """A phone on bad Wi-Fi: a cast's headers, then its body one byte a
    second until stopped (2,000 bytes would take over half an hour)."""

    def __init__(self, port: int, path: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.stop, self.error = stop, None
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT)
        self.sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Content-Type: application/json\r\n"
                          f"Content-Length: {BODY_LENGTH}\r\n\r\n ".encode())

    def run(self):
        while not self.stop.wait(1):
            try:
                self.sock.sendall(b" ")
            except OSError as exc:
                self.error = exc
                return

    def is_open(self) -> bool:
        """Neither closed nor reset by the server, nor answered."""
        self.sock.setblocking(False)
        try:
            self.sock.recv(1)  # b"": closed; anything else: answered
        except BlockingIOError:
            return self.error is None
        except OSError:
            pass  # reset
        return False


@pytest.fixture
def trickling(server):
    stop = threading.Event()
    clients = [Trickle(server.port, server.cast, stop) for _ in range(SLOW_CLIENTS)]
    for client in clients:
        client.start()
    yield clients
    stop.set()
    for client in clients:
        client.join()
        client.sock.close()


def outcome(port: int, method: str, path: str, body: bytes | None = None):
    try:
        status, reply = request(port, method, path, body)
    except OSError as exc:
        return f"not answered: {type(exc).__name__}"
    if method == "POST":
        return status, json.loads(reply)["error"]["code"]
    return status


def test_slow_bodies_keep_no_request_waiting(server, trickling):
    kinds = [("GET", "/", None), ("GET", "/board/", None),
             ("POST", server.cast, b'{"version": 1}')]
    results = [outcome(server.port, *kinds[k % 3]) for k in range(20)]
    expected = [200, 200, (422, "invalid_structure")] * 7
    assert results == expected[:20], server.log.read_text()
    assert [client.is_open() for client in trickling] == [True] * SLOW_CLIENTS


def test_a_client_silent_after_its_headers_is_dropped_and_slow_ones_are_kept(server,
                                                                           trickling):
    stalled = socket.create_connection(("127.0.0.1", server.port))
    stalled.sendall(f"POST {server.cast} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {BODY_LENGTH}"
                    "\r\n\r\n".encode())
    # Closed after ``keepalive`` s of silence; idle connections are looked
    # for every keepalive/6 s; 10 s more for a loaded machine.
    stalled.settimeout(server.keepalive * 7 / 6 + 10)
    try:
        assert stalled.recv(1) == b""
    finally:
        stalled.close()
    # Each trickling client, connected before it, has been sending for as long.
    assert [client.is_open() for client in trickling] == [True] * SLOW_CLIENTS


def test_a_body_over_the_limit_is_refused_unread(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=REQUEST_TIMEOUT) as s:
        s.sendall(f"POST {server.cast} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {1024 * 1024 + 1}"
                  "\r\n\r\n".encode())
        reply = s.makefile("rb").read()
    assert reply.split(b" ", 2)[:2] == [b"HTTP/1.1", b"413"]


@pytest.mark.parametrize(("running_for", "healthy"), [(59.0, True), (61.0, False)])
def test_a_request_running_past_the_timeout_stops_its_worker(running_for, healthy):
    worker = WaitressWorker.__new__(WaitressWorker)
    worker.cfg, worker.ppid = SimpleNamespace(timeout=60), os.getppid()
    worker.log = SimpleNamespace(info=print, critical=print)
    worker.running = SimpleNamespace(longest=lambda: running_for)
    assert worker._healthy() is healthy


def test_running_requests_names_the_oldest_call_until_it_returns():
    entered, release = threading.Event(), threading.Event()

    def app(environ, start_response):
        entered.set()
        release.wait(REQUEST_TIMEOUT)
        return [b""]

    running = RunningRequests(app)
    thread = threading.Thread(target=running, args=({}, None))
    thread.start()
    entered.wait(REQUEST_TIMEOUT)
    assert running.longest() > 0
    release.set()
    thread.join()
    assert running.longest() == 0.0
