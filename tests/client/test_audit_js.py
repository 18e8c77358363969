"""Cast or challenge in the browser (voting/static/src/audit.js) against the
Python reference (voting/crypto/audit.py), PROTOCOL.md §8.6 and check 19.

The two do not draw the same stream: the phone's audit reveals the ballot it
would cast, whose encryption also draws every proof's randomness (§12),
while ``audit_body`` draws only the ciphertexts' ``r``. So instead of byte
equality of the audits:

(a) encryptForChallenge's ``ballot`` is encryptBallot's, and Python's
    encrypt_ballot's, for the same stream; its ``audit`` reveals exactly that
    ballot's ciphertexts, and its code is Python's short_code.
(b) Each side verifies the other's audits, with the same choices and code.
(c) Every tampering is refused by both, with the same kind of error (the
    Python error class's ``code``), also when a body has two faults: the
    first in the reference's order wins.
(d) The encryption code of any ciphertext lists is the same on both sides.

The JS runs under Node (tests/client/audit.mjs).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from voting.crypto import keys
from voting.crypto.audit import audit_body
from voting.crypto.audit import encryption_code
from voting.crypto.audit import short_code
from voting.crypto.audit import verify_audit
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.codec import point_hex
from voting.crypto.codec import scalar_hex
from voting.crypto.drbg import TestRng
from voting.crypto.election import parse_election
from voting.crypto.errors import CryptoError
from voting.crypto.group import L
from voting.crypto.group import mul_base

from ..conftest import skip_unless
from .make_vectors import BALLOTS
from .make_vectors import build_election
from .make_vectors import ROUND_ID
from .make_vectors import VECTORS_PATH

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("audit.mjs")
NODE = shutil.which("node")

pytestmark = skip_unless(
    NODE is not None and (ROOT / "node_modules" / "@noble" / "curves").is_dir(),
    "needs `node` on PATH and the npm packages (npm ci)",
)

ELECTION, TOKENS = build_election()
PARSED = parse_election(ELECTION)
#: Choices over the vectors' manifest: 3 packed agree/disagree contests
#: (0..1 of 2), "flag" (exactly 1 of 4) and "board" (0..2 of 5).
CHOICES = [[0], [1], [], [2], [4, 1]]


def run_js(*requests: dict) -> list[dict]:
    proc = subprocess.run([NODE, str(DRIVER)], input=json.dumps(list(requests)), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def secret_of(voter: int) -> int:
    return derive_credential(TOKENS[voter], ROUND_ID)


def py_verdict(body) -> dict:
    """verify_audit as the driver answers: choices and code, or the error's kind."""
    try:
        audit = verify_audit(PARSED, body)
    except CryptoError as exc:
        return {"code": exc.code, "message": str(exc)}
    return {"choices": [list(c) for c in audit.choices], "code_hex": audit.code.hex()}


def js_verdict(answer: dict) -> dict:
    if "error" in answer:
        return {"code": answer.get("code", answer["error"]), "message": answer["message"]}
    return {"choices": answer["choices"], "code_hex": answer["code_hex"]}


# -- (a) one encryption, cast or revealed ---------------------------------------

@pytest.fixture(scope="module")
def challenges() -> list[dict]:
    return run_js(*({"op": "challenge", "election": ELECTION, "choices": choices,
                     "secret": scalar_hex(secret_of(voter)), "seed": seed.hex()}
                    for voter, choices, seed in BALLOTS))


def test_the_challenged_encryption_is_the_ballot_encrypt_ballot_makes(challenges):
    vectors = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))["ballots"]
    for (voter, choices, seed), answer, vector in zip(BALLOTS, challenges, vectors, strict=True):
        expected = encrypt_ballot(PARSED, choices, secret_of(voter), TestRng(seed))
        assert answer["ballot"] == answer["encrypt_ballot"] == expected == vector["ballot"]
        audit = answer["audit"]
        assert list(audit) == ["round", "fingerprint", "ciphertexts", "randomness", "choices"]
        assert audit["round"] == ROUND_ID
        assert audit["fingerprint"] == PARSED.fingerprint.hex()
        assert audit["ciphertexts"] == [c["ciphertexts"] for c in expected["contests"]]
        assert audit["choices"] == [sorted(c) for c in choices]
        assert answer["code"] == short_code(audit["ciphertexts"])


# -- (b) each side verifies the other's audits ----------------------------------

def test_js_audits_verify_in_python(challenges):
    for (_, choices, _), answer in zip(BALLOTS, challenges, strict=True):
        audit = verify_audit(PARSED, answer["audit"])
        assert [list(c) for c in audit.choices] == [sorted(c) for c in choices]
        assert audit.code == encryption_code(answer["audit"]["ciphertexts"])


def test_python_audits_verify_in_js():
    bodies = [audit_body(PARSED, choices, TestRng(b"py-audit/" + seed))
              for _, choices, seed in BALLOTS]
    answers = run_js(*({"op": "check", "election": ELECTION, "body": b} for b in bodies))
    for (_, choices, _), body, answer in zip(BALLOTS, bodies, answers, strict=True):
        assert answer == {"choices": [sorted(c) for c in choices],
                          "code": short_code(body["ciphertexts"]),
                          "code_hex": encryption_code(body["ciphertexts"]).hex()}


# -- (c) tampering ---------------------------------------------------------------

def _set(path: tuple, value):
    def edit(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def _swap(a: tuple, b: tuple):
    def edit(body):
        x, y = body[a[0]], body[b[0]]
        for key in a[1:-1]:
            x = x[key]
        for key in b[1:-1]:
            y = y[key]
        x[a[-1]], y[b[-1]] = y[b[-1]], x[a[-1]]
    return edit


def _upper(path: tuple):
    def edit(body):
        target = body
        for key in path[:-1]:
            target = target[key]
        value = target[path[-1]]
        assert value.upper() != value
        target[path[-1]] = value.upper()
    return edit


def _both(*edits):
    def edit(body):
        for e in edits:
            e(body)
    return edit


IDENTITY = "01" + "00" * 31
#: Point encodings that are not valid group elements (vectors.json, §2.2).
INVALID_POINTS = [p["point"] for p in json.loads(VECTORS_PATH.read_text(encoding="utf-8"))[
    "invalid_points"] if len(p["point"]) == 64 and p["point"] == p["point"].lower()]

#: name -> (edit of a valid body, the error's kind on both sides).
TAMPERS = {
    "a packed choice changed": (_set(("choices", 0), [1]), "invalid_proof"),
    "blank made agree": (_set(("choices", 2), [0]), "invalid_proof"),
    "another flag option": (_set(("choices", 3), [1]), "invalid_proof"),
    "a board choice moved": (_set(("choices", 4), [1, 3]), "invalid_proof"),
    "a randomness scalar changed": (_set(("randomness", 3, 0), scalar_hex(7)), "invalid_proof"),
    "r = 0": (_set(("randomness", 4, 1), "00" * 32), "invalid_structure"),
    "r = L": (_set(("randomness", 4, 1), L.to_bytes(32, "little").hex()), "invalid_encoding"),
    "r = 2^256 - 1": (_set(("randomness", 0, 0), "ff" * 32), "invalid_encoding"),
    "r not a string": (_set(("randomness", 0, 0), 7), "invalid_encoding"),
    "ciphertexts swapped between packed contests": (_swap(("ciphertexts", 0), ("ciphertexts", 1)),
                                                    "invalid_proof"),
    "ciphertext lists swapped between contests of other sizes": (
        _swap(("ciphertexts", 3), ("ciphertexts", 4)), "invalid_structure"),
    "ciphertexts swapped within a contest": (
        _swap(("ciphertexts", 3, 0), ("ciphertexts", 3, 2)), "invalid_proof"),
    "randomness swapped between contests": (_swap(("randomness", 0), ("randomness", 1)),
                                            "invalid_proof"),
    "another round": (_set(("round",), "another-round"), "wrong_election"),
    "an empty round": (_set(("round",), ""), "invalid_structure"),
    "a round of 201 characters": (_set(("round",), "ộ" * 201), "invalid_structure"),
    "a round that is a number": (_set(("round",), 1), "invalid_structure"),
    "another fingerprint": (_set(("fingerprint",), "ab" * 32), "wrong_election"),
    "the fingerprint in upper case": (_upper(("fingerprint",)), "wrong_election"),
    "a fingerprint that is a number": (_set(("fingerprint",), 0), "wrong_election"),
    "no such option": (_set(("choices", 3), [4]), "invalid_structure"),
    "a negative option": (_set(("choices", 0), [-1]), "invalid_structure"),
    "choices unsorted": (_set(("choices", 4), [4, 1]), "invalid_structure"),
    "a choice repeated": (_set(("choices", 4), [1, 1]), "invalid_structure"),
    "too many choices": (_set(("choices", 4), [0, 1, 2]), "invalid_structure"),
    "both options of a packed contest": (_set(("choices", 0), [0, 1]), "invalid_structure"),
    "too few choices": (_set(("choices", 3), []), "invalid_structure"),
    "a boolean choice": (_set(("choices", 0), [True]), "invalid_structure"),
    "a string choice": (_set(("choices", 0), ["0"]), "invalid_structure"),
    "a choice of 2^53": (_set(("choices", 3), [2**53]), "invalid_structure"),
    "a contest's choices not a list": (_set(("choices", 0), 0), "invalid_structure"),
    "upper-case randomness": (_upper(("randomness", 1, 0)), "invalid_encoding"),
    "an upper-case ciphertext": (_upper(("ciphertexts", 2, 0, "beta")), "invalid_encoding"),
    "an extra key": (_set(("credential",), "ab" * 32), "invalid_structure"),
    "a missing key": (lambda b: b.pop("randomness"), "invalid_structure"),
    "an extra key in a ciphertext": (_set(("ciphertexts", 0, 0, "proof"), "ab" * 32),
                                     "invalid_structure"),
    "a ciphertext that is a string": (_set(("ciphertexts", 0, 0), "ab" * 32), "invalid_structure"),
    "one contest too many": (lambda b: b["ciphertexts"].append([]), "invalid_structure"),
    "one randomness row too many": (lambda b: b["randomness"].append([]), "invalid_structure"),
    "one choice list too few": (lambda b: b["choices"].pop(), "invalid_structure"),
    "a ciphertext missing": (lambda b: b["ciphertexts"][4].pop(), "invalid_structure"),
    "a scalar missing": (lambda b: b["randomness"][4].pop(), "invalid_structure"),
    "a scalar too many": (lambda b: b["randomness"][0].append(scalar_hex(5)), "invalid_structure"),
    "a valid point of another encryption": (
        _set(("ciphertexts", 4, 3, "alpha"), point_hex(mul_base(5))), "invalid_proof"),
    "not an object": (lambda b: b.clear() or b.update(audit=[]), "invalid_structure"),
    **{f"invalid point {k}": (_set(("ciphertexts", 1, 0, "alpha"), p), "invalid_encoding")
       for k, p in enumerate(INVALID_POINTS)},
    # Two faults: the first in verify_audit's order decides the kind.
    "an invalid point and a forbidden choice in one contest": (_both(
        _set(("ciphertexts", 4, 4, "beta"), IDENTITY), _set(("choices", 4), [0, 1, 2])),
        "invalid_encoding"),
    "r >= L and a forbidden choice in one contest": (_both(
        _set(("randomness", 3, 1), "ff" * 32), _set(("choices", 3), [])), "invalid_encoding"),
    "r = 0 and a changed choice in one contest": (_both(
        _set(("randomness", 0, 0), "00" * 32), _set(("choices", 0), [1])), "invalid_structure"),
    "a forbidden choice, then an invalid point in the next contest": (_both(
        _set(("choices", 3), []), _set(("ciphertexts", 4, 0, "alpha"), IDENTITY)),
        "invalid_structure"),
    "a changed choice, then an invalid point in the next contest": (_both(
        _set(("choices", 2), [1]), _set(("ciphertexts", 3, 0, "alpha"), IDENTITY)),
        "invalid_proof"),
    "an invalid point, then a missing scalar in the next contest": (_both(
        _set(("ciphertexts", 3, 0, "alpha"), INVALID_POINTS[-1]),
        lambda b: b["randomness"][4].pop()), "invalid_encoding"),
    "a missing key in a ciphertext after an invalid point": (_both(
        _set(("ciphertexts", 4, 0, "alpha"), IDENTITY),
        lambda b: b["ciphertexts"][4][1].pop("beta")), "invalid_encoding"),
    "a changed choice and an extra key": (_both(
        _set(("choices", 0), [1]), _set(("x",), 1)), "invalid_structure"),
}


@pytest.fixture(scope="module")
def base_body() -> dict:
    return audit_body(PARSED, CHOICES, TestRng(b"audit-js/tamper"))


@pytest.fixture(scope="module")
def verdicts(base_body) -> dict[str, tuple[dict, dict]]:
    """name -> (Python's verdict, JS's verdict) on the tampered body, one Node run."""
    bodies = {}
    for name, (edit, _) in TAMPERS.items():
        body = copy.deepcopy(base_body)
        edit(body)
        bodies[name] = body["audit"] if list(body) == ["audit"] else body
    answers = run_js(*({"op": "check", "election": ELECTION, "body": b} for b in bodies.values()))
    return {name: (py_verdict(bodies[name]), js_verdict(answer))
            for name, answer in zip(bodies, answers, strict=True)}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_a_tampered_audit_is_refused_by_both_alike(verdicts, name):
    py, js = verdicts[name]
    expected = TAMPERS[name][1]
    assert py["code"] == expected, py
    assert js["code"] == expected, js
    if expected in ("invalid_proof", "wrong_election"):
        assert js["message"] == py["message"]


def test_a_mismatch_names_the_contest_id_and_the_ciphertext(verdicts):
    _, js = verdicts["another flag option"]
    assert js["message"].startswith("contest flag, ciphertext 1: ")
    _, js = verdicts["a board choice moved"]
    assert js["message"].startswith("contest board, ciphertext 3: ")


def test_the_untampered_body_verifies_on_both_sides(base_body):
    (answer,) = run_js({"op": "check", "election": ELECTION, "body": base_body})
    assert js_verdict(answer) == py_verdict(base_body)
    assert answer["choices"] == [sorted(c) for c in CHOICES]


def test_an_honest_encryption_with_an_identity_beta_is_refused_by_both():
    """r chosen so that β = 1·B + r·K is the identity: the re-encryption
    matches, but the identity is not a valid point (§2.2); the quick path
    must not let it through."""
    k = keys.draw_coefficients(2, TestRng(b"vectors/dealer"))[0]
    assert point_hex(mul_base(k)) == ELECTION["public_key"]
    r = (-pow(k, -1, L)) % L
    body = audit_body(PARSED, CHOICES, TestRng(b"audit-js/identity"))
    body["ciphertexts"][0][0] = {"alpha": point_hex(mul_base(r)), "beta": IDENTITY}
    body["randomness"][0][0] = scalar_hex(r)                  # contest 0 encrypts m = 1
    (answer,) = run_js({"op": "check", "election": ELECTION, "body": body})
    assert py_verdict(body)["code"] == js_verdict(answer)["code"] == "invalid_encoding"


# -- (d) the encryption code -------------------------------------------------------

def test_the_encryption_code_is_the_reference_s():
    lists = [[], [[]], [[{"alpha": point_hex(mul_base(a)), "beta": point_hex(mul_base(b))}
                         for a, b in ((1, 2), (3, 4))], [{"alpha": "ab" * 32, "beta": "cd" * 32}]]]
    answers = run_js(*({"op": "code", "ciphertexts": x} for x in lists))
    for x, answer in zip(lists, answers, strict=True):
        assert answer == {"code_hex": encryption_code(x).hex(), "code": short_code(x)}
