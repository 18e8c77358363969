"""Kill rate per module of the last mutation run (``make mutation``).

Reads mutmut's verdicts, by default from ``mutmut results --all true`` run in
the repository (or from a file holding that output, or ``-`` for stdin), and
prints one row per module of voting/crypto/ and a total:

    module  mutants  killed  timeout  survived  no tests  other  kill rate

A mutant counts as killed when a test failed on it or it timed out (an
endless loop is caught too); the kill rate is that over all mutants, so
mutants no test reaches ("no tests") count against it. ``--survivors``
also lists the names of the mutants that were not killed, for
``mutmut show NAME``.

    python tools/mutation_report.py [--survivors] [RESULTS_FILE | -]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "voting.crypto"
KILLED = {"killed", "timeout"}


def mutmut_results() -> str:
    """``mutmut results --all true``, run with the venv's mutmut."""
    local = Path(sys.executable).with_name("mutmut")
    exe = str(local) if local.exists() else shutil.which("mutmut")
    if exe is None:
        sys.exit("mutation_report: mutmut is not installed (make mutation installs it)")
    proc = subprocess.run([exe, "results", "--all", "true"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"mutation_report: mutmut results failed:\n{proc.stderr}")
    return proc.stdout


def parse(text: str) -> dict[str, dict[str, str]]:
    """{module: {mutant name: status}} from lines ``name: status``.

    A mutant's name is its module's dotted path, then the mangled function
    (``x_name`` for a function, ``xǁClassǁname`` for a method), then
    ``__mutmut_N``.
    """
    verdicts: dict[str, dict[str, str]] = defaultdict(dict)
    for line in text.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep or "__mutmut_" not in name:
            continue
        parts = name.split(".")
        cut = next(i for i, p in enumerate(parts) if p.startswith(("x_", "xǁ")))
        verdicts[".".join(parts[:cut])][name] = status
    return verdicts


def crypto_modules() -> list[str]:
    return [f"{PACKAGE}.{p.stem}" for p in sorted((ROOT / "voting" / "crypto").glob("*.py"))]


def rate(killed: int, total: int) -> str:
    return f"{100 * killed / total:6.1f}%" if total else "      -"


def table(verdicts: dict[str, dict[str, str]]) -> list[str]:
    header = (f"{'module':<24} {'mutants':>7} {'killed':>7} {'timeout':>7} {'survived':>8} "
              f"{'no tests':>8} {'other':>5} {'kill rate':>9}")
    lines = [header, "-" * len(header)]
    modules = sorted(set(crypto_modules()) | set(verdicts))
    total = Counter()
    for module in modules:
        counts = Counter(verdicts.get(module, {}).values())
        total += counts
        lines.append(_row(module.removeprefix(f"{PACKAGE}."), counts))
    lines.append("-" * len(header))
    lines.append(_row("total", total))
    return lines


def _row(label: str, counts: Counter) -> str:
    n = sum(counts.values())
    killed = counts["killed"] + counts["timeout"]
    other = n - killed - counts["survived"] - counts["no tests"]
    return (f"{label:<24} {n:>7} {counts['killed']:>7} {counts['timeout']:>7} "
            f"{counts['survived']:>8} {counts['no tests']:>8} {other:>5} "
            f"{rate(killed, n):>9}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?",
                        help="a file with `mutmut results --all true` output, or - for stdin")
    parser.add_argument("--survivors", action="store_true",
                        help="also list every mutant that was not killed")
    args = parser.parse_args(argv)
    if args.results == "-":
        text = sys.stdin.read()
    elif args.results:
        text = Path(args.results).read_text(encoding="utf-8")
    else:
        text = mutmut_results()
    verdicts = parse(text)
    if not verdicts:
        print("mutation_report: no mutation results: run `make mutation` first", file=sys.stderr)
        return 1
    print("\n".join(table(verdicts)))
    if args.survivors:
        for module in sorted(verdicts):
            left = sorted((n, s) for n, s in verdicts[module].items() if s not in KILLED)
            if left:
                print(f"\n{module}: {len(left)} not killed")
                print("\n".join(f"  {n}: {s}" for n, s in left))
    return 0


if __name__ == "__main__":
    sys.exit(main())
