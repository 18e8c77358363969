"""The chair's pages: conferences, members, minutes details, CSV import and
check-in (the rounds are in ``chair_rounds``, the documents in
``chair_documents``, on this same blueprint).

Reading pages are open to every member of the conference and to auditors
(``@staff_required``); check-in, cards and the closing time to its
secretaries too (``@secretary_required``); every other change is its
chair's (``@chair_required``). Domain errors are shown as flash messages.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from ..services import checkin
from ..services import conferences
from ..services import memberships
from ..services import minutes_header
from ..services import sample
from ..services.errors import DomainError
from . import chair_forms as labels
from .chair_forms import ConferenceForm
from .chair_forms import ImportForm
from .chair_forms import MemberForm
from .chair_forms import MinutesDetailsForm
from .chair_forms import ToggleForm
from .security import chair_required
from .security import secretary_required
from .security import staff_required

bp = Blueprint("chair", __name__, url_prefix="/chair")


@bp.context_processor
def chair_context() -> dict:
    return {"labels": labels, "has_endpoint": lambda name: name in current_app.view_functions}


def attempt(action, *args, **kwargs) -> bool:
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
    session = get_session()
    rows = conferences.list_conferences(
        session, memberships.visible_conference_ids(session, current_user))
    return render_template("chair/index.html", rows=rows, form=form), status


@bp.post("/conferences")
@chair_required
def create_conference():
    form = ConferenceForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    conference = conferences.create_conference(get_session(), form.name.data, current_user)
    return redirect(url_for(".conference", conference_id=conference.id))


@bp.post("/conferences/sample")
@chair_required
def create_sample():
    conference = sample.create_sample_conference(get_session(), current_user)
    flash(_("The sample conference was created. Next: the key ceremony, then the cards."),
          "success")
    return redirect(url_for(".conference", conference_id=conference.id))


@bp.get("/conferences/<int:conference_id>")
@staff_required
def conference(conference_id: int):
    return _conference_page(conference_id, None)


def _conference_page(conference_id: int, form: MinutesDetailsForm | None, status: int = 200):
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    return render_template("chair/conference.html", conference=conf,
                           counts=checkin.counts(session, conf),
                           rounds=conferences.conference_rounds(session, conf),
                           committee=minutes_header.committee_of(conf),
                           minutes_form=form or MinutesDetailsForm.of_conference(conf),
                           members=memberships.members(session, conf),
                           member_form=MemberForm(formdata=None)), status


@bp.post("/conferences/<int:conference_id>/members")
@chair_required
def set_member(conference_id: int):
    """Add a secretary, an auditor or another chair by username, change
    their role, or remove them."""
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    form = MemberForm()
    if form.validate_on_submit() and attempt(memberships.set_member, session, conf,
                                              form.username.data, form.member_role()):
        flash(_("The conference's members are updated."), "success")
    return redirect(url_for(".conference", conference_id=conference_id, _anchor="members"))


@bp.post("/conferences/<int:conference_id>/minutes-details")
@chair_required
def minutes_details(conference_id: int):
    form = MinutesDetailsForm()
    if not form.validate_on_submit():
        return _conference_page(conference_id, form, 400)
    session = get_session()
    if attempt(minutes_header.set_minutes_details, session,
                conferences.get_conference(session, conference_id),
                organiser=form.organiser.data, place=form.place.data, committee=form.members):
        flash(_("The details of the minutes were saved."), "success")
    return redirect(url_for(".conference", conference_id=conference_id, _anchor="minutes"))


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
    page = request.args.get("page", 1, type=int)
    return render_template("chair/checkin.html", conference=conf, query=query,
                           counts=checkin.counts(session, conf),
                           listing=checkin.search_delegates(session, conf, query, page))


@bp.post("/conferences/<int:conference_id>/delegates/<int:delegate_id>/"
         "<any(present, card):what>")
@secretary_required
def toggle(conference_id: int, delegate_id: int, what: str):
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    delegate = checkin.get_delegate(session, conf, delegate_id)
    form = ToggleForm()
    if form.validate_on_submit():
        setter = checkin.set_present if what == "present" else checkin.set_card
        setter(session, delegate, form.value.data == "1")
    page = checkin.page_of(session, delegate, form.q.data or "")
    return redirect(url_for(".checkin_page", conference_id=conference_id,
                            q=form.q.data or None, page=page if page > 1 else None,
                            _anchor=f"d-{delegate_id}"))


# The round and document views register on ``bp`` too.
from . import chair_documents  # noqa: E402, F401
from . import chair_rounds  # noqa: E402, F401
