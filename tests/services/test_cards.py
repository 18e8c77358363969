"""Ballot cards: the token format, issuing only public material, the sheet,
revoking (board events, refused ballots, a record that still verifies)."""

from __future__ import annotations

import logging
import os
import re
import secrets
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.tally import partial_decrypt
from voting.crypto.verifier import verify_record
from voting.db import new_session
from voting.models import BoardEvent
from voting.models import Card
from voting.models import Credential
from voting.services import cards
from voting.services import cardsheet
from voting.services import casting
from voting.services import conferences
from voting.services import rounds
from voting.services import runoffs
from voting.services import tallying
from voting.services.board import event_bodies
from voting.services.board import export_record
from voting.services.elections import election_of
from voting.services.errors import DomainError
from voting.services.errors import Invalid
from voting.services.errors import NotFound
from voting.services.errors import RevokedCredential
from voting.services.errors import UnknownCredential

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import make_conference
from ..factories import trustee_share
from ..web.test_card_sheet import assert_self_contained

# ---- token format -------------------------------------------------------


def test_token_text_round_trip_and_known_vectors():
    assert cards.encode_token(bytes(16)) == "0" * 26
    assert cards.encode_token(b"\xff" * 16) == "Z" * 25 + "W"  # 11111 ×25, then 111 + 00
    assert cards.encode_token(bytes(15) + b"\x01") == "0" * 25 + "4"  # 1, then 2 zero bits
    assert cards.encode_token(b"\x80" + bytes(15)) == "G" + "0" * 25  # 10000
    for _ in range(200):
        token = secrets.token_bytes(16)
        text = cards.encode_token(token)
        assert len(text) == 26 and set(text) <= set(cards.ALPHABET)
        assert cards.decode_token(text) == token


def test_manual_code_grouping_and_lenient_reading():
    token = secrets.token_bytes(16)
    text = cards.encode_token(token)
    grouped = cards.format_manual_code(text)
    assert re.fullmatch(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){3}-[0-9A-Z]{6}", grouped)
    assert grouped.replace("-", "") == text
    assert cards.decode_token(grouped) == token
    assert cards.decode_token(grouped.lower()) == token
    assert cards.decode_token(" ".join(grouped.split("-"))) == token
    assert cards.decode_token(text.replace("0", "O").replace("1", "I")) == token
    assert cards.decode_token(text.replace("1", "l")) == token
    assert cards.format_manual_code(grouped.lower()) == grouped


@pytest.mark.parametrize("text", [
    "",
    "0" * 25,                      # too short
    "0" * 27,                      # too long
    "0" * 25 + "1",                # non-zero padding bits
    "0" * 25 + "Z",
    "U" + "0" * 25,                # U is not a Crockford digit
    "0" * 25 + "*",                # nor are check symbols
    "0" * 24 + "_00",              # nor other separators
    "0" * 24 + "\t00",
    "ı" + "0" * 25,                # dotless i: upper-cases to I, still refused
    "０" * 26,                     # full-width digits
    "0-" * 60,                     # absurdly long input
])
def test_decode_refuses_anything_else(text):
    with pytest.raises(cards.InvalidCardCode) as caught:
        cards.decode_token(text)
    assert isinstance(caught.value, DomainError)
    assert caught.value.message == "This is not a valid card code."  # never echoes the input


def test_decode_refuses_non_text():
    with pytest.raises(cards.InvalidCardCode):
        cards.decode_token(b"0" * 26)


# ---- issuing -------------------------------------------------------------


def _conference_with_rounds(session, n=2, **kwargs):
    conference = make_conference(session, **kwargs)
    made = [rounds.create_round(session, conference, "advanced", f"Vòng {i + 1}")
            for i in range(n)]
    return conference, made


def _all_database_text(path) -> str:
    """Every value of every table, as text (blobs as hex and as Latin-1)."""
    out = []
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        out += [value.hex(), value.decode("latin-1")]
                    else:
                        out.append(str(value))
    return "\n".join(out)


def test_issue_stores_only_public_material(app, session, caplog):
    caplog.set_level(logging.DEBUG)
    conference, (r1, r2) = _conference_with_rounds(session)
    issued = cards.issue_cards(session, conference, count=4, spares=2, round_ids=[r1.id, r2.id])
    session.close()
    assert [c.serial for c in issued] == [1, 2, 3, 4, 5, 6]
    assert [c.is_spare for c in issued] == [False] * 4 + [True] * 2
    path = app.config["VOTING_DATABASE_URL"].removeprefix("sqlite:///")
    text = _all_database_text(path).lower()
    raw = b"".join(open(p, "rb").read() for p in (path, path + "-wal") if os.path.exists(p))
    logged = caplog.text.lower()
    for card in issued:
        token = cards.decode_token(card.token_text)
        for secret in (card.token_text.lower(), cards.format_manual_code(card.token_text).lower(),
                       token.hex()):
            assert secret not in text and secret not in logged
            assert secret.encode() not in raw.lower()
        assert token not in raw


def test_issued_credentials_match_the_tokens(session):
    conference, (r1, r2) = _conference_with_rounds(session)
    cards.issue_cards(session, conference, count=1, spares=0, round_ids=[r1.id])
    issued = cards.issue_cards(session, conference, count=3, spares=1, round_ids=[r1.id, r2.id])
    assert [c.serial for c in issued] == [2, 3, 4, 5]  # serials continue
    for card in issued:
        token = cards.decode_token(card.token_text)
        row = session.scalar(select(Card).where(Card.conference_id == conference.id,
                                                Card.serial == card.serial))
        stored = {c.round_id: c.public for c in row.credentials}
        assert row.is_spare == card.is_spare and not row.is_revoked
        covered = (r1, r2, *runoffs.free_reserves(session, conference.id))
        assert len(covered) == 2 + runoffs.RESERVE_ROUNDS  # and the run-off reserves
        assert stored == {rnd.id: public_credential(derive_credential(token, rnd.public_id)).hex()
                          for rnd in covered}


def test_issue_refuses_rounds_that_are_not_drafts_of_the_conference(app, session):
    conference, (r1, r2) = _conference_with_rounds(session)
    other, (foreign,) = _conference_with_rounds(session, n=1)
    complete_key_ceremony(session, conference)
    cards.issue_cards(session, conference, count=2, spares=0, round_ids=[r1.id])
    rounds.open_round(session, r1, app.config["VOTING_KEYS_DIR"])
    for round_ids in ([r1.id], [r2.id, r1.id], [foreign.id], [r2.id, 999_999], []):
        with pytest.raises(Invalid):
            cards.issue_cards(session, conference, count=1, spares=0, round_ids=round_ids)
    for count, spares in ((0, 0), (-1, 3), (cards.MAX_BATCH, 1)):
        with pytest.raises(Invalid):
            cards.issue_cards(session, conference, count=count, spares=spares,
                              round_ids=[r2.id])
    assert session.scalar(select(Card.serial).order_by(Card.serial.desc()).limit(1)) == 2
    assert not session.scalars(select(Credential).where(Credential.round_id == r2.id)).all()


def test_sheet_holds_each_qr_code_manual_code_and_serial(app, session):
    conference, (r1, r2) = _conference_with_rounds(session)
    with app.app_context():
        sheet = cardsheet.issue_sheet(session, conference, count=9, spares=2,
                                      round_ids=[r1.id, r2.id], public_url="https://vote.example/")
    assert sheet.filename == f"ballot-cards-{conference.id}-1-11.html"
    html = sheet.html
    assert html.count('class="sheet-page"') == 2 and html.count("<article") == 11
    assert html.count('class="card-spare"') == 2
    assert conference.name in html and "Vòng 1 · Vòng 2" in html
    assert_self_contained(html, sheet.csp)  # its stylesheet embedded, nothing else inline
    codes = re.findall(r"[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3}-[0-9A-Z]{6}", html)
    assert len(codes) == len(set(codes)) == 11
    for serial, code in enumerate(codes, start=1):
        text = code.replace("-", "")
        url = cardsheet.vote_url("https://vote.example/", text)
        assert url == f"https://vote.example/vote#{text}"
        assert str(cardsheet.qr_svg(url)) in html  # the QR code encodes exactly that URL
        assert re.search(rf"</span> {serial}</p>", html)


# ---- revoking ------------------------------------------------------------


def _vote(session, rnd, token, choices):
    ballot = encrypt_ballot(election_of(rnd), choices, derive_credential(token, rnd.public_id))
    return casting.cast_ballot(session, rnd, ballot)


def _publish(session, conference, rnd, private, close=True):
    if close:
        rounds.close_round(session, rnd)
    tally = tallying.encrypted_tally(session, rnd)
    for index in (1, 2):
        share = trustee_share(conference, index, private[index])
        tallying.submit_partial(session, rnd, index,
                                partial_decrypt(election_of(rnd), tally, index, share))
    return tallying.publish_result(session, rnd)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request):
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def any_session(any_app):
    with any_app.app_context():
        s = new_session(any_app)
        yield s
        s.close()


def test_revoke_reaches_open_rounds_only_and_the_record_verifies(any_app, any_session,
                                                                 tmp_path):
    app, session = any_app, any_session
    keys = app.config["VOTING_KEYS_DIR"]
    conference, (voted, fresh, draft) = _conference_with_rounds(session, n=3, units=2)
    private = complete_key_ceremony(session, conference)
    issued = cards.issue_cards(session, conference, count=3, spares=0,
                               round_ids=[voted.id, fresh.id, draft.id])
    check_in(session, conference, cards=3)
    tokens = [cards.decode_token(c.token_text) for c in issued]
    rounds.open_round(session, voted, keys)
    rounds.open_round(session, fresh, keys)
    _vote(session, voted, tokens[0], [[0], [1]])
    _vote(session, fresh, tokens[1], [[0], [0]])

    result = cards.revoke_card(session, conference, 1)
    assert result == cards.Revocation(1, ["Vòng 2"], ["Vòng 1"])
    x = {rnd.id: public_credential(derive_credential(tokens[0], rnd.public_id)).hex()
         for rnd in (voted, fresh, draft)}
    assert event_bodies(session, fresh, "revoke") == [{"credential": x[fresh.id]}]
    assert event_bodies(session, voted, "revoke") == []  # its ballot there stays counted
    assert not session.scalars(select(BoardEvent).where(BoardEvent.round_id == draft.id)).all()
    with pytest.raises(RevokedCredential):
        _vote(session, fresh, tokens[0], [[1], [1]])
    with pytest.raises(cards.CardAlreadyRevoked):
        cards.revoke_card(session, conference, 1)
    with pytest.raises(NotFound):
        cards.revoke_card(session, conference, 99)

    rounds.open_round(session, draft, keys)  # the draft leaves the revoked card out
    assert bytes.fromhex(x[draft.id]) not in election_of(draft).credentials
    assert len(election_of(draft).credentials) == 2
    with pytest.raises(UnknownCredential):
        _vote(session, draft, tokens[0], [[0], [0]])
    _vote(session, fresh, tokens[2], [[1], [0]])

    assert cards.card_summary(session, conference).revoked_serials == [1]
    for rnd, counts in ((fresh, [[1, 1], [2, 0]]), (voted, [[1, 0], [0, 1]])):
        assert _publish(session, conference, rnd, private)["counts"] == counts
        path = tmp_path / f"{rnd.public_id}.zip"
        path.write_bytes(export_record(session, rnd, keys))
        report = verify_record(path, workers=1)
        assert report.ok, "\n".join(report.lines())


def _in_threads(app, job, n: int) -> list:
    """Run ``job(session)`` in ``n`` threads at once, each with its own
    session; returns each result or the domain error it raised."""
    start = threading.Barrier(n)

    def run(_):
        with app.app_context():
            s = new_session(app)
            try:
                start.wait(timeout=30)
                return job(s)
            except DomainError as exc:
                return exc
            finally:
                s.close()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_concurrent_issues_never_share_a_serial(any_app, any_session):
    conference, (rnd,) = _conference_with_rounds(any_session, n=1)
    conference_id, round_id = conference.id, rnd.id
    results = _in_threads(any_app, lambda s: cards.issue_cards(
        s, conferences.get_conference(s, conference_id), count=4, spares=1,
        round_ids=[round_id]), 4)
    serials = sorted(c.serial for batch in results for c in batch)
    assert serials == list(range(1, 21))
    any_session.rollback()
    assert sorted(any_session.scalars(select(Card.serial))) == serials


@pytest.mark.parametrize("verified_first", [False, True])
def test_a_card_revoked_while_it_votes_is_either_counted_or_revoked(any_app, any_session,
                                                                    tmp_path, monkeypatch,
                                                                    verified_first):
    """Two revocations race one ballot of the same card. With
    ``verified_first`` the revocations start once the ballot's proofs are
    checked, so that both sides reach the round lock together."""
    app, session = any_app, any_session
    verified = threading.Event()
    verify = casting.verify_ballot

    def verify_and_signal(*args):
        try:
            return verify(*args)
        finally:
            verified.set()
    monkeypatch.setattr(casting, "verify_ballot", verify_and_signal)
    keys = app.config["VOTING_KEYS_DIR"]
    conference, (rnd,) = _conference_with_rounds(session, n=1, units=2)
    private = complete_key_ceremony(session, conference)
    issued = cards.issue_cards(session, conference, count=2, spares=0, round_ids=[rnd.id])
    check_in(session, conference, cards=2)
    rounds.open_round(session, rnd, keys)
    token = cards.decode_token(issued[0].token_text)
    ballot = encrypt_ballot(election_of(rnd), [[0], [0]], derive_credential(token, rnd.public_id))
    conference_id, round_id = conference.id, rnd.id

    def job(s):
        if job.turn.pop():
            if verified_first:
                verified.wait(timeout=30)
            return cards.revoke_card(s, conferences.get_conference(s, conference_id), 1)
        return casting.cast_ballot(s, rounds.get_round(s, round_id), ballot)
    job.turn = [True, False, True]  # two revocations and one ballot race

    outcomes = _in_threads(app, job, 3)
    revocations = [o for o in outcomes if isinstance(o, cards.Revocation)]
    assert len(revocations) == 1
    assert sum(isinstance(o, cards.CardAlreadyRevoked) for o in outcomes) == 1
    cast = [o for o in outcomes if isinstance(o, casting.Receipt)]
    session.rollback()
    session.refresh(rnd)
    revoked_on_board = event_bodies(session, rnd, "revoke")
    if cast:  # the ballot won: counted, and no revoke event may follow it
        assert revocations[0].voted_in == ["Vòng 1"] and revoked_on_board == []
    else:  # the revocation won: the ballot was refused
        assert any(isinstance(o, RevokedCredential) for o in outcomes)
        assert len(revoked_on_board) == 1
    rounds.close_round(session, rnd)
    if cast:
        assert _publish(session, conference, rnd, private, close=False)["counts"] == \
            [[1, 0], [1, 0]]
    else:
        assert tallying.publish_result(session, rnd)["counts"] == [[0, 0], [0, 0]]
    path = tmp_path / "record.zip"
    path.write_bytes(export_record(session, rnd, keys))
    assert verify_record(path, workers=1).ok


def test_revoking_leaves_closed_rounds_alone(app, session):
    keys = app.config["VOTING_KEYS_DIR"]
    conference, (rnd,) = _conference_with_rounds(session, n=1)
    complete_key_ceremony(session, conference)
    cards.issue_cards(session, conference, count=2, spares=0, round_ids=[rnd.id])
    rounds.open_round(session, rnd, keys)
    rounds.close_round(session, rnd)
    events = rnd.event_count
    assert cards.revoke_card(session, conference, 2) == cards.Revocation(2, [], [])
    assert rnd.event_count == events


def test_card_summary_counts_cards_spares_revocations_and_coverage(session):
    conference, (r1, r2) = _conference_with_rounds(session)
    cards.issue_cards(session, conference, count=3, spares=2, round_ids=[r1.id])
    cards.issue_cards(session, conference, count=1, spares=0, round_ids=[r1.id, r2.id])
    cards.revoke_card(session, conference, 4)
    summary = cards.card_summary(session, conference)
    assert (summary.total, summary.spares, summary.revoked_serials) == (6, 2, [4])
    assert [(rnd.id, n) for rnd, n in summary.coverage] == [(r1.id, 5), (r2.id, 1)]
