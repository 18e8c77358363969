"""voting/crypto must stay pure: stdlib, PyNaCl, cryptography and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CRYPTO = Path(__file__).resolve().parents[2] / "voting" / "crypto"
THIRD_PARTY = {"nacl", "cryptography"}


def imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports; relative imports that climb
    out of the package are reported as such."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names.add(node.module)
            elif node.level == 1:
                names.add("voting.crypto")
            else:
                names.add("<relative import outside voting.crypto>")
    return names


def is_allowed(module: str) -> bool:
    root = module.split(".")[0]
    return (root in sys.stdlib_module_names or root in THIRD_PARTY
            or module == "voting.crypto" or module.startswith("voting.crypto."))


def test_crypto_imports_only_stdlib_pynacl_cryptography():
    files = sorted(CRYPTO.glob("*.py"))
    assert len(files) > 5
    offenders = {path.name: bad for path in files
                 if (bad := {m for m in imported_modules(path) if not is_allowed(m)})}
    assert offenders == {}


def test_the_purity_check_catches_outside_imports(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("import flask\nfrom ..models import Round\nfrom voting.web import x\n")
    assert not any(is_allowed(m) for m in imported_modules(sample))
