"""Cast-path figures (issue: conference app): server time of one cast
request, and 200 delegates casting within a minute against the production
server exactly as ``make serve`` runs it (deploy/gunicorn.conf.py, 2
workers), while six phones on bad Wi-Fi send a cast's body one byte a
second; then the ballots stored are compared with the ballots sent.

On PostgreSQL at VOTING_TEST_PG_URL (default the local ``test`` database's
server) when it is reachable, a fresh database created and dropped; else on
a SQLite file, and the figures say so.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from voting import create_app
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.election import parse_election
from voting.db import new_session
from voting.migrate import upgrade
from voting.models import Ballot

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
PG_ADMIN_URL = os.environ.get("VOTING_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SLOW_CLIENTS = 6


@contextmanager
def fresh_database(tmp: str):
    """(URL, name of the database engine): PostgreSQL if reachable, else SQLite."""
    import psycopg

    name = f"voting_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=2) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        yield f"sqlite:///{tmp}/bench.sqlite3", "SQLite (PostgreSQL not reachable)"
        return
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}", "PostgreSQL"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_round(url: str, keys_dir: str, units: int, cards: int):
    """A keyed conference with an open per-unit round and ``cards`` cards."""
    sys.path.insert(0, str(ROOT))
    from tests.factories import complete_key_ceremony
    from tests.factories import make_conference
    from tests.factories import make_open_round

    app = create_app({"VOTING_DATABASE_URL": url, "VOTING_KEYS_DIR": keys_dir})
    upgrade(app)
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s, units=units, delegates=cards)
        complete_key_ceremony(s, conference)
        rnd, tokens = make_open_round(s, conference, keys_dir, cards=cards)
        result = (app, rnd.id, rnd.public_id, json.loads(rnd.election_json), tokens)
        s.close()
    return result


_ELECTION = {}


def _init(election_obj):
    _ELECTION["e"] = parse_election(election_obj)


def _ballot(args):
    token, public_id, seed = args
    election = _ELECTION["e"]
    rnd = random.Random(seed)
    choices = [[rnd.choice([0, 0, 1])] if rnd.random() > 0.1 else [] for _ in
               election.manifest.contests]
    return encrypt_ballot(election, choices, derive_credential(token, public_id))


def make_ballots(election_obj, public_id, tokens) -> list[dict]:
    with ProcessPoolExecutor(os.cpu_count() or 1, initializer=_init,
                             initargs=(election_obj,)) as pool:
        return list(pool.map(_ballot, [(t, public_id, k) for k, t in enumerate(tokens)],
                             chunksize=8))


def post(url: str, body: bytes) -> tuple[int, float]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:  # not answered (timeout, reset): an error, counted as such
        status = 0
    return status, (time.perf_counter() - start) * 1000


def single_cast_ms(app, public_id: str, ballots: list[dict]) -> float:
    """Median time of the cast view in-process (Flask test client)."""
    client = app.test_client()
    times = []
    for ballot in ballots:
        body = json.dumps(ballot).encode()
        start = time.perf_counter()
        response = client.post(f"/api/rounds/{public_id}/ballots", data=body,
                               content_type="application/json")
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 201:
            raise SystemExit(f"cast failed: {response.status_code} {response.get_data()[:300]}")
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Trickle(threading.Thread):
    """A phone on bad Wi-Fi: a cast's headers, then its 2,000-byte body one
    byte a second (it never finishes within the run)."""

    def __init__(self, port: int, path: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.stop, self.dropped = stop, False
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nContent-Length: 2000\r\n\r\n "
                          .encode())

    def run(self):
        with self.sock:
            while not self.stop.wait(1):
                try:
                    self.sock.sendall(b" ")
                except OSError:
                    self.dropped = True
                    return


def start_server(env: dict, port: int, log) -> subprocess.Popen:
    """``make serve``'s gunicorn, from its config file; returns once it answers."""
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(CONFIG)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.1)
    stop_server(server)
    log.seek(0)
    raise RuntimeError(f"the server did not start:\n{log.read().decode()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def load_test(url: str, keys_dir: str, public_id: str, ballots: list[dict],
              seconds: float = 60.0) -> dict:
    """Start the production server (2 workers) and six trickling clients,
    then send each ballot at a random moment within ``seconds``; report
    latency percentiles, errors, and the slow clients the server dropped."""
    port = free_port()
    env = dict(os.environ, VOTING_ENV="production", VOTING_SECRET_KEY=secrets.token_hex(32),
               VOTING_DATABASE_URL=url, VOTING_KEYS_DIR=keys_dir,
               VOTING_PUBLIC_URL=f"http://127.0.0.1:{port}", HOST="127.0.0.1",
               PORT=str(port), WORKERS="2", LOG_LEVEL="warning")
    path = f"/api/rounds/{public_id}/ballots"
    stop = threading.Event()
    with tempfile.TemporaryFile() as log:
        server, slow = start_server(env, port, log), []
        try:
            slow = [Trickle(port, path, stop) for _ in range(SLOW_CLIENTS)]
            for client in slow:
                client.start()
            results = send_all(f"http://127.0.0.1:{port}{path}", ballots, seconds)
        finally:
            stop.set()
            for client in slow:
                client.join()  # closed: a stopping server waits for requests begun
            stop_server(server)
    latencies = sorted(ms for _, ms in results)
    return {"errors": sum(1 for status, _ in results if status != 201),
            "p50_ms": statistics.median(latencies),
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
            "max_ms": latencies[-1],
            "slow_dropped": sum(client.dropped for client in slow)}


def send_all(url: str, ballots: list[dict], seconds: float) -> list[tuple[int, float]]:
    """Each ballot at a random moment within ``seconds``: (status, ms) each."""
    rnd = random.Random(5)
    schedule = sorted(rnd.uniform(0, seconds) for _ in ballots)
    start = time.perf_counter()

    def send(item):
        at, ballot = item
        delay = at - (time.perf_counter() - start)
        if delay > 0:
            time.sleep(delay)
        return post(url, json.dumps(ballot).encode())

    with ThreadPoolExecutor(32) as pool:
        return list(pool.map(send, zip(schedule, ballots, strict=True)))


def stored_credentials(app, round_id: int) -> list[str]:
    with app.app_context():
        s = new_session(app)
        stored = list(s.scalars(select(Ballot.credential).where(Ballot.round_id == round_id)))
        s.close()
    return stored


def run(units: int = 30, delegates: int = 200, single_runs: int = 15,
        seconds: float = 60.0) -> dict:
    with tempfile.TemporaryDirectory() as keys_dir, fresh_database(keys_dir) as (url, engine):
        app, round_id, public_id, election, tokens = prepare_round(
            url, keys_dir, units, delegates + single_runs)
        ballots = make_ballots(election, public_id, tokens)
        single = single_cast_ms(app, public_id, ballots[:single_runs])
        load = load_test(url, keys_dir, public_id, ballots[single_runs:], seconds)
        stored = stored_credentials(app, round_id)
        app.extensions["voting.engine"].dispose()
    sent = {ballot["credential"] for ballot in ballots}
    load.update(single_cast_ms=single, database=engine, stored=len(stored), expected=len(sent),
                lost=len(sent - set(stored)),
                doubled=len(stored) - len(set(stored)) + len(set(stored) - sent))
    return load
