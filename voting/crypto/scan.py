"""One streaming pass over a record that gathers what the checks of
PROTOCOL.md §14 need (the checks themselves are in ``verifier.py``).

The main process reads each ballot line's header only (seq, parent, type)
and hands the line to worker processes, which parse it and verify its
format, signature, tracker and proofs; everything else is read in full.
Per ballot the pass keeps its verdicts, its credential and its alphas, and
it sums the ciphertexts of the ballots before the close event.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from dataclasses import field

from .ballot import Ballot
from .ballot import parse_ballot
from .ballot import read_ciphertexts
from .ballot import tracker
from .ballot import verify_range_proofs
from .ballot import verify_selection_proofs
from .ballot import verify_signature
from .codec import parse_point
from .election import Election
from .election import parse_credentials
from .election import parse_election
from .errors import CryptoError
from .events import body_problem
from .events import read_event
from .hashing import canonical_json
from .hashing import hash32
from .manifest import parse_manifest
from .record import container_problems
from .record import read_lines
from .record import read_signature
from .tally import add_rows
from .tally import empty_tally
from .tally import Tally

BATCH = 16
#: Marks a ballot check that could not be evaluated because check 8 failed.
NOT_EVALUATED = "not evaluated: the ballot fails check 8"


@dataclass
class Line:
    """One board line as check 1 and check 2 see it."""

    index: int
    #: ``None`` when the line is unreadable (§14, check 1).
    seq: int | None = None
    parent: str | None = None
    type: str | None = None
    #: H32("event", the line's bytes without its newline).
    hash: bytes = b""
    #: Check 1 problems of this line (unreadable, not canonical, body shape).
    problems: list[str] = field(default_factory=list)


@dataclass
class BallotFacts:
    """The per-ballot verdicts (None = passed) and what cross-ballot checks need."""

    index: int
    before_close: bool
    format: str | None = None  # check 8
    signature: str | None = NOT_EVALUATED  # check 9
    tracker: str | None = None  # check 10
    selections: str | None = NOT_EVALUATED  # check 12
    ranges: str | None = NOT_EVALUATED  # check 13
    credential: bytes | None = None
    alphas: list[bytes] | None = None
    ciphertexts: list | None = None


@dataclass
class Scan:
    """Everything the pass read: the checks are functions of it."""

    #: Why the zip itself cannot be read; when set, nothing else was read.
    unreadable: str | None = None
    container: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    newline_missing: bool = False
    signature_json: bytes | None = None
    #: The first event's body when it is a readable setup event.
    setup: dict | None = None
    election: Election | None = None
    #: Why the election object could not be parsed, keyed by check number.
    election_problems: dict[int, str] = field(default_factory=dict)
    ballots: list[BallotFacts] = field(default_factory=list)
    #: (line index, body) of every readable non-ballot event, in board order.
    events: list[tuple[int, str, dict]] = field(default_factory=list)
    #: Sum of the readable ciphertexts of the ballots before the close event.
    ballot_sum: Tally | None = None

    @property
    def head(self) -> bytes:
        return self.lines[-1].hash if self.lines else bytes(32)

    def first(self, kind: str) -> tuple[int, dict] | None:
        return next(((i, body) for i, k, body in self.events if k == kind), None)

    def all(self, kind: str) -> list[tuple[int, dict]]:
        return [(i, body) for i, k, body in self.events if k == kind]

    @property
    def readable(self) -> bool:
        """Every line of the board was read as an event (check 1)."""
        return self.unreadable is None and all(ln.type is not None for ln in self.lines)


# --- ballots: run in worker processes ------------------------------------

_ELECTION: dict = {}


def _init_worker(election_obj: dict) -> None:
    _ELECTION["e"] = parse_election(election_obj)


def ballot_facts(election: Election, index: int, body: dict, before_close: bool) -> BallotFacts:
    """Checks 8, 9, 10, 12 and 13 on one readable ballot event's body."""
    facts = BallotFacts(index, before_close)
    obj = body["ballot"]
    if body["tracker"] != tracker(obj).hex():
        facts.tracker = "tracker does not match the ballot"
    try:
        ballot = parse_ballot(election, obj)
    except CryptoError as exc:
        facts.format = str(exc)
        _read_what_remains(election, obj, facts)
        return facts
    facts.signature = _failure(verify_signature, election, ballot)
    facts.selections = _failure(verify_selection_proofs, election, ballot)
    facts.ranges = _failure(verify_range_proofs, election, ballot)
    facts.credential = ballot.credential
    facts.ciphertexts = [list(cb.ciphertexts) for cb in ballot.contests]
    facts.alphas = _alphas(ballot)
    return facts


def _failure(check: Callable[[Election, Ballot], None], election: Election,
             ballot: Ballot) -> str | None:
    try:
        check(election, ballot)
    except CryptoError as exc:
        return str(exc)
    return None


def _alphas(ballot: Ballot) -> list[bytes]:
    return [ct.alpha for cb in ballot.contests for ct in cb.ciphertexts]


def _read_what_remains(election: Election, obj, facts: BallotFacts) -> None:
    """For a ballot that fails check 8: its credential and ciphertexts, where
    they are readable on their own, still feed checks 11 and 15."""
    try:
        facts.credential = parse_point(obj.get("credential"))
    except CryptoError:
        pass
    try:
        facts.ciphertexts = read_ciphertexts(election, obj)
    except CryptoError:
        return
    facts.alphas = [ct.alpha for row in facts.ciphertexts for ct in row]


def _check_batch(batch: list[tuple[int, bytes, bool]]):
    """Parse and check a batch of ballot lines; returns, per line, its full
    header and check 1 problems, its facts (None if unreadable), and the
    sum of the before-close ballots' readable ciphertexts."""
    election = _ELECTION["e"]
    total, out = empty_tally(election), []
    for index, line, before_close in batch:
        header, facts = Line(index, hash=hash32("event", line)), None
        try:
            event = read_event(line)
        except CryptoError as exc:
            header.problems.append(str(exc))
        else:
            header.seq, header.parent, header.type = event["seq"], event["parent"], event["type"]
            header.problems += line_problems(event, line)
            if event["type"] != "ballot":
                header.problems.append("header does not match the event")
            elif body_problem(event):
                malformed = "the event's body is malformed"
                facts = BallotFacts(index, before_close, format=malformed,
                                    tracker=f"not evaluated: {malformed}")
            else:
                facts = ballot_facts(election, index, event["body"], before_close)
                if before_close and facts.ciphertexts is not None:
                    total = add_rows(total, facts.ciphertexts)
                facts.ciphertexts = None  # summed here; not sent back
        out.append((header, facts))
    return out, total


def line_problems(event: dict, line: bytes) -> list[str]:
    """Check 1 on a readable event: its body's shape, and canonical form."""
    problems = []
    if problem := body_problem(event):
        problems.append(problem)
    if canonical_json(event) != line:
        problems.append("not in canonical JSON")
    return problems


# --- the pass ----------------------------------------------------------------

#: The tail of a canonical ballot event: its keys sort after "body".
_BALLOT_TAIL = re.compile(rb',"parent":"([0-9a-f]{64})","seq":(0|[1-9][0-9]{0,15}),'
                          rb'"type":"ballot"}\Z')


class _Pass:
    def __init__(self, workers: int, progress: Callable[[str], None] | None):
        self.workers, self.progress = workers, progress
        self.scan = Scan()
        self.pool: ProcessPoolExecutor | None = None
        self.pending: deque = deque()
        self.batch: list = []
        self.closed = False
        self.verified = 0

    def run(self, path) -> Scan:
        scan = self.scan
        try:
            scan.container = container_problems(path)
            if any("appears" in p for p in scan.container):
                return scan  # no single board or signature to read
            scan.signature_json = read_signature(path)
            for index, raw in enumerate(read_lines(path)):
                scan.newline_missing = not raw.endswith(b"\n")
                self.line(index, raw[:-1] if raw.endswith(b"\n") else raw)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError,
                NotImplementedError, zlib.error) as exc:
            scan.unreadable = f"cannot read the record: {exc}"
        finally:
            try:
                self.drain()
            finally:
                if self.pool is not None:
                    self.pool.shutdown(cancel_futures=True)
        return scan

    def line(self, index: int, line: bytes) -> None:
        scan = self.scan
        if (scan.election is not None and line.startswith(b'{"body":{"ballot":')
                and (m := _BALLOT_TAIL.search(line))):
            scan.lines.append(Line(index, int(m[2]), m[1].decode(), "ballot",
                                   hash32("event", line)))
            self.batch.append((index, line, not self.closed))
            if len(self.batch) >= BATCH:
                self.submit()
            return
        header = Line(index, hash=hash32("event", line))
        scan.lines.append(header)
        try:
            event = read_event(line)
        except CryptoError as exc:
            header.problems.append(str(exc))
            return
        header.seq, header.parent, header.type = event["seq"], event["parent"], event["type"]
        if event["type"] == "ballot" and scan.election is not None:
            self.batch.append((index, line, not self.closed))  # e.g. a non-canonical line
            return
        header.problems += line_problems(event, line)
        if event["type"] == "ballot":  # no election to check it against
            scan.ballots.append(BallotFacts(index, not self.closed, format=(
                "not evaluated: no valid election object")))
            return
        if event["type"] == "close":
            self.drain()
            self.closed = True
        if not body_problem(event):
            scan.events.append((index, event["type"], event["body"]))
            if index == 0 and event["type"] == "setup":
                self.setup(event["body"])

    def setup(self, body: dict) -> None:
        scan = self.scan
        scan.setup = body
        scan.election, scan.election_problems = parse_setup(body["election"])
        if scan.election is None:
            return
        scan.ballot_sum = empty_tally(scan.election)
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(self.workers, initializer=_init_worker,
                                            initargs=(body["election"],))
        else:
            _ELECTION["e"] = scan.election

    def submit(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        if self.pool is None:
            self.absorb(_check_batch(batch))
            return
        self.pending.append(self.pool.submit(_check_batch, batch))
        while len(self.pending) > 4 * self.workers:
            self.absorb(self.pending.popleft().result())

    def drain(self) -> None:
        self.submit()
        while self.pending:
            self.absorb(self.pending.popleft().result())

    def absorb(self, result) -> None:
        out, total = result
        scan = self.scan
        for header, facts in out:
            scan.lines[header.index] = header
            if facts is not None:
                scan.ballots.append(facts)
        scan.ballot_sum = add_rows(scan.ballot_sum, total)
        before, self.verified = self.verified, self.verified + len(out)
        if self.progress and self.verified // 200 > before // 200:
            self.progress(f"{self.verified} ballots verified")


def scan_record(path, workers: int = 2,
                progress: Callable[[str], None] | None = None) -> Scan:
    """Read the record at ``path`` once, verifying ballots in ``workers``
    processes (1: in this process)."""
    return _Pass(workers, progress).run(path)


def parse_setup(election_obj: dict) -> tuple[Election | None, dict[int, str]]:
    """Parse the election object as checks 5, 7 and 6 read it, in that
    order: the manifest, then the credentials, then the rest (§5)."""
    try:
        manifest = parse_manifest(election_obj.get("manifest"))
    except CryptoError as exc:
        return None, {5: str(exc)}
    try:
        parse_credentials(election_obj.get("credentials"), manifest)
    except CryptoError as exc:
        return None, {7: str(exc)}
    try:
        return parse_election(election_obj), {}
    except CryptoError as exc:
        return None, {6: str(exc)}
