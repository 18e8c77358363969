""""Verify this round" on a phone-sized Chromium: the auditor's browser
downloads a published round's record and runs the JavaScript verifier on
it, ballots checked in Web Workers. The honest record passes all 19
checks and the page shows the fingerprint the browser recomputed; a record
doctored on its way to the phone (Playwright rewriting the download) is
declared not valid, naming the failed check."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from voting.crypto.hashing import canonical_json
from voting.db import new_session
from voting.services import rounds
from voting.services.server_key import load_server_key

from ..crypto.records import signed_lines
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_conference
from .test_trustee import closed_round
from .test_trustee import fits_360
from .test_trustee import watch

SLOW = 60_000
SCREENSHOT = "/tmp/verify-360.png"


def published_round(app) -> tuple[str, str]:
    """A round with 3 ballots, closed, decrypted and published: (public id, fingerprint)."""
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        private = complete_key_ceremony(s, conference)
        conference_id = conference.id
        s.close()
    public_id = closed_round(app, conference_id)
    with app.app_context():
        s = new_session(app)
        rnd = rounds.get_round_by_public_id(s, public_id)
        decrypt_and_publish(s, rnd.conference, rnd, private)
        s.commit()
        fingerprint = rnd.fingerprint
        s.close()
    return public_id, fingerprint


def record_members(data: bytes) -> tuple[list[bytes], bytes]:
    """(board lines without their newlines, signature.json) of a record zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        board = archive.read("board.jsonl")
        return board[:-1].split(b"\n"), archive.read("signature.json")


def zipped(lines: list[bytes], signature: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("board.jsonl", b"\n".join(lines) + b"\n")
        archive.writestr("signature.json", signature)
    return buffer.getvalue()


def backdated_opening(data: bytes, app, tmp_path) -> bytes:
    """One byte changed: the opening event's year, four years earlier (still a
    real date). Its hash changes, so the next event no longer links to it;
    the signature still names the untouched head."""
    lines, signature = record_members(data)
    event = json.loads(lines[1])
    assert event["type"] == "open"
    year = event["body"]["at"][:4]
    event["body"]["at"] = str(int(year) - 4) + event["body"]["at"][4:]
    altered = canonical_json(event)
    assert len(altered) == len(lines[1])
    assert sum(a != b for a, b in zip(altered, lines[1], strict=True)) == 1
    lines[1] = altered
    return zipped(lines, signature)


def inflated_count(data: bytes, app, tmp_path) -> bytes:
    """The result's first count raised by one and the record signed again
    with the server's own key: a server lying about the count."""
    lines, _signature = record_members(data)
    event = json.loads(lines[-1])
    assert event["type"] == "result"
    event["body"]["counts"][0][0] += 1
    lines[-1] = canonical_json(event)
    key = load_server_key(app.config["VOTING_KEYS_DIR"])
    return signed_lines(tmp_path, lines, key).read_bytes()


def serve_altered(page, app, tmp_path, alter) -> None:
    def handle(route):
        response = route.fetch()
        body = alter(response.body(), app, tmp_path)
        route.fulfill(response=response, body=body,
                      headers={**response.headers, "content-length": str(len(body))})

    page.route("**/record.zip", handle)


def run_verifier(page, base: str, public_id: str) -> str:
    """Open the verify page from the round page, press the button, wait for
    the verdict; returns its data-ok ("true", "false" or "error")."""
    page.goto(f"{base}/board/{public_id}")
    page.click("#verify-link")
    page.wait_for_url(f"**/board/{public_id}/verify")
    page.locator('#verify-round [data-role="start"]').click()
    verdict = page.locator('#verify-round [data-role="verdict"]:not(.hidden)')
    verdict.wait_for(timeout=SLOW)
    return verdict.get_attribute("data-ok")


def check_results(page) -> dict[int, tuple[str, str]]:
    """Check number -> (its class, its status text)."""
    items = page.locator("#verify-checks [data-check]")
    return {int(items.nth(i).get_attribute("data-check")):
            (items.nth(i).get_attribute("class"),
             items.nth(i).locator('[data-role="check-status"]').inner_text().strip())
            for i in range(items.count())}


def test_honest_record_passes_all_19_checks_on_a_phone(live_server, phone):
    app, base = live_server
    public_id, fingerprint = published_round(app)
    page = phone()
    problems, requests = watch(page)
    workers = []
    page.on("worker", lambda worker: workers.append(worker.url))
    assert run_verifier(page, base, public_id) == "true"
    results = check_results(page)
    assert sorted(results) == list(range(1, 20))
    assert all(cls == "check check-pass" and text == "ĐẠT" for cls, text in results.values()), \
        results
    verdict = page.locator('[data-role="verdict"]').inner_text()
    assert "HỢP LỆ" in verdict and "Cả 19 phép kiểm tra đều đạt." in verdict, verdict
    # What the browser computed, not what the server says (which is the same here).
    assert page.locator('[data-fact="fingerprint"]').inner_text() == fingerprint
    assert page.locator('[data-fact="cast"]').inner_text() == "3"
    counts = page.locator('[data-role="counts"]').inner_text()
    assert counts.count(":") == 6, counts  # 3 contests, 2 options each
    assert workers and all(url.endswith("/static/dist/verify-worker.js") for url in workers)
    assert all(request_body == "" for _url, request_body in requests)  # nothing sent back
    assert fits_360(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert problems == []


@pytest.mark.parametrize(("alter", "failed", "title"), [
    (backdated_opening, 2, "Chuỗi sự kiện của bảng công khai"),
    (inflated_count, 17, "Số phiếu theo từng lựa chọn"),
])
def test_doctored_record_fails_naming_the_check(live_server, phone, tmp_path, alter, failed,
                                                title):
    app, base = live_server
    public_id, _fingerprint = published_round(app)
    page = phone()
    problems, _requests = watch(page)
    serve_altered(page, app, tmp_path, alter)
    assert run_verifier(page, base, public_id) == "false"
    results = check_results(page)
    failing = {n for n, (cls, _text) in results.items() if cls != "check check-pass"}
    assert failed in failing, results
    assert results[failed] == ("check check-fail", "KHÔNG ĐẠT")
    details = page.locator(f'[data-check="{failed}"] [data-role="details"]').inner_text()
    assert details.strip(), "a failed check shows why"
    verdict = page.locator('[data-role="verdict"]').inner_text()
    assert "KHÔNG HỢP LỆ" in verdict, verdict
    assert f"Phép kiểm tra {failed} ({title}) không đạt." in verdict, verdict
    assert fits_360(page)
    assert problems == []


def test_without_workers_the_page_verifies_in_its_own_thread(live_server, phone):
    app, base = live_server
    public_id, fingerprint = published_round(app)
    page = phone()
    page.route("**/verify-worker.js", lambda route: route.abort())
    assert run_verifier(page, base, public_id) == "true"
    assert all(cls == "check check-pass" for cls, _text in check_results(page).values())
    assert page.locator('[data-fact="fingerprint"]').inner_text() == fingerprint
