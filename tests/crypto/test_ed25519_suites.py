"""The record-signature rule (PROTOCOL.md §13) and point decoding (§2.2)
against two outside suites nobody here wrote (tests/vectors/ed25519/):

- C2SP/CCTV ``ed25519vectors.json``: 914 signatures, every one valid under
  ZIP215's lenient rule, that exercise each small-order, mixed-order and
  non-canonical A and R, flagged by what they exercise;
- Wycheproof ``ed25519_test.json``: 151 cases labelled valid or invalid
  (malleable S, altered R, wrong lengths, special values).

The rule: ``R ‖ S`` on ``M`` under ``A`` verifies iff A and R are valid group
elements (§2.2), ``S < L`` and ``S·B = R + k·A``, ``k = SHA-512(R ‖ A ‖ M) mod L``.

For every vector this module checks three things that must agree:

1. the verdict expected from the suite's own labels (CCTV: accept iff no
   point flag; Wycheproof: "valid" accepts, "invalid" rejects, with any
   deviation listed by tcId in ``WYCHEPROOF_DEVIATIONS``);
2. the verdict of the rule evaluated by the independent pure-Python
   RFC 8032 arithmetic below (which is first shown to reproduce every CCTV
   flag, so it reads the suite the way its authors meant);
3. the verdict of :func:`voting.crypto.signature.verify_ed25519`, including
   which check refused the vector.

It also runs :func:`voting.crypto.group.decode_point` on every A and R.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from functools import cache
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat

from voting.crypto import group
from voting.crypto import signature as signature_module
from voting.crypto.errors import CryptoError
from voting.crypto.errors import InvalidEncoding
from voting.crypto.errors import InvalidProof
from voting.crypto.signature import verify_ed25519

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "ed25519"
CCTV_FILE = VECTORS / "ed25519vectors.json"
WYCHEPROOF_FILE = VECTORS / "ed25519_test.json"

#: Git blob ids of the upstream files (tests/vectors/ed25519/README.md):
#: the copies must be byte-for-byte the upstream objects.
UPSTREAM_BLOBS = {
    CCTV_FILE.name: "ebb2192a14d88c26979c40be0aff4cfba6892ed3",
    WYCHEPROOF_FILE.name: "42d44cd7eca6003c7de611b6487c9cc57a124b38",
}

#: CCTV flags that say A or R is not a valid §2.2 group element.
POINT_FLAGS = {"low_order_A", "low_order_R", "low_order_component_A", "low_order_component_R",
               "non_canonical_A", "non_canonical_R"}
#: Every CCTV flag (README of ed25519/ upstream).
CCTV_FLAGS = POINT_FLAGS | {"low_order_residue", "reencoded_k"}

#: Wycheproof cases whose label our rule does not follow: tcId -> reason.
#: Empty: every "valid" case is accepted and every "invalid" one refused.
#: (The file has no "acceptable" cases; see test_wycheproof_labels.)
WYCHEPROOF_DEVIATIONS: dict[int, str] = {}

#: Why each "invalid" Wycheproof case is refused (the first failing check).
WYCHEPROOF_REFUSALS = {
    # Truncated (30-32), with garbage (33-37), bytes removed (38-41).
    "length": [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41],
    # "Special values for r and s" (10-29), R = 0 .. 0, a point of order 4
    # (10-14, and "R==0" 60); R = the identity 01 0 .. 0 (15-19); R = L,
    # whose y is on no curve point (20-24); R = p, the non-canonical
    # encoding of y = 0 (25-29). Bits of R modified (42-59): no point,
    # or a point with a torsion component, or (44, 48, 56, 59) a valid
    # element for which only the equation fails, since S was recomputed so
    # that S·B − k·A is the original R. "Invalid R" ff .. ff (61, y = 18
    # non-canonically), all bits of R flipped (62), y = 1 with the sign bit
    # (151, a non-canonical identity).
    "R: small order": [10, 11, 12, 13, 14, 60],
    "R: identity": [15, 16, 17, 18, 19],
    "R: not a point": [20, 21, 22, 23, 24, 43, 45, 46, 50, 54, 55, 58],
    "R: non-canonical": [25, 26, 27, 28, 29, 61, 151],
    "R: mixed order": [42, 47, 49, 51, 52, 53, 57, 62],
    "equation": [44, 48, 56, 59],
    # s + L, s + 2L, s + 4L, s + 8L (63-66); s + 2^253, + 2^254, + 2^255,
    # + p (67-70); "S just above the bound" (85).
    "S: not below L": [63, 64, 65, 66, 67, 68, 69, 70, 85],
}

#: Why CCTV vectors are refused: the first failing check, and how many.
CCTV_REFUSALS = {
    "accept": 1,
    "A: identity": 22, "A: small order": 278, "A: mixed order": 360, "A: non-canonical": 226,
    "R: identity": 1, "R: small order": 7, "R: mixed order": 7, "R: non-canonical": 12,
}

ACCEPT = "accept"


# --- The suites --------------------------------------------------------------


def cctv_vectors() -> list[dict]:
    """``{id, key, msg, sig, flags}`` (bytes; flags a set) for each CCTV vector."""
    out = []
    for v in json.loads(CCTV_FILE.read_text(encoding="utf-8")):
        out.append({"suite": "cctv", "id": v["number"], "key": bytes.fromhex(v["key"]),
                    "msg": v["msg"].encode("utf-8"), "sig": bytes.fromhex(v["sig"]),
                    "flags": set(v["flags"] or ())})
    return out


def wycheproof_vectors() -> list[dict]:
    """``{id, key, msg, sig, result, flags, comment}`` for each Wycheproof case."""
    data = json.loads(WYCHEPROOF_FILE.read_text(encoding="utf-8"))
    out = []
    for g in data["testGroups"]:
        key = bytes.fromhex(g["publicKey"]["pk"])
        for t in g["tests"]:
            out.append({"suite": "wycheproof", "id": t["tcId"], "key": key,
                        "msg": bytes.fromhex(t["msg"]), "sig": bytes.fromhex(t["sig"]),
                        "result": t["result"], "flags": set(t["flags"]),
                        "comment": t["comment"]})
    return out


def all_vectors() -> list[dict]:
    return cctv_vectors() + wycheproof_vectors()


# --- An independent evaluation of the rule (RFC 8032 §5.1, pure Python) ------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
ZERO = (0, 1, 1, 0)


def _add(p, q):
    """Extended twisted Edwards addition, a = -1 (RFC 8032 §5.1.4); complete."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _neg(p):
    x, y, z, t = p
    return (-x % P, y, z, -t % P)


def _mul(k: int, p):
    """k·p by double-and-add (variable time: public test data only)."""
    q = ZERO
    while k:
        if k & 1:
            q = _add(q, p)
        p = _add(p, p)
        k >>= 1
    return q


def _eq(p, q) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _encode(p) -> bytes:
    zi = pow(p[2], -1, P)
    x, y = p[0] * zi % P, p[1] * zi % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


@cache
def _decode(data: bytes, strict: bool):
    """RFC 8032 §5.1.3 decoding; ``strict=False`` is ZIP215's lenient
    reading (y taken mod p, x = 0 with the sign bit allowed). None if the
    bytes name no curve point."""
    if len(data) != 32:
        return None
    n = int.from_bytes(data, "little")
    sign, y = n >> 255, n & ((1 << 255) - 1)
    if y >= P:
        if strict:
            return None
        y -= P
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * SQRT_M1 % P
    if v * x * x % P != u:
        return None
    if x == 0 and sign:
        if strict:
            return None
    elif x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


@cache
def classify(data: bytes) -> str:
    """What a 32-byte string is, as a point: "valid" (a §2.2 group element),
    or why not: "not a point", "non-canonical", "identity", "small order",
    "mixed order"."""
    p = _decode(data, False)
    if p is None:
        return "not a point"
    if _decode(data, True) is None or _encode(p) != data:
        return "non-canonical"
    if _eq(p, ZERO):
        return "identity"
    if _eq(_mul(8, p), ZERO):
        return "small order"
    if not _eq(_mul(L, p), ZERO):
        return "mixed order"
    return "valid"


def equations(key: bytes, msg: bytes, sig: bytes, reencode_k: bool = False):
    """(cofactorless, cofactored) truth of S·B = R + k·A on the leniently
    decoded points, k over the given bytes (or over the canonical
    re-encodings with ``reencode_k``); None if A or R is not a point."""
    a, r = _decode(key, False), _decode(sig[:32], False)
    if a is None or r is None:
        return None
    ka, kr = (_encode(a), _encode(r)) if reencode_k else (key, sig[:32])
    k = int.from_bytes(hashlib.sha512(kr + ka + msg).digest(), "little") % L
    s = int.from_bytes(sig[32:], "little")
    base = _decode(group.BASE, True)
    x = _add(_mul(s, base), _neg(_add(r, _mul(k, a))))
    return _eq(x, ZERO), _eq(_mul(8, x), ZERO)


def rule_verdict(key: bytes, msg: bytes, sig: bytes) -> str:
    """The stated rule: "accept", or the first check that fails —
    "length", "A: <class>", "R: <class>", "S: not below L", "equation"."""
    if len(sig) != 64:
        return "length"
    if (what := classify(key)) != "valid":
        return f"A: {what}"
    if (what := classify(sig[:32])) != "valid":
        return f"R: {what}"
    if int.from_bytes(sig[32:], "little") >= L:
        return "S: not below L"
    cofactorless, cofactored = equations(key, msg, sig)
    # A and R torsion-free: S·B − R − k·A is in the prime-order subgroup,
    # where 8·X = O only for X = O, so the two equations agree.
    assert cofactorless == cofactored
    return ACCEPT if cofactorless else "equation"


# --- The implementation under test -------------------------------------------


def python_verdict(key: bytes, msg: bytes, sig: bytes) -> str:
    """verify_ed25519's verdict: "accept", or which check refused, in the
    vocabulary of :func:`rule_verdict` (without the point's class)."""
    try:
        verify_ed25519(key, msg, sig)
    except InvalidProof:
        return "equation"
    except InvalidEncoding as exc:
        text = str(exc)
        for prefix, name in (("an Ed25519 signature is 64 bytes", "length"),
                             ("Ed25519 public key:", "A"), ("Ed25519 signature R:", "R"),
                             ("Ed25519 signature S:", "S")):
            if text.startswith(prefix):
                return name
        raise
    return ACCEPT


def check_name(verdict: str) -> str:
    """A rule verdict without the point's class: "A: small order" -> "A"."""
    return verdict.split(":")[0]


def accepts(verdict: str) -> bool:
    return verdict == ACCEPT


def expected_from_labels(v: dict) -> bool:
    """Acceptance as the suite's own data says it should be under our rule."""
    if v["suite"] == "cctv":
        # Every CCTV signature verifies under some (lenient) rule; ours
        # refuses exactly those with an invalid A or R.
        return not (v["flags"] & POINT_FLAGS)
    if v["id"] in WYCHEPROOF_DEVIATIONS:
        return v["result"] != "valid"
    return v["result"] == "valid"


# --- Tests --------------------------------------------------------------------


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@pytest.mark.parametrize("path", [CCTV_FILE, WYCHEPROOF_FILE], ids=lambda p: p.name)
def test_vector_files_are_the_upstream_objects(path):
    assert git_blob_id(path.read_bytes()) == UPSTREAM_BLOBS[path.name]


def test_suite_sizes_and_labels():
    cctv, wp = cctv_vectors(), wycheproof_vectors()
    assert [v["id"] for v in cctv] == list(range(914))
    assert all(v["flags"] <= CCTV_FLAGS for v in cctv)
    data = json.loads(WYCHEPROOF_FILE.read_text(encoding="utf-8"))
    assert len(wp) == data["numberOfTests"] == 151
    assert len({v["id"] for v in wp}) == 151


def test_wycheproof_labels():
    """Only "valid" and "invalid": no "acceptable" case to decide."""
    results = {}
    for v in wycheproof_vectors():
        results.setdefault(v["result"], []).append(v["id"])
    assert set(results) == {"valid", "invalid"}
    assert (len(results["valid"]), len(results["invalid"])) == (88, 63)


def test_the_reference_reproduces_every_cctv_flag():
    """The pure-Python reference classifies A and R and evaluates both
    equations exactly as the CCTV flags say, so its reading of the suite is
    the suite authors' reading."""
    for v in cctv_vectors():
        flags, sig = v["flags"], v["sig"]
        for name, point in (("A", v["key"]), ("R", sig[:32])):
            p = _decode(point, False)
            assert p is not None, (v["id"], name)
            low_order = _eq(_mul(8, p), ZERO)
            torsion_free = _eq(_mul(L, p), ZERO)
            canonical = _decode(point, True) is not None and _encode(p) == point
            assert (f"low_order_{name}" in flags) == low_order, (v["id"], name)
            assert (f"non_canonical_{name}" in flags) == (not canonical), (v["id"], name)
            assert (f"low_order_component_{name}" in flags) == (
                not torsion_free and not _eq(p, ZERO)), (v["id"], name)
        reencoded = "reencoded_k" in flags
        assert not reencoded or flags & {"non_canonical_A", "non_canonical_R"}
        cofactorless, cofactored = equations(v["key"], v["msg"], sig, reencode_k=reencoded)
        # Every vector verifies with the cofactored equation; the
        # cofactorless one fails exactly for low_order_residue (whose flag
        # is computed with the k over the bytes as given).
        assert cofactored, v["id"]
        if not reencoded:
            assert cofactorless == ("low_order_residue" not in flags), v["id"]
        assert int.from_bytes(sig[32:], "little") < L, v["id"]


def test_cctv_verdicts():
    verdicts, reasons = {}, {}
    for v in cctv_vectors():
        rule = rule_verdict(v["key"], v["msg"], v["sig"])
        assert accepts(rule) == expected_from_labels(v), (v["id"], v["flags"], rule)
        assert python_verdict(v["key"], v["msg"], v["sig"]) == check_name(rule), v["id"]
        verdicts.setdefault(check_name(rule), []).append(v["id"])
        reasons[rule] = reasons.get(rule, 0) + 1
    assert reasons == CCTV_REFUSALS
    # One vector has a prime-order A and R: it is the only one accepted.
    assert verdicts[ACCEPT] == [v["id"] for v in cctv_vectors() if not v["flags"]]
    assert {k: len(ids) for k, ids in verdicts.items()} == {ACCEPT: 1, "A": 886, "R": 27}


def test_wycheproof_verdicts():
    verdicts, mismatching = {}, {}
    for v in wycheproof_vectors():
        rule = rule_verdict(v["key"], v["msg"], v["sig"])
        if accepts(rule) != (v["result"] == "valid"):
            mismatching[v["id"]] = rule
        assert accepts(rule) == expected_from_labels(v), (v["id"], v["comment"], rule)
        assert python_verdict(v["key"], v["msg"], v["sig"]) == check_name(rule), v["id"]
        verdicts.setdefault(rule, []).append(v["id"])
    assert set(mismatching) == set(WYCHEPROOF_DEVIATIONS)
    assert len(verdicts.pop(ACCEPT)) == 88
    assert verdicts == WYCHEPROOF_REFUSALS


def test_decode_point_on_every_a_and_r():
    """group.decode_point accepts exactly the §2.2 group elements among all
    public keys and R values of both suites; for CCTV that is exactly the
    points without a low-order, low-order-component or non-canonical flag."""
    seen: dict[bytes, str] = {}
    for v in all_vectors():
        points = [("A", v["key"])] + ([("R", v["sig"][:32])] if len(v["sig"]) >= 32 else [])
        for name, point in points:
            what = classify(point)
            try:
                assert group.decode_point(point) == point
                decoded = True
            except InvalidEncoding:
                decoded = False
            assert decoded == (what == "valid"), (v["suite"], v["id"], name, what)
            if v["suite"] == "cctv":
                bad = {f"low_order_{name}", f"low_order_component_{name}",
                       f"non_canonical_{name}"}
                assert decoded == (not v["flags"] & bad), (v["id"], name)
            seen[point] = what
    counts: dict[str, int] = {}
    for what in seen.values():
        counts[what] = counts.get(what, 0) + 1
    # Distinct 32-byte strings used as A or R, by class. The 14 encodings of
    # the 8 small-order points (CCTV README) are all there.
    assert counts["identity"] + counts["small order"] + sum(
        1 for p, w in seen.items() if w == "non-canonical" and _eq(_mul(8, _decode(p, False)),
                                                                   ZERO)) == 14
    assert counts == {"valid": 148, "identity": 1, "small order": 7, "non-canonical": 7,
                      "mixed order": 22, "not a point": 9}


def test_cofactored_and_cofactorless_agree_where_the_points_are_valid():
    """The claim that the choice of equation does not matter, checked on
    every vector whose A and R pass §2.2 (rule_verdict asserts it too)."""
    checked = 0
    for v in all_vectors():
        if len(v["sig"]) == 64 and classify(v["key"]) == classify(v["sig"][:32]) == "valid":
            cofactorless, cofactored = equations(v["key"], v["msg"], v["sig"])
            assert cofactorless == cofactored, (v["suite"], v["id"])
            checked += 1
    assert checked == 1 + 101  # CCTV: the flag-free vector; Wycheproof: 88 + 4 + 9


def openssl_accepts(key: bytes, msg: bytes, sig: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
    except (InvalidSignature, ValueError):
        return False
    return True


def test_the_rule_is_stricter_than_openssl():
    """Whatever the rule accepts, OpenSSL (behind cryptography, which
    record.py used) accepts too; what OpenSSL accepts beyond it is only
    CCTV vectors with a small-order or mixed-order A or R."""
    extra = []
    for v in all_vectors():
        ours = accepts(rule_verdict(v["key"], v["msg"], v["sig"]))
        theirs = openssl_accepts(v["key"], v["msg"], v["sig"])
        assert theirs or not ours, (v["suite"], v["id"])
        if theirs and not ours:
            extra.append(v)
    assert extra and all(v["suite"] == "cctv" for v in extra)
    assert all(v["flags"] & POINT_FLAGS for v in extra)


def test_honest_signatures_verify_and_altered_ones_do_not():
    for _ in range(20):
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        msg = secrets.token_bytes(secrets.randbelow(100))
        sig = key.sign(msg)
        verify_ed25519(public, msg, sig)
        assert rule_verdict(public, msg, sig) == ACCEPT
        i = secrets.randbelow(64 * 8)
        altered = bytearray(sig)
        altered[i // 8] ^= 1 << (i % 8)
        with pytest.raises(CryptoError):
            verify_ed25519(public, msg, bytes(altered))
        with pytest.raises(InvalidProof):
            verify_ed25519(public, msg + b"x", sig)


def _without_checks(monkeypatch, skip_points: set[int] = frozenset(), skip_scalar: bool = False):
    """Make verify_ed25519 skip its A check (call 0), R check (call 1) or S
    range check, to show the suites would notice."""
    calls = {"n": 0}
    strict = group.decode_point

    def decode_point(data):
        n = calls["n"]
        calls["n"] = n + 1
        return bytes(data) if n % 2 in skip_points else strict(data)

    def decode_scalar(data):
        return int.from_bytes(data, "little")

    fake = type("FakeGroup", (), {})()
    for name in ("L", "add", "mul", "mul_base"):
        setattr(fake, name, getattr(group, name))
    fake.decode_point = decode_point
    fake.decode_scalar = decode_scalar if skip_scalar else group.decode_scalar
    monkeypatch.setattr(signature_module, "group", fake)
    return calls


#: The vectors a verify_ed25519 without one check would wrongly accept.
#: Without the A check libsodium's scalar multiplication still refuses every
#: small-order, mixed-order or non-canonical A, but group.mul maps the
#: identity to itself, so CCTV 303 (A = identity, S·B = R) slips through;
#: without the R check the identity and its non-canonical encodings do.
WRONGLY_ACCEPTED = {
    "A": [("cctv", 303)],
    "R": [("cctv", 304), ("cctv", 316), ("cctv", 319), ("cctv", 322), ("wycheproof", 151)],
    "S": [("wycheproof", 63), ("wycheproof", 64), ("wycheproof", 65), ("wycheproof", 66),
          ("wycheproof", 85)],
}


@pytest.mark.parametrize("skip", sorted(WRONGLY_ACCEPTED))
def test_the_suites_notice_a_missing_check(monkeypatch, skip):
    calls = _without_checks(monkeypatch, {"A": {0}, "R": {1}}.get(skip, set()), skip == "S")
    wrong = []
    for v in all_vectors():
        if len(v["sig"]) != 64:
            continue
        calls["n"] = 0
        try:
            verify_ed25519(v["key"], v["msg"], v["sig"])
            accepted = True
        except Exception:  # libsodium may refuse what the missing check let through
            accepted = False
        if accepted and not expected_from_labels(v):
            wrong.append((v["suite"], v["id"]))
    assert wrong == WRONGLY_ACCEPTED[skip]
