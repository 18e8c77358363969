"""hall screen, minutes, run-offs

A round can have a closing time, be a reserve (a draft the conference's
first cards cover, for an unplanned run-off, PROTOCOL §8.1) and name the
round whose tie it decides. A conference has the minutes' organiser, place
and counting committee, and its own round templates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('is_reserve', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('runoff_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_round_runoff_of_id_round'), 'round',
                                    ['runoff_of_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('conference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organiser', sa.String(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('place', sa.String(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('committee_json', sa.Text(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('templates_json', sa.Text(), nullable=False,
                                      server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('conference', schema=None) as batch_op:
        for column in ('templates_json', 'committee_json', 'place', 'organiser'):
            batch_op.drop_column(column)
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_round_runoff_of_id_round'), type_='foreignkey')
        for column in ('runoff_of_id', 'is_reserve', 'closes_at'):
            batch_op.drop_column(column)
