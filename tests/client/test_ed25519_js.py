"""The JS record-signature rule (voting/static/src/signature.js) against the
outside Ed25519 suites, and against the Python one vector by vector.

(a) ``node --test tests/client/ed25519_suites.test.mjs``: the JS verdicts
    and strict point decoding follow the suites' labels and flags.
(b) The same file's ``--json`` verdicts equal, for every vector of both
    suites, :func:`voting.crypto.signature.verify_ed25519`'s verdict (and
    the check that refused it) and :func:`voting.crypto.group.decode_point`
    on its A and R.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from voting.crypto import group
from voting.crypto.errors import InvalidEncoding

from ..conftest import IN_CI
from ..conftest import skip_unless
from ..crypto.test_ed25519_suites import all_vectors
from ..crypto.test_ed25519_suites import python_verdict

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "client" / "ed25519_suites.test.mjs"
NODE = shutil.which("node")
HAVE_NOBLE = (ROOT / "node_modules" / "@noble" / "curves").is_dir()

needs_node = skip_unless(NODE is not None and HAVE_NOBLE,
                         "needs `node` on PATH and the npm packages (npm ci)")


@needs_node
def test_js_verifier_follows_the_suites():
    proc = subprocess.run([NODE, "--test", str(SCRIPT)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, (
        f"node --test failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    assert "# fail 0" in proc.stdout


@pytest.fixture(scope="module")
def js_verdicts() -> list[dict]:
    if (NODE is None or not HAVE_NOBLE) and not IN_CI:
        pytest.skip("needs `node` on PATH and the npm packages (npm ci)")
    proc = subprocess.run([NODE, str(SCRIPT), "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _decodes(point: bytes) -> bool:
    try:
        group.decode_point(point)
    except InvalidEncoding:
        return False
    return True


@needs_node
def test_python_and_js_agree_vector_by_vector(js_verdicts):
    vectors = all_vectors()
    assert [(v["suite"], v["id"]) for v in vectors] == [(j["suite"], j["id"]) for j in js_verdicts]
    disagreements = []
    for v, js in zip(vectors, js_verdicts, strict=True):
        ours = {"verdict": python_verdict(v["key"], v["msg"], v["sig"]),
                "A": _decodes(v["key"]),
                "R": _decodes(v["sig"][:32]) if len(v["sig"]) >= 32 else None}
        theirs = {k: js[k] for k in ours}
        if ours != theirs:
            disagreements.append((v["suite"], v["id"], ours, theirs))
    assert disagreements == []
    counts: dict[str, int] = {}
    for js in js_verdicts:
        counts[js["verdict"]] = counts.get(js["verdict"], 0) + 1
    # CCTV: 1 accepted, 886 + 27 refused; Wycheproof: 88 accepted, 63 refused.
    assert counts == {"accept": 1 + 88, "A": 886, "R": 27 + 38, "S": 9, "equation": 4, "length": 12}
