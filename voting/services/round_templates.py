"""Round templates: the three award shapes and the conference's own.

A template is the rule a new round starts from. The built-in ones are the
usual award shapes; a conference can save a draft round's rule as its own
version of a template (``save_template``), which its new rounds of that
template then start from, until the chair restores the built-in one.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..models import Conference
from ..models import Round
from ..models import RoundKind
from ..models import RoundState
from . import audit_trail
from .errors import Invalid


@dataclass(frozen=True)
class Template:
    kind: RoundKind
    comparator: str
    fraction: tuple[int, int]
    base: str
    quota: int | None = None
    max_choices: int = 1


#: The three award shapes; "custom" starts from "advanced".
TEMPLATES = {
    "advanced": Template(RoundKind.PER_UNIT, ">", (1, 2), "present"),
    "determined": Template(RoundKind.PER_UNIT, ">=", (2, 3), "present"),
    "flag": Template(RoundKind.CHOOSE, ">", (1, 2), "cast", quota=1, max_choices=1),
    "custom": Template(RoundKind.PER_UNIT, ">", (1, 2), "present"),
}


def _saved(conference: Conference) -> dict:
    return json.loads(conference.templates_json or "{}")


def template_for(conference: Conference, name: str) -> Template:
    """The conference's version of template ``name``, else the built-in one.

    :raises Invalid: no such template.
    """
    if name not in TEMPLATES:
        raise Invalid(f"unknown template {name!r}")
    saved = _saved(conference).get(name)
    if saved is None:
        return TEMPLATES[name]
    return Template(RoundKind(saved["kind"]), saved["comparator"], tuple(saved["fraction"]),
                    saved["base"], saved["quota"], saved["max_choices"])


def customised(conference: Conference) -> set[str]:
    """The templates this conference has its own version of."""
    return set(_saved(conference)) & set(TEMPLATES)


def save_template(session: Session, rnd: Round) -> None:
    """Make the draft round ``rnd``'s rule (already validated when it was
    saved, ``rounds.update_rule``) its conference's version of the round's
    template. One transaction.

    :raises Invalid: the round is not a draft.
    """
    if rnd.state != RoundState.DRAFT or rnd.is_reserve:
        raise Invalid("only a draft round can be changed")
    conference = rnd.conference
    saved = _saved(conference)
    saved[rnd.template] = asdict(Template(rnd.kind, rnd.rule_comparator,
                                          (rnd.rule_num, rnd.rule_den), rnd.rule_base,
                                          rnd.rule_quota, rnd.max_choices))
    conference.templates_json = json.dumps(saved, sort_keys=True)
    audit_trail.record(session, "template.save", conference_id=conference.id,
                       target=f"template {rnd.template}", detail={"round": rnd.id})
    session.commit()


def restore_template(session: Session, conference: Conference, name: str) -> None:
    """Forget the conference's version of template ``name``."""
    template_for(conference, name)  # refuses an unknown name
    saved = _saved(conference)
    saved.pop(name, None)
    conference.templates_json = json.dumps(saved, sort_keys=True)
    audit_trail.record(session, "template.restore", conference_id=conference.id,
                       target=f"template {name}")
    session.commit()
