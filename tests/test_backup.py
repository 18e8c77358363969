"""Backups (voting/services/backup.py), on SQLite and PostgreSQL.

A backup taken mid-round restores into a fresh database with every board
byte for byte, the published record the same and verifying, and the open
round going on to a verified record; a tampered or truncated archive, or a
database that is not empty, is refused with nothing written; a backup taken
while ballots arrive is consistent. The keys, the schema revisions and the
PostgreSQL tools: tests/test_backup_keys_and_versions.py; the CLI:
tests/test_cli_backup.py.
"""

from __future__ import annotations

import io
import json
import secrets
import tarfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text

from voting import create_app
from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.hashing import hash32
from voting.crypto.verifier import verify_record
from voting.db import database_url
from voting.db import new_session
from voting.models import Ballot
from voting.models import Base
from voting.models import Round
from voting.services import backup
from voting.services import backup_db
from voting.services import board
from voting.services import casting
from voting.services import rounds
from voting.services.board import export_record
from voting.services.elections import election_of
from voting.services.errors import AlreadyVoted
from voting.services.server_key import FILENAME
from voting.services.server_key import load_server_key
from voting.services.server_key import server_public_key_hex

from .conftest import PG_ADMIN_URL
from .factories import complete_key_ceremony
from .factories import decrypt_and_publish
from .factories import make_conference
from .factories import make_open_round

PASSPHRASE = "correct horse battery staple"
#: Four ballots over three units; counted: [[3, 1], [2, 1], [2, 1]].
CHOICES = [[[0], [0], [1]], [[0], [1], []], [[0], [], [0]], [[1], [0], [0]]]
SEALED = backup.KeysMode.SEALED


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request):
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


def url(app) -> str:
    return database_url(app)


def keys(app) -> str:
    return app.config["VOTING_KEYS_DIR"]


@pytest.fixture
def target(tmp_path):
    """Makes a new, empty database of the dialect of the app ``like`` and an
    app on it with its own (not yet existing) keys folder."""
    import psycopg

    made = []

    def make(like, name: str = "restored"):
        if url(like).startswith("sqlite"):
            database, db_url = None, f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        else:
            database = f"voting_test_{secrets.token_hex(6)}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
            db_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}"
        new = create_app({"TESTING": True, "VOTING_DATABASE_URL": db_url,
                          "VOTING_KEYS_DIR": str(tmp_path / f"{name}-keys"),
                          "RATELIMIT_ENABLED": False, "VOTING_PUBLIC_URL": "https://vote.example"})
        made.append((new, database))
        return new

    yield make
    for new, database in made:
        new.extensions["voting.engine"].dispose()
        if database is not None:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def vote(session, rnd, token, choices):
    ballot = encrypt_ballot(election_of(rnd), choices, derive_credential(token, rnd.public_id))
    return ballot, casting.cast_ballot(session, rnd, ballot)


def boards(app) -> dict:
    """Every round's board as stored: head, count and each (seq, kind, line, hash)."""
    with app.app_context():
        s = new_session(app)
        found = {rnd.public_id: (rnd.head, rnd.event_count,
                                 [(e.seq, e.kind, e.line, e.hash) for e in board.events(s, rnd)])
                 for rnd in s.scalars(select(Round).order_by(Round.public_id))}
        s.close()
    return found


def record_members(record: bytes) -> list[tuple[str, int, bytes]]:
    """A record zip's members in order: name, compression, exact bytes (the
    zip's own timestamps are the time of each download)."""
    with zipfile.ZipFile(io.BytesIO(record)) as zf:
        return [(i.filename, i.compress_type, zf.read(i)) for i in zf.infolist()]


def is_empty(app) -> bool:
    """No SQLite file at all; no table at all in PostgreSQL."""
    if url(app).startswith("sqlite"):
        return not backup_db.sqlite_path(url(app)).exists()
    return inspect(app.extensions["voting.engine"]).get_table_names() == []


@dataclass
class MidRound:
    published: str
    open: str
    tokens: list
    private: dict
    ballots: list
    receipts: list
    record: bytes


def mid_round(app) -> MidRound:
    """Round 1 published (2 ballots); round 2 open with 2 of its 4 ballots."""
    with app.app_context():
        s = new_session(app)
        conference = make_conference(s, units=3, delegates=6)
        private = complete_key_ceremony(s, conference)
        first, first_tokens = make_open_round(s, conference, keys(app), cards=3)
        for token, choice in zip(first_tokens[:2], CHOICES, strict=False):
            vote(s, first, token, choice)
        rounds.close_round(s, first)
        decrypt_and_publish(s, conference, first, private)
        record = export_record(s, first, keys(app))
        second, tokens = make_open_round(s, conference, keys(app), cards=4)
        cast = [vote(s, second, t, c) for t, c in zip(tokens[:2], CHOICES[:2], strict=True)]
        scenario = MidRound(first.public_id, second.public_id, tokens, private,
                            [b for b, _ in cast], [r for _, r in cast], record)
        s.close()
    return scenario


def test_a_backup_mid_round_restores_and_the_round_goes_on(any_app, target, tmp_path):
    scenario = mid_round(any_app)
    before = boards(any_app)
    fingerprint = server_public_key_hex(keys(any_app))
    archive = tmp_path / "backup.tar"
    made = backup.create_backup(url(any_app), keys(any_app), archive, keys=SEALED,
                                passphrase=lambda: PASSPHRASE)
    assert made.manifest["keys"] == {"mode": "sealed", "member": "keys.sealed",
                                     "files": [FILENAME]}
    new = target(any_app)
    restored = backup.restore_backup(url(new), keys(new), archive, passphrase=lambda: PASSPHRASE)
    assert restored.keys_written == (FILENAME,) and restored.round_keys == {fingerprint}
    key_file = (Path(keys(any_app)) / FILENAME).read_bytes()
    assert (Path(keys(new)) / FILENAME).read_bytes() == key_file
    assert boards(new) == before
    assert (before[scenario.published][1], before[scenario.open][1]) == (9, 4)

    with new.app_context():
        s = new_session(new)
        first = rounds.get_round_by_public_id(s, scenario.published)
        record = export_record(s, first, keys(new))
        assert record_members(record) == record_members(scenario.record)
        assert verify_record(io.BytesIO(record), workers=1).ok
        second = rounds.get_round_by_public_id(s, scenario.open)
        again = casting.cast_ballot(s, second, scenario.ballots[0])
        assert not again.created and again.to_json() == scenario.receipts[0].to_json()
        with pytest.raises(AlreadyVoted):
            vote(s, second, scenario.tokens[0], CHOICES[3])
        later = [vote(s, second, t, c)[1]
                 for t, c in zip(scenario.tokens[2:], CHOICES[2:], strict=True)]
        assert [(r.seq, r.created) for r in later] == [(4, True), (5, True)]
        rounds.close_round(s, second)
        result = decrypt_and_publish(s, second.conference, second, scenario.private)
        record = export_record(s, second, keys(new))
        s.close()
    assert result["counts"] == [[3, 1], [2, 1], [2, 1]]
    report = verify_record(io.BytesIO(record), workers=1, server_key=bytes.fromhex(fingerprint))
    assert report.ok, "\n".join(report.lines())
    assert report.ballots == 4


def small_backup(app, tmp_path, **options) -> Path:
    with app.app_context():
        s = new_session(app)
        make_conference(s, units=2, delegates=2)
        s.close()
    load_server_key(keys(app))
    archive = tmp_path / "small.tar"
    options.setdefault("keys", SEALED)
    backup.create_backup(url(app), keys(app), archive, passphrase=lambda: PASSPHRASE, **options)
    return archive


def flip_byte_of(archive: Path, member: str) -> None:
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
    data = bytearray(archive.read_bytes())
    data[info.offset_data + info.size // 2] ^= 0x01
    archive.write_bytes(bytes(data))


def test_a_tampered_or_truncated_archive_is_refused_and_nothing_is_written(any_app, target,
                                                                          tmp_path):
    archive = small_backup(any_app, tmp_path)
    whole = archive.read_bytes()
    member = backup_db.MEMBER["sqlite" if url(any_app).startswith("sqlite") else "postgresql"]
    new = target(any_app)
    flip_byte_of(archive, member)
    with pytest.raises(backup.ArchiveDamaged, match=f"member {member} does not match the "
                                                     "SHA-256 in the manifest"):
        backup.restore_backup(url(new), keys(new), archive, passphrase=lambda: PASSPHRASE)
    archive.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(backup.ArchiveDamaged, match="truncated"):
        backup.restore_backup(url(new), keys(new), archive, passphrase=lambda: PASSPHRASE)
    assert is_empty(new) and not Path(keys(new)).exists()
    archive.write_bytes(whole)  # the untouched archive restores into the same target
    backup.restore_backup(url(new), keys(new), archive, passphrase=lambda: PASSPHRASE)
    assert not is_empty(new)


def row_counts(app) -> dict[str, int]:
    engine = app.extensions["voting.engine"]
    with engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in inspect(conn).get_table_names()}


def test_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
        any_app, target, tmp_path):
    archive = small_backup(any_app, tmp_path)
    other = target(any_app, "other")
    backup.restore_backup(url(other), keys(other), archive, passphrase=lambda: PASSPHRASE)
    counts, key_file = row_counts(other), (Path(keys(other)) / FILENAME).read_bytes()
    with pytest.raises(backup.BackupRefused, match=r"^the target database is not empty "
                                                   r"\(table alembic_version, table "):
        backup.restore_backup(url(other), keys(other), archive, passphrase=lambda: PASSPHRASE)
    assert row_counts(other) == counts and counts["conference"] == 1
    assert (Path(keys(other)) / FILENAME).read_bytes() == key_file


def test_empty_means_no_app_table_and_no_row_in_any_other(any_app, target, tmp_path):
    archive = small_backup(any_app, tmp_path)
    empty, full = target(any_app, "empty"), target(any_app, "full")
    for new in (empty, full):
        with new.extensions["voting.engine"].begin() as conn:
            conn.execute(text("CREATE TABLE notes (body TEXT)"))
        assert backup_db.occupied(url(new), set(Base.metadata.tables)) == []
    with full.extensions["voting.engine"].begin() as conn:
        conn.execute(text("INSERT INTO notes VALUES ('x')"))
        conn.execute(text("CREATE TABLE conference (id INTEGER)"))
    assert backup_db.occupied(url(full), {"conference"}) == ["rows in notes", "table conference"]
    with pytest.raises(backup.BackupRefused, match="not empty"):
        backup.restore_backup(url(full), keys(full), archive, passphrase=lambda: PASSPHRASE)
    # an existing database (or SQLite file) with only an empty table of its own is empty
    backup.restore_backup(url(empty), keys(empty), archive, passphrase=lambda: PASSPHRASE)
    assert row_counts(empty)["conference"] == 1


def test_a_backup_taken_while_ballots_arrive_is_consistent(any_app, target, tmp_path):
    with any_app.app_context():
        s = new_session(any_app)
        conference = make_conference(s, units=2, delegates=24)
        complete_key_ceremony(s, conference)
        rnd, tokens = make_open_round(s, conference, keys(any_app), cards=24)
        ballots = [encrypt_ballot(election_of(rnd), [[k % 2], []],
                                  derive_credential(t, rnd.public_id))
                   for k, t in enumerate(tokens)]
        round_id, public_id = rnd.id, rnd.public_id
        s.close()
    started, errors = threading.Event(), []

    def cast_all():
        with any_app.app_context():
            s = new_session(any_app)
            try:
                for k, ballot in enumerate(ballots):
                    casting.cast_ballot(s, rounds.get_round(s, round_id), ballot)
                    if k == 3:
                        started.set()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                started.set()
                s.close()

    caster = threading.Thread(target=cast_all)
    caster.start()
    started.wait()
    archive = tmp_path / "live.tar"
    backup.create_backup(url(any_app), keys(any_app), archive, keys=backup.KeysMode.NONE)
    caster.join()
    assert errors == []
    new = target(any_app)
    backup.restore_backup(url(new), keys(new), archive)
    with new.app_context():
        s = new_session(new)
        rnd = rounds.get_round_by_public_id(s, public_id)
        stored = s.scalar(select(func.count()).select_from(Ballot)
                          .where(Ballot.round_id == rnd.id))
        events = board.events(s, rnd)
        s.close()
    ballot_events = [e for e in events if e.kind == "ballot"]
    assert 4 <= stored <= 24 and len(ballot_events) == stored
    assert rnd.event_count == len(events) == stored + 2
    assert [e.seq for e in events] == list(range(len(events)))
    assert rnd.head == events[-1].hash
    assert all(e.hash == hash32("event", e.line.encode()).hex() for e in events)
    parents = ["0" * 64] + [e.hash for e in events[:-1]]
    assert [json.loads(e.line)["parent"] for e in events] == parents
    assert boards(any_app)[public_id][1] == 26  # all 24 reached the live database
