"""trace: a lot made from several harvests keeps the last harvest day and every variety

Revision ID: 0005_chain_rest_lot_harvest
Revises: 0002_trace
Create Date: 2026-12-08 00:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_chain_rest_lot_harvest'
down_revision: str | Sequence[str] | None = '0002_trace'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('trace_lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('harvest_end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('varieties', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trace_lots', schema=None) as batch_op:
        batch_op.drop_column('varieties')
        batch_op.drop_column('harvest_end_date')
