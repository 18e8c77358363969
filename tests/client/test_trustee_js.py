"""The trustee page's crypto (voting/static/src/trustee/) against Python.

(a) a share the server deals (ceremony.deal_keys / encrypt_share) to a key
    the JS derived from a passphrase opens in JS, to the right share;
(b) a wrong passphrase, an altered envelope or a wrong public share fail
    cleanly with the error the page reports;
(c) a partial decryption the JS computes verifies with the Python verifier,
    combines with another into the right counts, and fails once altered;
(d) the JS scrypt equals hashlib.scrypt (and the offline CLI's derive_seed),
    so a trustee can recover offline; and the JS opens an offline share file.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from voting.cli.keys import derive_seed
from voting.cli.keys import seal_share
from voting.crypto import group
from voting.crypto import keys
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.codec import scalar_hex
from voting.crypto.election import parse_election
from voting.crypto.errors import InvalidProof
from voting.crypto.group import L
from voting.crypto.tally import combine
from voting.crypto.tally import parse_partial
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import tally_to_json
from voting.crypto.tally import verify_partial
from voting.services import ceremony

from ..conftest import skip_unless
from ..factories import make_conference
from .make_vectors import random_election
from .make_vectors import ROUND_ID

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
HERE = Path(__file__).resolve().parent

needs_node = skip_unless(
    NODE is not None and (ROOT / "node_modules" / "@noble" / "ciphers").is_dir(),
    "needs `node` on PATH and the npm packages (npm ci)",
)

PASSPHRASE = "Hội nghị tổng kết năm 2018"


def run_node(script: str, request: dict) -> dict:
    proc = subprocess.run([NODE, str(HERE / script)], input=json.dumps(request),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _public_hex(private: X25519PrivateKey) -> str:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def python_seed(passphrase: str, salt: bytes) -> bytes:
    data = unicodedata.normalize("NFC", passphrase).encode()
    return hashlib.scrypt(data, salt=salt, n=2**15, r=8, p=1, dklen=32, maxmem=64 * 2**20)


# -- (d) the key derivation ------------------------------------------------

@needs_node
@pytest.mark.parametrize("passphrase", [PASSPHRASE, unicodedata.normalize("NFD", PASSPHRASE),
                                        "correct horse battery staple"])
def test_js_scrypt_equals_python(passphrase):
    salt = bytes(range(32))
    answer = run_node("trustee_keys.mjs", {"op": "derive", "passphrase": passphrase,
                                           "salt": salt.hex(), "kdf": ceremony.KDF})
    assert answer["seed"] == python_seed(passphrase, salt).hex()
    assert answer["seed"] == derive_seed(passphrase, salt).hex()
    private = X25519PrivateKey.from_private_bytes(bytes.fromhex(answer["seed"]))
    assert answer["enrolment_key"] == _public_hex(private)


def test_nfd_and_nfc_passphrases_give_one_key():
    salt = bytes(32)
    assert derive_seed(PASSPHRASE, salt) == derive_seed(
        unicodedata.normalize("NFD", PASSPHRASE), salt)
    assert derive_seed(PASSPHRASE, salt) != derive_seed(PASSPHRASE + " ", salt)


# -- (a), (b) the dealt share ----------------------------------------------

@pytest.fixture
def dealt(session):
    """A conference dealt by the server, trustee 2 enrolled with a key the JS
    derived from PASSPHRASE; returns (share.json object for trustee 2, its share)."""
    conference = make_conference(session)
    tokens = ceremony.set_trustees(session, conference, ["An", "Bình", "Cường"], 2)
    salts = {i: secrets.token_bytes(32) for i in tokens}
    enrolment = run_node("trustee_keys.mjs", {"op": "derive", "passphrase": PASSPHRASE,
                                              "salt": salts[2].hex(), "kdf": ceremony.KDF})
    for index, token in tokens.items():
        key = enrolment["enrolment_key"] if index == 2 else _public_hex(
            X25519PrivateKey.generate())
        ceremony.enrol(session, ceremony.trustee_by_token(session, token), key,
                       salts[index].hex())
    ceremony.deal_keys(session, conference)
    trustee = conference.trustees[1]
    private = X25519PrivateKey.from_private_bytes(python_seed(PASSPHRASE, salts[2]))
    share = ceremony.decrypt_share(conference, trustee, json.loads(trustee.encrypted_share),
                                   private)
    obj = {"encrypted_share": json.loads(trustee.encrypted_share), "kdf_salt": trustee.kdf_salt,
           "kdf": ceremony.KDF, "conference_id": conference.id, "index": trustee.index,
           "enrolment_key": trustee.enrolment_key, "public_share": trustee.public_share,
           "dealers": json.loads(conference.dealers_json)}
    return obj, share


@needs_node
def test_js_opens_the_share_the_server_dealt(dealt):
    obj, share = dealt
    answer = run_node("trustee_keys.mjs", {"op": "open_dealt", "passphrase": PASSPHRASE,
                                           "dealt": obj})
    assert answer == {"share": scalar_hex(share)}


@needs_node
def test_js_refuses_a_wrong_passphrase(dealt):
    obj, _ = dealt
    answer = run_node("trustee_keys.mjs", {"op": "open_dealt", "passphrase": PASSPHRASE + "!",
                                           "dealt": obj})
    assert answer == {"error": "WrongPassphrase"}


def _flip(hex_value: str) -> str:
    return hex_value[:-2] + format(int(hex_value[-2:], 16) ^ 1, "02x")


ALTERED_SHARES = {
    "ciphertext": lambda o: o["encrypted_share"].__setitem__(
        "ciphertext", _flip(o["encrypted_share"]["ciphertext"])),
    "nonce": lambda o: o["encrypted_share"].__setitem__(
        "nonce", _flip(o["encrypted_share"]["nonce"])),
    "conference id (context)": lambda o: o.__setitem__("conference_id", o["conference_id"] + 1),
    "index (context)": lambda o: o.__setitem__("index", 3),
}


@needs_node
@pytest.mark.parametrize("what", sorted(ALTERED_SHARES))
def test_js_refuses_an_altered_envelope(dealt, what):
    obj = copy.deepcopy(dealt[0])
    ALTERED_SHARES[what](obj)
    answer = run_node("trustee_keys.mjs", {"op": "open_dealt", "passphrase": PASSPHRASE,
                                           "dealt": obj})
    assert answer == {"error": "WrongPassphrase"}


@needs_node
def test_js_refuses_a_share_that_does_not_match_the_commitments(dealt):
    obj = copy.deepcopy(dealt[0])
    other = json.loads(json.dumps(keys.deal(2, 3).to_json()))
    obj["dealers"] = [other]
    answer = run_node("trustee_keys.mjs", {"op": "open_dealt", "passphrase": PASSPHRASE,
                                           "dealt": obj})
    assert answer == {"error": "ShareMismatch"}


@needs_node
def test_js_opens_an_offline_share_file():
    share = secrets.randbelow(L - 1) + 1
    file = seal_share(2, "Bình", share, group.mul_base(share), PASSPHRASE)
    assert run_node("trustee_keys.mjs", {"op": "open_offline", "passphrase": PASSPHRASE,
                                         "file": file}) == {"share": scalar_hex(share)}
    assert run_node("trustee_keys.mjs", {"op": "open_offline", "passphrase": "not the one!!",
                                         "file": file}) == {"error": "WrongPassphrase"}


# -- (c) partial decryptions -------------------------------------------------

CHOICES = [[[0], [0], [1], [2], [0, 1]], [[0], [], [1], [2], [4]], [[1], [1], [], [0], []]]


@pytest.fixture(scope="module")
def tallied():
    """A Python election with three ballots and its tally; (election, shares, tally)."""
    obj, tokens, shares = random_election(len(CHOICES))
    election = parse_election(obj)
    ballots = [encrypt_ballot(election, c, derive_credential(t, ROUND_ID))
               for t, c in zip(tokens, CHOICES, strict=True)]
    return election, shares, tally_ballots(election, ballots)


def js_partial(election, tally, index: int, share: int) -> dict:
    return run_node("trustee_partial.mjs", {
        "fingerprint": election.fingerprint.hex(), "public_key": election.public_key.hex(),
        "ciphertexts": tally_to_json(tally), "index": index, "share": scalar_hex(share),
        "public_share": election.trustee(index).public_share.hex()})


@needs_node
def test_js_partial_decryptions_verify_and_combine(tallied):
    election, shares, tally = tallied
    answers = {i: js_partial(election, tally, i, shares[i]) for i in (1, 3)}
    rows = {}
    for index, answer in answers.items():
        parsed_index, rows[index] = parse_partial(election, answer["partial"])
        assert parsed_index == index
        verify_partial(election, tally, index, rows[index])
        total = sum(len(row) for row in tally)
        assert answer["progress"] == [[k, total] for k in range(1, total + 1)]
    assert combine(election, tally, rows, len(CHOICES)) == [
        [2, 1], [1, 1], [0, 2], [1, 0, 2, 0], [1, 1, 0, 0, 1]]


def _bump(value: str) -> str:
    """Another canonical scalar: value + 1 mod L."""
    return scalar_hex((int.from_bytes(bytes.fromhex(value), "little") + 1) % L)


@needs_node
@pytest.mark.parametrize("field", ["c", "d", "u"])
def test_altered_js_partial_fails(tallied, field):
    election, shares, tally = tallied
    partial = js_partial(election, tally, 2, shares[2])["partial"]
    altered = copy.deepcopy(partial)
    entry = altered["shares"][3][1]
    # d: a valid point from another entry, so that only the proof can object.
    entry[field] = altered["shares"][3][2]["d"] if field == "d" else _bump(entry[field])
    assert altered != partial
    with pytest.raises(InvalidProof):
        verify_partial(election, tally, 2, parse_partial(election, altered)[1])


@needs_node
def test_js_partial_refuses_a_share_that_is_not_the_trustees(tallied):
    election, shares, tally = tallied
    assert js_partial(election, tally, 2, shares[1]) == {"error": "ShareMismatch"}
