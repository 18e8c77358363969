"""Cast-path figures (issue: conference app): server time of one cast
request, and 200 delegates casting within a minute against gunicorn with 2
workers on PostgreSQL.

Needs PostgreSQL at VOTING_TEST_PG_URL (default the local ``test``
database's server); a fresh database is created and dropped.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select

from voting import create_app
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.election import parse_election
from voting.db import new_session
from voting.migrate import upgrade
from voting.models import Ballot

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("VOTING_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_database():
    import psycopg

    name = f"voting_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
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


def load_test(url: str, keys_dir: str, public_id: str, ballots: list[dict],
              seconds: float = 60.0) -> dict:
    """Start gunicorn (2 workers) and send each ballot at a random moment
    within ``seconds``; report latency percentiles and errors."""
    port = free_port()
    env = dict(os.environ, VOTING_ENV="production", VOTING_SECRET_KEY=secrets.token_hex(32),
               VOTING_DATABASE_URL=url, VOTING_KEYS_DIR=keys_dir,
               VOTING_PUBLIC_URL=f"http://127.0.0.1:{port}")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b",
                               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                              cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        rnd = random.Random(5)
        schedule = sorted(rnd.uniform(0, seconds) for _ in ballots)
        start = time.perf_counter()

        def send(item):
            at, ballot = item
            delay = at - (time.perf_counter() - start)
            if delay > 0:
                time.sleep(delay)
            return post(f"{base}/api/rounds/{public_id}/ballots", json.dumps(ballot).encode())

        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(send, zip(schedule, ballots, strict=True)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = sorted(ms for _, ms in results)
    return {"errors": sum(1 for status, _ in results if status != 201),
            "p50_ms": statistics.median(latencies),
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
            "max_ms": latencies[-1]}


def stored_ballots(app, round_id: int) -> int:
    with app.app_context():
        s = new_session(app)
        n = s.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id))
        s.close()
    return n


def run(units: int = 30, delegates: int = 200, single_runs: int = 15,
        seconds: float = 60.0) -> dict:
    with tempfile.TemporaryDirectory() as keys_dir, fresh_database() as url:
        app, round_id, public_id, election, tokens = prepare_round(
            url, keys_dir, units, delegates + single_runs)
        ballots = make_ballots(election, public_id, tokens)
        single = single_cast_ms(app, public_id, ballots[:single_runs])
        load = load_test(url, keys_dir, public_id, ballots[single_runs:], seconds)
        stored = stored_ballots(app, round_id)
        app.extensions["voting.engine"].dispose()
    load.update(single_cast_ms=single, stored=stored, expected=delegates + single_runs)
    return load
