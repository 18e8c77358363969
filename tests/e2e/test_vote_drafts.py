"""The choices being filled in survive a reload and a language switch
(voting/static/src/vote/drafts.js), on a phone-sized Chromium: the ballot
comes back with the same choices; sessionStorage holds option indices, never
the card token, its hex, or the credential; the choices are gone once the
ballot is cast, and when another card is opened on the same phone."""

from __future__ import annotations

import json

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import public_credential

from ..web.test_vote import token_text
from .test_vote import ballots
from .test_vote import card_round  # noqa: F401 - fixture
from .test_vote import public_id
from .test_vote import watch

PRESSED = ("Array.from(document.querySelectorAll('.toggle-group'), g => "
           "Array.from(g.querySelectorAll('.toggle'), b => b.getAttribute('aria-pressed')))")


def stored(page) -> dict[str, str]:
    return page.evaluate("Object.fromEntries(Object.entries(sessionStorage))")


def assert_nothing_of_the_card(kept: dict, forms: list[str]) -> None:
    for key, value in kept.items():
        for form in forms:
            assert form.lower() not in key.lower() and form.lower() not in value.lower(), (
                f"sessionStorage {key}={value} holds {form}")


def test_choices_survive_a_reload_and_a_language_switch(card_round, phone):  # noqa: F811
    app, base, round_id, tokens = card_round
    page = phone()
    problems = watch(page)
    text = token_text(tokens[0])
    rid = public_id(app, round_id)
    credential = derive_credential(tokens[0], rid)
    forms = [text, text[:13], text[13:], tokens[0].hex(), public_credential(credential).hex(),
             credential.to_bytes(32, "little").hex(), credential.to_bytes(32, "big").hex()]
    page.goto(f"{base}/vote#{text}")
    page.click(".round-vote")
    toggles = page.locator(".toggle-group")
    toggles.nth(0).locator(".toggle-agree").click()
    toggles.nth(1).locator(".toggle-disagree").click()
    assert page.evaluate(PRESSED) == [["true", "false"], ["false", "true"], ["false", "false"]]
    kept = stored(page)
    assert json.loads(kept[f"voting.choices.{rid}"]) == [[0], [1], []]
    assert kept["voting.choices-current"] == rid
    assert_nothing_of_the_card(kept, forms)

    page.reload()
    page.wait_for_selector("#screen-ballot:not(.hidden)")  # back on the ballot, not the list
    assert page.evaluate(PRESSED) == [["true", "false"], ["false", "true"], ["false", "false"]]
    assert page.locator(".contest.answered").count() == 2

    lang = page.locator(".lang a").first
    other = lang.inner_text().strip().lower()
    with page.expect_navigation():
        lang.click()
    page.wait_for_selector("#screen-ballot:not(.hidden)")
    assert page.evaluate("document.documentElement.lang") == other
    assert page.evaluate(PRESSED) == [["true", "false"], ["false", "true"], ["false", "false"]]
    toggles.nth(2).locator(".toggle-agree").click()
    assert json.loads(stored(page)[f"voting.choices.{rid}"]) == [[0], [1], [0]]
    assert_nothing_of_the_card(stored(page), forms)

    page.click("#to-review")
    page.click("#cast")
    page.wait_for_selector("#screen-receipt:not(.hidden)")
    assert [key for key in stored(page) if key.startswith("voting.choices")] == []
    assert len(ballots(app, round_id)) == 1
    assert problems == []


def test_another_card_never_finds_the_choices(card_round, phone):  # noqa: F811
    app, base, _round_id, tokens = card_round
    page = phone()
    problems = watch(page)
    rid = public_id(app, _round_id)
    page.goto(f"{base}/vote#{token_text(tokens[0])}")
    page.click(".round-vote")
    page.locator(".toggle-agree").first.click()
    assert f"voting.choices.{rid}" in stored(page)
    # Another card's link in the same tab (the address changes, the page stays).
    page.goto(f"{base}/vote#{token_text(tokens[1])}")
    page.wait_for_selector(".round-vote:not(.hidden)")
    assert [key for key in stored(page) if key.startswith("voting.choices")] == []
    page.click(".round-vote")
    assert page.locator("[aria-pressed=true]").count() == 0
    page.locator(".toggle-disagree").first.click()
    # A new arrival (a scanned card opens the page afresh in this tab): forgotten too.
    page.goto("about:blank")
    page.goto(f"{base}/vote#{token_text(tokens[2])}")
    page.wait_for_selector(".round-vote:not(.hidden)")
    assert [key for key in stored(page) if key.startswith("voting.choices")] == []
    page.click(".round-vote")
    assert page.locator("[aria-pressed=true]").count() == 0
    assert problems == []
