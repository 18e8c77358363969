"""Factories in the style of Indico's ``create_*`` fixtures: build the
objects a test needs through the same services the app uses."""

from __future__ import annotations

import json
import secrets

from voting.crypto import dkg
from voting.crypto import envelope
from voting.crypto import group
from voting.crypto import keys
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
                          threshold: int = 2) -> dict[int, bytes]:
    """Name trustees, enrol each with a fresh X25519 key (as their browser
    would from a passphrase), and run the distributed key generation
    through the services, each trustee's side computed by voting/crypto/dkg
    as their browser would; returns each trustee's private key."""
    tokens = ceremony.set_trustees(session, conference,
                                   [f"Trustee {i}" for i in range(1, trustees + 1)], threshold)
    private = {}
    for index, token in tokens.items():
        private[index] = secrets.token_bytes(32)
        ceremony.enrol(session, ceremony.trustee_by_token(session, token),
                       envelope.public_key(private[index]).hex(), secrets.token_hex(32))
    run_key_generation(session, conference, private)
    return private


def trustee_of(conference: Conference, index: int):
    return next(t for t in conference.trustees if t.index == index)


def run_key_generation(session, conference: Conference, private: dict[int, bytes]) -> None:
    """Commit, reveal and confirm for every enrolled trustee (PROTOCOL §4.5)."""
    frame = dkg.Ceremony(conference.id, conference.ceremony_attempt, conference.threshold,
                         tuple(bytes.fromhex(t.enrolment_key) for t in conference.trustees))
    attempt = {"attempt": conference.ceremony_attempt}
    indices = [t.index for t in conference.trustees]
    for i in indices:
        message = dkg.commit(frame, i, keys.draw_coefficients(conference.threshold))
        ceremony.commit(session, trustee_of(conference, i), {**attempt, **message})
    for i in indices:
        trustee = trustee_of(conference, i)
        coefficients = dkg.open_coefficients(frame, i, private[i],
                                             json.loads(trustee.sealed_coefficients))
        ceremony.reveal(session, trustee, {**attempt, **dkg.reveal(frame, i, coefficients)})
    reveals = {t.index: json.loads(t.reveal_json) for t in conference.trustees}
    for i in indices:
        share = dkg.receive(frame, i, private[i], reveals)
        ceremony.confirm(session, trustee_of(conference, i),
                         {**attempt, "public_share": group.mul_base(share).hex()})


def trustee_share(conference: Conference, index: int, private: bytes) -> int:
    """s_i, opened from the envelopes every dealer sealed to trustee ``index``."""
    frame = dkg.Ceremony(conference.id, conference.ceremony_attempt, conference.threshold,
                         tuple(bytes.fromhex(t.enrolment_key) for t in conference.trustees))
    return dkg.receive(frame, index, private,
                       {t.index: json.loads(t.reveal_json) for t in conference.trustees})


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
