"""The delegate's whole vote on a phone-sized Chromium: from the card link
or the typed code to the receipt, a network drop and a byte-identical
retry; the card token never leaves the phone."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import public_credential
from voting.crypto.ballot import short_tracker
from voting.db import new_session
from voting.models import Ballot
from voting.models import Conference
from voting.models import Round
from voting.services import client_bundle
from voting.services import rounds

from ..factories import complete_key_ceremony
from ..factories import make_cards
from ..factories import make_conference
from ..factories import make_open_round
from ..web.test_vote import token_text


@pytest.fixture
def card_round(live_server):
    """An open 3-unit agree/disagree round with 3 cards on the live server:
    (app, base URL, round id, tokens)."""
    app, base = live_server
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        complete_key_ceremony(s, conference)
        rnd, tokens = make_open_round(s, conference, app.config["VOTING_KEYS_DIR"], cards=3)
        round_id = rnd.id
        s.close()
    return app, base, round_id, tokens


def ballots(app, round_id: int) -> list[Ballot]:
    with app.app_context():
        s = new_session(app)
        rows = list(s.scalars(select(Ballot).where(Ballot.round_id == round_id)))
        s.close()
    return rows


def public_id(app, round_id: int) -> str:
    with app.app_context():
        s = new_session(app)
        value = s.get(Round, round_id).public_id
        s.close()
    return value


def watch(page) -> list[str]:
    """JavaScript errors and CSP violations (resource errors such as the
    simulated network drop are expected)."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error"
            and not msg.text.startswith("Failed to load resource") else None)
    return problems


def assert_fits_360(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide at a 360px viewport"


def test_a_delegate_votes_from_the_card_link(card_round, phone):
    app, base, round_id, tokens = card_round
    page = phone()
    problems = watch(page)
    text = token_text(tokens[0])
    typed = f"{text[:13]}-{text[13:].lower()}"
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url + (req.post_data or "")))
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    page.goto(f"{base}/vote#{typed}")
    page.wait_for_selector(".round-vote:not(.hidden)")
    # Switching language keeps the card, in the fragment only.
    assert page.get_attribute(".lang a", "href").endswith(f"#{typed}")
    page.click(".round-vote")
    toggles = page.locator(".toggle-group")
    assert toggles.count() == 3
    assert_fits_360(page)
    toggles.nth(0).locator(".toggle-agree").click()
    toggles.nth(1).locator(".toggle-agree").click()
    toggles.nth(1).locator(".toggle-disagree").click()   # changes the choice
    toggles.nth(2).locator(".toggle-agree").click()
    toggles.nth(2).locator(".toggle-agree").click()      # tapping again leaves it blank
    assert toggles.nth(2).locator("[aria-pressed=true]").count() == 0
    page.click("#to-review")
    assert page.locator("#review-list li").count() == 3
    assert page.locator("#review-list li.blank").count() == 1
    page.click("#cast")
    page.wait_for_selector("#screen-receipt:not(.hidden)")
    assert_fits_360(page)
    short, full = page.inner_text("#receipt-short"), page.inner_text("#receipt-full")
    [stored] = ballots(app, round_id)
    assert full == stored.tracker and short == short_tracker(bytes.fromhex(full))
    page.wait_for_function("document.getElementById('receipt-qr').naturalWidth > 0")
    # The receipt names the code that encrypted the ballot: the round's ballot client.
    named = page.inner_text("#receipt-client").replace(" ", "")
    assert named == client_bundle.sha256_hex() and len(named) == 64
    for token_form in (tokens[0].hex(), text, text.lower(), text[:13], text[13:].lower()):
        assert not any(token_form in url for url in requests), "the token left the phone"
    # Back on the list, the round shows the receipt and no longer offers a vote.
    page.click("#receipt-back")
    page.wait_for_selector(".round-voted")
    assert page.inner_text(".round-tracker") == short
    assert page.locator(".round-vote:not(.hidden)").count() == 0
    # The credential is public but travels only in POST bodies, never in a
    # URL that an access log would record with the phone's address.
    credential = public_credential(derive_credential(tokens[0], public_id(app, round_id))).hex()
    assert not any(credential in url for url in urls), "a URL carries the credential"
    assert sum(url.endswith("/credential-status") for url in urls) >= 2
    assert problems == []


def test_typed_code_network_drop_and_retry(card_round, phone):
    app, base, round_id, tokens = card_round
    page = phone()
    problems = watch(page)
    page.goto(f"{base}/vote")
    page.fill("#code-input", "not a code")
    page.click("#code-form button")
    assert page.is_visible("#code-error")
    page.fill("#code-input", token_text(tokens[1]).lower())
    page.click("#code-form button")
    page.click(".round-vote")
    page.locator(".toggle-disagree").first.click()
    page.click("#to-review")
    page.route("**/ballots", lambda route: route.abort("internetdisconnected"))
    page.click("#cast")
    page.wait_for_selector("#screen-problem:not(.hidden)")
    assert page.is_visible("#retry")
    assert ballots(app, round_id) == []
    kept = page.evaluate("Object.entries(sessionStorage)"
                         ".filter(([key]) => key.startsWith('voting.pending.')).map(([, v]) => v)")
    assert len(kept) == 1
    page.unroute("**/ballots")
    sent: list[str] = []
    page.on("request",
            lambda req: sent.append(req.post_data or "") if req.method == "POST" else None)
    page.click("#retry")
    page.wait_for_selector("#screen-receipt:not(.hidden)")
    assert sent == kept, "Retry must send exactly the kept bytes"
    assert page.evaluate("sessionStorage.length") == 0
    assert len(ballots(app, round_id)) == 1
    assert problems == []


def test_a_choose_round_enforces_at_most_k(card_round, phone):
    app, base, _round_id, _tokens = card_round
    with app.app_context():
        s = new_session(app)
        conference = s.scalar(select(Conference))
        flag = rounds.create_round(s, conference, "flag", "Suy tôn Cờ thi đua")
        rounds.update_rule(s, flag, kind=flag.kind, max_choices=2, comparator=">", num=1,
                           den=2, base="cast", quota=1)
        [token] = make_cards(s, conference, [flag.id], 1)
        rounds.open_round(s, flag, app.config["VOTING_KEYS_DIR"])
        flag_id = flag.id
        s.close()
    page = phone()
    problems = watch(page)
    page.goto(f"{base}/vote#{token_text(token)}")
    page.click(".round-vote")
    boxes = page.locator(".check input")
    assert boxes.count() == 3
    page.locator(".check").nth(0).click()
    page.locator(".check").nth(2).click()
    assert boxes.nth(1).is_disabled()            # k = 2 reached
    page.locator(".check").nth(2).click()        # untick one: the others are free again
    assert not boxes.nth(1).is_disabled()
    page.locator(".check").nth(1).click()
    page.click("#to-review")
    assert page.locator("#review-list li").count() == 2
    page.click("#cast")
    page.wait_for_selector("#screen-receipt:not(.hidden)")
    with app.app_context():
        s = new_session(app)
        assert s.scalar(select(func.count()).select_from(Ballot)
                        .where(Ballot.round_id == flag_id)) == 1
        s.close()
    assert problems == []
