"""The audit trail's page and CSV export (``chair.audit``, ``chair.audit_csv``):
the words for its actions, the filter form (GET), the table.

Dates are days in the conference's time zone (BABEL_DEFAULT_TIMEZONE); "to"
includes its whole day. The CSV is written by ``exports.write_csv`` (UTF-8
with BOM, CRLF, formulas neutralised).
"""

from __future__ import annotations

from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import current_app
from flask import Response
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms import Form
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import Length
from wtforms.validators import Optional

from ..models import AuditEvent
from ..models.base import utcnow
from ..services import audit_trail
from ..services.exports import _
from ..services.exports import Table
from .chair_forms import choices
from .exports import CSV_MIMETYPE
from .exports import write_csv
from .vocabulary import ROLE_LABELS

ACTION_LABELS = {
    "conference.create": _l("Conference created"),
    "conference.minutes": _l("Details of the minutes saved"),
    "import.units": _l("Units imported"),
    "import.delegates": _l("Delegates imported"),
    "member.set": _l("Member's role set"),
    "template.save": _l("Round template saved"),
    "template.restore": _l("Built-in template restored"),
    "checkin.present": _l("Check-in: present"),
    "checkin.card": _l("Check-in: card handed out"),
    "round.create": _l("Round created"),
    "round.rule": _l("Rule saved"),
    "round.open": _l("Round opened"),
    "round.closing_time": _l("Closing time set"),
    "round.close": _l("Round closed"),
    "round.runoff": _l("Run-off round created"),
    "round.publish": _l("Result published"),
    "tally.partial": _l("Partial decryption submitted"),
    "cards.issue": _l("Ballot cards issued"),
    "cards.import": _l("Ballot cards made offline imported"),
    "cards.revoke": _l("Ballot card revoked"),
    "ceremony.trustees": _l("Trustees named"),
    "ceremony.restart": _l("Key generation restarted"),
    "ceremony.offline": _l("Offline key installed"),
    "ceremony.enrol": _l("Trustee enrolled"),
    "ceremony.commit": _l("Key generation: commitment"),
    "ceremony.reveal": _l("Key generation: reveal"),
    "ceremony.confirm": _l("Key generation: share confirmed"),
    "ceremony.complaint": _l("Key generation: complaint"),
}
GROUP_LABELS = {
    "conference": _l("Conference"), "import": _l("Imports"), "member": _l("Members"),
    "template": _l("Round templates"), "checkin": _l("Check-in"), "cards": _l("Ballot cards"),
    "ceremony": _l("Key ceremony"), "round": _l("Rounds"), "tally": _l("Decryption"),
}
ACTOR_ROLE_LABELS = {**ROLE_LABELS, "trustee": _l("Trustee"), "system": _l("System")}
#: "Acting as", not "Role": the catalog's "Role" is a committee member's title.
HEADERS = [_("Time"), _("Who"), _("Acting as"), _("Action"), _("Action code"), _("Target"),
           _("Detail")]


class AuditFilterForm(Form):
    """The page's GET filter (no CSRF: it changes nothing)."""

    action = SelectField(_l("Action"), default="",
                         choices=choices({"": _l("All actions"), **GROUP_LABELS}))
    actor = StringField(_l("Who"), validators=[Optional(), Length(max=200)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (inclusive)"), validators=[Optional()])

    def wanted(self) -> audit_trail.Filter:
        """The filter, its days turned into UTC instants."""
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])

        def start_of(day):
            return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

        return audit_trail.Filter(
            action=f"{self.action.data}." if self.action.data else "",
            actor=(self.actor.data or "").strip(),
            since=start_of(self.since.data) if self.since.data else None,
            until=start_of(self.until.data + timedelta(days=1)) if self.until.data else None)


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def role_label(code: str) -> str:
    return str(ACTOR_ROLE_LABELS.get(code, code))


def local_time(at: datetime) -> str:
    """``at`` (UTC; naive from SQLite) in the conference's zone, to the second."""
    return format_datetime(at if at.tzinfo else at.replace(tzinfo=UTC), "yyyy-MM-dd HH:mm:ss")


def table(rows: list[AuditEvent]) -> Table:
    """The rows as the export's table (headers are msgids, cells in words)."""
    return Table(HEADERS, [[local_time(r.at), r.actor_name, role_label(r.role),
                            action_label(r.action), r.action, r.target, r.detail]
                           for r in rows])


def filename(conference_id: int) -> str:
    return f"conference-{conference_id}-audit-{utcnow():%Y%m%d}.csv"


def filtered(session, conference_id: int, args) -> tuple[AuditFilterForm, list[AuditEvent] | None]:
    """The filter form read from the query ``args``, and the rows it finds
    (None when the form is not valid)."""
    form = AuditFilterForm(args)
    if not form.validate():
        return form, None
    return form, audit_trail.events(session, conference_id, form.wanted())


def csv_response(conference_id: int, rows: list[AuditEvent]) -> Response:
    return Response(write_csv(table(rows)), headers={
        "Content-Type": CSV_MIMETYPE, "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{filename(conference_id)}"'})
