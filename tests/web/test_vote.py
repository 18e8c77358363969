"""The delegate's phone page: what the server sends (no token, strict CSP,
the bundled script, every text the script needs) and the card-token
decoder under Node. The whole vote in a real browser is in
tests/e2e/test_vote.py."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

from ..conftest import skip_unless
from .test_api import opened  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
SRC = ROOT / "voting" / "static" / "src"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: RFC 4648 base 32 has the same bit layout (most significant first, zero
#: padding bits); only the alphabet differs.
TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CROCKFORD)


def token_text(token: bytes) -> str:
    """A card token's 26-digit Crockford text, computed independently."""
    return base64.b32encode(token).decode().rstrip("=").translate(TO_CROCKFORD)


def test_token_text_reference_matches_the_rule():
    assert token_text(bytes(16)) == "0" * 26
    assert token_text(b"\xff" * 16) == "Z" * 25 + "W"  # 2 zero padding bits
    assert token_text(bytes(15) + b"\x01") == "0" * 25 + "4"


# --- the page as served -------------------------------------------------------------

def test_vote_page_renders_with_the_bundled_script_and_csp(client):
    response = client.get("/vote")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<script type="module" src="/static/dist/vote.js" integrity="sha256-' in html
    assert "/static/css/vote.css" in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"\sstyle=|<style", html), "inline style"
    assert "<html lang=" in html


def test_vote_page_contains_no_token(client, opened):  # noqa: F811 - fixture
    html = client.get("/vote").get_data(as_text=True)
    for token in opened.tokens:
        assert token.hex() not in html
        assert token_text(token) not in html
        assert token_text(token)[:13] not in html


def test_code_form_cannot_submit_the_code(client):
    """Without the script, submitting the form must not put the code in a URL."""
    html = client.get("/vote").get_data(as_text=True)
    code_input = re.search(r'<input id="code-input"[^>]*>', html).group(0)
    assert " name=" not in code_input


def script_text_keys() -> set[str]:
    """Every text key the page script and its modules look up."""
    sources = "".join(p.read_text(encoding="utf-8") for p in
                      [SRC / "pages" / "vote.js", *(SRC / "vote").glob("*.js")])
    keys = set(re.findall(r"\bt\('(\w+)'", sources))
    known = re.search(r"const known = \[([^\]]*)\]", sources).group(1)
    keys |= set(re.findall(r"'(\w+)'", known))
    return keys | {"agree", "disagree"}  # looked up by option id


def test_every_script_text_is_rendered_by_the_template(client):
    html = client.get("/vote").get_data(as_text=True)
    rendered = set(re.findall(r'<span data-key="(\w+)">[^<]+</span>', html))
    keys = script_text_keys()
    assert len(keys) > 20
    assert keys - rendered == set()


# --- the token decoder under Node ---------------------------------------------------

@skip_unless(NODE is not None, "needs `node` on PATH")
def test_token_decoder_under_node():
    tokens = [secrets.token_bytes(16) for _ in range(50)]
    vectors = [[t.hex(), token_text(t)] for t in tokens]
    env = dict(os.environ, VOTE_TOKEN_VECTORS=json.dumps(vectors))
    proc = subprocess.run([NODE, "--test", str(ROOT / "tests" / "client" / "vote_token.test.mjs")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    assert "# fail 0" in proc.stdout and "# pass 4" in proc.stdout
