"""One vocabulary for states and outcomes (voting/web/vocabulary.py): the
chair's round page, the public board and the cards page say the same words
for the same round, in English and in Vietnamese."""

from __future__ import annotations

import re

import pytest

from voting.models import RoundKind
from voting.services import rounds
from voting.web import chair_forms
from voting.web import vocabulary

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_cards
from ..factories import make_conference
from .test_chair import chair  # noqa: F401 - fixture
from .test_chair import fresh
from .test_chair import post
from .test_chair import text
from .test_chair import vote

CHAIR_STATUS = re.compile(r'<td><span class="status status-(\w+)">([^<]*)</span></td>')
BOARD_STATUS = re.compile(r'<tr class="outcome-(\w+)"><td>[^<]*</td><td>\d+</td><td>\d+</td>\s*'
                          r'<td>([^<]*)</td></tr>')
STATE = re.compile(r'<span class="state state-published">([^<]*)</span>')


def published_round(chair, session, kind: str):  # noqa: F811
    """A published round of 3 units over 4 ballots: per-unit (unit 1 passes)
    or choose-1 with a quota of 1 and a tie between units 1 and 2."""
    conference = make_conference(session, units=3, delegates=4)
    check_in(session, conference)
    private = complete_key_ceremony(session, conference)
    rnd = rounds.create_round(session, conference, "advanced" if kind == "per_unit" else "flag",
                              "Vòng 1")
    if kind == "choose":
        rounds.update_rule(session, rnd, kind=RoundKind.CHOOSE, max_choices=1, comparator=">",
                           num=0, den=1, base="cast", quota=1)
    tokens = make_cards(session, conference, [rnd.id], 4)
    post(chair, f"/chair/rounds/{rnd.id}/open")
    fresh(session)
    ballots = ([[[0], [1], [1]]] * 3 + [[[1], [0], []]] if kind == "per_unit"
               else [[[0]], [[1]], [[0]], [[1]]])
    for token, choices in zip(tokens, ballots, strict=True):
        vote(session, rnd, token, choices)
    post(chair, f"/chair/rounds/{rnd.id}/close", {"confirm": "1"})
    fresh(session)
    decrypt_and_publish(session, conference, rnd, private)
    fresh(session)
    return rnd


@pytest.mark.parametrize(("kind", "expected"), [
    ("per_unit", [("elected", "Passed"), ("not_elected", "Not passed"),
                  ("not_elected", "Not passed")]),
    ("choose", [("runoff", "Tie at the cut-off: run-off required"),
                ("runoff", "Tie at the cut-off: run-off required"),
                ("not_elected", "Not elected")]),
])
def test_chair_and_board_say_the_same_outcome(chair, client, session, kind, expected):  # noqa: F811
    rnd = published_round(chair, session, kind)
    chair_page = text(chair.get(f"/chair/rounds/{rnd.id}"))
    board_page = text(client.get(f"/board/{rnd.public_id}"))
    assert CHAIR_STATUS.findall(chair_page) == expected
    assert BOARD_STATUS.findall(board_page) == expected
    assert STATE.findall(chair_page) == STATE.findall(board_page) == ["Result published"]
    minutes = text(chair.get(f"/chair/rounds/{rnd.id}/minutes"))
    assert [label for _s, label in CHAIR_STATUS.findall(minutes)] == [e[1] for e in expected]


def test_the_same_words_in_vietnamese(chair, app, session):  # noqa: F811
    rnd = published_round(chair, session, "choose")
    chair.get("/chair/?lang=vi")
    viewer = app.test_client()
    chair_page = text(chair.get(f"/chair/rounds/{rnd.id}"))
    board_page = text(viewer.get(f"/board/{rnd.public_id}"))
    assert CHAIR_STATUS.findall(chair_page) == BOARD_STATUS.findall(board_page) == [
        ("runoff", "Bằng phiếu tại ngưỡng: phải bỏ phiếu lại"),
        ("runoff", "Bằng phiếu tại ngưỡng: phải bỏ phiếu lại"),
        ("not_elected", "Không đạt")]
    assert STATE.findall(chair_page) == STATE.findall(board_page) == ["Đã công bố kết quả"]


def test_one_definition(app):
    assert chair_forms.STATE_LABELS is vocabulary.STATE_LABELS
    assert chair_forms.STATUS_LABELS is vocabulary.STATUS_LABELS
    with app.test_request_context("/?lang=en"):
        assert vocabulary.status_label("elected", RoundKind.PER_UNIT) == "Passed"
        assert vocabulary.status_label("elected", "choose") == "Elected"
        assert vocabulary.status_label("runoff", "per_unit") == vocabulary.status_label(
            "runoff", "choose") == "Tie at the cut-off: run-off required"
        assert vocabulary.state_label("closed") == "Closed, awaiting decryption"
        assert vocabulary.event_label("revoke") == "Card revoked"
    for template in ("board/_labels.html", "chair/_macros.html", "cards/conference.html"):
        source = app.jinja_loader.get_source(app.jinja_env, template)[0]
        for words in ("Passed", "Elected", "Draft", "run-off round required"):
            assert f'_("{words}")' not in source, (template, words)
