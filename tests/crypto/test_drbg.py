"""The deterministic test stream (PROTOCOL.md §12): draws of 1 to 64 bytes,
block i = SHA-512 over ("voting/v1/test-rng", seed, u64(i)), truncated."""

from __future__ import annotations

import hashlib

import pytest

from voting.crypto.drbg import TestRng


def block(seed: bytes, i: int) -> bytes:
    """The stream's block i, framed by hand (u32 length before each item)."""
    h = hashlib.sha512()
    for item in (b"voting/v1/test-rng", seed, i.to_bytes(8, "big")):
        h.update(len(item).to_bytes(4, "big") + item)
    return h.digest()


def test_each_draw_takes_the_head_of_the_next_block():
    rng = TestRng(b"seed")
    assert rng(64) == block(b"seed", 0)
    assert rng(1) == block(b"seed", 1)[:1]
    assert rng(33) == block(b"seed", 2)[:33]
    assert rng.counter == 3


def test_the_same_seed_gives_the_same_stream_and_another_seed_another():
    a, b, c = TestRng(b"x"), TestRng(b"x"), TestRng(b"y")
    assert [a(32) for _ in range(3)] == [b(32) for _ in range(3)]
    assert TestRng(b"x")(32) != c(32)


@pytest.mark.parametrize("n", [1, 64])
def test_draws_of_1_to_64_bytes(n):
    assert len(TestRng(b"n")(n)) == n


@pytest.mark.parametrize("n", [0, 65, -1])
def test_other_sizes_are_refused(n):
    rng = TestRng(b"n")
    with pytest.raises(ValueError, match="^draw 1 to 64 bytes at a time$"):
        rng(n)
    assert rng.counter == 0
