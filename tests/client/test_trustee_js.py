"""The trustee page's crypto (voting/static/src/trustee/) against Python.

(a) a key made by the distributed key generation (voting/crypto/dkg.py),
    with trustee 2 enrolled under a key the JS derived from a passphrase:
    the JS opens trustee 2's n share envelopes from share.json and sums
    them to the right share;
(b) a wrong passphrase, an altered envelope or frame, or a wrong public
    share fail cleanly with the error the page reports;
(c) a partial decryption the JS computes verifies with the Python verifier,
    combines with another into the right counts, and fails once altered;
(d) the JS scrypt equals hashlib.scrypt (and envelope.derive_seed, which the
    offline CLI uses), so a trustee can recover offline; and the JS opens an
    offline share file (voting/services/offline.py).
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

from voting.crypto import dkg
from voting.crypto import envelope
from voting.crypto import group
from voting.crypto import keys
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.codec import point_hex
from voting.crypto.codec import scalar_hex
from voting.crypto.election import parse_election
from voting.crypto.errors import InvalidProof
from voting.crypto.group import L
from voting.crypto.tally import combine
from voting.crypto.tally import parse_partial
from voting.crypto.tally import tally_ballots
from voting.crypto.tally import tally_to_json
from voting.crypto.tally import verify_partial
from voting.services.offline import seal_share

from ..conftest import skip_unless
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


def run_node(script: str, request: dict | list) -> dict | list:
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
                                           "salt": salt.hex(), "kdf": envelope.KDF})
    assert answer["seed"] == python_seed(passphrase, salt).hex()
    assert answer["seed"] == envelope.derive_seed(passphrase, salt).hex()
    private = X25519PrivateKey.from_private_bytes(bytes.fromhex(answer["seed"]))
    assert answer["enrolment_key"] == _public_hex(private)


def test_nfd_and_nfc_passphrases_give_one_key():
    salt = bytes(32)
    derive_seed = envelope.derive_seed
    assert derive_seed(PASSPHRASE, salt) == derive_seed(
        unicodedata.normalize("NFD", PASSPHRASE), salt)
    assert derive_seed(PASSPHRASE, salt) != derive_seed(PASSPHRASE + " ", salt)


# -- (a), (b) the dealt share ----------------------------------------------

TRUSTEE = 2


def _make_key(ceremony: dkg.Ceremony, privates: dict[int, bytes]) -> list[dict]:
    """Every trustee deals as the browser does: commit, open its sealed
    coefficients, reveal; the server's checks accept each reveal. Returns
    the reveals in dealer order."""
    reveals = []
    for dealer in range(1, ceremony.trustees + 1):
        commit = dkg.check_commit(ceremony, dkg.commit(
            ceremony, dealer, keys.draw_coefficients(ceremony.threshold)))
        coefficients = dkg.open_coefficients(ceremony, dealer, privates[dealer],
                                             commit["sealed_coefficients"])
        reveal = dkg.reveal(ceremony, dealer, coefficients)
        dkg.check_reveal(ceremony, dealer, commit["commitment_hash"], reveal)
        reveals.append(reveal)
    return reveals


def _public_share(reveals: list[dict], index: int) -> str:
    dealings = keys.parse_dealings([{"commitments": r["commitments"], "proofs": r["proofs"]}
                                    for r in reveals], 2)
    return point_hex(keys.public_share(dealings, index))


@pytest.fixture(scope="module")
def dealt():
    """A 2-of-3 key made by distributed generation, trustee 2 enrolled with
    the key the JS derived from PASSPHRASE; (share.json for trustee 2, its share)."""
    salt = secrets.token_bytes(32)
    enrolment = run_node("trustee_keys.mjs", {"op": "derive", "passphrase": PASSPHRASE,
                                              "salt": salt.hex(), "kdf": envelope.KDF})
    privates = {1: secrets.token_bytes(32), TRUSTEE: python_seed(PASSPHRASE, salt),
                3: secrets.token_bytes(32)}
    enrolment_keys = tuple(envelope.public_key(privates[i]) for i in (1, 2, 3))
    assert enrolment_keys[TRUSTEE - 1].hex() == enrolment["enrolment_key"]
    ceremony = dkg.Ceremony(4242, 2, 2, enrolment_keys)
    reveals = _make_key(ceremony, privates)
    share = dkg.receive(ceremony, TRUSTEE, privates[TRUSTEE], dict(enumerate(reveals, 1)))
    obj = {"kdf": envelope.KDF, "kdf_salt": salt.hex(), "index": TRUSTEE,
           "enrolment_key": enrolment["enrolment_key"],
           "public_share": _public_share(reveals, TRUSTEE),
           "ceremony": {"conference_id": ceremony.conference_id, "attempt": ceremony.attempt,
                        "threshold": ceremony.threshold,
                        "enrolment_keys": [k.hex() for k in enrolment_keys]},
           "reveals": reveals}
    assert obj["public_share"] == point_hex(group.mul_base(share))
    return obj, share


def open_dealt(obj: dict, passphrase: str = PASSPHRASE) -> dict:
    return run_node("trustee_keys.mjs", {"op": "open_dealt", "passphrase": passphrase,
                                         "dealt": obj})


@needs_node
def test_js_opens_the_share_the_dealers_sealed(dealt):
    obj, share = dealt
    assert open_dealt(obj) == {"share": scalar_hex(share)}


@needs_node
def test_js_refuses_a_wrong_passphrase(dealt):
    assert open_dealt(dealt[0], PASSPHRASE + "!") == {"error": "WrongPassphrase"}


def _flip(hex_value: str) -> str:
    return hex_value[:-2] + format(int(hex_value[-2:], 16) ^ 1, "02x")


def _own_envelope(obj: dict, dealer: int) -> dict:
    return obj["reveals"][dealer - 1]["shares"][TRUSTEE - 1]


def _move_trustee(obj: dict) -> None:
    """The server puts trustee 2's key in place 3: the envelopes to recipient 3
    are sealed to another key."""
    frame_keys = obj["ceremony"]["enrolment_keys"]
    frame_keys[1], frame_keys[2] = frame_keys[2], frame_keys[1]
    obj["index"] = 3


def _other_commitments(obj: dict) -> None:
    obj["reveals"][0]["commitments"] = keys.deal(2, 3).to_json()["commitments"]


ALTERED_SHARES = {
    "ciphertext": lambda o: _own_envelope(o, 2).__setitem__(
        "ciphertext", _flip(_own_envelope(o, 2)["ciphertext"])),
    "nonce": lambda o: _own_envelope(o, 3).__setitem__(
        "nonce", _flip(_own_envelope(o, 3)["nonce"])),
    "conference id (context)": lambda o: o["ceremony"].__setitem__(
        "conference_id", o["ceremony"]["conference_id"] + 1),
    "attempt (context)": lambda o: o["ceremony"].__setitem__(
        "attempt", o["ceremony"]["attempt"] + 1),
    "dealer order (context)": lambda o: o["reveals"].reverse(),
    "index (context)": _move_trustee,
    "index (enrolment key)": lambda o: o.__setitem__("index", 3),
    "commitments": _other_commitments,
    "public share": lambda o: o.__setitem__("public_share", _public_share(o["reveals"], 1)),
}


@needs_node
@pytest.mark.parametrize("what", sorted(ALTERED_SHARES))
def test_js_refuses_an_altered_share_or_frame(dealt, what):
    obj = copy.deepcopy(dealt[0])
    ALTERED_SHARES[what](obj)
    assert obj != dealt[0]
    assert open_dealt(obj) == {"error": "ShareMismatch"}


def _open_offline_in_js(file: dict, passphrase: str) -> dict:
    """Derive the seed (trustee_keys.mjs) and open the file's envelope with
    the generic envelope.js (trustee_dkg.mjs): label voting/v1/offline-share,
    items i and K_i (§4.4)."""
    seed = run_node("trustee_keys.mjs", {"op": "derive", "passphrase": passphrase,
                                         "salt": file["kdf"]["salt"], "kdf": envelope.KDF})["seed"]
    [answer] = run_node("trustee_dkg.mjs", [{
        "op": "open", "private": seed, "envelope": file["envelope"],
        "label": envelope.OFFLINE_SHARE, "length": 32,
        "items": [file["index"], {"hex": file["public_share"]}]}])
    return answer


@needs_node
def test_js_opens_an_offline_share_file():
    share = secrets.randbelow(L - 1) + 1
    file = seal_share(2, "Bình", share, group.mul_base(share), PASSPHRASE)
    assert _open_offline_in_js(file, PASSPHRASE) == {"plaintext": scalar_hex(share)}
    assert _open_offline_in_js(file, "not the one!!") == {"error": "CannotOpen"}
    other_index = {**file, "index": 3}
    assert _open_offline_in_js(other_index, PASSPHRASE) == {"error": "CannotOpen"}


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
