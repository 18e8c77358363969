"""The trustee's pages (PROTOCOL §4, §11): enrol from the invitation link,
check the dealt share, and decrypt closed rounds' tallies.

The invitation token lives in the link's fragment; the page posts it in a
JSON body, never in a URL. Passphrases and shares never leave the browser:
the server sees only the enrolment public key, the KDF salt, and partial
decryptions with their proofs, which it verifies before publishing.
"""

from __future__ import annotations

from flask import Blueprint
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from ..crypto.tally import tally_to_json
from ..db import get_session
from ..models import Round
from ..models import RoundState
from ..services import ceremony
from ..services import rounds
from ..services import tallying
from ..services.elections import election_of
from ..services.errors import Invalid
from ..services.errors import KeyNotReady
from ..services.errors import NotFound
from .forms import EmptyForm
from .json_input import json_object
from .security import limiter
from .security import log_in_trustee
from .security import log_out_trustee
from .security import public
from .security import session_trustee
from .security import trustee_required

bp = Blueprint("trustee", __name__, url_prefix="/trustee")

def _trustee_round(public_id: str) -> Round:
    """A closed round of the logged-in trustee's conference."""
    rnd = rounds.get_round_by_public_id(get_session(), public_id)
    if rnd.conference_id != g.trustee.conference_id:
        raise NotFound(_("No such round."))
    if rnd.state != RoundState.CLOSED or not rnd.cast:
        raise Invalid(_("This round is not waiting for decryption."))
    return rnd


@bp.get("/enrol")
@public
def enrol():
    # No redirect even once the key exists: the link's fragment may hold
    # another trustee's invitation, which the page must read first.
    trustee = session_trustee()
    # Put the CSRF token in the session before Flask-Login looks at it, so
    # that this response already carries Flask-Login's "_fresh" mark: else
    # the next page request (the browser's favicon, say) adds it and can
    # write back a cookie without the trustee session opened meanwhile.
    generate_csrf()
    return render_template("trustee/enrol.html", trustee=trustee, kdf=ceremony.KDF)


@bp.post("/session")
@limiter.limit("10 per minute; 50 per hour")
@public
def open_session():
    token = json_object().get("token")
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        raise NotFound(_("This invitation is not valid."))
    trustee = ceremony.trustee_by_token(get_session(), token)
    log_in_trustee(trustee)
    return jsonify(name=trustee.name, index=trustee.index, conference=trustee.conference.name,
                   is_enrolled=trustee.enrolment_key is not None,
                   has_key=trustee.conference.has_key,
                   key_generation_started=ceremony.has_started(trustee.conference),
                   home=url_for(".home"))


@bp.post("/enrolment")
@trustee_required
def enrolment():
    body = json_object()
    ceremony.enrol(get_session(), g.trustee, body.get("enrolment_key"), body.get("kdf_salt"))
    return jsonify(ok=True, home=url_for(".home"))


@bp.get("/")
@trustee_required
def home():
    pending, done = tallying.rounds_for_trustee(get_session(), g.trustee)
    return render_template("trustee/home.html", trustee=g.trustee,
                           conference=g.trustee.conference, pending=pending, done=done,
                           leave_form=EmptyForm())


@bp.get("/ceremony.json")
@trustee_required
def ceremony_state():
    """The key generation as this trustee's browser needs it (PROTOCOL §4.5)."""
    return jsonify(ceremony.trustee_state(g.trustee))


_STEPS = {"commit": ceremony.commit, "reveal": ceremony.reveal, "confirm": ceremony.confirm,
          "complaint": ceremony.complain}


@bp.post("/ceremony/<step>")
@limiter.limit("120 per minute")
@trustee_required
def ceremony_step(step: str):
    """One step of the key generation; a repeated post gets the same answer."""
    if step not in _STEPS:
        raise NotFound(_("No such step."))
    _STEPS[step](get_session(), g.trustee, json_object())
    return jsonify(ceremony.trustee_state(g.trustee))


@bp.get("/share.json")
@trustee_required
def share():
    """What the trustee's browser opens its share s_i from: every dealer's
    reveal (with the envelope sealed to this trustee) and the public share."""
    trustee = g.trustee
    state = ceremony.trustee_state(trustee)
    if not trustee.conference.has_key or state["reveals"] is None:
        raise KeyNotReady(_("The key has not been made in the trustees' browsers."))
    return jsonify({k: state[k] for k in ("index", "kdf", "kdf_salt", "enrolment_key",
                                          "public_share", "ceremony", "reveals")})


@bp.get("/rounds/<round_id>/tally.json")
@trustee_required
def tally(round_id: str):
    rnd = _trustee_round(round_id)
    election = election_of(rnd)
    member = election.trustee(g.trustee.index)
    if member is None:
        raise NotFound(_("You are not a trustee of this round."))
    return jsonify(round=rnd.public_id, title=rnd.title, fingerprint=rnd.fingerprint,
                   public_key=election.public_key.hex(), trustee=g.trustee.index,
                   public_share=member.public_share.hex(),
                   ciphertexts=tally_to_json(tallying.encrypted_tally(get_session(), rnd)))


@bp.post("/rounds/<round_id>/partial")
@trustee_required
def partial(round_id: str):
    rnd = _trustee_round(round_id)
    tallying.submit_partial(get_session(), rnd, g.trustee.index, json_object())
    return jsonify(ok=True)


@bp.post("/leave")
@public
def leave():
    if EmptyForm().validate_on_submit():
        log_out_trustee()
    return redirect(url_for("public.index"))
