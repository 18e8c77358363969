"""The public board: every round's hash-chained events, find-my-ballot,
each ballot's event, each challenged encryption's check page, the signed
record for ``voting-verify``, and a page that verifies a published round's
record in the visitor's browser."""

from __future__ import annotations

import io
import json
import re

from flask import abort
from flask import Blueprint
from flask import jsonify
from flask import render_template
from flask import request
from flask import Response
from flask import send_file

from ..crypto.ballot import short_tracker
from ..db import get_session
from ..models import RoundState
from ..record_key import get_fingerprint
from ..record_key import get_record_key
from ..services import auditing
from ..services import board_queries as queries
from ..services import client_bundle
from ..services.board import board_bytes
from ..services.board import export_record
from ..services.board import has_tally
from ..services.errors import NotFound
from ..services.results import round_result
from ..services.server_key import round_server_key
from . import qr
from .links import public_url
from .security import public

bp = Blueprint("board", __name__, url_prefix="/board")

TRACKER = re.compile(r"[0-9a-f]{64}")


@bp.get("/")
@public
def index():
    return render_template("board/index.html", server_key=get_fingerprint(),
                           conferences=queries.listed_rounds(get_session()))


@bp.get("/<public_id>", endpoint="round")
@public
def round_page(public_id: str):
    """A round's state, result, chain of events and find-my-ballot."""
    session = get_session()
    rnd = queries.public_round(session, public_id)
    query = request.args.get("tracker", "").strip()[:100]
    prefix = queries.tracker_prefix(query) if query else None
    return render_template(
        "board/round.html", rnd=rnd, query=query, is_readable=prefix is not None,
        found=queries.find_ballots(session, rnd, prefix) if prefix else [],
        events=queries.event_page(session, rnd, request.args.get("page", 1, type=int)),
        audits=auditing.audit_page(session, rnd, request.args.get("audits", 1, type=int)),
        result=round_result(session, rnd), record_name=_record_name(rnd.public_id),
        server_key=round_server_key(rnd), ballot_client=client_bundle.round_client_hash(rnd))


@bp.get("/<public_id>/ballots/<tracker>")
@public
def ballot(public_id: str, tracker: str):
    """One ballot's board event, as published."""
    session = get_session()
    rnd = queries.public_round(session, public_id)
    row, event = queries.ballot_event(session, rnd, _tracker(tracker))
    return render_template(
        "board/ballot.html", rnd=rnd, ballot=row, event=event,
        short_tracker=short_tracker(bytes.fromhex(row.tracker)),
        event_json=json.dumps(json.loads(event.line), indent=2, ensure_ascii=False))


@bp.get("/<public_id>/ballots/<tracker>/qr.svg")
@public
def ballot_qr(public_id: str, tracker: str):
    """A QR code of the ballot's board address (shown on the receipt)."""
    session = get_session()
    rnd = queries.public_round(session, public_id)
    row, _event = queries.ballot_event(session, rnd, _tracker(tracker))
    url = public_url("board.ballot", public_id=rnd.public_id, tracker=row.tracker)
    return Response(qr.svg(url), mimetype="image/svg+xml")


@bp.get("/<public_id>/audits/<int:seq>")
@public
def audit(public_id: str, seq: int):
    """Check a challenged encryption (PROTOCOL §8.6) in this browser: the
    page's script fetches the audit and the election object, re-encrypts the
    revealed choices and shows them with the encryption code."""
    session = get_session()
    rnd = queries.public_round(session, public_id)
    auditing.audit_body(session, rnd, seq)  # 404 unless an audit is there
    return render_template("board/audit.html", rnd=rnd, seq=seq)


@bp.get("/<public_id>/audits/<int:seq>.json")
@public
def audit_json(public_id: str, seq: int):
    """What the check page needs: the round's election object and the audit."""
    session = get_session()
    rnd = queries.public_round(session, public_id)
    body = auditing.audit_body(session, rnd, seq)
    return jsonify(round=rnd.public_id, seq=seq, election=json.loads(rnd.election_json),
                   audit=body)


@bp.get("/<public_id>/record.zip")
@public
def record(public_id: str):
    """The round's signed election record (PROTOCOL §13)."""
    session = get_session()
    rnd = queries.public_round(session, public_id)
    data = export_record(session, rnd, get_record_key())
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=_record_name(rnd.public_id))


@bp.get("/<public_id>/verify")
@public
def verify(public_id: str):
    """Verify this round: the browser downloads the record and runs the
    JavaScript verifier's 19 checks on it (PROTOCOL §14). Only a published
    round's record can pass them all, so other rounds have no such page."""
    rnd = queries.public_round(get_session(), public_id)
    if rnd.state != RoundState.PUBLISHED:
        raise NotFound("this round's result is not published yet")
    return render_template("board/verify.html", rnd=rnd, record_name=_record_name(rnd.public_id))


@bp.get("/<public_id>/board.jsonl")
@public
def board_lines(public_id: str):
    """The round's board as it stands, once its encrypted tally is on it: the
    bytes of the record's ``board.jsonl`` (PROTOCOL §13), events after the
    tally (partial decryptions, result) included. A trustee's browser
    verifies it and recomputes the tally before decrypting (§14)."""
    session = get_session()
    rnd = queries.public_round(session, public_id)
    if not has_tally(session, rnd):
        raise NotFound("this round has no encrypted tally yet")
    response = Response(board_bytes(session, rnd), mimetype="application/x-ndjson")
    response.headers["Cache-Control"] = "no-store"
    return response


def _tracker(text: str) -> str:
    if not TRACKER.fullmatch(text):
        abort(404)
    return text


def _record_name(public_id: str) -> str:
    return f"record-{public_id}.zip"
