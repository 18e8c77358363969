"""The hall screen's pages, through the test client: one page per state
(waiting, open, closed, published), the state JSON, the result bars shared
with the public board, and no inline style or script anywhere."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.record import fingerprint_groups
from voting.models import Round
from voting.services import casting
from voting.services import rounds
from voting.services import tallying
from voting.services.elections import election_of
from voting.web import qr
from voting.web.screen import density

from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_conference
from ..factories import make_open_round

NBSP = "\u00a0"
#: Three ballots on the three units of an agree/disagree round: agree
#: counts 2, 1, 0 of 3 delegates present.
PER_UNIT_VOTES = ([[0], [0], [1]], [[0], [1], [1]], [[1], [], [1]])


@pytest.fixture
def hall(app, session):
    conference = make_conference(session, units=3, delegates=5)
    private = complete_key_ceremony(session, conference)

    class Hall:
        url = f"/screen/{conference.id}"

        def open_round(self, template="advanced", cards=3):
            rnd, tokens = make_open_round(session, conference, app.config["VOTING_KEYS_DIR"],
                                          template=template, cards=cards)
            session.commit()
            return rnd, tokens

        def vote(self, rnd, tokens, ballots):
            for token, choices in zip(tokens, ballots, strict=False):
                ballot = encrypt_ballot(election_of(rnd), choices,
                                        derive_credential(token, rnd.public_id))
                casting.cast_ballot(session, rnd, ballot)

        def publish(self, rnd):
            rounds.close_round(session, rnd)
            decrypt_and_publish(session, conference, rnd, private)
            session.commit()

    hall = Hall()
    hall.conference = conference
    return hall


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_no_inline_code(html)
    return html


def assert_no_inline_code(html: str) -> None:
    """The strict CSP: no style attribute, no <style>, no inline script."""
    assert " style=" not in html and "<style" not in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert all(" src=" in tag for tag in scripts), scripts


def bar(html: str, index: int = 0) -> tuple[str, str]:
    """The fill width and threshold x of the ``index``-th result bar."""
    svgs = re.findall(r'<svg class="result-bar.*?</svg>', html, re.S)
    fill = re.search(r'class="result-bar-fill"[^>]* width="([^"]+)"', svgs[index])[1]
    line = re.search(r'class="result-bar-threshold" x1="([^"]+)"', svgs[index])[1]
    return fill, line


def test_unknown_conference_is_404(client):
    assert client.get("/screen/999").status_code == 404
    assert client.get("/screen/999/state.json").status_code == 404


def test_waiting_for_the_first_round(client, hall, session):
    rounds.create_round(session, hall.conference, "advanced", "Vòng nháp")  # drafts: not shown
    html = page(client, hall.url)
    assert hall.conference.name in html and "Waiting for the next round" in html
    assert "Vòng nháp" not in html
    assert 'data-version="none"' in html and "/static/dist/screen.js" in html


def test_open_round_shows_the_live_turnout_only(client, hall):
    rnd, tokens = hall.open_round(cards=4)
    hall.vote(rnd, tokens, PER_UNIT_VOTES[:1])
    html = page(client, hall.url)
    assert rnd.title in html
    assert re.search(r'data-figure="cast">1<', html) and re.search(r'data-figure="issued">4<', html)
    assert "of 4 delegates present" in html
    assert re.search(r'class="turnout-fill" data-turnout-fill x="0" y="0" width="25.00"', html)
    assert re.search(r'class="screen-countdown hidden"', html)  # no closing time set
    assert "result-bar" not in html and "%" not in html
    assert f'data-version="{rnd.id}:open:-"' in html


def test_open_round_with_a_closing_time_counts_down(client, hall, session):
    rnd, _ = hall.open_round()
    closes_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
    rounds.set_closing_time(session, rnd, closes_at)
    html = page(client, hall.url)
    local = closes_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M")
    assert f"Voting closes at {local}" in html
    assert f'data-closes-at="{closes_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")}"' in html
    assert 'data-template="Voting closes at {time}"' in html
    assert 'data-time-zone="Asia/Ho_Chi_Minh"' in html
    assert 'class="screen-countdown hidden"' not in html


def test_state_json_has_no_count_of_votes(client, hall):
    rnd, tokens = hall.open_round()
    hall.vote(rnd, tokens, PER_UNIT_VOTES)
    hall.publish(rnd)
    response = client.get(f"{hall.url}/state.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"conference", "round", "turnout", "closes_at", "now", "version"}
    assert body["round"] == {"public_id": rnd.public_id, "title": rnd.title,
                             "state": "published"}
    assert body["turnout"] == {"cast": 3, "issued": 3, "present": 3, "members": 5}


def test_closed_round_says_the_trustees_are_decrypting(client, hall, session):
    rnd, tokens = hall.open_round(cards=3)
    hall.vote(rnd, tokens, PER_UNIT_VOTES[:2])
    rounds.close_round(session, rnd)
    html = page(client, hall.url)
    assert "Voting closed — the trustees are decrypting" in html
    assert re.search(r'data-figure="cast">2<', html) and re.search(r'data-figure="issued">3<', html)
    assert 'width="66.67"' in html  # the frozen turnout bar: 2 of 3
    assert "result-bar" not in html and "data-countdown" not in html


def test_published_per_unit_round_shows_bars_percentages_and_the_rule(client, hall, session):
    rnd, tokens = hall.open_round()
    hall.vote(rnd, tokens, PER_UNIT_VOTES)
    hall.publish(rnd)
    html = page(client, hall.url)
    assert ("A unit passes when its “agree” votes are more than 1/2 of the delegates "
            "present.") in html
    rows = re.findall(r'<li class="screen-row outcome-(\w+)">.*?</li>', html, re.S)
    assert rows == ["elected", "not_elected", "not_elected"]
    for percent in (f"66.67{NBSP}%", f"33.33{NBSP}%", f"0.00{NBSP}%"):
        assert f'<span class="row-percent">{percent}</span>' in html
    assert [bar(html, i) for i in range(3)] == [("66.67", "50.00"), ("33.33", "50.00"),
                                                ("0.00", "50.00")]
    assert html.count("Not passed</span>") == 2 and html.count("✓</span> Passed</span>") == 1
    assert "2 of 3 (66.67" in html  # the bar's accessible name
    assert 'class="screen-result rows-large"' in html
    rnd = session.get(Round, rnd.id)
    url = f"https://vote.example/board/{rnd.public_id}"
    assert f'src="{qr.data_uri(url)}"' in html and url in html
    assert fingerprint_groups(rnd.fingerprint) in html
    # In Vietnamese (the default), with the comma.
    vi = page(client, f"{hall.url}?lang=vi")
    assert f'<span class="row-percent">66,67{NBSP}%</span>' in vi and "Đạt" in vi


def test_published_determined_round_draws_the_line_at_two_thirds(client, hall):
    rnd, tokens = hall.open_round(template="determined")
    hall.vote(rnd, tokens, PER_UNIT_VOTES)
    hall.publish(rnd)
    html = page(client, hall.url)
    assert "votes are at least 2/3 of the delegates present." in html
    assert [bar(html, i) for i in range(3)] == [("66.67", "66.67"), ("33.33", "66.67"),
                                                ("0.00", "66.67")]
    assert [s for s in re.findall(r'outcome-(\w+)">', html)] == ["elected", "not_elected",
                                                                 "not_elected"]


def test_published_choose_round_ranks_by_votes_with_the_quota_line(client, hall):
    rnd, tokens = hall.open_round(template="flag")
    hall.vote(rnd, tokens, ([[1]], [[1]], [[0]]))
    hall.publish(rnd)
    html = page(client, hall.url)
    names = [u.name for u in rnd.units]
    rows = re.findall(r'<span class="row-unit">(.*?)</span>', html)
    assert rows == [names[1], names[0], names[2]]
    assert re.findall(r'<span class="row-count">(\d+)<', html) == ["2", "1", "0"]
    quota = html.index("Quota: at most 1 elected")
    assert html.index(names[1]) < quota < html.index(names[0])
    assert "✓</span> Elected</span>" in html and html.count("✗</span> Not elected</span>") == 2
    assert bar(html, 0) == ("66.67", "50.00") and f"66.67{NBSP}%" in html


def test_thirty_units_are_laid_out_in_compact_columns(app, client, session):
    conference = make_conference(session, units=30, delegates=4)
    complete_key_ceremony(session, conference)
    rnd, _ = make_open_round(session, conference, app.config["VOTING_KEYS_DIR"], cards=4)
    rounds.close_round(session, rnd)
    tallying.publish_result(session, rnd)  # no ballot: nothing to decrypt
    html = page(client, f"/screen/{conference.id}")
    assert 'class="screen-result rows-many"' in html
    assert html.count('<li class="screen-row outcome-not_elected">') == 30
    assert [density(n) for n in (1, 5, 6, 8, 9, 16, 17, 30)] == [
        "rows-large", "rows-large", "rows-few", "rows-few", "rows-two", "rows-two", "rows-many",
        "rows-many"]


def test_the_board_shows_the_same_bars(client, hall):
    rnd, tokens = hall.open_round()
    hall.vote(rnd, tokens, PER_UNIT_VOTES)
    hall.publish(rnd)
    html = page(client, f"/board/{rnd.public_id}")
    assert [bar(html, i) for i in range(3)] == [("66.67", "50.00"), ("33.33", "50.00"),
                                                ("0.00", "50.00")]
    assert html.count('<tr class="outcome-bar-row">') == 3
    assert f'<span class="outcome-bar-percent">66.67{NBSP}%</span>' in html
    assert "/static/css/bars.css" in html


def test_the_chair_opens_the_hall_screen_from_the_conference(auth, client, hall):
    auth.login()
    html = client.get(f"/chair/conferences/{hall.conference.id}").get_data(as_text=True)
    assert f'href="/screen/{hall.conference.id}"' in html and "Hall screen" in html
