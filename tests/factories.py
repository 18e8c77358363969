"""Factories in the style of Indico's ``create_*`` fixtures: build the
objects a test needs through the same services the app uses."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import public_credential
from voting.models import Card
from voting.models import Conference
from voting.models import Credential
from voting.models import Delegate
from voting.models import Unit
from voting.services import ceremony
from voting.services import rounds

UNIT_NAMES = ["Công an huyện Yên Lạc", "Công an huyện Tam Dương", "Công an thành phố Vĩnh Yên",
              "Phòng Cảnh sát môi trường", "Phòng An ninh kinh tế"]


def make_conference(session, *, units: int = 3, delegates: int = 5,
                    name: str = "Hội nghị tổng kết Cụm thi đua") -> Conference:
    conference = Conference(name=name, trustee_count=3, threshold=2)
    for i in range(units):
        conference.units.append(Unit(position=i + 1, name=UNIT_NAMES[i % len(UNIT_NAMES)]
                                     + ("" if i < len(UNIT_NAMES) else f" {i}")))
    for i in range(delegates):
        conference.delegates.append(Delegate(position=i + 1, name=f"Đại biểu {i + 1}"))
    session.add(conference)
    session.commit()
    return conference


def complete_key_ceremony(session, conference: Conference, trustees: int = 3,
                          threshold: int = 2) -> dict[int, X25519PrivateKey]:
    """Name trustees, enrol each with a fresh X25519 key (as their browser
    would from a passphrase), deal; returns each trustee's private key."""
    tokens = ceremony.set_trustees(session, conference,
                                   [f"Trustee {i}" for i in range(1, trustees + 1)], threshold)
    private = {}
    for index, token in tokens.items():
        key = X25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        ceremony.enrol(session, ceremony.trustee_by_token(session, token), public,
                       secrets.token_hex(32))
        private[index] = key
    ceremony.deal_keys(session, conference)
    return private


def trustee_share(conference: Conference, index: int, private: X25519PrivateKey) -> int:
    import json

    trustee = conference.trustees[index - 1]
    return ceremony.decrypt_share(conference, trustee, json.loads(trustee.encrypted_share),
                                  private)


def make_cards(session, conference: Conference, round_ids: list, count: int) -> list[bytes]:
    """Issue ``count`` cards covering the given rounds; returns their tokens."""
    from voting.models import Round

    tokens = []
    start = len(conference_cards(session, conference))
    for k in range(count):
        token = secrets.token_bytes(16)
        card = Card(conference_id=conference.id, serial=start + k + 1)
        for round_id in round_ids:
            rnd = session.get(Round, round_id)
            x = derive_credential(token, rnd.public_id)
            card.credentials.append(Credential(round_id=round_id,
                                               public=public_credential(x).hex()))
        session.add(card)
        tokens.append(token)
    session.commit()
    return tokens


def conference_cards(session, conference: Conference) -> list[Card]:
    from sqlalchemy import select

    return list(session.scalars(select(Card).where(Card.conference_id == conference.id)))


def check_in(session, conference: Conference, present: int | None = None,
             cards: int | None = None) -> None:
    """Check-in at the door through the check-in service: the first
    ``present`` delegates (all by default) marked present, and the first
    ``cards`` of them (as many as are present by default) handed a card.
    Closing a round needs cast ≤ issued ≤ present ≤ members."""
    from voting.services import checkin

    delegates = sorted(conference.delegates, key=lambda d: d.position)
    present = len(delegates) if present is None else present
    cards = present if cards is None else cards
    assert cards <= present <= len(delegates), "check_in: cards ≤ present ≤ delegates"
    for k, delegate in enumerate(delegates):
        checkin.set_present(session, delegate, k < present)
        checkin.set_card(session, delegate, k < cards)


def make_open_round(session, conference: Conference, keys_dir, *, template: str = "advanced",
                    cards: int = 5, checked_in: bool = True):
    """A round over all units, with cards, opened. Returns (round, tokens).

    With ``checked_in``, as many delegates as there are cards (at most all
    of them) are checked in with a card, so that the round can close once
    they have voted."""
    rnd = rounds.create_round(session, conference, template, f"Vòng {template}")
    tokens = make_cards(session, conference, [rnd.id], cards)
    if checked_in:
        check_in(session, conference, min(cards, len(conference.delegates)))
    rounds.open_round(session, rnd, keys_dir)
    return rnd, tokens


def decrypt_and_publish(session, conference: Conference, rnd, private, trustees=(1, 2)) -> dict:
    """Trustees decrypt (with their shares opened from the envelopes) and
    the chair publishes; returns the result body."""
    from voting.crypto.tally import partial_decrypt
    from voting.services import tallying
    from voting.services.elections import election_of

    tally = tallying.encrypted_tally(session, rnd)
    for index in trustees:
        share = trustee_share(conference, index, private[index])
        tallying.submit_partial(session, rnd, index,
                                partial_decrypt(election_of(rnd), tally, index, share))
    return tallying.publish_result(session, rnd)
