"""The one vocabulary of the domain's codes: round states, outcomes and board
events, in the words every page shows them (the chair's pages, the public
board, the cards page, the minutes). Templates reach it as ``vocabulary``
(a Jinja global, :func:`init_app`); Python callers import it.

Outcomes are worded by the round's kind: a per-unit round (agree / disagree
for each unit) *passes* a unit or not, a choose-k round *elects* it or not;
a tie at a quota's cut-off is the same for both. :func:`status_label` is
the one function that says it, given the status and the kind.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open for voting"),
    "closed": _l("Closed, awaiting decryption"),
    "published": _l("Result published"),
}
RUNOFF_LABEL = _l("Tie at the cut-off: run-off required")
#: A round's outcome for a unit, by the round's kind (``RoundKind`` values).
STATUS_LABELS_BY_KIND = {
    "per_unit": {"elected": _l("Passed"), "not_elected": _l("Not passed"),
                 "runoff": RUNOFF_LABEL},
    "choose": {"elected": _l("Elected"), "not_elected": _l("Not elected"),
               "runoff": RUNOFF_LABEL},
}
#: The outcome words when the round's kind is not at hand (a choose-k
#: round's); prefer :func:`status_label` with the kind.
STATUS_LABELS = STATUS_LABELS_BY_KIND["choose"]
#: The kinds of events on a round's public board (PROTOCOL §7).
EVENT_LABELS = {
    "setup": _l("Set-up"),
    "open": _l("Opening"),
    "ballot": _l("Ballot"),
    "revoke": _l("Card revoked"),
    "audit": _l("Encryption check"),
    "close": _l("Closing"),
    "tally": _l("Encrypted tally"),
    "partial": _l("Partial decryption"),
    "result": _l("Result"),
}


def _code(value) -> str | None:
    """An enum's value, or the code itself."""
    return getattr(value, "value", value)


def state_label(state) -> str:
    """A round state (``RoundState`` or its value) in words."""
    code = _code(state)
    return str(STATE_LABELS.get(code, code))


def status_label(status: str, kind=None) -> str:
    """An outcome (elected, not_elected, runoff) in words for a round of
    ``kind`` (``RoundKind`` or its value; None: the choose-k wording)."""
    labels = STATUS_LABELS_BY_KIND.get(_code(kind), STATUS_LABELS)
    return str(labels.get(status, status))


def event_label(kind: str) -> str:
    """A board event's type in words."""
    return str(EVENT_LABELS.get(kind, kind))


def init_app(app: Flask) -> None:
    """Every template, including imported macro files, sees ``vocabulary``."""
    import sys

    app.jinja_env.globals["vocabulary"] = sys.modules[__name__]

#: Account and membership roles (``Role`` values).
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "chair": _l("Chair"),
    "secretary": _l("Secretary"),
    "auditor": _l("Auditor"),
}


def rule_sentence(rule: dict) -> str:
    """A manifest's rule (PROTOCOL §5.2) in words, for the chair's pages,
    the hall screen and the minutes: a per-unit rule (it names the option
    "agree") *passes* a unit, a choose-k rule *elects* it."""
    from .chair_forms import BASE_NOUNS

    values = {"fraction": f"{rule['fraction'][0]}/{rule['fraction'][1]}",
              "base": str(BASE_NOUNS[rule["base"]])}
    more = rule["comparator"] == ">"
    if rule["option"]:
        sentence = (_("A unit passes when its “agree” votes are more than %(fraction)s "
                      "of %(base)s.", **values) if more else
                    _("A unit passes when its “agree” votes are at least %(fraction)s "
                      "of %(base)s.", **values))
    else:
        sentence = (_("A unit is elected when its votes are more than %(fraction)s of "
                      "%(base)s.", **values) if more else
                    _("A unit is elected when its votes are at least %(fraction)s of "
                      "%(base)s.", **values))
    if rule.get("quota"):
        sentence += " " + _("At most %(quota)s elected, those with the most votes; a tie at "
                            "the cut-off requires a run-off round.", quota=rule["quota"])
    return sentence
