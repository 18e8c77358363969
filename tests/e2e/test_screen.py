"""The hall screen in Chromium at the projector's sizes (1920×1080 and
1280×720): the turnout changes without a reload while ballots arrive, the
countdown runs to the closing time and the page shows the closed round
once that time has passed (the server closes it on the screen's next poll),
then the published result's bars. No console error, no CSP violation;
nothing is cut off. Screenshots: /tmp/screen_open.png,
/tmp/screen_result_1080.png, /tmp/screen_result_720.png (and /tmp/screen_closed.png,
/tmp/screen_result_30_1080.png and _720.png for 30 units)."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from datetime import UTC

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.db import new_session
from voting.models import Conference
from voting.models import Round
from voting.services import casting
from voting.services import rounds
from voting.services import tallying
from voting.services.elections import election_of

from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_conference
from ..factories import make_open_round

FULL_HD = {"width": 1920, "height": 1080}
HD = {"width": 1280, "height": 720}
#: Per ballot, per unit: a = agree, d = disagree, - = blank.
VOTES = ("aaada", "adada", "aaad-")
#: The closing time, ahead of the moment it is set: long enough for the
#: screen's 2 s polls to show the countdown first.
CLOSING_DELAY = timedelta(seconds=15)
NBSP = "\u00a0"
#: Appended to every unit's name to make them wrap on three lines or more.
LONG_NAME = (", Phòng Cảnh sát điều tra tội phạm về trật tự xã hội và"
             " Đội Cảnh sát quản lý hành chính về trật tự xã hội")
#: Report every CSP violation as a console error (which the test collects).
REPORT_CSP = """document.addEventListener('securitypolicyviolation',
  (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));"""


class Hall:
    """A conference set up through the services, as the chair would have."""

    def __init__(self, app, units: int, delegates: int, cards: int, suffix: str = ""):
        self.app = app
        with app.app_context():
            s = new_session(app)
            conference = make_conference(s, units=units, delegates=delegates)
            for unit in conference.units:
                unit.name += suffix
            self.private = complete_key_ceremony(s, conference)
            rnd, self.tokens = make_open_round(s, conference, app.config["VOTING_KEYS_DIR"],
                                               cards=cards)
            self.conference_id, self.round_id = conference.id, rnd.id
            s.close()

    def run(self, action) -> None:
        """``action(session, round, conference)`` in a session of its own."""
        with self.app.app_context():
            s = new_session(self.app)
            rnd = s.get(Round, self.round_id)
            action(s, rnd, rnd.conference)
            s.commit()
            s.close()

    def vote(self, card: int, letters: str) -> None:
        choices = [{"a": [0], "d": [1], "-": []}[letter] for letter in letters]

        def cast(s, rnd, _conference):
            ballot = encrypt_ballot(election_of(rnd), choices,
                                    derive_credential(self.tokens[card], rnd.public_id))
            casting.cast_ballot(s, rnd, ballot)
        self.run(cast)


def screen_page(browser, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    context.add_init_script(REPORT_CSP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)  # dropped polls
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return page, problems


def assert_fits(page) -> None:
    """Every part of the page lies inside the viewport: nothing cut off."""
    overflow = page.evaluate("""() => {
      const w = window.innerWidth, h = window.innerHeight;
      return [...document.querySelectorAll('.screen-page *')]
        .filter((el) => el.getClientRects().length && !el.closest('.hidden'))
        .map((el) => [el.className.baseVal ?? el.className, el.getBoundingClientRect()])
        .filter(([, r]) => r.right > w + 0.5 || r.bottom > h + 0.5 || r.left < -0.5 || r.top < -0.5)
        .map(([name, r]) => `${name} ${Math.round(r.right)}x${Math.round(r.bottom)}`);
    }""")
    assert overflow == [], overflow


def font_px(page, selector: str) -> float:
    return page.evaluate("(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)",
                         selector)


def test_the_hall_follows_a_round_from_opening_to_result(live_server, browser):
    app, base = live_server
    hall = Hall(app, units=5, delegates=6, cards=5)
    page, problems = screen_page(browser, FULL_HD)
    page.goto(f"{base}/screen/{hall.conference_id}?lang=en")
    page.wait_for_selector("body.screen-open")
    assert page.inner_text("[data-figure=cast]") == "0"
    assert page.inner_text("[data-figure=issued]") == "5"
    assert font_px(page, ".screen-title") >= 48 and font_px(page, ".screen-figures") >= 96
    page.evaluate("window.notReloaded = true")

    # Ballots arrive: the figures and the bar change in place.
    hall.vote(0, VOTES[0])
    hall.vote(1, VOTES[1])
    page.wait_for_function("() => document.querySelector('[data-figure=cast]').textContent === '2'")
    assert page.get_attribute("[data-turnout-fill]", "width") == "40.00"
    assert page.inner_text(".screen-present") == "of 5 delegates present"
    assert page.evaluate("window.notReloaded") is True

    # The chair sets a closing time: the countdown runs to it, on the server's clock.
    closes_at = datetime.now(UTC) + CLOSING_DELAY
    hall.run(lambda s, rnd, _c: rounds.set_closing_time(s, rnd, closes_at))
    page.wait_for_selector("[data-countdown]:not(.hidden)")
    page.wait_for_function(
        "() => /^00:(0\\d|1[0-5])$/.test(document.querySelector('[data-clock]').textContent)")
    assert page.inner_text("[data-closes-text]").startswith("Voting closes at ")
    assert font_px(page, ".screen-clock") >= 96
    hall.vote(2, VOTES[2])
    page.wait_for_function("() => document.querySelector('[data-figure=cast]').textContent === '3'")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path="/tmp/screen_open.png")
    assert_fits(page)

    # The network drops: the screen says so, and its countdown runs on to
    # "Closing…"; back online, its next poll closes the round (no one else
    # asks the server meanwhile) and the page shows the closed round.
    page.route("**/state.json", lambda route: route.abort())
    page.wait_for_selector("[data-offline]:not(.hidden)")
    page.wait_for_selector("[data-closing]:not(.hidden)", timeout=30_000)
    assert page.inner_text("[data-closing]") == "Closing…"
    assert page.evaluate("window.notReloaded") is True
    page.unroute("**/state.json")
    page.wait_for_selector("body.screen-closed")
    assert "Voting closed — the trustees are decrypting" in page.inner_text("main")
    assert page.inner_text("[data-figure=cast]") == "3"
    assert page.locator(".result-bar").count() == 0
    page.screenshot(path="/tmp/screen_closed.png")
    assert_fits(page)

    hall.run(lambda s, rnd, conference: decrypt_and_publish(s, conference, rnd, hall.private))
    page.wait_for_selector("body.screen-published")
    rows = page.locator(".screen-row")
    assert rows.count() == 5
    # Agree counts 3, 2, 3, 0, 2 of the 5 delegates present: more than 1/2 passes.
    assert page.locator(".row-count").all_inner_texts() == ["3/5", "2/5", "3/5", "0/5", "2/5"]
    assert page.locator(".row-percent").all_inner_texts() == [
        f"60.00{NBSP}%", f"40.00{NBSP}%", f"60.00{NBSP}%", f"0.00{NBSP}%", f"40.00{NBSP}%"]
    assert page.locator(".row-status").all_inner_texts() == [
        "✓ Passed", "✗ Not passed", "✓ Passed", "✗ Not passed", "✗ Not passed"]
    assert page.get_attribute(".result-bar-fill >> nth=0", "width") == "60.00"
    assert page.get_attribute(".result-bar-threshold >> nth=0", "x1") == "50.00"
    assert page.evaluate("document.querySelector('.screen-qr').naturalWidth") > 0
    assert re.search(r"/board/r-[0-9a-f]{16}$", page.inner_text(".screen-url"))
    page.screenshot(path="/tmp/screen_result_1080.png")
    assert_fits(page)

    small, small_problems = screen_page(browser, HD)
    small.goto(f"{base}/screen/{hall.conference_id}?lang=en")
    small.wait_for_selector("body.screen-published")
    small.wait_for_function("() => document.querySelector('.screen-qr').naturalWidth > 0")
    small.screenshot(path="/tmp/screen_result_720.png")
    assert_fits(small)
    assert problems == [] and small_problems == []


@pytest.mark.parametrize("viewport", [FULL_HD, HD], ids=["1080", "720"])
def test_thirty_units_fit_the_screen(live_server, browser, viewport):
    app, base = live_server
    hall = Hall(app, units=30, delegates=4, cards=4)
    hall.vote(0, "a" * 30)
    hall.vote(1, "ad" * 15)

    def publish(s, rnd, conference):
        rounds.close_round(s, rnd)
        decrypt_and_publish(s, conference, rnd, hall.private)
    hall.run(publish)
    page, problems = screen_page(browser, viewport)
    page.goto(f"{base}/screen/{hall.conference_id}")
    page.wait_for_selector("body.screen-published .rows-many")
    page.wait_for_function("() => document.querySelector('.screen-qr').naturalWidth > 0")
    assert page.locator(".screen-row").count() == 30
    assert page.locator(".screen-result.rows-many").count() == 1  # fits as the server chose
    page.screenshot(path=f"/tmp/screen_result_30_{viewport['height']}.png")
    assert_fits(page)
    assert problems == []


def test_rows_too_long_for_their_class_get_smaller_until_they_fit(live_server, browser):
    app, base = live_server
    hall = Hall(app, units=5, delegates=3, cards=3, suffix=LONG_NAME)

    def publish(s, rnd, _conference):
        rounds.close_round(s, rnd)
        tallying.publish_result(s, rnd)  # no ballot: nothing to decrypt
    hall.run(publish)
    page, problems = screen_page(browser, HD)
    page.goto(f"{base}/screen/{hall.conference_id}")
    page.wait_for_selector("body.screen-published")
    page.wait_for_function(
        "() => /fit-[1-5]/.test(document.querySelector('.screen-result').className)")
    assert page.locator(".screen-result.rows-large").count() == 1  # the layout is kept
    page.wait_for_function("() => document.querySelector('.screen-qr').naturalWidth > 0")
    assert_fits(page)
    assert problems == []


def test_waiting_screen_shows_the_next_round_when_it_opens(live_server, browser):
    app, base = live_server
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        complete_key_ceremony(s, conference)
        conference_id = conference.id
        s.close()
    page, problems = screen_page(browser, HD)
    page.goto(f"{base}/screen/{conference_id}?lang=en")
    assert "Waiting for the next round" in page.inner_text("main")
    with app.app_context():
        s = new_session(app)
        make_open_round(s, s.get(Conference, conference_id), app.config["VOTING_KEYS_DIR"])
        s.close()
    page.wait_for_selector("body.screen-open")
    assert page.inner_text("[data-figure=issued]") == "5"
    assert_fits(page)
    assert problems == []
