"""drop ballot body

``ballot.body`` held each ballot's canonical JSON a second time beside its
board event (``board_event.line``) and was never read. The downgrade puts
the column back, refilled from the board, so it also works on a database
that already holds ballots.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:09:36.730456
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_column('body')


def downgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))
    ballot = sa.table('ballot', sa.column('id', sa.Integer()), sa.column('round_id', sa.Integer()),
                      sa.column('seq', sa.Integer()), sa.column('body', sa.Text()))
    event = sa.table('board_event', sa.column('round_id', sa.Integer()),
                     sa.column('seq', sa.Integer()), sa.column('line', sa.Text()))
    conn = op.get_bind()
    rows = conn.execute(sa.select(ballot.c.id, event.c.line).join(
        event, sa.and_(event.c.round_id == ballot.c.round_id, event.c.seq == ballot.c.seq)))
    for ballot_id, line in rows.all():
        # The ballot event's body is {"ballot": ..., "tracker": ...}; the line is
        # canonical JSON, so re-serialising canonically gives the old column.
        cast = json.loads(line)["body"]["ballot"]
        body = json.dumps(cast, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        conn.execute(ballot.update().where(ballot.c.id == ballot_id).values(body=body))
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=False)
