"""A trustee's page open across a server restart (a new SECRET_KEY ends
every session and CSRF token): the next request the page makes, a read or
a post, shows in the trustee's UI that the session ended and that the
invitation link reopens it; a reload shows the same on a page; reopening
the link brings the trustee back home."""

from __future__ import annotations

import secrets

from voting.crypto import envelope
from voting.db import new_session
from voting.models import Conference
from voting.services import ceremony

from ..factories import make_conference
from .test_trustee import enrol
from .test_trustee import PASSPHRASES
from .test_trustee import submit
from .test_trustee import watch

ENDED = "Phiên làm việc của người giữ khóa đã kết thúc. Đề nghị mở lại liên kết mời."


def restart(app) -> None:
    """What a restart does to sessions: the per-process key changes."""
    app.config["SECRET_KEY"] = app.secret_key = secrets.token_hex(32)


def test_a_restart_mid_ceremony_says_to_reopen_the_invitation(live_server, phone):
    app, base = live_server
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s)
        tokens = ceremony.set_trustees(s, conference, ["An", "Bình", "Cường"], 2)
        for index in (2, 3):  # the others enrolled on their own phones
            trustee = s.get(Conference, conference.id).trustees[index - 1]
            ceremony.enrol(s, trustee, envelope.public_key(secrets.token_bytes(32)).hex(),
                           secrets.token_hex(32))
        s.close()
    page = phone()
    problems, _requests = watch(page)
    enrol(page, base, tokens[1], PASSPHRASES[1])
    page.goto(f"{base}/trustee/")
    form = page.locator('form[data-action="ceremony"]')

    # The page reads the ceremony's state, then the server restarts while the
    # browser derives the key: the commit it posts carries a dead CSRF token.
    def read_then_restart(route):
        response = route.fetch()
        restart(app)
        route.fulfill(response=response)

    page.route("**/trustee/ceremony.json", read_then_restart)
    with page.expect_response(lambda r: r.url.endswith("/trustee/ceremony/commit")) as posted:
        submit(form, PASSPHRASES[1])
    assert posted.value.status == 403
    error = form.locator('[data-role="error"]:not(:empty)')
    error.wait_for()
    assert error.inner_text() == ENDED
    page.unroute("**/trustee/ceremony.json")

    # A read after the restart (here: reloading) says the same, as a page.
    page.reload()
    assert page.inner_text("#trustee-session-ended") == ENDED
    assert "(403)" not in page.locator("h1").inner_text()  # not the bare error page

    # The invitation link opens a new session: back home, nothing lost.
    page.goto(f"{base}/trustee/enrol#{tokens[1]}")
    page.locator("#enrol-done:not(.hidden)").wait_for()  # already enrolled: go on
    page.goto(f"{base}/trustee/")
    submit(page.locator('form[data-action="ceremony"]'), PASSPHRASES[1])
    page.wait_for_function("document.querySelector('form[data-action=\"ceremony\"] "
                           "[data-role=\"status\"]').textContent.trim() !== ''")
    assert page.locator('form[data-action="ceremony"] [data-role="error"]').inner_text() == ""
    assert [p for p in problems if "403" not in p] == []
