"""The election-record verifier: the numbered checks of PROTOCOL.md §14.

``scan.scan_record`` reads the record once (ballots in worker processes);
each check below is then one function of what it read, named and documented
by its number in §14. A check returns its failures; it passes only when it
was evaluated and found none: a check whose inputs are missing or
unreadable returns a failure that says so ("not evaluated: …").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from functools import cached_property

from . import keys
from .audit import verify_audit
from .board import GENESIS
from .codec import expect_object
from .codec import hex_bytes32
from .codec import parse_point
from .election import fingerprint
from .errors import CryptoError
from .events import close_bases
from .hashing import canonical_json
from .record import check_record_signature
from .record import key_fingerprint
from .rules import evaluate
from .scan import Scan
from .scan import scan_record
from .tally import combine
from .tally import parse_partial
from .tally import parse_tally
from .tally import tally_to_json
from .tally import verify_partial

#: Allowed successors of each event type (PROTOCOL.md §9.2).
NEXT = {
    None: {"setup"}, "setup": {"open"}, "open": {"ballot", "revoke", "audit", "close"},
    "ballot": {"ballot", "revoke", "audit", "close"},
    "revoke": {"ballot", "revoke", "audit", "close"},
    "audit": {"ballot", "revoke", "audit", "close"},
    "close": {"tally"}, "tally": {"partial", "result"}, "partial": {"partial", "result"},
    "result": set(),
}
MAX_DETAILS = 5
_SIGNATURE_HEX = re.compile(r"[0-9a-f]{128}\Z")


class NotEvaluated(Exception):
    """A check's inputs are missing or unreadable: the check fails (§14)."""


@dataclass
class Verification:
    """What several checks derive from the scan, computed once."""

    scan: Scan
    #: The server key the auditor expects (``--server-key``, §13): check 3
    #: fails when the record names another; None compares nothing.
    server_key: bytes | None = None
    #: The ballot client's SHA-256 the auditor expects (``--client-hash``,
    #: §5.3), 64 lowercase hex: check 4 fails when the election names
    #: another; None compares nothing.
    client_hash: str | None = None

    @cached_property
    def cast(self) -> int:
        """The number of ballot events before the close event (§14, check 14)."""
        return sum(1 for b in self.scan.ballots if b.before_close)

    @cached_property
    def published_tally(self):
        """The tally event's ciphertexts, decoded (checks 16 and 17)."""
        election = _election(self.scan)
        found = self.scan.first("tally")
        if found is None:
            raise NotEvaluated("no readable tally event")
        try:
            return parse_tally(election, found[1]["ciphertexts"])
        except CryptoError as exc:
            raise NotEvaluated(f"the tally event cannot be decoded: {exc}") from exc

    @cached_property
    def partials(self) -> tuple[dict[int, list], list[str]]:
        """Trustee -> rows of the first valid partial decryption of each
        trustee, and the problems of the others (check 16)."""
        election, valid, problems = _election(self.scan), {}, []
        partials = self.scan.all("partial")
        if partials and self.cast == 0:
            return {}, ["a round without ballots has no partial decryptions"]
        if not partials:
            return {}, []
        tally, seen = self.published_tally, set()
        for index, body in partials:
            try:
                trustee, rows = parse_partial(election, body)
                if trustee in seen:
                    raise CryptoError(f"trustee {trustee} decrypted twice")
                seen.add(trustee)
                verify_partial(election, tally, trustee, rows)
            except CryptoError as exc:
                problems.append(f"event {index}: {exc}")
                continue
            valid[trustee] = rows
        return valid, problems


def _board(scan: Scan) -> None:
    """Checks 2–18 read the board: every line must be readable (check 1)."""
    if scan.unreadable is not None or scan.signature_json is None:
        raise NotEvaluated("the record's members cannot be read")
    for line in scan.lines:
        if line.type is None:
            raise NotEvaluated(f"event {line.index} is unreadable (check 1)")


def _election(scan: Scan):
    _board(scan)
    if scan.election is None:
        raise NotEvaluated("no valid election object (checks 4–7)")
    return scan.election


def _setup(scan: Scan) -> dict:
    _board(scan)
    if scan.setup is None:
        raise NotEvaluated("event 0 is not a readable setup event")
    return scan.setup


def _signature_object(scan: Scan) -> dict:
    """signature.json, canonical, with exactly its three typed fields (§13)."""
    obj = json.loads(scan.signature_json.decode("utf-8"))
    expect_object(obj, {"head", "events", "signature"}, "signature.json")
    hex_bytes32(obj["head"])
    if type(obj["events"]) is not int or not 0 <= obj["events"] <= 2**53:
        raise CryptoError("signature.json: events must be an integer")
    if not isinstance(obj["signature"], str) or not _SIGNATURE_HEX.match(obj["signature"]):
        raise CryptoError("signature.json: signature must be 128 lowercase hex characters")
    if canonical_json(obj) != scan.signature_json:
        raise CryptoError("signature.json is not in canonical JSON")
    return obj


def _same_json(computed, published) -> bool:
    """Equal as JSON values, type for type (``true`` is not ``1``, §3.2). A
    computed value canonical JSON cannot carry (an integer past 2^53) equals
    nothing published."""
    try:
        return canonical_json(computed) == canonical_json(published)
    except TypeError:
        return False


# --- the checks ----------------------------------------------------------------

def check_1_record_format(v: Verification) -> list[str]:
    """§14.1: exactly the two members; every line readable, in canonical form,
    with the keys and types of §9.1 and §9.3; the board ends with a newline;
    signature.json well-formed (§13)."""
    scan = v.scan
    if scan.unreadable is not None:
        return [scan.unreadable]
    failures = list(scan.container)
    if scan.signature_json is not None:
        try:
            _signature_object(scan)
        except (ValueError, CryptoError) as exc:
            failures.append(str(exc))
    if scan.signature_json is not None and not scan.lines:
        failures.append("board.jsonl holds no events")
    if scan.newline_missing:
        failures.append("board.jsonl does not end with a newline")
    failures += [f"event {ln.index}: {p}" for ln in scan.lines for p in ln.problems]
    return failures


def check_2_board_chain(v: Verification) -> list[str]:
    """§14.2: seq counts from 0, each parent is the previous line's hash, the
    types follow §9.2, and the board ends with a result event."""
    scan, failures, previous, parent = v.scan, [], None, GENESIS
    _board(scan)
    for line in scan.lines:
        if line.seq != line.index or line.parent != parent.hex():
            failures.append(f"event {line.index}: does not link to its predecessor")
        if line.type not in NEXT[previous]:
            failures.append(f"event {line.index}: '{line.type}' cannot follow '{previous}'")
        previous, parent = line.type, line.hash
    if previous != "result":
        failures.append("the board does not end with a result")
    return failures


def check_3_record_signature(v: Verification) -> list[str]:
    """§14.3: signature.json names the final head and number of events, and
    its Ed25519 signature (§13) verifies under the election's server_key,
    which, when the auditor gave one, is the key they expect (§13)."""
    scan, setup = v.scan, _setup(v.scan)
    try:
        obj = _signature_object(scan)
    except (ValueError, CryptoError) as exc:
        raise NotEvaluated(f"signature.json is malformed: {exc}") from exc
    if obj["head"] != scan.head.hex() or obj["events"] != len(scan.lines):
        return ["signature names another head or event count"]
    election, failures = setup["election"], []
    try:
        server_key = hex_bytes32(election.get("server_key"))  # validated as A (§13)
        if v.server_key is not None and server_key != v.server_key:
            failures.append(f"the record is signed by server key {key_fingerprint(server_key)}, "
                            f"not by the expected {key_fingerprint(v.server_key)}")
        check_record_signature(server_key, fingerprint(election), scan.head, len(scan.lines),
                               bytes.fromhex(obj["signature"]))
    except CryptoError as exc:
        failures.append(str(exc))
    return failures


def check_4_fingerprint(v: Verification) -> list[str]:
    """§14.4: the setup event's fingerprint is H32("fingerprint", …) of its
    election object. Every later check uses the recomputed fingerprint.
    With an expected ballot client, the election must name that one."""
    setup = _setup(v.scan)
    failures = []
    if setup["fingerprint"] != fingerprint(setup["election"]).hex():
        failures.append("recorded fingerprint differs from the recomputed one")
    named = setup["election"].get("ballot_client")
    if v.client_hash is not None and named != v.client_hash:
        failures.append(f"the election names ballot client {named}, "
                        f"not the expected {v.client_hash}")
    return failures


def check_5_manifest(v: Verification) -> list[str]:
    """§14.5: the manifest satisfies §5.1 and §5.2."""
    _setup(v.scan)
    problem = v.scan.election_problems.get(5)
    return [problem] if problem else []


def check_6_trustee_keys(v: Verification) -> list[str]:
    """§14.6: the election object is well-formed (§5.3), every coefficient
    proof verifies, and the joint key and public shares follow from the
    commitments (§4.2, §4.3)."""
    scan = v.scan
    _setup(scan)
    if 5 in scan.election_problems or 7 in scan.election_problems:
        raise NotEvaluated("the manifest or the credentials are invalid (check 5 or 7)")
    if 6 in scan.election_problems:
        return [scan.election_problems[6]]
    election, failures = scan.election, []
    try:
        keys.verify_dealings(election.dealings)
    except CryptoError as exc:
        failures.append(str(exc))
    if keys.joint_public_key(election.dealings) != election.public_key:
        failures.append("public key is not the sum of the dealers' constant commitments")
    failures += [f"public share of trustee {t.index} does not match" for t in election.trustees
                 if keys.public_share(election.dealings, t.index) != t.public_share]
    return failures


def check_7_credentials(v: Verification) -> list[str]:
    """§14.7: valid points, sorted and distinct; packed contests fit (§6.3)."""
    scan = v.scan
    _setup(scan)
    if 5 in scan.election_problems:
        raise NotEvaluated("the manifest is invalid (check 5)")
    problem = scan.election_problems.get(7)
    return [problem] if problem else []


def _per_ballot(attribute: str) -> Callable[[Verification], list[str]]:
    def check(v: Verification) -> list[str]:
        _election(v.scan)
        return [f"event {b.index}: {getattr(b, attribute)}" for b in v.scan.ballots
                if getattr(b, attribute) is not None]
    return check


check_8_ballot_format = _per_ballot("format")
check_8_ballot_format.__doc__ = """§14.8: each ballot satisfies §8.2 for this
manifest, names this round and the (recomputed) fingerprint, and every point
and scalar in it is valid."""
check_9_ballot_signatures = _per_ballot("signature")
check_9_ballot_signatures.__doc__ = """§14.9: each ballot's signature verifies
(§8.3); a ballot that fails check 8 fails this check too."""
check_10_trackers = _per_ballot("tracker")
check_10_trackers.__doc__ = """§14.10: each ballot event's tracker is §8.4
computed on its ballot, whatever the ballot holds."""
check_12_selection_proofs = _per_ballot("selections")
check_12_selection_proofs.__doc__ = """§14.12: every selection proof and every
packed contest proof verifies (§7.1); a ballot that fails check 8 fails this."""
check_13_range_proofs = _per_ballot("ranges")
check_13_range_proofs.__doc__ = """§14.13: each options contest's range proof
verifies over the sum of its ciphertexts; a ballot failing check 8 fails this."""


def check_11_eligibility(v: Verification) -> list[str]:
    """§14.11: in board order, each ballot's credential is published, not
    revoked earlier, and casts no second ballot; each revoked credential is
    published, not revoked twice and has not voted; no α appears twice on
    the board, within one ballot or across ballots."""
    election, failures = _election(v.scan), []
    items = [(b.index, "ballot", b) for b in v.scan.ballots]
    items += [(index, "revoke", body) for index, body in v.scan.all("revoke")]
    used, revoked, alphas = set(), set(), set()
    for index, kind, item in sorted(items, key=lambda x: x[0]):
        if kind == "ballot":
            credential = item.credential
            if item.alphas is None:
                failures.append(f"event {index}: not evaluated: its ciphertexts are unreadable")
            else:
                if len(set(item.alphas)) != len(item.alphas) or alphas & set(item.alphas):
                    failures.append(f"event {index}: a ciphertext repeats an α on the board")
                alphas.update(item.alphas)
        else:
            try:
                credential = parse_point(item["credential"])
            except CryptoError:
                credential = None
        if credential is None:
            failures.append(f"event {index}: not evaluated: the credential is not valid")
        elif credential not in election.credentials:
            failures.append(f"event {index}: credential is not published")
        elif credential in revoked:
            failures.append(f"event {index}: credential was revoked before")
        elif kind == "revoke":
            if credential in used:
                failures.append(f"event {index}: revokes a credential that has voted")
            revoked.add(credential)
        elif credential in used:
            failures.append(f"event {index}: second ballot from one credential")
        else:
            used.add(credential)
    return failures


def _close(v: Verification) -> dict[str, int]:
    found = v.scan.first("close")
    if found is None:
        raise NotEvaluated("no readable close event")
    return close_bases(found[1])


def check_14_close(v: Verification) -> list[str]:
    """§14.14: with cast = the ballot events before the close event,
    the bases satisfy cast ≤ issued ≤ present ≤ members, the published cast
    is that number, and it is at most the number of credentials."""
    election, bases, failures = _election(v.scan), _close(v), []
    if bases["cast"] != v.cast:
        failures.append(f"cast is {bases['cast']} but {v.cast} ballots precede the close")
    if not bases["cast"] <= bases["issued"] <= bases["present"] <= bases["members"]:
        failures.append("the bases must satisfy cast <= issued <= present <= members")
    if bases["cast"] > len(election.credential_list):
        failures.append("more ballots than published credentials")
    return failures


def check_15_encrypted_tally(v: Verification) -> list[str]:
    """§14.15: the tally event is the component-wise sum of the ciphertexts
    of every ballot event before the close event, valid or not (§11.1)."""
    scan = v.scan
    _election(scan)
    found = scan.first("tally")
    if found is None:
        raise NotEvaluated("no readable tally event")
    unreadable = [b.index for b in scan.ballots if b.before_close and b.alphas is None]
    if unreadable:
        raise NotEvaluated(f"the ciphertexts of event {unreadable[0]} are unreadable")
    if not _same_json(tally_to_json(scan.ballot_sum), found[1]["ciphertexts"]):
        return ["recorded tally is not the sum of the ballots"]
    return []


def check_16_partial_decryptions(v: Verification) -> list[str]:
    """§14.16: each partial decryption of the published tally comes from a
    known trustee, at most once per trustee, has the tally's shape and valid
    points, and every DLEQ proof verifies; a round without ballots has none."""
    _election(v.scan)
    return v.partials[1]


def check_17_counts(v: Verification) -> list[str]:
    """§14.17: the result names a sorted set of at least t trustees with
    valid partial decryptions (none without ballots), and combining them on
    the published tally (§11.2–§11.4) gives exactly the published counts."""
    election = _election(v.scan)
    found = v.scan.first("result")
    if found is None:
        raise NotEvaluated("no readable result event")
    body = found[1]
    named = body["trustees"]
    if v.cast == 0:
        counts = [[0] * len(c.options) for c in election.manifest.contests]
        if named:
            return ["a round without ballots names no trustees"]
    else:
        valid = v.partials[0]
        if (named != sorted(set(named)) or len(named) < election.threshold
                or any(i not in valid for i in named)):
            return ["the result must name a sorted set of at least t trustees with valid "
                    "partial decryptions"]
        try:
            counts = combine(election, v.published_tally, {i: valid[i] for i in named}, v.cast)
        except ValueError as exc:
            return [str(exc)]
    if not _same_json(counts, body["counts"]):
        return ["published counts differ from the decrypted tally"]
    return []


def check_18_rule_outcomes(v: Verification) -> list[str]:
    """§14.18: the rules (§10) applied to the published counts and the close
    event's bases give exactly the published outcomes."""
    election = _election(v.scan)
    found = v.scan.first("result")
    if found is None:
        raise NotEvaluated("no readable result event")
    bases, body = _close(v), found[1]
    counts = body["counts"]
    shape = [len(c.options) for c in election.manifest.contests]
    if [len(row) for row in counts] != shape:
        raise NotEvaluated("the published counts do not have the manifest's shape")
    outcomes = evaluate(election.manifest, counts, bases)
    if not _same_json(outcomes, body["outcomes"]):
        return ["recorded outcomes differ from the rules applied to the counts"]
    return []


def check_19_audits(v: Verification) -> list[str]:
    """§14.19: every audit event (§8.6) re-encrypts to its own ciphertexts:
    this round and fingerprint, the manifest's shape, valid points and
    non-zero scalars, allowed choices. A board without audits passes."""
    election = _election(v.scan)
    failures = []
    for index, body in v.scan.all("audit"):
        try:
            verify_audit(election, body)
        except CryptoError as exc:
            failures.append(f"event {index}: {exc}")
    return failures


CHECKS: dict[int, tuple[str, Callable[[Verification], list[str]]]] = {
    1: ("Record format: exactly two members, canonical JSON, well-formed events",
        check_1_record_format),
    2: ("Board chain: consecutive events, each linking its parent's hash, in the allowed order",
        check_2_board_chain),
    3: ("Record signature: the server's Ed25519 signature over fingerprint and head",
        check_3_record_signature),
    4: ("Fingerprint: recomputed from the election object", check_4_fingerprint),
    5: ("Manifest: contests, options, encodings and rules well-formed", check_5_manifest),
    6: ("Trustee keys: coefficient proofs; joint key and public shares follow from commitments",
        check_6_trustee_keys),
    7: ("Credentials: valid group elements, sorted and distinct", check_7_credentials),
    8: ("Ballot format: this round and fingerprint, manifest's shape, valid points",
        check_8_ballot_format),
    9: ("Ballot signatures: each ballot signed by its credential", check_9_ballot_signatures),
    10: ("Trackers: each ballot's tracker is the hash of its bytes", check_10_trackers),
    11: ("Eligibility: published, unrevoked credentials, one ballot each, no repeated α",
         check_11_eligibility),
    12: ("Selection proofs: each selection is 0 or 1, each packed contest an allowed value",
         check_12_selection_proofs),
    13: ("Range proofs: each contest's number of selections lies in [min, max]",
         check_13_range_proofs),
    14: ("Close: cast <= issued <= present <= members, cast = the ballots before close",
         check_14_close),
    15: ("Encrypted tally: the homomorphic sum of all ballots", check_15_encrypted_tally),
    16: ("Partial decryptions: distinct known trustees, every proof valid",
         check_16_partial_decryptions),
    17: ("Counts: t partial decryptions combine to the published counts", check_17_counts),
    18: ("Rule outcomes: recomputed with exact fractions from counts and bases",
         check_18_rule_outcomes),
    19: ("Audited encryptions: revealed choices and randomness reproduce each audit's "
         "ciphertexts", check_19_audits),
}


@dataclass
class Report:
    """Per check, its failures: a check passed if and only if it has none."""

    failures: dict[int, list[str]] = field(default_factory=lambda: {n: [] for n in CHECKS})
    ballots: int = 0
    #: The published counts, when check 17 verified them, and the ids of
    #: their contests and options.
    counts: list[list[int]] | None = None
    contests: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    #: The published outcomes, when checks 17 and 18 verified them (one
    #: list a rule, §10), and each rule's base.
    outcomes: list[list[dict]] | None = None
    rule_bases: list[str] = field(default_factory=list)
    #: When check 6 passed: the ceremony that made the key (§4.1), its
    #: number of dealers, and t of n.
    key: tuple[str, int, int, int] | None = None
    #: When check 6 passed: the SHA-256 of the ballot client the election names.
    ballot_client: str | None = None

    def key_line(self) -> str | None:
        """Which ceremony made the key, in words (None if check 6 failed)."""
        if self.key is None:
            return None
        ceremony, dealers, t, n = self.key
        how = (f"distributed generation, {dealers} dealers (one per trustee)"
               if ceremony == "distributed" else "one offline dealer")
        return f"Key: {how}; any {t} of {n} trustees decrypt"

    def count_lines(self) -> list[str]:
        """The verified counts, one contest a line (empty if unverified)."""
        if self.counts is None:
            return []
        return [f"  {cid}: " + ", ".join(f"{o} {n}" for o, n in zip(options, row, strict=True))
                for (cid, options), row in zip(self.contests, self.counts, strict=True)]

    def outcome_lines(self) -> list[str]:
        """The verified outcomes, one candidate a line: ``rule r, candidate:
        count of base <base>, status`` (empty if unverified). A candidate is
        its contest (agree / disagree) or ``contest/option`` (choose-k)."""
        if self.outcomes is None:
            return []
        out = []
        for r, (rule, base) in enumerate(zip(self.outcomes, self.rule_bases, strict=True), 1):
            for o in rule:
                cid, options = self.contests[o["contest"]]
                who = cid if o["option"] is None else f"{cid}/{options[o['option']]}"
                out.append(f"  rule {r}, {who}: {o['count']} of {o['base']} {base}, "
                           f"{o['status']}")
        return out

    def passed(self, check: int) -> bool:
        return not self.failures[check]

    @property
    def ok(self) -> bool:
        return all(self.passed(n) for n in CHECKS)

    def lines(self) -> list[str]:
        out = []
        for n, (title, _) in CHECKS.items():
            out.append(f"[{n:2d}] {'PASS' if self.passed(n) else 'FAIL'}  {title}")
            errors = self.failures[n]
            out += [f"       - {m}" for m in errors[:MAX_DETAILS]]
            if len(errors) > MAX_DETAILS:
                out.append(f"       - ... and {len(errors) - MAX_DETAILS} more")
        return out


def verify_record(path, workers: int = 2, progress: Callable[[str], None] | None = None, *,
                  server_key: bytes | None = None, client_hash: str | None = None) -> Report:
    """Run every check of §14 on the record at ``path``.

    :param server_key: the raw Ed25519 public key the auditor expects the
        record to be signed by (its fingerprint, §13); check 3 fails if the
        election names another. None: the record's own key is taken as is.
    :param client_hash: the ballot client's SHA-256 (64 lowercase hex) the
        auditor rebuilt (§5.3, §15); check 4 fails if the election names another.
    """
    v = Verification(scan_record(path, workers, progress), server_key, client_hash)
    report = Report(ballots=len(v.scan.ballots))
    for n, (_, check) in CHECKS.items():
        try:
            report.failures[n] = check(v)
        except NotEvaluated as exc:
            report.failures[n] = [f"not evaluated: {exc}"]
    if report.passed(6):
        e = v.scan.election
        report.key = (e.ceremony, len(e.dealings), e.threshold, len(e.trustees))
        report.ballot_client = e.ballot_client
    if report.passed(17):
        report.counts = v.scan.first("result")[1]["counts"]
        report.contests = [(c.id, c.options) for c in v.scan.election.manifest.contests]
        if report.passed(18):  # outcomes of verified counts only
            report.outcomes = v.scan.first("result")[1]["outcomes"]
            report.rule_bases = [rule.base for rule in v.scan.election.manifest.rules]
    return report
