"""The key generation's trustee side in the browser (voting/static/src/trustee/
dkg.js, envelope.js) against the Python reference (voting/crypto/dkg.py,
envelope.py), PROTOCOL.md §4.4 and §4.5.

(a) With the test byte stream (§12) the JS draws the same coefficients and
    makes byte-identical envelopes, commit messages, commitment hashes and
    reveal messages (commitments, proofs, share envelopes); the server's
    check_reveal accepts a JS reveal.
(b) Each side opens what the other sealed: coefficients, shares, and the
    generic envelope under every label.
(c) receiveShares returns dkg.receive's s_j, and K_j = s_j·B.
(d) A share that does not open (one byte altered, sealed for another
    recipient, attempt, conference, dealer or label, not a scalar,
    malformed) or does not match its commitments makes the JS complain
    about exactly that dealer, as Python does.
(e) The ceremony frame and the envelope JSON are parsed strictly.
(f) The election object's ``ceremony`` (§5.3) is read by the ballot client
    and the JS verifier as election.parse_election reads it (check 6).

openDealtShare (the tally-time share.json) is tested end to end in
test_trustee_js.py.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from voting.crypto import dkg
from voting.crypto import envelope
from voting.crypto import group
from voting.crypto import keys
from voting.crypto.codec import point_hex
from voting.crypto.codec import scalar_hex
from voting.crypto.drbg import TestRng
from voting.crypto.envelope import decimal
from voting.crypto.envelope import Envelope
from voting.crypto.errors import InvalidStructure
from voting.crypto.group import L
from voting.crypto.scan import parse_setup

from ..conftest import skip_unless
from .make_vectors import build_election

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("trustee_dkg.mjs")
NODE = shutil.which("node")

needs_node = skip_unless(
    NODE is not None and (ROOT / "node_modules" / "@noble" / "ciphers").is_dir(),
    "needs `node` on PATH and the npm packages (npm ci)",
)

pytestmark = needs_node


def run_js(*requests: dict) -> list[dict]:
    proc = subprocess.run([NODE, str(DRIVER)], input=json.dumps(list(requests)), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def private_key(label: str) -> bytes:
    return hashlib.sha256(f"dkg-js/{label}".encode()).digest()


def make_ceremony(conference_id: int, attempt: int, threshold: int, trustees: int):
    privates = {j: private_key(f"{conference_id}/{j}") for j in range(1, trustees + 1)}
    ceremony = dkg.Ceremony(conference_id, attempt, threshold,
                            tuple(envelope.public_key(privates[j]) for j in privates))
    return ceremony, privates


def ceremony_json(ceremony: dkg.Ceremony) -> dict:
    return {"conference_id": ceremony.conference_id, "attempt": ceremony.attempt,
            "threshold": ceremony.threshold,
            "enrolment_keys": [key.hex() for key in ceremony.enrolment_keys]}


#: 2-of-3 and 3-of-5 frames; the conference id needs more than 32 bits (u64).
CEREMONIES = {"2-of-3": make_ceremony(4242, 3, 2, 3),
              "3-of-5": make_ceremony(2**40 + 7, 1, 3, 5)}
CEREMONY, PRIVATE = CEREMONIES["2-of-3"]


def coefficients_of(ceremony: dkg.Ceremony, dealer: int) -> list[int]:
    return keys.draw_coefficients(ceremony.threshold, TestRng(f"dkg-js/{dealer}".encode()))


def seed(label: str) -> bytes:
    return f"dkg-js/rng/{label}".encode()


def hexes(scalars) -> list[str]:
    return [scalar_hex(s) for s in scalars]


# -- (a) the same bytes ------------------------------------------------------

def test_js_draws_the_python_coefficients():
    answers = run_js(*({"op": "draw", "threshold": t, "seed": seed(f"draw {t}").hex()}
                       for t in (1, 2, 5, 32)))
    for t, answer in zip((1, 2, 5, 32), answers, strict=True):
        assert answer == {"coefficients": hexes(
            keys.draw_coefficients(t, TestRng(seed(f"draw {t}"))))}


@pytest.mark.parametrize("name", sorted(CEREMONIES))
def test_commit_and_reveal_messages_are_byte_identical(name):
    ceremony, _ = CEREMONIES[name]
    requests, expected = [], []
    for dealer in range(1, ceremony.trustees + 1):
        coefficients = coefficients_of(ceremony, dealer)
        commit = dkg.commit(ceremony, dealer, coefficients, TestRng(seed(f"commit {dealer}")))
        reveal = dkg.reveal(ceremony, dealer, coefficients, TestRng(seed(f"reveal {dealer}")))
        common = {"ceremony": ceremony_json(ceremony), "dealer": dealer,
                  "coefficients": hexes(coefficients)}
        requests += [{"op": "commit", **common, "seed": seed(f"commit {dealer}").hex()},
                     {"op": "reveal", **common, "seed": seed(f"reveal {dealer}").hex()},
                     {"op": "commitment_hash", "ceremony": ceremony_json(ceremony),
                      "dealer": dealer, "commitments": reveal["commitments"]}]
        expected += [{"message": commit}, {"message": reveal},
                     {"hash": commit["commitment_hash"]}]
    answers = run_js(*requests)
    assert answers == expected
    # The server's public check accepts each JS reveal against its JS commit.
    for dealer in range(1, ceremony.trustees + 1):
        commit, reveal = answers[3 * dealer - 3]["message"], answers[3 * dealer - 2]["message"]
        entry = dkg.check_reveal(ceremony, dealer, commit["commitment_hash"], reveal)
        assert entry == {"commitments": reveal["commitments"], "proofs": reveal["proofs"]}
        assert len(reveal["shares"]) == ceremony.trustees


def test_commitment_hash_binds_its_frame():
    """The JS hash changes with the conference, the attempt and the dealer, as Python's."""
    commitments = [point_hex(group.mul_base(a)) for a in coefficients_of(CEREMONY, 1)]
    frames = [CEREMONY, dkg.Ceremony(4243, 3, 2, CEREMONY.enrolment_keys),
              dkg.Ceremony(4242, 4, 2, CEREMONY.enrolment_keys)]
    requests = [{"op": "commitment_hash", "ceremony": ceremony_json(c), "dealer": d,
                 "commitments": commitments} for c in frames for d in (1, 2)]
    hashes = [a["hash"] for a in run_js(*requests)]
    assert hashes == [dkg.commitment_hash(c, d, [bytes.fromhex(x) for x in commitments]).hex()
                      for c in frames for d in (1, 2)]
    assert len(set(hashes)) == len(hashes)


ITEMS = {envelope.SHARE: [4242, 3, 1, 2],
         envelope.COEFFICIENTS: [2**53 - 1, 1, 32],
         envelope.OFFLINE_SHARE: [2, {"hex": point_hex(group.mul_base(12345))}]}


def py_items(items) -> tuple[bytes, ...]:
    return tuple(decimal(x) if isinstance(x, int) else bytes.fromhex(x["hex"]) for x in items)


@pytest.mark.parametrize("label", sorted(ITEMS))
def test_generic_envelopes_are_byte_identical_and_open_both_ways(label):
    plaintext = hashlib.sha512(label.encode()).digest()[:40]
    recipient = CEREMONY.enrolment_keys[1]
    rng_seed = seed(f"seal {label}")
    expected = envelope.seal(recipient, plaintext, label, py_items(ITEMS[label]),
                             TestRng(rng_seed)).to_json()
    sealed = {"op": "seal", "recipient": recipient.hex(), "plaintext": plaintext.hex(),
              "label": label, "items": ITEMS[label]}
    opened = {"op": "open", "private": PRIVATE[2].hex(), "label": label, "items": ITEMS[label],
              "length": len(plaintext)}
    py_sealed = envelope.seal(recipient, plaintext, label, py_items(ITEMS[label])).to_json()
    other_label = envelope.COEFFICIENTS if label != envelope.COEFFICIENTS else envelope.SHARE
    same, fresh, js_opens, js_wrong_label, js_wrong_key = run_js(
        {**sealed, "seed": rng_seed.hex()}, sealed, {**opened, "envelope": py_sealed},
        {**opened, "envelope": py_sealed, "label": other_label},
        {**opened, "envelope": py_sealed, "private": PRIVATE[1].hex()})
    assert same == {"envelope": expected}
    assert fresh["envelope"] != expected
    parsed = Envelope.from_json(fresh["envelope"], len(plaintext))
    assert envelope.open_sealed(PRIVATE[2], parsed, label, py_items(ITEMS[label])) == plaintext
    with pytest.raises(envelope.CannotOpen):
        envelope.open_sealed(PRIVATE[2], parsed, other_label, py_items(ITEMS[label]))
    assert js_opens == {"plaintext": plaintext.hex()}
    assert js_wrong_label == {"error": "CannotOpen"}
    assert js_wrong_key == {"error": "CannotOpen"}


# -- (b) coefficients ---------------------------------------------------------

def test_coefficients_open_both_ways_and_only_in_their_context():
    coefficients = coefficients_of(CEREMONY, 2)
    py_commit = dkg.commit(CEREMONY, 2, coefficients)
    frame = ceremony_json(CEREMONY)
    base = {"op": "open_coefficients", "ceremony": frame, "dealer": 2,
            "private": PRIVATE[2].hex(), "sealed": py_commit["sealed_coefficients"]}
    js_commit, opened, other_dealer, other_attempt, other_key = run_js(
        {"op": "commit", "ceremony": frame, "dealer": 2, "coefficients": hexes(coefficients)},
        base, {**base, "dealer": 3}, {**base, "ceremony": {**frame, "attempt": 4}},
        {**base, "private": PRIVATE[3].hex()})
    assert opened == {"coefficients": hexes(coefficients)}
    assert other_dealer == other_attempt == other_key == {"error": "CannotOpen"}
    sealed = js_commit["message"]["sealed_coefficients"]
    assert js_commit["message"]["commitment_hash"] == py_commit["commitment_hash"]
    assert dkg.open_coefficients(CEREMONY, 2, PRIVATE[2], sealed) == coefficients
    with pytest.raises(envelope.CannotOpen):
        dkg.open_coefficients(dkg.Ceremony(4242, 4, 2, CEREMONY.enrolment_keys), 2,
                              PRIVATE[2], sealed)


# -- (c) receiving the shares -------------------------------------------------

def test_js_receives_the_python_share_from_mixed_reveals():
    """Dealers 1 and 3 reveal in JS, dealer 2 in Python (fresh randomness on
    both sides); every recipient's s_j is Python's, and K_j = s_j·B."""
    frame = ceremony_json(CEREMONY)
    js_reveals = run_js(*({"op": "reveal", "ceremony": frame, "dealer": d,
                           "coefficients": hexes(coefficients_of(CEREMONY, d))} for d in (1, 3)))
    reveals = {1: js_reveals[0]["message"],
               2: dkg.reveal(CEREMONY, 2, coefficients_of(CEREMONY, 2)),
               3: js_reveals[1]["message"]}
    ordered = [reveals[d] for d in (1, 2, 3)]
    answers = run_js(*({"op": "receive", "ceremony": frame, "recipient": j,
                        "private": PRIVATE[j].hex(), "reveals": ordered} for j in (1, 2, 3)),
                     *({"op": "public_share", "reveals": ordered, "index": j} for j in (1, 2, 3)))
    dealings = keys.parse_dealings([{"commitments": r["commitments"], "proofs": r["proofs"]}
                                    for r in ordered], CEREMONY.threshold)
    for j in (1, 2, 3):
        share = dkg.receive(CEREMONY, j, PRIVATE[j], reveals)
        expected = sum(keys.dealing_of(coefficients_of(CEREMONY, d), d - 1, 3).shares[j]
                       for d in (1, 2, 3)) % L
        assert share == expected
        assert answers[j - 1] == {"share": scalar_hex(share)}
        assert answers[j + 2] == {"public_share": point_hex(keys.public_share(dealings, j))}
        assert answers[j + 2]["public_share"] == point_hex(group.mul_base(share))


# -- (d) complaints -------------------------------------------------------------

RECIPIENT = 2


@pytest.fixture(scope="module")
def reveals() -> list[dict]:
    """Honest reveals of the 2-of-3 ceremony, in dealer order."""
    return [dkg.reveal(CEREMONY, d, coefficients_of(CEREMONY, d), TestRng(seed(f"reveal {d}")))
            for d in (1, 2, 3)]


def _flip(hex_value: str, at: int) -> str:
    """Flip the low bit of byte ``at`` (negative counts from the end)."""
    data = bytearray(bytes.fromhex(hex_value))
    data[at] ^= 1
    return data.hex()


def _share(dealer: int, recipient: int = RECIPIENT) -> int:
    return keys.dealing_of(coefficients_of(CEREMONY, dealer), dealer - 1, 3).shares[recipient]


def _reseal(dealer: int, plaintext: bytes, label: str = envelope.SHARE, *, conference=None,
            attempt=None, as_dealer=None, as_recipient=None) -> dict:
    """A well-formed envelope sealed to the recipient's key, with its context's
    parts replaced as given."""
    items = (decimal(conference or CEREMONY.conference_id), decimal(attempt or CEREMONY.attempt),
             decimal(as_dealer or dealer), decimal(as_recipient or RECIPIENT))
    return envelope.seal(CEREMONY.enrolment_keys[RECIPIENT - 1], plaintext, label,
                         items).to_json()


def _set_envelope(make):
    def tamper(reveals, dealer):
        reveals[dealer - 1]["shares"][RECIPIENT - 1] = make(reveals, dealer)
    return tamper


def _edit_envelope(field: str, at: int):
    def make(reveals, dealer):
        sealed = dict(reveals[dealer - 1]["shares"][RECIPIENT - 1])
        sealed[field] = _flip(sealed[field], at)
        return sealed
    return _set_envelope(make)


def _other_commitments(reveals, dealer):
    other = keys.deal(CEREMONY.threshold, 3, dealer - 1).to_json()
    reveals[dealer - 1]["commitments"] = other["commitments"]


def _uppercase(reveals, dealer):
    sealed = reveals[dealer - 1]["shares"][RECIPIENT - 1]
    sealed["nonce"] = sealed["nonce"].upper()
    assert sealed["nonce"] != sealed["nonce"].lower()


#: Each makes dealer ``dealer``'s share to RECIPIENT fail; (tamper, reason).
TAMPERS = {
    "ciphertext byte": (_edit_envelope("ciphertext", 5), "open"),
    "tag byte": (_edit_envelope("ciphertext", -1), "open"),
    "nonce byte": (_edit_envelope("nonce", 0), "open"),
    "ephemeral byte": (_edit_envelope("ephemeral", 3), "open"),
    "sealed for another recipient": (_set_envelope(
        lambda r, d: r[d - 1]["shares"][2]), "open"),
    "another recipient in the context": (_set_envelope(
        lambda r, d: _reseal(d, group.scalar_bytes(_share(d)), as_recipient=3)), "open"),
    "another attempt": (_set_envelope(
        lambda r, d: _reseal(d, group.scalar_bytes(_share(d)), attempt=4)), "open"),
    "another conference": (_set_envelope(
        lambda r, d: _reseal(d, group.scalar_bytes(_share(d)), conference=4243)), "open"),
    "another dealer in the context": (_set_envelope(
        lambda r, d: _reseal(d, group.scalar_bytes(_share(d)), as_dealer=d % 3 + 1)), "open"),
    "another label": (_set_envelope(
        lambda r, d: _reseal(d, group.scalar_bytes(_share(d)), envelope.COEFFICIENTS)), "open"),
    "not a scalar": (_set_envelope(
        lambda r, d: _reseal(d, (L + _share(d)).to_bytes(32, "little"))), "open"),
    "uppercase hex": (_uppercase, "open"),
    "share off by one": (_set_envelope(
        lambda r, d: _reseal(d, group.scalar_bytes((_share(d) + 1) % L))), "match"),
    "other commitments": (_other_commitments, "match"),
}


def _receive_requests(all_reveals) -> dict:
    return {"op": "receive", "ceremony": ceremony_json(CEREMONY), "recipient": RECIPIENT,
            "private": PRIVATE[RECIPIENT].hex(), "reveals": all_reveals}


@pytest.fixture(scope="module")
def complaints(reveals):
    """Every tamper on dealer 2 and on dealer 3, and the honest reveals,
    answered by the JS in one run: {(what, dealer): (altered reveals, answer)}."""
    cases = {("honest", 0): copy.deepcopy(reveals)}
    for what, (tamper, _) in TAMPERS.items():
        for dealer in (2, 3):
            altered = copy.deepcopy(reveals)
            tamper(altered, dealer)
            assert altered != reveals
            cases[(what, dealer)] = altered
    both = copy.deepcopy(reveals)
    TAMPERS["ciphertext byte"][0](both, 3)
    TAMPERS["share off by one"][0](both, 2)
    cases[("first of two", 2)] = both
    answers = run_js(*(_receive_requests(r) for r in cases.values()))
    return {key: (r, a) for (key, r), a in zip(cases.items(), answers, strict=True)}


def test_honest_reveals_give_the_share(complaints, reveals):
    """The control for every complaint below: untouched, the share opens."""
    share = dkg.receive(CEREMONY, RECIPIENT, PRIVATE[RECIPIENT], dict(enumerate(reveals, 1)))
    assert complaints[("honest", 0)][1] == {"share": scalar_hex(share)}


@pytest.mark.parametrize("dealer", [2, 3])
@pytest.mark.parametrize("what", sorted(TAMPERS))
def test_js_complains_about_exactly_the_failing_dealer(complaints, what, dealer):
    altered, answer = complaints[(what, dealer)]
    reason = TAMPERS[what][1]
    assert answer["error"] == "Complaint", answer
    assert answer["dealer"] == dealer
    assert reason in answer["message"]
    with pytest.raises(dkg.Complaint) as python:
        dkg.receive(CEREMONY, RECIPIENT, PRIVATE[RECIPIENT], dict(enumerate(altered, 1)))
    assert python.value.dealer == dealer
    assert reason in str(python.value)


def test_the_first_failing_dealer_is_named(complaints):
    assert complaints[("first of two", 2)][1]["dealer"] == 2


# -- (e) strict parsing -----------------------------------------------------------

def _without(obj: dict, key: str) -> dict:
    return {k: v for k, v in obj.items() if k != key}


BAD_FRAMES = {
    "conference id true": lambda f: {**f, "conference_id": True},
    "conference id 0": lambda f: {**f, "conference_id": 0},
    "conference id 1.5": lambda f: {**f, "conference_id": 1.5},
    "conference id string": lambda f: {**f, "conference_id": "4242"},
    "conference id 2^53": lambda f: {**f, "conference_id": 2**53},
    "attempt true": lambda f: {**f, "attempt": True},
    "attempt 0": lambda f: {**f, "attempt": 0},
    "attempt 2^32": lambda f: {**f, "attempt": 2**32},
    "threshold true": lambda f: {**f, "threshold": True},
    "threshold 0": lambda f: {**f, "threshold": 0},
    "threshold above n": lambda f: {**f, "threshold": 4},
    "uppercase key": lambda f: {**f, "enrolment_keys": [f["enrolment_keys"][0].upper(),
                                                        *f["enrolment_keys"][1:]]},
    "short key": lambda f: {**f, "enrolment_keys": [f["enrolment_keys"][0][:62],
                                                    *f["enrolment_keys"][1:]]},
    "no keys": lambda f: {**f, "enrolment_keys": []},
    "keys not a list": lambda f: {**f, "enrolment_keys": f["enrolment_keys"][0]},
    "33 keys": lambda f: {**f, "enrolment_keys": f["enrolment_keys"] * 11},
    "extra field": lambda f: {**f, "dealers": 3},
    "missing attempt": lambda f: _without(f, "attempt"),
}


def test_js_ceremony_frame_is_strict():
    frame = ceremony_json(CEREMONY)
    answers = run_js({"op": "ceremony", "ceremony": frame},
                     *({"op": "ceremony", "ceremony": bad(frame)} for bad in BAD_FRAMES.values()))
    assert answers[0] == {"ok": [4242, 3, 2, frame["enrolment_keys"]]}
    for what, answer in zip(BAD_FRAMES, answers[1:], strict=True):
        assert answer.get("error") == "Error", what


BAD_ENVELOPES = {
    "uppercase": lambda e: {**e, "ciphertext": e["ciphertext"].upper()},
    "short ciphertext": lambda e: {**e, "ciphertext": e["ciphertext"][:-2]},
    "long ciphertext": lambda e: {**e, "ciphertext": e["ciphertext"] + "00"},
    "short nonce": lambda e: {**e, "nonce": e["nonce"][:-2]},
    "odd length": lambda e: {**e, "ephemeral": e["ephemeral"][:-1]},
    "not hex": lambda e: {**e, "nonce": "zz" + e["nonce"][2:]},
    "a number": lambda e: {**e, "nonce": 7},
    "extra field": lambda e: {**e, "tag": "00"},
    "missing field": lambda e: _without(e, "nonce"),
    "a list": lambda e: list(e.values()),
}


def test_js_envelope_parsing_is_strict():
    """Every malformed envelope is refused before any decryption, as
    Envelope.from_json refuses it."""
    sealed = envelope.seal(CEREMONY.enrolment_keys[0], b"x" * 32, envelope.SHARE, ())
    base = {"op": "open", "private": PRIVATE[1].hex(), "label": envelope.SHARE, "items": [],
            "length": 32}
    answers = run_js({**base, "envelope": sealed.to_json()},
                     *({**base, "envelope": bad(sealed.to_json())}
                       for bad in BAD_ENVELOPES.values()),
                     # Whitespace: bytes.fromhex skips it, so Envelope.from_json reads a
                     # 31-byte key here; the JS refuses it as it refuses any non-hex.
                     {**base, "envelope": {**sealed.to_json(),
                                           "ephemeral": sealed.ephemeral.hex()[:62] + "  "}})
    assert answers[0] == {"plaintext": (b"x" * 32).hex()}
    for what, answer in zip([*BAD_ENVELOPES, "whitespace"], answers[1:], strict=True):
        assert answer == {"error": "InvalidEnvelope"}, what
    for what, bad in BAD_ENVELOPES.items():
        try:
            Envelope.from_json(bad(sealed.to_json()), 32)
        except InvalidStructure:
            continue
        pytest.fail(f"Envelope.from_json accepts {what}")


# -- (f) the election object's ceremony ---------------------------------------

def _distributed(obj: dict) -> dict:
    """The same election made by three dealers, one per trustee."""
    return {**obj, "ceremony": "distributed", "dealers": obj["dealers"] * 3}


ELECTION_CEREMONIES = {
    "dealer, one dealer": (lambda o: o, None),
    "distributed, one dealer per trustee": (_distributed, None),
    "distributed, one dealer": (lambda o: {**o, "ceremony": "distributed"},
                                "a distributed key has one dealer per trustee"),
    "dealer, three dealers": (lambda o: _distributed(o) | {"ceremony": "dealer"},
                              "a dealer key has exactly one dealer"),
    "distributed, no dealer": (lambda o: {**o, "ceremony": "distributed", "dealers": []},
                               "at least one dealer"),
    "unknown ceremony": (lambda o: {**o, "ceremony": "trusted"},
                         'ceremony must be "distributed" or "dealer"'),
    "ceremony true": (lambda o: {**o, "ceremony": True},
                      'ceremony must be "distributed" or "dealer"'),
    "ceremony a list": (lambda o: {**o, "ceremony": ["dealer"]},
                        'ceremony must be "distributed" or "dealer"'),
    "no ceremony": (lambda o: _without(o, "ceremony"), "missing ['ceremony']"),
}


def test_election_ceremony_is_read_as_python_reads_it():
    obj, _ = build_election()
    assert obj["ceremony"] == "dealer"
    variants = {what: make(copy.deepcopy(obj)) for what, (make, _) in ELECTION_CEREMONIES.items()}
    answers = run_js(*({"op": "election", "election": v} for v in variants.values()))
    for (what, (_, problem)), answer in zip(ELECTION_CEREMONIES.items(), answers, strict=True):
        parsed, problems = parse_setup(variants[what])
        if problem is None:
            assert parsed is not None and problems == {}, what
            assert answer == {"client": "ok", "verifier": "ok"}, what
            continue
        assert parsed is None and problem in problems[6], what
        assert answer["client"] != "ok", what
        # The verifier fails check 6 only, with Python's message (the JS
        # lists a missing key without Python's quotes).
        assert list(answer["verifier"]) == ["6"], what
        assert answer["verifier"]["6"].replace("[ceremony]", "['ceremony']") == problems[6], what
