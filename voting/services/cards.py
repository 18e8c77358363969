"""Ballot cards (PROTOCOL §8.1): tokens, issuing, revoking, the summary.

A card's 16-byte token exists only on the printed card: this module returns
tokens to its caller and never stores or logs them. The database keeps a
serial per card and, per round, the public credential X derived from the
token; which card went to which delegate is never recorded anywhere.
Cards made offline come in through ``cardfile``; their sheet is ``cardsheet``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from ..crypto.ballot import derive_credential
from ..crypto.ballot import public_credential
from ..crypto.ballot import TOKEN_BYTES
from ..models import Ballot
from ..models import Card
from ..models import Conference
from ..models import Credential
from ..models import Round
from ..models import RoundState
from . import audit_trail
from . import board
from . import exact
from . import runoffs
from .elections import election_of
from .errors import DomainError
from .errors import Invalid
from .errors import NotFound

#: Crockford's base-32 digits, values 0..31 in this order.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 128 token bits and 2 zero padding bits make 26 digits.
TOKEN_TEXT_LENGTH = 26
#: Lengths of the groups of the manual code, joined by hyphens.
GROUPS = (5, 5, 5, 5, 6)
#: Digit values accepted when decoding: both cases, and Crockford's aliases.
_VALUES = {c: v for v, d in enumerate(ALPHABET) for c in {d, d.lower()}} | {
    "O": 0, "o": 0, "I": 1, "i": 1, "L": 1, "l": 1}
#: Ignored anywhere in a typed code.
_SEPARATORS = {"-", " "}
#: Most cards one request may issue.
MAX_BATCH = 1000


class InvalidCardCode(Invalid):
    """This is not a valid card code."""

    code = "invalid_card_code"


class CardAlreadyRevoked(DomainError):
    """This card is already revoked."""

    code, status = "card_already_revoked", 409


def encode_token(token: bytes) -> str:
    """The 26-digit text form of a token (no hyphens): its 128 bits, most
    significant first, followed by 2 zero bits, as Crockford base-32."""
    if len(token) != TOKEN_BYTES:
        raise ValueError("a card token is 16 bytes")
    bits = int.from_bytes(token, "big") << 2
    return "".join(ALPHABET[(bits >> (5 * (TOKEN_TEXT_LENGTH - 1 - i))) & 31]
                   for i in range(TOKEN_TEXT_LENGTH))


def decode_token(text: str) -> bytes:
    """The token written as ``text``: case-insensitive, hyphens and spaces
    ignored, O read as 0 and I, L as 1.

    :raises InvalidCardCode: any other character, not 26 digits, or non-zero
        padding bits. The message never repeats the input (it may be a secret).
    """
    if not isinstance(text, str) or len(text) > 4 * TOKEN_TEXT_LENGTH:
        raise InvalidCardCode()
    digits = [c for c in text if c not in _SEPARATORS]
    if len(digits) != TOKEN_TEXT_LENGTH or any(c not in _VALUES for c in digits):
        raise InvalidCardCode()
    bits = 0
    for c in digits:
        bits = (bits << 5) | _VALUES[c]
    if bits & 3:
        raise InvalidCardCode()
    return (bits >> 2).to_bytes(TOKEN_BYTES, "big")


def format_manual_code(text: str) -> str:
    """``text`` (any form ``decode_token`` accepts) as people read it:
    XXXXX-XXXXX-XXXXX-XXXXX-XXXXXX."""
    canonical = encode_token(decode_token(text))
    parts, start = [], 0
    for length in GROUPS:
        parts.append(canonical[start:start + length])
        start += length
    return "-".join(parts)


@dataclass(frozen=True)
class CardMaterial:
    """A fresh card: its secret token and its public credential per round id."""

    token: bytes
    credentials: dict[str, str]


def new_card_material(public_round_ids: list[str]) -> CardMaterial:
    """Draw a token and derive X = x·B for each round id (§8.1); a token
    whose x is 0 for some round is drawn again. Pure: no database."""
    while True:
        token = secrets.token_bytes(TOKEN_BYTES)
        try:
            return CardMaterial(token, {rid: public_credential(derive_credential(token, rid)).hex()
                                        for rid in public_round_ids})
        except ValueError:  # x = 0, probability 2^-252
            continue


def check_batch(count: int, spares: int) -> None:
    """:raises Invalid: not integers (booleans refused), negative numbers,
    nothing to issue, or too many."""
    if not exact.is_int(count, 0, MAX_BATCH) or not exact.is_int(spares, 0, MAX_BATCH) \
            or not 1 <= count + spares <= MAX_BATCH:
        raise Invalid(f"issue between 1 and {MAX_BATCH} cards (cards and spares together)")


@dataclass(frozen=True)
class IssuedCard:
    serial: int
    #: ``encode_token`` of the card's token; exists only in the caller's hands.
    token_text: str
    is_spare: bool


def draft_rounds(session: Session, conference: Conference) -> list[Round]:
    """The rounds new cards can cover, in the conference's order."""
    return list(session.scalars(select(Round).where(
        Round.conference_id == conference.id, Round.state == RoundState.DRAFT,
        Round.is_reserve.is_(False)).order_by(Round.position)))


def begin_card_write(session: Session, conference_id: int) -> None:
    """Start the write with a write: a no-op UPDATE of the conference row.
    PostgreSQL: a row lock serialising card creation per conference, so
    serials never clash. SQLite: the database's write lock, taken before
    anything is read (as ``board.lock_round`` does). Only reads came before."""
    if session.in_transaction():
        session.rollback()
    session.execute(update(Conference).where(Conference.id == conference_id)
                    .values(name=Conference.name))


def lock_draft_rounds(session: Session, conference_id: int, column, ids: set) -> list[Round]:
    """Lock the rounds whose ``column`` is in ``ids`` (so none opens meanwhile).

    :returns: them in the conference's order.
    :raises Invalid: naming every id that is not a draft round of the conference.
    """
    found = list(session.scalars(select(Round).where(column.in_(ids)).order_by(Round.id)
                                 .with_for_update().execution_options(populate_existing=True)))
    drafts = [r for r in found
              if r.conference_id == conference_id and r.state == RoundState.DRAFT]
    wrong = sorted(map(str, ids - {getattr(r, column.key) for r in drafts}))
    if wrong:
        raise Invalid("cards can only cover draft rounds (not yet open) of this conference; "
                      f"refused: {', '.join(wrong)}")
    return sorted(drafts, key=lambda r: r.position)


def _next_serial(session: Session, conference_id: int) -> int:
    return (session.scalar(select(func.max(Card.serial))
                           .where(Card.conference_id == conference_id)) or 0) + 1


def issue_cards(session: Session, conference: Conference, *, count: int, spares: int,
                round_ids) -> list[IssuedCard]:
    """Create ``count`` cards and ``spares`` spare cards covering the chosen
    draft rounds (``Round.id`` values) and the conference's free reserve
    rounds (``runoffs``), in one transaction. Serials continue
    after the conference's existing cards; spares come last.

    :returns: the cards with their token text, which is stored nowhere.
    :raises Invalid: bad numbers, no round, or a round that is not a draft
        round of this conference.
    """
    check_batch(count, spares)
    wanted, conference_id = set(round_ids), conference.id
    if not wanted:
        raise Invalid("choose at least one round for the cards")
    if not all(exact.is_int(rid, 1) for rid in wanted):
        raise Invalid("round ids are positive integers")
    begin_card_write(session, conference_id)
    try:
        rounds = lock_draft_rounds(session, conference_id, Round.id, wanted)
        rounds += [r for r in runoffs.reserves_for_new_cards(session, conference_id)
                   if r.id not in wanted]
        first = _next_serial(session, conference_id)
        issued = []
        for k in range(count + spares):
            material = new_card_material([r.public_id for r in rounds])
            card = Card(conference_id=conference_id, serial=first + k, is_spare=k >= count,
                        is_revoked=False, credentials=[
                            Credential(round_id=r.id, public=material.credentials[r.public_id])
                            for r in rounds])
            session.add(card)
            issued.append(IssuedCard(card.serial, encode_token(material.token), card.is_spare))
        record_batch(session, "cards.issue", conference_id, [c.serial for c in issued], spares,
                     rounds=sorted(wanted))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return issued


def record_batch(session: Session, action: str, conference_id: int, serials: list[int],
                 spares: int, **detail) -> None:
    """The audit row of new cards: their serials, never a token or credential."""
    first, last = min(serials), max(serials)
    audit_trail.record(session, action, conference_id=conference_id,
                       target=f"serials {first}-{last}",
                       detail={"count": len(serials) - spares, "spares": spares,
                               "first": first, "last": last, **detail})


@dataclass(frozen=True)
class Revocation:
    serial: int
    #: Titles of the open rounds whose board now records the revocation.
    revoked_in: list[str]
    #: Titles of the open rounds the card had already voted in: those ballots stay counted.
    voted_in: list[str]


def _lock_rounds(session: Session, round_ids: list[int]) -> list[Round]:
    """Lock several rounds in one write transaction, in id order. The first
    goes through ``board.lock_round``, which starts the write (on SQLite it
    ends any read transaction first, so it must come before any write)."""
    if not round_ids:
        if session.in_transaction():
            session.rollback()
        return []
    locked = [board.lock_round(session, round_ids[0])]
    locked += [session.execute(select(Round).where(Round.id == rid).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one()
               for rid in round_ids[1:]]  # as of the lock, not as first loaded
    return locked


def revoke_card(session: Session, conference: Conference, serial: int) -> Revocation:
    """Revoke a lost card. In each open round it covers and has not voted
    in, a ``revoke`` event goes on the board under the round lock (§9.3);
    a ballot it already cast stays counted. Draft rounds leave it out when
    they open; closed rounds are not touched. One transaction.

    :raises NotFound: no card with that serial in this conference.
    :raises CardAlreadyRevoked: it was revoked before.
    """
    if not exact.is_int(serial, 1):  # True would find card 1
        raise NotFound(f"there is no card number {serial} in this conference")
    card = session.scalar(select(Card).where(Card.conference_id == conference.id,
                                             Card.serial == serial))
    if card is None:
        raise NotFound(f"there is no card number {serial} in this conference")
    card_id, credentials = card.id, {c.round_id: c.public for c in card.credentials}
    try:
        locked = _lock_rounds(session, sorted(credentials))
        if not session.execute(update(Card).where(Card.id == card_id, Card.is_revoked.is_(False))
                               .values(is_revoked=True)).rowcount:
            raise CardAlreadyRevoked(f"card number {serial} is already revoked")
        revoked_in, voted_in = [], []
        for rnd in locked:
            public = credentials[rnd.id]
            if rnd.state != RoundState.OPEN \
                    or bytes.fromhex(public) not in election_of(rnd).credentials:
                continue
            if session.scalar(select(Ballot.id).where(Ballot.round_id == rnd.id,
                                                      Ballot.credential == public)):
                voted_in.append(rnd.title)
            else:
                board.append_event(session, rnd, "revoke", {"credential": public})
                revoked_in.append(rnd.title)
        audit_trail.record(session, "cards.revoke", conference_id=conference.id,
                           target=f"card {serial}", detail={"serial": serial})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return Revocation(serial, revoked_in, voted_in)


@dataclass(frozen=True)
class CardSummary:
    total: int
    spares: int
    revoked_serials: list[int]
    #: Every round of the conference, with how many unrevoked cards cover it.
    coverage: list[tuple[Round, int]]
    #: The free reserve rounds for run-offs, with the same counts.
    reserves: list[tuple[Round, int]]


def card_summary(session: Session, conference: Conference) -> CardSummary:
    cards = session.execute(select(Card.serial, Card.is_spare, Card.is_revoked).where(
        Card.conference_id == conference.id).order_by(Card.serial)).all()
    coverage = session.execute(
        select(Round, func.count(Card.id))
        .outerjoin(Credential, Credential.round_id == Round.id)
        .outerjoin(Card, (Card.id == Credential.card_id) & Card.is_revoked.is_(False))
        .where(Round.conference_id == conference.id)
        .group_by(Round.id).order_by(Round.position)).all()
    return CardSummary(total=len(cards), spares=sum(c.is_spare for c in cards),
                       revoked_serials=[c.serial for c in cards if c.is_revoked],
                       coverage=[(rnd, n) for rnd, n in coverage if not rnd.is_reserve],
                       reserves=[(rnd, n) for rnd, n in coverage
                                 if rnd.is_reserve and rnd.state == RoundState.DRAFT])
