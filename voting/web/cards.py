"""Ballot cards: the summary, issuing (the sheet is the response, once) and
revoking. Cards are handed out like paper ballots: nothing here records
which card goes to whom, and the tokens exist only in the downloaded sheet.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import Response
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms import SelectMultipleField
from wtforms import ValidationError
from wtforms.validators import InputRequired
from wtforms.validators import NumberRange
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from ..db import get_session
from ..services import cards
from ..services import cardsheet
from ..services import conferences
from .security import secretary_required
from .security import staff_required

bp = Blueprint("cards", __name__, url_prefix="/cards")


def _at_least_one(_form, field) -> None:
    """DataRequired would mark every checkbox ``required`` (each one a must)."""
    if not field.data:
        raise ValidationError(_("Choose at least one round."))


class IssueCardsForm(FlaskForm):
    count = IntegerField(_l("Cards"), default=0,
                         validators=[InputRequired(), NumberRange(0, cards.MAX_BATCH)])
    spares = IntegerField(_l("Spare cards"), default=0,
                          validators=[InputRequired(), NumberRange(0, cards.MAX_BATCH)])
    rounds = SelectMultipleField(_l("Rounds the cards cover"), coerce=int,
                                 validators=[_at_least_one],
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())

    def validate_spares(self, field) -> None:
        if not 1 <= (self.count.data or 0) + (field.data or 0) <= cards.MAX_BATCH:
            raise ValidationError(_("Issue between 1 and %(max)s cards in all.",
                                    max=cards.MAX_BATCH))


class RevokeCardForm(FlaskForm):
    serial = IntegerField(_l("Card number"), validators=[InputRequired(), NumberRange(min=1)])


def _issue_form(session, conference) -> IssueCardsForm:
    form = IssueCardsForm()
    form.rounds.choices = [(r.id, r.title) for r in cards.draft_rounds(session, conference)]
    if not form.is_submitted():
        form.rounds.data = [value for value, _label in form.rounds.choices]
    return form


def is_unreachable_from_phones(public_url: str) -> bool:
    """Whether ``public_url``'s host is one no phone can open: loopback
    (127.0.0.0/8, ::1, localhost) or every-interface (0.0.0.0, ::)."""
    host = (urlsplit(public_url).hostname or "").rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return not host  # a host name other than localhost
    return address.is_loopback or address.is_unspecified


def _page(session, conference, issue_form=None, revoke_form=None):
    public_url = current_app.config["VOTING_PUBLIC_URL"]
    return render_template("cards/conference.html", conference=conference,
                           summary=cards.card_summary(session, conference),
                           public_url=public_url,
                           public_url_unreachable=is_unreachable_from_phones(public_url),
                           issue_form=issue_form or _issue_form(session, conference),
                           revoke_form=revoke_form or RevokeCardForm())


@bp.get("/conferences/<int:conference_id>")
@staff_required
def index(conference_id: int):
    session = get_session()
    return _page(session, conferences.get_conference(session, conference_id))


@bp.post("/conferences/<int:conference_id>/issue")
@secretary_required
def issue(conference_id: int):
    """Issue cards; the response is their sheet, the only copy of the tokens."""
    session = get_session()
    conference = conferences.get_conference(session, conference_id)
    form = _issue_form(session, conference)
    if not form.validate_on_submit():
        return _page(session, conference, issue_form=form), 400
    sheet = cardsheet.issue_sheet(session, conference, count=form.count.data,
                                  spares=form.spares.data, round_ids=form.rounds.data,
                                  public_url=current_app.config["VOTING_PUBLIC_URL"])
    response = Response(sheet.html, mimetype="text/html")
    response.headers.set("Content-Disposition", "attachment", filename=sheet.filename)
    response.headers["Content-Security-Policy"] = sheet.csp  # its embedded stylesheet only
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/conferences/<int:conference_id>/revoke")
@secretary_required
def revoke(conference_id: int):
    session = get_session()
    conference = conferences.get_conference(session, conference_id)
    form = RevokeCardForm()
    if not form.validate_on_submit():
        return _page(session, conference, revoke_form=form), 400
    _flash_revocation(cards.revoke_card(session, conference, form.serial.data))
    return redirect(url_for(".index", conference_id=conference.id))


def _flash_revocation(result: cards.Revocation) -> None:
    flash(_("Card %(serial)s is revoked.", serial=result.serial), "success")
    if result.revoked_in:
        flash(_("The revocation is recorded on the board of: %(rounds)s.",
                rounds=", ".join(result.revoked_in)), "success")
    if result.voted_in:
        flash(_("This card had already voted in: %(rounds)s. Those ballots stay counted.",
                rounds=", ".join(result.voted_in)), "error")
