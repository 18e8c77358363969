"""The cast API (PROTOCOL §8.5): a valid ballot gets a receipt, an identical
retry the same receipt, and every refusal a stable JSON error code with
nothing stored (no ballot row, no board event)."""

from __future__ import annotations

import base64
import copy
import json
import shutil
import time

import pytest
from sqlalchemy import func
from sqlalchemy import select

from voting import create_app
from voting.crypto.ballot import ballot_hash
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.ballot import short_tracker
from voting.crypto.ballot import tracker
from voting.crypto.codec import scalar_hex
from voting.crypto.drbg import TestRng
from voting.crypto.group import L
from voting.crypto.group import os_rng
from voting.crypto.proofs import schnorr_sign
from voting.models import Ballot
from voting.models import Card
from voting.models import Credential
from voting.models import Round
from voting.services import rounds
from voting.services.elections import election_of
from voting.web import api

from ..factories import complete_key_ceremony
from ..factories import make_conference
from ..factories import make_open_round

CHOICES = [[0], [1], []]


class Opened:
    """An open 3-unit agree/disagree round with 5 cards, and helpers."""

    def __init__(self, app, session):
        self.app, self.session = app, session
        conference = make_conference(session)
        #: The trustees' enrolment keys, to decrypt their shares.
        self.private = complete_key_ceremony(session, conference)
        self.conference = conference
        self.round, self.tokens = make_open_round(session, conference,
                                                  app.config["VOTING_KEYS_DIR"])
        self.public_id = self.round.public_id
        self.election = election_of(self.round)
        session.commit()  # end the read transaction: SQLite writers need the lock

    @property
    def url(self) -> str:
        return f"/api/rounds/{self.public_id}/ballots"

    def ballot(self, card: int = 0, choices=None, rnd=None, rng=os_rng) -> dict:
        rnd = rnd or self.round
        secret = derive_credential(self.tokens[card], rnd.public_id)
        return encrypt_ballot(election_of(rnd), choices or CHOICES, secret, rng)

    def resign(self, ballot: dict, card: int = 0) -> None:
        """Sign an altered ballot again, so that only its proofs can object."""
        secret = derive_credential(self.tokens[card], self.public_id)
        c, u = schnorr_sign(secret, "signature",
                            (self.election.fingerprint, ballot_hash(ballot)), os_rng)
        ballot["signature"] = {"c": scalar_hex(c), "u": scalar_hex(u)}

    def stored(self) -> tuple[int, int]:
        """(ballot rows, board events) of the round, read afresh."""
        s = self.session
        s.expire_all()
        count = s.scalar(select(func.count()).select_from(Ballot)
                         .where(Ballot.round_id == self.round.id))
        events = s.get(Round, self.round.id).event_count
        s.commit()
        return count, events



@pytest.fixture
def opened(app, session):
    return Opened(app, session)


def post(client, url, body, content_type="application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(url, data=data, content_type=content_type)


def assert_refused(client, opened, body, status, code, url=None, content_type="application/json"):
    before = opened.stored()
    response = post(client, url or opened.url, body, content_type)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert opened.stored() == before
    return response


# --- a valid ballot and its retry ------------------------------------------------

def test_valid_ballot_gets_a_receipt_and_appears_on_the_board(client, opened):
    ballot = opened.ballot()
    before = opened.stored()
    response = post(client, opened.url, ballot)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    receipt = body["receipt"]
    full = tracker(ballot).hex()
    assert receipt == {"round": opened.public_id, "tracker": full,
                       "short_tracker": short_tracker(bytes.fromhex(full)), "seq": before[1]}
    assert body["board_url"] == f"/board/{opened.public_id}/ballots/{full}"
    # The receipt's QR code comes in the reply: the phone fetches nothing by tracker.
    svg = base64.b64decode(body["qr"].removeprefix("data:image/svg+xml;base64,"))
    assert svg.startswith(b"<svg") and "qr_url" not in body
    assert opened.stored() == (before[0] + 1, before[1] + 1)
    page = client.get(f"/board/{opened.public_id}").get_data(as_text=True)
    assert full in page and receipt["short_tracker"] in page


def test_identical_retry_gets_the_same_receipt(client, opened):
    raw = json.dumps(opened.ballot())
    first = post(client, opened.url, raw)
    assert first.status_code == 201
    after_first = opened.stored()
    again = post(client, opened.url, raw)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert opened.stored() == after_first


def test_retry_with_other_whitespace_is_the_same_ballot(client, opened):
    ballot = opened.ballot()
    first = post(client, opened.url, json.dumps(ballot))
    again = post(client, opened.url, json.dumps(ballot, indent=2))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["receipt"] == first.get_json()["receipt"]


def test_cast_needs_no_csrf_token_or_cookie(app, opened):
    """The app runs with CSRF on; the cast API is exempt (it uses no cookies)."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    fresh = app.test_client(use_cookies=False)
    assert post(fresh, opened.url, opened.ballot()).status_code == 201


# --- refusals: one test per case, nothing stored ---------------------------------

def test_malformed_json_is_refused(client, opened):
    assert_refused(client, opened, b'{"version": 1,', 422, "malformed_json")


def test_non_utf8_body_is_refused(client, opened):
    assert_refused(client, opened, b'{"version": "\xff"}', 422, "malformed_json")


def test_floats_are_refused(client, opened):
    raw = json.dumps(opened.ballot()).replace('"version": 1', '"version": 1.0')
    assert_refused(client, opened, raw, 422, "malformed_json")


@pytest.mark.parametrize(("version", "code"), [
    ("true", "invalid_structure"),   # Python holds True == 1: the parser must not
    ("false", "invalid_structure"),
    (str(2**53 + 1), "malformed_json"),  # beyond ±2^53 (§3.2), refused as JSON
    (str(-(2**53) - 1), "malformed_json"),
])
def test_a_version_that_is_not_an_exact_integer_is_refused(client, opened, version, code):
    raw = json.dumps(opened.ballot()).replace('"version": 1', f'"version": {version}')
    assert f'"version": {version}' in raw
    assert_refused(client, opened, raw, 422, code)


def test_integers_beyond_two_to_the_53_are_refused_anywhere_in_the_body(client, opened):
    ballot = opened.ballot()
    raw = json.dumps(ballot)[:-1] + f', "pad": {2**53 + 1}}}'
    response = assert_refused(client, opened, raw, 422, "malformed_json")
    assert "2^53" in response.get_json()["error"]["message"]
    # ±2^53 itself is valid JSON (the ballot parser then refuses the extra key)
    assert_refused(client, opened, json.dumps(ballot)[:-1] + f', "pad": {2**53}}}', 422,
                   "invalid_structure")


def test_duplicate_keys_are_refused(client, opened):
    raw = json.dumps(opened.ballot()).replace('{"version": 1', '{"version": 1, "version": 1')
    assert_refused(client, opened, raw, 422, "malformed_json")


def test_oversized_body_is_refused(client, opened):
    raw = '{"pad": "' + "x" * (1024 * 1024) + '"}'
    assert_refused(client, opened, raw, 413, "too_large")


def test_wrong_content_type_is_refused(client, opened):
    assert_refused(client, opened, json.dumps(opened.ballot()), 415, "unsupported_media_type",
                   content_type="text/plain")


def test_form_post_is_refused(client, opened):
    before = opened.stored()
    response = client.post(opened.url, data={"ballot": json.dumps(opened.ballot())})
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert opened.stored() == before


def test_non_object_is_refused(client, opened):
    assert_refused(client, opened, [opened.ballot()], 422, "invalid_structure")


def test_missing_field_is_refused(client, opened):
    ballot = opened.ballot()
    del ballot["signature"]
    assert_refused(client, opened, ballot, 422, "invalid_structure")


def test_extra_field_is_refused(client, opened):
    ballot = opened.ballot()
    ballot["note"] = "hello"
    assert_refused(client, opened, ballot, 422, "invalid_structure")


def test_extra_field_in_a_contest_is_refused(client, opened):
    ballot = opened.ballot()
    ballot["contests"][1]["choice"] = 0
    assert_refused(client, opened, ballot, 422, "invalid_structure")


def test_missing_contest_is_refused(client, opened):
    ballot = opened.ballot()
    ballot["contests"].pop()
    assert_refused(client, opened, ballot, 422, "invalid_structure")


#: p = 2^255 - 19 little-endian: the non-canonical encoding of y = 0.
NON_CANONICAL = "ed" + "ff" * 30 + "7f"
#: The identity (y = 1): a valid encoding, refused as a point from outside.
IDENTITY = "01" + "00" * 31
#: A point of order 8 on the curve (y = 0 canonical), outside the subgroup.
SMALL_ORDER = "00" * 32


@pytest.mark.parametrize("point", [NON_CANONICAL, IDENTITY, SMALL_ORDER, "ab" * 31 + "AB"],
                         ids=["non-canonical", "identity", "small-order", "uppercase-hex"])
def test_invalid_or_non_canonical_point_is_refused(client, opened, point):
    ballot = opened.ballot()
    ballot["contests"][0]["ciphertexts"][0]["alpha"] = point
    assert_refused(client, opened, ballot, 422, "invalid_encoding")


def test_non_canonical_scalar_is_refused(client, opened):
    ballot = opened.ballot()
    u = int.from_bytes(bytes.fromhex(ballot["signature"]["u"]), "little")
    ballot["signature"]["u"] = (u + L).to_bytes(32, "little").hex()
    assert_refused(client, opened, ballot, 422, "invalid_encoding")


def test_ballot_for_another_round_is_refused(client, opened, session):
    other, _ = make_open_round(session, opened.conference, opened.app.config["VOTING_KEYS_DIR"])
    session.commit()
    assert_refused(client, opened, opened.ballot(), 422, "wrong_election",
                   url=f"/api/rounds/{other.public_id}/ballots")


def test_wrong_fingerprint_is_refused(client, opened):
    ballot = opened.ballot()
    ballot["fingerprint"] = "00" * 32
    assert_refused(client, opened, ballot, 422, "wrong_election")


def test_unknown_credential_is_refused(client, opened):
    stranger = bytes(range(16))
    secret = derive_credential(stranger, opened.public_id)
    assert public_credential(secret) not in opened.election.credentials
    ballot = encrypt_ballot(opened.election, CHOICES, secret)
    assert_refused(client, opened, ballot, 403, "unknown_credential")


def test_revoked_credential_is_refused(client, opened, session):
    credential = public_credential(derive_credential(opened.tokens[1], opened.public_id)).hex()
    card = session.scalar(select(Card).join(Credential).where(Credential.public == credential))
    card.is_revoked = True
    session.commit()
    assert_refused(client, opened, opened.ballot(card=1), 403, "credential_revoked")


def test_second_ballot_of_a_credential_is_refused(client, opened):
    assert post(client, opened.url, opened.ballot(choices=[[0], [0], [0]])).status_code == 201
    assert_refused(client, opened, opened.ballot(choices=[[1], [1], [1]]), 409, "already_voted")


def test_bad_signature_is_refused(client, opened):
    ballot = opened.ballot()
    ballot["signature"]["u"] = ballot["signature"]["c"]
    assert_refused(client, opened, ballot, 422, "invalid_proof")


def test_bad_proof_is_refused_even_when_signed(client, opened):
    ballot = opened.ballot()
    proof = ballot["contests"][0]["proofs"][0]
    proof["u"][0], proof["u"][1] = proof["u"][1], proof["u"][0]
    opened.resign(ballot)
    assert_refused(client, opened, ballot, 422, "invalid_proof")


def test_swapped_ciphertext_is_refused_even_when_signed(client, opened):
    ballot = opened.ballot(choices=[[0], [1], []])
    first, second = ballot["contests"][0], ballot["contests"][1]
    first["ciphertexts"], second["ciphertexts"] = second["ciphertexts"], first["ciphertexts"]
    opened.resign(ballot)
    assert_refused(client, opened, ballot, 422, "invalid_proof")


def test_ballot_copied_under_another_credential_is_refused(client, opened):
    assert post(client, opened.url, opened.ballot(card=0)).status_code == 201
    copied = copy.deepcopy(opened.ballot(card=0, choices=[[1], [1], [1]]))
    copied["credential"] = public_credential(
        derive_credential(opened.tokens[2], opened.public_id)).hex()
    assert_refused(client, opened, copied, 422, "invalid_proof")


def test_reused_ciphertext_is_refused(client, opened):
    """Two cards encrypting with the same randomness repeat an alpha (§8.5 rule 6)."""
    first = opened.ballot(card=0, rng=TestRng(b"same"))
    second = opened.ballot(card=1, rng=TestRng(b"same"))
    assert first["contests"][0]["ciphertexts"][0]["alpha"] == \
        second["contests"][0]["ciphertexts"][0]["alpha"]
    assert post(client, opened.url, first).status_code == 201
    assert_refused(client, opened, second, 422, "copied_ciphertext")


def test_alpha_repeated_within_one_ballot_is_refused(client, opened):
    """Randomness drawn as one constant repeats α inside the ballot; its
    proofs still verify, and §8.5 rule 6 refuses it without storing it."""
    ballot = opened.ballot(card=0, rng=lambda n: bytes([7]) * n)
    alphas = [ct["alpha"] for c in ballot["contests"] for ct in c["ciphertexts"]]
    assert len(set(alphas)) == 1 < len(alphas)
    assert_refused(client, opened, ballot, 422, "copied_ciphertext")


def test_closed_round_refuses_ballots(client, opened, session):
    ballot = opened.ballot()
    rounds.close_round(session, session.get(Round, opened.round.id))
    session.commit()
    assert_refused(client, opened, ballot, 409, "round_not_open")


def test_draft_round_refuses_ballots(client, opened, session):
    draft = rounds.create_round(session, opened.conference, "advanced", "Nháp")
    session.commit()
    assert_refused(client, opened, opened.ballot(), 409, "round_not_open",
                   url=f"/api/rounds/{draft.public_id}/ballots")


def test_unknown_round_is_refused(client, opened):
    assert_refused(client, opened, opened.ballot(), 404, "not_found",
                   url="/api/rounds/r-0000000000000000/ballots")


def test_get_on_the_cast_url_is_a_json_405(client, opened):
    response = client.get(opened.url)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


# --- reads: open rounds and credential status -------------------------------------

def test_open_rounds_lists_only_open_rounds_with_their_election(client, opened, session):
    draft = rounds.create_round(session, opened.conference, "flag", "Nháp")
    session.commit()
    body = client.get("/api/rounds/open").get_json()
    listed = {r["round"]: r for r in body["rounds"]}
    assert draft.public_id not in listed
    entry = listed[opened.public_id]
    assert entry["election"] == json.loads(opened.round.election_json)
    assert entry["fingerprint"] == opened.round.fingerprint
    assert entry["title"] == opened.round.title
    assert entry["conference"] == opened.conference.name
    rounds.close_round(session, session.get(Round, opened.round.id))
    session.commit()
    body = client.get("/api/rounds/open").get_json()
    assert opened.public_id not in {r["round"] for r in body["rounds"]}


def credential_of(opened, card=0, token=None) -> str:
    token = token or opened.tokens[card]
    return public_credential(derive_credential(token, opened.public_id)).hex()


def status_url(public_id: str) -> str:
    return f"/api/rounds/{public_id}/credential-status"


def status(client, opened, card=0, token=None, public_id=None):
    """The credential's status, posted as the phone posts it."""
    return post(client, status_url(public_id or opened.public_id),
                {"credential": credential_of(opened, card, token)})


def test_credential_status_before_and_after_voting(client, opened):
    before = status(client, opened)
    assert before.status_code == 200
    assert before.get_json() == {"round": opened.public_id, "state": "open", "known": True,
                                 "revoked": False, "receipt": None}
    receipt = post(client, opened.url, opened.ballot()).get_json()
    after = status(client, opened).get_json()
    assert after == {"round": opened.public_id, "state": "open", "known": True,
                     "revoked": False, **receipt}
    assert after["qr"] == receipt["qr"]
    assert status(client, opened, card=1).get_json()["receipt"] is None


def test_credential_status_of_an_unknown_credential(client, opened):
    body = status(client, opened, token=bytes(16)).get_json()
    assert body == {"round": opened.public_id, "state": "open", "known": False,
                    "revoked": False, "receipt": None}


def test_credential_status_of_a_revoked_credential(client, opened, session):
    credential = credential_of(opened, card=1)
    card = session.scalar(select(Card).join(Credential).where(Credential.public == credential))
    card.is_revoked = True
    session.commit()
    body = status(client, opened, card=1).get_json()
    assert body == {"round": opened.public_id, "state": "open", "known": True,
                    "revoked": True, "receipt": None}


def test_credential_status_needs_no_csrf_token_or_cookie(app, opened):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    fresh = app.test_client(use_cookies=False)
    assert status(fresh, opened).status_code == 200


GOOD, OTHER, JSON = "ab" * 32, "cd" * 32, "application/json"

#: Bodies the status query refuses with a 400 JSON error, storing nothing.
BAD_STATUS_BODIES = {
    "not-json": (f"credential={GOOD}", JSON),
    "text-plain": (json.dumps({"credential": GOOD}), "text/plain"),
    "form": (f"credential={GOOD}", "application/x-www-form-urlencoded"),
    "not-utf8": (b'{"credential": "\xff"}', JSON),
    "array": (json.dumps([GOOD]), JSON),
    "array-of-object": (json.dumps([{"credential": GOOD}]), JSON),
    "string": (json.dumps(GOOD), JSON),
    "missing-key": ("{}", JSON),
    "misspelt-key": (json.dumps({"credentials": GOOD}), JSON),
    "extra-key": (json.dumps({"credential": GOOD, "round": "r"}), JSON),
    "uppercase": (json.dumps({"credential": GOOD.upper()}), JSON),
    "63-chars": (json.dumps({"credential": GOOD[:63]}), JSON),
    "66-chars": (json.dumps({"credential": GOOD + "ab"}), JSON),
    "not-hex": (json.dumps({"credential": "zz" * 32}), JSON),
    "trailing-newline": (json.dumps({"credential": GOOD + "\n"}), JSON),
    "number": (json.dumps({"credential": 12345}), JSON),
    "null": (json.dumps({"credential": None}), JSON),
    "list": (json.dumps({"credential": [GOOD]}), JSON),
    "repeated-key": (f'{{"credential": "{GOOD}", "credential": "{OTHER}"}}', JSON),
    "float": (f'{{"credential": "{GOOD}", "pad": 1.0}}', JSON),
    "nan": (f'{{"credential": "{GOOD}", "pad": NaN}}', JSON),
    "beyond-2^53": (f'{{"credential": "{GOOD}", "pad": {2**53 + 1}}}', JSON),
}


@pytest.mark.parametrize(("body", "content_type"), BAD_STATUS_BODIES.values(),
                         ids=list(BAD_STATUS_BODIES))
def test_credential_status_refuses_a_bad_body(client, opened, body, content_type):
    before = opened.stored()
    response = post(client, status_url(opened.public_id), body, content_type)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert opened.stored() == before


def test_credential_status_of_an_unknown_round(client, opened):
    response = status(client, opened, public_id="r-nope")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_credential_status_is_no_longer_in_a_url(client, opened):
    """The old GET form, with the credential in the path, is gone: no route
    takes a credential in its URL, and the page builds no such URL."""
    credential = credential_of(opened)
    for method in (client.get, client.post):
        response = method(f"/api/rounds/{opened.public_id}/credentials/{credential}")
        assert response.status_code == 404
    assert client.get(status_url(opened.public_id)).status_code == 405
    assert not [rule.rule for rule in opened.app.url_map.iter_rules()
                if "credential" in rule.arguments]
    assert "credentials/" not in client.get("/vote").get_data(as_text=True)


def test_cast_limit_is_generous_for_a_hall_behind_one_address(migrated_sqlite, tmp_path,
                                                              monkeypatch):
    """Every phone of a hall shares one address: 600 casts a minute from it
    pass the limiter; only the 601st is refused. The window slides: 600
    casts just before a fixed window's end and more just after it would all
    pass a fixed window (twice the limit), but not this one."""
    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    db = tmp_path / "limited.sqlite3"
    shutil.copy(migrated_sqlite, db)
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL": f"sqlite:///{db}",
                      "VOTING_KEYS_DIR": str(tmp_path), "RATELIMIT_ENABLED": True})
    client = app.test_client()
    url = "/api/rounds/r-none/ballots"

    def cast() -> int:
        return client.post(url, data="{}", content_type="application/json").status_code

    try:
        statuses = [cast()]
        clock[0] += 59.0
        statuses += [cast() for _ in range(599)]
        assert set(statuses) == {404}
        response = client.post(url, data="{}", content_type="application/json")
        assert response.status_code == 429
        assert response.get_json()["error"]["code"] == "too_many_requests"
        clock[0] += 2.0  # the first cast is now older than a minute: one more fits
        assert [cast(), cast()] == [404, 429]
    finally:
        app.extensions["voting.engine"].dispose()


def test_status_limit_is_generous_and_apart_from_the_cast_limit(migrated_sqlite, tmp_path):
    """A hall's phones ask their status from one address: STATUS_LIMIT
    queries a minute pass, the next is refused, and casting is not held
    up by them (each endpoint has its own budget)."""
    db = tmp_path / "limited.sqlite3"
    shutil.copy(migrated_sqlite, db)
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL": f"sqlite:///{db}",
                      "VOTING_KEYS_DIR": str(tmp_path), "RATELIMIT_ENABLED": True})
    client = app.test_client()
    limit = int(api.STATUS_LIMIT.split()[0])
    assert limit > int(api.CAST_LIMIT.split()[0])

    def ask() -> int:
        return post(client, status_url("r-none"), {"credential": GOOD}).status_code

    try:
        assert {ask() for _ in range(limit)} == {404}
        response = post(client, status_url("r-none"), {"credential": GOOD})
        assert response.status_code == 429
        assert response.get_json()["error"]["code"] == "too_many_requests"
        assert post(client, "/api/rounds/r-none/ballots", {}).status_code == 404
    finally:
        app.extensions["voting.engine"].dispose()
