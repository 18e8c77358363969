"""Offline cards: ``make-cards`` without any database, ``import-credentials``
all or nothing, then a round opens and one of the offline cards votes."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from voting import create_app
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.ballot import public_credential
from voting.db import new_session
from voting.models import Card
from voting.models import Credential
from voting.services import cards
from voting.services import casting
from voting.services import conferences
from voting.services import rounds
from voting.services.elections import election_of

from .factories import complete_key_ceremony
from .factories import make_conference
from .web.test_card_sheet import assert_self_contained

CODE = re.compile(r"[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3}-[0-9A-Z]{6}")


@pytest.fixture
def offline_runner(tmp_path):
    """An app whose database cannot be reached: make-cards must not need one."""
    app = create_app({"TESTING": True, "VOTING_DATABASE_URL":
                      "postgresql://nobody@127.0.0.1:9/unreachable",
                      "VOTING_PUBLIC_URL": "https://hall.example"})
    return app.test_cli_runner()


@pytest.fixture
def drafts(app):
    """A conference with two draft rounds: (conference id, [public round ids])."""
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s, units=2)
        made = [rounds.create_round(s, conference, "advanced", f"Vòng {i}") for i in (1, 2)]
        ids = conference.id, [r.public_id for r in made]
        s.close()
    return ids


def _make(runner, out, round_ids, *extra):
    return runner.invoke(args=[
        "voting", "make-cards", "--rounds", ",".join(round_ids), "--count", "3",
        "--spares", "1", "--conference-name", "Hội nghị Cụm thi đua số 1",
        "--round-title", f"{round_ids[0]}=Đơn vị tiên tiến", "--out", str(out), *extra])


def _import(runner, conference_id, path):
    return runner.invoke(args=["voting", "import-credentials", "--conference-id",
                               str(conference_id), str(path)])


def _credentials(app, conference_id):
    with app.app_context():
        s = new_session(app)
        rows = s.execute(select(Card.serial, Credential.public).join(Credential)
                         .where(Card.conference_id == conference_id)).all()
        s.close()
    return sorted(tuple(r) for r in rows)


def test_offline_cards_import_open_and_vote(app, runner, offline_runner, drafts, tmp_path):
    conference_id, round_ids = drafts
    out = tmp_path / "cards"
    result = _make(offline_runner, out, round_ids)
    assert result.exit_code == 0, result.output
    document = json.loads((out / "credentials.json").read_text())
    assert document["version"] == 1 and len(document["cards"]) == 4
    assert [(c["serial"], c["spare"]) for c in document["cards"]] == \
        [(1, False), (2, False), (3, False), (4, True)]
    sheet = (out / "cards.html").read_text()
    assert not (out / "cards.css").exists()  # one file: its stylesheet embedded
    assert_self_contained(sheet)
    assert "Đơn vị tiên tiến · " + round_ids[1] in sheet
    tokens = [cards.decode_token(code) for code in CODE.findall(sheet)]
    assert len(tokens) == 4
    for token, card in zip(tokens, document["cards"], strict=True):
        assert card["credentials"] == {
            rid: public_credential(derive_credential(token, rid)).hex() for rid in round_ids}
    assert _make(offline_runner, out, round_ids).exit_code != 0  # never overwrites

    result = _import(runner, conference_id, out / "credentials.json")
    assert result.exit_code == 0, result.output
    assert len(_credentials(app, conference_id)) == 8
    assert "imported 4 cards" in result.output

    with app.app_context():
        s = new_session(app)
        conference = conferences.get_conference(s, conference_id)
        complete_key_ceremony(s, conference)
        rnd = rounds.get_round_by_public_id(s, round_ids[0])
        rounds.open_round(s, rnd, app.config["VOTING_KEYS_DIR"])
        ballot = encrypt_ballot(election_of(rnd), [[0], [1]],
                                derive_credential(tokens[2], rnd.public_id))
        receipt = casting.cast_ballot(s, rnd, ballot)
        assert receipt.seq == 2
        s.close()


def _bad_file(tmp_path, document) -> str:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    return path


def test_import_refuses_bad_files_and_changes_nothing(app, runner, offline_runner, drafts,
                                                      tmp_path):
    conference_id, round_ids = drafts
    out = tmp_path / "cards"
    assert _make(offline_runner, out, round_ids).exit_code == 0
    good = json.loads((out / "credentials.json").read_text())
    first = good["cards"][0]
    other, _ = make_other_conference(app)
    x = first["credentials"][round_ids[0]]
    broken = {  # entries: a fragment of the error
        "not valid": [dict(first, credentials={round_ids[0]: "00" * 32})],  # small order
        "not valid:": [dict(first, credentials={round_ids[0]: "zz" * 32})],
        "r-nope": [dict(first, credentials={"r-nope": x})],
        other: [dict(first, credentials={other: x})],
        "serial 2 appears twice": good["cards"] + [good["cards"][1]],
        "appears twice in the file": [first, dict(good["cards"][1],
                                                  credentials=first["credentials"])],
        "not JSON: numbers must be integers": [dict(first, serial=1.0)],  # strict JSON
        "positive integer": [dict(first, serial=True)],
        "exactly: serial, spare, credentials": [dict(first, owner="Nguyễn Văn A")],
        "non-empty": [dict(first, credentials={})],
        "not a credentials file": [],
    }
    for why, entries in broken.items():
        result = _import(runner, conference_id, _bad_file(tmp_path, {"version": 1,
                                                                    "cards": entries}))
        assert result.exit_code == 1 and why.strip() in result.output, (why, result.output)
        assert _credentials(app, conference_id) == [], why
    for document in ({"version": 2, "cards": good["cards"]}, [], {"cards": good["cards"]}):
        assert _import(runner, conference_id, _bad_file(tmp_path, document)).exit_code == 1
    (tmp_path / "not.json").write_text("{")
    assert _import(runner, conference_id, tmp_path / "not.json").exit_code == 1
    assert _import(runner, 999, out / "credentials.json").exit_code == 1

    assert _import(runner, conference_id, out / "credentials.json").exit_code == 0
    imported = _credentials(app, conference_id)
    result = _import(runner, conference_id, out / "credentials.json")  # serials clash
    assert result.exit_code == 1 and "serials already in use: 1, 2, 3, 4" in result.output
    renumbered = [dict(c, serial=c["serial"] + 10) for c in good["cards"]]
    result = _import(runner, conference_id, _bad_file(tmp_path, {"version": 1,
                                                                "cards": renumbered}))
    assert result.exit_code == 1 and "already registered" in result.output
    assert _credentials(app, conference_id) == imported


@pytest.mark.parametrize(("where", "value", "why"), [
    ("serial", True, "positive integer"), ("serial", False, "positive integer"),
    ("serial", 2**53 + 1, "not JSON"), ("serial", -(2**53) - 1, "not JSON"),
    ("spare", 0, "spare true or false"), ("spare", 1, "spare true or false"),
    ("version", True, "not a credentials file"), ("version", 2**53 + 1, "not JSON"),
])
def test_import_refuses_inexact_json_types_and_changes_nothing(app, runner, offline_runner,
                                                               drafts, tmp_path, where,
                                                               value, why):
    """Booleans are never serials or versions, integers never the spare
    flag, and a JSON integer beyond ±2^53 makes the file unreadable."""
    conference_id, round_ids = drafts
    out = tmp_path / "cards"
    assert _make(offline_runner, out, round_ids).exit_code == 0
    document = json.loads((out / "credentials.json").read_text())
    if where == "version":
        document["version"] = value
    else:
        document["cards"][0][where] = value
    result = _import(runner, conference_id, _bad_file(tmp_path, document))
    assert result.exit_code == 1 and why in result.output, result.output
    assert _credentials(app, conference_id) == []


def test_import_refuses_a_round_that_is_open(app, runner, offline_runner, drafts, tmp_path):
    conference_id, round_ids = drafts
    out = tmp_path / "cards"
    assert _make(offline_runner, out, round_ids[:1]).exit_code == 0
    assert _import(runner, conference_id, out / "credentials.json").exit_code == 0
    with app.app_context():
        s = new_session(app)
        complete_key_ceremony(s, conferences.get_conference(s, conference_id))
        rounds.open_round(s, rounds.get_round_by_public_id(s, round_ids[0]),
                          app.config["VOTING_KEYS_DIR"])
        s.close()
    more = tmp_path / "more"
    assert _make(offline_runner, more, round_ids[:1], "--first-serial", "5").exit_code == 0
    result = _import(runner, conference_id, more / "credentials.json")
    assert result.exit_code == 1 and round_ids[0] in result.output


def test_make_cards_refuses_bad_options(offline_runner, tmp_path):
    out = tmp_path / "x"
    for args in (["--rounds", "r-a", "--count", "0"],
                 ["--rounds", "r-a,r-a", "--count", "1"],
                 ["--rounds", "r-a", "--count", "1", "--round-title", "r-b=Title"],
                 ["--rounds", "r-a", "--count", "1", "--round-title", "no equals sign"],
                 ["--rounds", ",", "--count", "1"]):
        result = offline_runner.invoke(args=["voting", "make-cards", "--conference-name", "C",
                                             "--out", str(out), *args])
        assert result.exit_code != 0, args
    assert not (out / "cards.html").exists()


def make_other_conference(app):
    """Another conference's draft round: (its public id, conference id)."""
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s, name="Hội nghị khác")
        rnd = rounds.create_round(s, conference, "advanced", "Vòng khác")
        ids = rnd.public_id, conference.id
        s.close()
    return ids
