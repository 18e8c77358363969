"""Homomorphic tally, partial decryptions, Lagrange combination and
discrete-log recovery of counts (PROTOCOL.md §11).

The tally has one ciphertext per *entry*: per contest, one per option
(``options`` encoding) or one in all (``packed``).
"""

from __future__ import annotations

from math import isqrt

from . import group
from .codec import expect_int
from .codec import expect_list
from .codec import expect_object
from .codec import parse_point
from .codec import parse_scalar
from .codec import point_hex
from .codec import scalar_hex
from .election import Election
from .elgamal import Ciphertext
from .elgamal import ZERO
from .errors import InvalidStructure
from .group import Rng
from .hashing import u32
from .keys import lagrange_at_zero
from .proofs import prove_dleq
from .proofs import verify_dleq
from .rules import evaluate

Tally = list[list[Ciphertext]]


def empty_tally(election: Election) -> Tally:
    return [[ZERO] * c.tally_entries() for c in election.manifest.contests]


def add_rows(tally: Tally, contests) -> Tally:
    """Add per-contest ciphertext lists (a ballot's or another tally) to ``tally``."""
    return [[t + ct for t, ct in zip(row, cts, strict=True)]
            for row, cts in zip(tally, contests, strict=True)]


def tally_to_json(tally: Tally) -> list:
    return [[ct.to_json() for ct in row] for row in tally]


def parse_tally(election: Election, obj) -> Tally:
    """Decode a published tally of a round with ballots: the manifest's
    shape, every point valid (§2.2; the identity only occurs in a round
    without ballots, which is never decoded, §11.5)."""
    contests = election.manifest.contests
    rows = expect_list(obj, "tally", len(contests))
    return [[Ciphertext.from_json(ct, f"tally[{i}]")
             for ct in expect_list(row, f"tally[{i}]", contest.tally_entries())]
            for i, (row, contest) in enumerate(zip(rows, contests, strict=True))]


def _context(election: Election, index: int, contest: int, entry: int):
    return (election.fingerprint, election.public_key, u32(index), u32(contest), u32(entry))


def partial_decrypt(election: Election, tally: Tally, index: int, share: int,
                    rng: Rng = group.os_rng) -> dict:
    """Trustee ``index``'s decryption share D = s_i·A for every entry, each
    with a proof that log_B(K_i) = log_A(D) (§11.1). Entries are in tally
    order; their alphas must not be the identity (a non-empty tally).
    """
    rows = []
    for i, row in enumerate(tally):
        out = []
        for j, ct in enumerate(row):
            c, u = prove_dleq(share, ct.alpha, _context(election, index, i, j), rng)
            out.append({"d": point_hex(group.mul(share, ct.alpha)),
                        "c": scalar_hex(c), "u": scalar_hex(u)})
        rows.append(out)
    return {"trustee": index, "shares": rows}


def parse_partial(election: Election, obj) -> tuple[int, list[list[tuple[bytes, int, int]]]]:
    """Decode a partial decryption; points validated, shape checked."""
    expect_object(obj, {"trustee", "shares"}, "partial decryption")
    index = expect_int(obj["trustee"], "partial.trustee", 1, len(election.trustees))
    contests = election.manifest.contests
    rows = []
    for i, (row, contest) in enumerate(zip(expect_list(obj["shares"], "partial.shares",
                                                       len(contests)), contests, strict=True)):
        entries = []
        for item in expect_list(row, f"partial.shares[{i}]", contest.tally_entries()):
            expect_object(item, {"d", "c", "u"}, "partial share")
            entries.append((parse_point(item["d"]), parse_scalar(item["c"]),
                            parse_scalar(item["u"])))
        rows.append(entries)
    return index, rows


def verify_partial(election: Election, tally: Tally, index: int, rows) -> None:
    """Check every decryption proof of trustee ``index`` (§11.1).

    :raises InvalidProof: on the first proof that fails.
    """
    trustee = election.trustee(index)
    if trustee is None:
        raise InvalidStructure(f"unknown trustee {index}")
    for i, (row, cts) in enumerate(zip(rows, tally, strict=True)):
        for j, ((d, c, u), ct) in enumerate(zip(row, cts, strict=True)):
            verify_dleq(trustee.public_share, ct.alpha, d, c, u,
                        _context(election, index, i, j))


def combine(election: Election, tally: Tally, partials: dict[int, list],
            cast: int) -> list[list[int]]:
    """Recover each contest's per-option counts from t partial decryptions (§11.2–11.4).

    M = beta - Σ λ_i·D_i = m·B; m is found by baby-step giant-step below
    its bound, then packed contests are split into base-radix digits.

    :raises ValueError: fewer than ``threshold`` partials, or no m in range.
    """
    if len(partials) < election.threshold:
        raise ValueError("fewer partial decryptions than the threshold")
    lam = lagrange_at_zero(sorted(partials))
    counts = []
    for i, (contest, row) in enumerate(zip(election.manifest.contests, tally, strict=True)):
        plain = []
        for j, ct in enumerate(row):
            shares = group.sum_points(group.mul(lam[k], partials[k][i][j][0]) for k in lam)
            bound = cast * (max(contest.packed_values(election.radix))
                            if contest.encoding == "packed" else 1)
            plain.append(discrete_log(group.sub(ct.beta, shares), bound))
        counts.append(_unpack(plain[0], election.radix, len(contest.options))
                      if contest.encoding == "packed" else plain)
    return counts


def _unpack(value: int, radix: int, n: int) -> list[int]:
    digits = []
    for _ in range(n):
        value, d = divmod(value, radix)
        digits.append(d)
    if value:
        raise ValueError("packed total exceeds its digits")
    return digits


_BABY: dict[int, dict[bytes, int]] = {}


def discrete_log(point: bytes, bound: int) -> int:
    """Find m in [0, bound] with m·B = point (baby-step giant-step).

    :raises ValueError: if there is none.
    """
    step = isqrt(bound) + 1
    table = _BABY.get(step)
    if table is None:
        table, p = {}, group.IDENTITY
        for j in range(step):
            table[p] = j
            p = group.add(p, group.BASE)
        _BABY.clear()
        _BABY[step] = table
    giant = group.mul_base(step)
    p = point
    for i in range(step + 1):
        j = table.get(p)
        if j is not None and i * step + j <= bound:
            return i * step + j
        p = group.sub(p, giant)
    raise ValueError("decrypted value out of range")



def ciphertext_blob(ballot_obj: dict) -> bytes:
    """A ballot's ciphertexts in tally order as alpha || beta, 64 bytes an
    entry: the compact form the server keeps for tallying."""
    return b"".join(bytes.fromhex(ct["alpha"]) + bytes.fromhex(ct["beta"])
                    for contest in ballot_obj["contests"] for ct in contest["ciphertexts"])


def tally_blobs(election: Election, blobs) -> Tally:
    """Sum ciphertext blobs of ballots the board has already accepted.

    Their points were validated when cast (and the verifier validates them
    again), so they are added here without repeating the subgroup check.
    """
    sizes = [c.tally_entries() for c in election.manifest.contests]
    n = sum(sizes)
    alphas, betas = [group.IDENTITY] * n, [group.IDENTITY] * n
    add = group.add
    for blob in blobs:
        if len(blob) != 64 * n:
            raise ValueError("ciphertext blob does not fit the manifest")
        for k in range(n):
            alphas[k] = add(alphas[k], blob[64 * k:64 * k + 32])
            betas[k] = add(betas[k], blob[64 * k + 32:64 * k + 64])
    flat = [Ciphertext(a, b) for a, b in zip(alphas, betas, strict=True)]
    rows, start = [], 0
    for size in sizes:
        rows.append(flat[start:start + size])
        start += size
    return rows


def tally_ballots(election: Election, ballot_objs) -> Tally:
    """Sum the ciphertexts of accepted ballots given as JSON objects."""
    return tally_blobs(election, map(ciphertext_blob, ballot_objs))


def sum_tallies(tallies) -> Tally:
    tallies = list(tallies)
    total = tallies[0]
    for t in tallies[1:]:
        total = add_rows(total, t)
    return total


def result_body(election: Election, tally: Tally, partial_objs: list[dict],
                bases: dict[str, int]) -> dict:
    """Combine the first ``threshold`` partial decryptions (in the order
    given) into counts and rule outcomes: the ``result`` event's body."""
    cast = bases["cast"]
    chosen: dict[int, list] = {}
    if cast:
        for obj in partial_objs[: election.threshold]:
            index, rows = parse_partial(election, obj)
            chosen[index] = rows
        counts = combine(election, tally, chosen, cast)
    else:
        counts = [[0] * len(c.options) for c in election.manifest.contests]
    return {"trustees": sorted(chosen), "counts": counts,
            "outcomes": evaluate(election.manifest, counts, bases)}
