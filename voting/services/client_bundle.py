"""The ballot-client bundle the vote page serves, named by its SHA-256
(PROTOCOL §5.3 ``ballot_client``, §15).

The bundle (``voting/static/dist/vote.js``) is built reproducibly from the
repository (pinned esbuild, lockfile), so anyone can rebuild it from a fresh
clone and compare hashes. Its hash goes into each election object when the
round opens, and the vote page loads it with Subresource Integrity.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from .. import ROOT
from .errors import Invalid

#: The served bundle, relative to the repository.
BUNDLE = Path("voting") / "static" / "dist" / "vote.js"

_cache: dict[tuple[Path, int, int], bytes] = {}


def _digest(path: Path = ROOT / BUNDLE) -> bytes:
    """SHA-256 of the bundle, re-read whenever its size or mtime changes.

    :raises Invalid: the bundle is not built.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise Invalid("the ballot client is not built (run make build)") from exc
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        _cache.clear()
        _cache[key] = hashlib.sha256(path.read_bytes()).digest()
    return _cache[key]


def sha256_hex(path: Path = ROOT / BUNDLE) -> str:
    """What the election object records: 64 lowercase hex digits."""
    return _digest(path).hex()


def round_client_hash(rnd) -> str | None:
    """The ballot client a round's election object names; None before it opens."""
    if not rnd.election_json:
        return None
    return json.loads(rnd.election_json)["ballot_client"]


def integrity(path: Path = ROOT / BUNDLE) -> str:
    """The ``integrity`` attribute of the vote page's script (SRI)."""
    return "sha256-" + base64.b64encode(_digest(path)).decode()
