"""The hall screen's use case: which round the hall sees, and the state its
page polls (counts of people and ballots only, never of votes)."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import timedelta
from datetime import UTC

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.models import RoundState
from voting.services import casting
from voting.services import rounds
from voting.services import screen
from voting.services import tallying
from voting.services.elections import election_of
from voting.services.results import round_result

from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_conference
from ..factories import make_open_round

#: A fixed morning, so that no assertion depends on the wall clock.
T0 = datetime(2025, 1, 15, 8, 0, tzinfo=UTC)
KEYS = {"conference", "round", "turnout", "closes_at", "now", "version"}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def vote(session, rnd, token, choices):
    ballot = encrypt_ballot(election_of(rnd), choices, derive_credential(token, rnd.public_id))
    casting.cast_ballot(session, rnd, ballot)


@pytest.fixture
def hall(app, session):
    """A conference whose key ceremony is done; ``open_round()`` opens one."""
    conference = make_conference(session, units=3, delegates=5)
    private = complete_key_ceremony(session, conference)

    class Hall:
        def open_round(self, title="Vòng", template="advanced", cards=5):
            rnd, tokens = make_open_round(session, conference, app.config["VOTING_KEYS_DIR"],
                                          template=template, cards=cards)
            rnd.title = title
            session.commit()
            return rnd, tokens

    hall = Hall()
    hall.conference, hall.private = conference, private
    return hall


def stamp(session, rnd, **times) -> None:
    """Set a round's timestamps (opened_at, closed_at, published_at)."""
    for name, value in times.items():
        setattr(rnd, name, value)
    session.commit()


def test_no_round_before_one_opens_drafts_and_reserves_are_never_shown(session, hall):
    rounds.create_round(session, hall.conference, "advanced", "Nháp")
    reserve = rounds.create_round(session, hall.conference, "advanced", "Dự phòng")
    reserve.is_reserve = True
    session.commit()
    assert screen.current_round(session, hall.conference) is None
    state = screen.screen_state(session, hall.conference)
    assert state == {"conference": hall.conference.name, "round": None, "turnout": None,
                     "closes_at": None, "now": state["now"], "version": "none"}


def test_a_reserve_round_is_hidden_even_when_open(session, hall):
    rnd, _ = hall.open_round("Dự phòng")
    rnd.is_reserve = True
    session.commit()
    assert screen.current_round(session, hall.conference) is None


def test_the_open_round_beats_a_more_recently_published_one(session, hall):
    opened, _ = hall.open_round("Đang mở")
    done, _ = hall.open_round("Đã xong")
    rounds.close_round(session, done)
    tallying.publish_result(session, done)  # no ballot: nothing to decrypt
    stamp(session, opened, opened_at=at(0))
    stamp(session, done, opened_at=at(1), closed_at=at(5), published_at=at(9))
    assert screen.current_round(session, hall.conference) is opened


def test_the_most_recently_opened_open_round_wins(session, hall):
    first, _ = hall.open_round("Thứ nhất")
    second, _ = hall.open_round("Thứ hai")
    stamp(session, first, opened_at=at(10))
    stamp(session, second, opened_at=at(3))
    assert screen.current_round(session, hall.conference) is first
    stamp(session, second, opened_at=at(11))
    assert screen.current_round(session, hall.conference) is second


def test_without_an_open_round_the_latest_change_wins(session, hall):
    published, _ = hall.open_round("Đã công bố")
    closed, _ = hall.open_round("Đã kết thúc")
    rounds.close_round(session, published)
    rounds.close_round(session, closed)
    tallying.publish_result(session, published)  # no ballot: nothing to decrypt
    # Closed first, but published after the other one closed.
    stamp(session, published, closed_at=at(0), published_at=at(20))
    stamp(session, closed, closed_at=at(10))
    assert screen.current_round(session, hall.conference) is published
    stamp(session, closed, closed_at=at(30))
    assert screen.current_round(session, hall.conference) is closed


def test_state_of_an_open_round_has_turnout_and_no_count_of_votes(session, hall):
    rnd, tokens = hall.open_round("Đơn vị tiên tiến", cards=4)
    vote(session, rnd, tokens[0], [[0], [0], [1]])
    vote(session, rnd, tokens[1], [[1], [0], []])
    state = screen.screen_state(session, hall.conference)
    assert set(state) == KEYS
    assert state["round"] == {"public_id": rnd.public_id, "title": "Đơn vị tiên tiến",
                              "state": "open"}
    assert state["turnout"] == {"cast": 2, "issued": 4, "present": 4, "members": 5}
    assert state["closes_at"] is None
    assert state["version"] == f"{rnd.id}:open:-"
    assert state["now"].endswith("Z") and datetime.fromisoformat(state["now"]).tzinfo


def test_the_closing_time_is_iso_utc(session, hall):
    rnd, _ = hall.open_round()
    closes_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    rounds.set_closing_time(session, rnd, closes_at)
    session.expire_all()  # read it back as the database stores it (naive on SQLite)
    state = screen.screen_state(session, hall.conference)
    assert state["closes_at"] == closes_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert screen.iso_utc(datetime(2025, 1, 15, 8, 5)) == "2025-01-15T08:05:00.000Z"


def test_version_changes_with_each_state_and_no_state_carries_a_count(session, hall):
    rnd, tokens = hall.open_round(cards=3)
    for token, choices in zip(tokens, ([[0], [0], [0]], [[0], [1], [0]], [[1], [0], []]),
                              strict=True):
        vote(session, rnd, token, choices)
    states = [screen.screen_state(session, hall.conference)]
    rounds.close_round(session, rnd)
    states.append(screen.screen_state(session, hall.conference))
    decrypt_and_publish(session, hall.conference, rnd, hall.private)
    states.append(screen.screen_state(session, hall.conference))
    assert [s["round"]["state"] for s in states] == ["open", "closed", "published"]
    assert len({s["version"] for s in states}) == 3
    assert states[2]["version"] == f"{rnd.id}:published:{screen.iso_utc(rnd.published_at)}"
    for state in states:
        assert set(state) == KEYS
        assert set(state["turnout"]) == {"cast", "issued", "present", "members"}
        assert state["turnout"] == {"cast": 3, "issued": 3, "present": 3, "members": 5}
        assert "counts" not in json.dumps(state) and "outcomes" not in json.dumps(state)
    # The counts exist, on the board, once published: the page reads them there.
    assert rnd.state == RoundState.PUBLISHED
    assert [o.count for o in round_result(session, rnd).all_outcomes] == [2, 2, 2]
