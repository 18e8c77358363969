"""Refresh the Vietnamese catalog (developer tool, not run by the app).

    .venv/bin/python tools/i18n.py

Extracts every message from the code and templates (babel.cfg), merges it
into voting/translations/vi/LC_MESSAGES/messages.po, drops messages no
longer used, and lists any message still untranslated. Translations are
written in the .po file; new ones may also be dropped into
voting/translations/pending/*.json ({"English msgid": "Vietnamese"}), which
fill empty entries (delete those files once merged). The
catalog is compiled by ``make`` (``pybabel compile``); tests/web/test_i18n.py
fails when a message has no Vietnamese translation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "voting" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
PENDING = ROOT / "voting" / "translations" / "pending"
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}


def extract() -> Catalog:
    """Every message in the code and templates, as a template catalog."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    template = Catalog(project="voting")
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def refresh() -> list[str]:
    template = extract()
    if CATALOG.exists():
        with open(CATALOG, "rb") as f:
            catalog = read_po(f, locale="vi")
    else:
        catalog = Catalog(locale="vi", project="voting")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    pending = {}
    for path in sorted(PENDING.glob("*.json")):
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in pending and not message.string:
            message.string = pending[key]
        if not message.string:
            missing.append(key)
    CATALOG.parent.mkdir(parents=True, exist_ok=True)
    with open(CATALOG, "wb") as f:
        write_po(f, catalog, width=100, sort_output=True, omit_header=False)
    return missing


if __name__ == "__main__":
    missing = refresh()
    for key in missing:
        print(f"untranslated: {key}")
    print(f"{CATALOG.relative_to(ROOT)}: {len(missing)} untranslated")
    sys.exit(1 if missing else 0)
