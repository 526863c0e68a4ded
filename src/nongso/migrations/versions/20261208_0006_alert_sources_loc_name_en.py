"""trace: a location the platform names (a field) has an English name too

Revision ID: 0006_alert_sources_loc_name_en
Revises: 0005_chain_rest_lot_harvest
Create Date: 2026-12-08 01:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_alert_sources_loc_name_en'
down_revision: str | Sequence[str] | None = '0005_chain_rest_lot_harvest'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('trace_locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trace_locations', schema=None) as batch_op:
        batch_op.drop_column('name_en')
