"""Verify a round's election record without the server or its database.

    voting-verify record.zip        (or: python -m voting.verify record.zip)

Prints the numbered checks of docs/PROTOCOL.md §14 with PASS or FAIL and
exits 0 only if every check passes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from .crypto.record import fingerprint_groups
from .crypto.record import key_fingerprint
from .crypto.record import parse_key_fingerprint
from .crypto.verifier import verify_record


def _server_key(text: str) -> bytes:
    try:
        return parse_key_fingerprint(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _client_hash(text: str) -> str:
    value = text.strip().lower()
    if len(value) != 64 or not set(value) <= set("0123456789abcdef"):
        raise argparse.ArgumentTypeError("a SHA-256 is 64 hex digits")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="voting-verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("record", help="the record zip downloaded from the board")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes verifying ballots (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--server-key", metavar="FINGERPRINT", type=_server_key,
                        help="the server key fingerprint published outside the record (on the "
                             "board, in the minutes, on receipts): check 3 fails if the record "
                             "is signed by another key (64 hex digits, spaces allowed)")
    parser.add_argument("--client-hash", metavar="SHA256", type=_client_hash,
                        help="the SHA-256 of the ballot client you rebuilt (sha256sum "
                             "voting/static/dist/vote.js): check 4 fails if the election "
                             "names another")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    progress = None if args.quiet else lambda m: print(f"  ... {m}", file=sys.stderr, flush=True)
    if args.server_key is not None:
        print(f"Expected server key: {fingerprint_groups(key_fingerprint(args.server_key))}")
    report = verify_record(args.record, workers=max(1, args.workers), progress=progress,
                           server_key=args.server_key, client_hash=args.client_hash)
    for line in report.lines():
        print(line)
    if report.key_line():
        print(report.key_line())
    if report.ballot_client:
        print(f"Ballot client: sha256 {report.ballot_client}")
    if report.counts is not None:
        print("Counts verified (check 17):")
        for line in report.count_lines():
            print(line)
    if report.outcomes:
        print("Outcomes verified (check 18):")
        for line in report.outcome_lines():
            print(line)
    elapsed = time.perf_counter() - started
    verdict = "VALID: every check passed" if report.ok else "INVALID: see the failed checks"
    print(f"{verdict} ({report.ballots} ballots, {elapsed:.1f} s)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
