"""The chair's side of the key ceremony: naming trustees, one-time
invitations, following the trustees' key generation, restarting it after a
complaint (voting/web/ceremony.py)."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import select

from voting.crypto import envelope
from voting.db import new_session
from voting.models import Conference
from voting.models import Role
from voting.models import Trustee
from voting.services import ceremony
from voting.services.errors import NotFound

from ..factories import complete_key_ceremony
from ..factories import make_conference
from ..factories import run_key_generation

LINK = re.compile(r"https://vote\.example/trustee/enrol#([A-Za-z0-9_\-]+)")


def invitation_tokens(html: str) -> list[str]:
    """The tokens of the invitation links on a page, in order (each link shows twice)."""
    return list(dict.fromkeys(LINK.findall(html)))


def csrf_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


@pytest.fixture
def conference_id(app):
    """A conference made outside any request (no app context stays pushed:
    requests must each get their own database session)."""
    with app.app_context():
        s = new_session(app)
        conference_id = make_conference(s).id
        s.close()
    return conference_id


def page_url(conference_id: int) -> str:
    return f"/ceremony/conferences/{conference_id}"


def post_trustees(client, conference_id: int, names: str, threshold: int = 2):
    token = csrf_token(client, page_url(conference_id))
    return client.post(f"{page_url(conference_id)}/trustees",
                       data={"names": names, "threshold": threshold, "csrf_token": token})


def load(app, conference_id: int):
    s = new_session(app)
    return s, s.get(Conference, conference_id)


def test_ceremony_page_needs_staff_and_changes_need_the_chair(app, client, auth, conference_id):
    assert client.get(page_url(conference_id)).status_code == 302  # to the login page
    auth.login("auditor", Role.AUDITOR)
    page = client.get(page_url(conference_id))
    assert page.status_code == 200
    assert 'action="/ceremony/conferences/' not in page.get_data(as_text=True)
    assert post_trustees(client, conference_id, "A\nB\nC").status_code == 403
    assert client.get("/ceremony/conferences/999").status_code == 404


def test_chair_names_trustees_and_sees_each_link_once(app, client, auth, conference_id):
    auth.login()
    response = post_trustees(client, conference_id, "Nguyễn Văn An\n\nTrần Thị Bình\nLê Cường\n")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    tokens = invitation_tokens(html)
    assert len(tokens) == 3
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        s, conference = load(app, conference_id)
        assert [t.name for t in conference.trustees] == ["Nguyễn Văn An", "Trần Thị Bình",
                                                         "Lê Cường"]
        assert (conference.trustee_count, conference.threshold) == (3, 2)
        for index, token in enumerate(tokens, start=1):
            assert ceremony.trustee_by_token(s, token).index == index
        stored = " ".join(str(v) for t in s.scalars(select(Trustee)) for v in vars(t).values())
        assert not any(token in stored for token in tokens)
        s.close()
    page = client.get(page_url(conference_id)).get_data(as_text=True)
    assert not any(token in page for token in tokens)
    assert "Nguyễn Văn An" in page


def test_bad_trustee_forms_change_nothing(app, client, auth, conference_id):
    auth.login()
    assert post_trustees(client, conference_id, "A\nB", threshold=3).status_code == 400
    assert post_trustees(client, conference_id, "A\nB\na", threshold=2).status_code == 400
    assert post_trustees(client, conference_id, "", threshold=1).status_code == 400
    with app.app_context():
        s, conference = load(app, conference_id)
        assert conference.trustees == []
        s.close()


def test_renaming_replaces_the_invitations(app, client, auth, conference_id):
    auth.login()
    first = invitation_tokens(post_trustees(client, conference_id, "A\nB\nC").text)
    second = invitation_tokens(post_trustees(client, conference_id, "A\nB\nD", 3).text)
    with app.app_context():
        s, conference = load(app, conference_id)
        assert conference.threshold == 3
        assert ceremony.trustee_by_token(s, second[0]).name == "A"
        with pytest.raises(NotFound):
            ceremony.trustee_by_token(s, first[0])
        s.close()


def restart(client, conference_id: int, without: int | None = None):
    token = csrf_token(client, page_url(conference_id))
    data = {"csrf_token": token} | ({"without": without} if without else {})
    return client.post(f"{page_url(conference_id)}/restart", data=data)


def enrol_all(app, tokens) -> dict[int, bytes]:
    private = {}
    with app.app_context():
        s = new_session(app)
        for index, token in enumerate(tokens, start=1):
            private[index] = secrets.token_bytes(32)
            ceremony.enrol(s, ceremony.trustee_by_token(s, token),
                           envelope.public_key(private[index]).hex(), "aa" * 32)
        s.close()
    return private


def progress(client, conference_id: int) -> dict:
    response = client.get(f"{page_url(conference_id)}/progress.json")
    assert response.status_code == 200
    return response.json


def test_the_chair_follows_each_trustees_phase(app, client, auth, conference_id):
    auth.login()
    tokens = invitation_tokens(post_trustees(client, conference_id, "A\nB\nC").text)
    assert [t["phase"] for t in progress(client, conference_id)["trustees"]] == ["invited"] * 3
    private = enrol_all(app, tokens)
    state = progress(client, conference_id)
    assert state["phase"] == "commit" and state["attempt"] == 1
    assert [t["phase"] for t in state["trustees"]] == ["enrolled"] * 3
    page = client.get(page_url(conference_id)).get_data(as_text=True)
    assert 'data-phase="commit"' in page and "dist/ceremony.js" in page
    assert "/deal" not in page
    with app.app_context():
        s, conference = load(app, conference_id)
        run_key_generation(s, conference, private)
        key = conference.public_key
        s.close()
    state = progress(client, conference_id)
    assert state["phase"] == "done"
    assert [t["phase"] for t in state["trustees"]] == ["confirmed"] * 3
    page = client.get(page_url(conference_id)).get_data(as_text=True)
    assert key in page and "no machine ever held the whole key" in page
    assert "/trustees" not in page and "/restart" not in page
    assert restart(client, conference_id).status_code == 400


def test_a_complaint_shows_and_the_chair_restarts_without_the_accused(app, client, auth,
                                                                       conference_id):
    auth.login()
    tokens = invitation_tokens(post_trustees(client, conference_id, "A\nB\nC").text)
    enrol_all(app, tokens)
    with app.app_context():
        s, conference = load(app, conference_id)
        for t in conference.trustees:      # every trustee commits; then C complains
            t.commitment_hash, t.reveal_json = "00" * 32, "{}"
        conference.trustees[2].complaint_against = 1
        s.commit()
        s.close()
    state = progress(client, conference_id)
    assert state["phase"] == "complaint"
    assert state["trustees"][2]["complaint_against"] == 1
    page = client.get(page_url(conference_id)).get_data(as_text=True)
    assert "reports that the share from trustee 1" in page
    assert "Restart without A" in page
    assert restart(client, conference_id, without=1).status_code == 302
    state = progress(client, conference_id)
    assert state["phase"] == "commit" and state["attempt"] == 2
    assert [(t["index"], t["name"], t["phase"]) for t in state["trustees"]] == [
        (1, "B", "enrolled"), (2, "C", "enrolled")]


def test_restart_needs_the_chair(app, client, auth, conference_id):
    with app.app_context():
        s, conference = load(app, conference_id)
        tokens = ceremony.set_trustees(s, conference, ["A", "B", "C"], 2)
        s.close()
    enrol_all(app, tokens.values())
    auth.login("auditor", Role.AUDITOR)
    assert progress(client, conference_id)["phase"] == "commit"
    assert restart(client, conference_id).status_code == 403
    with app.app_context():
        s, conference = load(app, conference_id)
        assert conference.ceremony_attempt == 1
        s.close()


def test_trustees_cannot_be_renamed_once_the_key_exists(app, client, auth, conference_id):
    with app.app_context():
        s, conference = load(app, conference_id)
        complete_key_ceremony(s, conference)
        key = conference.public_key
        s.close()
    auth.login()
    assert post_trustees(client, conference_id, "X\nY\nZ").status_code == 400
    with app.app_context():
        s, conference = load(app, conference_id)
        assert conference.public_key == key
        assert [t.name for t in conference.trustees] == ["Trustee 1", "Trustee 2", "Trustee 3"]
        s.close()
