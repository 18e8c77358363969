"""Print the performance figures the issues set targets for.

    make bench                 (= .venv/bin/python -m bench)
    python -m bench --runs 3   (repeat the 1,000-ballot pipeline)

Per-ballot figures are medians over many repetitions; the 1,000-ballot
pipeline is run ``--runs`` times and its median printed. The machine is
shared and noisy: quote medians from several invocations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from voting import simulate
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import verify_ballot

ROOT = Path(__file__).resolve().parent.parent
UNITS = 30


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}")


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def ballot_figures(runs: int) -> dict:
    """Prove and verify one 30-unit agree/disagree ballot in Python, and
    prove it in the JavaScript client under Node."""
    sim = simulate.set_up(voters=1100, units=UNITS, trustees=5, threshold=3, flag=False)
    election, secret = sim.election, sim.secrets[0]
    choices = simulate.random_choices(election, random.Random(1))
    ballot = encrypt_ballot(election, choices, secret)
    out = {
        "py_prove_ms": median_ms(lambda: encrypt_ballot(election, choices, secret), runs),
        "py_verify_ms": median_ms(lambda: verify_ballot(election, ballot), runs),
    }
    node = shutil.which("node")
    if node is None:
        out["js_prove_ms"] = "skipped: node not on PATH"
        return out
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"election": election.raw, "choices": choices}, f)
    try:
        proc = subprocess.run([node, str(ROOT / "bench" / "js_prove.mjs"), f.name, str(runs)],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        out["js_prove_ms"] = json.loads(proc.stdout.strip().splitlines()[-1])["js_prove_ms_median"]
    finally:
        os.unlink(f.name)
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        ppid = int(fields.get("PPid", "0").strip())
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack += children.get(p, [])
    return total / 1024


def verify_in_subprocess(path: Path, workers: int) -> tuple[float, float]:
    """Run voting-verify as a separate process tree; return wall seconds and
    the peak of the tree's summed resident memory (sampled every 0.1 s)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "voting.verify", "--quiet",
                             "--workers", str(workers), str(path)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.1)
    elapsed = time.perf_counter() - start
    output = proc.stdout.read()
    if proc.returncode != 0:
        raise SystemExit("the simulated record did not verify:\n" + output)
    return elapsed, peak


def record_figures(ballots: int, workers: int, flag: bool) -> dict:
    """Simulate a round of 30 per-unit contests (and, with ``flag``, a
    choose-1 contest over the units), then verify its record."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "record.zip"
        sim = simulate.simulate(ballots=ballots, units=UNITS, trustees=5, threshold=3,
                                out=path, workers=workers, flag=flag)
        elapsed, peak = verify_in_subprocess(path, workers)
        return {"tally_decrypt_record_s": sim.timings["tally_decrypt_record"],
                "verify_s": elapsed, "verify_peak_mb": peak,
                "record_mb": path.stat().st_size / 1e6}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="1,000-ballot pipeline runs")
    parser.add_argument("--ballot-runs", type=int, default=15)
    parser.add_argument("--ballots", type=int, default=1000)
    parser.add_argument("--only", choices=["ballot", "record", "cast", "browser"],
                        action="append",
                        help="run only these parts (repeatable); default: all")
    args = parser.parse_args(argv)
    parts = set(args.only or ["ballot", "record", "cast", "browser"])
    workers = os.cpu_count() or 1
    print(f"machine: {machine()}")
    if "ballot" in parts:
        print_ballot_figures(args.ballot_runs)
    if "record" in parts:
        print_record_figures(args.ballots, args.runs, workers)
    if "cast" in parts:
        print_cast_figures()
    if "browser" in parts:
        print_browser_figures()
    return 0


def print_ballot_figures(runs: int) -> None:
    b = ballot_figures(runs)
    print(f"30-unit agree/disagree ballot, median of {runs}:")
    print(f"  prove  (Python, 1 core)        {b['py_prove_ms']:8.1f} ms   target <= 40")
    print(f"  verify (Python, 1 core)        {b['py_verify_ms']:8.1f} ms   target <= 40")
    js = b["js_prove_ms"]
    js_text = f"{js:8.1f} ms" if isinstance(js, float | int) else js
    print(f"  prove  (JavaScript, Node)      {js_text}   target <= 400")


def print_record_figures(ballots: int, repeat: int, workers: int) -> None:
    shapes = [(False, f"{UNITS} agree/disagree units (the ballot above)"),
              (True, f"{UNITS} units + choose-1 of {UNITS} (simulate's default shape)")]
    for flag, label in shapes:
        runs = [record_figures(ballots, workers, flag) for _ in range(repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{ballots}-ballot round, {label}, 3-of-5 trustees, median of {repeat}:")
        print(f"  tally + decryption + record    {med['tally_decrypt_record_s']:8.2f} s"
              "    target <= 3")
        print(f"  full verification, {workers} workers  {med['verify_s']:8.2f} s"
              f"    target <= 25   (record {med['record_mb']:.1f} MB)")
        print(f"  verification peak memory       {med['verify_peak_mb']:8.0f} MB"
              "   target <= 300   (all processes)")


def print_cast_figures() -> None:
    from .cast import run

    try:
        c = run()
    except Exception as exc:  # noqa: BLE001 - report, don't hide, a failed run
        print(f"cast figures skipped: {exc}")
        return
    print(f"cast API, 30-unit ballot, {c['database']}:")
    print(f"  one cast request, server time  {c['single_cast_ms']:8.1f} ms   target <= 60"
          "   (median, in-process)")
    print("  200 delegates within 60 s, make serve's server (2 workers), while 6 slow "
          "clients send a body 1 byte/s:")
    print(f"    p50 {c['p50_ms']:.0f} ms, p95 {c['p95_ms']:.0f} ms (target <= 500), "
          f"max {c['max_ms']:.0f} ms, errors {c['errors']} (target 0)")
    print(f"    stored {c['stored']} of {c['expected']} sent: lost {c['lost']}, "
          f"doubled {c['doubled']} (target 0, 0); slow clients dropped {c['slow_dropped']} "
          "(kept: they are slow, not idle)")


def print_browser_figures(runs: int = 3) -> None:
    from .browser import run

    b = run(runs)
    if isinstance(b, str):
        print(f"browser figures {b}")
        return
    k = b["keygen_ms"]
    print(f"key generation, 5 trustees, t = 3, headless Chromium, 4x CPU throttling, "
          f"slowest trustee, median of {runs}:")
    for step in ("commit", "reveal", "confirm"):
        print(f"  {step:<8} step                  {k[step]:8.0f} ms   target <= 2000")
    print(f"  scrypt stretch (once per visit) {k['scrypt']:7.0f} ms   (named separately)")
    print(f"JS verifier, 200 ballots x {UNITS} per-unit contests, median of {runs}:")
    print(f"  Chromium (verify page, workers) {b['chromium_s']:7.1f} s    target <= 20")
    node = b["node_s"]
    print("  Node (npm run verify)          " + (f"{node:8.1f} s" if node else "  skipped"))
    print(f"  voting-verify (Python)         {b['python_s']:8.1f} s    "
          f"ratio Chromium/Python {b['chromium_s'] / b['python_s']:.1f}")


if __name__ == "__main__":
    sys.exit(main())
