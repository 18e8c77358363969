"""The trustee's whole part on a phone-sized Chromium: enrol from the
invitation link, make the key with the other trustees' browsers (PROTOCOL
§4.5), come back on another device, check the share, decrypt a closed
round; the passphrase never leaves the browser and the token never enters
a URL."""

from __future__ import annotations

import json
import time

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.db import new_session
from voting.models import Conference
from voting.services import casting
from voting.services import ceremony
from voting.services import rounds
from voting.services import tallying
from voting.services.elections import election_of

from ..factories import make_conference
from ..factories import make_open_round

PASSPHRASES = {1: "một hai ba bốn năm sáu", 2: "second trustee passphrase",
               3: "ba con mèo trèo cây cau"}
CHOICES = [[[0], [0], [1]], [[0], [1], []], [[1], [0], [0]]]


def watch(page) -> tuple[list[str], list[tuple[str, str]]]:
    """(console errors and CSP violations, every request's URL and body)."""
    problems: list[str] = []
    requests: list[tuple[str, str]] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append((r.url, r.post_data or "")))
    return problems, requests


def fits_360(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def enrol(page, base: str, token: str, passphrase: str) -> None:
    page.goto(f"{base}/trustee/enrol#{token}")
    page.locator("#enrol-form:not(.hidden)").wait_for()
    assert "#" not in page.url  # the token is dropped from the address bar
    assert fits_360(page)
    page.fill("#passphrase", passphrase)
    page.fill("#passphrase-again", passphrase)
    page.click("#enrol-submit")
    page.locator("#enrol-done:not(.hidden)").wait_for()


def submit(form, passphrase: str) -> None:
    form.locator('input[name="passphrase"]').fill(passphrase)
    form.locator('button[type="submit"]').click()


def generate_key(pages: dict, base: str, passphrases: dict = PASSPHRASES) -> None:
    """Every trustee starts the key generation on their home page; returns
    when each page has reloaded with the key made."""
    for index, page in pages.items():
        page.goto(f"{base}/trustee/")
        submit(page.locator('form[data-action="ceremony"]'), passphrases[index])
    for page in pages.values():
        page.locator('form[data-action="check-share"]').wait_for(timeout=60_000)


def closed_round(app, conference_id: int) -> str:
    with app.app_context():
        s = new_session(app)
        rnd, tokens = make_open_round(s, s.get(Conference, conference_id),
                                      app.config["VOTING_KEYS_DIR"], cards=3)
        for token, choice in zip(tokens, CHOICES, strict=True):
            casting.cast_ballot(s, rnd, encrypt_ballot(election_of(rnd), choice,
                                                       derive_credential(token, rnd.public_id)))
        rounds.close_round(s, rnd)
        public_id = rnd.public_id
        s.close()
    return public_id


def wait_for_phase(app, conference_id: int, index: int, phase: str) -> None:
    """Until trustee ``index`` has reached ``phase`` (read from the database)."""
    for _ in range(300):
        with app.app_context():
            s = new_session(app)
            trustee = s.get(Conference, conference_id).trustees[index - 1]
            reached = ceremony.trustee_phase(trustee)
            s.close()
        if reached == phase:
            return
        time.sleep(0.1)
    raise AssertionError(f"trustee {index} is still {reached}")


def test_trustees_enrol_check_and_decrypt_on_phones(live_server, phone):
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
        pages[index].watched = watch(pages[index])
        enrol(pages[index], base, token, PASSPHRASES[index])
    # Trustee 2 starts on one phone, which is then lost mid-ceremony: a new
    # phone continues from the server's state with the passphrase alone.
    pages[2].goto(f"{base}/trustee/")
    submit(pages[2].locator('form[data-action="ceremony"]'), PASSPHRASES[2])
    pages[1].goto(f"{base}/trustee/")
    submit(pages[1].locator('form[data-action="ceremony"]'), PASSPHRASES[1])
    wait_for_phase(app, conference_id, 2, "committed")
    pages[2].context.close()
    pages[2] = phone()
    pages[2].watched = watch(pages[2])
    pages[2].goto(f"{base}/trustee/enrol#{tokens[2]}")
    pages[2].wait_for_url(f"{base}/trustee/")
    wrong = pages[2].locator('form[data-action="ceremony"]')
    submit(wrong, PASSPHRASES[3])
    wrong.locator('[data-role="error"]:not(:empty)').wait_for()
    # Trustee 3's commit reaches the server but the answer is lost: the page
    # posts the same commitment again, which the server accepts.
    dropped = []

    def drop_the_answer(route):
        if dropped:
            route.continue_()
            return
        dropped.append(route.fetch().status)
        route.abort()

    pages[3].route("**/trustee/ceremony/commit", drop_the_answer)
    generate_key({2: pages[2], 3: pages[3]}, base)
    assert dropped == [200]
    pages[1].locator('form[data-action="check-share"]').wait_for(timeout=60_000)
    with app.app_context():
        s = new_session(app)
        conference = s.get(Conference, conference_id)
        assert conference.key_ceremony == "distributed"
        assert len(json.loads(conference.dealers_json)) == 3
        assert all(t.share_checked_at is not None for t in conference.trustees)
        s.close()

    page = pages[1]
    page.goto(f"{base}/trustee/")
    form = page.locator('form[data-action="check-share"]')
    submit(form, PASSPHRASES[2])
    form.locator('[data-role="error"]:not(:empty)').wait_for()
    submit(form, PASSPHRASES[1])
    form.locator('[data-role="status"].ok-message').wait_for()
    assert fits_360(page)

    public_id = closed_round(app, conference_id)
    # Trustee 3 comes back on another phone with the invitation link.
    pages[3] = phone()
    pages[3].watched = watch(pages[3])
    pages[3].goto(f"{base}/trustee/enrol#{tokens[3]}")
    pages[3].wait_for_url(f"{base}/trustee/")
    for index in (1, 3):
        page = pages[index]
        page.goto(f"{base}/trustee/")
        form = page.locator('form[data-action="decrypt"]')
        submit(form, PASSPHRASES[index])
        form.locator('[data-role="status"].ok-message').wait_for(timeout=60_000)
        assert fits_360(page)
    with app.app_context():
        s = new_session(app)
        rnd = rounds.get_round_by_public_id(s, public_id)
        assert tallying.submitted_trustees(s, rnd) == [1, 3]
        assert tallying.publish_result(s, rnd)["counts"] == [[2, 1], [2, 1], [1, 1]]
        assert s.get(Conference, conference_id).trustees[0].share_checked_at is not None
        s.close()

    for index, page in pages.items():
        problems, requests = page.watched
        if index == 3:  # the one answer dropped on purpose
            problems = [p for p in problems if "ERR_FAILED" not in p]
        assert problems == []
        assert not any(tokens[index] in url for url, _ in requests)
        assert [url for url, body in requests if tokens[index] in body] == [
            f"{base}/trustee/session"]
        assert not any(PASSPHRASES[index] in url + body for url, body in requests)
