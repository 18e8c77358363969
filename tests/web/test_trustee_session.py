"""A trustee whose session ended (the development SECRET_KEY is per process,
so a server restart ends every session) is told so, and that reopening the
invitation link fixes it: on a page load, and in the JSON the trustee page
scripts show, for reads and for posts whose CSRF token died with the key."""

from __future__ import annotations

import pytest

from .test_trustee import name_trustees
from .test_trustee import TrusteeBrowser

MESSAGE = "Your trustee session has ended. Open your invitation link again."


@pytest.fixture
def restarted(app):
    """A trustee browser whose session was open, then the server restarted
    with a new key: (app, browser, invitation token)."""
    world = name_trustees(app)
    browser = TrusteeBrowser(app)
    assert browser.open(world.tokens[1]).status_code == 200
    assert browser.get("/trustee/").status_code == 200
    app.config["SECRET_KEY"] = "another process, another key"
    app.secret_key = app.config["SECRET_KEY"]
    return app, browser, world.tokens[1]


def test_the_page_says_the_session_ended_and_what_to_do(restarted):
    _app, browser, _token = restarted
    page = browser.client.get("/trustee/?lang=en")
    assert page.status_code == 403
    assert "<h1>Your trustee session has ended</h1>" in page.text
    assert MESSAGE in page.text and "Open the invitation link you received" in page.text
    assert "You are not allowed to see this page." not in page.text


def test_the_page_is_vietnamese_by_default(restarted):
    _app, browser, _token = restarted
    page = browser.client.get("/trustee/?lang=vi")
    assert page.status_code == 403
    assert ("Phiên làm việc của người giữ khóa đã kết thúc. Đề nghị mở lại liên kết mời."
            in page.text)


@pytest.mark.parametrize("url", ["/trustee/ceremony.json", "/trustee/share.json",
                                 "/trustee/rounds/r-0000/tally.json"])
def test_script_reads_get_the_reason_as_json(restarted, url):
    _app, browser, _token = restarted
    response = browser.get(f"{url}?lang=en")
    assert response.status_code == 403
    assert response.json == {"error": {"code": "trustee_session_ended", "message": MESSAGE}}


@pytest.mark.parametrize("url", ["/trustee/ceremony/commit", "/trustee/enrolment",
                                 "/trustee/rounds/r-0000/partial"])
def test_script_posts_with_a_dead_csrf_token_get_the_reason(restarted, url):
    """The CSRF token was signed with the old key too: not a bare 400."""
    _app, browser, _token = restarted
    response = browser.post(url, {})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "trustee_session_ended"


def test_reopening_the_invitation_fixes_it(restarted):
    app, _old, token = restarted
    browser = TrusteeBrowser(app)  # the invitation link loads the enrol page afresh
    assert browser.open(token).status_code == 200
    assert browser.get("/trustee/").status_code == 200


def test_a_stale_form_elsewhere_says_to_reload(restarted):
    _app, browser, token = restarted
    # Opening the invitation from the enrol page left open across the restart.
    response = browser.post("/trustee/session", {"token": token})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf_expired"
    assert "Hãy tải lại trang" in response.json["error"]["message"]  # in the default language
