"""The browser client's exact JSON types under Node
(``node --test tests/client/exact_types.test.mjs``): booleans are never
integers in what it reads from the server (election objects, vote API
replies, trustee data), integers never booleans, every integer a safe one;
its canonical JSON throws on non-integers, integers beyond ±2^53 and lone
surrogates, and still writes valid values byte for byte."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..conftest import skip_unless

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "client" / "exact_types.test.mjs"
BUNDLE = ROOT / "voting" / "static" / "dist" / "ballot.js"
NODE = shutil.which("node")


@skip_unless(NODE is not None and BUNDLE.is_file()
             and (ROOT / "node_modules" / "@noble" / "curves").is_dir(),
             "needs `node` on PATH, the npm packages (npm ci) and the bundle (npm run build)")
def test_client_refuses_inexact_json_types():
    proc = subprocess.run([NODE, "--test", str(SCRIPT)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, (
        f"node --test failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    assert "# fail 0" in proc.stdout
