"""A whole conference round on phones, through the browser only.

The chair logs in and loads the sample conference; three trustees enrol from
their invitation links and their browsers make the key together (every
trustee deals, PROTOCOL §4.5) while the chair watches each one's step; the
chair issues a card sheet (a one-time download), records four
cards handed out at check-in and opens the advanced-unit round; five
delegates vote from their card links and keep their receipts; the chair
watches the turnout, is told that five ballots need five cards handed out,
corrects check-in while the round is open, closes, two trustees decrypt,
the chair publishes; anyone finds a ballot on the public board and verifies
the downloaded record. Every person has their own browser context; the
database is only read, to check what the screens said.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from sqlalchemy import select

from voting.crypto.ballot import short_tracker
from voting.crypto.verifier import verify_record
from voting.db import new_session
from voting.models import AuditEvent
from voting.models import Ballot
from voting.models import Conference
from voting.models import Role
from voting.models import Round
from voting.services import accounts
from voting.services import tallying
from voting.services.cards import decode_token
from voting.services.cards import encode_token

from .test_board_verify import check_results
from .test_board_verify import run_verifier

CHAIR, CHAIR_PASSWORD = "chair", "correct horse battery staple"
TRUSTEES = ("An", "Bình", "Cường")
PASSPHRASES = ("một hai ba bốn năm sáu", "second trustee passphrase", "ba con mèo trèo cây cau")
#: The trustees (by position) who decrypt: any 2 of the 3.
DECRYPTING = (0, 2)
#: One ballot per delegate, one letter per unit of the sample's 8-unit
#: advanced round: a = agree, d = disagree, - = left blank.
VOTES = ("aaaaaaaa", "aaadddaa", "adadadad", "aaaaddd-", "dddaaaaa")
OPTIONS = {"a": "agree", "d": "disagree"}
CARDS, SPARES = 5, 1
#: The grouped manual code printed on each card (cards.format_manual_code).
MANUAL_CODE = re.compile(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{6}\b")
SLOW = 60_000  # ms: key derivation and decryption in the browser


@dataclass
class Person:
    """One person's phone: its page, and what it logged and sent."""

    page: object
    problems: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)


def new_person(phone) -> Person:
    person = Person(phone())
    page = person.page
    page.on("pageerror", lambda exc: person.problems.append(f"{page.url}: {exc}"))
    page.on("console", lambda m: person.problems.append(f"{page.url}: {m.text}")
            if m.type == "error" else None)
    page.context.on("request", lambda r: person.requests.append((r.url, r.post_data or "")))
    return person


def assert_fits_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide at a 360px viewport"


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert_fits_phone(page)


def click_and_load(page, selector: str) -> None:
    """Click something that loads a new page, then check the new page."""
    with page.expect_navigation():
        page.click(selector)
    assert_fits_phone(page)


def expected_counts() -> list[list[int]]:
    """[agree, disagree] per unit for VOTES."""
    return [[sum(v[unit] == letter for v in VOTES) for letter in "ad"]
            for unit in range(len(VOTES[0]))]


def create_chair(app) -> None:
    with app.app_context():
        s = new_session(app)
        accounts.create_user(s, CHAIR, "Chủ tọa", CHAIR_PASSWORD, Role.CHAIR)
        s.close()


# --- the chair's steps ------------------------------------------------------------

def log_in(page, base: str) -> None:
    visit(page, f"{base}/auth/login")
    page.fill("#username", CHAIR)
    page.fill("#password", CHAIR_PASSWORD)
    click_and_load(page, "form.card button[type=submit]")
    assert page.url == f"{base}/chair/"


def load_sample_conference(page) -> int:
    click_and_load(page, 'form[action$="/conferences/sample"] button')
    match = re.search(r"/chair/conferences/(\d+)$", page.url)
    assert match, page.url
    return int(match[1])


def name_trustees(page, conference_id: int) -> list[str]:
    """Name the trustees (t = 2); returns the invitation links shown once."""
    click_and_load(page, f'a[href$="/ceremony/conferences/{conference_id}"]')
    page.fill("#names", "\n".join(TRUSTEES))
    page.fill("#threshold", "2")
    click_and_load(page, 'form[action$="/trustees"] button[type=submit]')
    return [link.get_attribute("href") for link in page.locator(".invitation-link a").all()]


def take_part_in_the_key(page, base: str, passphrase: str) -> None:
    """On the trustee's home page, start the key generation (the page then
    goes on by itself)."""
    visit(page, f"{base}/trustee/")
    form = page.locator('form[data-action="ceremony"]')
    form.locator('input[name="passphrase"]').fill(passphrase)
    form.locator('button[type="submit"]').click()


def issue_card_sheet(page, conference_id: int, tmp_path: Path) -> list[str]:
    """Issue CARDS + SPARES cards for the first round only; returns the
    manual codes read from the downloaded sheet."""
    click_and_load(page, f'a[href$="/cards/conferences/{conference_id}"]')
    page.fill("#count", str(CARDS))
    page.fill("#spares", str(SPARES))
    checks = page.locator(".round-checks li")
    assert "tiên tiến" in checks.nth(0).inner_text()
    for i in range(1, checks.count()):
        checks.nth(i).locator("input").uncheck()
    with page.expect_download() as download_info, \
            page.expect_response(lambda r: r.url.endswith("/issue")) as response_info:
        page.click('form[action$="/issue"] button[type=submit]')
    headers = response_info.value.headers
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["cache-control"] == "no-store"
    download = download_info.value
    assert re.fullmatch(r"ballot-cards-\d+-1-6\.html", download.suggested_filename)
    sheet = tmp_path / download.suggested_filename
    download.save_as(sheet)
    html = sheet.read_text(encoding="utf-8")
    assert html.count('class="ballot-card is-spare"') == SPARES
    codes = MANUAL_CODE.findall(html)
    assert len(codes) == len(set(codes)) == CARDS + SPARES
    assert_fits_phone(page)  # still the cards page: the sheet was a download
    # ... whose figures now count the new cards, without a reload
    page.locator("#issue-done:not(.hidden)").wait_for()
    page.wait_for_function(f"document.getElementById('cards-total').textContent === "
                           f"'{CARDS + SPARES}'")
    assert page.inner_text("#cards-spares") == str(SPARES)
    return codes


def hand_out_cards(page, count: int) -> None:
    """On the check-in page, hand a card to the next ``count`` delegates not
    yet present (which marks them present too)."""
    for _ in range(count):
        click_and_load(page, '.checkin-row:not(.is-present) form[action$="/card"] button')


def checkin_figures(page) -> list[int]:
    """The check-in page's (delegates, present, received a card)."""
    return [int(n) for n in page.locator(".figures .figure").all_inner_texts()]


def open_first_round(page, base: str, conference_id: int) -> int:
    visit(page, f"{base}/chair/conferences/{conference_id}")
    click_and_load(page, 'table a[href*="/chair/rounds/"]')
    round_id = int(page.url.rsplit("/", 1)[1])
    click_and_load(page, 'form[action$="/open"] button[type=submit]')
    page.locator('[data-turnout][data-state="open"]').wait_for()
    return round_id


def move_round(page, action: str, state: str) -> None:
    """Open, close or publish from the round page; closing and publishing
    go through their confirmation page first."""
    if action in ("close", "publish"):
        click_and_load(page, f'a[href$="/confirm/{action}"]')
        page.locator(f'[data-confirm="{action}"]').wait_for()
    click_and_load(page, f'form[action$="/{action}"] button[type=submit]')
    page.locator(f'[data-turnout][data-state="{state}"]').wait_for()


# --- the trustees' steps ----------------------------------------------------------

def enrol(page, link: str, passphrase: str) -> None:
    visit(page, link)
    page.locator("#enrol-form:not(.hidden)").wait_for()
    assert "#" not in page.url
    page.fill("#passphrase", passphrase)
    page.fill("#passphrase-again", passphrase)
    page.click("#enrol-submit")
    page.locator("#enrol-done:not(.hidden)").wait_for(timeout=SLOW)
    assert_fits_phone(page)


def run_passphrase_form(page, base: str, action: str, passphrase: str) -> None:
    """On the trustee's home page, run the check-share or decrypt form."""
    visit(page, f"{base}/trustee/")
    form = page.locator(f'form[data-action="{action}"]')
    form.locator('input[name="passphrase"]').fill(passphrase)
    form.locator('button[type="submit"]').click()
    form.locator('[data-role="status"].ok-message').wait_for(timeout=SLOW)
    assert form.locator('[data-role="error"]').inner_text() == ""
    assert_fits_phone(page)


# --- the delegates' steps ---------------------------------------------------------

def vote(page, base: str, code: str, choices: str) -> tuple[str, str]:
    """Vote from the card link; returns the receipt's (short, full) tracker."""
    visit(page, f"{base}/vote#{code}")
    page.locator(".round-vote:not(.hidden)").wait_for()
    assert page.locator(".round-vote:not(.hidden)").count() == 1
    page.click(".round-vote")
    toggles = page.locator(".toggle-group")
    assert toggles.count() == len(choices)
    for unit, letter in enumerate(choices):
        if letter in OPTIONS:
            toggles.nth(unit).locator(f'[data-option="{OPTIONS[letter]}"]').click()
    assert_fits_phone(page)
    page.click("#to-review")
    assert page.locator("#review-list li").count() == len(choices)
    assert page.locator("#review-list li.blank").count() == choices.count("-")
    assert_fits_phone(page)
    page.click("#cast")
    page.locator("#screen-receipt:not(.hidden)").wait_for(timeout=SLOW)
    assert_fits_phone(page)
    return page.inner_text("#receipt-short"), page.inner_text("#receipt-full")


def token_forms(code: str) -> set[str]:
    """Every way the card's token could be written into a request."""
    token = decode_token(code)
    text = encode_token(token)
    forms = {code, text, token.hex(), text[:13], text[13:]}
    return forms | {f.lower() for f in forms}


def assert_token_never_sent(person: Person, code: str) -> None:
    assert any(url.endswith("/ballots") and body for url, body in person.requests)
    for url, body in person.requests:
        for form in token_forms(code):
            assert form not in url and form not in body, f"the card token left the phone: {url}"


# --- the public board -------------------------------------------------------------

def open_board_round(page, base: str) -> None:
    visit(page, f"{base}/board/")
    click_and_load(page, ".board-rounds a")


def board_round_id(page) -> str:
    """The public id of the board round page the reader is on."""
    match = re.search(r"/board/(r-[0-9a-f]+)", page.url)
    assert match, page.url
    return match[1]


def find_my_ballot(page, short: str) -> str:
    """Search the board for a receipt code; returns the tracker found."""
    page.fill("#tracker", short)
    click_and_load(page, ".find-form button[type=submit]")
    found = page.locator("#find .notice-ok a")
    assert found.count() == 1
    return found.inner_text()


def board_counts(page) -> list[list[int]]:
    rows = page.locator("table.counts tr")
    return [[int(n) for n in rows.nth(i).locator(".count strong").all_inner_texts()]
            for i in range(rows.count())]


def download_record(page, tmp_path: Path) -> Path:
    with page.expect_download() as download_info:
        page.click('a[href$="/record.zip"]')
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return path


def stored_trackers(app, round_id: int) -> set[str]:
    with app.app_context():
        s = new_session(app)
        trackers = set(s.scalars(select(Ballot.tracker).where(Ballot.round_id == round_id)))
        s.close()
    return trackers


def decrypted_by(app, round_id: int) -> list[int]:
    """The indexes of the trustees whose partial decryptions are on the board."""
    with app.app_context():
        s = new_session(app)
        indexes = tallying.submitted_trustees(s, s.get(Round, round_id))
        s.close()
    return indexes


def shares_checked(app, conference_id: int) -> list[bool]:
    with app.app_context():
        s = new_session(app)
        trustees = s.get(Conference, conference_id).trustees
        checked = [t.share_checked_at is not None for t in trustees]
        s.close()
    return checked


def audit_actions(app, conference_id: int) -> Counter:
    """How many audit rows the conference has of each action."""
    with app.app_context():
        s = new_session(app)
        actions = Counter(s.scalars(select(AuditEvent.action)
                                    .where(AuditEvent.conference_id == conference_id)))
        s.close()
    return actions


# --- the story ----------------------------------------------------------------------

def test_a_whole_round_on_phones(live_server, phone, tmp_path):
    app, base = live_server
    create_chair(app)
    chair = new_person(phone)
    log_in(chair.page, base)
    conference_id = load_sample_conference(chair.page)

    # Key ceremony: invitations, enrolment on each trustee's own phone, the key, the checks.
    links = name_trustees(chair.page, conference_id)
    assert len(links) == len(TRUSTEES)
    assert all(link.startswith(f"{base}/trustee/enrol#") for link in links)
    trustees = [new_person(phone) for _ in TRUSTEES]
    for trustee, link, passphrase in zip(trustees, links, PASSPHRASES, strict=True):
        enrol(trustee.page, link, passphrase)
    visit(chair.page, f"{base}/ceremony/conferences/{conference_id}")
    phases = chair.page.locator('.ceremony-table [data-role="phase"]')
    assert phases.evaluate_all("cells => cells.map(c => c.dataset.phase)") == ["enrolled"] * 3
    for trustee, passphrase in zip(trustees, PASSPHRASES, strict=True):
        take_part_in_the_key(trustee.page, base, passphrase)
    chair.page.locator("#joint-public-key").wait_for(timeout=SLOW)   # the page reloads itself
    assert phases.evaluate_all("cells => cells.map(c => c.dataset.phase)") == ["confirmed"] * 3
    for trustee in trustees:   # each page reloads once the key exists
        trustee.page.locator('form[data-action="check-share"]').wait_for(timeout=SLOW)
        assert_fits_phone(trustee.page)
    assert shares_checked(app, conference_id) == [True, True, True]
    run_passphrase_form(trustees[2].page, base, "check-share", PASSPHRASES[2])

    # Cards; check-in records four of the five handed out (one is missed); the round opens.
    visit(chair.page, f"{base}/chair/conferences/{conference_id}")
    codes = issue_card_sheet(chair.page, conference_id, tmp_path)
    visit(chair.page, f"{base}/chair/conferences/{conference_id}")
    click_and_load(chair.page, f'a[href$="/chair/conferences/{conference_id}/checkin"]')
    hand_out_cards(chair.page, len(VOTES) - 1)
    assert checkin_figures(chair.page) == [25, len(VOTES) - 1, len(VOTES) - 1]
    round_id = open_first_round(chair.page, base, conference_id)
    chair.page.evaluate("window.sameDocument = true")
    assert chair.page.inner_text('[data-figure="cast"]') == "0"
    assert chair.page.inner_text('[data-figure="issued"]') == str(len(VOTES) - 1)
    assert chair.page.locator("[data-close-problem].hidden").count() == 1

    # Five delegates vote, each from their own card on their own phone.
    codes = codes[:len(VOTES)]  # the spare card stays unused
    delegates = [new_person(phone) for _ in VOTES]
    receipts = [vote(d.page, base, code, choices)
                for d, code, choices in zip(delegates, codes, VOTES, strict=True)]
    assert {full for _short, full in receipts} == stored_trackers(app, round_id)
    assert all(short == short_tracker(bytes.fromhex(full)) for short, full in receipts)

    # The chair's turnout reaches 5 by itself, and says why the round cannot
    # close yet (5 ballots, 4 cards recorded); the chair corrects check-in while
    # the round is open, then closes; two trustees decrypt (2 of 3); publish.
    chair.page.locator(f'[data-figure="cast"]:text-is("{len(VOTES)}")').wait_for(timeout=SLOW)
    chair.page.locator("[data-close-problem]:not(.hidden)").wait_for(timeout=SLOW)
    assert chair.page.evaluate("window.sameDocument") is True
    reason = chair.page.inner_text("[data-close-reason]")
    assert f"({len(VOTES)})" in reason and f"({len(VOTES) - 1})" in reason, reason
    click_and_load(chair.page, "[data-close-problem] a")
    hand_out_cards(chair.page, 1)
    assert checkin_figures(chair.page) == [25, len(VOTES), len(VOTES)]
    visit(chair.page, f"{base}/chair/rounds/{round_id}")
    assert chair.page.locator("[data-close-problem].hidden").count() == 1
    move_round(chair.page, "close", "closed")
    for index in DECRYPTING:
        run_passphrase_form(trustees[index].page, base, "decrypt", PASSPHRASES[index])
    visit(chair.page, f"{base}/chair/rounds/{round_id}")
    move_round(chair.page, "publish", "published")
    agree = chair.page.locator(".result-table tbody tr td:nth-child(2)").all_inner_texts()
    assert [int(n) for n in agree] == [counts[0] for counts in expected_counts()]
    assert decrypted_by(app, round_id) == [i + 1 for i in DECRYPTING]

    # The public board: every tracker, find-my-ballot, the verified record.
    reader = delegates[1]
    open_board_round(reader.page, base)
    events = reader.page.inner_text("table.events")
    assert all(short in events and full in events for short, full in receipts)
    assert board_counts(reader.page) == expected_counts()
    short, full = receipts[1]
    assert find_my_ballot(reader.page, short) == full
    report = verify_record(download_record(reader.page, tmp_path), workers=1)
    assert report.ok, "\n".join(report.lines())
    assert report.ballots == len(VOTES)
    assert report.key == ("distributed", len(TRUSTEES), 2, len(TRUSTEES))  # one dealing each
    # The same record through the JavaScript verifier, on the reader's phone.
    assert run_verifier(reader.page, base, board_round_id(reader.page)) == "true"
    assert all(cls == "check check-pass" for cls, _ in check_results(reader.page).values())

    # Every chair's and trustee's action left exactly one audit row; ballots none.
    n = len(TRUSTEES)
    assert audit_actions(app, conference_id) == Counter({
        "conference.create": 1, "ceremony.trustees": 1, "ceremony.enrol": n,
        "ceremony.commit": n, "ceremony.reveal": n, "ceremony.confirm": n, "cards.issue": 1,
        "checkin.card": len(VOTES), "round.open": 1, "round.close": 1,
        "tally.partial": len(DECRYPTING), "round.publish": 1})

    for person in [chair, *trustees, *delegates]:
        assert person.problems == []
    for delegate, code in zip(delegates, codes, strict=True):
        assert_token_never_sent(delegate, code)
