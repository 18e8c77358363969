"""The public board: round list, chain of events, find-my-ballot, ballot
pages and their QR codes, results, and a record that passes the verifier."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from voting.crypto.ballot import short_tracker
from voting.crypto.verifier import verify_record
from voting.models import Round
from voting.services import board_queries
from voting.services import rounds

from ..factories import decrypt_and_publish
from .test_api import Opened
from .test_api import opened  # noqa: F401 - fixture
from .test_api import post


def cast(client, opened: Opened, card: int, choices) -> dict:  # noqa: F811
    response = post(client, opened.url, opened.ballot(card=card, choices=choices))
    assert response.status_code == 201
    return response.get_json()["receipt"]


def round_page(client, opened: Opened, **params) -> str:  # noqa: F811
    response = client.get(f"/board/{opened.public_id}", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_index_lists_non_draft_rounds_by_conference(client, opened, session):  # noqa: F811
    draft = rounds.create_round(session, opened.conference, "flag", "Vòng nháp")
    session.commit()
    html = client.get("/board/").get_data(as_text=True)
    assert opened.conference.name in html
    assert f"/board/{opened.public_id}" in html
    assert draft.public_id not in html and "Vòng nháp" not in html


def test_draft_round_is_not_public(client, opened, session):  # noqa: F811
    draft = rounds.create_round(session, opened.conference, "flag", "Vòng nháp")
    session.commit()
    assert client.get(f"/board/{draft.public_id}").status_code == 404
    assert client.get(f"/board/{draft.public_id}/record.zip").status_code == 404
    assert client.get("/board/r-missing").status_code == 404


def test_round_page_shows_the_chain(client, opened):  # noqa: F811
    receipt = cast(client, opened, 0, [[0], [0], [1]])
    html = round_page(client, opened)
    rnd = opened.session.get(Round, opened.round.id)
    opened.session.refresh(rnd)
    assert rnd.fingerprint in html and rnd.head in html
    assert receipt["tracker"] in html and receipt["short_tracker"] in html
    assert "0" * 64 in html  # event 0's parent
    events = board_queries.event_page(opened.session, rnd, 1).rows
    opened.session.commit()
    assert [e.kind for e in events] == ["setup", "open", "ballot"]
    assert [e.parent for e in events[1:]] == [e.hash for e in events[:-1]]
    for event in events:
        assert event.hash in html
    assert "voting-verify record-" in html


def test_chain_is_paginated(client, opened, monkeypatch):  # noqa: F811
    monkeypatch.setattr(board_queries, "PER_PAGE", 2)
    receipts = [cast(client, opened, card, [[0], [], []]) for card in range(3)]
    first = round_page(client, opened)          # setup, open
    second = round_page(client, opened, page=2)  # ballots 0 and 1
    third = round_page(client, opened, page=3)   # ballot 2
    assert "Page 1 of 3" in first and receipts[0]["tracker"] not in first
    assert receipts[0]["tracker"] in second and receipts[1]["tracker"] in second
    assert receipts[2]["tracker"] not in second and receipts[2]["tracker"] in third
    assert round_page(client, opened, page=99) == third  # clamped to the last page


@pytest.mark.parametrize("form", ["full", "full-upper", "short", "short-lower", "short-aliases"])
def test_find_my_ballot(client, opened, form):  # noqa: F811
    receipt = cast(client, opened, 0, [[1], [1], [1]])
    cast(client, opened, 1, [[0], [0], [0]])
    full, short = receipt["tracker"], receipt["short_tracker"]
    typed = {"full": full, "full-upper": f" {full.upper()} ", "short": short,
             "short-lower": short.lower().replace("-", ""),
             "short-aliases": short.replace("0", "o").replace("1", "l")}[form]
    html = round_page(client, opened, tracker=typed)
    assert f"at event {receipt['seq']}" in html
    assert f'/board/{opened.public_id}/ballots/{full}"' in html


def test_find_my_ballot_reports_a_missing_or_unreadable_code(client, opened):  # noqa: F811
    receipt = cast(client, opened, 0, [[1], [1], [1]])
    missing = "ZZZZ-ZZZZ" if not receipt["short_tracker"] == "ZZZZ-ZZZZ" else "0000-0000"
    html = round_page(client, opened, tracker=missing)
    assert "No ballot with this code" in html and "at event" not in html
    html = round_page(client, opened, tracker="hello")
    assert "neither a receipt code" in html


def test_ballot_page_shows_its_event(client, opened):  # noqa: F811
    receipt = cast(client, opened, 0, [[0], [1], []])
    response = client.get(f"/board/{opened.public_id}/ballots/{receipt['tracker']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert receipt["short_tracker"] in html
    event_json = re.search(r'<pre class="mono event-json">(.*?)</pre>', html, re.S).group(1)
    event = json.loads(event_json.replace("&#34;", '"').replace("&quot;", '"'))
    assert event["seq"] == receipt["seq"] and event["type"] == "ballot"
    assert event["body"]["tracker"] == receipt["tracker"]


def test_ballot_page_and_qr_of_an_unknown_tracker_are_404(client, opened):  # noqa: F811
    base = f"/board/{opened.public_id}/ballots"
    assert client.get(f"{base}/{'ab' * 32}").status_code == 404
    assert client.get(f"{base}/{'ab' * 32}/qr.svg").status_code == 404
    assert client.get(f"{base}/not-a-tracker").status_code == 404


def test_ballot_qr_is_an_svg_of_the_public_address(client, opened):  # noqa: F811
    receipt = cast(client, opened, 0, [[0], [1], []])
    response = client.get(f"/board/{opened.public_id}/ballots/{receipt['tracker']}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.lstrip().startswith(("<svg", "<?xml")) and "<path" in svg
    assert "style=" not in svg


def test_record_zip_passes_the_verifier(client, opened, tmp_path):  # noqa: F811
    for card, choices in enumerate([[[0], [0], [1]], [[1], [], [0]]]):
        cast(client, opened, card, choices)
    response = client.get(f"/board/{opened.public_id}/record.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f"record-{opened.public_id}.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert {"board.jsonl", "signature.json"} <= set(archive.namelist())
    publish(opened, close(opened))
    path = tmp_path / "record.zip"
    path.write_bytes(client.get(f"/board/{opened.public_id}/record.zip").data)
    report = verify_record(path, workers=1)
    assert report.ok, "\n".join(report.lines())
    assert report.ballots == 2


def close(opened: Opened) -> Round:  # noqa: F811
    opened.session.expire_all()  # the client's requests appended ballots since
    rnd = opened.session.get(Round, opened.round.id)
    rounds.close_round(opened.session, rnd)
    return rnd


def publish(opened: Opened, rnd: Round) -> dict:  # noqa: F811
    result = decrypt_and_publish(opened.session, opened.conference, rnd, opened.private)
    opened.session.commit()
    return result


def test_published_round_shows_counts_and_outcomes(client, opened):  # noqa: F811
    for card, choices in enumerate([[[0], [0], [1]], [[0], [1], []], [[0], [], [1]]]):
        cast(client, opened, card, choices)
    result = publish(opened, close(opened))
    assert result["counts"] == [[3, 0], [1, 1], [0, 2]]
    html = round_page(client, opened)
    assert "Result published" in html
    rows = re.findall(r'<tr class="outcome-(\w+)"><td>([^<]*)</td><td>(\d+)</td><td>(\d+)</td>',
                      html)
    names = [u.name for u in opened.conference.units]
    # "advanced": agree > 1/2 of the 5 delegates present (all checked in with a card).
    assert [(name, int(count), int(base)) for _status, name, count, base in rows] == \
        list(zip(names, [3, 1, 0], [5, 5, 5], strict=True))
    assert [status for status, *_ in rows] == ["elected", "not_elected", "not_elected"]
    assert [status for status, *_ in rows] == [o["status"] for o in result["outcomes"][0]]
    assert "members 5, present 5, cards issued 5, ballots cast 3" in html


def test_short_tracker_in_the_chain_matches_the_reference(client, opened):  # noqa: F811
    receipt = cast(client, opened, 0, [[0], [0], [0]])
    assert receipt["short_tracker"] == short_tracker(bytes.fromhex(receipt["tracker"]))
    assert re.search(rf'>{receipt["short_tracker"]}</a>', round_page(client, opened))
