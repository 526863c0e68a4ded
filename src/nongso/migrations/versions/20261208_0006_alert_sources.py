"""alerts: the rule source in English too (``source`` holds the Vietnamese one)

Revision ID: 0006_alert_sources
Revises: 0002_alerts
Create Date: 2026-12-08 01:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_alert_sources'
down_revision: str | Sequence[str] | None = '0002_alerts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_en', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('source_en')
