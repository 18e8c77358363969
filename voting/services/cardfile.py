"""Cards made on an offline machine (PROTOCOL §8.1): their credentials file.

``voting make-cards`` draws the tokens where no server can see them and
writes the public credentials to a file; ``import_credentials`` registers
that file, so the server only ever holds public credentials and serials.
The file::

    {"version": 1,
     "cards": [{"serial": 1, "spare": false,
                "credentials": {"<round id>": "<X hex>", ...}}, ...]}
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..crypto.codec import parse_point
from ..crypto.errors import CryptoError
from ..models import Card
from ..models import Conference
from ..models import Credential
from ..models import Round
from . import cards
from . import exact
from .errors import Invalid

#: As ``Round.public_id``.
ROUND_ID_MAX = 40
#: Serials are below 2^31 (the database's integer column); JSON booleans are
#: never serials, and ``spare`` is a JSON boolean, never 0 or 1.
SERIAL_LIMIT = 2**31


def offline_cards(public_round_ids: list[str], *, count: int, spares: int,
                  first_serial: int = 1) -> tuple[list[cards.IssuedCard], dict]:
    """Cards made without a database: the issued cards (for the sheet) and
    their credentials file (as a JSON-ready dict). Pure."""
    cards.check_batch(count, spares)
    if not public_round_ids or len(set(public_round_ids)) != len(public_round_ids) \
            or any(not 1 <= len(rid) <= ROUND_ID_MAX for rid in public_round_ids):
        raise Invalid(f"give one or more distinct round ids of 1 to {ROUND_ID_MAX} characters")
    if not exact.is_int(first_serial, 1, SERIAL_LIMIT - count - spares):
        raise Invalid(f"serials start at 1 and stay below {SERIAL_LIMIT}")
    issued, entries = [], []
    for k in range(count + spares):
        material = cards.new_card_material(public_round_ids)
        serial, spare = first_serial + k, k >= count
        issued.append(cards.IssuedCard(serial, cards.encode_token(material.token), spare))
        entries.append({"serial": serial, "spare": spare, "credentials": material.credentials})
    return issued, {"version": 1, "cards": entries}


def _parse_entry(entry, seen: set) -> tuple[int, bool, dict[str, str]]:
    """One card of a credentials file, validated (every point per §2.2)."""
    if not isinstance(entry, dict) or set(entry) != {"serial", "spare", "credentials"}:
        raise Invalid("each card needs exactly: serial, spare, credentials")
    serial, spare, credentials = entry["serial"], entry["spare"], entry["credentials"]
    if not exact.is_int(serial, 1, SERIAL_LIMIT - 1) or type(spare) is not bool:
        raise Invalid("a card's serial must be a positive integer and spare true or false")
    if not isinstance(credentials, dict) or not credentials:
        raise Invalid(f"card {serial}: credentials must be a non-empty object")
    if ("serial", serial) in seen:
        raise Invalid(f"serial {serial} appears twice in the file")
    seen.add(("serial", serial))
    for rid, point in credentials.items():
        try:
            parse_point(point)
        except CryptoError as exc:
            raise Invalid(f"card {serial}: the credential for {rid} is not valid: {exc}") from exc
        if (rid, point) in seen:
            raise Invalid(f"card {serial}: its credential for {rid} appears twice in the file")
        seen.add((rid, point))
    return serial, spare, credentials


def import_credentials(session: Session, conference: Conference, document) -> list[int]:
    """Register cards made offline: a Card per entry of the credentials file
    (see ``offline_cards``) and its Credential rows. All or nothing.

    :returns: the imported serials.
    :raises Invalid: a malformed file or point, a round that is not a draft
        round of this conference, a duplicate, or a serial already in use.
    """
    if not isinstance(document, dict) or set(document) != {"version", "cards"} \
            or not exact.is_int(document["version"], 1, 1) \
            or not isinstance(document["cards"], list) or not document["cards"]:
        raise Invalid('not a credentials file: expected {"version": 1, "cards": [...]}')
    seen: set = set()
    entries = [_parse_entry(entry, seen) for entry in document["cards"]]
    serials, conference_id = [serial for serial, _, _ in entries], conference.id
    cards.begin_card_write(session, conference_id)
    try:
        public_ids = {rid for _, _, credentials in entries for rid in credentials}
        rounds = {r.public_id: r for r in cards.lock_draft_rounds(
            session, conference_id, Round.public_id, public_ids)}
        clash = sorted(session.scalars(select(Card.serial).where(
            Card.conference_id == conference_id, Card.serial.in_(serials))))
        if clash:
            raise Invalid(f"serials already in use: {', '.join(map(str, clash))}")
        for serial, spare, credentials in entries:
            session.add(Card(conference_id=conference_id, serial=serial, is_spare=spare,
                             is_revoked=False, credentials=[
                                 Credential(round_id=rounds[rid].id, public=point)
                                 for rid, point in credentials.items()]))
        cards.record_batch(session, "cards.import", conference_id, serials,
                           sum(spare for _, spare, _ in entries))
        session.commit()
    except IntegrityError as exc:  # a credential already registered for its round
        session.rollback()
        raise Invalid("a credential in the file is already registered for its round") from exc
    except Exception:
        session.rollback()
        raise
    return serials
