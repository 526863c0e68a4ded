"""opendata: the province's publication settings, the lake's pending deletions

Revision ID: 0003_opendata
Revises: 0001
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nongso.core.db

revision: str = '0003_opendata'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = ('opendata',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('opendata_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('licence_uri', sa.String(length=300), nullable=False),
    sa.Column('publisher_vi', sa.String(length=300), nullable=False),
    sa.Column('publisher_en', sa.String(length=300), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=200), nullable=False),
    sa.Column('min_farms', sa.Integer(), nullable=False),
    sa.Column('schedule_hours', sa.Integer(), nullable=False),
    sa.Column('debounce_seconds', sa.Integer(), nullable=False),
    sa.Column('keep_versions', sa.Integer(), nullable=False),
    sa.Column('updated_at', nongso.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opendata_settings'))
    )
    op.create_table('opendata_lake_deletions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('row_id', sa.BigInteger(), nullable=False),
    sa.Column('deleted_at', nongso.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opendata_lake_deletions'))
    )
    op.create_index(op.f('ix_opendata_lake_deletions_table_name'), 'opendata_lake_deletions', ['table_name'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_opendata_lake_deletions_table_name'), table_name='opendata_lake_deletions')
    op.drop_table('opendata_lake_deletions')
    op.drop_table('opendata_settings')
