"""360 px phones (PHONE in conftest): the vote page's agree / disagree
buttons keep their words on one line ("Không đồng ý"), the public board's
result table stays readable (no word-per-line cells), 64-hex hashes wrap in
4-character groups, and no page is wider than the screen. Screenshots:
/tmp/phone-*.png."""

from __future__ import annotations

import re

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.db import new_session
from voting.services import cards
from voting.services import casting
from voting.services import conferences
from voting.services import rounds
from voting.services.elections import election_of
from voting.services.sample import create_sample_conference

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_cards
from ..web.test_vote import token_text
from .test_vote import watch

#: An element's text: how many lines it takes, its height and line height.
LINES = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const rects = [...range.getClientRects()].filter(r => r.width > 0);
  const style = getComputedStyle(el);
  return {lines: new Set(rects.map(r => Math.round(r.bottom))).size,
          height: range.getBoundingClientRect().height,
          lineHeight: parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2,
          text: el.innerText};
}"""
#: How wide the page is; at most the viewport's 360 px.
WIDTH = "document.scrollingElement.scrollWidth"


@pytest.fixture
def sample(live_server):
    """The sample conference's first round (8 units with long names), open
    with 4 cards: (app, base URL, round, tokens, private shares)."""
    app, base = live_server
    with app.app_context():
        s = new_session(app)
        conference = create_sample_conference(s)
        s.commit()
        private = complete_key_ceremony(s, conference)
        rnd = conferences.conference_rounds(s, conference)[0]
        tokens = make_cards(s, conference, [rnd.id], 4)
        check_in(s, conference, present=4, cards=4)
        rounds.open_round(s, rnd, app.config["VOTING_KEYS_DIR"])
        s.close()
    return app, base, rnd, tokens, private


def publish(app, rnd, tokens, private) -> None:
    """Cast a ballot per card (agree, disagree and blank mixed), close, decrypt, publish."""
    with app.app_context():
        s = new_session(app)
        rnd = rounds.get_round(s, rnd.id)
        units = len(rnd.units)
        for k, token in enumerate(tokens):
            choices = [[(k + i) % 2] if (k + i) % 3 else [] for i in range(units)]
            casting.cast_ballot(s, rnd, encrypt_ballot(election_of(rnd), choices,
                                                       derive_credential(token, rnd.public_id)))
        rounds.close_round(s, rnd)
        decrypt_and_publish(s, rnd.conference, rnd, private)
        s.close()


def test_agree_and_disagree_fit_on_one_line(sample, phone):
    _app, base, _rnd, tokens, _private = sample
    page = phone()
    problems = watch(page)
    page.goto(f"{base}/vote#{token_text(tokens[0])}")
    page.click(".round-vote")
    page.locator(".toggle-disagree").first.click()  # the ✓ makes it wider
    page.locator(".toggle-agree").nth(1).click()
    page.screenshot(path="/tmp/phone-vote.png", full_page=True)
    toggles = page.locator(".toggle")
    assert toggles.count() == 16
    for k in range(toggles.count()):
        box = toggles.nth(k).evaluate(LINES)
        assert box["text"].strip() in ("Đồng ý", "Không đồng ý")
        assert box["lines"] == 1 and box["height"] <= 1.5 * box["lineHeight"], box
        # the words stay inside their button
        assert toggles.nth(k).evaluate("b => b.scrollWidth <= b.clientWidth"), box
    assert page.evaluate(WIDTH) <= 360
    assert problems == []


def test_the_card_code_fits_the_field(sample, phone):
    _app, base, _rnd, tokens, _private = sample
    page = phone()
    page.goto(f"{base}/vote")
    field = page.locator("#code-input")
    placeholder = field.get_attribute("placeholder")
    assert placeholder == "XXXXX-XXXXX-XXXXX-XXXXX-XXXXXX"
    for text in (placeholder, cards.format_manual_code(token_text(tokens[0]))):
        field.fill(text)
        assert field.evaluate("f => f.scrollWidth <= f.clientWidth"), text  # all of it shows
    page.screenshot(path="/tmp/phone-code.png")
    page.click("#code-form button")
    page.wait_for_selector(".round-vote:not(.hidden)")
    assert page.evaluate(WIDTH) <= 360


def test_the_board_reads_on_a_phone(sample, phone):
    app, base, rnd, tokens, private = sample
    publish(app, rnd, tokens, private)
    page = phone()
    problems = watch(page)
    page.goto(f"{base}/board/{rnd.public_id}")
    page.screenshot(path="/tmp/phone-board.png", full_page=True)
    page.locator("dl.facts").screenshot(path="/tmp/phone-board-facts.png")
    page.locator("table.outcomes").screenshot(path="/tmp/phone-board-result.png")
    page.locator("table.counts").screenshot(path="/tmp/phone-board-counts.png")
    assert page.evaluate(WIDTH) <= 360
    assert page.locator("table.outcomes tbody tr:not(.outcome-bar-row)").count() == 8
    cells = page.locator("table.outcomes th, table.outcomes tbody tr:not(.outcome-bar-row) td, "
                         "table.counts th, table.counts td")
    assert cells.count() == 4 + 8 * 4 + 8 * 2
    for k in range(cells.count()):
        box = cells.nth(k).evaluate(LINES)
        words = len(box["text"].split())
        # never one word a line: a cell of several words takes at most half as many lines
        assert words < 3 or box["lines"] <= words / 2, box
    # each candidate's name on a line of its own, above its three figures
    name, votes = (page.locator("table.outcomes tbody tr").first.locator("td").nth(k)
                   .bounding_box() for k in (0, 1))
    assert name["width"] > 280 and votes["y"] >= name["y"] + name["height"] - 1
    page.locator("table.events").screenshot(path="/tmp/phone-board-events.png")
    for hash_line in page.locator("table.events .hash").all()[:12]:
        assert hash_line.evaluate(LINES)["lines"] == 1
        assert re.search(r"[0-9a-f]{64}$", hash_line.inner_text())  # all of it, cut on screen
        assert re.fullmatch(r"[0-9a-f]{64}", hash_line.get_attribute("title"))
    # 64-hex hashes: in 4-character groups, at most 3 lines on a 360 px phone, full value kept
    for selector in ("#fingerprint", "#head-hash"):
        hash_box = page.locator(selector)
        text = hash_box.inner_text()
        assert re.fullmatch(r"([0-9a-f]{4}\s){15}[0-9a-f]{4}", text.strip()), text
        box = hash_box.evaluate(LINES)
        assert box["lines"] <= 3, box
    assert page.evaluate("document.getElementById('fingerprint').dataset.full") == rnd.fingerprint
    assert problems == []
