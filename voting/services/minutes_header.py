"""What the minutes (biên bản kiểm phiếu) print besides the result: the
organising body, the place of the date line and the counting committee
(Ban kiểm phiếu), entered by the chair on the conference page."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from ..models import Conference
from . import audit_trail
from .conferences import clean
from .errors import Invalid

#: Column limits of the minutes' header, as in the model, and of the
#: counting committee (Ban kiểm phiếu).
ORGANISER_MAX, PLACE_MAX = 300, 100
COMMITTEE_MAX, MEMBER_NAME_MAX, MEMBER_ROLE_MAX = 15, 200, 100


def set_minutes_details(session: Session, conference: Conference, *, organiser: str,
                        place: str, committee: list[dict]) -> None:
    """Set what the minutes print besides the result: the organising body,
    the place of the date line, and the counting committee (``name`` and
    ``role`` of each member, the head first). All or nothing.

    :raises Invalid: an over-long field, or a committee that is not 1 to 15
        members each with a name.
    """
    organiser, place = clean(organiser or ""), clean(place or "")
    if len(organiser) > ORGANISER_MAX:
        raise Invalid(f"the organiser is at most {ORGANISER_MAX} characters")
    if len(place) > PLACE_MAX:
        raise Invalid(f"the place is at most {PLACE_MAX} characters")
    if not isinstance(committee, list | tuple):
        raise Invalid("the counting committee is a list of members")
    members = [_committee_member(number, member)
               for number, member in enumerate(committee, start=1)]
    if not 1 <= len(members) <= COMMITTEE_MAX:
        raise Invalid(f"the counting committee has 1 to {COMMITTEE_MAX} members")
    conference.organiser, conference.place = organiser, place
    conference.committee_json = json.dumps(members, ensure_ascii=False)
    audit_trail.record(session, "conference.minutes", conference_id=conference.id,
                       target=f"conference {conference.id}",
                       detail={"organiser": organiser, "place": place, "committee": len(members)})
    session.commit()


def _committee_member(number: int, member: dict) -> dict:
    """One member, cleaned. :raises Invalid: naming the member's number."""
    if not isinstance(member, dict) or not all(
            isinstance(member.get(key, ""), str) for key in ("name", "role")):
        raise Invalid(f"committee member {number}: a name and a role, as text")
    name, role = clean(member.get("name", "")), clean(member.get("role", ""))
    if not name or len(name) > MEMBER_NAME_MAX:
        raise Invalid(f"committee member {number}: the name is 1 to {MEMBER_NAME_MAX} "
                      "characters")
    if len(role) > MEMBER_ROLE_MAX:
        raise Invalid(f"committee member {number}: the role is at most {MEMBER_ROLE_MAX} "
                      "characters")
    return {"name": name, "role": role}


def committee_of(conference: Conference) -> list[dict]:
    """The counting committee as entered, the head first: ``name``, ``role``."""
    members = json.loads(conference.committee_json or "[]")
    return [{"name": m["name"], "role": m.get("role", "")} for m in members]
