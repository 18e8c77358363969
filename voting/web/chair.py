"""The chair's pages: conferences, CSV import, check-in, rounds and results.

Reading pages are open to auditors (``@staff_required``); every change is
the chair's (``@chair_required``). Domain errors of the round moves are
shown as flash messages on the round page.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from ..models import RoundState
from ..record_key import get_record_key
from ..services import checkin
from ..services import client_bundle
from ..services import conferences
from ..services import rounds
from ..services import tallying
from ..services.errors import DomainError
from ..services.errors import NotFound
from ..services.results import round_manifest
from ..services.results import round_result
from ..services.server_key import round_server_key
from . import chair_forms as labels
from .chair_forms import ConferenceForm
from .chair_forms import ImportForm
from .chair_forms import RoundForm
from .chair_forms import RuleForm
from .chair_forms import ToggleForm
from .forms import EmptyForm
from .security import chair_required
from .security import staff_required

bp = Blueprint("chair", __name__, url_prefix="/chair")


@bp.context_processor
def chair_context() -> dict:
    return {"labels": labels, "has_endpoint": lambda name: name in current_app.view_functions,
            "is_chair": current_user.is_authenticated and current_user.is_chair}


def _attempt(action, *args, **kwargs) -> bool:
    """Run a service call; on a domain error roll back and flash it."""
    try:
        action(*args, **kwargs)
    except DomainError as exc:
        get_session().rollback()
        flash(labels.describe_error(exc), "error")
        return False
    return True


@bp.get("/")
@staff_required
def index():
    return _index_page(ConferenceForm(formdata=None))


def _index_page(form: ConferenceForm, status: int = 200):
    rows = conferences.list_conferences(get_session())
    return render_template("chair/index.html", rows=rows, form=form), status


@bp.post("/conferences")
@chair_required
def create_conference():
    form = ConferenceForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    conference = conferences.create_conference(get_session(), form.name.data)
    return redirect(url_for(".conference", conference_id=conference.id))


@bp.post("/conferences/sample")
@chair_required
def create_sample():
    conference = conferences.create_sample_conference(get_session())
    flash(_("The sample conference was created. Next: the key ceremony, then the cards."),
          "success")
    return redirect(url_for(".conference", conference_id=conference.id))


@bp.get("/conferences/<int:conference_id>")
@staff_required
def conference(conference_id: int):
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    return render_template("chair/conference.html", conference=conf,
                           counts=checkin.counts(session, conf),
                           rounds=conferences.conference_rounds(session, conf))


@bp.route("/conferences/<int:conference_id>/import/<any(units, delegates):what>",
          methods=["GET", "POST"])
@chair_required
def import_rows(conference_id: int, what: str):
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    form, errors = ImportForm(), []
    if form.validate_on_submit():
        importer = getattr(conferences, f"import_{what}")
        try:
            count = importer(session, conf, form.content())
        except conferences.ImportFailed as exc:
            errors = [(e.row, labels.describe_row_error(e)) for e in exc.errors]
        else:
            flash(_("%(count)s rows imported.", count=count), "success")
            return redirect(url_for(".conference", conference_id=conference_id))
    return render_template("chair/import.html", conference=conf, what=what, form=form,
                           errors=errors), 400 if errors else 200


@bp.get("/conferences/<int:conference_id>/checkin")
@staff_required
def checkin_page(conference_id: int):
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    query = request.args.get("q", "")[:200]
    return render_template("chair/checkin.html", conference=conf, query=query,
                           counts=checkin.counts(session, conf),
                           delegates=checkin.search_delegates(session, conf, query))


@bp.post("/conferences/<int:conference_id>/delegates/<int:delegate_id>/"
         "<any(present, card):what>")
@chair_required
def toggle(conference_id: int, delegate_id: int, what: str):
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    delegate = checkin.get_delegate(session, conf, delegate_id)
    form = ToggleForm()
    if form.validate_on_submit():
        setter = checkin.set_present if what == "present" else checkin.set_card
        setter(session, delegate, form.value.data == "1")
    return redirect(url_for(".checkin_page", conference_id=conference_id,
                            q=form.q.data or None, _anchor=f"d-{delegate_id}"))


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
                           rounds=conferences.conference_rounds(session, conf))


@bp.get("/rounds/<int:round_id>")
@staff_required
def round_page(round_id: int):
    return _round_page(round_id, None)


def _round_page(round_id: int, form: RuleForm | None, status: int = 200):
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    decrypted = (tallying.submitted_trustees(session, rnd)
                 if rnd.state == RoundState.CLOSED else [])
    figures = rounds.turnout(session, rnd)
    return render_template(
        "chair/round.html", rnd=rnd, form=form or RuleForm.of_round(rnd),
        manifest=round_manifest(rnd), turnout=figures,
        close_problem=_close_problem(rnd, figures),
        result=round_result(session, rnd), decrypted=decrypted,
        move_form=EmptyForm()), status


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
    if _attempt(rounds.update_rule, session, rounds.get_round(session, round_id), **form.rule()):
        flash(_("The rule was saved."), "success")
    return redirect(url_for(".round_page", round_id=round_id))


MOVES = {
    "open": lambda session, rnd: rounds.open_round(session, rnd, get_record_key()),
    "close": rounds.close_round,
    "publish": tallying.publish_result,
}


@bp.post("/rounds/<int:round_id>/<any(open, close, publish):action>")
@chair_required
def move(round_id: int, action: str):
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    if _attempt(MOVES[action], session, rnd):
        flash({"open": _("The round is open for voting."),
               "close": _("Voting is closed; the trustees can now decrypt the tally."),
               "publish": _("The result is published.")}[action], "success")
    return redirect(url_for(".round_page", round_id=round_id))


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


@bp.get("/rounds/<int:round_id>/minutes")
@staff_required
def minutes(round_id: int):
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    result = round_result(session, rnd)
    if result is None:
        raise NotFound(_("The result of this round is not published yet."))
    return render_template("chair/minutes.html", rnd=rnd, result=result,
                           server_key=round_server_key(rnd),
                           ballot_client=client_bundle.round_client_hash(rnd))
