"""The served browser bundles are built reproducibly (PROTOCOL §15, README
"auditor's guide"): two builds of the same sources in separate directories,
with the pinned esbuild of the lockfile, give the same bytes, and the same
bytes as this checkout's build. So the ballot client's SHA-256 in an
election object (``ballot_client``) can be checked by rebuilding from a
fresh clone; and the vote page loads that bundle with Subresource
Integrity over exactly those bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from voting.services import client_bundle

from ..conftest import skip_unless

ROOT = Path(__file__).resolve().parents[2]
NPM = shutil.which("npm")
HAVE_PACKAGES = (ROOT / "node_modules" / ".bin" / "esbuild").exists()
needs_npm = skip_unless(NPM is not None and HAVE_PACKAGES,
                        "needs `npm` on PATH and the npm packages (npm ci)")


def build_in(where: Path) -> dict[str, str]:
    """Copy the sources and the lockfile to ``where``, build there with
    package.json's own build script, and hash every served .js file."""
    (where / "voting" / "static").mkdir(parents=True)
    shutil.copytree(ROOT / "voting" / "static" / "src", where / "voting" / "static" / "src")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, where / name)
    (where / "node_modules").symlink_to(ROOT / "node_modules")
    subprocess.run([NPM, "run", "--silent", "build"], cwd=where, check=True,
                   capture_output=True)
    dist = where / "voting" / "static" / "dist"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in dist.glob("*.js")}


def test_esbuild_and_the_noble_packages_are_pinned_exactly():
    package = json.loads((ROOT / "package.json").read_text())
    pins = {**package["dependencies"], **package["devDependencies"]}
    assert "esbuild" in pins
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pins.values()), pins
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/esbuild"]["version"] == pins["esbuild"]


@needs_npm
def test_two_builds_in_separate_directories_give_the_same_bytes(tmp_path):
    first = build_in(tmp_path / "one")
    second = build_in(tmp_path / "two")
    assert "vote.js" in first and len(first) >= 5
    assert first == second
    built = ROOT / client_bundle.BUNDLE
    assert hashlib.sha256(built.read_bytes()).hexdigest() == first["vote.js"], \
        "this checkout's vote.js is stale: run make build"


@needs_npm
def test_a_changed_source_changes_the_hash(tmp_path):
    """The comparison can fail: one more statement in the ballot client."""
    honest = build_in(tmp_path / "honest")
    (tmp_path / "evil").mkdir()
    where = tmp_path / "evil"
    (where / "voting" / "static").mkdir(parents=True)
    shutil.copytree(ROOT / "voting" / "static" / "src", where / "voting" / "static" / "src")
    vote = where / "voting" / "static" / "src" / "pages" / "vote.js"
    vote.write_text(vote.read_text() + "\nglobalThis.leak = 1;\n")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, where / name)
    (where / "node_modules").symlink_to(ROOT / "node_modules")
    subprocess.run([NPM, "run", "--silent", "build"], cwd=where, check=True,
                   capture_output=True)
    evil = hashlib.sha256((where / "voting/static/dist/vote.js").read_bytes()).hexdigest()
    assert evil != honest["vote.js"]


def test_the_integrity_attribute_is_the_bundles_sha256(tmp_path):
    bundle = tmp_path / "vote.js"
    bundle.write_bytes(b"console.log(1);\n")
    digest = hashlib.sha256(b"console.log(1);\n").digest()
    assert client_bundle.sha256_hex(bundle) == digest.hex()
    assert client_bundle.integrity(bundle) == "sha256-" + base64.b64encode(digest).decode()
    bundle.write_bytes(b"console.log(22);\n")           # rebuilt: the cache follows
    assert client_bundle.sha256_hex(bundle) == hashlib.sha256(b"console.log(22);\n").hexdigest()
    with pytest.raises(Exception, match="not built"):
        client_bundle.sha256_hex(tmp_path / "missing.js")
