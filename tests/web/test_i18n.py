"""Vietnamese by default, English available, on every page: the catalog
translates every message the code and templates use."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from ..conftest import skip_unless

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "voting" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="vi")


def test_every_message_in_code_and_templates_has_a_vietnamese_translation():
    sys.path.insert(0, str(ROOT / "tools"))
    from i18n import extract

    translated = {m.id: m.string for m in catalog() if m.id}
    used = [m.id for m in extract() if m.id]
    assert len(used) > 100
    missing = [m for m in used if not translated.get(m)]
    assert missing == []


def test_translations_keep_their_placeholders():
    for message in catalog():
        if message.id and isinstance(message.id, str):
            assert sorted(PLACEHOLDER.findall(message.id)) == \
                sorted(PLACEHOLDER.findall(message.string)), message.id


@skip_unless(MO.is_file(), "the compiled catalog is built by make (pybabel compile)")
def test_pages_are_vietnamese_by_default_and_english_on_request(app):
    client = app.test_client()
    vietnamese = next(m.string for m in catalog() if m.id == "Verifiable voting")
    assert vietnamese and vietnamese != "Verifiable voting"
    page = client.get("/").get_data(as_text=True)
    assert 'lang="vi"' in page and vietnamese in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "Verifiable voting" in english
    # The choice sticks for the session.
    assert 'lang="en"' in client.get("/vote").get_data(as_text=True)
