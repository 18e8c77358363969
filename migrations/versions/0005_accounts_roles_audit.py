"""accounts, per-conference roles, audit trail

Accounts can be disabled and carry a session version (raised to end every
session of the account); ``membership`` gives an account its role in one
conference; ``audit_event`` is the append-only trail of who changed what.
Before this revision every chair could change every conference: existing
chairs become administrators, which keeps exactly that.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_disabled', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='1'))
    users = sa.table('user_account', sa.column('role', sa.String()))
    # SQLAlchemy stores the enum's names.
    op.get_bind().execute(users.update().where(users.c.role == 'CHAIR').values(role='ADMIN'))
    op.create_table(
        'membership',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conference_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.Enum('ADMIN', 'CHAIR', 'SECRETARY', 'AUDITOR', name='role',
                                  native_enum=False, length=20, create_constraint=False),
                  nullable=False),
        sa.CheckConstraint("role IN ('CHAIR', 'SECRETARY', 'AUDITOR')",
                           name=op.f('ck_membership_role')),
        sa.ForeignKeyConstraint(['conference_id'], ['conference.id'],
                                name=op.f('fk_membership_conference_id_conference'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_membership_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
        sa.UniqueConstraint('conference_id', 'user_id',
                            name=op.f('uq_membership_conference_id_user_id')),
    )
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_kind', sa.String(length=10), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('conference_id', sa.Integer(), nullable=True),
        sa.Column('target', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['conference_id'], ['conference.id'],
                                name=op.f('fk_audit_event_conference_id_conference'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_conference_id'), ['conference_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_conference_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))
    op.drop_table('audit_event')
    op.drop_table('membership')
    users = sa.table('user_account', sa.column('role', sa.String()))
    op.get_bind().execute(users.update().where(users.c.role == 'ADMIN').values(role='CHAIR'))
    op.get_bind().execute(users.update().where(users.c.role == 'SECRETARY')
                          .values(role='AUDITOR'))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
        batch_op.drop_column('is_disabled')
