"""The record-signing key is public outside the record (PROTOCOL §13): its
fingerprint, in groups of 4, on the public board, each round's board page,
the minutes and the phone's receipt, and it is the key the round's record
is signed with, checked by ``--server-key``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import NoEncryption
from cryptography.hazmat.primitives.serialization import PrivateFormat
from cryptography.hazmat.primitives.serialization import PublicFormat

from voting import create_app
from voting.crypto.record import fingerprint_groups
from voting.crypto.verifier import verify_record
from voting.models import RoundState
from voting.services import rounds
from voting.services.server_key import FILENAME

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_cards
from ..factories import make_conference
from .test_chair import chair  # noqa: F401 - fixture
from .test_chair import fresh
from .test_chair import post
from .test_chair import text
from .test_chair import vote

KEY = Ed25519PrivateKey.generate()
PEM = KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
FINGERPRINT = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
SHOWN = fingerprint_groups(FINGERPRINT)


@pytest.fixture
def app(migrated_sqlite, tmp_path):
    """The test app with the installation key given as VOTING_RECORD_KEY."""
    path = tmp_path / "voting.sqlite3"
    shutil.copy(migrated_sqlite, path)
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL": f"sqlite:///{path}",
                      "VOTING_KEYS_DIR": str(tmp_path / "keys"), "RATELIMIT_ENABLED": False,
                      "VOTING_PUBLIC_URL": "https://vote.example", "VOTING_RECORD_KEY": PEM})
    yield app
    app.extensions["voting.engine"].dispose()


@pytest.fixture
def published(chair, session):  # noqa: F811
    """A round opened, voted, closed and published through the chair's pages."""
    conference = make_conference(session, units=2, delegates=3)
    check_in(session, conference)
    private = complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    tokens = make_cards(session, conference, [rnd.id], 3)
    post(chair, f"/chair/rounds/{rnd.id}/open")
    fresh(session)
    for token in tokens[:2]:
        vote(session, rnd, token, [[0], [1]])
    post(chair, f"/chair/rounds/{rnd.id}/close", {"confirm": "1"})
    fresh(session)
    decrypt_and_publish(session, conference, rnd, private)
    fresh(session)
    assert rnd.state == RoundState.PUBLISHED
    return rnd


def test_the_fingerprint_is_on_the_public_board(client):
    html = text(client.get("/board/"))
    assert "Record-signing key" in html and SHOWN in html


def test_the_fingerprint_is_on_the_phone_receipt(client):
    html = text(client.get("/vote"))
    receipt = html.split('id="screen-receipt"')[1].split("</section>")[0]
    assert f'id="receipt-server-key" class="mono tracker">{SHOWN}<' in receipt


def test_the_round_is_signed_by_the_key_shown_on_its_page_and_in_the_minutes(
        chair, client, published, app, tmp_path):  # noqa: F811
    assert published.election_json and FINGERPRINT in published.election_json
    board = text(client.get(f"/board/{published.public_id}"))
    assert f'id="server-key">{SHOWN}<' in board
    assert f"--server-key {FINGERPRINT}" in board
    minutes = text(chair.get(f"/chair/rounds/{published.id}/minutes"))
    assert f'id="server-key">{SHOWN}<' in minutes
    record = tmp_path / "record.zip"
    record.write_bytes(client.get(f"/board/{published.public_id}/record.zip").data)
    report = verify_record(record, workers=1, server_key=bytes.fromhex(FINGERPRINT))
    assert report.ok, "\n".join(report.lines())
    assert not (Path(app.config["VOTING_KEYS_DIR"]) / FILENAME).exists()  # none made
