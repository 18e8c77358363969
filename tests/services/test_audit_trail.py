"""The audit trail (voting/services/audit_trail.py): every change by a
chair, secretary or trustee writes exactly one row, in its transaction, by
its actor; a refused change writes none; a round closed at its time is the
system's; and nothing in the trail links a delegate to a card or a ballot."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.ballot import short_tracker
from voting.models import AuditEvent
from voting.models import Ballot
from voting.models import Round
from voting.models import RoundKind
from voting.models.base import utcnow
from voting.services import audit_trail
from voting.services import cardfile
from voting.services import cards
from voting.services import cardsheet
from voting.services import casting
from voting.services import ceremony
from voting.services import checkin
from voting.services import conferences
from voting.services import minutes_header
from voting.services import offline
from voting.services import round_templates
from voting.services import rounds
from voting.services import runoffs
from voting.services import sample
from voting.services import tallying
from voting.services.audit_trail import Actor
from voting.services.elections import election_of
from voting.services.errors import BasesInconsistent
from voting.services.errors import CeremonyPhase
from voting.services.errors import DomainError
from voting.services.errors import Invalid
from voting.services.errors import KeyNotReady

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_conference
from ..factories import trustee_of
from .test_key_generation import cheat_on
from .test_key_generation import commit_all
from .test_key_generation import enrolled
from .test_key_generation import post
from .test_offline import NAMES
from .test_offline import PASSPHRASES
from .test_runoffs import tied  # noqa: F401 - a fixture
from .test_runoffs import vote

#: The grouped manual code printed on each card (cards.format_manual_code).
MANUAL_CODE = re.compile(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{6}\b")
CHAIR = Actor("user", 7, "chu.toa", "chair")
SECRETARY = Actor("user", 8, "thu.ky", "secretary")


def all_rows(session) -> list[AuditEvent]:
    session.rollback()
    session.expire_all()
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def last_id(session) -> int:
    session.rollback()
    return session.scalar(select(func.max(AuditEvent.id))) or 0


class Trail:
    """Rows written since the last look."""

    def __init__(self, session) -> None:
        self.session, self.seen = session, last_id(session)

    def new(self) -> list[AuditEvent]:
        rows = [r for r in all_rows(self.session) if r.id > self.seen]
        self.seen = max([self.seen, *(r.id for r in rows)])
        return rows

    def one(self, action: str, target: str, actor: Actor = CHAIR, conference_id=None,
            **detail) -> dict:
        """Exactly one new row, of ``action`` on ``target`` by ``actor``; its detail."""
        rows = self.new()
        assert [(r.action, r.target) for r in rows] == [(action, target)]
        row = rows[0]
        assert (row.actor_kind, row.actor_id, row.actor_name, row.role) == (
            actor.kind, actor.id, actor.name, actor.role)
        if conference_id is not None:
            assert row.conference_id == conference_id
        found = json.loads(row.detail)
        assert {k: found.get(k) for k in detail} == detail
        return found

    def none(self) -> None:
        assert self.new() == []


@pytest.fixture
def trail(session):
    audit_trail.act_as(session, CHAIR)
    return Trail(session)


def refused(trail, call, *args, error=DomainError, **kwargs) -> None:
    """The call raises ``error``, the caller rolls back, and no row remains."""
    with pytest.raises(error):
        call(*args, **kwargs)
    trail.session.rollback()
    trail.none()


def test_conferences_imports_minutes_and_templates(session, trail):
    conference = conferences.create_conference(session, "Hội nghị A")
    trail.one("conference.create", f"conference {conference.id}", conference_id=conference.id,
              name="Hội nghị A")
    conferences.import_units(session, conference, "name\nĐơn vị 1\nĐơn vị 2\n")
    trail.one("import.units", f"conference {conference.id}", count=2)
    conferences.import_delegates(session, conference, "name,organisation\nAn,X\n")
    trail.one("import.delegates", f"conference {conference.id}", count=1)
    refused(trail, conferences.import_delegates, session, conference, "name\nAn\nAn\n")
    minutes_header.set_minutes_details(session, conference, organiser="Công an tỉnh",
                                    place="Vĩnh Phúc", committee=[{"name": "B", "role": ""}])
    assert trail.one("conference.minutes", f"conference {conference.id}") == {
        "organiser": "Công an tỉnh", "place": "Vĩnh Phúc", "committee": 1}
    refused(trail, minutes_header.set_minutes_details, session, conference, organiser="",
            place="", committee=[])
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    trail.one("round.create", f"round {rnd.id}", template="advanced", title="Vòng 1", units=2)
    round_templates.save_template(session, rnd)
    trail.one("template.save", "template advanced", round=rnd.id)
    round_templates.restore_template(session, conference, "advanced")
    trail.one("template.restore", "template advanced")
    refused(trail, round_templates.restore_template, session, conference, "nope")


def test_the_sample_conference_is_one_action_one_row(session, trail):
    conference = sample.create_sample_conference(session)
    assert trail.one("conference.create", f"conference {conference.id}") == {
        "name": sample.SAMPLE_NAME, "sample": True, "rounds": 3}
    assert len(conferences.conference_rounds(session, conference)) == 3


def test_check_in_rows_say_present_or_a_card_and_nothing_else(session, trail):
    conference = make_conference(session, units=1, delegates=2)
    audit_trail.act_as(session, SECRETARY)
    first, second = sorted(conference.delegates, key=lambda d: d.position)
    checkin.set_present(session, first, True)
    assert trail.one("checkin.present", f"delegate {first.id}", SECRETARY) == {"value": True}
    checkin.set_present(session, first, True)  # as it was: no change, no row
    trail.none()
    checkin.set_card(session, second, True)  # also marks present: one action, one row
    assert trail.one("checkin.card", f"delegate {second.id}", SECRETARY) == {"value": True}
    checkin.set_card(session, second, False)
    assert trail.one("checkin.card", f"delegate {second.id}", SECRETARY) == {"value": False}


def test_a_round_from_draft_to_published(session, trail, app):
    conference = make_conference(session, units=2, delegates=3)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    trail.new()
    refused(trail, rounds.open_round, session, rnd, app.config["VOTING_KEYS_DIR"],
            error=KeyNotReady)
    refused(trail, rounds.update_rule, session, rnd, kind=RoundKind.PER_UNIT, max_choices=1,
            comparator=">", num=3, den=2, base="present", quota=5, error=Invalid)
    rounds.update_rule(session, rnd, kind=RoundKind.PER_UNIT, max_choices=1, comparator=">=",
                       num=2, den=3, base="present", quota=None)
    assert trail.one("round.rule", f"round {rnd.id}") == {
        "kind": "per_unit", "k": 1, "comparator": ">=", "fraction": [2, 3], "base": "present",
        "quota": None}
    private = complete_key_ceremony(session, conference)
    issued = cards.issue_cards(session, conference, count=2, spares=1, round_ids=[rnd.id])
    trail.new()
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    trail.one("round.open", f"round {rnd.id}", credentials=3)
    at = utcnow() + timedelta(minutes=30)
    rounds.set_closing_time(session, rnd, at)
    trail.one("round.closing_time", f"round {rnd.id}", closes_at=at.isoformat())
    rounds.set_closing_time(session, rnd, None)
    trail.one("round.closing_time", f"round {rnd.id}", closes_at=None)
    vote(session, rnd, cards.decode_token(issued[0].token_text), [[0], [1]])
    trail.none()  # a ballot is anonymous: never audited
    refused(trail, rounds.close_round, session, rnd, error=BasesInconsistent)  # 1 ballot, 0 cards
    check_in(session, conference, 1)
    trail.new()
    rounds.close_round(session, rnd)
    trail.one("round.close", f"round {rnd.id}", at_closing_time=False,
              bases={"members": 3, "present": 1, "issued": 1, "cast": 1})
    refused(trail, tallying.publish_result, session, session.get(Round, rnd.id), error=Invalid)
    trustee = trustee_of(conference, 1)
    audit_trail.act_as(session, Actor("trustee", trustee.id, trustee.name, "trustee"))
    decrypt_and_publish(session, conference, session.get(Round, rnd.id), private)
    rows = trail.new()
    assert [(r.action, r.target, r.actor_kind, r.actor_name, json.loads(r.detail))
            for r in rows] == [
        ("tally.partial", f"round {rnd.id}", "trustee", "Trustee 1", {"trustee": 1}),
        ("tally.partial", f"round {rnd.id}", "trustee", "Trustee 1", {"trustee": 2}),
        ("round.publish", f"round {rnd.id}", "trustee", "Trustee 1", {})]


def test_a_round_closed_at_its_time_is_closed_by_the_system(session, trail, app):
    conference = make_conference(session, units=1, delegates=1)
    complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    cards.issue_cards(session, conference, count=1, spares=0, round_ids=[rnd.id])
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    rounds.set_closing_time(session, rnd, utcnow() + timedelta(minutes=5))
    trail.new()
    assert rounds.close_due_rounds(session, utcnow() + timedelta(minutes=6)) == [rnd.id]
    trail.one("round.close", f"round {rnd.id}", audit_trail.SYSTEM, at_closing_time=True)


def test_a_runoff_is_one_row(session, tied):  # noqa: F811 - the fixture
    conference, rnd, _tokens, _private = tied
    audit_trail.act_as(session, CHAIR)
    trail = Trail(session)
    runoff, from_reserve = runoffs.create_runoff(session, rnd, "Bầu lại")
    assert trail.one("round.runoff", f"round {runoff.id}") == {
        "of_round": rnd.id, "units": 2, "reserve": from_reserve}
    refused(trail, runoffs.create_runoff, session, session.get(Round, rnd.id), "Again")


def test_cards_issue_import_and_revoke(session, trail, app):
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    audit_trail.act_as(session, SECRETARY)
    trail.new()
    cards.issue_cards(session, conference, count=3, spares=1, round_ids=[rnd.id])
    assert trail.one("cards.issue", "serials 1-4", SECRETARY) == {
        "count": 3, "spares": 1, "first": 1, "last": 4, "rounds": [rnd.id]}
    refused(trail, cards.issue_cards, session, conference, count=0, spares=0,
            round_ids=[rnd.id])
    with app.app_context():  # the sheet is rendered with the app's templates
        sheet = cardsheet.issue_sheet(session, conference, count=2, spares=0,
                                      round_ids=[rnd.id], public_url="https://v.example")
    assert "ballot-cards" in sheet.filename
    trail.one("cards.issue", "serials 5-6", SECRETARY, count=2, spares=0)  # one row, not two
    _issued, document = cardfile.offline_cards([rnd.public_id], count=1, spares=1,
                                               first_serial=7)
    cardfile.import_credentials(session, conference, document)
    assert trail.one("cards.import", "serials 7-8", SECRETARY) == {
        "count": 1, "spares": 1, "first": 7, "last": 8}
    cards.revoke_card(session, conference, 2)
    assert trail.one("cards.revoke", "card 2", SECRETARY) == {"serial": 2}
    refused(trail, cards.revoke_card, session, conference, 2)


def test_the_key_ceremony_one_row_per_step(session, trail):
    conference = make_conference(session, units=1, delegates=0)
    complete_key_ceremony(session, conference)
    rows = trail.new()
    actions = [r.action for r in rows]
    assert actions == ["ceremony.trustees"] + ["ceremony.enrol"] * 3 + [
        "ceremony.commit"] * 3 + ["ceremony.reveal"] * 3 + ["ceremony.confirm"] * 3
    assert json.loads(rows[0].detail) == {"names": ["Trustee 1", "Trustee 2", "Trustee 3"],
                                          "threshold": 2}
    ids = [f"trustee {t.id}" for t in conference.trustees]
    assert [r.target for r in rows[1:4]] == ids
    assert [json.loads(r.detail) for r in rows[-3:]] == [
        {"attempt": 1, "key_made": False}, {"attempt": 1, "key_made": False},
        {"attempt": 1, "key_made": True}]


def test_complaints_restarts_and_repeats(session, trail):
    conference, _private = enrolled(session)
    trail.new()
    coefficients = commit_all(session, conference)
    assert [r.action for r in trail.new()] == ["ceremony.commit"] * 3
    me = trustee_of(conference, 1)
    ceremony.commit(session, me, {**post(conference), "commitment_hash": me.commitment_hash})
    trail.none()  # the page posting its step again changes nothing
    cheat_on(session, conference, coefficients, dealer=3, victim=2)
    trail.new()
    victim = trustee_of(conference, 2)
    as_victim = Actor("trustee", victim.id, victim.name, "trustee")
    audit_trail.act_as(session, as_victim)
    ceremony.complain(session, victim, {**post(conference), "dealer": 3})
    trail.one("ceremony.complaint", f"trustee {victim.id}", as_victim, attempt=1, dealer=3)
    ceremony.complain(session, victim, {**post(conference), "dealer": 3})
    trail.none()
    refused(trail, ceremony.complain, session, victim, {**post(conference), "dealer": 1},
            error=CeremonyPhase)
    audit_trail.act_as(session, CHAIR)
    ceremony.restart(session, conference, without=3)
    assert trail.one("ceremony.restart", f"conference {conference.id}") == {
        "attempt": 2, "without": 3}
    refused(trail, ceremony.restart, session, conference, without=9)


def test_an_offline_key_is_one_row(session, trail):
    conference = make_conference(session, units=1, delegates=0)
    public, _shares = offline.deal_offline(2, NAMES, PASSPHRASES)
    offline.install_offline_trustees(session, conference, public)
    assert trail.one("ceremony.offline", f"conference {conference.id}") == {
        "trustees": 3, "threshold": 2}
    refused(trail, offline.install_offline_trustees, session, conference, public)


def test_each_committed_row_is_logged_without_its_detail(session, trail, caplog):
    caplog.set_level(logging.INFO, logger="voting.audit")
    conference = make_conference(session, units=1, delegates=1)
    delegate = conference.delegates[0]
    checkin.set_card(session, delegate, True)
    audit_trail.record(session, "round.open", target="round 1", detail={"x": "y"})
    session.rollback()  # a change refused after its row was added: no row, no line
    trail.one("checkin.card", f"delegate {delegate.id}")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "voting.audit"]
    assert lines == [{"action": "checkin.card", "actor": "user 7", "name": "chu.toa",
                      "role": "chair", "conference": conference.id,
                      "target": f"delegate {delegate.id}"}]


def test_nothing_in_the_trail_links_a_delegate_to_a_card_or_a_ballot(session, trail, app):
    """Check-in, a card sheet, votes and the round's end; then every column
    of every row is searched for every secret and link the run made."""
    conference = make_conference(session, units=2, delegates=4)
    private = complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    with app.app_context():
        sheet = cardsheet.issue_sheet(session, conference, count=4, spares=1,
                                      round_ids=[rnd.id], public_url="https://v.example")
    codes = MANUAL_CODE.findall(sheet.html)
    assert len(set(codes)) == 5
    issued = cards.issue_cards(session, conference, count=2, spares=0, round_ids=[rnd.id])
    codes += [cards.format_manual_code(c.token_text) for c in issued]
    tokens = [cards.decode_token(code) for code in codes]
    secrets_ = set()
    for code, token in zip(codes, tokens, strict=True):
        x = derive_credential(token, rnd.public_id)
        text = cards.encode_token(token)
        secrets_ |= {code, text, text.lower(), token.hex(), text[:13], text[13:], str(x),
                     f"{x:064x}", public_credential(x).hex()}
    for delegate in conference.delegates:
        checkin.set_card(session, delegate, True)
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    for token in tokens[-2:]:
        secret = derive_credential(token, rnd.public_id)
        casting.cast_ballot(session, rnd, encrypt_ballot(election_of(rnd), [[0], []], secret))
    for b in session.scalars(select(Ballot).where(Ballot.round_id == rnd.id)):
        secrets_ |= {b.tracker, short_tracker(bytes.fromhex(b.tracker)), b.credential}
    rounds.close_round(session, rnd)
    decrypt_and_publish(session, conference, session.get(Round, rnd.id), private)
    rows = all_rows(session)
    text = [" ".join(str(getattr(r, c.key)) for c in AuditEvent.__table__.columns)
            for r in rows]
    assert len(secrets_) == 9 * len(tokens) + 2 * 2  # and each ballot's tracker, short form
    for secret in secrets_:
        assert not any(secret in t for t in text), secret
    for row in rows:
        if row.target.startswith("delegate"):
            assert (row.action, json.loads(row.detail)) == ("checkin.card", {"value": True})
        else:
            assert "delegate" not in row.detail.lower()
        if row.action.startswith("cards."):
            assert row.target.startswith("serials ")
    assert sum(r.target.startswith("delegate") for r in rows) == 4
    assert [r.target for r in rows if r.action == "cards.issue"] == ["serials 1-5", "serials 6-7"]
    assert not any("ballot" in r.action for r in rows)
