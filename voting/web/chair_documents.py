"""The chair's documents: a round's minutes (the printable page and the
PDF), the conference's exports and its audit trail. Views of the ``chair``
blueprint (``chair.py``)."""

from __future__ import annotations

from flask import render_template
from flask import request
from flask import Response
from flask_babel import gettext as _

from ..db import get_session
from ..services import audit_trail
from ..services import client_bundle
from ..services import conferences
from ..services import minutes_header
from ..services import rounds
from ..services import runoffs
from ..services.errors import Invalid
from ..services.errors import NotFound
from ..services.results import round_result
from ..services.server_key import round_server_key
from . import audit_page
from . import exports
from .chair import bp
from .links import public_url
from .minutes_pdf import Minutes
from .minutes_pdf import render_minutes_pdf
from .security import staff_required


@bp.get("/rounds/<int:round_id>/minutes")
@staff_required
def minutes(round_id: int):
    _session, rnd, result = _published(round_id)
    return render_template("chair/minutes.html", rnd=rnd, result=result,
                           server_key=round_server_key(rnd),
                           ballot_client=client_bundle.round_client_hash(rnd))


@bp.get("/rounds/<int:round_id>/minutes.pdf")
@staff_required
def minutes_pdf(round_id: int):
    """The minutes as a PDF document to sign (voting/web/minutes_pdf.py)."""
    session, rnd, result = _published(round_id)
    body = render_minutes_pdf(_minutes_of(session, rnd, result))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=bien-ban-kiem-phieu-{rnd.id}.pdf"})


def _published(round_id: int):
    """The session, the round and its published result; 404 before then."""
    session = get_session()
    rnd = rounds.get_round(session, round_id)
    result = round_result(session, rnd)
    if result is None:
        raise NotFound(_("The result of this round is not published yet."))
    return session, rnd, result


def _minutes_of(session, rnd, result) -> Minutes:
    conf, runoff = rnd.conference, runoffs.runoff_of(session, rnd)
    return Minutes(
        organiser=conf.organiser, conference=conf.name, place=conf.place,
        round_title=rnd.title, opened_at=rnd.opened_at, closed_at=rnd.closed_at,
        published_at=rnd.published_at, committee=minutes_header.committee_of(conf),
        result=result, trustees=[t.name for t in conf.trustees if t.index in result.trustees],
        fingerprint=rnd.fingerprint, head=rnd.head, event_count=rnd.event_count,
        server_key=round_server_key(rnd), ballot_client=client_bundle.round_client_hash(rnd),
        board_url=public_url("board.round", public_id=rnd.public_id),
        runoff_title=runoff.title if runoff else None)


@bp.get("/conferences/<int:conference_id>/export/"
        "<any(results, turnout, attendance):what>.<any(csv, xlsx):fmt>")
@staff_required
def export(conference_id: int, what: str, fmt: str):
    """Published results, turnout or the attendance list as a spreadsheet."""
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    return exports.download(session, conf, what, fmt)


@bp.get("/conferences/<int:conference_id>/audit")
@staff_required
def audit(conference_id: int):
    """The audit trail, newest first, filtered by the GET form."""
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    form, rows = audit_page.filtered(session, conf.id, request.args)
    return render_template("chair/audit.html", conference=conf, form=form, rows=rows or [],
                           actors=audit_trail.actors(session, conf.id), page=audit_page,
                           limit=audit_trail.MAX_ROWS), 400 if rows is None else 200


@bp.get("/conferences/<int:conference_id>/audit.csv")
@staff_required
def audit_csv(conference_id: int):
    """The filtered audit trail as CSV."""
    session = get_session()
    conf = conferences.get_conference(session, conference_id)
    _form, rows = audit_page.filtered(session, conf.id, request.args)
    if rows is None:
        raise Invalid(_("The filter is not valid."))
    return audit_page.csv_response(conf.id, rows)
