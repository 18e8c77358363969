"""The trustee's side of the key ceremony and of decryption
(voting/web/trustee.py): session from the invitation token, enrolment, the
distributed key generation's endpoints, the share, tally and partial
decryption endpoints."""

from __future__ import annotations

import copy
import json
import re
import secrets
from dataclasses import dataclass

import pytest

from voting.crypto import dkg
from voting.crypto import envelope
from voting.crypto import group
from voting.crypto import keys
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.codec import scalar_hex
from voting.crypto.group import L
from voting.crypto.tally import partial_decrypt
from voting.db import new_session
from voting.models import Conference
from voting.models import Round
from voting.models import Trustee
from voting.services import casting
from voting.services import ceremony
from voting.services import rounds
from voting.services import tallying
from voting.services.elections import election_of

from ..factories import make_conference
from ..factories import make_open_round


def public_hex(private: bytes) -> str:
    return envelope.public_key(private).hex()


def new_private() -> bytes:
    """An enrolment private key, as a browser derives it from a passphrase."""
    return secrets.token_bytes(32)


class TrusteeBrowser:
    """A trustee's browser: a test client that posts JSON with the CSRF header."""

    def __init__(self, app):
        self.client = app.test_client()
        page = self.client.get("/trustee/enrol?lang=en").text
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def post(self, url: str, payload, csrf: bool = True):
        headers = {"X-CSRFToken": self.csrf} if csrf else {}
        return self.client.post(url, data=json.dumps(payload), headers=headers,
                                content_type="application/json")

    def get(self, url: str):
        return self.client.get(url)

    def open(self, token: str):
        return self.post("/trustee/session", {"token": token})


@dataclass
class Ceremony:
    conference_id: int
    tokens: dict[int, str]
    private: dict[int, bytes]


def name_trustees(app, conference_id: int | None = None) -> Ceremony:
    with app.app_context():
        s = new_session(app)
        conference = (s.get(Conference, conference_id) if conference_id
                      else make_conference(s))
        tokens = ceremony.set_trustees(s, conference, ["An", "Bình", "Cường"], 2)
        result = Ceremony(conference.id, tokens, {})
        s.close()
    return result


def enrol_all_and_deal(app, world: Ceremony) -> Ceremony:
    """Every trustee enrols, then generates the key with the others, through
    the web endpoints only; each browser's side computed by voting/crypto/dkg."""
    browsers = {}
    for index, token in world.tokens.items():
        browsers[index] = browser = TrusteeBrowser(app)
        assert browser.open(token).status_code == 200
        world.private[index] = new_private()
        response = browser.post("/trustee/enrolment", {
            "enrolment_key": public_hex(world.private[index]),
            "kdf_salt": secrets.token_hex(32)})
        assert response.status_code == 200, response.text
    generate_in_browsers(browsers, world.private)
    return world


def frame_of(state: dict) -> dkg.Ceremony:
    c = state["ceremony"]
    return dkg.Ceremony(c["conference_id"], c["attempt"], c["threshold"],
                        tuple(bytes.fromhex(k) for k in c["enrolment_keys"]))


def generate_in_browsers(browsers: dict, private: dict) -> None:
    """Commit, reveal, confirm (PROTOCOL §4.5), as each trustee's page does."""
    def step(index, name, payload):
        response = browsers[index].post(f"/trustee/ceremony/{name}", payload)
        assert response.status_code == 200, response.text
        return response.json

    for index, browser in browsers.items():
        state = browser.get("/trustee/ceremony.json").json
        assert state["phase"] == "commit" and state["me"] == "enrolled"
        message = dkg.commit(frame_of(state), index, keys.draw_coefficients(state["threshold"]))
        step(index, "commit", {"attempt": state["attempt"], **message})
    for index, browser in browsers.items():
        state = browser.get("/trustee/ceremony.json").json
        assert state["phase"] == "reveal"
        coefficients = dkg.open_coefficients(frame_of(state), index, private[index],
                                             state["sealed_coefficients"])
        step(index, "reveal", {"attempt": state["attempt"],
                               **dkg.reveal(frame_of(state), index, coefficients)})
    for index, browser in browsers.items():
        state = browser.get("/trustee/ceremony.json").json
        assert state["phase"] == "confirm"
        share = dkg.receive(frame_of(state), index, private[index], dict(
            enumerate(state["reveals"], start=1)))
        step(index, "confirm", {"attempt": state["attempt"],
                                "public_share": group.mul_base(share).hex()})


def share_of(dealt: dict, private: bytes) -> int:
    """s_i opened from what /trustee/share.json returns."""
    return dkg.receive(frame_of(dealt), dealt["index"], private,
                       dict(enumerate(dealt["reveals"], start=1)))


@pytest.fixture
def world(app) -> Ceremony:
    return enrol_all_and_deal(app, name_trustees(app))


def closed_round(app, conference_id: int, ballots: int = 2) -> str:
    """A round of the conference with ``ballots`` ballots, closed; its public id."""
    with app.app_context():
        s = new_session(app)
        conference = s.get(Conference, conference_id)
        rnd, tokens = make_open_round(s, conference, app.config["VOTING_KEYS_DIR"], cards=3)
        for token in tokens[:ballots]:
            ballot = encrypt_ballot(election_of(rnd), [[0]] * len(rnd.candidates),
                                    derive_credential(token, rnd.public_id))
            casting.cast_ballot(s, rnd, ballot)
        rounds.close_round(s, rnd)
        public_id = rnd.public_id
        s.close()
    return public_id


def python_partial(app, world: Ceremony, public_id: str, index: int) -> dict:
    """Trustee ``index``'s partial decryption, computed in Python from the opened share."""
    with app.app_context():
        s = new_session(app)
        rnd = rounds.get_round_by_public_id(s, public_id)
        conference = s.get(Conference, world.conference_id)
        frame = dkg.Ceremony(conference.id, conference.ceremony_attempt, conference.threshold,
                             tuple(bytes.fromhex(t.enrolment_key) for t in conference.trustees))
        share = dkg.receive(frame, index, world.private[index],
                            {t.index: json.loads(t.reveal_json) for t in conference.trustees})
        partial = partial_decrypt(election_of(rnd), tallying.encrypted_tally(s, rnd), index,
                                  share)
        s.close()
    return partial


def board_partials(app, public_id: str) -> list[int]:
    with app.app_context():
        s = new_session(app)
        submitted = tallying.submitted_trustees(s, rounds.get_round_by_public_id(s, public_id))
        s.close()
    return submitted


def load_trustee(app, conference_id: int, index: int) -> Trustee:
    with app.app_context():
        s = new_session(app)
        trustee = s.get(Conference, conference_id).trustees[index - 1]
        assert trustee.conference is not None  # loaded before the session closes
        s.expunge_all()
        s.close()
    return trustee


# -- enrolment ---------------------------------------------------------------

def test_enrol_page_carries_the_kdf_and_no_token(app):
    page = TrusteeBrowser(app).get("/trustee/enrol")
    assert page.status_code == 200
    assert "dist/trustee.js" in page.text
    kdf = json.loads(re.search(r'data-kdf="([^"]+)"', page.text).group(1).replace("&#34;", '"'))
    assert kdf == ceremony.KDF


def test_trustee_enrols_with_the_token_in_a_json_body(app):
    world = name_trustees(app)
    browser = TrusteeBrowser(app)
    response = browser.open(world.tokens[2])
    assert response.status_code == 200
    assert response.json["name"] == "Bình" and response.json["index"] == 2
    assert response.json["is_enrolled"] is False and response.json["has_key"] is False
    private = new_private()
    salt = secrets.token_hex(32)
    response = browser.post("/trustee/enrolment", {"enrolment_key": public_hex(private),
                                                   "kdf_salt": salt})
    assert response.status_code == 200
    trustee = load_trustee(app, world.conference_id, 2)
    assert (trustee.enrolment_key, trustee.kdf_salt) == (public_hex(private), salt)
    assert trustee.enrolled_at is not None
    assert load_trustee(app, world.conference_id, 1).enrolment_key is None
    home = browser.get("/trustee/")
    assert home.status_code == 200 and "Bình" in home.text


def test_bad_token_opens_no_session(app):
    world = name_trustees(app)
    browser = TrusteeBrowser(app)
    assert browser.open("not-a-token").status_code == 404
    assert browser.open(None).status_code == 404
    assert browser.get("/trustee/").status_code == 403
    assert browser.post("/trustee/session", {"token": world.tokens[1]}, csrf=False
                        ).status_code == 400  # CSRF header missing
    assert browser.get("/trustee/").status_code == 403
    assert browser.client.get("/trustee/session").status_code == 405


@pytest.mark.parametrize("url", ["/trustee/", "/trustee/share.json", "/trustee/ceremony.json",
                                 "/trustee/rounds/r-0000/tally.json"])
def test_trustee_pages_need_a_trustee_session(app, url):
    assert TrusteeBrowser(app).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/trustee/enrolment", "/trustee/ceremony/commit",
                                 "/trustee/ceremony/confirm", "/trustee/rounds/r-0000/partial"])
def test_trustee_posts_need_a_trustee_session(app, url):
    assert TrusteeBrowser(app).post(url, {}).status_code == 403


@pytest.mark.parametrize("payload", [
    {"enrolment_key": "zz" * 32, "kdf_salt": "00" * 32},
    {"enrolment_key": "00" * 32, "kdf_salt": "00" * 32},
    {"enrolment_key": "09" * 31, "kdf_salt": "00" * 32},
    {"enrolment_key": "09" * 32, "kdf_salt": "short"},
    {"enrolment_key": "09" * 32},
    ["not", "an", "object"],
])
def test_enrolment_refuses_bad_keys_and_stores_nothing(app, payload):
    world = name_trustees(app)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    assert browser.post("/trustee/enrolment", payload).status_code == 400
    assert load_trustee(app, world.conference_id, 1).enrolment_key is None


def test_renaming_the_trustees_ends_their_sessions(app):
    world = name_trustees(app)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    assert browser.get("/trustee/").status_code == 200
    name_trustees(app, world.conference_id)  # new rows; SQLite may reuse their ids
    assert browser.get("/trustee/").status_code == 403


def test_enrolment_is_closed_once_the_key_exists(app, world):
    browser = TrusteeBrowser(app)
    assert browser.open(world.tokens[1]).json["has_key"] is True
    page = browser.get("/trustee/enrol")  # the page's script goes on to the home page
    assert page.status_code == 200 and 'data-has-key="1"' in page.text
    response = browser.post("/trustee/enrolment", {
        "enrolment_key": public_hex(new_private()),
        "kdf_salt": secrets.token_hex(32)})
    assert response.status_code == 400


# -- the distributed key generation and the share --------------------------

def test_share_json_is_the_logged_in_trustees_own(app, world):
    for index in (1, 3):
        browser = TrusteeBrowser(app)
        browser.open(world.tokens[index])
        dealt = browser.get("/trustee/share.json").json
        trustee = load_trustee(app, world.conference_id, index)
        assert dealt["index"] == index
        assert dealt["ceremony"]["conference_id"] == world.conference_id
        assert dealt["enrolment_key"] == public_hex(world.private[index])
        assert dealt["kdf"] == ceremony.KDF and dealt["kdf_salt"] == trustee.kdf_salt
        assert dealt["public_share"] == trustee.public_share
        share = share_of(dealt, world.private[index])
        parsed = keys.parse_dealings([{k: r[k] for k in ("commitments", "proofs")}
                                      for r in dealt["reveals"]], 2)
        keys.check_share(parsed, index, share)
        with pytest.raises(dkg.Complaint):      # another trustee's key opens nothing
            share_of(dealt, world.private[2])


def test_share_json_waits_for_the_key(app):
    world = name_trustees(app)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    assert browser.get("/trustee/share.json").status_code == 409


def test_the_ceremony_state_shows_a_trustee_only_their_own_sealed_coefficients(app):
    world = name_trustees(app)
    browsers = {}
    for index, token in world.tokens.items():
        browsers[index] = TrusteeBrowser(app)
        browsers[index].open(token)
        world.private[index] = new_private()
        browsers[index].post("/trustee/enrolment", {
            "enrolment_key": public_hex(world.private[index]), "kdf_salt": secrets.token_hex(32)})
    sealed = {}
    for index in (1, 2):
        state = browsers[index].get("/trustee/ceremony.json").json
        message = dkg.commit(frame_of(state), index, keys.draw_coefficients(2))
        assert browsers[index].post("/trustee/ceremony/commit",
                                    {"attempt": 1, **message}).status_code == 200
        sealed[index] = message["sealed_coefficients"]
    for index in (1, 2):
        state = browsers[index].get("/trustee/ceremony.json").json
        assert state["sealed_coefficients"] == sealed[index]
        assert state["index"] == index and state["me"] == "committed"
        assert state["phase"] == "commit" and state["reveals"] is None
        assert [t["phase"] for t in state["trustees"]] == ["committed", "committed", "enrolled"]
    assert browsers[3].get("/trustee/ceremony.json").json["sealed_coefficients"] is None


@pytest.mark.parametrize("payload, status", [
    ({"attempt": 2, "commitment_hash": "00" * 32}, 409),
    ({"attempt": 1, "commitment_hash": "00" * 32}, 400),
    ({"attempt": 1, "commitment_hash": "00" * 32, "sealed_coefficients": {
        "ephemeral": "00" * 32, "nonce": "00" * 12, "ciphertext": "00" * 47}}, 400),
    ({"attempt": 1.0}, 400),
    (["attempt", 1], 400),
])
def test_ceremony_posts_are_validated_and_store_nothing(app, payload, status):
    world = name_trustees(app)
    browsers = {}
    for index, token in world.tokens.items():
        browsers[index] = TrusteeBrowser(app)
        browsers[index].open(token)
        browsers[index].post("/trustee/enrolment", {
            "enrolment_key": public_hex(new_private()), "kdf_salt": secrets.token_hex(32)})
    response = browsers[1].post("/trustee/ceremony/commit", payload)
    assert response.status_code == status, response.text
    assert load_trustee(app, world.conference_id, 1).commitment_hash is None
    assert browsers[1].post("/trustee/ceremony/deal", {}).status_code == 404


def test_the_key_made_in_browsers_is_the_conference_key(app, world):
    with app.app_context():
        s = new_session(app)
        conference = s.get(Conference, world.conference_id)
        assert conference.key_ceremony == "distributed"
        assert all(t.share_checked_at is not None for t in conference.trustees)
        s.close()
    dealers = keys.parse_dealings(json.loads(conference.dealers_json), 2)
    assert len(dealers) == 3
    assert keys.joint_public_key(dealers).hex() == conference.public_key


# -- decryption --------------------------------------------------------------

def test_tally_json_gives_the_trustees_own_round_only(app, world):
    other = enrol_all_and_deal(app, name_trustees(app))
    mine, theirs = closed_round(app, world.conference_id), closed_round(app, other.conference_id)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[2])
    assert browser.get(f"/trustee/rounds/{theirs}/tally.json").status_code == 404
    assert browser.get("/trustee/rounds/r-nonexistent/tally.json").status_code == 404
    tally = browser.get(f"/trustee/rounds/{mine}/tally.json").json
    trustee = load_trustee(app, world.conference_id, 2)
    with app.app_context():
        s = new_session(app)
        rnd = rounds.get_round_by_public_id(s, mine)
        expected = [[ct.to_json() for ct in row] for row in tallying.encrypted_tally(s, rnd)]
        assert tally["fingerprint"] == rnd.fingerprint
        s.close()
    assert tally["ciphertexts"] == expected
    assert tally["trustee"] == 2 and tally["public_share"] == trustee.public_share
    assert tally["public_key"] == trustee.conference.public_key


def test_tally_json_refuses_rounds_not_waiting_for_decryption(app, world):
    empty = closed_round(app, world.conference_id, ballots=0)
    with app.app_context():
        s = new_session(app)
        rnd, _ = make_open_round(s, s.get(Conference, world.conference_id),
                                 app.config["VOTING_KEYS_DIR"])
        open_id = rnd.public_id
        s.close()
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    for public_id in (empty, open_id):
        assert browser.get(f"/trustee/rounds/{public_id}/tally.json").status_code == 400


def test_home_lists_rounds_to_decrypt_and_decrypted(app, world):
    public_id = closed_round(app, world.conference_id)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    home = browser.get("/trustee/").text
    assert f"/trustee/rounds/{public_id}/partial" in home
    partial = python_partial(app, world, public_id, 1)
    assert browser.post(f"/trustee/rounds/{public_id}/partial", partial).status_code == 200
    home = browser.get("/trustee/").text
    assert f"/trustee/rounds/{public_id}/partial" not in home
    assert "waiting for the other trustees" in home


def test_partial_endpoint_accepts_a_valid_partial_once(app, world):
    public_id = closed_round(app, world.conference_id)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[3])
    partial = python_partial(app, world, public_id, 3)
    assert browser.post(f"/trustee/rounds/{public_id}/partial", partial).status_code == 200
    assert board_partials(app, public_id) == [3]
    assert browser.post(f"/trustee/rounds/{public_id}/partial", partial).status_code == 400
    assert board_partials(app, public_id) == [3]


def _bump(value: str) -> str:
    return scalar_hex((int.from_bytes(bytes.fromhex(value), "little") + 1) % L)


def _altered(partial: dict, how: str) -> dict:
    bad = copy.deepcopy(partial)
    entry = bad["shares"][0][0]
    if how == "d":
        entry["d"] = bad["shares"][1][0]["d"]
    elif how in ("c", "u"):
        entry[how] = _bump(entry[how])
    elif how == "shape":
        bad["shares"] = bad["shares"][:-1]
    else:
        bad["extra"] = 1
    return bad


@pytest.mark.parametrize("how", ["d", "c", "u", "shape", "extra key"])
def test_partial_endpoint_refuses_a_bad_partial_storing_nothing(app, world, how):
    public_id = closed_round(app, world.conference_id)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    partial = _altered(python_partial(app, world, public_id, 1), how)
    assert browser.post(f"/trustee/rounds/{public_id}/partial", partial).status_code == 400
    assert board_partials(app, public_id) == []


@pytest.mark.parametrize("index", [True, False, 2**53 + 1, -(2**53) - 1, 1.0])
def test_partial_endpoint_refuses_a_trustee_index_that_is_not_an_exact_integer(app, world,
                                                                               index):
    """Trustee 1's valid partial with its index written as true (which
    Python holds equal to 1), false, beyond ±2^53 or as a float: refused."""
    public_id = closed_round(app, world.conference_id)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    partial = dict(python_partial(app, world, public_id, 1), trustee=index)
    response = browser.post(f"/trustee/rounds/{public_id}/partial", partial)
    assert response.status_code == 400 and response.json["error"]["message"]
    assert board_partials(app, public_id) == []
    partial["trustee"] = 1
    assert browser.post(f"/trustee/rounds/{public_id}/partial", partial).status_code == 200


def test_partial_endpoint_refuses_repeated_keys(app, world):
    public_id = closed_round(app, world.conference_id)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    raw = json.dumps(python_partial(app, world, public_id, 1)).replace(
        '{"trustee": 1', '{"trustee": 2, "trustee": 1')
    response = browser.client.post(f"/trustee/rounds/{public_id}/partial", data=raw,
                                   headers={"X-CSRFToken": browser.csrf},
                                   content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.json["error"]["message"]
    assert board_partials(app, public_id) == []


def test_a_trustee_cannot_submit_another_trustees_partial(app, world):
    public_id = closed_round(app, world.conference_id)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    partial = python_partial(app, world, public_id, 2)
    assert browser.post(f"/trustee/rounds/{public_id}/partial", partial).status_code == 400
    assert board_partials(app, public_id) == []


def test_partials_of_two_trustees_publish_the_result(app, world):
    public_id = closed_round(app, world.conference_id, ballots=2)
    for index in (1, 3):
        browser = TrusteeBrowser(app)
        browser.open(world.tokens[index])
        response = browser.post(f"/trustee/rounds/{public_id}/partial",
                                python_partial(app, world, public_id, index))
        assert response.status_code == 200
    with app.app_context():
        s = new_session(app)
        result = tallying.publish_result(s, rounds.get_round_by_public_id(s, public_id))
        assert s.get(Round, rounds.get_round_by_public_id(s, public_id).id).published_at
        s.close()
    assert result["trustees"] == [1, 3]
    assert all(counts == [2, 0] for counts in result["counts"])


@pytest.fixture
def limited_app(migrated_sqlite, tmp_path):
    """The app with rate limits on (the shared fixtures turn them off)."""
    import shutil

    from voting import create_app

    path = tmp_path / "limited.sqlite3"
    shutil.copy(migrated_sqlite, path)
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL": f"sqlite:///{path}",
                      "VOTING_KEYS_DIR": str(tmp_path), "RATELIMIT_ENABLED": True,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    yield app
    app.extensions["voting.engine"].dispose()


def test_session_endpoint_is_rate_limited(limited_app):
    browser = TrusteeBrowser(limited_app)
    statuses = [browser.open(f"guess-{k}").status_code for k in range(11)]
    assert statuses == [404] * 10 + [429]
