"""The verifiable voting core: pure functions over edwards25519 (PROTOCOL.md).

Imports nothing but the standard library, PyNaCl, ``cryptography`` and
itself; ``tests/crypto/test_purity.py`` keeps it that way.
"""
