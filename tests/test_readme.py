"""The README's quick start names buttons and links as the pages label them:
every *Italic Label* in its numbered steps is a message of a template, so
that a new user finds the button the README says to press."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_labels() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    steps = text.split("Then, in the browser:", 1)[1].split("Other targets:", 1)[0]
    labels = [" ".join(m.split()) for m in re.findall(r"(?<!\*)\*([^*]+)\*(?!\*)", steps)]
    return [label for label in labels if label[0].isupper()]  # not *that*-style emphasis


def template_messages() -> set[str]:
    messages = set()
    for path in (ROOT / "templates").rglob("*.html"):
        messages |= set(re.findall(r'_\("([^"]+)"', path.read_text(encoding="utf-8")))
    return messages


def test_the_quick_start_names_the_buttons_as_the_pages_do():
    labels = quick_start_labels()
    assert "Create the sample conference" in labels and len(labels) >= 10
    missing = [label for label in labels if label not in template_messages()]
    assert missing == [], f"the README names labels no page shows: {missing}"
