"""Bytes sealed under a passphrase (voting/crypto/passphrase.py), as a
backup holds keys/: the passphrase opens them, in NFC or NFD alike; a wrong
passphrase, another label, an altered byte or weakened scrypt parameters
do not."""

from __future__ import annotations

import json
import unicodedata

import pytest

from voting.crypto import passphrase
from voting.crypto.envelope import CannotOpen
from voting.crypto.errors import InvalidStructure

LABEL = "voting/v1/backup-keys"
SECRET = "mật khẩu của ban kiểm phiếu"
PLAINTEXT = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI...\n"


@pytest.fixture(scope="module")
def sealed() -> bytes:
    counter = iter(range(256))
    return passphrase.seal(PLAINTEXT, SECRET, LABEL, rng=lambda n: bytes([next(counter)]) * n)


def test_the_passphrase_opens_it_and_nothing_is_in_clear(sealed):
    assert PLAINTEXT not in sealed and b"BEGIN" not in sealed
    obj = json.loads(sealed)
    assert obj["kdf"] == {"algorithm": "scrypt", "N": 2**17, "r": 8, "p": 1, "length": 32,
                          "salt": "00" * 16}
    assert obj["nonce"] == "01" * 12 and obj["format"] == LABEL
    assert passphrase.open_sealed(sealed, unicodedata.normalize("NFD", SECRET), LABEL) == (
        PLAINTEXT)


def test_a_wrong_passphrase_or_an_altered_byte_does_not_open_it(sealed):
    with pytest.raises(CannotOpen):
        passphrase.open_sealed(sealed, SECRET + ".", LABEL)
    obj = json.loads(sealed)
    obj["ciphertext"] = ("B" if obj["ciphertext"][0] == "A" else "A") + obj["ciphertext"][1:]
    with pytest.raises(CannotOpen):
        passphrase.open_sealed(json.dumps(obj).encode(), SECRET, LABEL)


@pytest.mark.parametrize("change", [
    {"format": "voting/v1/other"},
    {"kdf": {"algorithm": "scrypt", "N": 2**10, "r": 8, "p": 1, "length": 32, "salt": "00" * 16}},
    {"kdf": {"algorithm": "scrypt", "N": 2**17, "r": 8, "p": True, "length": 32,
             "salt": "00" * 16}},
    {"nonce": "01" * 11},
    {"ciphertext": "not base64!"},
])
def test_another_label_or_other_parameters_are_refused_before_scrypt(sealed, change):
    obj = {**json.loads(sealed), **change}
    with pytest.raises(InvalidStructure):
        passphrase.open_sealed(json.dumps(obj).encode(), SECRET, LABEL)
