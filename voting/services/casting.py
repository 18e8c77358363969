"""Casting a ballot (PROTOCOL §8.5): verify, then append under the round lock.

The expensive checks (proofs, signature) run before the lock; under it,
the round's state, the credential's eligibility and the copied-ciphertext
rule are checked again and the ballot and its board event are stored in
one transaction. The (round, credential) unique constraint is the last
word on "one card, one vote".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..crypto.ballot import short_tracker
from ..crypto.ballot import tracker
from ..crypto.ballot import verify_ballot
from ..crypto.errors import CryptoError
from ..models import Ballot
from ..models import Card
from ..models import CiphertextAlpha
from ..models import Credential
from ..models import Round
from ..models import RoundState
from . import board
from . import exact
from . import rounds
from .elections import election_of
from .errors import AlreadyVoted
from .errors import CopiedCiphertext
from .errors import InvalidBallot
from .errors import RevokedCredential
from .errors import RoundNotOpen
from .errors import UnknownCredential


@dataclass(frozen=True)
class Receipt:
    round_id: str
    tracker: str
    short_tracker: str
    seq: int
    #: True when this call stored the ballot; False for an identical retry.
    created: bool = False

    def to_json(self) -> dict:
        return {"round": self.round_id, "tracker": self.tracker,
                "short_tracker": self.short_tracker, "seq": self.seq}


def _receipt(rnd: Round, ballot: Ballot, created: bool = False) -> Receipt:
    return Receipt(rnd.public_id, ballot.tracker, short_tracker(bytes.fromhex(ballot.tracker)),
                   ballot.seq, created)


def credential_status(session: Session, rnd: Round, credential: str) -> dict:
    """What a card's page needs to know about one round, by public credential."""
    row = session.execute(
        select(Credential, Card).join(Card)
        .where(Credential.round_id == rnd.id, Credential.public == credential)).first()
    ballot = session.scalar(select(Ballot).where(Ballot.round_id == rnd.id,
                                                 Ballot.credential == credential))
    return {"known": row is not None, "revoked": bool(row and row[1].is_revoked),
            "receipt": _receipt(rnd, ballot).to_json() if ballot else None}


def cast_ballot(session: Session, rnd: Round, ballot_obj) -> Receipt:
    """Accept a ballot for ``rnd`` or refuse it with a domain error,
    storing nothing. The identical ballot sent again gets the same receipt."""
    if rnd.state != RoundState.OPEN:
        raise RoundNotOpen()
    election = election_of(rnd)
    try:
        ballot = verify_ballot(election, ballot_obj)
    except CryptoError as exc:
        raise InvalidBallot(exc.code, str(exc)) from exc
    credential = ballot.credential.hex()
    track = tracker(ballot_obj).hex()
    if ballot.credential not in election.credentials:
        raise UnknownCredential()
    existing = _existing(session, rnd, credential, track)
    if existing is not None:
        return existing
    try:
        return _store(session, rnd.id, ballot_obj, ballot, credential, track)
    except IntegrityError:
        session.rollback()
        existing = _existing(session, rnd, credential, track)
        if existing is not None:
            return existing
        raise


def _existing(session: Session, rnd: Round, credential: str, track: str) -> Receipt | None:
    """The receipt of an identical earlier ballot; AlreadyVoted for another one."""
    stored = session.scalar(select(Ballot).where(Ballot.round_id == rnd.id,
                                                 Ballot.credential == credential))
    if stored is None:
        return None
    if stored.tracker != track:
        raise AlreadyVoted()
    return _receipt(rnd, stored)


def _store(session: Session, round_id: int, ballot_obj: dict, ballot, credential: str,
           track: str) -> Receipt:
    rnd = board.lock_round(session, round_id)
    if rnd.state != RoundState.OPEN or rounds.is_past_closing(rnd):
        session.rollback()
        raise RoundNotOpen()
    if session.scalar(select(Card.is_revoked).join(Credential)
                      .where(Credential.round_id == rnd.id, Credential.public == credential)):
        session.rollback()
        raise RevokedCredential()
    existing = _existing(session, rnd, credential, track)
    if existing is not None:
        session.rollback()
        return existing
    alphas = [ct.alpha.hex() for cb in ballot.contests for ct in cb.ciphertexts]
    if len(set(alphas)) != len(alphas) or session.scalar(select(CiphertextAlpha.alpha).where(
            CiphertextAlpha.round_id == rnd.id, CiphertextAlpha.alpha.in_(alphas)).limit(1)):
        session.rollback()
        raise CopiedCiphertext()
    event = board.append_event(session, rnd, "ballot", {"ballot": ballot_obj, "tracker": track})
    blob = b"".join(ct.alpha + ct.beta for cb in ballot.contests for ct in cb.ciphertexts)
    row = Ballot(round_id=rnd.id, credential=credential, tracker=track, seq=event.seq,
                 blob=blob)
    session.add(row)
    session.add_all(CiphertextAlpha(round_id=rnd.id, alpha=a) for a in alphas)
    session.commit()
    return _receipt(rnd, row, created=True)


def parse_ballot_json(raw: bytes):
    """Parse a request body strictly: UTF-8 JSON, no floats, no duplicate
    keys, integers in [−2^53, 2^53] (§3.2; booleans are left to the ballot
    parser, which never takes them for integers).

    :raises InvalidBallot: with code ``malformed_json``.
    """
    try:
        return exact.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidBallot("malformed_json", f"the request is not valid JSON: {exc}") from exc
