"""Threshold keys, the homomorphic tally, decryption and counts (§4, §11)."""

from __future__ import annotations

import itertools

import pytest

from voting.crypto import group
from voting.crypto import keys
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import verify_ballot
from voting.crypto.errors import InvalidProof
from voting.crypto.tally import combine
from voting.crypto.tally import discrete_log
from voting.crypto.tally import parse_partial
from voting.crypto.tally import partial_decrypt
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import verify_partial


def test_any_t_shares_reconstruct_the_key_and_fewer_do_not():
    dealing = keys.deal(3, 5)
    dealings = [(dealing.commitments, dealing.proofs)]
    key = keys.joint_public_key(dealings)
    for subset in itertools.combinations(range(1, 6), 3):
        lam = keys.lagrange_at_zero(list(subset))
        secret = sum(lam[i] * dealing.shares[i] for i in subset) % group.L
        assert group.mul_base(secret) == key
    lam = keys.lagrange_at_zero([1, 2])
    assert group.mul_base(sum(lam[i] * dealing.shares[i] for i in (1, 2))) != key


def test_shares_match_commitments_and_a_wrong_share_is_caught():
    dealing = keys.deal(2, 3)
    dealings = [(dealing.commitments, dealing.proofs)]
    keys.verify_dealings(dealings)
    for i, share in dealing.shares.items():
        keys.check_share(dealings, i, share)
    with pytest.raises(InvalidProof):
        keys.check_share(dealings, 1, dealing.shares[2])


def test_coefficient_proofs_are_bound_to_their_position():
    dealing = keys.deal(2, 3)
    swapped = [(dealing.commitments[::-1], dealing.proofs[::-1])]
    with pytest.raises(InvalidProof):
        keys.verify_dealings(swapped)


def test_deal_refuses_impossible_thresholds():
    for t, n in [(0, 3), (4, 3), (3, 33)]:
        with pytest.raises(ValueError):
            keys.deal(t, n)


def test_discrete_log_finds_zero_and_bound():
    for m in (0, 1, 17, 1000):
        assert discrete_log(group.mul_base(m), 1000) == m
    with pytest.raises(ValueError):
        discrete_log(group.mul_base(1001), 1000)


def _decrypt(election, shares, ballots, trustees):
    tally = tally_ballots(election, ballots)
    partials = {}
    for i in trustees:
        index, rows = parse_partial(election, partial_decrypt(election, tally, i, shares[i]))
        verify_partial(election, tally, index, rows)
        partials[index] = rows
    return tally, combine(election, tally, partials, len(ballots))


@pytest.mark.parametrize("trustees", [(1, 2), (2, 3), (1, 3), (1, 2, 3)])
def test_counts_are_the_sum_of_the_choices(small, trustees):
    election, secrets, shares = small
    choices = [[[0], [1], [0, 2]], [[0], [], [2]], [[1], [0], []], [[], [], [1, 2]]]
    ballots = [encrypt_ballot(election, c, s) for c, s in zip(choices, secrets, strict=True)]
    for b in ballots:
        verify_ballot(election, b)
    _, counts = _decrypt(election, shares, ballots, trustees)
    assert counts == [[2, 1], [1, 1], [1, 1, 3]]


def test_all_blank_contests_decrypt_to_zero(small):
    election, secrets, shares = small
    ballots = [encrypt_ballot(election, [[], [], []], s) for s in secrets[:2]]
    assert _decrypt(election, shares, ballots, (1, 2))[1] == [[0, 0], [0, 0], [0, 0, 0]]


def test_fewer_than_threshold_partials_cannot_decrypt(small):
    election, secrets, shares = small
    ballots = [encrypt_ballot(election, [[0], [0], [0]], secrets[0])]
    tally = tally_ballots(election, ballots)
    partials = {1: parse_partial(election, partial_decrypt(election, tally, 1, shares[1]))[1]}
    with pytest.raises(ValueError):
        combine(election, tally, partials, 1)


def test_a_partial_decryption_with_the_wrong_share_is_rejected(small):
    election, secrets, shares = small
    tally = tally_ballots(election, [encrypt_ballot(election, [[0], [0], [0]], secrets[0])])
    index, rows = parse_partial(election, partial_decrypt(election, tally, 1, shares[2]))
    with pytest.raises(InvalidProof):
        verify_partial(election, tally, index, rows)


def test_booleans_are_not_trustee_numbers(small):
    election = small[0]
    assert election.trustee(1) is not None and election.trustee(True) is None
    for threshold, trustees in ((True, 3), (2, True), (1, 1.0)):
        with pytest.raises(ValueError):
            keys.deal(threshold, trustees)
