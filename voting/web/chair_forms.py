"""The chair's forms, and the words the chair's pages use for the domain's
codes (templates, bases, import and domain errors; round states and outcomes
are in ``vocabulary``, re-exported here)."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from datetime import UTC

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import SelectChoice
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import ValidationError
from wtforms.validators import AnyOf
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from ..models import Role
from ..models import RoundKind
from ..services import conferences
from ..services import minutes_header
from ..services.conferences import RowError
from ..services.errors import DomainError

# The words for states and outcomes live in one place; importable from here too.
from .vocabulary import STATE_LABELS  # noqa: F401 - re-exported
from .vocabulary import STATUS_LABELS  # noqa: F401 - re-exported

TEMPLATE_LABELS = {
    "advanced": _l("Advanced unit (agree / disagree for each unit)"),
    "determined": _l("Determined-to-win unit (agree / disagree, higher threshold)"),
    "flag": _l("Emulation flag nomination (choose up to k units)"),
    "custom": _l("Custom round"),
}
#: A new round's title when the chair leaves it empty.
DEFAULT_TITLES = {
    "advanced": _l("Advanced unit"),
    "determined": _l("Determined-to-win unit"),
    "flag": _l("Emulation flag nomination"),
    "custom": _l("Secret ballot"),
}
KIND_LABELS = {
    "per_unit": _l("Agree / disagree for each unit"),
    "choose": _l("Choose up to k units"),
}
BASE_LABELS = {
    "members": _l("members (delegates entitled to vote)"),
    "present": _l("present (delegates checked in)"),
    "issued": _l("issued (ballot cards handed out)"),
    "cast": _l("cast (ballots received)"),
    "valid": _l("valid (non-blank ballots for that unit)"),
}
#: The bases as the rule's sentence names them.
BASE_NOUNS = {
    "members": _l("the delegates entitled to vote"),
    "present": _l("the delegates present"),
    "issued": _l("the ballot cards handed out"),
    "cast": _l("the ballots cast"),
    "valid": _l("the valid (non-blank) ballots for that unit"),
}


def choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class ConferenceForm(FlaskForm):
    name = StringField(_l("Conference name"), validators=[DataRequired(), Length(max=300)])


class ImportForm(FlaskForm):
    """A CSV file, or the same text pasted (e.g. copied from a spreadsheet)."""

    file = FileField(_l("CSV file (UTF-8)"))
    text = TextAreaField(_l("Or paste the rows here"), validators=[Length(max=500_000)])

    def content(self) -> bytes | str:
        if self.file.data:
            return self.file.data.read()
        return self.text.data or ""

    def validate_text(self, field) -> None:
        if not self.file.data and not (field.data or "").strip():
            raise ValidationError(_("Choose a file or paste the rows."))


class RoundForm(FlaskForm):
    template = SelectField(_l("Kind of round"),
                           choices=choices(TEMPLATE_LABELS))
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    units = SelectMultipleField(_l("Candidate units"), coerce=int,
                                widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput(),
                                validators=[DataRequired(_l("Choose at least one unit."))])


class RuleForm(FlaskForm):
    kind = SelectField(_l("Ballot shape"), choices=choices(KIND_LABELS))
    max_choices = IntegerField(_l("k (most units a delegate may choose)"),
                               validators=[InputRequired(), NumberRange(1, 200)])
    comparator = SelectField(_l("Comparison"), choices=choices({">": ">", ">=": "≥"}))
    num = IntegerField(_l("Fraction: numerator"),
                       validators=[InputRequired(), NumberRange(0, 10**6)])
    den = IntegerField(_l("Fraction: denominator"),
                       validators=[InputRequired(), NumberRange(1, 10**6)])
    base = SelectField(_l("Of (the base)"), choices=choices(BASE_LABELS))
    quota = IntegerField(_l("Quota: at most this many winners (empty for none)"),
                         validators=[Optional(), NumberRange(1, 10**4)])

    def validate_num(self, field) -> None:
        if field.data is not None and self.den.data and field.data > self.den.data:
            raise ValidationError(_("The fraction must be at most 1."))

    @classmethod
    def of_round(cls, rnd) -> RuleForm:
        return cls(formdata=None, kind=rnd.kind.value, max_choices=rnd.max_choices,
                   comparator=rnd.rule_comparator, num=rnd.rule_num, den=rnd.rule_den,
                   base=rnd.rule_base, quota=rnd.rule_quota)

    def rule(self) -> dict:
        """The keyword arguments of ``rounds.update_rule``."""
        kind = RoundKind(self.kind.data)
        return {"kind": kind, "comparator": self.comparator.data, "num": self.num.data,
                "den": self.den.data, "base": self.base.data, "quota": self.quota.data,
                "max_choices": self.max_choices.data if kind == RoundKind.CHOOSE else 1}


class ClosingTimeForm(FlaskForm):
    """When an open round closes by itself: at a time of day, or in N minutes."""

    at = StringField(_l("Close at (HH:MM)"), validators=[Optional(), Regexp(
        r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$", message=_l("Write the time as HH:MM, e.g. 15:30."))])
    minutes = IntegerField(_l("or close in (minutes)"),
                           validators=[Optional(), NumberRange(1, 720)])

    def validate(self, extra_validators=None) -> bool:
        """Each field, then exactly one of them (``Optional`` would end a
        field's own chain before a check of the other)."""
        if not super().validate(extra_validators):
            return False
        if (self.minutes.data is None) == (not self.at.data):
            self.minutes.errors.append(_("Give either a time or a number of minutes."))
            return False
        return True

    def closes_at(self, now: datetime, zone: tzinfo) -> datetime:
        """The chosen moment as aware UTC: ``at`` is today's time in ``zone``."""
        if self.minutes.data is not None:
            return now + timedelta(minutes=self.minutes.data)
        hour, minute = map(int, self.at.data.split(":"))
        local = now.astimezone(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
        return local.astimezone(UTC)


class MemberForm(FlaskForm):
    """An account's role in this conference, or ``none`` to remove it."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role in this conference"), choices=choices({
        "secretary": _l("Secretary"), "auditor": _l("Auditor"), "chair": _l("Chair"),
        "none": _l("Not a member (remove)")}))

    def member_role(self) -> Role | None:
        return None if self.role.data == "none" else Role(self.role.data)


class ToggleForm(FlaskForm):
    """A check-in switch: the new value and the list's search, to return to it."""

    value = HiddenField(validators=[AnyOf(["0", "1"])])
    q = HiddenField(validators=[Length(max=200)])


#: Between a committee member's name and role: a dash with spaces around
#: (em, en or hyphen), else the first comma.
MEMBER_SEPARATOR = re.compile(r"\s+[—–-]\s+|\s*[—–]\s*")


class MinutesDetailsForm(FlaskForm):
    """The minutes' header and the counting committee, one member a line."""

    organiser = StringField(_l("Organising body (top left of the minutes)"),
                            validators=[Length(max=minutes_header.ORGANISER_MAX)])
    place = StringField(_l("Place (city of the date line)"),
                        validators=[Length(max=minutes_header.PLACE_MAX)])
    committee = TextAreaField(
        _l("Counting committee: one member a line, “Name — Role” or “Name, Role”, "
           "the head first"), validators=[Length(max=20_000)])

    @classmethod
    def of_conference(cls, conference) -> MinutesDetailsForm:
        lines = [f"{m['name']} — {m['role']}" if m["role"] else m["name"]
                 for m in minutes_header.committee_of(conference)]
        return cls(formdata=None, organiser=conference.organiser, place=conference.place,
                   committee="\n".join(lines))

    def validate_committee(self, field) -> None:
        self.members, errors = parse_committee(field.data or "")
        field.errors.extend(errors)


def parse_committee(text: str) -> tuple[list[dict], list[str]]:
    """The members of the committee text, and an error for each bad line
    (naming its line number) or for the list as a whole."""
    members, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = MEMBER_SEPARATOR.split(line, maxsplit=1)
        if len(parts) == 1:
            parts = line.split(",", 1)
        name, role = (conferences.clean(part) for part in (parts + [""])[:2])
        error = _member_error(name, role, len(parts) == 2)
        if error:
            errors.append(_("Line %(line)s: %(error)s", line=number, error=error))
        members.append({"name": name, "role": role})
    if not errors and not 1 <= len(members) <= minutes_header.COMMITTEE_MAX:
        errors.append(_("Enter 1 to %(limit)s members, the head of the committee first.",
                        limit=minutes_header.COMMITTEE_MAX))
    return members, errors


def _member_error(name: str, role: str, has_role: bool) -> str | None:
    if not has_role or not role:
        return _("write the name, then “—” or a comma, then the role.")
    if not name:
        return _("the name is empty.")
    if len(name) > minutes_header.MEMBER_NAME_MAX:
        return _("the name is longer than %(limit)s characters.",
                 limit=minutes_header.MEMBER_NAME_MAX)
    if len(role) > minutes_header.MEMBER_ROLE_MAX:
        return _("the role is longer than %(limit)s characters.",
                 limit=minutes_header.MEMBER_ROLE_MAX)
    return None


IMPORT_MESSAGES = {
    "not_utf8": _l("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
    "empty_file": _l("The file has no rows below the header."),
    "bad_csv": _l("The file is not valid CSV."),
    "unbalanced_quote": _l("A quotation mark opened here is never closed, so the rows "
                           "below would run together: check the quotes on this row."),
    "bad_header": _l("The first row must be the header: %(expected)s."),
    "columns": _l("Expected %(expected)s columns, found %(found)s."),
    "empty_name": _l("The name is empty."),
    "too_long": _l("The %(field)s is longer than %(limit)s characters."),
    "duplicate": _l("Same as row %(other)s."),
    "exists": _l("Already in this conference."),
    "too_many": _l("Too many rows: at most %(limit)s in a conference."),
    "conflict": _l("Another change to this list was saved at the same time. Try again."),
}
FIELD_LABELS = {"name": _l("name"), "note": _l("note"), "organisation": _l("organisation")}


def describe_row_error(error: RowError) -> str:
    params = dict(error.params)
    if "field" in params:
        params["field"] = str(FIELD_LABELS.get(params["field"], params["field"]))
    return str(IMPORT_MESSAGES.get(error.code, error.code)) % params


#: Service messages the chair may see, in the chair's language.
DOMAIN_MESSAGES = {
    "the key ceremony must be complete before a round opens":
        _l("The key ceremony must be complete before a round opens."),
    "the round has no candidate units": _l("The round has no candidate units."),
    "no ballot cards cover this round yet":
        _l("No ballot cards cover this round yet: issue the cards first."),
    "only a draft round can be changed": _l("Only a draft round can be changed."),
    "only a closed round can be published": _l("Only a closed round can be published."),
    "the closing time must lie in the next 12 hours":
        _l("The closing time must lie in the next 12 hours (a time of day that has passed "
           "is not tomorrow's)."),
    "The round is not open for voting.": _l("The round is not open for voting."),
    "only a published round can have a run-off":
        _l("Only a published round can have a run-off."),
    "this round has no tie to decide": _l("This round has no tie to decide."),
    "this round already has its run-off": _l("This round already has its run-off."),
    "there is no account with that username": _l("There is no account with that username."),
    "a conference keeps at least one chair": _l("A conference keeps at least one chair."),
}
DOMAIN_PATTERNS = (
    (re.compile(r"k \((\d+)\) is more than the (\d+) candidate units"),
     _l("k (%(needed)s) is more than the %(done)s candidate units.")),
    (re.compile(r"the quota \((\d+)\) is more than the (\d+) candidate units"),
     _l("The quota (%(needed)s) is more than the %(done)s candidate units.")),
    (re.compile(r"rule \d+: base 'valid' needs contests with max = 1"),
     _l("The base “valid” needs k = 1: with several choices a blank cannot be told apart.")),
    (re.compile(r"(\d+) trustees must decrypt first \((\d+) so far\)"),
     _l("%(needed)s trustees must decrypt the tally first (%(done)s so far).")),
)


#: Why a round cannot close yet (``Turnout.close_problem``): the frozen bases
#: must satisfy cast ≤ issued ≤ present ≤ members.
CLOSE_PROBLEMS = {
    "cast_exceeds_issued": _l("More ballots were cast (%(cast)s) than cards were handed out "
                              "at check-in (%(issued)s): correct check-in before closing."),
    "issued_exceeds_present": _l("More delegates received a card (%(issued)s) than are "
                                 "marked present (%(present)s): correct check-in before "
                                 "closing."),
    "present_exceeds_members": _l("More delegates are marked present (%(present)s) than are "
                                  "entitled to vote (%(members)s): correct the delegate list "
                                  "before closing."),
}


def describe_close_problem(problem: str, figures) -> str:
    """``problem`` (a ``CLOSE_PROBLEMS`` code) with the figures, for the chair;
    ``figures`` has members, present, issued and cast (attributes or keys)."""
    if not isinstance(figures, dict):
        figures = {name: getattr(figures, name)
                   for name in ("members", "present", "issued", "cast")}
    return str(CLOSE_PROBLEMS[problem]) % figures


def describe_error(exc: DomainError) -> str:
    """A domain error as a sentence for the chair."""
    if exc.code == "bases_inconsistent":
        return describe_close_problem(exc.details["problem"], exc.details)
    if exc.message in DOMAIN_MESSAGES:
        return str(DOMAIN_MESSAGES[exc.message])
    for pattern, message in DOMAIN_PATTERNS:
        match = pattern.fullmatch(exc.message)
        if match:
            return str(message) % dict(zip(("needed", "done"), match.groups(), strict=False))
    if exc.code == "illegal_transition":
        return _("This round cannot make that move (it is %(state)s).",
                 state=str(STATE_LABELS.get(exc.details.get("source"), "?")).lower())
    return exc.message
