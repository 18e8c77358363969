"""The card sheet is one self-contained file, printed from disk: its
stylesheet is embedded (no link to the server, which a sheet opened from a
USB stick cannot reach), allowed by its SHA-256 in the sheet's own policy
and in the download's CSP header; no script, nothing else inline."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
from pathlib import Path

import pytest

from voting.db import new_session
from voting.services import cardsheet
from voting.services import rounds

from ..factories import make_conference

CSS = (Path(__file__).resolve().parents[2] / "voting" / "static" / "css" / "cards.css").read_text()


def assert_self_contained(sheet: str, csp: str | None = None) -> None:
    """One <style> holding cards.css, allowed by hash; nothing else inline or linked."""
    styles = re.findall(r"<style>(.*?)</style>", sheet, re.S)
    assert styles == [CSS]
    for rule in ("@page { size: A4 portrait;", ".ballot-card {", ".card-qr .qr-code {",
                 "@media print {"):
        assert rule in styles[0]
    assert not re.search(r"<link|cards\.css|<script|\sstyle=|\son[a-z]+=|https?://[^\"<]*/static/",
                         sheet, re.I)
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', sheet)
    policy = html_lib.unescape(meta[1])
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert policy == ("default-src 'none'; style-src 'sha256-" + digest + "'; "
                      "base-uri 'none'; form-action 'none'")
    if csp is not None:
        assert csp == policy


@pytest.fixture
def draft_round(app):
    """A conference with one draft round: (conference id, round id)."""
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        ids = conference.id, rounds.create_round(s, conference, "advanced", "Vòng 1").id
        s.close()
    return ids


def test_the_downloaded_sheet_embeds_its_stylesheet(client, auth, draft_round):
    conference_id, round_id = draft_round
    auth.login()
    page = client.get(f"/cards/conferences/{conference_id}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)[1]
    response = client.post(f"/cards/conferences/{conference_id}/issue", data={
        "csrf_token": token, "count": 2, "spares": 0, "rounds": [round_id]})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    sheet = response.get_data(as_text=True)
    assert_self_contained(sheet, response.headers["Content-Security-Policy"])
    assert "https://vote.example/vote " in sheet  # the address to type, in the instruction


def test_the_policy_names_exactly_the_embedded_text(app):
    with app.app_context():
        assert cardsheet.sheet_css() == CSS
    assert cardsheet.sheet_policy("a{}") == (
        "default-src 'none'; style-src 'sha256-"
        + base64.b64encode(hashlib.sha256(b"a{}").digest()).decode()
        + "'; base-uri 'none'; form-action 'none'")
