"""diary: an input (product) has an English name too

Revision ID: 0005_lang_alerts_input_name_en
Revises: 0003_diary
Create Date: 2026-12-08 00:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_lang_alerts_input_name_en'
down_revision: str | Sequence[str] | None = '0003_diary'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('diary_inputs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('diary_inputs', schema=None) as batch_op:
        batch_op.drop_column('name_en')
