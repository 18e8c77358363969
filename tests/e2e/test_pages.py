"""Every public page a delegate may open renders on a phone: no
horizontal scrolling at 360 px, no console errors, no CSP violations."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/", "/vote", "/board/", "/auth/login", "/?lang=en"])
def test_public_pages_fit_a_phone_without_errors(live_server, phone, path):
    _, base = live_server
    page = phone()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(base + path)
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert problems == []
