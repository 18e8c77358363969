"""The cards pages: who may see and do what, the one-time sheet download,
revoking from the form, and nothing inline for the strict CSP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from voting.db import new_session
from voting.models import Card
from voting.models import Role
from voting.services import cards
from voting.services import conferences
from voting.services import rounds

from ..factories import make_conference
from .test_card_sheet import assert_self_contained

INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.I)


@pytest.fixture
def conference_ids(app):
    """A conference with two draft rounds: (conference id, [round ids])."""
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        made = [rounds.create_round(s, conference, "advanced", f"Vòng {i}") for i in (1, 2)]
        ids = conference.id, [r.id for r in made]
        s.close()
    return ids


def _csrf(page) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)">',
                     page.get_data(as_text=True)).group(1)


def _cards(app, conference_id):
    with app.app_context():
        s = new_session(app)
        rows = s.execute(select(Card.serial, Card.is_spare, Card.is_revoked)
                         .where(Card.conference_id == conference_id).order_by(Card.serial)).all()
        s.close()
    return [tuple(r) for r in rows]


def test_page_needs_staff_and_shows_forms_to_the_chair_only(client, auth, conference_ids):
    conference_id, round_ids = conference_ids
    url = f"/cards/conferences/{conference_id}"
    assert client.get(url).status_code == 302  # to the login page
    auth.login("auditor", Role.AUDITOR)
    page = client.get(url)
    assert page.status_code == 200
    assert "/issue" not in page.get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": _csrf(page)})
    auth.login()
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and not INLINE.search(html)
    assert "css/cards.css" in html
    for round_id in round_ids:
        assert re.search(rf'<input checked id="rounds-\d" name="rounds" type="checkbox" '
                         rf'value="{round_id}">', html)
    assert "downloaded only once" in html
    assert client.get("/cards/conferences/999").status_code == 404


def test_only_the_chair_issues(client, auth, app, conference_ids):
    conference_id, round_ids = conference_ids
    auth.login("auditor", Role.AUDITOR)
    page = client.get(f"/cards/conferences/{conference_id}")
    response = client.post(f"/cards/conferences/{conference_id}/issue", data={
        "csrf_token": _csrf(page), "count": 2, "spares": 0, "rounds": round_ids})
    assert response.status_code == 403
    assert _cards(app, conference_id) == []


def test_issue_returns_the_sheet_once_as_a_download(client, auth, app, conference_ids):
    conference_id, round_ids = conference_ids
    auth.login()
    page = client.get(f"/cards/conferences/{conference_id}")
    response = client.post(f"/cards/conferences/{conference_id}/issue", data={
        "csrf_token": _csrf(page), "count": 3, "spares": 1, "rounds": round_ids})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        f"attachment; filename=ballot-cards-{conference_id}-1-4.html"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/html"
    sheet = response.get_data(as_text=True)
    assert_self_contained(sheet, response.headers["Content-Security-Policy"])
    assert sheet.count("<article") == 4 and "Vòng 1 · Vòng 2" in sheet
    codes = re.findall(r"[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3}-[0-9A-Z]{6}", sheet)
    assert len(set(codes)) == 4
    assert all(len(cards.decode_token(code)) == 16 for code in codes)
    assert _cards(app, conference_id) == [(1, False, False), (2, False, False),
                                          (3, False, False), (4, True, False)]
    summary = client.get(f"/cards/conferences/{conference_id}").get_data(as_text=True)
    assert not any(code in summary or code.replace("-", "") in summary for code in codes)


@pytest.mark.parametrize("data", [
    {"count": 0, "spares": 0},
    {"count": -1, "spares": 3},
    {"count": 1001, "spares": 0},
    {"count": 2, "spares": 0, "rounds": []},
    {"count": 2, "spares": 0, "rounds": [987654]},
])
def test_a_bad_issue_form_issues_nothing(client, auth, app, conference_ids, data):
    conference_id, round_ids = conference_ids
    auth.login()
    page = client.get(f"/cards/conferences/{conference_id}")
    form = {"csrf_token": _csrf(page), "rounds": round_ids} | data
    response = client.post(f"/cards/conferences/{conference_id}/issue", data=form)
    assert response.status_code == 400
    assert "Content-Disposition" not in response.headers
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert _cards(app, conference_id) == []


def test_issue_without_csrf_token_is_refused(client, auth, app, conference_ids):
    conference_id, round_ids = conference_ids
    auth.login()
    response = client.post(f"/cards/conferences/{conference_id}/issue",
                           data={"count": 2, "spares": 0, "rounds": round_ids})
    assert response.status_code == 400
    assert _cards(app, conference_id) == []


def test_revoke_from_the_form(client, auth, app, conference_ids):
    conference_id, round_ids = conference_ids
    with app.app_context():
        s = new_session(app)
        cards.issue_cards(s, conferences.get_conference(s, conference_id), count=3, spares=0,
                          round_ids=round_ids)
        s.close()
    auth.login()
    url = f"/cards/conferences/{conference_id}"
    token = _csrf(client.get(url))
    response = client.post(f"{url}/revoke", data={"csrf_token": token, "serial": 2})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert [r[2] for r in _cards(app, conference_id)] == [False, True, False]
    page = client.get(url).get_data(as_text=True)
    assert "Card 2 is revoked." in page
    assert re.search(r'<ul class="serial-list">\s*<li>2</li>\s*</ul>', page)
    assert client.post(f"{url}/revoke", data={"csrf_token": token, "serial": 2}).status_code \
        == 409
    assert client.post(f"{url}/revoke", data={"csrf_token": token, "serial": 9}).status_code \
        == 404
    assert client.post(f"{url}/revoke", data={"csrf_token": token, "serial": 0}).status_code \
        == 400


def test_the_reserve_ids_are_listed_before_any_card_for_cards_made_offline(client, auth, app):
    from voting.services import runoffs

    with app.app_context():
        s = new_session(app)
        conference = conferences.create_conference(s, "Hội nghị")
        conference_id = conference.id
        ids = [r.public_id for r in runoffs.free_reserves(s, conference_id)]
        s.close()
    auth.login()
    page = client.get(f"/cards/conferences/{conference_id}?lang=en").get_data(as_text=True)
    assert len(ids) == 3 and ",".join(ids) in page
    assert "<details open>" in page  # shown at once while no card exists
