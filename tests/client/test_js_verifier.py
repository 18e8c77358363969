"""The JavaScript verifier (voting/static/src/verifier/, `npm run verify`)
against the Python one (voting.crypto.verifier.verify_record), record by
record and check by check (PROTOCOL.md §14).

Every record that the tamper suite (tests/crypto/test_verifier.py) and the
exactness suite (tests/crypto/test_record_exactness.py) build is harvested
by running their test functions here with ``verify_record`` wrapped: each
record it is called on is copied aside with the Python verdict. Honest
records of every shape are added (only packed contests, only options
contests, choose-k with k > 1, no ballots, a revoke, 3-of-5 trustees, no
rules, audits on a board without ballots, a simulated round with audits),
and edges of the audit event (§8.6, check 19) neither suite builds. The JS
CLI then runs once per batch of paths (``--json``, one report a line) and
must fail exactly the same checks.

``node --test tests/client/verifier.test.mjs`` covers the JS-only parts:
strict JSON reading and the zip member listing.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import itertools
import json
import re
import shutil
import subprocess
import types
import zipfile
from pathlib import Path

import pytest

from voting import verify as verify_cli
from voting.crypto import verifier as py_verifier
from voting.crypto.audit import audit_body
from voting.crypto.drbg import TestRng
from voting.crypto.hashing import canonical_json
from voting.simulate import simulate

from ..conftest import IN_CI
from ..conftest import skip_unless
from ..crypto import records
from ..crypto import test_record_exactness as exactness
from ..crypto import test_verifier as tamper
from ..crypto.conftest import agree_contest
from ..crypto.conftest import choose_contest
from ..crypto.records import build_round
from ..crypto.records import failing
from ..crypto.records import first

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "voting" / "static" / "src" / "verifier" / "cli.js"
UNIT = ROOT / "tests" / "client" / "verifier.test.mjs"
NODE = shutil.which("node")
HAVE_PACKAGES = all((ROOT / "node_modules" / p).is_dir()
                    for p in ("@noble/curves", "@noble/hashes", "fflate"))

needs_node = skip_unless(NODE is not None and HAVE_PACKAGES,
                         "needs `node` on PATH and the npm packages (npm ci)")

#: Node processes verifying records side by side.
PROCESSES = 2


class _Harvest:
    """Wraps verify_record: copies each record it verifies, with its verdict."""

    def __init__(self, out: Path):
        self.out, self.records, self.label = out, [], ""
        self.real = py_verifier.verify_record

    def __call__(self, path, workers: int = 2, progress=None, server_key=None,
                 client_hash=None):
        report = self.real(path, workers=workers, progress=progress, server_key=server_key,
                           client_hash=client_hash)
        if server_key is not None or client_hash is not None:
            return report  # the JS CLI runs below without --server-key / --client-hash
        copy_path = self.out / f"r{len(self.records):03d}.zip"
        shutil.copyfile(path, copy_path)
        self.records.append({"label": self.label, "path": copy_path, "failing": failing(report),
                             "ballots": report.ballots,
                             "key": list(report.key) if report.key else None,
                             "summary": _summary(report)})
        return report


def _summary(report) -> dict:
    """What the verifier says it verified, besides PASS/FAIL: the counts of
    check 17 and the outcomes of check 18 (count, base, status), as data."""
    return {"counts": report.counts, "contests": [[c, list(o)] for c, o in report.contests],
            "outcomes": report.outcomes, "rule_bases": report.rule_bases}


def _js_summary(report: dict) -> dict:
    return {"counts": report["counts"], "contests": report["contests"],
            "outcomes": report["outcomes"], "rule_bases": report["ruleBases"]}


class _Capsys:
    """Enough of pytest's capsys for the suites' CLI test."""

    def __init__(self, buffer: io.StringIO):
        self.buffer = buffer

    def readouterr(self):
        out = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return types.SimpleNamespace(out=out, err="")


def _parameter_sets(fn):
    """The keyword sets of a test's @pytest.mark.parametrize marks (product)."""
    axes = []
    for mark in getattr(fn, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        axes.append([dict(zip(names, v if len(names) > 1 else (v,), strict=True))
                     for v in values])
    for combo in itertools.product(*axes):
        merged = {}
        for part in combo:
            merged.update(part)
        yield merged


def _run_suite(module, fixtures: dict, harvest: _Harvest, tmp: Path, problems: list):
    for name, fn in sorted(vars(module).items()):
        if not name.startswith("test_") or not callable(fn):
            continue
        params = inspect.signature(fn).parameters
        for k, values in enumerate(_parameter_sets(fn)):
            buffer = io.StringIO()
            supplied = {"tmp_path": tmp / f"{module.__name__.rsplit('.', 1)[-1]}-{name}-{k}",
                        "capsys": _Capsys(buffer), **fixtures, **values}
            supplied["tmp_path"].mkdir(parents=True)
            harvest.label = f"{name}{values or ''}"
            try:
                with contextlib.redirect_stdout(buffer):
                    fn(**{p: supplied[p] for p in params})
            except Exception as exc:  # the Python suites are not under test here
                problems.append(f"{harvest.label}: {type(exc).__name__}: {exc}")


def _honest_records(tmp: Path, harvest: _Harvest):
    """Honest rounds of every shape, each verified (and so harvested) once."""
    per_unit = {"contests": ["a", "b"], "option": "agree", "comparator": ">",
                "fraction": [1, 2], "base": "present", "quota": None, "ties": "runoff"}
    choose = {"contests": ["k"], "option": None, "comparator": ">=", "fraction": [1, 3],
              "base": "cast", "quota": 2, "ties": "runoff"}
    valid = {"contests": ["c"], "option": None, "comparator": ">", "fraction": [1, 2],
             "base": "valid", "quota": None, "ties": "runoff"}
    shapes = {
        "only packed": ([agree_contest("a"), agree_contest("b")], [per_unit],
                        [[[0], [1]], [[0], []], [[1], [0]]], {}),
        "only options": ([choose_contest("c", 3, 1), choose_contest("d", 2, 2)], [valid],
                         [[[0], [0, 1]], [[2], []], [[0], [1]]], {}),
        "choose 3 of 5": ([choose_contest("k", 5, 3)], [choose],
                          [[[0, 1, 2]], [[1, 2]], [[4]], [[]], [[0, 2, 4]]], {}),
        "packed 4 options, up to 2": ([choose_contest("p", 4, 2, "packed")], [],
                                      [[[0, 3]], [[1]], [[]], [[2, 3]]], {}),
        "no ballots": ([agree_contest("a"), choose_contest("c", 3, 1)], [], [], {}),
        "3 of 5 trustees": ([agree_contest("a"), agree_contest("b")], [per_unit],
                            [[[0], [1]], [[1], [0]]], {"threshold": 3, "trustees": 5}),
        "no rules": ([agree_contest("a"), choose_contest("c", 3, 2)], [],
                     [[[0], [0, 2]], [[], [1]]], {}),
    }
    for label, (contests, rules, choices, kw) in shapes.items():
        built = build_round(contests, rules, choices, **kw)
        harvest.label = f"honest: {label}"
        where = tmp / label.replace(" ", "_").replace(",", "")
        where.mkdir()
        assert records.verify(where, built.events, built.server_key).ok

    built = build_round([agree_contest("a")], [], [[[0]], [[1]]], voters=4)
    events = copy.deepcopy(built.events)
    voted = {e["body"]["ballot"]["credential"] for e in events if e["type"] == "ballot"}
    credential = next(c for c in events[0]["body"]["election"]["credentials"] if c not in voted)
    events.insert(events.index(first(events, "close")),
                  {"seq": 0, "parent": "", "type": "revoke", "body": {"credential": credential}})
    harvest.label = "honest: a revoke"
    (tmp / "revoke").mkdir()
    assert records.verify(tmp / "revoke", events, built.server_key).ok

    built = build_round([agree_contest("a"), choose_contest("c", 4, 2)], [], [], voters=3)
    events = copy.deepcopy(built.events)
    close_at = events.index(first(events, "close"))
    for k, choices in enumerate([[[0], [1, 3]], [[], []], [[1], [0]]]):
        events.insert(close_at + k, _audit(built, choices, k))
    harvest.label = "honest: audits, no ballots"
    (tmp / "audits").mkdir()
    assert records.verify(tmp / "audits", events, built.server_key).ok

    harvest.label = "honest: simulate(6 ballots, 2 units, 3 trustees, t=2, 3 audits)"
    sim_path = tmp / "sim.zip"
    simulate(ballots=6, units=2, trustees=3, threshold=2, out=sim_path, workers=1, seed=11,
             audits=3)
    assert py_verifier.verify_record(sim_path, workers=1).ok


def _audit(built, choices, k: int = 0) -> dict:
    """An audit event (§8.6) of ``choices`` in ``built``'s round, from a fixed stream."""
    body = audit_body(built.election, choices, TestRng(b"js-verifier/audit %d" % k))
    return {"seq": 0, "parent": "", "type": "audit", "body": body}


def _edge_records(tmp: Path, harvest: _Harvest):
    """Edges neither suite builds: more malformed events, lines and members."""
    rule = {"contests": ["c"], "option": None, "comparator": ">", "fraction": [1, 2],
            "base": "valid", "quota": None, "ties": "runoff"}
    built = build_round([agree_contest("a"), choose_contest("c", 3, 1)], [rule],
                        [[[0], [0]], [[1], [2]], [[], [0]]], voters=6)
    key = built.server_key
    lines = [canonical_json(e) for e in built.events]
    n = [0]

    def record(label, path):
        harvest.label = f"edge: {label}"
        harvest(path, workers=1)

    def with_events(label, edit):
        evs = copy.deepcopy(built.events)
        edit(evs)
        n[0] += 1
        record(label, records.signed(tmp, evs, key, name=f"e{n[0]}.zip"))

    def with_raw(label, raw, i):
        n[0] += 1
        record(label, records.signed_lines(tmp, records.relink_lines(raw, i), key,
                                           name=f"l{n[0]}.zip"))

    def with_line(label, i, edit):
        raw = list(lines)
        raw[i] = edit(raw[i])
        with_raw(label, raw, i)

    ballot_at = next(i for i, e in enumerate(built.events) if e["type"] == "ballot")
    unused = [c for c in built.events[0]["body"]["election"]["credentials"]
              if c not in {e["body"]["ballot"]["credential"] for e in built.events
                           if e["type"] == "ballot"}]
    close_at = built.events.index(first(built.events, "close"))

    def revoke(credential):
        return {"seq": 0, "parent": "", "type": "revoke", "body": {"credential": credential}}

    with_events("two close events", lambda evs: evs.insert(close_at, copy.deepcopy(evs[close_at])))
    with_events("partial from trustee 9",
                lambda evs: first(evs, "partial")["body"].update(trustee=9))
    with_events("unsorted result trustees",
                lambda evs: evs[-1]["body"].update(trustees=evs[-1]["body"]["trustees"][::-1]))
    with_events("identity in the published tally", lambda evs: first(evs, "tally")["body"][
        "ciphertexts"][0][0].update(alpha="01" + "00" * 31))
    with_events("revoke of a point off the curve",
                lambda evs: evs.insert(close_at, revoke("ff" * 32)))
    with_events("revoked twice", lambda evs: [evs.insert(close_at, revoke(unused[0]))
                                             for _ in range(2)])
    with_events("revoke then vote", lambda evs: evs.insert(ballot_at, revoke(
        evs[ballot_at]["body"]["ballot"]["credential"])))
    with_events("ballot after the result", lambda evs: evs.append(copy.deepcopy(evs[ballot_at])))
    with_events("identity as credential", lambda evs: evs[ballot_at]["body"]["ballot"].update(
        credential="01" + "00" * 31))
    with_events("packed proof with 2 branches", lambda evs: [
        p.__setitem__(k, p[k][:2]) for p in evs[ballot_at]["body"]["ballot"]["contests"][0][
            "proofs"] for k in ("c", "u")])
    with_events("count of 2^53", lambda evs: evs[-1]["body"]["counts"][0].__setitem__(0, 2**53))
    with_events("open on 29 February 2024",
                lambda evs: evs[1]["body"].update(at="2024-02-29T10:00Z"))
    with_events("open on 29 February 2023",
                lambda evs: evs[1]["body"].update(at="2023-02-29T10:00Z"))
    with_events("open in year 0", lambda evs: evs[1]["body"].update(at="0000-01-01T10:00Z"))
    with_events("status not a string", lambda evs: evs[-1]["body"]["outcomes"][0][0].update(
        status=["elected"]))
    with_events("close with no bases", lambda evs: first(evs, "close")["body"].pop("bases"))
    _audit_edges(built, with_events, with_raw, close_at)
    with_line("a repeated key in a ballot", ballot_at,
              lambda ln: ln.replace(b'{"ballot":{', b'{"ballot":{"version":1,', 1))
    with_line("a fraction inside a ballot", ballot_at,
              lambda ln: ln.replace(b'"version":1', b'"version":1.0', 1))
    with_line("a byte-order mark", 1, lambda ln: b"\xef\xbb\xbf" + ln)
    with_line("a carriage return", 1, lambda ln: ln + b"\r")
    with_line("a negative seq", 1, lambda ln: ln.replace(b'"seq":1', b'"seq":-1'))
    with_line("an escaped key", 1, lambda ln: ln.replace(b'"at"', b'"\\u0061t"', 1))

    path = records.signed(tmp, built.events, key, name="float-sig.zip")
    with zipfile.ZipFile(path) as z:
        board, sig = z.read("board.jsonl"), json.loads(z.read("signature.json"))
    count = f'"events":{sig["events"]}'.encode()
    for label, text in [("events written 5.0", canonical_json(sig).replace(count, count + b".0")),
                        ("signature.json not JSON", b"{"),
                        ("events as a string",
                         canonical_json({**sig, "events": str(sig["events"])}))]:
        n[0] += 1
        out = tmp / f"s{n[0]}.zip"
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("board.jsonl", board)
            z.writestr("signature.json", text)
        record(label, out)
    out = tmp / "empty-board.zip"
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("board.jsonl", b"")
        z.writestr("signature.json", canonical_json(sig))
    record("an empty board", out)


def _audit_edges(built, with_events, with_raw, close_at: int):
    """Audit events (§8.6) in places and shapes neither suite builds."""
    audit = _audit(built, [[0], [2]])

    def put(at, body_edit=None):
        def edit(evs):
            event = copy.deepcopy(audit)
            if body_edit:
                body_edit(event["body"])
            evs.insert(at if at >= 0 else len(evs) + at + 1, event)
        return edit

    with_events("an audit right after the open", put(2))
    with_events("an audit before the open", put(1))
    with_events("an audit after the result", put(-1))
    with_events("two audits, the first of another round", lambda evs: [
        put(close_at)(evs), put(close_at, lambda b: b.update(round="round-y"))(evs)])
    with_events("an audit of the flag contest swapped", put(close_at, lambda b: b[
        "ciphertexts"][1].reverse()))
    with_events("an audit with an identity alpha", put(close_at, lambda b: b["ciphertexts"][0][
        0].update(alpha="01" + "00" * 31)))
    with_events("an audit with r = 0 and a choice too many", put(close_at, lambda b: [
        b["randomness"][1].__setitem__(0, "00" * 32), b["choices"].__setitem__(1, [0, 2])]))
    with_events("an audit with a negative choice", put(close_at, lambda b: b["choices"][
        0].__setitem__(0, -1)))
    with_events("an audit with a choice of 2^53", put(close_at, lambda b: b["choices"][
        1].__setitem__(0, 2**53)))
    with_events("an audit with a round that is a list", put(close_at, lambda b: b.update(
        round=["round-x"])))
    with_events("an audit with the ciphertexts of a ballot", put(close_at, lambda b: b.update(
        ciphertexts=[c["ciphertexts"] for c in first(built.events, "ballot")["body"]["ballot"][
            "contests"]])))
    with_events("an audit with a credential", put(close_at, lambda b: b.update(
        credential=first(built.events, "ballot")["body"]["ballot"]["credential"])))
    with_events("an audit with an empty body", put(close_at, lambda b: b.clear()))
    # A fractional choice only exists in the line's bytes.
    raw = [canonical_json(e) for e in records.relink(copy.deepcopy(
        [*built.events[:close_at], audit, *built.events[close_at:]]))]
    assert raw[close_at].count(b'"choices":[[0],[2]]') == 1
    raw[close_at] = raw[close_at].replace(b'"choices":[[0],[2]]', b'"choices":[[0],[2.0]]')
    with_raw("an audit with a choice written 2.0", raw, close_at)


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):
    if (NODE is None or not HAVE_PACKAGES) and not IN_CI:
        pytest.skip("needs `node` on PATH and the npm packages (npm ci)")
    tmp = tmp_path_factory.mktemp("js-verifier")
    (tmp / "records").mkdir()
    harvest = _Harvest(tmp / "records")
    mp = pytest.MonkeyPatch()
    try:
        for module in (tamper, exactness, records, py_verifier, verify_cli):
            mp.setattr(module, "verify_record", harvest)
        sim_path = tmp / "sim.zip"
        sim = (simulate(ballots=6, units=2, trustees=3, threshold=2, out=sim_path, workers=1,
                        seed=7, audits=2), sim_path)
        rnd = build_round([agree_contest("a"), agree_contest("b"), choose_contest("c", 3, 1)],
                          [exactness.PER_UNIT, exactness.FLAG], exactness.CHOICES)
        problems: list[str] = []
        _run_suite(tamper, {"sim": sim}, harvest, tmp, problems)
        _run_suite(exactness, {"rnd": rnd}, harvest, tmp, problems)
        (tmp / "honest").mkdir()
        _honest_records(tmp / "honest", harvest)
        (tmp / "edges").mkdir()
        _edge_records(tmp / "edges", harvest)
    finally:
        mp.undo()
    return harvest.records, problems


def _js_reports(paths: list[Path], workers: int = 1) -> dict[str, dict]:
    """Run the CLI with --json on `paths`, split over PROCESSES node processes."""
    chunks = [paths[i::PROCESSES] for i in range(PROCESSES)]
    procs = [subprocess.Popen([NODE, str(CLI), "--json", "--workers", str(workers),
                               *map(str, chunk)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for chunk in chunks if chunk]
    reports = {}
    for proc in procs:
        out, err = proc.communicate(timeout=1800)
        assert proc.returncode in (0, 1), f"the JS verifier crashed:\n{err[-4000:]}"
        for line in out.splitlines():
            report = json.loads(line)
            reports[report["path"]] = report
    return reports


def _js_failing(report: dict) -> set[int]:
    return {int(n) for n, failures in report["checks"].items() if failures}


@needs_node
def test_the_suites_records_were_harvested(harvested):
    found, problems = harvested
    assert problems == [], "the Python suites did not run cleanly here"
    labels = {r["label"] for r in found}
    # Enough of both suites: every tamper test, the exactness edges, and the honest shapes.
    assert len(found) > 100, len(found)
    assert any(label.startswith("test_a_lone_surrogate") for label in labels)
    assert any(label.startswith("test_any_single_altered_value") for label in labels)
    assert sum(label.startswith("honest: ") for label in labels) == 10
    assert any(r["failing"] == set() for r in found)
    assert {n for r in found for n in r["failing"]} == set(range(1, 20))


@needs_node
def test_js_and_python_fail_the_same_checks_on_every_record(harvested):
    found, _ = harvested
    reports = _js_reports([r["path"] for r in found])
    disagreements = []
    for r in found:
        js = reports[str(r["path"])]
        if (_js_failing(js) != r["failing"] or js["ballots"] != r["ballots"]
                or js["key"] != r["key"] or _js_summary(js) != r["summary"]):
            disagreements.append(
                f"{r['label']} ({r['path'].name}): python fails {sorted(r['failing'])} "
                f"({r['ballots']} ballots), js fails {sorted(_js_failing(js))} "
                f"({js['ballots']} ballots), keys {r['key']} / {js['key']}, "
                f"summaries {r['summary']} / {_js_summary(js)}: "
                + json.dumps({n: f for n, f in js["checks"].items() if f}, ensure_ascii=False))
    assert disagreements == [], "\n".join(disagreements)
    honest = [r for r in found if r["label"].startswith("honest: ")]
    for r in honest:
        js = reports[str(r["path"])]
        assert js["ok"] and js["counts"] is not None
    with_outcomes = [r for r in found if r["summary"]["outcomes"]]
    assert len(with_outcomes) > 20, len(with_outcomes)
    assert {o["status"] for r in with_outcomes for rule in r["summary"]["outcomes"]
            for o in rule} == {"elected", "not_elected", "runoff"}


#: The timing at the end of the verdict line, the one part that may differ.
ELAPSED = re.compile(r", \d+\.\d s\)$", re.M)


@needs_node
def test_both_clis_print_the_same_report(harvested):
    """Word for word, both CLIs print the checks, the key, the ballot client,
    the verified counts (per contest, per option) and outcomes (per
    candidate: count of base, status), on every honest record."""
    found, _ = harvested
    honest = [r for r in found if r["label"].startswith("honest: ")]
    proc = subprocess.run([NODE, str(CLI), "--workers", "1", *(str(r["path"]) for r in honest)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    python = []
    for r in honest:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert verify_cli.main([str(r["path"]), "--quiet", "--workers", "1"]) == 0
        python.append(buffer.getvalue())
    assert ELAPSED.sub(")", proc.stdout) == ELAPSED.sub(")", "".join(python))
    assert "Outcomes verified (check 18):" in proc.stdout


@needs_node
def test_worker_threads_reach_the_same_verdicts(harvested):
    found, _ = harvested
    sample = [r for r in found if r["ballots"]][::15][:6]
    one = _js_reports([r["path"] for r in sample], workers=1)
    two = _js_reports([r["path"] for r in sample], workers=2)
    for r in sample:
        key = str(r["path"])
        assert one[key]["checks"] == two[key]["checks"], r["label"]
        assert one[key]["ballots"] == two[key]["ballots"]


@needs_node
def test_cli_prints_the_checks_and_exits_by_the_verdict(harvested):
    found, _ = harvested
    good = next(r for r in found if r["label"].startswith("honest: no rules"))
    bad = next(r for r in found if r["failing"] == {14})
    proc = subprocess.run(["npm", "run", "--silent", "verify", "--", str(good["path"])], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line[:9] for line in lines[:19]] == [f"[{n:2d}] PASS" for n in range(1, 20)]
    titles = [f"[{n:2d}] PASS  {title}" for n, (title, _) in py_verifier.CHECKS.items()]
    assert lines[:19] == titles
    assert "Counts verified (check 17):" in lines and "  a: agree 1, disagree 0" in lines
    assert "Outcomes verified (check 18):" not in lines  # that record has no rules
    proc = subprocess.run([NODE, str(CLI), "--workers", "1", str(bad["path"])], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "[14] FAIL" in proc.stdout and "INVALID" in proc.stdout
    assert sum("PASS" in line for line in proc.stdout.splitlines()) == 18


@needs_node
def test_node_unit_tests():
    proc = subprocess.run([NODE, "--test", str(UNIT)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, (
        f"node --test failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    assert "# fail 0" in proc.stdout
