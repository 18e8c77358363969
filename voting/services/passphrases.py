"""The one rule for passphrases typed at the CLI (offline trustee shares,
sealed backups of keys/): at least 12 characters, as the trustee page asks
(voting/static/src/trustee/kdf.js)."""

from __future__ import annotations

import unicodedata

from .errors import Invalid

MIN_PASSPHRASE_LENGTH = 12


def check_passphrase(passphrase: str) -> str:
    """:raises Invalid: fewer than 12 characters (after NFC)."""
    if len(unicodedata.normalize("NFC", passphrase)) < MIN_PASSPHRASE_LENGTH:
        raise Invalid(f"use at least {MIN_PASSPHRASE_LENGTH} characters")
    return passphrase
