"""The check-in list comes in pages, so that 5,000 delegates stay light on
the door staff's phones; a switch returns to the page it was pressed on."""

from __future__ import annotations

import pytest

from voting.services import checkin

from ..factories import make_conference
from .test_chair import fresh
from .test_chair import post
from .test_chair import text


@pytest.fixture
def chair(auth, client):
    auth.login()
    client.get("/chair/?lang=en")
    return client


def test_five_thousand_delegates_come_a_page_at_a_time(chair, session):
    conference = make_conference(session, units=1, delegates=5000)
    response = chair.get(f"/chair/conferences/{conference.id}/checkin")
    page = text(response)
    assert page.count('class="checkin-row') == checkin.PAGE_SIZE
    assert "Page 1 of 50 (5000 delegates)" in page
    assert len(response.data) < 200_000  # was about 5 MB
    last = text(chair.get(f"/chair/conferences/{conference.id}/checkin?page=50"))
    assert "Đại biểu 5000" in last and "Đại biểu 4900<" not in last
    found = text(chair.get(f"/chair/conferences/{conference.id}/checkin?q=bieu+4999"))
    assert found.count('class="checkin-row') == 1 and "pager" not in found


def test_a_switch_returns_to_its_page(chair, session):
    conference = make_conference(session, units=1, delegates=2 * checkin.PAGE_SIZE + 1)
    delegate = conference.delegates[-1]
    response = post(chair, f"/chair/conferences/{conference.id}/delegates/{delegate.id}/card",
                    {"value": "1", "q": ""})
    assert response.status_code == 302
    assert response.location.endswith(f"/checkin?page=3#d-{delegate.id}")
    fresh(session)
    assert checkin.counts(session, conference).issued == 1
