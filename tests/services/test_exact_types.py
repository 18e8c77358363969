"""JSON ``true``/``false`` are never integers, integers are never booleans,
and every integer lies in [−2^53, 2^53] (PROTOCOL §3.2): each parser of the
services refuses the others and stores nothing. Python's ``bool`` is an
``int`` and ``True == 1``, so each test offers ``True`` where 1 would be
valid. (The cast API, the trustee's partial decryption and the CLI files
are tested at their edges: tests/web/test_api.py, tests/web/test_trustee.py,
tests/test_cli_*.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from voting.models import Card
from voting.models import Credential
from voting.models import RoundKind
from voting.services import cardfile
from voting.services import cards
from voting.services import ceremony
from voting.services import conferences
from voting.services import exact
from voting.services import rounds
from voting.services import tallying
from voting.services.errors import Invalid
from voting.services.errors import NotFound

from ..factories import make_conference

NOT_INTEGERS = [True, False, 2**53 + 1, -(2**53) - 1, 1.0, "1", None]


# --- the helpers ----------------------------------------------------------------

@pytest.mark.parametrize(("value", "ok"), [
    (0, True), (1, True), (2**53, True), (-(2**53), True),
    (2**53 + 1, False), (-(2**53) - 1, False), (True, False), (False, False),
    (1.0, False), ("1", False), (None, False),
])
def test_is_int_is_exact_and_bounded(value, ok):
    assert exact.is_int(value) is ok


def test_expect_int_and_expect_bool_refuse_each_other():
    assert exact.expect_int(1, "k", 1, 1) == 1
    assert exact.expect_bool(False, "spare") is False
    for value in (True, False, 2**53 + 1):
        with pytest.raises(Invalid, match="k must be an integer"):
            exact.expect_int(value, "k")
    for value in (0, 1):
        with pytest.raises(Invalid, match="spare must be true or false"):
            exact.expect_bool(value, "spare")


def test_loads_refuses_floats_repeated_keys_and_integers_beyond_two_to_the_53():
    assert exact.loads(b'{"a": [9007199254740992, -9007199254740992, true]}') == \
        {"a": [2**53, -(2**53), True]}
    for raw in (b'{"a": 9007199254740993}', b'{"a": -9007199254740993}', b'{"a": 1.0}',
                b'{"a": 1e3}', b'{"a": NaN}', b'{"a": -Infinity}', b'{"a": 1, "a": 1}',
                b'{"a": "\xff"}', "9" * 5000):
        with pytest.raises(ValueError):
            exact.loads(raw)


# --- rule editing ---------------------------------------------------------------

RULE = {"kind": RoundKind.PER_UNIT, "max_choices": 1, "comparator": ">", "num": 1, "den": 2,
        "base": "present", "quota": None}


@pytest.mark.parametrize("field", ["max_choices", "num", "den", "quota"])
@pytest.mark.parametrize("value", NOT_INTEGERS[:5])
def test_a_rule_with_a_number_that_is_not_an_exact_integer_is_refused(session, field, value):
    conference = make_conference(session, units=2, delegates=0)
    rnd = rounds.create_round(session, conference, "flag", "Suy tôn")
    before = rounds.manifest_of(rnd), rnd.max_choices
    with pytest.raises(Invalid, match="must be an integer"):
        rounds.update_rule(session, rnd, **{**RULE, "kind": RoundKind.CHOOSE, field: value})
    session.rollback()
    session.refresh(rnd)
    assert (rounds.manifest_of(rnd), rnd.max_choices) == before
    rounds.update_rule(session, rnd, **{**RULE, "kind": RoundKind.CHOOSE, field: 1})


def test_a_rule_k_beyond_its_bound_is_refused_even_where_the_manifest_would_clamp_it(session):
    conference = make_conference(session, units=2, delegates=0)
    rnd = rounds.create_round(session, conference, "flag", "Suy tôn")
    for k in (201, 2**31, 2**53):
        with pytest.raises(Invalid, match=r"k \(most units a delegate may choose\)"):
            rounds.update_rule(session, rnd, **{**RULE, "kind": RoundKind.CHOOSE,
                                                "max_choices": k})
    session.rollback()
    session.refresh(rnd)
    assert rnd.max_choices == 1


def test_candidates_are_unit_ids_never_booleans(session):
    conference = make_conference(session, units=2, delegates=0)
    first = conference.units[0]
    assert first.id == 1  # so True would find it
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1", [first.id])
    with pytest.raises(Invalid):
        rounds.set_candidates(session, rnd, [True])
    with pytest.raises(Invalid):
        rounds.create_round(session, conference, "advanced", "Vòng 2", [True])
    session.rollback()
    assert [r.title for r in conferences.conference_rounds(session, conference)] == ["Vòng 1"]
    assert [u.id for u in rnd.units] == [first.id]


# --- cards ----------------------------------------------------------------------------

def _card_count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Card))


@pytest.mark.parametrize("field", ["count", "spares"])
@pytest.mark.parametrize("value", NOT_INTEGERS[:5])
def test_a_card_batch_with_a_number_that_is_not_an_exact_integer_is_refused(session, field,
                                                                            value):
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    numbers = {"count": 1, "spares": 1, field: value}
    with pytest.raises(Invalid):
        cards.issue_cards(session, conference, round_ids=[rnd.id], **numbers)
    with pytest.raises(Invalid):
        cardfile.offline_cards([rnd.public_id], **numbers)
    assert _card_count(session) == 0


def test_card_rounds_are_round_ids_never_booleans(session):
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    assert rnd.id == 1
    with pytest.raises(Invalid):
        cards.issue_cards(session, conference, count=1, spares=0, round_ids=[True])
    assert _card_count(session) == 0


@pytest.mark.parametrize("value", [True, 2**53 + 1, 0])
def test_an_offline_first_serial_that_is_not_an_exact_integer_is_refused(value):
    with pytest.raises(Invalid, match="serials start at 1"):
        cardfile.offline_cards(["r-a"], count=1, spares=0, first_serial=value)


def test_revoking_card_true_is_not_revoking_card_1(session):
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    cards.issue_cards(session, conference, count=1, spares=0, round_ids=[rnd.id])
    for serial in (True, 2**53 + 1):
        with pytest.raises(NotFound):
            cards.revoke_card(session, conference, serial)
    session.rollback()
    assert session.scalar(select(Card.is_revoked)) is False


@pytest.fixture
def credentials_file(session):
    """A draft round and a valid credentials file of two cards for it."""
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    _, document = cardfile.offline_cards([rnd.public_id], count=1, spares=1)
    return conference, document


@pytest.mark.parametrize(("field", "value"), [
    ("serial", True), ("serial", False), ("serial", 2**53 + 1), ("serial", 2**31),
    ("serial", 1.0), ("spare", 0), ("spare", 1), ("spare", None), ("spare", "false"),
])
def test_a_credentials_file_with_inexact_types_imports_nothing(session, credentials_file,
                                                               field, value):
    conference, document = credentials_file
    document["cards"][0][field] = value
    with pytest.raises(Invalid, match="serial must be a positive integer and spare true or"):
        cardfile.import_credentials(session, conference, document)
    assert _card_count(session) == 0
    assert session.scalar(select(func.count()).select_from(Credential)) == 0


@pytest.mark.parametrize("version", [True, False, 2**53 + 1, 1.0, "1"])
def test_a_credentials_file_whose_version_is_not_the_integer_1_imports_nothing(
        session, credentials_file, version):
    conference, document = credentials_file
    with pytest.raises(Invalid, match="not a credentials file"):
        cardfile.import_credentials(session, conference, {**document, "version": version})
    assert _card_count(session) == 0


def test_the_valid_credentials_file_imports(session, credentials_file):
    conference, document = credentials_file
    assert cardfile.import_credentials(session, conference, document) == [1, 2]
    assert [c.is_spare for c in session.scalars(select(Card).order_by(Card.serial))] == \
        [False, True]


# --- the key ceremony and decryption ------------------------------------------------

@pytest.mark.parametrize("threshold", [True, False, 2**53 + 1, 1.0])
def test_a_threshold_that_is_not_an_exact_integer_is_refused(session, threshold):
    conference = make_conference(session, units=1, delegates=0)
    with pytest.raises(Invalid, match="need 1 ≤ t ≤ n ≤ 32"):
        ceremony.set_trustees(session, conference, ["An", "Bình", "Cường"], threshold)
    session.rollback()
    session.refresh(conference)
    assert conference.trustees == []


@pytest.mark.parametrize("index", [True, False, 2**53 + 1, 0, 33])
def test_a_partial_decryption_names_its_trustee_by_an_exact_integer(session, index):
    conference = make_conference(session, units=1, delegates=0)
    rnd = rounds.create_round(session, conference, "advanced", "Vòng 1")
    with pytest.raises(Invalid, match="a trustee index is an integer from 1 to 32"):
        tallying.submit_partial(session, rnd, index, {"trustee": index, "shares": []})
    assert rnd.event_count == 0
