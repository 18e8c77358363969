"""The delegate's voting page.

The card token stays in the URL fragment (``/vote#<token>``), which
browsers never send: the page derives each round's credential on the
phone and talks to the JSON API (``api.py``) with public values only.
"""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask import url_for

from ..record_key import get_fingerprint
from ..services import client_bundle
from .security import public

bp = Blueprint("vote", __name__, url_prefix="/vote")

#: The placeholder the page script fills in (a credential is never in a
#: URL: the script posts it, api.credential_status).
ROUND = "__round__"


@bp.get("")
@public
def page():
    urls = {
        "open": url_for("api.open_round_list"),
        "status": url_for("api.credential_status", public_id=ROUND),
        "cast": url_for("api.cast", public_id=ROUND),
        "audit": url_for("api.audit", public_id=ROUND),
    }
    return render_template("vote/page.html", urls=urls, server_key=get_fingerprint(),
                           client_integrity=client_bundle.integrity())
