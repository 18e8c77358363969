"""A deterministic byte stream for test vectors only (PROTOCOL.md §12).

Block i is SHA-512 over the framed items ("voting/v1/test-rng", seed,
u64(i)); each request of n <= 64 bytes takes the first n bytes of the next
block. Never use it to make real ballots or keys: the stream is public.
"""

from __future__ import annotations

from .hashing import framed_sha512
from .hashing import u64


class TestRng:
    __test__ = False  # not a pytest test class

    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        self.counter = 0

    def __call__(self, n: int) -> bytes:
        if not 0 < n <= 64:
            raise ValueError("draw 1 to 64 bytes at a time")
        block = framed_sha512("test-rng", (self.seed, u64(self.counter)))
        self.counter += 1
        return block[:n]
