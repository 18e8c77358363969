"""Accounts and sessions: a session ends on the server (logout, a new
password, disabling, a new role, idleness, age), the administrator's
account page, and per-conference roles (owner, secretary, auditor)."""

from __future__ import annotations

import base64
import json
import re
import zlib

import pytest

from voting.db import new_session
from voting.models import Conference
from voting.models import Delegate
from voting.models import Membership
from voting.models import Role
from voting.models import Round
from voting.models import RoundState
from voting.models import User
from voting.services import accounts
from voting.services import rounds
from voting.web import security

from ..conftest import PASSWORD
from .test_chair import fresh
from .test_chair import text


def csrf(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


def post(client, url, data=None, **kwargs):
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def log_in(client, username: str, password: str = PASSWORD):
    return post(client, "/auth/login", {"username": username, "password": password})


def is_in(client) -> bool:
    return client.get("/chair/").status_code == 200


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A fresh browser presenting a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def add_user(app, username: str, role: Role) -> int:
    with app.app_context():
        s = new_session(app)
        user_id = accounts.create_user(s, username, username, PASSWORD, role).id
        s.close()
    return user_id


def test_a_cookie_copied_before_logout_is_refused_after_it(app, auth, client):
    auth.login()
    saved = session_cookie(client)
    assert replay(app, saved).get("/chair/").status_code == 200  # the copy works now
    post(client, "/auth/logout")
    response = replay(app, saved).get("/chair/")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert not is_in(client)
    log_in(client, "chair")
    assert is_in(client)  # logging in again opens a new session


@pytest.mark.parametrize("action", ["password", "disable", "role"])
def test_a_new_password_disabling_or_a_new_role_ends_every_session(app, auth, client, action):
    user_id = add_user(app, "thu-ky", Role.SECRETARY)
    other = app.test_client()
    log_in(other, "thu-ky")
    assert other.get("/chair/").status_code == 200
    auth.login("admin", Role.ADMIN)
    url = f"/admin/users/{user_id}/{'role' if action == 'role' else action}"
    response = post(client, url, {"role": "auditor"} if action == "role" else {})
    assert response.status_code in (200, 302)
    assert other.get("/chair/").status_code == 302
    if action == "disable":
        log_in(other, "thu-ky")
        assert other.get("/chair/").status_code == 302  # and cannot log in again


def test_an_idle_or_old_session_ends(app, auth, client, monkeypatch):
    clock = [1_900_000_000]
    monkeypatch.setattr(security.time, "time", lambda: clock[0])
    auth.login()
    idle = 60 * app.config["VOTING_SESSION_IDLE_MINUTES"]
    clock[0] += idle - 1
    assert is_in(client)  # a request: the idle clock starts again
    clock[0] += idle
    assert is_in(client)  # exactly the limit
    clock[0] += idle + 1
    assert not is_in(client)
    log_in(client, "chair")
    age = 3600 * app.config["VOTING_SESSION_MAX_HOURS"]
    for _ in range(age // (idle - 1)):
        clock[0] += idle - 1
        assert is_in(client)
    clock[0] += idle - 1
    assert not is_in(client)  # never idle, but older than the day


def test_the_administrator_creates_an_account_and_sees_its_password_once(app, auth, client):
    auth.login("admin", Role.ADMIN)
    response = post(client, "/admin/users", {"username": "thu-ky", "display_name": "Thư ký",
                                              "role": "secretary"})
    page = text(response)
    password = re.search(r'<p class="mono big">([^<]+)</p>', page)[1]
    assert len(password) >= 16
    assert password not in text(client.get("/admin/users"))  # once
    cookie = session_cookie(client)
    payload = cookie.split(".")[0 if not cookie.startswith(".") else 1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert password.encode() not in (zlib.decompress(raw) if cookie.startswith(".") else raw)
    other = app.test_client()
    log_in(other, "thu-ky", password)
    assert other.get("/chair/").status_code == 200
    with app.app_context():
        s = new_session(app)
        stored = s.query(User).filter_by(username="thu-ky").one()
        assert stored.role == Role.SECRETARY and password not in stored.password_hash
        s.close()


def test_account_pages_are_the_administrators(app, auth, client):
    auth.login("chu-toa", Role.CHAIR)
    assert client.get("/admin/users").status_code == 403
    assert post(client, "/admin/users", {"username": "x", "role": "admin"}).status_code == 403


def test_an_administrator_cannot_lock_themself_out(app, auth, client):
    auth.login("admin", Role.ADMIN)
    with app.app_context():
        s = new_session(app)
        admin_id = s.query(User).filter_by(username="admin").one().id
        s.close()
    page = text(post(client, f"/admin/users/{admin_id}/disable", follow_redirects=True))
    assert "you cannot disable your own account" in page
    page = text(post(client, f"/admin/users/{admin_id}/role", {"role": "chair"},
                     follow_redirects=True))
    assert "you cannot take away your own administration" in page
    assert is_in(client)


def test_the_creator_owns_the_conference_and_adds_a_secretary(app, client, session):
    add_user(app, "chu-toa", Role.CHAIR)
    add_user(app, "thu-ky", Role.SECRETARY)
    add_user(app, "chu-toa-khac", Role.CHAIR)
    log_in(client, "chu-toa")
    response = post(client, "/chair/conferences", {"name": "Hội nghị A"})
    conference_id = int(response.location.rsplit("/", 1)[1])
    assert client.get(f"/chair/conferences/{conference_id}").status_code == 200
    post(client, f"/chair/conferences/{conference_id}/members",
         {"username": "thu-ky", "role": "secretary"})
    conference = session.get(Conference, conference_id)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1", unit_ids=[])
    delegate = Delegate(conference_id=conference_id, position=1, name="Đại biểu")
    session.add(delegate)
    session.commit()

    secretary = app.test_client()
    log_in(secretary, "thu-ky")
    toggled = post(secretary, f"/chair/conferences/{conference_id}/delegates/{delegate.id}/card",
                   {"value": "1"})
    assert toggled.status_code == 302
    assert post(secretary, f"/chair/rounds/{rnd.id}/open").status_code == 403
    assert post(secretary, f"/chair/rounds/{rnd.id}/rule", {}).status_code == 403
    assert secretary.get(f"/chair/rounds/{rnd.id}").status_code == 200
    fresh(session)
    assert session.get(Delegate, delegate.id).has_card
    assert session.get(Round, rnd.id).state == RoundState.DRAFT

    stranger = app.test_client()
    log_in(stranger, "chu-toa-khac")
    assert stranger.get(f"/chair/conferences/{conference_id}").status_code == 403
    assert f"/chair/conferences/{conference_id}\"" not in text(stranger.get("/chair/"))


def test_the_last_chair_stays(app, client, session):
    add_user(app, "chu-toa", Role.CHAIR)
    log_in(client, "chu-toa")
    response = post(client, "/chair/conferences", {"name": "Hội nghị A"})
    conference_id = int(response.location.rsplit("/", 1)[1])
    page = text(post(client, f"/chair/conferences/{conference_id}/members",
                     {"username": "chu-toa", "role": "none"}, follow_redirects=True))
    assert "A conference keeps at least one chair." in page
    fresh(session)
    assert [m.role for m in session.query(Membership).filter_by(
        conference_id=conference_id)] == [Role.CHAIR]
    page = text(post(client, f"/chair/conferences/{conference_id}/members",
                     {"username": "nobody", "role": "auditor"}, follow_redirects=True))
    assert "There is no account with that username." in page


def test_the_session_cookie_carries_no_role_only_a_version(app, auth, client):
    auth.login()
    cookie = session_cookie(client)
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    data = json.loads(zlib.decompress(raw) if cookie.startswith(".") else raw)
    assert re.fullmatch(r"\d+:\d+", data["_user_id"])
