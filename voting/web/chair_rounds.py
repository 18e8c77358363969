"""The chair's round pages: a new round, its page, its rule, the moves
(open, close and publish, the last two after a confirmation), the closing
time, the run-off and the conference's templates, and the live turnout.
Views of the ``chair`` blueprint (``chair.py``)."""

from __future__ import annotations

from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import format_time
from flask_babel import get_timezone
from flask_babel import gettext as _

from ..db import get_session
from ..models import RoundState
from ..models.base import utcnow
from ..record_key import get_record_key
from ..services import conferences
from ..services import round_templates
from ..services import rounds
from ..services import runoffs
from ..services import tallying
from ..services.errors import DomainError
from ..services.errors import NotFound
from ..services.results import round_manifest
from ..services.results import round_result
from . import chair_forms as labels
from .chair import attempt
from .chair import bp
from .chair_forms import ClosingTimeForm
from .chair_forms import RoundForm
from .chair_forms import RuleForm
from .forms import EmptyForm
from .security import chair_required
from .security import secretary_required
from .security import staff_required


@bp.route("/conferences/<int:conference_id>/rounds/new", methods=["GET", "POST"])
@chair_required
def new_round(conference_id: int):
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    source = request.args.get("from_round", type=int)
    form = RoundForm(units=conferences.preselected_units(session, conf, source),
                     template="determined" if source else "advanced")
    form.units.choices = labels.choices({u.id: u.name for u in conf.units})
    if form.validate_on_submit():
        template = form.template.data
        rnd = rounds.create_round(session, conf, template,
                                  form.title.data or str(labels.DEFAULT_TITLES[template]),
                                  form.units.data)
        return redirect(url_for(".round_page", round_id=rnd.id))
    return render_template("chair/round_new.html", conference=conf, form=form,
                           rounds=conferences.conference_rounds(session, conf),
                           customised=round_templates.customised(conf), restore_form=EmptyForm())


@bp.get("/rounds/<int:round_id>")
@staff_required
def round_page(round_id: int):
    return _round_page(round_id, None)


def _round_page(round_id: int, form: RuleForm | None, status: int = 200,
                closing_form: ClosingTimeForm | None = None):
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    if rnd.is_reserve:
        raise NotFound("no such round")
    decrypted = (tallying.submitted_trustees(session, rnd)
                 if rnd.state == RoundState.CLOSED else [])
    figures, result = rounds.turnout(session, rnd), round_result(session, rnd)
    return render_template(
        "chair/round.html", rnd=rnd, form=form or RuleForm.of_round(rnd),
        manifest=round_manifest(rnd), turnout=figures,
        close_problem=_close_problem(rnd, figures),
        result=result, decrypted=decrypted,
        move_form=EmptyForm(), closing_form=closing_form or ClosingTimeForm(formdata=None),
        tied=runoffs.tied_unit_ids(rnd, result),
        runoff=runoffs.runoff_of(session, rnd),
        source=rounds.get_round(session, rnd.runoff_of_id) if rnd.runoff_of_id else None,
        is_custom_template=rnd.template in round_templates.customised(rnd.conference)), status


def _close_problem(rnd, figures: rounds.Turnout) -> str | None:
    """Why an open round could not be closed now, in the chair's words."""
    problem = figures.close_problem() if rnd.state == RoundState.OPEN else None
    return labels.describe_close_problem(problem, figures) if problem else None


@bp.post("/rounds/<int:round_id>/rule")
@chair_required
def edit_rule(round_id: int):
    form = RuleForm()
    if not form.validate_on_submit():
        return _round_page(round_id, form, 400)
    session = get_session()
    if attempt(rounds.update_rule, session, rounds.get_round(session, round_id), **form.rule()):
        flash(_("The rule was saved."), "success")
    return redirect(url_for(".round_page", round_id=round_id))


MOVES = {
    "open": lambda session, rnd: rounds.open_round(session, rnd, get_record_key()),
    "close": rounds.close_round,
    "publish": tallying.publish_result,
}


#: The moves that cannot be undone, and the state each starts from: their
#: button leads to a confirmation page, and their POST needs ``confirm=1``.
CONFIRMED_MOVES = {"close": RoundState.OPEN, "publish": RoundState.CLOSED}


@bp.get("/rounds/<int:round_id>/confirm/<any(close, publish):action>")
@chair_required
def confirm_move(round_id: int, action: str):
    """What closing (the turnout it freezes) or publishing will do, and the
    form that does it."""
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    if rnd.state != CONFIRMED_MOVES[action]:
        return redirect(url_for(".round_page", round_id=round_id))
    figures = rounds.turnout(session, rnd)
    decrypted = tallying.submitted_trustees(session, rnd) if action == "publish" else []
    return render_template("chair/confirm.html", rnd=rnd, action=action, turnout=figures,
                           close_problem=_close_problem(rnd, figures), decrypted=decrypted,
                           move_form=EmptyForm())


@bp.post("/rounds/<int:round_id>/<any(open, close, publish):action>")
@chair_required
def move(round_id: int, action: str):
    if action in CONFIRMED_MOVES and request.form.get("confirm") != "1":
        flash(_("Nothing was changed: confirm on this page first."), "error")
        return redirect(url_for(".confirm_move", round_id=round_id, action=action))
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    if attempt(MOVES[action], session, rnd):
        flash({"open": _("The round is open for voting."),
               "close": _("Voting is closed; the trustees can now decrypt the tally."),
               "publish": _("The result is published.")}[action], "success")
    return redirect(url_for(".round_page", round_id=round_id))


@bp.post("/rounds/<int:round_id>/closing-time")
@secretary_required
def closing_time(round_id: int):
    """Set when the open round closes by itself (or clear it, ``clear=1``)."""
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    if request.form.get("clear") == "1":
        if EmptyForm().validate_on_submit() and attempt(rounds.set_closing_time, session,
                                                         rnd, None):
            flash(_("The closing time was cleared."), "success")
        return redirect(url_for(".round_page", round_id=round_id))
    form = ClosingTimeForm()
    if not form.validate_on_submit():
        return _round_page(round_id, None, 400, closing_form=form)
    closes_at = form.closes_at(utcnow(), get_timezone())
    if attempt(rounds.set_closing_time, session, rnd, closes_at):
        flash(_("Voting closes by itself at %(at)s.", at=format_time(closes_at, "HH:mm")),
              "success")
    return redirect(url_for(".round_page", round_id=round_id))


@bp.post("/rounds/<int:round_id>/runoff")
@chair_required
def create_runoff(round_id: int):
    """One click: the run-off over exactly the tied units, on the same cards."""
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for(".round_page", round_id=round_id))
    try:
        runoff, on_cards = runoffs.create_runoff(session, rnd,
                                                 _("Run-off: %(title)s", title=rnd.title))
    except DomainError as exc:
        session.rollback()
        flash(labels.describe_error(exc), "error")
        return redirect(url_for(".round_page", round_id=round_id))
    flash(_("The run-off round is ready over the tied units. The cards already handed out "
            "cover it: check its rule, then open it.") if on_cards else
          _("The run-off round is ready over the tied units, but no reserve round that the "
            "cards cover was left: issue ballot cards for it before opening it."), "success")
    return redirect(url_for(".round_page", round_id=runoff.id))


@bp.post("/rounds/<int:round_id>/template")
@chair_required
def save_template(round_id: int):
    """Make this draft round's rule the conference's version of its template."""
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    if EmptyForm().validate_on_submit() and attempt(round_templates.save_template,
                                                     session, rnd):
        flash(_("New rounds of this kind in this conference now start from this rule."),
              "success")
    return redirect(url_for(".round_page", round_id=round_id))


@bp.post("/conferences/<int:conference_id>/templates/<any(advanced, determined, flag, custom):"
         "name>/restore")
@chair_required
def restore_template(conference_id: int, name: str):
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    if EmptyForm().validate_on_submit():
        round_templates.restore_template(session, conf, name)
        flash(_("The built-in template is restored."), "success")
    return redirect(url_for(".new_round", conference_id=conference_id))


@bp.get("/rounds/<int:round_id>/turnout.json")
@staff_required
def turnout(round_id: int):
    """Live turnout: how many, never how they voted (no partial results)."""
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    figures = rounds.turnout(session, rnd)
    return jsonify(state=rnd.state.value, members=figures.members, present=figures.present,
                   issued=figures.issued, cast=figures.cast,
                   close_problem=_close_problem(rnd, figures))
