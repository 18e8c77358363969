"""The hall screen: a public page for the projector, with no control and
no login. It shows the conference's current round: the live turnout while
it is open (with a countdown to its closing time), a notice while the
trustees decrypt, and the published result as bars; its script polls
``state.json`` and renders the page again when the round or its state
changes. Never a partial result: nothing but counts of people and ballots
exists before publication."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import render_template

from ..db import get_session
from ..models import RoundState
from ..services import conferences
from ..services import screen
from ..services.results import round_result
from . import qr
from .links import public_url
from .security import public

bp = Blueprint("screen", __name__, url_prefix="/screen")

#: The result's layout classes (voting/static/css/screen.css) by the most
#: rows each holds: one column of large rows, one column, two columns, and
#: beyond, two columns of compact rows (30 units fit at 1920×1080). The
#: page's script makes the rows smaller should long names still overflow.
DENSITIES = ((5, "rows-large"), (8, "rows-few"), (16, "rows-two"))
COMPACT = "rows-many"


@bp.get("/<int:conference_id>")
@public
def page(conference_id: int):
    session = get_session()
    conference = conferences.get_conference(session, conference_id)
    rnd = screen.current_round(session, conference)
    result = (round_result(session, rnd)
              if rnd is not None and rnd.state == RoundState.PUBLISHED else None)
    board_url = public_url("board.round", public_id=rnd.public_id) if rnd else None
    return render_template(
        "screen/page.html", conference=conference, rnd=rnd,
        state=screen.round_state(session, conference, rnd), result=result,
        density=density(_rows(result)) if result else None,
        board_url=board_url, board_qr=qr.data_uri(board_url) if result else None,
        time_zone=current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.get("/<int:conference_id>/state.json")
@public
def state(conference_id: int):
    """The current round's state and turnout: never a count of votes."""
    session = get_session()
    body = screen.screen_state(session, conferences.get_conference(session, conference_id))
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _rows(result) -> int:
    """The result's rows on the screen: one per outcome, one per quota line."""
    return len(result.all_outcomes) + sum(1 for rule in result.manifest["rules"]
                                          if rule.get("quota"))


def density(rows: int) -> str:
    """The result list's layout class for ``rows`` rows."""
    return next((name for most, name in DENSITIES if rows <= most), COMPACT)
