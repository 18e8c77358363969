"""The vote page's card-code field shows the code as the card prints it
(cards.format_manual_code: XXXXX-XXXXX-XXXXX-XXXXX-XXXXXX), and takes it."""

from __future__ import annotations

import re

from voting.services import cards


def test_the_placeholder_has_the_cards_groups(client):
    page = client.get("/vote").get_data(as_text=True)
    field = re.search(r'<input id="code-input"[^>]*>', page, re.S)[0]
    placeholder = re.search(r'placeholder="([^"]+)"', field)[1]
    assert placeholder == "-".join("X" * n for n in cards.GROUPS)
    assert placeholder == "XXXXX-XXXXX-XXXXX-XXXXX-XXXXXX"
    printed = cards.format_manual_code(cards.encode_token(bytes(range(16))))
    assert [len(g) for g in printed.split("-")] == [len(g) for g in placeholder.split("-")]
    assert int(re.search(r'maxlength="(\d+)"', field)[1]) >= len(printed)
    assert "pattern=" not in field  # spaces, lower case and aliases are accepted
