"""What the minutes print besides the result (services/conferences.py
``set_minutes_details``, ``committee_of``): cleaned, checked, all or nothing."""

from __future__ import annotations

import json
import unicodedata

import pytest

from voting.models import Conference
from voting.services import minutes_header
from voting.services.errors import Invalid

from ..factories import make_conference

HEAD = {"name": "Nguyễn Văn Hùng", "role": "Trưởng ban"}


def stored(session, conference_id: int) -> tuple:
    session.rollback()
    session.expire_all()
    conference = session.get(Conference, conference_id)
    return conference.organiser, conference.place, conference.committee_json


def test_details_are_cleaned_and_stored_in_order(session):
    conference = make_conference(session)
    decomposed = unicodedata.normalize("NFD", "Trần Thị Thu Hà")
    minutes_header.set_minutes_details(
        session, conference, organiser="  Công an\ttỉnh  Vĩnh Phúc ", place=" Vĩnh Phúc ",
        committee=[HEAD, {"name": decomposed, "role": " Ủy viên \n"},
                   {"name": "Lê Minh Tuấn", "role": ""}])
    organiser, place, committee = stored(session, conference.id)
    assert (organiser, place) == ("Công an tỉnh Vĩnh Phúc", "Vĩnh Phúc")
    members = [HEAD, {"name": "Trần Thị Thu Hà", "role": "Ủy viên"},
               {"name": "Lê Minh Tuấn", "role": ""}]
    assert json.loads(committee) == members
    assert minutes_header.committee_of(session.get(Conference, conference.id)) == members


def test_a_new_conference_has_no_committee(session):
    assert minutes_header.committee_of(make_conference(session)) == []


def test_the_limits_are_those_of_the_columns(session):
    conference = make_conference(session)
    minutes_header.set_minutes_details(session, conference, organiser="x" * 300, place="y" * 100,
                                    committee=[{"name": "n" * 200, "role": "r" * 100}] * 15)
    organiser, place, committee = stored(session, conference.id)
    assert (len(organiser), len(place), len(json.loads(committee))) == (300, 100, 15)


@pytest.mark.parametrize(("changes", "message"), [
    ({"organiser": "x" * 301}, "the organiser is at most 300 characters"),
    ({"place": "y" * 101}, "the place is at most 100 characters"),
    ({"committee": []}, "the counting committee has 1 to 15 members"),
    ({"committee": [HEAD] * 16}, "the counting committee has 1 to 15 members"),
    ({"committee": [HEAD, {"name": "  ", "role": "Ủy viên"}]},
     "committee member 2: the name is 1 to 200 characters"),
    ({"committee": [HEAD, {"name": "n" * 201, "role": "Ủy viên"}]},
     "committee member 2: the name is 1 to 200 characters"),
    ({"committee": [{"name": "Hùng", "role": "r" * 101}]},
     "committee member 1: the role is at most 100 characters"),
    ({"committee": [HEAD, {"name": 7, "role": "Ủy viên"}]},
     "committee member 2: a name and a role, as text"),
    ({"committee": [HEAD, "Lê Minh Tuấn"]}, "committee member 2: a name and a role, as text"),
    ({"committee": "Nguyễn Văn Hùng"}, "the counting committee is a list of members"),
])
def test_bad_details_change_nothing(session, changes, message):
    conference = make_conference(session)
    minutes_header.set_minutes_details(session, conference, organiser="Cũ", place="Cũ",
                                    committee=[{"name": "Cũ", "role": "Cũ"}])
    before = stored(session, conference.id)
    details = {"organiser": "Mới", "place": "Mới", "committee": [HEAD], **changes}
    with pytest.raises(Invalid) as raised:
        minutes_header.set_minutes_details(session, session.get(Conference, conference.id),
                                        **details)
    assert raised.value.message == message
    assert stored(session, conference.id) == before
