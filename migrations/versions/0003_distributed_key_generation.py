"""distributed key generation

Every trustee deals in their own browser (PROTOCOL §4.5): the trustee row
keeps the current attempt's commit, sealed coefficients and reveal, and a
complaint; the conference names the ceremony that made its key and counts
the attempts. ``trustee.encrypted_share`` (the share a server-side dealer
sealed) goes: the server no longer deals. Keys made before this revision
were made by one dealer, so they are marked ``dealer``; the downgrade
cannot bring their dropped envelopes back.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_ceremony', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('ceremony_attempt', sa.Integer(), nullable=False,
                                      server_default='1'))
    conference = sa.table('conference', sa.column('public_key', sa.String()),
                          sa.column('key_ceremony', sa.String()))
    op.get_bind().execute(conference.update().where(conference.c.public_key.is_not(None))
                          .values(key_ceremony='dealer'))
    with op.batch_alter_table('trustee', schema=None) as batch_op:
        batch_op.drop_column('encrypted_share')
        batch_op.add_column(sa.Column('commitment_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sealed_coefficients', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reveal_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('complaint_against', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trustee', schema=None) as batch_op:
        for column in ('revealed_at', 'committed_at', 'complaint_against', 'reveal_json',
                       'sealed_coefficients', 'commitment_hash'):
            batch_op.drop_column(column)
        batch_op.add_column(sa.Column('encrypted_share', sa.Text(), nullable=True))
    with op.batch_alter_table('conference', schema=None) as batch_op:
        batch_op.drop_column('ceremony_attempt')
        batch_op.drop_column('key_ceremony')
