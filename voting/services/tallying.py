"""Decryption of a closed round: trustees' partial decryptions and the
published result (PROTOCOL §11)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto.elgamal import Ciphertext
from ..crypto.errors import CryptoError
from ..crypto.keys import MAX_TRUSTEES
from ..crypto.tally import parse_partial
from ..crypto.tally import result_body
from ..crypto.tally import Tally
from ..crypto.tally import verify_partial
from ..models import Round
from ..models import RoundState
from ..models import Trustee
from ..models.base import utcnow
from . import audit_trail
from . import board
from . import exact
from .elections import election_of
from .errors import Invalid
from .errors import RoundNotOpen


def encrypted_tally(session: Session, rnd: Round) -> Tally:
    """The tally event's ciphertexts (points as stored; the server wrote them)."""
    bodies = board.event_bodies(session, rnd, "tally")
    if not bodies:
        raise RoundNotOpen("the round has not been closed")
    return [[Ciphertext(bytes.fromhex(ct["alpha"]), bytes.fromhex(ct["beta"])) for ct in row]
            for row in bodies[0]["ciphertexts"]]


def submitted_trustees(session: Session, rnd: Round) -> list[int]:
    return [body["trustee"] for body in board.event_bodies(session, rnd, "partial")]


def rounds_for_trustee(session: Session, trustee: Trustee) -> tuple[list[Round], list[Round]]:
    """(closed rounds this trustee has yet to decrypt, closed rounds they
    have decrypted that are not yet published)."""
    closed = session.scalars(select(Round).where(
        Round.conference_id == trustee.conference_id, Round.state == RoundState.CLOSED,
        Round.cast > 0).order_by(Round.position))
    pending, done = [], []
    for rnd in closed:
        (done if trustee.index in submitted_trustees(session, rnd) else pending).append(rnd)
    return pending, done


def submit_partial(session: Session, rnd: Round, trustee_index: int, partial_obj) -> None:
    """Verify trustee ``trustee_index``'s partial decryption and publish it.

    :raises Invalid: wrong trustee, already submitted, or a proof that fails.
    """
    if not exact.is_int(trustee_index, 1, MAX_TRUSTEES):
        raise Invalid("a trustee index is an integer from 1 to 32")
    rnd = board.lock_round(session, rnd.id)
    if rnd.state != RoundState.CLOSED:
        raise Invalid("this round is not waiting for decryption")
    if not rnd.cast:
        raise Invalid("a round without ballots needs no decryption")
    election = election_of(rnd)
    try:
        index, rows = parse_partial(election, partial_obj)
        if index != trustee_index:
            raise Invalid("a trustee submits only their own decryption")
        verify_partial(election, encrypted_tally(session, rnd), index, rows)
    except CryptoError as exc:
        raise Invalid(f"the partial decryption does not verify: {exc}") from exc
    if index in submitted_trustees(session, rnd):
        raise Invalid("this trustee has already decrypted")
    board.append_event(session, rnd, "partial", partial_obj)
    audit_trail.record(session, "tally.partial", conference_id=rnd.conference_id,
                       target=f"round {rnd.id}", detail={"trustee": index})
    session.commit()


def publish_result(session: Session, rnd: Round) -> dict:
    """Combine the first t partial decryptions, apply the rules and publish.

    :raises Invalid: fewer than t partial decryptions so far.
    """
    rnd = board.lock_round(session, rnd.id)
    if rnd.state != RoundState.CLOSED:
        raise Invalid("only a closed round can be published")
    election = election_of(rnd)
    partials = board.event_bodies(session, rnd, "partial")
    if rnd.cast and len(partials) < election.threshold:
        raise Invalid(f"{election.threshold} trustees must decrypt first "
                      f"({len(partials)} so far)")
    bases = {"members": rnd.members, "present": rnd.present, "issued": rnd.issued,
             "cast": rnd.cast}
    body = result_body(election, encrypted_tally(session, rnd), partials, bases)
    board.append_event(session, rnd, "result", body)
    rnd.move_to(RoundState.PUBLISHED)
    rnd.published_at = utcnow()
    audit_trail.record(session, "round.publish", conference_id=rnd.conference_id,
                       target=f"round {rnd.id}")
    session.commit()
    return body
