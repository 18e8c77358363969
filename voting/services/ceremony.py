"""The key ceremony: trustees enrol from their own devices, then generate the
key together, each in their own browser (PROTOCOL §4.4, §4.5).

The server is a bulletin board and a mailbox here, never a dealer. It keeps
each trustee's enrolment key, the hash they committed to, their coefficients
sealed to their own key (until they reveal), their reveal (commitments,
proofs, one share sealed to each trustee), and their confirmation or
complaint. It checks everything that is public (§4.5 step 2 and 3) and can
open nothing: no polynomial, share or key ever reaches it in the clear, and
no function here draws or evaluates one.

Every write locks the conference row first, so that two trustees finishing
a phase at the same moment both see the other's post (the last confirmation
makes the key exactly once).
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto import dkg
from ..crypto import keys
from ..crypto.codec import point_hex
from ..crypto.election import DISTRIBUTED
from ..crypto.envelope import KDF
from ..crypto.errors import CryptoError
from ..crypto.hashing import canonical_json
from ..models import Conference
from ..models import Round
from ..models import RoundState
from ..models import Trustee
from ..models.base import utcnow
from . import audit_trail
from . import exact
from .errors import CeremonyPhase
from .errors import Invalid
from .errors import NotFound
from .locking import lock_row

__all__ = ["KDF", "set_trustees", "trustee_by_token", "enrol", "phase", "trustee_phase",
           "commit", "reveal", "confirm", "complain", "restart", "trustee_state", "has_started",
           "progress", "has_open_rounds", "install_key"]

#: The ceremony's phases (§4.5), in order; "complaint" stops it.
ENROL, COMMIT, REVEAL, CONFIRM, COMPLAINT, DONE = (
    "enrol", "commit", "reveal", "confirm", "complaint", "done")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_trustees(session: Session, conference: Conference, names: list[str],
                 threshold: int) -> dict[int, str]:
    """Name the n trustees and the threshold t; returns each trustee's
    one-time invitation token (shown once, never stored).

    :raises Invalid: bad n or t, or a key already made.
    """
    names = [n.strip() for n in names if n.strip()]
    if conference.has_key:
        raise Invalid("the key has already been made")
    if not exact.is_int(threshold) or not 1 <= threshold <= len(names) <= keys.MAX_TRUSTEES:
        raise Invalid("need 1 ≤ t ≤ n ≤ 32 trustees")
    if len(set(names)) != len(names):
        raise Invalid("trustee names must be distinct")
    conference.trustees.clear()
    session.flush()
    tokens = {}
    for index, name in enumerate(names, start=1):
        token = secrets.token_urlsafe(24)
        tokens[index] = token
        conference.trustees.append(Trustee(index=index, name=name[:200],
                                           invite_hash=hash_token(token)))
    conference.trustee_count, conference.threshold = len(names), threshold
    conference.ceremony_attempt = 1
    audit_trail.record(session, "ceremony.trustees", conference_id=conference.id,
                       target=f"conference {conference.id}",
                       detail={"names": [t.name for t in conference.trustees],
                               "threshold": threshold})
    session.commit()
    return tokens


def trustee_by_token(session: Session, token: str) -> Trustee:
    trustee = session.scalar(select(Trustee).where(Trustee.invite_hash == hash_token(token)))
    if trustee is None:
        raise NotFound("this invitation is not valid")
    return trustee


def _hex32(value, what: str) -> str:
    if (not isinstance(value, str) or len(value) != 64
            or any(ch not in "0123456789abcdefABCDEF" for ch in value)):
        raise Invalid(f"{what} must be 64 hex characters")
    return value.lower()


def _one_transaction(fn):
    """Run a ceremony write as one transaction: committed when it returns
    (also on an accepted repeat), rolled back when it raises."""
    @functools.wraps(fn)
    def wrapper(session: Session, *args, **kwargs):
        try:
            result = fn(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise
        session.commit()
        return result
    return wrapper


def _lock(session: Session, trustee: Trustee) -> tuple[Conference, Trustee]:
    """Lock the trustee's conference and reload both (see the module doc)."""
    index, conference_id = trustee.index, trustee.conference_id
    conference = lock_row(session, Conference, conference_id, Conference.ceremony_attempt)
    for t in conference.trustees:
        session.refresh(t)
    me = next((t for t in conference.trustees if t.index == index), None)
    if me is None:
        raise NotFound("this trustee is no longer part of the ceremony")
    return conference, me


# -- phases ----------------------------------------------------------------------

def phase(conference: Conference) -> str:
    """Where the ceremony stands: every trustee must finish a phase before
    the next starts for anyone (§4.5)."""
    trustees = conference.trustees
    if conference.has_key:
        return DONE
    if not trustees or any(t.enrolment_key is None for t in trustees):
        return ENROL
    if any(t.complaint_against is not None for t in trustees):
        return COMPLAINT
    if any(t.commitment_hash is None for t in trustees):
        return COMMIT
    if any(t.reveal_json is None for t in trustees):
        return REVEAL
    return CONFIRM


def has_started(conference: Conference) -> bool:
    """Someone has committed (or the key exists): enrolments are final."""
    return conference.has_key or any(t.commitment_hash is not None for t in conference.trustees)


def trustee_phase(trustee: Trustee) -> str:
    """What this trustee has done: invited, enrolled, committed, revealed,
    confirmed or complained."""
    if trustee.complaint_against is not None:
        return "complained"
    for done, name in ((trustee.share_checked_at, "confirmed"), (trustee.reveal_json, "revealed"),
                       (trustee.commitment_hash, "committed"), (trustee.enrolment_key, "enrolled")):
        if done is not None:
            return name
    return "invited"


def _frame(conference: Conference) -> dkg.Ceremony:
    return dkg.Ceremony(conference.id, conference.ceremony_attempt, conference.threshold,
                        tuple(bytes.fromhex(t.enrolment_key) for t in conference.trustees))


def _expect(conference: Conference, body: dict, *phases: str) -> None:
    """The post names the current attempt, and the ceremony is in ``phases``."""
    attempt = body.get("attempt")
    if not exact.is_int(attempt, 1):
        raise Invalid("the post must name the ceremony's attempt")
    if attempt != conference.ceremony_attempt:
        raise CeremonyPhase("the ceremony was restarted: reload the page")
    current = phase(conference)
    if current not in phases:
        raise CeremonyPhase(f"the ceremony is in its {current} phase", phase=current)


def _record(session: Session, conference: Conference, me: Trustee, step: str,
            **detail) -> None:
    """A trustee's step: the attempt and public indexes, never what they posted."""
    audit_trail.record(session, f"ceremony.{step}", conference_id=conference.id,
                       target=f"trustee {me.id}",
                       detail={"attempt": conference.ceremony_attempt, **detail})


def _same(stored: str | None, message: dict) -> bool:
    return stored is not None and stored == canonical_json(message).decode()


# -- the trustee's posts ----------------------------------------------------------

@_one_transaction
def enrol(session: Session, trustee: Trustee, enrolment_key: str, kdf_salt: str) -> None:
    """Record the public key the trustee's browser derived from their
    passphrase. A trustee may choose again until anyone has committed."""
    key, salt = _hex32(enrolment_key, "enrolment key"), _hex32(kdf_salt, "salt")
    try:
        X25519PublicKey.from_public_bytes(bytes.fromhex(key))
    except ValueError as exc:
        raise Invalid("not an X25519 public key") from exc
    if bytes.fromhex(key) == bytes(32):
        raise Invalid("not an X25519 public key")
    conference, me = _lock(session, trustee)
    if conference.has_key:
        raise Invalid("the key has already been made")
    if has_started(conference):
        raise CeremonyPhase("the key generation has started: the passphrase cannot change now")
    if (me.enrolment_key, me.kdf_salt) != (key, salt):
        _record(session, conference, me, "enrol")
    me.enrolment_key, me.kdf_salt = key, salt
    me.enrolled_at = utcnow()


@_one_transaction
def commit(session: Session, trustee: Trustee, body: dict) -> None:
    """Step 1: the hash of the trustee's commitments, and its coefficients
    sealed to its own enrolment key. Repeating the same post is accepted."""
    conference, me = _lock(session, trustee)
    if me.commitment_hash is not None:
        if body.get("commitment_hash") != me.commitment_hash:
            raise CeremonyPhase("you have already committed in this attempt")
        return
    _expect(conference, body, COMMIT)
    message = {k: body.get(k) for k in ("commitment_hash", "sealed_coefficients")}
    try:
        dkg.check_commit(_frame(conference), message)
    except CryptoError as exc:
        raise Invalid(f"the commitment is malformed: {exc}") from exc
    me.commitment_hash = message["commitment_hash"]
    me.sealed_coefficients = canonical_json(message["sealed_coefficients"]).decode()
    me.committed_at = utcnow()
    _record(session, conference, me, "commit")


@_one_transaction
def reveal(session: Session, trustee: Trustee, body: dict) -> None:
    """Step 2: commitments matching the committed hash, their proofs, and one
    sealed share per trustee. The sealed coefficients are then deleted."""
    conference, me = _lock(session, trustee)
    message = {k: body.get(k) for k in ("commitments", "proofs", "shares")}
    if me.reveal_json is not None:
        if not _same(me.reveal_json, message):
            raise CeremonyPhase("you have already revealed in this attempt")
        return
    _expect(conference, body, REVEAL)
    try:
        dkg.check_reveal(_frame(conference), me.index, me.commitment_hash, message)
    except (CryptoError, TypeError) as exc:
        raise Invalid(f"the reveal does not verify: {exc}") from exc
    me.reveal_json = canonical_json(message).decode()
    me.sealed_coefficients = None
    me.revealed_at = utcnow()
    _record(session, conference, me, "reveal")


def _dealers(conference: Conference) -> list[dict]:
    """The record's dealer entries: each reveal's commitments and proofs."""
    out = []
    for t in conference.trustees:
        message = json.loads(t.reveal_json)
        out.append({"commitments": message["commitments"], "proofs": message["proofs"]})
    return out


@_one_transaction
def confirm(session: Session, trustee: Trustee, body: dict) -> None:
    """Step 3: the trustee's browser found every share good and s_i·B = K_i.
    The last confirmation makes the key."""
    conference, me = _lock(session, trustee)
    claimed = body.get("public_share")
    if me.share_checked_at is not None:
        if claimed != me.public_share:
            raise CeremonyPhase("you have already confirmed another public share")
        return
    _expect(conference, body, CONFIRM)
    dealings = keys.parse_dealings(_dealers(conference), conference.threshold)
    expected = point_hex(keys.public_share(dealings, me.index))
    if claimed != expected:
        raise Invalid("this public share does not follow from the dealers' commitments")
    me.public_share, me.share_checked_at = expected, utcnow()
    makes_key = all(t.share_checked_at is not None for t in conference.trustees)
    if makes_key:
        _make_key(conference, dealings)
    _record(session, conference, me, "confirm", key_made=makes_key)


def _make_key(conference: Conference, dealings) -> None:
    """Every dealer revealed, every trustee confirmed: install K (§4.5 step 4)."""
    keys.verify_dealings(dealings)
    install_key(conference, _dealers(conference), dealings, DISTRIBUTED)


def install_key(conference: Conference, dealers: list[dict], dealings, kind: str) -> None:
    """Set K, the dealers' commitments, each trustee's K_i and the kind of
    ceremony (§4.1), from ``dealings`` (the parsed, verified ``dealers``)."""
    conference.dealers_json = json.dumps(dealers)
    conference.public_key = point_hex(keys.joint_public_key(dealings))
    conference.key_ceremony = kind
    for t in conference.trustees:
        t.public_share = point_hex(keys.public_share(dealings, t.index))


@_one_transaction
def complain(session: Session, trustee: Trustee, body: dict) -> None:
    """Step 3, the other outcome: the share from ``dealer`` does not open or
    does not match its commitments. The attempt stops until the chair
    restarts it."""
    conference, me = _lock(session, trustee)
    dealer = body.get("dealer")
    if not exact.is_int(dealer, 1, len(conference.trustees)):
        raise Invalid("a complaint names a dealer by its index")
    if me.complaint_against is not None:
        if dealer != me.complaint_against:
            raise CeremonyPhase("you have already complained about another dealer")
        return
    _expect(conference, body, CONFIRM, COMPLAINT)
    if me.share_checked_at is not None:
        raise CeremonyPhase("you have already confirmed your share")
    me.complaint_against = dealer
    _record(session, conference, me, "complaint", dealer=dealer)


@_one_transaction
def restart(session: Session, conference: Conference, without: int | None = None) -> None:
    """The chair starts a new attempt, optionally without trustee ``without``
    (the others are renumbered 1…n−1). Enrolments are kept; every commit,
    reveal, confirmation and complaint is discarded.

    :raises Invalid: the key exists, or too few trustees would remain.
    """
    conference = lock_row(session, Conference, conference.id, Conference.ceremony_attempt)
    if conference.has_key:
        raise Invalid("the key has already been made")
    if without is not None:
        leaving = next((t for t in conference.trustees if t.index == without), None)
        if leaving is None:
            raise Invalid("no such trustee")
        if len(conference.trustees) - 1 < conference.threshold:
            raise Invalid("too few trustees would remain for the threshold")
        conference.trustees.remove(leaving)
        session.flush()
        # Renumber in two steps: (conference, index) is unique.
        for t in conference.trustees:
            t.index = -t.index
        session.flush()
        for new_index, t in enumerate(sorted(conference.trustees, key=lambda t: -t.index), 1):
            t.index = new_index
        conference.trustee_count = len(conference.trustees)
    for t in conference.trustees:
        t.commitment_hash = t.sealed_coefficients = t.reveal_json = None
        t.complaint_against = t.public_share = None
        t.committed_at = t.revealed_at = t.share_checked_at = None
    conference.ceremony_attempt += 1
    audit_trail.record(session, "ceremony.restart", conference_id=conference.id,
                       target=f"conference {conference.id}",
                       detail={"attempt": conference.ceremony_attempt, "without": without})


# -- what the pages read ----------------------------------------------------------

def ceremony_json(conference: Conference) -> dict | None:
    """The public frame of the current attempt, once everyone has enrolled."""
    if any(t.enrolment_key is None for t in conference.trustees):
        return None
    return {"conference_id": conference.id, "attempt": conference.ceremony_attempt,
            "threshold": conference.threshold,
            "enrolment_keys": [t.enrolment_key for t in conference.trustees]}


def reveals_json(conference: Conference) -> list[dict] | None:
    """Every dealer's reveal in dealer order, once all have revealed."""
    if any(t.reveal_json is None for t in conference.trustees):
        return None
    return [json.loads(t.reveal_json) for t in conference.trustees]


def progress(conference: Conference) -> dict:
    """The chair's live view: the phase, and each trustee's."""
    return {"phase": phase(conference), "attempt": conference.ceremony_attempt,
            "threshold": conference.threshold,
            "trustees": [{"index": t.index, "name": t.name, "phase": trustee_phase(t),
                          "complaint_against": t.complaint_against}
                         for t in conference.trustees]}


def trustee_state(trustee: Trustee) -> dict:
    """Everything a trustee's browser needs to take its next step, or to
    open its share later: public material, and what is sealed to it."""
    conference = trustee.conference
    return {**progress(conference), "index": trustee.index,
            "me": trustee_phase(trustee), "kdf": KDF, "kdf_salt": trustee.kdf_salt,
            "enrolment_key": trustee.enrolment_key,
            "commitment_hash": trustee.commitment_hash,
            "sealed_coefficients": (json.loads(trustee.sealed_coefficients)
                                    if trustee.sealed_coefficients else None),
            "ceremony": ceremony_json(conference), "reveals": reveals_json(conference),
            "public_share": trustee.public_share}


def has_open_rounds(session: Session, conference: Conference) -> bool:
    return session.scalar(select(Round.id).where(
        Round.conference_id == conference.id, Round.state != RoundState.DRAFT).limit(1)) is not None
