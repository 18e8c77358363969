"""Challenged encryptions (PROTOCOL §8.6): an audit that verifies is put on
the board as an ``audit`` event holding exactly §8.6's keys, an identical
retry gets the same answer, every refusal stores nothing; the public check
page and the round page show it; it is never counted, uses up no card, and
the record with it passes the verifier (check 19)."""

from __future__ import annotations

import base64
import copy
import json
import shutil

import pytest
from sqlalchemy import select

from voting import create_app
from voting.crypto.audit import audit_body
from voting.crypto.audit import AUDIT_KEYS
from voting.crypto.audit import short_code
from voting.crypto.drbg import TestRng
from voting.crypto.verifier import verify_record
from voting.models import BoardEvent
from voting.models import Round
from voting.services import auditing
from voting.services import rounds
from voting.web import api

from ..factories import make_cards
from .test_api import assert_refused
from .test_api import CHOICES
from .test_api import credential_of
from .test_api import opened  # noqa: F401 - fixture
from .test_api import post
from .test_board import close
from .test_board import publish


def audits_url(public_id: str) -> str:
    return f"/api/rounds/{public_id}/audits"


def challenge(opened, choices=None) -> dict:  # noqa: F811
    return audit_body(opened.election, choices or CHOICES)


def refused(client, opened, body, status, code, url=None, **kw):  # noqa: F811
    return assert_refused(client, opened, body, status, code,
                          url=url or audits_url(opened.public_id), **kw)


def events_of(opened, kind: str) -> list[BoardEvent]:  # noqa: F811
    s = opened.session
    s.expire_all()
    rows = list(s.scalars(select(BoardEvent).where(BoardEvent.round_id == opened.round.id,
                                                   BoardEvent.kind == kind)))
    s.commit()
    return rows


# --- accepted, and retried --------------------------------------------------------

def test_an_accepted_audit_is_an_event_with_the_audit_keys(client, opened, app):  # noqa: F811
    body = challenge(opened)
    before = opened.stored()
    response = post(client, audits_url(opened.public_id), body)
    assert response.status_code == 201, response.get_data(as_text=True)
    reply = response.get_json()
    seq = before[1]
    check_url = (app.config["VOTING_PUBLIC_URL"].rstrip("/")
                 + f"/board/{opened.public_id}/audits/{seq}")
    assert reply.keys() == {"round", "seq", "code", "check_url", "qr"}
    assert (reply["round"], reply["seq"], reply["code"], reply["check_url"]) == \
        (opened.public_id, seq, short_code(body["ciphertexts"]), check_url)
    svg = base64.b64decode(reply["qr"].removeprefix("data:image/svg+xml;base64,"))
    assert svg.startswith(b"<svg")
    # One event more, no ballot: an audit is never a ballot.
    assert opened.stored() == (before[0], before[1] + 1)
    [event] = events_of(opened, "audit")
    line = json.loads(event.line)
    assert (line["seq"], line["type"]) == (seq, "audit")
    assert line["body"] == body and set(line["body"]) == AUDIT_KEYS


def test_the_audit_event_carries_no_credential(client, opened):  # noqa: F811
    response = post(client, audits_url(opened.public_id), challenge(opened))
    assert response.status_code == 201
    [event] = events_of(opened, "audit")
    credentials = json.loads(opened.round.election_json)["credentials"]
    assert credentials and not any(c in event.line for c in credentials)
    assert "credential" not in event.line and "signature" not in event.line


def test_identical_retry_gets_the_same_answer_and_adds_nothing(client, opened):  # noqa: F811
    body = challenge(opened)
    first = post(client, audits_url(opened.public_id), json.dumps(body))
    assert first.status_code == 201
    after = opened.stored()
    again = post(client, audits_url(opened.public_id), json.dumps(body, indent=2))
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert opened.stored() == after
    assert len(events_of(opened, "audit")) == 1


def test_an_audit_uses_up_no_card_and_is_not_counted(client, opened):  # noqa: F811
    assert post(client, audits_url(opened.public_id), challenge(opened)).status_code == 201
    status = post(client, f"/api/rounds/{opened.public_id}/credential-status",
                  {"credential": credential_of(opened)}).get_json()
    assert status["receipt"] is None
    assert post(client, opened.url, opened.ballot(card=0)).status_code == 201


def test_record_with_audits_passes_the_verifier(client, opened, tmp_path):  # noqa: F811
    for choices in ([[0], [1], []], [[1], [], [0]]):
        assert post(client, audits_url(opened.public_id),
                    challenge(opened, choices)).status_code == 201
    for card, choices in enumerate([[[0], [0], [1]], [[1], [], [0]]]):
        response = post(client, opened.url, opened.ballot(card=card, choices=choices))
        assert response.status_code == 201
    result = publish(opened, close(opened))
    # Only the two ballots are counted: the audits' four "agree"s are not.
    assert result["counts"] == [[1, 1], [1, 0], [1, 1]]
    path = tmp_path / "record.zip"
    path.write_bytes(client.get(f"/board/{opened.public_id}/record.zip").data)
    report = verify_record(path, workers=1)
    assert report.ok, "\n".join(report.lines())
    assert report.ballots == 2
    assert report.failures[19] == []


# --- refusals: nothing stored ----------------------------------------------------

def test_tampered_choice_is_refused(client, opened):  # noqa: F811
    body = challenge(opened)
    body["choices"][0] = [1]  # the ciphertext encrypts "agree"
    refused(client, opened, body, 422, "invalid_proof")


def test_tampered_randomness_is_refused(client, opened):  # noqa: F811
    body = challenge(opened)
    other = challenge(opened)
    body["randomness"][1] = other["randomness"][1]
    refused(client, opened, body, 422, "invalid_proof")


def test_another_rounds_audit_is_refused(client, opened, session):  # noqa: F811
    second = rounds.create_round(session, opened.conference, "advanced", "Vòng hai")
    make_cards(session, opened.conference, [second.id], 1)
    rounds.open_round(session, second, opened.app.config["VOTING_KEYS_DIR"])
    second_id = second.public_id
    session.commit()
    refused(client, opened, challenge(opened), 422, "wrong_election", url=audits_url(second_id))


def test_closed_round_refuses_audits(client, opened, session):  # noqa: F811
    body = challenge(opened)
    rounds.close_round(session, session.get(Round, opened.round.id))
    session.commit()
    refused(client, opened, body, 409, "round_not_open")


def test_unknown_round_is_refused(client, opened):  # noqa: F811
    refused(client, opened, challenge(opened), 404, "not_found", url=audits_url("r-missing"))


@pytest.mark.parametrize("raw", [b'{"round": ', b'{"round": "\xff"}', b'{"a": 1.5}',
                                 b'{"a": 1, "a": 1}', b'{"a": ' + str(2**53 + 1).encode() + b'}'])
def test_bad_json_is_refused(client, opened, raw):  # noqa: F811
    refused(client, opened, raw, 422, "malformed_json")


def test_another_content_type_is_refused(client, opened):  # noqa: F811
    refused(client, opened, json.dumps(challenge(opened)), 415, "unsupported_media_type",
            content_type="text/plain")


@pytest.mark.parametrize("extra", ["credential", "signature", "proofs"])
def test_an_audit_with_any_other_key_is_refused(client, opened, extra):  # noqa: F811
    body = challenge(opened)
    body[extra] = credential_of(opened)
    refused(client, opened, body, 422, "invalid_structure")


def test_a_boolean_choice_is_refused(client, opened):  # noqa: F811
    body = challenge(opened, [[1], [], []])
    body["choices"][0] = [True]  # True == 1 in Python: must not pass for 1
    refused(client, opened, body, 422, "invalid_structure")


def test_an_audit_repeating_a_ciphertext_on_the_board_is_refused(client, opened):  # noqa: F811
    first = challenge(opened)
    assert post(client, audits_url(opened.public_id), first).status_code == 201
    second = challenge(opened)
    for key in ("ciphertexts", "randomness", "choices"):
        second[key][0] = copy.deepcopy(first[key][0])
    refused(client, opened, second, 422, "copied_ciphertext")


def test_a_ballot_repeating_a_challenged_ciphertext_is_refused(client, opened):  # noqa: F811
    """The board holds every α of an audit: a challenged encryption, whose
    randomness is public, can never be cast (§8.6). The same first draw of
    randomness makes the same first ciphertext in both."""
    audit = audit_body(opened.election, CHOICES, TestRng(b"same draws"))
    ballot = opened.ballot(card=0, rng=TestRng(b"same draws"))
    assert ballot["contests"][0]["ciphertexts"][0] == audit["ciphertexts"][0][0]
    assert post(client, audits_url(opened.public_id), audit).status_code == 201
    assert_refused(client, opened, ballot, 422, "copied_ciphertext")


def test_an_audit_revealing_a_cast_ballot_is_refused(client, opened):  # noqa: F811
    """Nobody may publish the randomness of a cast ballot's ciphertext."""
    ballot = opened.ballot(card=0, rng=TestRng(b"cast first"))
    assert post(client, opened.url, ballot).status_code == 201
    refused(client, opened, audit_body(opened.election, CHOICES, TestRng(b"cast first")),
            422, "copied_ciphertext")


def test_the_round_cap_stops_audits_but_not_ballots(client, opened, monkeypatch):  # noqa: F811
    monkeypatch.setattr(auditing, "AUDITS_PER_ROUND", 1)
    body = challenge(opened)
    assert post(client, audits_url(opened.public_id), body).status_code == 201
    refused(client, opened, challenge(opened), 409, "audit_limit")
    assert post(client, audits_url(opened.public_id), body).status_code == 200  # a retry still is
    assert post(client, opened.url, opened.ballot(card=1)).status_code == 201


def test_audit_limit_per_address(migrated_sqlite, tmp_path):
    """AUDIT_LIMIT posts a minute pass from one address, the next is
    refused; casting keeps its own budget."""
    db = tmp_path / "limited.sqlite3"
    shutil.copy(migrated_sqlite, db)
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL": f"sqlite:///{db}",
                      "VOTING_KEYS_DIR": str(tmp_path), "RATELIMIT_ENABLED": True})
    client = app.test_client()
    limit = int(api.AUDIT_LIMIT.split()[0])
    assert 200 <= limit <= int(api.CAST_LIMIT.split()[0])
    try:
        assert {post(client, audits_url("r-none"), {}).status_code for _ in range(limit)} == {404}
        response = post(client, audits_url("r-none"), {})
        assert response.status_code == 429
        assert response.get_json()["error"]["code"] == "too_many_requests"
        assert post(client, "/api/rounds/r-none/ballots", {}).status_code == 404
    finally:
        app.extensions["voting.engine"].dispose()


# --- the check page and the round page --------------------------------------------

def posted(client, opened) -> tuple[dict, dict]:  # noqa: F811
    body = challenge(opened)
    response = post(client, audits_url(opened.public_id), body)
    assert response.status_code == 201
    return body, response.get_json()


def test_the_check_page_renders(app, client, opened):  # noqa: F811
    _body, reply = posted(client, opened)
    path = f"/board/{opened.public_id}/audits/{reply['seq']}"
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-json-url="{path}.json"' in html
    assert 'src="/static/dist/audit-check.js"' in html
    assert "<script>" not in html and "style=" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    for key in ("pass", "fail", "no_choice", "agree", "disagree"):
        assert f'data-msg="{key}"' in html
    assert "Check an encryption" in html and "no choice" in html  # English, as chosen
    vietnamese = app.test_client().get(path).get_data(as_text=True)  # by default
    assert 'lang="vi"' in vietnamese and "Kiểm tra bản mã hóa" in vietnamese
    assert ">không chọn<" in vietnamese and ">Đồng ý<" in vietnamese


def test_the_check_page_json_has_the_election_and_the_audit(client, opened):  # noqa: F811
    body, reply = posted(client, opened)
    response = client.get(f"/board/{opened.public_id}/audits/{reply['seq']}.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data == {"round": opened.public_id, "seq": reply["seq"], "audit": body,
                    "election": json.loads(opened.round.election_json)}


def test_only_audit_events_have_a_check_page(client, opened):  # noqa: F811
    receipt = post(client, opened.url, opened.ballot()).get_json()["receipt"]
    for seq in (0, 1, receipt["seq"], 999):
        assert client.get(f"/board/{opened.public_id}/audits/{seq}").status_code == 404
        response = client.get(f"/board/{opened.public_id}/audits/{seq}.json")
        assert response.status_code == 404 and response.is_json
    assert client.get("/board/r-missing/audits/2").status_code == 404


def test_the_round_page_lists_the_audits(app, client, opened):  # noqa: F811
    _body, reply = posted(client, opened)
    html = client.get(f"/board/{opened.public_id}").get_data(as_text=True)
    assert 'id="audits"' in html
    assert reply["code"] in html
    assert f'href="/board/{opened.public_id}/audits/{reply["seq"]}"' in html
    assert "Encryption check" in html  # the event's label
    assert "Kiểm tra mã hóa" in app.test_client().get(f"/board/{opened.public_id}").get_data(
        as_text=True)


def test_the_round_page_without_audits_has_no_audit_section(client, opened):  # noqa: F811
    html = client.get(f"/board/{opened.public_id}").get_data(as_text=True)
    assert 'id="audits"' not in html


def test_the_audit_list_is_paginated(client, opened, monkeypatch):  # noqa: F811
    monkeypatch.setattr(auditing, "PER_PAGE", 1)
    codes = [posted(client, opened)[1]["code"] for _ in range(2)]
    first = client.get(f"/board/{opened.public_id}").get_data(as_text=True)
    second = client.get(f"/board/{opened.public_id}?audits=2").get_data(as_text=True)
    assert codes[0] in first and codes[1] not in first
    assert codes[1] in second


def test_no_audit_is_taken_once_the_closing_time_has_come(opened, session):  # noqa: F811
    """As for ballots: at the closing time the round takes nothing more,
    even before it is closed (here called without a request, so that no
    request closes it first)."""
    body = challenge(opened)
    rnd = session.get(Round, opened.round.id)
    rnd.closes_at = rnd.opened_at  # long past
    session.commit()
    with pytest.raises(auditing.RoundNotOpen):
        auditing.post_audit(session, rnd, body)
    assert events_of(opened, "audit") == []
