"""The distributed key generation's server side (voting/services/ceremony.py,
PROTOCOL §4.5): phases in order, public checks on every post, identical
repeats accepted, complaints and restarts, and a key only when every
trustee has confirmed. Each trustee's side is computed by voting/crypto/dkg
as their browser computes it."""

from __future__ import annotations

import json
import secrets

import pytest

from voting.crypto import dkg
from voting.crypto import envelope
from voting.crypto import group
from voting.crypto import keys
from voting.crypto.codec import point_hex
from voting.crypto.election import parse_election
from voting.services import ceremony
from voting.services import rounds
from voting.services.errors import CeremonyPhase
from voting.services.errors import Invalid
from voting.services.errors import KeyNotReady

from ..factories import complete_key_ceremony
from ..factories import make_cards
from ..factories import make_conference
from ..factories import run_key_generation
from ..factories import trustee_of
from ..factories import trustee_share


def enrolled(session, n: int = 3, t: int = 2):
    """A conference whose n trustees have enrolled; their private keys."""
    conference = make_conference(session)
    tokens = ceremony.set_trustees(session, conference, [f"T{i}" for i in range(1, n + 1)], t)
    private = {}
    for index, token in tokens.items():
        private[index] = secrets.token_bytes(32)
        ceremony.enrol(session, ceremony.trustee_by_token(session, token),
                       envelope.public_key(private[index]).hex(), secrets.token_hex(32))
    return conference, private


def frame(conference) -> dkg.Ceremony:
    return dkg.Ceremony(conference.id, conference.ceremony_attempt, conference.threshold,
                        tuple(bytes.fromhex(t.enrolment_key) for t in conference.trustees))


def post(conference) -> dict:
    return {"attempt": conference.ceremony_attempt}


def commit_all(session, conference, coefficients=None):
    coefficients = coefficients or {}
    for t in conference.trustees:
        a = coefficients.setdefault(t.index, keys.draw_coefficients(conference.threshold))
        message = dkg.commit(frame(conference), t.index, a)
        ceremony.commit(session, t, {**post(conference), **message})
    return coefficients


def reveal_all(session, conference, coefficients, skip=()):
    reveals = {}
    for t in conference.trustees:
        reveals[t.index] = dkg.reveal(frame(conference), t.index, coefficients[t.index])
        if t.index not in skip:
            ceremony.reveal(session, t, {**post(conference), **reveals[t.index]})
    return reveals


def test_the_key_is_the_sum_of_every_trustees_polynomial(session):
    conference, private = enrolled(session, 3, 2)
    coefficients = commit_all(session, conference)
    reveal_all(session, conference, coefficients)
    assert ceremony.phase(conference) == "confirm"
    for t in conference.trustees:
        share = trustee_share(conference, t.index, private[t.index])
        ceremony.confirm(session, t, {**post(conference),
                                      "public_share": group.mul_base(share).hex()})
        assert conference.has_key is (t.index == 3)     # only the last confirmation makes it
    x = sum(a[0] for a in coefficients.values()) % group.L
    assert conference.public_key == point_hex(group.mul_base(x))
    assert conference.key_ceremony == "distributed"
    assert len(json.loads(conference.dealers_json)) == 3
    assert all(t.sealed_coefficients is None for t in conference.trustees)
    assert ceremony.phase(conference) == "done"


def test_a_round_opens_only_once_the_key_is_made_and_names_every_dealer(session, app):
    conference, private = enrolled(session)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    make_cards(session, conference, [rnd.id], 2)
    commit_all(session, conference)
    with pytest.raises(KeyNotReady):
        rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    session.rollback()
    run_key_generation_rest(session, conference, private)
    rounds.open_round(session, rnd, app.config["VOTING_KEYS_DIR"])
    election = parse_election(json.loads(rnd.election_json))
    assert election.ceremony == "distributed" and len(election.dealings) == 3
    assert keys.joint_public_key(election.dealings) == election.public_key


def run_key_generation_rest(session, conference, private):
    """Reveal and confirm after commit_all (the coefficients are opened
    from the sealed copy, as a trustee's second device would)."""
    f = frame(conference)
    for t in conference.trustees:
        a = dkg.open_coefficients(f, t.index, private[t.index], json.loads(t.sealed_coefficients))
        ceremony.reveal(session, t, {**post(conference), **dkg.reveal(f, t.index, a)})
    for t in conference.trustees:
        share = trustee_share(conference, t.index, private[t.index])
        ceremony.confirm(session, t, {**post(conference),
                                      "public_share": group.mul_base(share).hex()})


def test_each_phase_waits_for_every_trustee(session):
    conference, private = enrolled(session)
    one = trustee_of(conference, 1)
    f = frame(conference)
    a = keys.draw_coefficients(2)
    ceremony.commit(session, one, {**post(conference), **dkg.commit(f, 1, a)})
    with pytest.raises(CeremonyPhase):          # two trustees have not committed
        ceremony.reveal(session, one, {**post(conference), **dkg.reveal(f, 1, a)})
    assert one.reveal_json is None and ceremony.phase(conference) == "commit"
    coefficients = commit_all(session, conference, {1: a})
    reveal_all(session, conference, coefficients, skip={3})
    share = trustee_share_partial(conference, 1, private[1], coefficients)
    with pytest.raises(CeremonyPhase):          # trustee 3 has not revealed
        ceremony.confirm(session, one, {**post(conference),
                                        "public_share": group.mul_base(share).hex()})
    assert one.share_checked_at is None


def trustee_share_partial(conference, index, private, coefficients):
    return sum(keys.dealing_of(a, 0, 3).shares[index] for a in coefficients.values()) % group.L


def test_a_trustee_cannot_commit_before_everyone_enrolled(session):
    conference = make_conference(session)
    tokens = ceremony.set_trustees(session, conference, ["A", "B"], 2)
    ceremony.enrol(session, ceremony.trustee_by_token(session, tokens[1]),
                   envelope.public_key(secrets.token_bytes(32)).hex(), secrets.token_hex(32))
    assert ceremony.phase(conference) == "enrol"
    with pytest.raises(CeremonyPhase):
        ceremony.commit(session, conference.trustees[0],
                        {"attempt": 1, "commitment_hash": "00" * 32,
                         "sealed_coefficients": {"ephemeral": "00" * 32, "nonce": "00" * 12,
                                                 "ciphertext": "00" * 80}})
    assert conference.trustees[0].commitment_hash is None


def test_repeats_are_accepted_and_changes_refused(session):
    conference, private = enrolled(session)
    f, one = frame(conference), trustee_of(conference, 1)
    message = dkg.commit(f, 1, keys.draw_coefficients(2))
    coefficients = commit_all(session, conference, {})
    # trustee 1 committed inside commit_all with other coefficients: a
    # different commitment is refused, the same one accepted again.
    with pytest.raises(CeremonyPhase):
        ceremony.commit(session, one, {**post(conference), **message})
    same = {"commitment_hash": one.commitment_hash,
            "sealed_coefficients": json.loads(one.sealed_coefficients)}
    ceremony.commit(session, one, {**post(conference), **same})
    reveals = reveal_all(session, conference, coefficients)
    ceremony.reveal(session, one, {**post(conference), **reveals[1]})
    other = dkg.reveal(f, 1, coefficients[1])            # fresh envelopes, same polynomial
    with pytest.raises(CeremonyPhase):
        ceremony.reveal(session, one, {**post(conference), **other})
    share = trustee_share(conference, 1, private[1])
    claim = {**post(conference), "public_share": group.mul_base(share).hex()}
    ceremony.confirm(session, one, claim)
    ceremony.confirm(session, one, claim)
    with pytest.raises(CeremonyPhase):
        ceremony.confirm(session, one, {**post(conference), "public_share": group.BASE.hex()})


def test_a_post_of_an_earlier_attempt_is_refused(session):
    conference, _ = enrolled(session)
    ceremony.restart(session, conference)
    assert conference.ceremony_attempt == 2
    stale = dkg.commit(dkg.Ceremony(conference.id, 1, 2, frame(conference).enrolment_keys), 1,
                       keys.draw_coefficients(2))
    with pytest.raises(CeremonyPhase, match="restarted"):
        ceremony.commit(session, trustee_of(conference, 1), {"attempt": 1, **stale})
    for bad in (None, True, "2", 0):
        with pytest.raises(Invalid):
            ceremony.commit(session, trustee_of(conference, 1), {"attempt": bad, **stale})
    assert trustee_of(conference, 1).commitment_hash is None


@pytest.mark.parametrize("tamper", ["hash", "proof", "point", "envelopes", "envelope_hex"])
def test_a_reveal_that_does_not_verify_is_refused(session, tamper):
    conference, _ = enrolled(session)
    coefficients = commit_all(session, conference)
    message = dkg.reveal(frame(conference), 1, coefficients[1])
    if tamper == "hash":        # valid commitments, but not the committed ones
        message = dkg.reveal(frame(conference), 1, keys.draw_coefficients(2))
    elif tamper == "proof":
        message["proofs"][1]["u"] = message["proofs"][0]["u"]
    elif tamper == "point":
        message["commitments"][0] = "ff" * 32
    elif tamper == "envelopes":
        message["shares"] = message["shares"][:2]
    else:
        message["shares"][2]["nonce"] = "zz" * 12
    with pytest.raises(Invalid):
        ceremony.reveal(session, trustee_of(conference, 1), {**post(conference), **message})
    one = trustee_of(conference, 1)
    assert one.reveal_json is None and one.sealed_coefficients is not None


def test_a_proof_made_for_another_dealer_number_is_refused(session):
    """Dealer i proves with dealer number i − 1 (its place in the record)."""
    conference, _ = enrolled(session)
    coefficients = commit_all(session, conference)
    good = dkg.reveal(frame(conference), 2, coefficients[2])
    wrong = keys.dealing_of(coefficients[2], 2, 3).to_json()      # number 2, not 1
    with pytest.raises(Invalid):
        ceremony.reveal(session, trustee_of(conference, 2),
                        {**post(conference), **good, "proofs": wrong["proofs"]})
    ceremony.reveal(session, trustee_of(conference, 2), {**post(conference), **good})


def test_a_confirmation_must_name_the_public_share_of_the_commitments(session):
    conference, private = enrolled(session)
    reveal_all(session, conference, commit_all(session, conference))
    share = trustee_share(conference, 2, private[2])
    with pytest.raises(Invalid):       # trustee 1 claims trustee 2's public share
        ceremony.confirm(session, trustee_of(conference, 1),
                         {**post(conference), "public_share": group.mul_base(share).hex()})
    assert trustee_of(conference, 1).share_checked_at is None


def cheat_on(session, conference, coefficients, dealer: int, victim: int):
    """Dealer ``dealer`` reveals honestly except for the share sealed to
    ``victim``, which it computes from another polynomial."""
    f = frame(conference)
    reveals = reveal_all(session, conference, coefficients, skip={dealer})
    bad = dkg.reveal(f, dealer, coefficients[dealer])
    forged = dkg.reveal(f, dealer, keys.draw_coefficients(conference.threshold))
    bad["shares"][victim - 1] = forged["shares"][victim - 1]
    ceremony.reveal(session, trustee_of(conference, dealer), {**post(conference), **bad})
    reveals[dealer] = bad
    return reveals


def test_a_bad_share_leads_to_a_complaint_and_no_key(session):
    conference, private = enrolled(session)
    coefficients = commit_all(session, conference)
    reveals = cheat_on(session, conference, coefficients, dealer=3, victim=2)
    with pytest.raises(dkg.Complaint) as caught:
        dkg.receive(frame(conference), 2, private[2], reveals)
    assert caught.value.dealer == 3
    dkg.receive(frame(conference), 1, private[1], reveals)        # trustee 1 got good shares
    ceremony.complain(session, trustee_of(conference, 2), {**post(conference), "dealer": 3})
    ceremony.complain(session, trustee_of(conference, 2), {**post(conference), "dealer": 3})
    with pytest.raises(CeremonyPhase):
        ceremony.complain(session, trustee_of(conference, 2), {**post(conference), "dealer": 1})
    assert ceremony.phase(conference) == "complaint"
    share = dkg.receive(frame(conference), 1, private[1], reveals)
    with pytest.raises(CeremonyPhase):
        ceremony.confirm(session, trustee_of(conference, 1),
                         {**post(conference), "public_share": group.mul_base(share).hex()})
    assert not conference.has_key
    assert ceremony.progress(conference)["trustees"][1] == {
        "index": 2, "name": "T2", "phase": "complained", "complaint_against": 3}


def test_restart_without_the_accused_renumbers_and_then_makes_the_key(session):
    conference, private = enrolled(session, 4, 2)
    coefficients = commit_all(session, conference)
    cheat_on(session, conference, coefficients, dealer=2, victim=4)
    ceremony.complain(session, trustee_of(conference, 4), {**post(conference), "dealer": 2})
    ceremony.restart(session, conference, without=2)
    assert [(t.index, t.name) for t in conference.trustees] == [(1, "T1"), (2, "T3"), (3, "T4")]
    assert conference.trustee_count == 3 and conference.ceremony_attempt == 2
    assert all(ceremony.trustee_phase(t) == "enrolled" for t in conference.trustees)
    renumbered = {1: private[1], 2: private[3], 3: private[4]}
    run_key_generation(session, conference, renumbered)
    assert conference.has_key and len(json.loads(conference.dealers_json)) == 3


def test_restart_refuses_to_go_below_the_threshold_or_after_the_key(session):
    conference, private = enrolled(session, 2, 2)
    with pytest.raises(Invalid):
        ceremony.restart(session, conference, without=1)
    with pytest.raises(Invalid):
        ceremony.restart(session, conference, without=7)
    assert len(conference.trustees) == 2 and conference.ceremony_attempt == 1
    run_key_generation(session, conference, private)
    with pytest.raises(Invalid):
        ceremony.restart(session, conference)


def test_the_passphrase_can_change_only_before_anyone_commits(session):
    conference, _ = enrolled(session)
    two = trustee_of(conference, 2)
    new_key = envelope.public_key(secrets.token_bytes(32)).hex()
    ceremony.enrol(session, two, new_key, secrets.token_hex(32))
    assert two.enrolment_key == new_key
    commit_all(session, conference)
    with pytest.raises(CeremonyPhase):
        ceremony.enrol(session, two, envelope.public_key(secrets.token_bytes(32)).hex(),
                       secrets.token_hex(32))
    assert two.enrolment_key == new_key


def test_the_factories_key_decrypts_with_any_t_shares(session):
    conference = make_conference(session)
    private = complete_key_ceremony(session, conference, trustees=3, threshold=2)
    shares = {i: trustee_share(conference, i, private[i]) for i in private}
    for pair in ((1, 2), (1, 3), (2, 3)):
        lam = keys.lagrange_at_zero(list(pair))
        x = sum(lam[i] * shares[i] for i in pair) % group.L
        assert point_hex(group.mul_base(x)) == conference.public_key
