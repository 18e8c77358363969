"""The served ballot client is named (PROTOCOL §5.3 ``ballot_client``,
§15): opening a round freezes the SHA-256 of the vote page's bundle into
its election object; the vote page loads exactly those bytes with
Subresource Integrity; the round's board page and the minutes show the
hash, and the record's verifier finds the same one."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from voting import ROOT
from voting.crypto.record import fingerprint_groups
from voting.crypto.verifier import verify_record
from voting.services import client_bundle

from .test_chair import chair  # noqa: F401 - fixture
from .test_chair import text
from .test_record_key_pages import app  # noqa: F401 - fixture
from .test_record_key_pages import published  # noqa: F401 - fixture


def served_digest() -> bytes:
    return hashlib.sha256((ROOT / client_bundle.BUNDLE).read_bytes()).digest()


def test_the_vote_page_loads_the_bundle_with_its_integrity(client):
    html = text(client.get("/vote"))
    tag = re.search(r'<script type="module" src="([^"]+)" integrity="([^"]+)">', html)
    assert tag and tag[1].endswith("/static/dist/vote.js")
    assert tag[2] == "sha256-" + base64.b64encode(served_digest()).decode()
    served = client.get(tag[1]).data
    assert hashlib.sha256(served).digest() == served_digest()


def test_the_round_names_the_bundle_on_its_board_page_minutes_and_record(
        chair, client, published, tmp_path):  # noqa: F811
    named = json.loads(published.election_json)["ballot_client"]
    assert named == served_digest().hex()
    shown = fingerprint_groups(named)
    board = text(client.get(f"/board/{published.public_id}"))
    assert f'id="ballot-client">{shown}<' in board and f"--client-hash {named}" in board
    minutes = text(chair.get(f"/chair/rounds/{published.id}/minutes"))
    assert f'id="ballot-client">{shown}<' in minutes
    record = tmp_path / "record.zip"
    record.write_bytes(client.get(f"/board/{published.public_id}/record.zip").data)
    report = verify_record(record, workers=1, client_hash=named)
    assert report.ok and report.ballot_client == named, "\n".join(report.lines())
