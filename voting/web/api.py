"""The JSON API the delegate's phone uses (PROTOCOL §8): open rounds, a
credential's status, casting a ballot, and challenging an encryption.

Nothing here uses cookies or the session, and the card token never reaches
the server: the phone sends only public credentials, signed ballots and
audits (challenged encryptions, which carry no credential at all). So
these views are exempt from CSRF, and errors are JSON
(``{"error": {"code", "message"}}``, mapped in ``errors.py``). A credential
travels only in a POST body, never in a URL: access and proxy logs record
request lines with the client's address, and a credential there would link
a phone's address to its ballot.
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
from ..services import auditing
from ..services import casting
from ..services import rounds
from ..services.board_queries import open_rounds
from ..services.board_queries import public_round
from ..services.errors import Invalid
from . import qr
from .json_input import json_object
from .links import public_url
from .security import csrf
from .security import limiter
from .security import public

bp = Blueprint("api", __name__, url_prefix="/api")

CREDENTIAL = re.compile(r"[0-9a-f]{64}")
#: A hall NATs every phone behind one address: only a generous ceiling.
CAST_LIMIT = "600 per minute"
#: Also per address, so also shared by the whole hall: twice the cast's
#: ceiling, as a phone asks once per open round of its card at every load,
#: Refresh and return from a receipt (200 delegates, 3 open rounds, each
#: reloading twice in a minute: 1,200). The answer tells nothing the public
#: board does not (credentials and ballots are on it): this limits load only.
STATUS_LIMIT = "1200 per minute"
#: Per address too, so again shared by the hall. A challenge is a deliberate
#: extra step (review, challenge, look at a second device: tens of seconds
#: a person), so 200 delegates all challenging in the same minute fit with
#: room to spare; a script on one address is held to five a second. Audits
#: carry no credential, so addresses are all there is to limit them by:
#: ``auditing.AUDITS_PER_ROUND`` caps a round's total.
AUDIT_LIMIT = "300 per minute"


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


@bp.post("/rounds/<public_id>/credential-status")
@limiter.limit(STATUS_LIMIT)
@csrf.exempt
@public
def credential_status(public_id: str):
    """Whether the public credential in the body, ``{"credential": hex}``,
    is known, revoked, or has voted; a JSON error (400) for any other body."""
    credential = _credential_from_body()
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


@bp.post("/rounds/<public_id>/audits")
@limiter.limit(AUDIT_LIMIT)
@csrf.exempt
@public
def audit(public_id: str):
    """Challenge an encryption (§8.6): the body is the audit, which carries
    no credential. 201 with ``{round, seq, code, check_url, qr}``, 200 with
    the same for an identical retry, a JSON error (storing nothing) otherwise."""
    session = get_session()
    rnd = rounds.get_round_by_public_id(session, public_id)
    if not request.is_json:
        abort(415, _("Send the audit as application/json."))
    body = auditing.parse_audit_json(request.get_data(cache=False))
    receipt = auditing.post_audit(session, rnd, body)
    check_url = public_url("board.audit", public_id=receipt.round_id, seq=receipt.seq)
    return jsonify(round=receipt.round_id, seq=receipt.seq, code=receipt.code,
                   check_url=check_url, qr=qr.data_uri(check_url)), \
        201 if receipt.created else 200


def _credential_from_body() -> str:
    """The credential of a ``{"credential": "<64 lowercase hex>"}`` body,
    parsed strictly (:func:`json_object`), nothing else in it.

    :raises Invalid: for any other body or content type.
    """
    body = json_object()
    if body.keys() - {"credential"}:
        raise Invalid('the body must be {"credential": "<64 lowercase hex>"}, nothing else')
    credential = body.get("credential")
    if not isinstance(credential, str) or not CREDENTIAL.fullmatch(credential):
        raise Invalid(_("A credential is 64 lowercase hexadecimal digits."))
    return credential


def _links(receipt: dict) -> dict:
    """The receipt's board entry, as a link and as a QR code image. The
    image travels in the reply (a data: URI): were the phone to fetch it,
    the tracker would sit next to its address in every access log."""
    path = url_for("board.ballot", public_id=receipt["round"], tracker=receipt["tracker"])
    return {"board_url": path, "qr": qr.data_uri(public_url(
        "board.ballot", public_id=receipt["round"], tracker=receipt["tracker"]))}

