"""Closing and publishing are confirmed first: the round page's button leads
to a page saying what will happen, whose form posts ``confirm=1``; a POST
without it changes nothing. Opening needs no confirmation."""

from __future__ import annotations

import re

import pytest

from voting.crypto.tally import partial_decrypt
from voting.models import Role
from voting.models import Round
from voting.models import RoundState
from voting.services import rounds
from voting.services import tallying
from voting.services.elections import election_of

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import make_cards
from ..factories import make_conference
from ..factories import trustee_share
from .test_cards import INLINE
from .test_chair import chair  # noqa: F401 - fixture
from .test_chair import fresh
from .test_chair import post
from .test_chair import text
from .test_chair import vote


@pytest.fixture
def world(session):
    """A conference of 4 delegates (3 present with a card) and a draft round
    of 2 units: (conference, round, tokens, private shares)."""
    conference = make_conference(session, units=2, delegates=4)
    private = complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    tokens = make_cards(session, conference, [rnd.id], 3)
    check_in(session, conference, present=3, cards=3)
    return conference, rnd, tokens, private


def state(session, rnd) -> RoundState:
    fresh(session)
    return session.get(Round, rnd.id).state


def test_opening_needs_no_confirmation(chair, session, world):  # noqa: F811
    _conference, rnd, _tokens, _private = world
    response = post(chair, f"/chair/rounds/{rnd.id}/open")
    assert response.location.endswith(f"/chair/rounds/{rnd.id}")
    assert state(session, rnd) == RoundState.OPEN


def test_closing_is_confirmed_on_a_page_with_the_turnout(chair, session, world):  # noqa: F811
    _conference, rnd, tokens, _private = world
    url = f"/chair/rounds/{rnd.id}"
    post(chair, f"{url}/open")
    fresh(session)
    for token in tokens[:2]:
        vote(session, rnd, token, [[0], [1]])
    page = text(chair.get(url))
    assert f'href="{url}/confirm/close"' in page
    assert f'action="{url}/close"' not in page  # no one-tap close on the round page
    response = chair.get(f"{url}/confirm/close")
    confirm = text(response)
    assert response.status_code == 200 and not INLINE.search(confirm)
    assert "Close voting?" in confirm and "the round cannot be reopened" in confirm
    for figure, value in [("cast", 2), ("issued", 3), ("present", 3), ("members", 4)]:
        assert f'data-figure="{figure}">{value}</span>' in confirm
    form = re.search(rf'<form method="post" action="{url}/close">(.*?)</form>', confirm, re.S)
    assert form and 'name="csrf_token"' in form[1]
    assert '<input type="hidden" name="confirm" value="1">' in form[1]
    assert "Yes, close voting" in form[1]
    assert state(session, rnd) == RoundState.OPEN  # the page changes nothing

    refused = post(chair, f"{url}/close")
    assert refused.status_code == 302 and refused.location.endswith(f"{url}/confirm/close")
    assert "Nothing was changed: confirm on this page first." in text(chair.get(refused.location))
    assert state(session, rnd) == RoundState.OPEN

    closed = post(chair, f"{url}/close", {"confirm": "1"})
    assert closed.location.endswith(url)
    assert state(session, rnd) == RoundState.CLOSED
    # once closed, the confirmation page leads back to the round
    assert chair.get(f"{url}/confirm/close").location.endswith(url)


def test_publishing_is_confirmed_as_public_and_final(chair, session, world):  # noqa: F811
    conference, rnd, tokens, private = world
    url = f"/chair/rounds/{rnd.id}"
    post(chair, f"{url}/open")
    fresh(session)
    vote(session, rnd, tokens[0], [[0], [1]])
    post(chair, f"{url}/close", {"confirm": "1"})
    page = text(chair.get(url))
    assert f'href="{url}/confirm/publish"' in page and f'action="{url}/publish"' not in page
    confirm = text(chair.get(f"{url}/confirm/publish"))
    assert "Publish the result?" in confirm and "The result becomes public and final" in confirm
    assert "0 of the 2 trustees needed have decrypted the tally." in confirm
    assert '<input type="hidden" name="confirm" value="1">' in confirm

    fresh(session)
    closed = session.get(Round, rnd.id)
    tally = tallying.encrypted_tally(session, closed)
    for index in (1, 2):
        tallying.submit_partial(session, closed, index, partial_decrypt(
            election_of(closed), tally, index, trustee_share(conference, index, private[index])))
    refused = post(chair, f"{url}/publish")
    assert refused.location.endswith(f"{url}/confirm/publish")
    assert state(session, rnd) == RoundState.CLOSED
    post(chair, f"{url}/publish", {"confirm": "1"})
    assert state(session, rnd) == RoundState.PUBLISHED


def test_only_the_chair_sees_the_confirmation(client, auth, session, world):
    _conference, rnd, _tokens, _private = world
    auth.login("auditor", Role.AUDITOR)
    assert client.get(f"/chair/rounds/{rnd.id}/confirm/close").status_code == 403
    assert client.get(f"/chair/rounds/{rnd.id}/confirm/open").status_code == 404


def test_a_draft_round_has_nothing_to_confirm(chair, world):  # noqa: F811
    _conference, rnd, _tokens, _private = world
    response = chair.get(f"/chair/rounds/{rnd.id}/confirm/publish")
    assert response.status_code == 302 and response.location.endswith(f"/chair/rounds/{rnd.id}")


