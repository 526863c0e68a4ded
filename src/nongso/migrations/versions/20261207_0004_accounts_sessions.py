"""accounts: web sessions kept on the server (log-out and password changes end them)

Revision ID: 0004_accounts_sessions
Revises: 0001
Create Date: 2026-12-07 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nongso.core.db

revision: str = '0004_accounts_sessions'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = ('accounts',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sid_hash', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', nongso.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', nongso.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('sid_hash', name=op.f('uq_user_sessions_sid_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')
