"""The JSON API the delegate's phone uses (PROTOCOL §8): open rounds, a
credential's status, and casting a ballot.

Nothing here uses cookies or the session, and the card token never reaches
the server: the phone sends only public credentials and signed ballots. So
these views are exempt from CSRF, and errors are JSON
(``{"error": {"code", "message"}}``, mapped in ``errors.py``).
"""

from __future__ import annotations

import json
import re

from flask import abort
from flask import Blueprint
from flask import jsonify
from flask import request
from flask import url_for
from flask_babel import gettext as _

from ..db import get_session
from ..services import casting
from ..services import rounds
from ..services.board_queries import open_rounds
from ..services.board_queries import public_round
from ..services.errors import Invalid
from .security import csrf
from .security import limiter
from .security import public

bp = Blueprint("api", __name__, url_prefix="/api")

CREDENTIAL = re.compile(r"[0-9a-f]{64}")
#: A hall NATs every phone behind one address: only a generous ceiling.
CAST_LIMIT = "600 per minute"


@bp.errorhandler(413)
def too_large(_exc):
    return jsonify(error={"code": "too_large",
                          "message": _("The request is larger than 1 MiB.")}), 413


@bp.get("/rounds/open")
@csrf.exempt
@public
def open_round_list():
    """Every open round's election object, for the phone to find its own."""
    return jsonify(rounds=[{
        "round": rnd.public_id, "title": rnd.title, "conference": rnd.conference.name,
        "kind": rnd.kind.value, "election": json.loads(rnd.election_json),
        "fingerprint": rnd.fingerprint} for rnd in open_rounds(get_session())])


@bp.get("/rounds/<public_id>/credentials/<credential>")
@csrf.exempt
@public
def credential_status(public_id: str, credential: str):
    """Whether a public credential is known, revoked, or has voted."""
    if not CREDENTIAL.fullmatch(credential):
        raise Invalid(_("A credential is 64 lowercase hexadecimal digits."))
    session = get_session()
    rnd = public_round(session, public_id)
    status = casting.credential_status(session, rnd, credential)
    return jsonify(round=rnd.public_id, state=rnd.state.value, **status,
                   **(_links(status["receipt"]) if status["receipt"] else {}))


@bp.post("/rounds/<public_id>/ballots")
@limiter.limit(CAST_LIMIT)
@csrf.exempt
@public
def cast(public_id: str):
    """Cast a ballot: 201 with the receipt, 200 with the same receipt for an
    identical retry, a JSON error (storing nothing) otherwise."""
    session = get_session()
    rnd = rounds.get_round_by_public_id(session, public_id)
    if not request.is_json:
        abort(415, _("Send the ballot as application/json."))
    ballot = casting.parse_ballot_json(request.get_data(cache=False))
    receipt = casting.cast_ballot(session, rnd, ballot)
    body = receipt.to_json()
    return jsonify(receipt=body, **_links(body)), 201 if receipt.created else 200


def _links(receipt: dict) -> dict:
    """The receipt's board entry, as a link and as a QR code image."""
    args = {"public_id": receipt["round"], "tracker": receipt["tracker"]}
    return {"board_url": url_for("board.ballot", **args),
            "qr_url": url_for("board.ballot_qr", **args)}

