"""The migrations build exactly the models' schema, and run backwards.

(a) Upgraded to head by the project's runner (``voting.migrate``), the
    database matches ``Base.metadata``: Alembic's autogenerate finds nothing
    to change. On SQLite always; on PostgreSQL when it is reachable (in CI it
    must be).
(b) ``migrate.downgrade`` to base removes every table, and upgrading again
    gives the same schema: the migrations are reversible.
(c) 0002 drops ``ballot.body``, a second copy of each ballot beside its board
    event; its downgrade puts the column back, refilled from the board, on a
    database that already holds ballots.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy import text

from voting.crypto.ballot import derive_credential
from voting.crypto.ballot import encrypt_ballot
from voting.crypto.hashing import canonical_json
from voting.db import new_session
from voting.migrate import alembic_config
from voting.migrate import downgrade
from voting.migrate import upgrade
from voting.models import Base
from voting.services import casting
from voting.services.elections import election_of

from .factories import complete_key_ceremony
from .factories import make_conference
from .factories import make_open_round


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request):
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


def _engine(app):
    return app.extensions["voting.engine"]


def schema_diff(app) -> list:
    with _engine(app).connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def current_revision(app) -> str | None:
    with _engine(app).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ballot_columns(app) -> dict[str, dict]:
    return {c["name"]: c for c in inspect(_engine(app)).get_columns("ballot")}


def test_head_matches_the_models(any_app):
    head = ScriptDirectory.from_config(alembic_config(any_app)).get_current_head()
    assert current_revision(any_app) == head
    assert schema_diff(any_app) == []
    assert "body" not in ballot_columns(any_app)


def test_downgrade_to_base_then_upgrade_again(any_app):
    downgrade(any_app, "base")
    assert current_revision(any_app) is None
    assert set(inspect(_engine(any_app)).get_table_names()) <= {"alembic_version"}
    upgrade(any_app)
    assert schema_diff(any_app) == []


def test_ballot_body_comes_back_from_the_board_on_downgrade(any_app):
    with any_app.app_context():
        s = new_session(any_app)
        conference = make_conference(s, units=2, delegates=2)
        complete_key_ceremony(s, conference)
        rnd, tokens = make_open_round(s, conference, any_app.config["VOTING_KEYS_DIR"], cards=2)
        cast = [encrypt_ballot(election_of(rnd), [[k], []],
                               derive_credential(token, rnd.public_id))
                for k, token in enumerate(tokens)]
        receipts = [casting.cast_ballot(s, rnd, ballot) for ballot in cast]
        s.close()

    downgrade(any_app, "0001")
    assert ballot_columns(any_app)["body"]["nullable"] is False
    with _engine(any_app).connect() as conn:
        bodies = dict(conn.execute(text("SELECT tracker, body FROM ballot")).all())
    assert bodies == {r.tracker: canonical_json(b).decode()
                      for r, b in zip(receipts, cast, strict=True)}

    upgrade(any_app)
    assert schema_diff(any_app) == []
    with _engine(any_app).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ballot")).scalar() == 2
