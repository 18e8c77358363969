"""The vote page's choices kept over a reload, under Node
(``node --test tests/client/vote_drafts.test.mjs``): option indices per
round only, ignored when they do not fit the manifest, dropped once cast,
forgotten when another card may be on the phone. The page itself:
tests/e2e/test_vote_drafts.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..conftest import skip_unless

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "client" / "vote_drafts.test.mjs"
NODE = shutil.which("node")


@skip_unless(NODE is not None, "needs `node` on PATH")
def test_drafts_keep_only_choices():
    proc = subprocess.run([NODE, "--test", str(SCRIPT)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, (
        f"node --test failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    assert "# pass 5" in proc.stdout and "# fail 0" in proc.stdout
