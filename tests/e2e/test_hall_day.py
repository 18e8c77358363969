"""A nomination round in the hall, through the browser, on port P ≠ 5000
with no VOTING_PUBLIC_URL: every link the cards carry is derived from
HOST and PORT.

The chair issues the card sheet (its QR codes point to port P), opens the
flag round (choose 1 of 3, quota 1) and sets "close in 1 minute"; the hall
screen at 1920×1080 shows the turnout, then the countdown; four delegates
vote on 360 px phones and tie 2–2; the closing time comes (moved forward
by the test, so as not to wait a minute) and the screen shows the closed
round; two trustees decrypt; the chair publishes, and the screen shows the
bars with both tied units marked for a run-off. One click makes the
run-off over exactly them; the delegates vote in it with the cards they
already hold; it is published and the screen shows the winner. The minutes
PDF's text and the CSV and XLSX exports hold the published numbers.
Screenshots: /tmp/hall_day_*.png.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from voting.crypto.tally import partial_decrypt
from voting.db import new_session
from voting.models import Conference
from voting.models import Round
from voting.models import RoundKind
from voting.models import User
from voting.models.base import utcnow
from voting.services import memberships
from voting.services import rounds
from voting.services import tallying
from voting.services.elections import election_of
from voting.services.results import round_result

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import trustee_share
from .conftest import served
from .test_full_flow import CHAIR
from .test_full_flow import click_and_load
from .test_full_flow import create_chair
from .test_full_flow import log_in
from .test_full_flow import MANUAL_CODE

FULL_HD = {"width": 1920, "height": 1080}
UNITS = ("Công an huyện Ba Vì", "Công an quận Hoàn Kiếm", "Phòng Cảnh sát giao thông")
NBSP = "\u00a0"


@pytest.fixture
def hall_server(migrated_sqlite, tmp_path, monkeypatch):
    """The app on a free port P (never 5000), told only HOST and PORT."""
    def only_host_and_port(port: int) -> dict:
        assert port != 5000
        monkeypatch.delenv("VOTING_PUBLIC_URL", raising=False)
        monkeypatch.setenv("HOST", "127.0.0.1")
        monkeypatch.setenv("PORT", str(port))
        return {}

    with served(migrated_sqlite, tmp_path, only_host_and_port) as (app, base):
        assert app.config["VOTING_PUBLIC_URL"] == base
        yield app, base


class Office:
    """What happens off screen, through the services: the conference as
    imported, the key the trustees made, check-in at the door, and the
    trustees' decryptions."""

    def __init__(self, app):
        self.app = app
        with self.session() as s:
            conference = Conference(name="Hội nghị thi đua Công an tỉnh", trustee_count=3,
                                    threshold=2)
            s.add(conference)
            s.flush()
            from voting.models import Delegate
            from voting.models import Unit
            for i, name in enumerate(UNITS, start=1):
                conference.units.append(Unit(position=i, name=name))
            for i in range(1, 5):
                conference.delegates.append(Delegate(position=i, name=f"Đại biểu {i}"))
            chair = s.scalar(select(User).where(User.username == CHAIR))
            memberships.make_owner(s, conference, chair)  # the chair imported it
            s.commit()
            self.private = complete_key_ceremony(s, conference)
            check_in(s, conference)
            rnd = rounds.create_round(s, conference, "flag", "Suy tôn Cờ thi đua")
            rounds.update_rule(s, rnd, kind=RoundKind.CHOOSE, max_choices=1, comparator=">",
                               num=0, den=1, base="cast", quota=1)
            self.conference_id, self.round_id = conference.id, rnd.id

    def session(self):
        office = self

        class Scope:
            def __enter__(self):
                self.ctx = office.app.app_context()
                self.ctx.push()
                self.s = new_session(office.app)
                return self.s

            def __exit__(self, *exc):
                self.s.close()
                self.ctx.pop()
        return Scope()

    def bring_closing_forward(self, round_id: int, seconds: int) -> None:
        with self.session() as s:
            rounds.set_closing_time(s, s.get(Round, round_id),
                                    utcnow() + timedelta(seconds=seconds))

    def decrypt(self, round_id: int) -> None:
        with self.session() as s:
            rnd = s.get(Round, round_id)
            tally = tallying.encrypted_tally(s, rnd)
            for index in (1, 3):
                share = trustee_share(rnd.conference, index, self.private[index])
                tallying.submit_partial(s, rnd, index,
                                        partial_decrypt(election_of(rnd), tally, index, share))

    def result(self, round_id: int):
        with self.session() as s:
            return round_result(s, s.get(Round, round_id))

    def runoff_id(self, round_id: int) -> int:
        with self.session() as s:
            return s.scalar(select(Round.id).where(Round.runoff_of_id == round_id))


def issue_sheet(page, base: str, conference_id: int, tmp_path) -> tuple[str, list[str]]:
    page.goto(f"{base}/cards/conferences/{conference_id}")
    page.fill("#count", "4")
    page.fill("#spares", "0")
    with page.expect_download() as download_info:
        page.click('form[action$="/issue"] button[type=submit]')
    sheet = tmp_path / "sheet.html"
    download_info.value.save_as(sheet)
    html = sheet.read_text(encoding="utf-8")
    return html, MANUAL_CODE.findall(html)


def vote_on_phone(phone, base: str, code: str, unit: int) -> None:
    page = phone()
    page.goto(f"{base}/vote#{code}")
    page.locator(".round-vote:not(.hidden)").wait_for()
    assert page.locator(".round-vote:not(.hidden)").count() == 1
    page.click(".round-vote")
    page.locator(".check").nth(unit).click()
    page.click("#to-review")
    page.click("#cast")
    page.wait_for_selector("#screen-receipt:not(.hidden)", timeout=60_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.context.close()


def confirm(page, round_id: int, action: str) -> None:
    click_and_load(page, f'a[href$="/rounds/{round_id}/confirm/{action}"]')
    click_and_load(page, f'form[action$="/rounds/{round_id}/{action}"] button[type=submit]')


def cast_figure(screen, n: int) -> None:
    screen.wait_for_function(
        f"() => document.querySelector('[data-figure=cast]')?.textContent === '{n}'")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_tie_in_the_hall_is_decided_on_the_same_cards(hall_server, browser, phone, tmp_path):
    app, base = hall_server
    create_chair(app)
    office = Office(app)
    chair = phone()  # the chair runs the hall from a phone too
    chair_context = chair.context
    log_in(chair, base)
    chair.goto(f"{base}/chair/?lang=en")

    # The card sheet: its QR codes and its address are on port P.
    html, codes = issue_sheet(chair, base, office.conference_id, tmp_path)
    assert len(codes) == 4 and "127.0.0.1:5000" not in html
    assert html.count(f"{base}/vote") >= 1

    screen_context = browser.new_context(viewport=FULL_HD, locale="en-GB")
    screen = screen_context.new_page()
    problems = []
    screen.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    screen.goto(f"{base}/screen/{office.conference_id}?lang=en")
    screen.wait_for_selector("body.screen-waiting")

    # The chair opens the round and sets "close in 1 minute".
    chair.goto(f"{base}/chair/rounds/{office.round_id}")
    click_and_load(chair, f'form[action$="/rounds/{office.round_id}/open"] button')
    chair.fill("#minutes", "1")
    click_and_load(chair, "form.closing-form button[type=submit]")
    assert "Voting closes by itself at" in chair.inner_text("main")

    # The hall: turnout 0 of 4, then the countdown from about a minute.
    screen.wait_for_selector("body.screen-open", timeout=15_000)
    cast_figure(screen, 0)
    assert screen.inner_text("[data-figure=issued]") == "4"
    screen.wait_for_selector("[data-countdown]:not(.hidden)")
    screen.wait_for_function(
        "() => /^0[01]:[0-5][0-9]$/.test(document.querySelector('[data-clock]').textContent)")
    screen.screenshot(path="/tmp/hall_day_turnout.png")

    # Four delegates vote on their phones: units 1 and 2 tie, 2 votes each.
    for code, unit in zip(codes, (0, 1, 0, 1), strict=True):
        vote_on_phone(phone, base, code, unit)
    cast_figure(screen, 4)
    screen.screenshot(path="/tmp/hall_day_countdown.png")

    # The minute passes (brought forward): the screen's next poll closes the round.
    office.bring_closing_forward(office.round_id, 3)
    screen.wait_for_selector("body.screen-closed", timeout=30_000)
    assert screen.locator(".result-bar").count() == 0
    office.decrypt(office.round_id)
    chair.goto(f"{base}/chair/rounds/{office.round_id}")
    confirm(chair, office.round_id, "publish")

    screen.wait_for_selector("body.screen-published", timeout=15_000)
    assert screen.locator(".row-count").all_inner_texts()[:2] == ["2/4", "2/4"]
    assert screen.locator(".row-percent").all_inner_texts()[:2] == [f"50.00{NBSP}%"] * 2
    statuses = screen.locator(".row-status").all_inner_texts()
    assert [s.split(" ", 1)[0] for s in statuses] == ["⇄", "⇄", "✗"]
    assert screen.locator(".result-bar").count() == 3
    screen.screenshot(path="/tmp/hall_day_tie.png")

    # One click: the run-off over exactly the tied units, on the same cards.
    chair.goto(f"{base}/chair/rounds/{office.round_id}")
    click_and_load(chair, f'form[action$="/rounds/{office.round_id}/runoff"] button')
    runoff_id = office.runoff_id(office.round_id)
    assert chair.url.endswith(f"/chair/rounds/{runoff_id}")
    assert "The cards already handed out cover it" in chair.inner_text("main")
    assert [li.strip() for li in chair.locator("ol li").all_inner_texts()] == list(UNITS[:2])
    click_and_load(chair, f'form[action$="/rounds/{runoff_id}/open"] button')
    screen.wait_for_selector("body.screen-open", timeout=15_000)
    for code, unit in zip(codes, (0, 0, 1, 0), strict=True):
        vote_on_phone(phone, base, code, unit)
    cast_figure(screen, 4)
    chair.goto(f"{base}/chair/rounds/{runoff_id}")
    confirm(chair, runoff_id, "close")
    office.decrypt(runoff_id)
    chair.goto(f"{base}/chair/rounds/{runoff_id}")
    confirm(chair, runoff_id, "publish")
    screen.wait_for_selector("body.screen-published", timeout=15_000)
    assert screen.locator(".row-unit").all_inner_texts() == list(UNITS[:2])
    assert screen.locator(".row-count").all_inner_texts() == ["3/4", "1/4"]
    screen.screenshot(path="/tmp/hall_day_runoff.png")
    assert problems == []

    # The minutes PDF and the exports hold the published numbers.
    first, second = office.result(office.round_id), office.result(runoff_id)
    assert [(o.count, o.status) for o in second.all_outcomes] == [(3, "elected"),
                                                                   (1, "not_elected")]
    tie_pdf = pdf_text(chair_context.request.get(
        f"{base}/chair/rounds/{office.round_id}/minutes.pdf").body())
    runoff_pdf = pdf_text(chair_context.request.get(
        f"{base}/chair/rounds/{runoff_id}/minutes.pdf").body())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in tie_pdf
    assert all(name in tie_pdf for name in UNITS) and "50.00" in tie_pdf.replace(",", ".")
    assert UNITS[0] in runoff_pdf and "75.00" in runoff_pdf.replace(",", ".")
    csv_text = chair_context.request.get(
        f"{base}/chair/conferences/{office.conference_id}/export/results.csv").body()
    assert csv_text.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(csv_text.decode("utf-8-sig"))))
    published = [(o.candidate, o.count) for r in (first, second) for o in r.all_outcomes]
    exported = [(row[2], int(row[3])) for row in rows[1:]]
    assert exported == published
    xlsx = chair_context.request.get(
        f"{base}/chair/conferences/{office.conference_id}/export/results.xlsx").body()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert [(r[2], r[3]) for r in sheet.iter_rows(min_row=2, values_only=True)] == published
