"""No code path on the server computes or receives a polynomial, a share in
the clear or the decryption key (PROTOCOL §4.5, §15).

(a) While three trustees generate the key through the web endpoints, a
    round is cast, closed, decrypted and published, every function that
    draws, evaluates, seals or opens a secret is watched: none runs inside
    a request. The trustees' side (outside any request) uses them freely.
(b) Afterwards every column of every table is searched for each
    coefficient, each dealer's share f_d(j), each trustee's s_j and the key
    x, in every encoding the code uses (32-byte little-endian hex, big-
    endian hex, decimal): none is there.
(c) Statically, no web view and no service the web process runs refers to
    those functions; the offline dealing (services/offline.py, for an
    air-gapped machine) is reached only from the CLI.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import flask
import pytest
from sqlalchemy import select

from voting.crypto import dkg
from voting.crypto import envelope
from voting.crypto import group
from voting.crypto import keys
from voting.crypto import tally
from voting.db import new_session
from voting.models import Base
from voting.models import Trustee
from voting.web.security import public

from .test_trustee import board_partials
from .test_trustee import closed_round
from .test_trustee import enrol_all_and_deal
from .test_trustee import name_trustees
from .test_trustee import python_partial
from .test_trustee import TrusteeBrowser

ROOT = Path(__file__).resolve().parents[2] / "voting"

#: Everything that draws, evaluates, seals or opens a secret.
SECRET_HANDLING = {
    keys: ["deal", "draw_coefficients", "dealing_of", "_evaluate"],
    dkg: ["commit", "reveal", "receive", "open_coefficients"],
    envelope: ["seal", "open_sealed", "derive_seed"],
    tally: ["partial_decrypt"],
}


@pytest.fixture
def watched(monkeypatch):
    """Wrap each secret-handling function; collect the calls made inside a
    request, and every coefficient drawn."""
    calls, drawn = [], []
    for module, names in SECRET_HANDLING.items():
        for name in names:
            original = getattr(module, name)

            @functools.wraps(original)
            def wrapper(*args, __original=original, __name=f"{module.__name__}.{name}", **kw):
                if flask.has_request_context():
                    calls.append((__name, flask.request.path))
                result = __original(*args, **kw)
                if __name.endswith("draw_coefficients"):
                    drawn.append(list(result))
                return result

            monkeypatch.setattr(module, name, wrapper)
    return calls, drawn


def encodings(secret: int) -> set[str]:
    little = group.scalar_bytes(secret)
    return {little.hex(), little[::-1].hex(), str(secret)}


def every_stored_value(app) -> str:
    with app.app_context():
        s = new_session(app)
        values = []
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                values += [str(v) for v in row]
        s.close()
    return "\n".join(values)


def test_no_request_handles_a_secret_and_none_is_stored(app, watched):
    calls, drawn = watched
    world = enrol_all_and_deal(app, name_trustees(app))
    assert len(drawn) == 3 and calls == []          # the browsers drew, no request did
    public_id = closed_round(app, world.conference_id)
    for index in (1, 2):
        browser = TrusteeBrowser(app)
        browser.open(world.tokens[index])
        partial = python_partial(app, world, public_id, index)
        assert browser.post(f"/trustee/rounds/{public_id}/partial", partial).status_code == 200
    assert board_partials(app, public_id) == [1, 2]
    assert calls == []

    secrets = set()
    for coefficients in drawn:
        secrets |= set(coefficients)
        secrets |= {keys._evaluate.__wrapped__(coefficients, j) for j in (1, 2, 3)}
    for j in (1, 2, 3):
        secrets.add(sum(keys._evaluate.__wrapped__(a, j) for a in drawn) % group.L)
    secrets.add(sum(a[0] for a in drawn) % group.L)
    stored = every_stored_value(app)
    assert len(stored) > 10_000                     # the search saw the ceremony's rows
    found = [secret for secret in secrets for text in encodings(secret) if text in stored]
    assert found == []


def test_the_search_would_find_a_stored_share(app, watched):
    """(b) can fail: a share written into a column is found."""
    _, drawn = watched
    world = enrol_all_and_deal(app, name_trustees(app))
    leaked = keys._evaluate.__wrapped__(drawn[0], 2)
    with app.app_context():
        s = new_session(app)
        s.scalars(select(Trustee)).first().kdf_salt = group.scalar_bytes(leaked).hex()
        s.commit()
        s.close()
    assert world.conference_id
    assert any(text in every_stored_value(app) for text in encodings(leaked))


def test_the_watch_would_see_a_request_that_deals(app, watched):
    """(a) can fail: a view that deals is caught."""
    calls, _ = watched

    @app.get("/deal-in-a-request")
    @public
    def deal_in_a_request():
        keys.deal(2, 3)
        return "dealt"

    assert app.test_client().get("/deal-in-a-request").status_code == 200
    assert ("voting.crypto.keys.deal", "/deal-in-a-request") in calls


def secret_references(path: Path) -> set[str]:
    """``module.function`` references to SECRET_HANDLING, as attributes of
    the module or imported by name."""
    forbidden = {m.__name__.rsplit(".", 1)[1]: set(names) for m, names in SECRET_HANDLING.items()}
    hits = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.attr in forbidden.get(node.value.id, ())):
            hits.add(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = node.module.rsplit(".", 1)[-1]
            hits |= {f"{module}.{a.name}" for a in node.names
                     if a.name in forbidden.get(module, ())}
    return hits


def test_no_view_or_server_service_refers_to_a_secret_handling_function():
    files = sorted((ROOT / "web").glob("*.py")) + [
        p for p in sorted((ROOT / "services").glob("*.py")) if p.name != "offline.py"]
    assert len(files) > 20
    offenders = {p.name: hits for p in files if (hits := secret_references(p))}
    assert offenders == {}


def test_the_static_search_finds_a_reference(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("from ..crypto import keys\nfrom ..crypto.tally import partial_decrypt\n"
                      "def f():\n    return keys.deal(2, 3)\n")
    assert secret_references(sample) == {"keys.deal", "tally.partial_decrypt"}
    assert secret_references(ROOT / "services" / "offline.py")


def test_only_the_cli_reaches_the_offline_dealing():
    importers = set()
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (
                    (node.module or "").endswith("offline")
                    or any(alias.name == "offline" for alias in node.names)):
                importers.add(path.relative_to(ROOT).as_posix())
    assert importers == {"cli/keys.py"}
