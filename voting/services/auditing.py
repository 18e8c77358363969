"""Challenged encryptions (PROTOCOL §8.6): verify an audit, then append it
to the round's board under the round lock; read audits back for the board.

An audit carries no credential, so nothing ties it to a card and nothing
bounds how many a card may post: the web layer limits them per address,
and :data:`AUDITS_PER_ROUND` caps them per round. The verification needs
public data only (the election object), and runs before the lock; under it
the round's state, the cap and the ciphertexts already on the board are
checked again, and the event is stored in one transaction.

An audit's α values join the round's :class:`CiphertextAlpha` rows, as a
ballot's do: a ballot that re-uses a challenged ciphertext, whose
randomness is public, is then refused as a copy (§8.6: a challenged
encryption must never be cast), and an audit that would reveal the
randomness of a cast ballot is refused too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..crypto.audit import short_code
from ..crypto.audit import verify_audit
from ..crypto.ballot import short_tracker
from ..crypto.errors import CryptoError
from ..crypto.hashing import canonical_json
from ..models import BoardEvent
from ..models import CiphertextAlpha
from ..models import Round
from ..models import RoundState
from . import board
from . import exact
from . import rounds
from .elections import election_of
from .errors import CopiedCiphertext
from .errors import DomainError
from .errors import NotFound
from .errors import RoundNotOpen

#: At most this many audit events per round. Audits are anonymous, so a
#: sender rotating addresses passes any per-address limit; the cap bounds
#: what such spam can add to the record (2,000 audits of a 30-unit round
#: are about 14 MB) and to every verifier's check 19, while leaving ten
#: challenges per delegate of a 200-seat hall. Reaching it stops audits
#: only: ballots are still accepted.
AUDITS_PER_ROUND = 2000
#: Audits listed per page of the round's board.
PER_PAGE = 100


class InvalidAudit(DomainError):
    """The audit does not verify."""

    code, status = "invalid_audit", 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class AuditLimit(DomainError):
    """This round's board takes no more audits."""

    code, status = "audit_limit", 409


@dataclass(frozen=True)
class AuditReceipt:
    round_id: str
    #: The audit event's position on the board.
    seq: int
    #: The encryption code, XXXX-XXXX (§8.6).
    code: str
    #: True when this call stored the audit; False for an identical retry.
    created: bool = False


def parse_audit_json(raw: bytes):
    """Parse a request body strictly (§3.2), as ``casting.parse_ballot_json``.

    :raises InvalidAudit: with code ``malformed_json``.
    """
    try:
        return exact.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidAudit("malformed_json", f"the request is not valid JSON: {exc}") from exc


def post_audit(session: Session, rnd: Round, body) -> AuditReceipt:
    """Record a challenged encryption on ``rnd``'s board, or refuse it with
    a domain error, storing nothing. The identical audit sent again gets
    the same answer.

    :raises RoundNotOpen: the round is not open.
    :raises InvalidAudit: ``body`` fails check 19 (code: the crypto error's).
    :raises CopiedCiphertext: a ciphertext repeats one of the audit or of the board.
    :raises AuditLimit: the round has :data:`AUDITS_PER_ROUND` audits.
    """
    if rnd.state != RoundState.OPEN:
        raise RoundNotOpen()
    try:
        audit = verify_audit(election_of(rnd), body)
    except CryptoError as exc:
        raise InvalidAudit(exc.code, str(exc)) from exc
    # A verified body holds exactly §8.6's keys, in canonical form (lowercase
    # hex, canonical points and scalars): it is stored as it came.
    alphas = [ct["alpha"] for row in body["ciphertexts"] for ct in row]
    if len(set(alphas)) != len(alphas):
        raise CopiedCiphertext("the audit repeats a ciphertext")
    code = short_tracker(audit.code)
    existing = _existing(session, rnd, body, alphas, code)
    if existing is not None:
        return existing
    try:
        return _store(session, rnd.id, body, alphas, code)
    except IntegrityError:
        session.rollback()
        existing = _existing(session, rnd, body, alphas, code)
        if existing is not None:
            return existing
        raise


def _line_prefix(body: dict) -> str:
    """How the board line of an audit event with this body begins: the
    canonical event sorts ``body`` first (§3.2, §9.1)."""
    return '{"body":' + canonical_json(body).decode() + ',"parent":'


def _existing(session: Session, rnd: Round, body: dict, alphas: list[str],
              code: str) -> AuditReceipt | None:
    """The answer to an identical earlier audit; None if its ciphertexts are
    new; CopiedCiphertext if another audit or a ballot already holds one.

    New audits cost one indexed look-up; only a repeated α leads to reading
    the round's audit lines (at most :data:`AUDITS_PER_ROUND`)."""
    if session.scalar(select(CiphertextAlpha.alpha).where(
            CiphertextAlpha.round_id == rnd.id, CiphertextAlpha.alpha.in_(alphas))
            .limit(1)) is None:
        return None
    prefix = _line_prefix(body)
    seq = session.scalar(select(BoardEvent.seq).where(
        BoardEvent.round_id == rnd.id, BoardEvent.kind == "audit",
        func.substr(BoardEvent.line, 1, len(prefix)) == prefix))
    if seq is None:
        raise CopiedCiphertext()
    return AuditReceipt(rnd.public_id, seq, code)


def audit_count(session: Session, rnd: Round) -> int:
    return session.scalar(select(func.count()).select_from(BoardEvent).where(
        BoardEvent.round_id == rnd.id, BoardEvent.kind == "audit"))


def _store(session: Session, round_id: int, body: dict, alphas: list[str],
           code: str) -> AuditReceipt:
    rnd = board.lock_round(session, round_id)
    if rnd.state != RoundState.OPEN or rounds.is_past_closing(rnd):
        session.rollback()
        raise RoundNotOpen()
    try:
        existing = _existing(session, rnd, body, alphas, code)
    except CopiedCiphertext:
        session.rollback()
        raise
    if existing is not None:
        session.rollback()
        return existing
    if audit_count(session, rnd) >= AUDITS_PER_ROUND:
        session.rollback()
        raise AuditLimit()
    event = board.append_event(session, rnd, "audit", body)
    session.add_all(CiphertextAlpha(round_id=rnd.id, alpha=a) for a in alphas)
    session.commit()
    return AuditReceipt(rnd.public_id, event.seq, code, created=True)


# --- reading audits back ------------------------------------------------------

def audit_body(session: Session, rnd: Round, seq: int) -> dict:
    """The body of the audit event at ``seq`` on ``rnd``'s board.

    :raises NotFound: no audit event there.
    """
    line = session.scalar(select(BoardEvent.line).where(
        BoardEvent.round_id == rnd.id, BoardEvent.seq == seq, BoardEvent.kind == "audit"))
    if line is None:
        raise NotFound("no audit at this event of this round")
    return json.loads(line)["body"]


@dataclass(frozen=True)
class AuditRow:
    seq: int
    code: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    pages: int
    total: int


def audit_page(session: Session, rnd: Round, page: int) -> AuditPage:
    """One page of the round's audits in board order (1-based, clamped)."""
    total = audit_count(session, rnd)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    lines = session.execute(
        select(BoardEvent.seq, BoardEvent.line)
        .where(BoardEvent.round_id == rnd.id, BoardEvent.kind == "audit")
        .order_by(BoardEvent.seq).offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    rows = [AuditRow(seq, short_code(json.loads(line)["body"]["ciphertexts"]))
            for seq, line in lines]
    return AuditPage(rows, page, pages, total)
