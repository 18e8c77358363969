"""The cards page warns when the public URL is one phones cannot reach
(the card QR codes would point to the chair's own computer)."""

from __future__ import annotations

import pytest

from voting.db import new_session
from voting.web.cards import is_unreachable_from_phones

from ..factories import make_conference

WARNING = "Phones cannot reach"


@pytest.mark.parametrize(("url", "unreachable"), [
    ("http://127.0.0.1:5000", True),
    ("http://127.8.9.10:8000", True),
    ("http://localhost:8000", True),
    ("http://LOCALHOST.:8000/", True),
    ("http://[::1]:8000", True),
    ("http://0.0.0.0:8000", True),
    ("http://[::]:8000", True),
    ("http://192.168.1.10:8000", False),
    ("https://vote.lan", False),
    ("https://vote.example", False),
    ("http://[fd00::10]:8000", False),
])
def test_unreachable_hosts(url, unreachable):
    assert is_unreachable_from_phones(url) is unreachable


@pytest.fixture
def cards_url(app):
    with app.app_context():
        s = new_session(app)
        conference_id = make_conference(s).id
        s.close()
    return f"/cards/conferences/{conference_id}"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://0.0.0.0:8000"])
def test_the_cards_page_warns_about_a_local_public_url(app, client, auth, cards_url, url):
    app.config["VOTING_PUBLIC_URL"] = url
    auth.login()
    html = client.get(cards_url).get_data(as_text=True)
    assert f"{WARNING} {url}." in html
    assert "VOTING_PUBLIC_URL=http://192.168.1.10:8000" in html


def test_no_warning_for_a_venue_address(app, client, auth, cards_url):
    assert app.config["VOTING_PUBLIC_URL"] == "https://vote.example"
    auth.login()
    page = client.get(cards_url)
    assert page.status_code == 200
    assert WARNING not in page.get_data(as_text=True)
