"""The audit trail's page and CSV export (``/chair/conferences/<id>/audit``):
for the conference's chair and an auditor, filtered, refused to another
conference's chair, with formulas neutralised in the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from datetime import UTC

import pytest
from sqlalchemy import update

from voting.db import new_session
from voting.models import AuditEvent
from voting.models import Role
from voting.models import User
from voting.services import audit_trail
from voting.services import checkin
from voting.services import conferences
from voting.services import minutes_header

from ..conftest import PASSWORD


def csrf(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


def log_in(client, username: str) -> None:
    client.post("/auth/logout", data={"csrf_token": csrf(client)})
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                                "csrf_token": csrf(client)})
    assert response.status_code == 302


@pytest.fixture
def world(app, auth, session):
    """Conference A (its chair "chu.toa" named the rows below, one of them
    on 1 March, one with a formula-like name) and conference B, whose chair
    is "khac"; an auditor."""
    auth.create("chu.toa", Role.CHAIR)
    auth.create("khac", Role.CHAIR)
    auth.create("kiem.tra", Role.AUDITOR)
    users = {u.username: u for u in session.query(User)}
    audit_trail.act_as(session, audit_trail.Actor("user", users["chu.toa"].id, "chu.toa",
                                                  "chair"))
    a = conferences.create_conference(session, "Hội nghị A", users["chu.toa"])
    conferences.import_units(session, a, "name\n=HYPERLINK(\"http://x\")\n")
    conferences.import_delegates(session, a, "name\nAn\n")
    delegate = a.delegates[0]
    checkin.set_card(session, delegate, True)
    b = conferences.create_conference(session, "Hội nghị B", users["khac"])
    session.execute(update(AuditEvent).where(AuditEvent.action == "import.units")
                    .values(at=datetime(2025, 2, 28, 18, 30, tzinfo=UTC)))  # 1 March, 01:30 ICT
    session.commit()
    return a, b, delegate


def rows_of(response) -> list[list[str]]:
    assert response.data.startswith("\ufeff".encode())
    body = response.data.decode("utf-8-sig")
    assert "\r\n" in body and "\n" not in body.replace("\r\n", "")
    return list(csv.reader(io.StringIO(body, newline="")))


def test_the_chair_reads_the_trail_newest_first(client, world):
    a, _b, delegate = world
    log_in(client, "chu.toa")
    page = client.get(f"/chair/conferences/{a.id}/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.findall(r'<tr data-action="([^"]+)"', html) == [
        "checkin.card", "import.delegates", "import.units", "conference.create"]
    assert "Check-in: card handed out" in html and f"delegate {delegate.id}" in html
    assert "Hội nghị B" not in html
    assert f'href="/chair/conferences/{a.id}/audit"' in client.get(
        f"/chair/conferences/{a.id}").get_data(as_text=True)


def test_the_auditor_exports_the_filtered_rows_as_csv(client, world):
    a, _b, delegate = world
    log_in(client, "kiem.tra")
    response = client.get(f"/chair/conferences/{a.id}/audit.csv?action=checkin&actor=chu.toa")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="conference-{a.id}-audit-')
    header, *rows = rows_of(response)
    assert header == ["Time", "Who", "Acting as", "Action", "Action code", "Target", "Detail"]
    assert [r[1:] for r in rows] == [["chu.toa", "Chair", "Check-in: card handed out",
                                      "checkin.card", f"delegate {delegate.id}",
                                      '{"value": true}']]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[0][0])


def test_the_filter_by_action_actor_and_days_in_the_conference_zone(client, world):
    a, _b, _delegate = world
    log_in(client, "kiem.tra")

    def actions(query: str) -> list[str]:
        response = client.get(f"/chair/conferences/{a.id}/audit.csv?{query}")
        assert response.status_code == 200
        return [r[4] for r in rows_of(response)[1:]]

    assert actions("action=import") == ["import.delegates", "import.units"]
    assert actions("actor=khac") == []
    assert actions("since=2025-03-01&until=2025-03-01") == ["import.units"]
    assert actions("until=2025-02-28") == []  # 18:30 UTC on the 28th is 1 March in Hà Nội
    assert "import.units" not in actions("since=2025-03-02")
    page = client.get(f"/chair/conferences/{a.id}/audit?action=import&since=2025-03-01"
                      "&until=2025-03-01")
    assert re.findall(r'<tr data-action="([^"]+)"', page.get_data(as_text=True)) == [
        "import.units"]
    assert client.get(f"/chair/conferences/{a.id}/audit?since=yesterday").status_code == 400
    assert client.get(f"/chair/conferences/{a.id}/audit?action=ballot").status_code == 400
    assert client.get(f"/chair/conferences/{a.id}/audit.csv?since=x").status_code == 400


def test_another_conferences_chair_is_refused(client, world):
    a, b, _delegate = world
    log_in(client, "khac")
    assert client.get(f"/chair/conferences/{a.id}/audit").status_code == 403
    assert client.get(f"/chair/conferences/{a.id}/audit.csv").status_code == 403
    assert client.get(f"/chair/conferences/{b.id}/audit").status_code == 200


def test_the_csv_neutralises_formulas(client, world, app):
    a, _b, _delegate = world
    with app.app_context():  # a unit named like a formula; and an actor so named
        s = new_session(app)
        audit_trail.act_as(s, audit_trail.Actor("user", None, "=cmd|' /C calc'!A0", "chair"))
        minutes_header.set_minutes_details(s, s.get(type(a), a.id), organiser="+1", place="",
                                        committee=[{"name": "@SUM(1)", "role": ""}])
        s.close()
    log_in(client, "chu.toa")
    rows = rows_of(client.get(f"/chair/conferences/{a.id}/audit.csv"))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
