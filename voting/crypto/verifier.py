"""The election-record verifier: the numbered checks of PROTOCOL.md §14.

It reads a record zip as a stream, hands ballots in batches to worker
processes (their proofs are the bulk of the work) and keeps in memory only
what cross-ballot checks need: credentials, first alphas and running sums.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from dataclasses import field

from . import keys
from .ballot import parse_ballot
from .ballot import tracker
from .ballot import verify_range_proofs
from .ballot import verify_selection_proofs
from .ballot import verify_signature
from .board import EVENT_KEYS
from .board import GENESIS
from .codec import expect_int
from .codec import expect_object
from .codec import hex_bytes32
from .codec import parse_point
from .election import Election
from .election import fingerprint
from .election import parse_credentials
from .election import parse_election
from .errors import CryptoError
from .hashing import canonical_json
from .hashing import hash32
from .manifest import parse_manifest
from .record import check_record_signature
from .record import read_lines
from .record import read_signature
from .rules import evaluate
from .tally import add_rows
from .tally import combine
from .tally import empty_tally
from .tally import parse_partial
from .tally import Tally
from .tally import tally_to_json
from .tally import verify_partial

CHECKS = {
    1: "Record format: board and signature present, canonical JSON, well-formed events",
    2: "Board chain: consecutive events, each linking its parent's hash, in the allowed order",
    3: "Record signature: the server's Ed25519 signature over fingerprint and head",
    4: "Fingerprint: recomputed from the election object",
    5: "Manifest: contests, options, encodings and rules well-formed",
    6: "Trustee keys: coefficient proofs; joint key and public shares follow from commitments",
    7: "Credentials: valid group elements, sorted and distinct",
    8: "Ballot format: this round and fingerprint, manifest's shape, valid points",
    9: "Ballot signatures: each ballot signed by its credential",
    10: "Trackers: each ballot's tracker is the hash of its bytes",
    11: "Eligibility: published, unrevoked credentials, one ballot each, no copied ciphertexts",
    12: "Selection proofs: each selection is 0 or 1, each packed contest an allowed value",
    13: "Range proofs: each contest's number of selections lies in [min, max]",
    14: "Close: frozen bases consistent, 'cast' equals the ballots on the board",
    15: "Encrypted tally: the homomorphic sum of all ballots",
    16: "Partial decryptions: distinct known trustees, every proof valid",
    17: "Counts: t partial decryptions combine to the published counts",
    18: "Rule outcomes: recomputed with exact fractions from counts and bases",
}
BODY_KEYS = {
    "setup": {"election", "fingerprint"}, "open": {"at"}, "ballot": {"ballot", "tracker"},
    "revoke": {"credential"}, "close": {"at", "bases"}, "tally": {"ciphertexts"},
    "partial": {"trustee", "shares"}, "result": {"trustees", "counts", "outcomes"},
}
#: Allowed successors of each event type (PROTOCOL.md §9.2).
NEXT = {
    None: {"setup"}, "setup": {"open"}, "open": {"ballot", "revoke", "close"},
    "ballot": {"ballot", "revoke", "close"}, "revoke": {"ballot", "revoke", "close"},
    "close": {"tally"}, "tally": {"partial", "result"}, "partial": {"partial", "result"},
    "result": set(),
}
BASE_NAMES = {"members", "present", "issued", "cast"}
BATCH = 16
MAX_DETAILS = 5


@dataclass
class Report:
    """Per check: failure messages (empty = pass) and whether it ran."""

    failures: dict[int, list[str]] = field(default_factory=lambda: {n: [] for n in CHECKS})
    skipped: set[int] = field(default_factory=set)
    ballots: int = 0

    def fail(self, check: int, message: str) -> None:
        self.failures[check].append(message)

    def passed(self, check: int) -> bool:
        return check not in self.skipped and not self.failures[check]

    @property
    def ok(self) -> bool:
        return all(self.passed(n) for n in CHECKS)

    def lines(self) -> list[str]:
        out = []
        for n, title in CHECKS.items():
            status = "PASS" if self.passed(n) else "SKIP" if n in self.skipped else "FAIL"
            out.append(f"[{n:2d}] {status}  {title}")
            errors = self.failures[n]
            out += [f"       - {m}" for m in errors[:MAX_DETAILS]]
            if len(errors) > MAX_DETAILS:
                out.append(f"       - ... and {len(errors) - MAX_DETAILS} more")
        return out


# --- ballots: run in worker processes ------------------------------------

_ELECTION: dict = {}


def _init_worker(election_obj: dict) -> None:
    _ELECTION["e"] = parse_election(election_obj)


def _check_ballot(election: Election, seq: int, body: dict):
    """Checks 8, 9, 10, 12, 13 for one ballot event body."""
    failures = []
    try:
        ballot = parse_ballot(election, body["ballot"])
    except CryptoError as exc:
        return failures + [(8, f"event {seq}: {exc}")], None
    for check, fn in ((9, verify_signature), (12, verify_selection_proofs),
                      (13, verify_range_proofs)):
        try:
            fn(election, ballot)
        except CryptoError as exc:
            failures.append((check, f"event {seq}: {exc}"))
    if body["tracker"] != tracker(body["ballot"]).hex():
        failures.append((10, f"event {seq}: tracker does not match the ballot"))
    return failures, ballot


def _check_batch(batch: list[tuple[int, bytes, str]]):
    """Verify a batch of ballot lines; return failures, per-ballot
    (seq, credential, alphas) and the batch's ciphertext sum.

    The main process only read each line's header (seq, parent, type);
    the full parse and the canonical-form check (check 1) happen here.
    """
    election = _ELECTION["e"]
    tally, failures, seen = empty_tally(election), [], []
    for seq, line, parent in batch:
        event = _parse_event(seq, line)
        if isinstance(event, str):
            failures.append((1, event))
            continue
        if (event["seq"], event["parent"], event["type"]) != (seq, parent, "ballot"):
            failures.append((1, f"event {seq}: header does not match the event"))
            continue
        errors, ballot = _check_ballot(election, seq, event["body"])
        failures += errors
        if ballot is not None:
            tally = add_rows(tally, [cb.ciphertexts for cb in ballot.contests])
            alphas = [ct.alpha for cb in ballot.contests for ct in cb.ciphertexts]
            seen.append((seq, ballot.credential, alphas))
    return failures, seen, tally


# --- the main pass ---------------------------------------------------------

class _Pass:
    def __init__(self, path, workers: int, progress: Callable[[str], None] | None):
        self.path, self.workers, self.progress = path, workers, progress
        self.report = Report()
        self.election: Election | None = None
        self.pool = None
        self.pending: deque = deque()
        self.batch: list = []
        self.tally: Tally | None = None
        self.ballots: list[tuple[int, bytes]] = []  # (seq, credential)
        self.revokes: list[tuple[int, bytes]] = []
        self.alphas: set[bytes] = set()
        self.bases: dict | None = None
        self.ballot_events = 0
        self.computed_tally: Tally | None = None
        self.partials: dict[int, list] = {}

    # The setup event ----------------------------------------------------
    def setup(self, body: dict) -> None:
        election_obj = body["election"]
        try:
            if hex_bytes32(body["fingerprint"]) != fingerprint(election_obj):
                self.report.fail(4, "recorded fingerprint differs from the recomputed one")
        except (CryptoError, TypeError) as exc:
            self.report.fail(4, str(exc))
        if not isinstance(election_obj, dict):
            self.report.fail(6, "the election is not an object")
            return
        try:
            manifest = parse_manifest(election_obj.get("manifest"))
        except CryptoError as exc:
            self.report.fail(5, str(exc))
            return
        try:
            parse_credentials(election_obj.get("credentials"), manifest)
        except CryptoError as exc:
            self.report.fail(7, str(exc))
            return
        try:
            election = parse_election(election_obj)
        except CryptoError as exc:
            self.report.fail(6, str(exc))
            return
        self._check_keys(election)
        self.election = election
        self.tally = empty_tally(election)
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers, initializer=_init_worker,
                                            initargs=(election_obj,))
        else:
            _init_worker(election_obj)

    def _check_keys(self, election: Election) -> None:
        try:
            keys.verify_dealings(election.dealings)
        except CryptoError as exc:
            self.report.fail(6, str(exc))
        if keys.joint_public_key(election.dealings) != election.public_key:
            self.report.fail(6, "public key is not the sum of the dealers' constant commitments")
        for t in election.trustees:
            if keys.public_share(election.dealings, t.index) != t.public_share:
                self.report.fail(6, f"public share of trustee {t.index} does not match")

    # Ballots ---------------------------------------------------------------
    def ballot(self, seq: int, line: bytes, parent: str) -> None:
        self.ballot_events += 1
        if self.election is None:  # ballots cannot be checked; the line still can
            if isinstance(error := _parse_event(seq, line), str):
                self.report.fail(1, error)
            return
        self.batch.append((seq, line, parent))
        if len(self.batch) >= BATCH:
            self._submit()

    def _submit(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        if self.pool is None:
            self._absorb(_check_batch(batch))
            return
        self.pending.append(self.pool.submit(_check_batch, batch))
        while len(self.pending) > 4 * self.workers:
            self._absorb(self.pending.popleft().result())

    def _drain(self) -> None:
        self._submit()
        while self.pending:
            self._absorb(self.pending.popleft().result())

    def _absorb(self, result) -> None:
        failures, seen, tally = result
        for check, message in failures:
            self.report.fail(check, message)
        for seq, credential, alphas in seen:
            self.ballots.append((seq, credential))
            for a in alphas:
                if a in self.alphas:
                    self.report.fail(11, f"event {seq}: ciphertext copied from another ballot")
                self.alphas.add(a)
        self.tally = add_rows(self.tally, tally)
        before = self.report.ballots
        self.report.ballots += len(seen)
        if self.progress and self.report.ballots // 200 > before // 200:
            self.progress(f"{self.report.ballots} ballots verified")

    def revoke(self, seq: int, body: dict) -> None:
        try:
            self.revokes.append((seq, parse_point(body["credential"])))
        except CryptoError as exc:
            self.report.fail(1, f"event {seq}: {exc}")

    def eligibility(self) -> None:
        """Check 11, in board order."""
        if self.election is None:
            return
        published, used, revoked = self.election.credentials, set(), set()
        for seq, kind, credential in sorted(
                [(s, "ballot", c) for s, c in self.ballots]
                + [(s, "revoke", c) for s, c in self.revokes]):
            if credential not in published:
                self.report.fail(11, f"event {seq}: credential is not published")
            elif credential in revoked:
                self.report.fail(11, f"event {seq}: credential was revoked before")
            elif kind == "revoke":
                if credential in used:
                    self.report.fail(11, f"event {seq}: revokes a credential that has voted")
                revoked.add(credential)
            elif credential in used:
                self.report.fail(11, f"event {seq}: second ballot from one credential")
            else:
                used.add(credential)

    # Close, tally, decryption ---------------------------------------------
    def close(self, body: dict) -> None:
        self._drain()
        try:
            bases = expect_object(body["bases"], BASE_NAMES, "bases")
            for name in BASE_NAMES:
                expect_int(bases[name], f"bases.{name}")
        except CryptoError as exc:
            self.report.fail(14, str(exc))
            return
        if bases["cast"] != self.ballot_events:
            self.report.fail(14, f"cast is {bases['cast']} but the board has "
                                 f"{self.ballot_events} ballots")
        if bases["present"] > bases["members"] or bases["issued"] > bases["members"]:
            self.report.fail(14, "present and issued cannot exceed members")
        if self.election and bases["cast"] > len(self.election.credential_list):
            self.report.fail(14, "more ballots than published credentials")
        self.bases = bases

    def tally_event(self, body: dict) -> None:
        self._drain()
        if self.election is None:
            return
        if tally_to_json(self.tally) != body["ciphertexts"]:
            self.report.fail(15, "recorded tally is not the sum of the ballots")
        self.computed_tally = self.tally

    def partial(self, seq: int, body: dict) -> None:
        if self.election is None or self.computed_tally is None:
            return
        try:
            index, rows = parse_partial(self.election, body)
            if index in self.partials:
                raise CryptoError(f"trustee {index} decrypted twice")
            verify_partial(self.election, self.computed_tally, index, rows)
        except CryptoError as exc:
            self.report.fail(16, f"event {seq}: {exc}")
            return
        self.partials[index] = rows

    def result(self, body: dict) -> None:
        election, bases = self.election, self.bases
        if election is None or bases is None or self.computed_tally is None:
            self.report.skipped |= {17, 18}
            return
        self._check_counts(election, body)
        try:
            outcomes = evaluate(election.manifest, body["counts"], bases)
        except (TypeError, IndexError, KeyError, ValueError):
            self.report.fail(18, "counts cannot be evaluated")
            return
        if outcomes != body["outcomes"]:
            self.report.fail(18, "recorded outcomes differ from the rules applied to the counts")

    def _check_counts(self, election: Election, body: dict) -> None:
        used = body["trustees"]
        if bases_cast := self.bases["cast"]:
            if (not isinstance(used, list) or used != sorted(set(used))
                    or len(used) < election.threshold
                    or any(i not in self.partials for i in used)):
                self.report.fail(17, "result must name at least t trustees with valid partials")
                return
            try:
                counts = combine(election, self.computed_tally,
                                 {i: self.partials[i] for i in used}, bases_cast)
            except ValueError as exc:
                self.report.fail(17, str(exc))
                return
        else:
            if used != [] or self.partials:
                self.report.fail(17, "an empty round needs no decryption")
            counts = [[0] * len(c.options) for c in election.manifest.contests]
        if counts != body["counts"]:
            self.report.fail(17, "published counts differ from the decrypted tally")

    def close_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def verify_record(path, workers: int = 2,
                  progress: Callable[[str], None] | None = None) -> Report:
    """Run every check of §14 on the record at ``path``."""
    run = _Pass(path, workers, progress)
    try:
        _walk(run, path)
    finally:
        run.close_pool()
    return run.report


#: The tail of a canonical ballot event: its keys sort after "body".
_BALLOT_TAIL = re.compile(rb',"parent":"([0-9a-f]{64})","seq":(0|[1-9][0-9]*),"type":"ballot"}\Z')


def _header(seq: int, line: bytes) -> dict | str:
    """A ballot line's header read from its tail without parsing the body
    (workers parse and check it); any other line is parsed in full."""
    if line.startswith(b'{"body":{"ballot":') and (m := _BALLOT_TAIL.search(line)):
        return {"seq": int(m[2]), "parent": m[1].decode(), "type": "ballot", "body": None}
    return _parse_event(seq, line)


def _walk(run: _Pass, path) -> None:
    report = run.report
    try:
        signature = read_signature(path)
        lines = read_lines(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable record fails check 1
        report.fail(1, f"cannot read the record: {exc}")
        report.skipped |= set(CHECKS) - {1}
        return
    head, previous, seq, seen = GENESIS, None, 0, set()
    server_key = fp = None
    handlers = {
        "open": lambda s, b: None,
        "revoke": run.revoke,
        "close": lambda s, b: run.close(b),
        "tally": lambda s, b: run.tally_event(b),
        "partial": run.partial,
        "result": lambda s, b: run.result(b),
    }
    try:
        for line in lines:
            event = _header(seq, line)
            if isinstance(event, str):
                report.fail(1, event)
                report.skipped |= set(CHECKS) - {1, 2}
                return
            kind = event["type"]
            if event["seq"] != seq or event["parent"] != head.hex():
                report.fail(2, f"event {seq}: does not link to its predecessor")
            if kind not in NEXT[previous]:
                report.fail(2, f"event {seq}: '{kind}' cannot follow '{previous}'")
            if kind == "ballot":
                run.ballot(seq, line, head.hex())
            elif kind == "setup" and seq == 0:
                body = event["body"]
                run.setup(body)
                election = body["election"] if isinstance(body["election"], dict) else {}
                server_key, fp = election.get("server_key"), body["fingerprint"]
            elif kind != "setup":
                handlers[kind](seq, event["body"])
            # Every line is canonical (checked here, or by a worker for
            # ballots), so hashing the line is hashing the event.
            head = hash32("event", line)
            previous, seq = kind, seq + 1
            seen.add(previous)
    except Exception as exc:  # noqa: BLE001 - a corrupt zip stream
        report.fail(1, f"cannot read the board: {exc}")
    run._drain()
    if previous != "result":
        report.fail(2, "the board does not end with a result")
    run.eligibility()
    _check_signature(report, signature, server_key, fp, head, seq)
    unreached = set()
    if "setup" not in seen:
        unreached |= {4, 5, 6, 7}
    if run.election is None:
        unreached |= set(range(8, 19))
    for kind, checks in (("close", {14}), ("tally", {15}), ("result", {16, 17, 18})):
        if kind not in seen:
            unreached |= checks
    report.skipped |= {n for n in unreached if not report.failures[n]}


def _parse_event(seq: int, line: bytes) -> dict | str:
    """Parse one board line: the event, or a check-1 failure message."""
    try:
        event = json.loads(line)
        expect_object(event, EVENT_KEYS, f"event {seq}")
        if event["type"] not in BODY_KEYS:
            raise CryptoError(f"event {seq}: unknown type")
        expect_object(event["body"], BODY_KEYS[event["type"]], f"event {seq} body")
        if canonical_json(event) != line:
            raise CryptoError(f"event {seq}: not in canonical JSON")
    except (ValueError, TypeError, CryptoError) as exc:
        return str(exc)
    return event


def _check_signature(report: Report, signature, server_key, fp, head: bytes, count: int) -> None:
    try:
        expect_object(signature, {"head", "events", "signature"}, "signature.json")
        if signature["head"] != head.hex() or signature["events"] != count:
            raise CryptoError("signature names another head or event count")
        sig = bytes.fromhex(signature["signature"])
        check_record_signature(hex_bytes32(server_key), hex_bytes32(fp), head, count, sig)
    except (CryptoError, ValueError, TypeError) as exc:
        report.fail(3, str(exc))
