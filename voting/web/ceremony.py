"""The chair's side of the key ceremony (PROTOCOL §4): name the trustees,
hand out their one-time invitations, follow the trustees' key generation
live, and restart it after a complaint. The server never deals.

Invitation tokens are shown once, on the response to the form that made
them, and never stored (the database keeps only their SHA-256).
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from ..db import get_session
from ..models import Conference
from ..services import ceremony
from ..services import conferences
from . import qr
from .links import public_url
from .security import chair_required
from .security import staff_required

bp = Blueprint("ceremony", __name__, url_prefix="/ceremony")


@bp.context_processor
def ceremony_context() -> dict:
    return {"has_endpoint": lambda name: name in current_app.view_functions}


class TrusteesForm(FlaskForm):
    names = TextAreaField(_l("Trustees, one name per line"), validators=[DataRequired()])
    threshold = IntegerField(_l("Trustees needed to decrypt (t)"), default=2,
                             validators=[DataRequired(), NumberRange(min=1, max=32)])

    @property
    def name_list(self) -> list[str]:
        return [n.strip() for n in (self.names.data or "").splitlines() if n.strip()]

    def validate_names(self, field) -> None:
        names = self.name_list
        if len(names) > 32:
            raise ValidationError(_("At most 32 trustees."))
        if len({n.casefold() for n in names}) != len(names):
            raise ValidationError(_("Each trustee needs a different name."))

    def validate_threshold(self, field) -> None:
        if field.data and field.data > len(self.name_list):
            raise ValidationError(_("t cannot be more than the number of trustees."))


def _conference(conference_id: int) -> Conference:
    return conferences.get_conference(get_session(), conference_id)


class RestartForm(FlaskForm):
    #: The trustee to leave out (their index), or empty to restart with everyone.
    without = IntegerField(validators=[Optional(), NumberRange(min=1, max=32)])


def _page(conference: Conference, form: TrusteesForm, status: int = 200):
    return render_template("ceremony/conference.html", conference=conference, form=form,
                           restart_form=RestartForm(), progress=ceremony.progress(conference),
                           ), status


@bp.get("/conferences/<int:conference_id>")
@staff_required
def index(conference_id: int):
    conf = _conference(conference_id)
    form = TrusteesForm(names="\n".join(t.name for t in conf.trustees),
                        threshold=conf.threshold)
    return _page(conf, form)


@bp.post("/conferences/<int:conference_id>/trustees")
@chair_required
def trustees(conference_id: int):
    conf = _conference(conference_id)
    form = TrusteesForm()
    if not form.validate_on_submit():
        return _page(conf, form, 400)
    tokens = ceremony.set_trustees(get_session(), conf, form.name_list, form.threshold.data)
    invitations = []
    for trustee in conf.trustees:
        link = f"{public_url('trustee.enrol')}#{tokens[trustee.index]}"
        invitations.append({"trustee": trustee, "link": link, "qr": qr.data_uri(link)})
    return render_template("ceremony/invitations.html", conference=conf,
                           invitations=invitations)


@bp.get("/conferences/<int:conference_id>/progress.json")
@staff_required
def progress(conference_id: int):
    """Each trustee's phase, for the chair's live page."""
    return jsonify(ceremony.progress(_conference(conference_id)))


@bp.post("/conferences/<int:conference_id>/restart")
@chair_required
def restart(conference_id: int):
    """A new attempt after a complaint, with everyone or without one trustee."""
    conf = _conference(conference_id)
    form = RestartForm()
    if form.validate_on_submit():
        ceremony.restart(get_session(), conf, form.without.data or None)
        flash(_("The key generation starts again: each trustee's page continues by itself "
                "while it is open."), "success")
    return redirect(url_for("ceremony.index", conference_id=conf.id))
