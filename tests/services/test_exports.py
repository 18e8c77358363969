"""The export tables: published results (per-unit and choose-k rounds),
turnout and the attendance list, read back from real published rounds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.models import Conference
from voting.models import Round
from voting.models import RoundKind
from voting.services import casting
from voting.services import exports
from voting.services import rounds
from voting.services.elections import election_of
from voting.services.results import round_result

from ..factories import check_in
from ..factories import complete_key_ceremony
from ..factories import decrypt_and_publish
from ..factories import make_cards
from ..factories import make_conference

INJECTIONS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]
#: (name, organisation) of the six delegates; 1–5 are present, 1–4 hold a card.
DELEGATES = [("Nguyễn Thị Ánh Tuyết", "Công an tỉnh Vĩnh Phúc"),
             (INJECTIONS[0], INJECTIONS[1]), (INJECTIONS[2], INJECTIONS[3]),
             (INJECTIONS[3], "Phòng Cảnh sát giao thông"), ("Trần Đức Lượng", "\t=1+2"),
             ("Lê Văn Hùng", "")]
UNITS = ["Công an huyện Yên Lạc", "Công an huyện Tam Dương", INJECTIONS[0]]


@dataclass
class Built:
    conference: Conference
    per_unit: Round
    choose: Round
    open: Round
    reserve: Round
    draft: Round


def vote(session, rnd, token, choices) -> None:
    ballot = encrypt_ballot(election_of(rnd), choices, derive_credential(token, rnd.public_id))
    casting.cast_ballot(session, rnd, ballot)


def build(session, keys_dir) -> Built:
    """A conference with a published per-unit round (present 5, cast 4), a
    published choose-2 round (cast 3), an open round (cast 1), a published
    round kept as a reserve, and a draft."""
    conference = make_conference(session, units=3, delegates=6)
    for unit, name in zip(conference.units, UNITS, strict=True):
        unit.name = name
    for delegate, (name, organisation) in zip(conference.delegates, DELEGATES, strict=True):
        delegate.name, delegate.organisation = name, organisation
    session.commit()
    private = complete_key_ceremony(session, conference)
    per_unit = rounds.create_round(session, conference, "advanced", "Đơn vị tiên tiến")
    choose = rounds.create_round(session, conference, "flag", "Suy tôn Cờ thi đua")
    rounds.update_rule(session, choose, kind=RoundKind.CHOOSE, max_choices=2, comparator=">",
                       num=1, den=2, base="cast", quota=None)
    still_open = rounds.create_round(session, conference, "advanced", "Vòng đang mở")
    reserve = rounds.create_round(session, conference, "advanced", "Vòng dự phòng")
    draft = rounds.create_round(session, conference, "advanced", "Vòng nháp")
    tokens = make_cards(session, conference, [per_unit.id, choose.id, still_open.id, reserve.id], 5)
    check_in(session, conference, present=5, cards=4)
    for rnd in (per_unit, choose, still_open, reserve):
        rounds.open_round(session, rnd, keys_dir)
    for token, choices in zip(tokens, [[[0], [0], [1]], [[0], [1], [1]], [[0], [], [1]],
                                       [[1], [0], []]], strict=False):
        vote(session, per_unit, token, choices)
    for token, choices in zip(tokens, [[[0, 1]], [[0, 2]], [[1]]], strict=False):
        vote(session, choose, token, choices)
    vote(session, still_open, tokens[0], [[0], [0], [0]])
    vote(session, reserve, tokens[0], [[0], [0], [0]])
    for rnd in (per_unit, choose, reserve):
        rounds.close_round(session, rnd)
        decrypt_and_publish(session, conference, rnd, private)
    reserve.is_reserve = True  # a placeholder never appears, whatever its state
    session.commit()
    return Built(conference, per_unit, choose, still_open, reserve, draft)


@pytest.fixture
def built(app, session) -> Built:
    return build(session, app.config["VOTING_KEYS_DIR"])


#: The results of ``build``: present 5 is the per-unit base, cast 3 the choose one.
RESULT_ROWS = [
    [1, "Đơn vị tiên tiến", UNITS[0], 3, "present", 5, Decimal("60.00"), "elected",
     3, 1, 0, "per_unit"],
    [1, "Đơn vị tiên tiến", UNITS[1], 2, "present", 5, Decimal("40.00"), "not_elected",
     2, 1, 1, "per_unit"],
    [1, "Đơn vị tiên tiến", UNITS[2], 0, "present", 5, Decimal("0.00"), "not_elected",
     0, 3, 1, "per_unit"],
    [2, "Suy tôn Cờ thi đua", UNITS[0], 2, "cast", 3, Decimal("66.67"), "elected",
     None, None, None, "choose"],
    [2, "Suy tôn Cờ thi đua", UNITS[1], 2, "cast", 3, Decimal("66.67"), "elected",
     None, None, None, "choose"],
    [2, "Suy tôn Cờ thi đua", UNITS[2], 1, "cast", 3, Decimal("33.33"), "not_elected",
     None, None, None, "choose"],
]
TURNOUT_ROWS = [
    [1, "Đơn vị tiên tiến", "published", 6, 5, 4, 4, Decimal("100.00")],
    [2, "Suy tôn Cờ thi đua", "published", 6, 5, 4, 3, Decimal("75.00")],
    [3, "Vòng đang mở", "open", 6, 5, 4, 1, Decimal("25.00")],
]
ATTENDANCE_ROWS = [[k + 1, name, organisation, "yes" if k < 5 else "no",
                    "yes" if k < 4 else "no"] for k, (name, organisation) in enumerate(DELEGATES)]


def test_results_has_one_row_per_outcome_of_each_published_round(built, session):
    table = exports.results_table(session, built.conference)
    assert table.headers == ["No.", "Round", "Unit", "Votes", "Base", "Base figure",
                             "Share of the base (%)", "Outcome", "Agree", "Disagree",
                             "Blank", "Ballot shape"]
    assert table.rows == RESULT_ROWS
    assert all(type(row[6]) is Decimal for row in table.rows)
    # and the figures are the published ones
    published = [(rnd.title, o.candidate, o.count, o.base, o.status)
                 for rnd in (built.per_unit, built.choose)
                 for o in round_result(session, rnd).all_outcomes]
    assert [(r[1], r[2], r[3], r[5], r[7]) for r in table.rows] == published


def test_turnout_lists_every_round_that_opened_as_rounds_turnout_says(built, session):
    table = exports.turnout_table(session, built.conference)
    assert table.rows == TURNOUT_ROWS
    for row, rnd in zip(table.rows, (built.per_unit, built.choose, built.open), strict=True):
        t = rounds.turnout(session, rnd)
        assert row[3:7] == [t.members, t.present, t.issued, t.cast]


def test_reserve_and_draft_rounds_are_never_exported(built, session):
    hidden = {built.reserve.title, built.draft.title}
    for table in (exports.results_table(session, built.conference),
                  exports.turnout_table(session, built.conference)):
        assert not hidden & {row[1] for row in table.rows}
    assert round_result(session, built.reserve) is not None  # published, still left out


def test_attendance_says_present_and_card_never_which_card(built, session):
    table = exports.attendance_table(session, built.conference)
    assert table.headers == ["No.", "Name", "Organisation", "Present", "Card handed out"]
    assert table.rows == ATTENDANCE_ROWS
    flags = [["yes" if d.is_present else "no", "yes" if d.has_card else "no"]
             for d in built.conference.delegates]
    assert [row[3:] for row in table.rows] == flags


def test_a_conference_without_rounds_has_empty_tables(session):
    conference = make_conference(session, units=1, delegates=0)
    for build_table in exports.TABLES.values():
        assert build_table(session, conference).rows == []
