"""Ballot encryption refuses every choice, token and secret it cannot
encode, by the check that is about it (PROTOCOL.md §6, §8.1)."""

from __future__ import annotations

import pytest

from voting.crypto import group
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import verify_ballot
from voting.crypto.drbg import TestRng
from voting.crypto.group import L

from .conftest import choose_contest
from .conftest import make_election


@pytest.mark.parametrize("size", [0, 15, 17, 32])
def test_a_token_is_exactly_16_bytes(size):
    with pytest.raises(ValueError, match="^a card token is 16 bytes$"):
        derive_credential(bytes(size), "r1")


def test_a_16_byte_token_gives_a_reduced_non_zero_secret():
    x = derive_credential(bytes(16), "r1")
    assert 0 < x < L


@pytest.mark.parametrize("secret", [0, L, L + 1, -1])
def test_the_secret_must_be_a_non_zero_scalar(small, secret):
    election, _, _ = small
    with pytest.raises(ValueError, match="^a credential secret is a non-zero scalar$"):
        encrypt_ballot(election, [[0], [0], [0]], secret)


@pytest.mark.parametrize("secret", [1, L - 1])
def test_the_extreme_scalars_are_secrets_too(small, secret):
    election, _, _ = small
    ballot = encrypt_ballot(election, [[0], [], [1]], secret, TestRng(b"extreme"))
    assert ballot["credential"] == group.mul_base(secret).hex()


@pytest.mark.parametrize("choices", [[[0], []], [[0], [], [], []], []])
def test_one_choice_list_per_contest(small, choices):
    election, secrets, _ = small
    with pytest.raises(ValueError, match="^one choice list per contest$"):
        encrypt_ballot(election, choices, secrets[0])


@pytest.mark.parametrize(("choices", "contest"), [
    ([[0], [], [3]], "c"),         # one past the last option of an options contest
    ([[0], [], [-1]], "c"),
    ([[2], [], []], "a"),          # one past the last option of a packed contest
    ([[0, 1], [], []], "a"),       # more than max in a packed contest
    ([[0], [], [0, 1, 2]], "c"),   # more than max in an options contest
    ([[0], [], [1, 1]], "c"),      # a repeated option
])
def test_a_choice_outside_its_contest_is_refused(small, choices, contest):
    election, secrets, _ = small
    with pytest.raises(ValueError, match=f"^choice not allowed in contest {contest}$"):
        encrypt_ballot(election, choices, secrets[0])


def test_the_last_option_of_each_contest_can_be_chosen(small):
    election, secrets, _ = small
    ballot = encrypt_ballot(election, [[1], [1], [2]], secrets[2], TestRng(b"last"))
    verify_ballot(election, ballot)


def test_min_above_zero_refuses_a_blank_contest():
    election, secrets, _ = make_election([{**choose_contest("m", 3, 2), "min": 1}],
                                         seed=b"min")
    with pytest.raises(ValueError, match="^choice not allowed in contest m$"):
        encrypt_ballot(election, [[]], secrets[0])
    verify_ballot(election, encrypt_ballot(election, [[2]], secrets[0], TestRng(b"m")))
