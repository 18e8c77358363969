"""``GET /board/<id>/board.jsonl``: the round's board as it stands, public,
once its encrypted tally is on it; exactly the record's ``board.jsonl``
(PROTOCOL §13), so that a trustee's browser can verify it before decrypting."""

from __future__ import annotations

import io
import json
import zipfile

from voting.crypto.hashing import canonical_json
from voting.crypto.hashing import hash32
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import tally_to_json
from voting.models import RoundState
from voting.services import rounds

from .test_api import opened  # noqa: F401 - fixture
from .test_api import post
from .test_board import cast
from .test_board import close
from .test_board import publish
from .test_trustee import closed_round
from .test_trustee import enrol_all_and_deal
from .test_trustee import name_trustees
from .test_trustee import TrusteeBrowser


def lines_of(client, public_id: str):
    return client.get(f"/board/{public_id}/board.jsonl")


def test_board_lines_are_404_until_the_tally_is_on_the_board(client, opened):  # noqa: F811
    assert lines_of(client, "no-such-round").status_code == 404
    cast(client, opened, 0, [[0], [1], []])
    assert lines_of(client, opened.public_id).status_code == 404  # open: no tally yet
    draft = rounds.create_round(opened.session, opened.conference, "advanced", "Nháp")
    opened.session.commit()
    assert lines_of(client, draft.public_id).status_code == 404

def test_board_lines_after_close_are_the_chain_up_to_the_tally(client, opened):  # noqa: F811
    ballots = []
    for card, choices in enumerate([[[0], [0], [1]], [[1], [], [0]]]):
        ballots.append(opened.ballot(card=card, choices=choices))
        assert post(client, opened.url, ballots[-1]).status_code == 201
    rnd = close(opened)
    assert rnd.state == RoundState.CLOSED
    response = lines_of(client, opened.public_id)  # anonymous: the board is public
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert "no-store" in response.headers["Cache-Control"]
    data = response.data
    assert data.endswith(b"\n") and b"\r" not in data and b"\n\n" not in data
    lines = data[:-1].split(b"\n")
    events = [json.loads(line) for line in lines]
    assert [e["type"] for e in events] == ["setup", "open", "ballot", "ballot", "close", "tally"]
    parent = bytes(32)
    for seq, (line, event) in enumerate(zip(lines, events, strict=True)):
        assert canonical_json(event) == line
        assert event["seq"] == seq and event["parent"] == parent.hex()
        parent = hash32("event", line)
    assert events[-1]["body"]["ciphertexts"] == \
        tally_to_json(tally_ballots(opened.election, ballots))


def test_board_lines_of_a_published_round_are_the_records_board(client, opened):  # noqa: F811
    cast(client, opened, 0, [[0], [0], [1]])
    publish(opened, close(opened))
    data = lines_of(client, opened.public_id).data
    record = client.get(f"/board/{opened.public_id}/record.zip").data
    with zipfile.ZipFile(io.BytesIO(record)) as archive:
        assert archive.read("board.jsonl") == data
    assert [json.loads(x)["type"] for x in data.splitlines()][-1] == "result"


def test_trustee_home_points_the_decrypt_form_at_the_board(app):
    """The page that decrypts fetches the round's board and the verifier's
    worker, and carries the refusal texts (checks named in the trustee's
    language): templates/trustee/home.html, _home_messages.html."""
    world = enrol_all_and_deal(app, name_trustees(app))
    public_id = closed_round(app, world.conference_id)
    browser = TrusteeBrowser(app)
    browser.open(world.tokens[1])
    home = browser.get("/trustee/?lang=en").text
    assert f'data-board-url="/board/{public_id}/board.jsonl"' in home
    assert 'data-verify-worker-url="/static/dist/verify-worker.js"' in home
    for key in ("board_refused", "other_election", "verifying", "check_2", "check_15"):
        assert f'data-msg="{key}"' in home
    assert "Check {check} ({title}) failed: {detail}" in home
    vietnamese = browser.get("/trustee/?lang=vi").text
    assert "Phép kiểm tra {check} ({title}) không đạt: {detail}" in vietnamese
    assert browser.get(f"/board/{public_id}/board.jsonl").status_code == 200
