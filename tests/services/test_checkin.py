"""Check-in: presence and "received a card" counts, search, and that the
figures feed a round's live turnout."""

from __future__ import annotations

import pytest

from voting.models import Delegate
from voting.services import checkin
from voting.services import conferences
from voting.services import rounds
from voting.services.errors import NotFound

from ..factories import make_conference


def sample(session):
    conference = conferences.create_conference(session, "Hội nghị")
    conferences.import_delegates(session, conference, "\n".join([
        "name,organisation",
        "Nguyễn Văn Hùng,Phòng Cảnh sát hình sự",
        "Đỗ Thị Thu Hà,Phòng Cảnh sát kinh tế",
        "Đặng Văn Quyết,Phòng Cảnh sát phòng chống tội phạm về môi trường",
    ]))
    return conference


def test_counts_follow_presence_and_cards(session):
    conference = sample(session)
    hung, ha, quyet = conference.delegates
    assert checkin.counts(session, conference) == checkin.Counts(3, 0, 0)
    checkin.set_present(session, hung, True)
    checkin.set_card(session, ha, True)          # a card implies presence
    assert ha.is_present and ha.has_card
    assert checkin.counts(session, conference) == checkin.Counts(3, 2, 1)
    checkin.set_card(session, ha, False)         # card given back: still present
    checkin.set_present(session, quyet, False)
    assert checkin.counts(session, conference) == checkin.Counts(3, 2, 0)


def test_round_turnout_uses_the_check_in_figures(session):
    conference = make_conference(session, units=2, delegates=4)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    first, second = conference.delegates[:2]
    checkin.set_card(session, first, True)
    checkin.set_present(session, second, True)
    assert rounds.turnout(session, rnd) == rounds.Turnout(members=4, present=2, issued=1, cast=0)


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["Nguyễn Văn Hùng", "Đỗ Thị Thu Hà", "Đặng Văn Quyết"]),
    ("nguyen van", ["Nguyễn Văn Hùng"]),
    ("ĐỖ", ["Đỗ Thị Thu Hà"]),
    ("do thi", ["Đỗ Thị Thu Hà"]),
    ("van", ["Nguyễn Văn Hùng", "Đặng Văn Quyết"]),
    ("môi trường", ["Đặng Văn Quyết"]),
    ("quyet moi truong", ["Đặng Văn Quyết"]),
    ("nobody", []),
])
def test_search_ignores_case_and_accents(session, query, expected):
    conference = sample(session)
    found = checkin.search_delegates(session, conference, query)
    assert [d.name for d in found.delegates] == expected
    assert (found.total, found.page, found.pages) == (len(expected), 1, 1)


def test_the_list_comes_in_pages_and_a_delegate_is_found_on_its_page(session):
    conference = make_conference(session, units=1, delegates=2 * checkin.PAGE_SIZE + 5)
    names = [d.name for d in conference.delegates]
    size = checkin.PAGE_SIZE
    for page, expected in ((1, names[:size]), (2, names[size:2 * size]),
                           (3, names[2 * size:]), (4, names[2 * size:]), (0, names[:size])):
        found = checkin.search_delegates(session, conference, "", page)
        assert [d.name for d in found.delegates] == expected
        assert (found.total, found.pages) == (2 * size + 5, 3)
    assert checkin.page_of(session, conference.delegates[size - 1]) == 1
    assert checkin.page_of(session, conference.delegates[size]) == 2
    last = conference.delegates[-1]
    assert checkin.page_of(session, last) == 3
    assert checkin.page_of(session, last, last.name) == 1


def test_a_delegate_of_another_conference_is_not_found(session):
    conference = sample(session)
    other = make_conference(session, units=1, delegates=1)
    with pytest.raises(NotFound):
        checkin.get_delegate(session, conference, other.delegates[0].id)
    assert isinstance(checkin.get_delegate(session, conference, conference.delegates[0].id),
                      Delegate)


def test_check_in_never_names_a_card():
    """Secrecy by design: the service has no way to record which card."""
    import inspect

    for function in (checkin.set_card, checkin.set_present):
        assert list(inspect.signature(function).parameters)[1:] in (
            ["delegate", "has_card"], ["delegate", "is_present"])
