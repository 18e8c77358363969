"""Ballots: encryption, verification, and the attacks the board must stop (§8)."""

from __future__ import annotations

import copy

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import parse_ballot
from voting.crypto.ballot import public_credential
from voting.crypto.ballot import tracker
from voting.crypto.ballot import verify_ballot
from voting.crypto.errors import InvalidEncoding
from voting.crypto.errors import InvalidProof
from voting.crypto.errors import InvalidStructure
from voting.crypto.errors import WrongElection
from voting.crypto.group import IDENTITY

from .conftest import agree_contest
from .conftest import make_election


@pytest.fixture(scope="module")
def cast(small):
    election, secrets, _ = small
    return encrypt_ballot(election, [[0], [], [0, 2]], secrets[0])


def test_valid_ballot_verifies(small, cast):
    election, secrets, _ = small
    ballot = verify_ballot(election, cast)
    assert ballot.credential == public_credential(secrets[0])
    assert len(tracker(cast)) == 32


@pytest.mark.parametrize("choices", [
    [[0], [1], []], [[], [], [1]], [[1], [0], [2, 1]],
])
def test_every_allowed_choice_verifies(small, choices):
    election, secrets, _ = small
    verify_ballot(election, encrypt_ballot(election, choices, secrets[1]))


@pytest.mark.parametrize("choices", [
    [[0, 1], [], []],          # two options in a max-1 packed contest
    [[0], [], [0, 1, 2]],      # three in a max-2 contest
    [[2], [], []],             # no such option
    [[0], [], [1, 1]],         # repeated option
    [[0], []],                 # a contest missing
])
def test_disallowed_choices_are_refused_by_the_client(small, choices):
    election, secrets, _ = small
    with pytest.raises(ValueError):
        encrypt_ballot(election, choices, secrets[0])


def test_credentials_differ_per_round_and_token():
    token = bytes(range(16))
    assert derive_credential(token, "r1") != derive_credential(token, "r2")
    assert derive_credential(token, "r1") != derive_credential(bytes(16), "r1")
    with pytest.raises(ValueError):
        derive_credential(b"short", "r1")


def test_ballot_copied_under_another_credential_is_rejected(small, cast):
    election, secrets, _ = small
    stolen = copy.deepcopy(cast)
    stolen["credential"] = public_credential(secrets[1]).hex()
    with pytest.raises(InvalidProof):
        verify_ballot(election, stolen)


def test_copy_re_signed_by_another_voter_still_fails_its_proofs(small, cast):
    """Even the other credential's owner cannot re-use someone's ciphertexts:
    the proofs bind the original credential."""
    from voting.crypto.ballot import ballot_hash
    from voting.crypto.codec import scalar_hex
    from voting.crypto.proofs import schnorr_sign

    election, secrets, _ = small
    stolen = copy.deepcopy(cast)
    stolen["credential"] = public_credential(secrets[1]).hex()
    c, u = schnorr_sign(secrets[1], "signature", (election.fingerprint, ballot_hash(stolen)),
                        lambda n: bytes(range(n)))
    stolen["signature"] = {"c": scalar_hex(c), "u": scalar_hex(u)}
    ballot = parse_ballot(election, stolen)
    from voting.crypto.ballot import verify_selection_proofs
    from voting.crypto.ballot import verify_signature

    verify_signature(election, ballot)  # the signature itself is fine...
    with pytest.raises(InvalidProof):   # ...but every proof names the first voter
        verify_selection_proofs(election, ballot)


def test_wrong_fingerprint_and_round_are_rejected(small, cast):
    election, _, _ = small
    other = copy.deepcopy(cast)
    other["fingerprint"] = "00" * 32
    with pytest.raises(WrongElection):
        verify_ballot(election, other)
    other = copy.deepcopy(cast)
    other["round"] = "round-2"
    with pytest.raises(WrongElection):
        verify_ballot(election, other)


def test_ballot_for_another_election_with_same_round_id_is_rejected(small):
    election, secrets, _ = small
    twin, twin_secrets, _ = make_election([agree_contest("a"), agree_contest("b"),
                                           {**agree_contest("c"), "encoding": "options"}],
                                          seed=b"other")
    foreign = encrypt_ballot(twin, [[0], [0], [1]], twin_secrets[0])
    with pytest.raises(WrongElection):
        verify_ballot(election, foreign)


@pytest.mark.parametrize("path,value,error", [
    (("contests", 0, "ciphertexts", 0, "alpha"), IDENTITY.hex(), InvalidEncoding),
    (("contests", 0, "ciphertexts", 0, "alpha"), "zz" * 32, InvalidEncoding),
    (("contests", 2, "proofs", 1, "u", 0), "ff" * 32, InvalidEncoding),
    (("contests", 2, "range_proof"), None, InvalidStructure),
    (("contests", 0, "range_proof"), {"c": [], "u": []}, InvalidStructure),
    (("signature", "c"), "00" * 32, InvalidProof),
    (("version",), 2, InvalidStructure),
])
def test_malformed_or_altered_ballots_are_rejected(small, cast, path, value, error):
    election, _, _ = small
    bad = copy.deepcopy(cast)
    target = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(error):
        verify_ballot(election, bad)


def test_extra_or_missing_fields_are_rejected(small, cast):
    election, _, _ = small
    extra = {**cast, "note": "hi"}
    missing = {k: v for k, v in cast.items() if k != "signature"}
    for bad in (extra, missing):
        with pytest.raises(InvalidStructure):
            verify_ballot(election, bad)


def test_a_changed_ciphertext_breaks_signature_and_proofs(small, cast):
    election, secrets, _ = small
    other = encrypt_ballot(election, [[1], [], []], secrets[0])
    mixed = copy.deepcopy(cast)
    mixed["contests"][0] = other["contests"][0]
    with pytest.raises(InvalidProof):
        verify_ballot(election, mixed)


def test_short_tracker_is_crockford_base32_of_the_first_40_bits():
    from voting.crypto.ballot import short_tracker

    assert short_tracker(bytes(32)) == "0000-0000"
    assert short_tracker(bytes([0xFF] * 5) + bytes(27)) == "ZZZZ-ZZZZ"
    # 0x0842108421 = 00001 00001 ... (eight 5-bit groups of 1)
    assert short_tracker(bytes.fromhex("0842108421") + bytes(27)) == "1111-1111"
