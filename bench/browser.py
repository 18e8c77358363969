"""Figures measured in Debian's headless Chromium (Playwright, as the e2e
tests drive it) on the real app served on localhost:

- the distributed key generation, 5 trustees with threshold 3, each in
  their own phone-sized context with 4× CPU throttling: each browser step
  (commit, reveal, confirm) as the trustee page measures it (User Timing
  "voting:<step>"), and the passphrase's scrypt stretch separately;
- the JavaScript verifier on the verify page of the public board, run on a
  simulated 200-ballot record of 30 per-unit contests (served in place of
  the round's record), with Node's and voting-verify's times on the same
  record.

The set-up reuses the test factories (tests/factories.py): the bench is a
developer tool run from a checkout.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from voting import create_app
from voting import simulate
from voting.crypto import envelope
from voting.db import new_session
from voting.migrate import upgrade
from voting.services import ceremony

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
#: Reports each of the trustee page's User Timing measures on the console,
#: which outlives the reload that ends the ceremony.
OBSERVE = """new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.name.startsWith('voting:')) console.debug(`${e.name} ${e.duration}`);
  }
}).observe({ type: 'measure' });"""
PASSPHRASE = "bench trustee passphrase {index}"


class LiveApp:
    """The app on SQLite in a temporary directory, served in a thread."""

    def __init__(self, tmp: Path):
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)   # no line per request
        (tmp / "keys").mkdir()
        self.server = make_server("127.0.0.1", 0, None, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.app = create_app({"VOTING_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
                               "VOTING_KEYS_DIR": str(tmp / "keys"),
                               "VOTING_PUBLIC_URL": self.base, "RATELIMIT_ENABLED": False})
        upgrade(self.app)
        self.server.app = self.app
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def session(self):
        return new_session(self.app)

    def close(self) -> None:
        self.server.shutdown()
        self.app.extensions["voting.engine"].dispose()


def key_generation(browser, live: LiveApp, trustees: int = 5, threshold: int = 3) -> dict:
    """One ceremony: each trustee's steps in ms, per step the worst trustee."""
    from tests.factories import make_conference

    with live.app.app_context():
        s = live.session()
        conference = make_conference(s)
        tokens = ceremony.set_trustees(s, conference, [f"T{i}" for i in range(1, trustees + 1)],
                                       threshold)
        for index, token in tokens.items():   # enrolled as the browser would from the passphrase
            salt = secrets.token_bytes(32)
            seed = envelope.derive_seed(PASSPHRASE.format(index=index), salt)
            ceremony.enrol(s, ceremony.trustee_by_token(s, token),
                           envelope.public_key(seed).hex(), salt.hex())
        s.close()
    measures: dict[str, list[float]] = {}
    pages = []
    for index, token in tokens.items():
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.add_init_script(OBSERVE)
        page.on("console", lambda m: _record(measures, m.text))
        page.goto(f"{live.base}/trustee/enrol#{token}")
        page.locator("#enrol-form:not(.hidden)").wait_for()     # the session is open
        page.goto(f"{live.base}/trustee/")
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
        pages.append((index, page))
    for index, page in pages:
        form = page.locator('form[data-action="ceremony"]')
        form.locator('input[name="passphrase"]').fill(PASSPHRASE.format(index=index))
        form.locator('button[type="submit"]').click()
    for _, page in pages:
        page.locator('form[data-action="check-share"]').wait_for()
    for _, page in pages:
        page.context.close()
    return {name: max(values) for name, values in measures.items()}


def _record(measures: dict, text: str) -> None:
    name, _, value = text.partition(" ")
    if name.startswith("voting:"):
        measures.setdefault(name[len("voting:"):], []).append(float(value))


def verifier(browser, live: LiveApp, record: Path) -> float:
    """Seconds from "Verify" to the verdict, on a published round's verify
    page whose record download is answered with ``record``."""
    from tests.factories import complete_key_ceremony
    from tests.factories import decrypt_and_publish
    from tests.factories import make_conference
    from tests.factories import make_open_round
    from voting.crypto.ballot import derive_credential
    from voting.crypto.ballot import encrypt_ballot
    from voting.services import casting
    from voting.services import rounds
    from voting.services.elections import election_of

    with live.app.app_context():
        s = live.session()
        conference = make_conference(s)
        private = complete_key_ceremony(s, conference)
        rnd, tokens = make_open_round(s, conference, live.app.config["VOTING_KEYS_DIR"],
                                      cards=1)
        casting.cast_ballot(s, rnd, encrypt_ballot(election_of(rnd), [[0]] * len(rnd.candidates),
                                                   derive_credential(tokens[0], rnd.public_id)))
        rounds.close_round(s, rnd)
        decrypt_and_publish(s, conference, rnd, private)
        s.commit()
        public_id = rnd.public_id
        s.close()
    body = record.read_bytes()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.route("**/record.zip", lambda route: route.fulfill(
        body=body, headers={"content-type": "application/zip"}))
    page.goto(f"{live.base}/board/{public_id}/verify")
    started = time.perf_counter()
    page.locator('#verify-round [data-role="start"]').click()
    verdict = page.locator('#verify-round [data-role="verdict"]:not(.hidden)')
    verdict.wait_for(timeout=600_000)
    elapsed = time.perf_counter() - started
    ok = verdict.get_attribute("data-ok")
    context.close()
    if ok != "true":
        raise SystemExit(f"the simulated record did not verify in Chromium ({ok})")
    return elapsed


def timed_command(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def run(runs: int = 3, ballots: int = 200, units: int = 30) -> dict | str:
    """The figures (medians of ``runs``), or why they were skipped."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: the playwright package is not installed"
    if CHROMIUM is None:
        return "skipped: Debian's chromium is not installed"
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        tmp = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        live = LiveApp(tmp)
        try:
            steps = [key_generation(browser, live) for _ in range(runs)]
            out["keygen_ms"] = {k: statistics.median(s[k] for s in steps) for k in steps[0]}
            record = tmp / "record.zip"
            simulate.simulate(ballots=ballots, units=units, trustees=5, threshold=3, out=record,
                              workers=2, flag=False)
            out["chromium_s"] = statistics.median(verifier(browser, live, record)
                                                  for _ in range(runs))
        finally:
            live.close()
            browser.close()
        node = shutil.which("node")
        out["node_s"] = (statistics.median(
            timed_command([node, "voting/static/src/verifier/cli.js", str(record)])
            for _ in range(runs)) if node else None)
        out["python_s"] = statistics.median(
            timed_command([sys.executable, "-m", "voting.verify", "--quiet", str(record)])
            for _ in range(runs))
    return out
