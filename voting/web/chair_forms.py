"""The chair's forms, and the words the chair's pages use for the domain's
codes (round states, templates, bases, outcomes, import and domain errors)."""

from __future__ import annotations

import re

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
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from ..models import RoundKind
from ..services.conferences import RowError
from ..services.errors import DomainError

STATE_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open for voting"),
    "closed": _l("Closed, awaiting decryption"),
    "published": _l("Result published"),
}
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
STATUS_LABELS = {
    "elected": _l("Elected"),
    "not_elected": _l("Not elected"),
    "runoff": _l("Tie at the cut-off: run-off required"),
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


class ToggleForm(FlaskForm):
    """A check-in switch: the new value and the list's search, to return to it."""

    value = HiddenField(validators=[AnyOf(["0", "1"])])
    q = HiddenField(validators=[Length(max=200)])


IMPORT_MESSAGES = {
    "not_utf8": _l("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
    "empty_file": _l("The file has no rows below the header."),
    "bad_csv": _l("The file is not valid CSV."),
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
}
DOMAIN_PATTERNS = (
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
