"""Verify before decrypt, in the trustee's browser: a server that serves a
doctored board or tally (here: Playwright rewriting the responses the
trustee's phone receives) is refused with a message naming the failed
check, and nothing is decrypted or sent; the honest board then decrypts."""

from __future__ import annotations

import json

from voting.crypto.hashing import canonical_json
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import tally_to_json
from voting.db import new_session
from voting.services import ceremony
from voting.services import rounds
from voting.services import tallying
from voting.services.board import board_bytes
from voting.services.elections import election_of

from ..factories import make_conference
from .test_trustee import closed_round
from .test_trustee import enrol
from .test_trustee import generate_key
from .test_trustee import PASSPHRASES
from .test_trustee import submit
from .test_trustee import watch

SLOW = 60_000


def doctored(lines: list[bytes], election, keep) -> tuple[bytes, list]:
    """The board with its tally event replaced by the sum of ``keep(ballots)``
    (the tally is the last line, so the chain still links), and that tally."""
    events = [json.loads(line) for line in lines]
    assert events[-1]["type"] == "tally"
    ballots = [e["body"]["ballot"] for e in events if e["type"] == "ballot"]
    fake = tally_to_json(tally_ballots(election, keep(ballots)))
    assert fake != events[-1]["body"]["ciphertexts"]
    events[-1]["body"]["ciphertexts"] = fake
    return b"".join(canonical_json(e) + b"\n" for e in events), fake


def tally_json_with(route, ciphertexts: list) -> None:
    """The server's tally.json, naming these ciphertexts as the tally."""
    response = route.fetch()
    body = response.json()
    body["ciphertexts"] = ciphertexts
    route.fulfill(response=response, body=json.dumps(body),
                  headers={**response.headers, "content-type": "application/json"})


def serve(page, board: bytes, ciphertexts: list) -> None:
    """The trustee's phone receives this board and a tally.json naming these ciphertexts."""
    page.route("**/board.jsonl", lambda route: route.fulfill(
        status=200, body=board, headers={"content-type": "application/x-ndjson",
                                         "cache-control": "no-store"}))
    page.route("**/tally.json", lambda route: tally_json_with(route, ciphertexts))


def test_trustee_refuses_a_doctored_tally_then_decrypts_the_honest_one(live_server, phone):
    app, base = live_server
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        tokens = ceremony.set_trustees(s, conference, ["An", "Bình", "Cường"], 2)
        conference_id = conference.id
        s.close()
    pages = {}
    for index, token in tokens.items():
        pages[index] = phone()
        enrol(pages[index], base, token, PASSPHRASES[index])
    generate_key(pages, base)
    public_id = closed_round(app, conference_id)
    with app.app_context():
        s = new_session(app)
        rnd = rounds.get_round_by_public_id(s, public_id)
        honest = board_bytes(s, rnd)
        election = election_of(rnd)
        s.close()
    lines = honest[:-1].split(b"\n")
    attacks = {
        # helios-server #170: one delegate's ballot sent as "the tally".
        "one ballot": doctored(lines, election, lambda b: b[:1]),
        "one ballot short": doctored(lines, election, lambda b: b[:-1]),
    }

    page = pages[1]
    problems, requests = watch(page)
    page.goto(f"{base}/trustee/")
    form = page.locator('form[data-action="decrypt"]')
    error = form.locator('[data-role="error"]')
    for name, (board, ciphertexts) in attacks.items():
        serve(page, board, ciphertexts)
        submit(form, PASSPHRASES[1])
        error.locator("xpath=self::*[normalize-space()]").wait_for(timeout=SLOW)
        text = error.inner_text()
        print(f"\n{name}: {text}")
        # Vietnamese (the phone's locale): "Phép kiểm tra 15 (Tổng hợp phiếu đã mã hóa) không đạt".
        assert "Phép kiểm tra 15 (Tổng hợp phiếu đã mã hóa) không đạt" in text, (name, text)
        assert "recorded tally is not the sum of the ballots" in text, (name, text)
        assert form.locator('button[type="submit"]').is_enabled()
        page.unroute("**/board.jsonl")
        page.unroute("**/tally.json")
        assert not any(url.endswith("/partial") for url, _ in requests), name
        with app.app_context():
            s = new_session(app)
            rnd = rounds.get_round_by_public_id(s, public_id)
            assert tallying.submitted_trustees(s, rnd) == []
            s.close()
        page.reload()
        form = page.locator('form[data-action="decrypt"]')
        error = form.locator('[data-role="error"]')

    # The same trustee, served the honest board, decrypts the tally recomputed
    # from it: tally.json's ciphertexts are never what is decrypted, so even
    # one still naming a single ballot leaves the partial valid for the real
    # tally (the server verifies it against the tally event before publishing).
    workers = []
    page.on("worker", lambda worker: workers.append(worker.url))
    board, one_ballot = attacks["one ballot"]
    page.route("**/tally.json", lambda route: tally_json_with(route, one_ballot))
    submit(form, PASSPHRASES[1])
    form.locator('[data-role="status"].ok-message').wait_for(timeout=SLOW)
    page.unroute("**/tally.json")
    assert workers and all(url.endswith("/static/dist/verify-worker.js") for url in workers)
    status = form.locator('[data-role="status"]').inner_text()
    assert "3 phiếu" in status, status
    took = form.get_attribute("data-verified-ms")
    print(f"\ntrustee 1 verified the board of 3 ballots in {took} ms")
    assert [url for url, _ in requests if url.endswith("/partial")] == \
        [f"{base}/trustee/rounds/{public_id}/partial"]
    with app.app_context():
        s = new_session(app)
        rnd = rounds.get_round_by_public_id(s, public_id)
        assert tallying.submitted_trustees(s, rnd) == [1]
        s.close()
    assert problems == []


def test_trustee_refuses_a_tally_of_another_election(live_server, phone):
    """A board that verifies, but a tally.json naming another public key."""
    app, base = live_server
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        tokens = ceremony.set_trustees(s, conference, ["An", "Bình"], 2)
        conference_id = conference.id
        s.close()
    pages = {i: phone() for i in tokens}
    for index, token in tokens.items():
        enrol(pages[index], base, token, PASSPHRASES[index])
    generate_key(pages, base)
    public_id = closed_round(app, conference_id)
    page = pages[2]
    problems, requests = watch(page)

    def other_key(route):
        response = route.fetch()
        body = response.json()
        body["public_key"] = body["public_share"]
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/tally.json", other_key)
    page.goto(f"{base}/trustee/")
    form = page.locator('form[data-action="decrypt"]')
    submit(form, PASSPHRASES[2])
    error = form.locator('[data-role="error"]')
    error.locator("xpath=self::*[normalize-space()]").wait_for(timeout=SLOW)
    assert "khóa công khai chung của cuộc bỏ phiếu không khớp" in error.inner_text()
    assert not any(url.endswith("/partial") for url, _ in requests)
    with app.app_context():
        s = new_session(app)
        assert tallying.submitted_trustees(s, rounds.get_round_by_public_id(s, public_id)) == []
        s.close()
    assert problems == []
