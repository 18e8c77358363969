"""The board's "Verify this round" page: offered for a published round
only (its record is the one that can pass all 19 checks), in Vietnamese by
default and English on request, with everything the script needs passed in
data- attributes and the translated messages (no inline script)."""

from __future__ import annotations

import re

import pytest

from voting.models import Round

from .test_api import Opened
from .test_api import opened  # noqa: F401 - fixture
from .test_board import cast
from .test_board import close
from .test_board import publish

CHECK_TITLES_EN = ["Record format", "Board chain", "Record signature", "Election fingerprint",
                   "Manifest", "Trustee keys", "Credentials", "Ballot format",
                   "Ballot signatures", "Trackers", "Eligibility", "Selection proofs",
                   "Range proofs", "Close", "Encrypted tally", "Partial decryptions", "Counts",
                   "Rule outcomes", "Audited encryptions"]


@pytest.fixture
def published(client, opened: Opened) -> Round:  # noqa: F811
    for card, choices in enumerate([[[0], [0], [1]], [[1], [], [0]]]):
        cast(client, opened, card, choices)
    rnd = close(opened)
    publish(opened, rnd)
    return rnd


def verify_page(client, public_id: str, lang: str | None = None) -> str:
    response = client.get(f"/board/{public_id}/verify",
                          query_string={"lang": lang} if lang else None)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def check_titles(html: str) -> list[str]:
    return re.findall(r'<strong class="check-title">([^<]*)</strong>', html)


def test_page_renders_in_english(client, opened, published):  # noqa: F811
    html = verify_page(client, opened.public_id, "en")
    assert 'lang="en"' in html
    assert "Verify this round" in html and opened.round.title in html
    assert check_titles(html) == CHECK_TITLES_EN
    numbers = re.findall(r'<li class="check check-pending" id="check-(\d+)" data-check="(\d+)">',
                         html)
    assert numbers == [(str(n), str(n)) for n in range(1, 20)]
    # The script's inputs: the record and the worker, by URL; no inline code.
    assert f'data-record-url="/board/{opened.public_id}/record.zip"' in html
    assert 'data-worker-url="/static/dist/verify-worker.js"' in html
    assert '<script type="module" src="/static/dist/verify.js"></script>' in html
    assert "<script>" not in html and "style=" not in html
    for key in ["pass", "fail", "skip", "valid", "invalid", "failed_check", "scanning"]:
        assert f'data-msg="{key}"' in html
    assert "Check {check} ({title}) failed." in html  # placeholders for the script


def test_page_is_vietnamese_by_default(app, opened, published):  # noqa: F811
    html = verify_page(app.test_client(), opened.public_id)
    assert 'lang="vi"' in html
    assert "Kiểm chứng vòng bỏ phiếu này" in html
    titles = check_titles(html)
    assert len(titles) == 19 and "Chuỗi sự kiện của bảng công khai" in titles
    assert not set(titles) & set(CHECK_TITLES_EN)
    assert "Phép kiểm tra {check} ({title}) không đạt." in html
    assert ">KHÔNG ĐẠT</span>" in html and ">ĐẠT</span>" in html


def test_round_page_links_to_it_once_published(client, opened, published):  # noqa: F811
    html = client.get(f"/board/{opened.public_id}").get_data(as_text=True)
    assert f'href="/board/{opened.public_id}/verify"' in html


def test_unknown_round_is_404(client, opened):  # noqa: F811
    assert client.get("/board/r-missing/verify").status_code == 404


@pytest.mark.parametrize("state", ["open", "closed"])
def test_not_offered_before_the_result_is_published(client, opened, state):  # noqa: F811
    cast(client, opened, 0, [[0], [0], [1]])
    if state == "closed":
        close(opened)
        opened.session.commit()
    assert client.get(f"/board/{opened.public_id}/verify").status_code == 404
    html = client.get(f"/board/{opened.public_id}").get_data(as_text=True)
    assert f"/board/{opened.public_id}/verify" not in html
    assert "Verify this round" not in html.replace("Verify this round yourself", "")
