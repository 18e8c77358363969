"""``make serve``'s first step: build the app as production will, and stop
with a sentence saying what to set, not a traceback, when it cannot start
(no VOTING_SECRET_KEY, no record-signing key, an unusable one)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.py, as ``flask --app wsgi`` finds it

from voting import create_app  # noqa: E402  (needs the path above)

HINTS = {
    "VOTING_SECRET_KEY": "  export VOTING_SECRET_KEY=$(python3 -c 'import secrets; "
                         "print(secrets.token_hex(32))')   # once; keep it",
    "record-signing key": "  VOTING_KEYS_DIR=… .venv/bin/flask --app wsgi voting record-key new"
                          "   # once, without VOTING_ENV=production (README §Deployment)",
}


def main() -> int:
    if os.environ.get("VOTING_ENV") != "production":
        print("make serve: set VOTING_ENV=production (the Makefile does)", file=sys.stderr)
        return 1
    try:
        app = create_app()
    except RuntimeError as exc:  # ProductionConfig's and MissingRecordKey's refusals
        print(f"make serve: cannot start: {exc}", file=sys.stderr)
        for needle, hint in HINTS.items():
            if needle in str(exc):
                print(hint, file=sys.stderr)
        return 1
    app.extensions["voting.engine"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
