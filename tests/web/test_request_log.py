"""The request log (voting/web/request_log.py): one ``voting.request`` line
per request, with its id (sent back in ``X-Request-Id``), and no secret in
any log line. A whole round is run through the web endpoints only (chair,
trustees' browsers, delegates' phones) with every logger heard at DEBUG."""

from __future__ import annotations

import json
import logging
import re
import secrets

import pytest
from flask import request_finished
from sqlalchemy import select

from voting.crypto import envelope
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.tally import parse_tally
from voting.crypto.tally import partial_decrypt
from voting.db import new_session
from voting.models import Delegate
from voting.models import Round
from voting.services import cards
from voting.services.elections import election_of

from ..conftest import PASSWORD
from ..e2e.test_full_flow import MANUAL_CODE
from ..e2e.test_full_flow import token_forms
from .test_trustee import generate_in_browsers
from .test_trustee import share_of
from .test_trustee import TrusteeBrowser

TRUSTEES = ("An", "Bình", "Cường")
PASSPHRASES = ("một hai ba bốn năm sáu", "second trustee passphrase", "ba con mèo trèo cây")
CARDS = 3


def csrf_of(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


@pytest.fixture
def heard(app, caplog):
    """Every log record at DEBUG, and each response's X-Request-Id in order."""
    caplog.set_level(logging.DEBUG)
    for name in ("voting", "voting.request", "voting.audit", "werkzeug", "flask"):
        caplog.set_level(logging.DEBUG, logger=name)
    ids: list[str] = []

    def finished(_sender, response, **_extra):
        ids.append(response.headers.get("X-Request-Id"))

    request_finished.connect(finished, app)
    yield caplog, ids
    request_finished.disconnect(finished, app)


def request_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "voting.request"]


class Made:
    """What the run made, read from the database."""

    def __init__(self, app, conference_id: int) -> None:
        self.app, self.conference_id = app, conference_id

    def first_round(self) -> Round:
        with self.app.app_context():
            s = new_session(self.app)
            rnd = s.scalars(select(Round).where(Round.conference_id == self.conference_id,
                                                Round.position == 1,
                                                Round.is_reserve.is_(False))).one()
            len(rnd.candidates), rnd.conference.name  # loaded before the session closes
            s.expunge_all()
            s.close()
        return rnd

    def delegate_ids(self) -> list[int]:
        with self.app.app_context():
            s = new_session(self.app)
            ids = list(s.scalars(select(Delegate.id).where(
                Delegate.conference_id == self.conference_id).order_by(Delegate.position)))
            s.close()
        return ids


def test_a_whole_round_logs_one_line_per_request_and_no_secret(app, auth, client, heard):
    caplog, ids = heard
    secret = {PASSWORD, *PASSPHRASES}
    auth.login()
    token = csrf_of(client)
    secret.add(token)

    def chair_post(url, data=None, **kwargs):
        return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)

    # The sample conference; the trustees named, enrolled, the key made in their browsers.
    response = chair_post("/chair/conferences/sample")
    conference_id = int(response.location.rsplit("/", 1)[1])
    made = Made(app, conference_id)
    page = chair_post(f"/ceremony/conferences/{conference_id}/trustees",
                      {"names": "\n".join(TRUSTEES), "threshold": "2"}).get_data(as_text=True)
    invitations = re.findall(r'href="[^"]*/trustee/enrol#([^"]+)"', page)
    assert len(invitations) == 3
    secret |= set(invitations)
    browsers, private = {}, {}
    for index, (invitation, passphrase) in enumerate(zip(invitations, PASSPHRASES,
                                                         strict=True), start=1):
        browsers[index] = browser = TrusteeBrowser(app)
        secret.add(browser.csrf)
        assert browser.open(invitation).status_code == 200
        salt = secrets.token_bytes(32)
        private[index] = envelope.derive_seed(passphrase, salt)
        secret.add(private[index].hex())
        assert browser.post("/trustee/enrolment", {
            "enrolment_key": envelope.public_key(private[index]).hex(),
            "kdf_salt": salt.hex()}).status_code == 200
    generate_in_browsers(browsers, private)

    # Cards for the first round, check-in, the round opens.
    rnd = made.first_round()
    sheet = chair_post(f"/cards/conferences/{conference_id}/issue",
                       {"count": str(CARDS), "spares": "0", "rounds": str(rnd.id)})
    assert sheet.status_code == 200
    codes = MANUAL_CODE.findall(sheet.get_data(as_text=True))
    assert len(codes) == CARDS
    for code in codes:
        secret |= token_forms(code)
    for delegate_id in made.delegate_ids()[:CARDS]:
        assert chair_post(f"/chair/conferences/{conference_id}/delegates/{delegate_id}/card",
                          {"value": "1"}).status_code == 302
    assert chair_post(f"/chair/rounds/{rnd.id}/open").status_code == 302
    rnd = made.first_round()

    # Each delegate's phone: the credential's status, then the ballot.
    phone = app.test_client()
    for code in codes:
        x = derive_credential(cards.decode_token(code), rnd.public_id)
        credential = public_credential(x).hex()
        secret |= {credential, f"{x:064x}", str(x)}
        assert phone.post(f"/api/rounds/{rnd.public_id}/credential-status",
                          json={"credential": credential}).status_code == 200
        ballot = encrypt_ballot(election_of(rnd), [[0]] * len(rnd.candidates), x)
        assert phone.post(f"/api/rounds/{rnd.public_id}/ballots", json=ballot).status_code == 201
    assert phone.post(f"/api/rounds/{rnd.public_id}/ballots", json={}).status_code == 422

    # Closed; two trustees decrypt in their browsers; published; the board searched.
    assert chair_post(f"/chair/rounds/{rnd.id}/close", {"confirm": "1"}).status_code == 302
    for index in (1, 2):
        dealt = browsers[index].get("/trustee/share.json").json
        share = share_of(dealt, private[index])
        secret |= {str(share), f"{share:064x}"}
        tally = browsers[index].get(f"/trustee/rounds/{rnd.public_id}/tally.json").json
        partial = partial_decrypt(election_of(rnd), parse_tally(election_of(rnd),
                                                                tally["ciphertexts"]),
                                  index, share)
        assert browsers[index].post(f"/trustee/rounds/{rnd.public_id}/partial",
                                    partial).status_code == 200
    assert chair_post(f"/chair/rounds/{rnd.id}/publish", {"confirm": "1"}).status_code == 302
    assert client.get(f"/board/{rnd.public_id}?tracker=abcd&page=1").status_code == 200

    for c in [client, phone, *(b.client for b in browsers.values())]:
        cookie = c.get_cookie("session")
        if cookie is not None:
            secret.add(cookie.value)
    lines = [f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records]
    assert len(secret) > 40
    for value in secret:
        leaks = [line for line in lines if value in line or value.lower() in line.lower()]
        assert not leaks, f"{value!r} appears in {leaks}"

    logged = request_lines(caplog)
    assert len(logged) == len(ids) > 50
    assert [line["request_id"] for line in logged] == ids
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert all(set(line) == {"request_id", "method", "path", "endpoint", "status", "ms", "user"}
               for line in logged)
    assert not any("?" in line["path"] for line in logged)
    board = [line for line in logged if line["endpoint"] == "board.round"]
    assert [line["path"] for line in board] == [f"/board/{rnd.public_id}"]
    users = {line["user"] for line in logged}
    assert {"-", "1"} <= users and {f"trustee {i}" for i in (1, 2, 3)} & users
    # The phones' successful ballots are heard at DEBUG only; the refused one at INFO.
    casts = [r for r in caplog.records if r.name == "voting.request"
             and json.loads(r.getMessage())["endpoint"] == "api.cast"]
    assert [(r.levelname, json.loads(r.getMessage())["status"]) for r in casts] == [
        ("DEBUG", 201)] * CARDS + [("INFO", 422)]
    audit = [json.loads(r.getMessage()) for r in caplog.records if r.name == "voting.audit"]
    assert [a["action"] for a in audit].count("checkin.card") == CARDS


def test_an_incoming_request_id_is_kept_only_if_plain(client, heard):
    caplog, ids = heard
    kept = client.get("/", headers={"X-Request-Id": "proxy-1234abcd"})
    assert kept.headers["X-Request-Id"] == "proxy-1234abcd"
    for bad in ("abcdefgh\nstatus=200 forged", "a" * 200, "short", "abcdefgh\n", "abc def 123"):
        response = client.get("/", environ_overrides={"HTTP_X_REQUEST_ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    logged = request_lines(caplog)
    assert [line["request_id"] for line in logged] == ids
    assert logged[0]["request_id"] == "proxy-1234abcd"
    assert all("\n" not in r.getMessage() and "forged" not in r.getMessage()
               for r in caplog.records)


def test_a_refused_or_missing_page_is_one_line_too(client, heard):
    caplog, ids = heard
    assert client.get("/no/such/page?token=ABCDEFGH").status_code == 404
    assert client.get("/chair/").status_code == 302  # to the login page
    logged = request_lines(caplog)
    assert [(line["path"], line["endpoint"], line["status"], line["user"])
            for line in logged] == [("/no/such/page", "-", 404, "-"),
                                    ("/chair/", "chair.index", 302, "-")]
    assert len(ids) == 2 and not any("ABCDEFGH" in r.getMessage() for r in caplog.records)


def test_a_tracker_in_a_path_is_logged_as_its_name(client, heard):
    """A receipt's link names the ballot's tracker: the log shows the route,
    not the tracker, so that it never says when a phone looked a ballot up."""
    caplog, _ids = heard
    tracker = "ab" * 32
    client.get(f"/board/r-0123456789abcdef/ballots/{tracker}")
    [line] = request_lines(caplog)
    assert line["path"] == "/board/r-0123456789abcdef/ballots/<tracker>"
    assert not any(tracker in r.getMessage() for r in caplog.records)
