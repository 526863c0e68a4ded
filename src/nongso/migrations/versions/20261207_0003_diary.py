"""diary: a season's harvest at the statistics' standard moisture (rice: dry paddy, 14 %)

Plain ALTER TABLE statements, no batch mode: on SQLite a batch "move and copy" drops the old
``diary_seasons`` table, and with foreign keys on that would cascade-delete every activity.

Revision ID: 0003_diary
Revises: 0002_diary
Create Date: 2026-12-07 18:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_diary'
down_revision: str | Sequence[str] | None = '0002_diary'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORT_COLUMNS = ['province_code', 'commune_code', 'season_key', 'area_ha', 'activities_count',
                  'sprays_count', 'harvest_kg', 'flags_count']


def upgrade() -> None:
    op.add_column('diary_seasons', sa.Column('harvest_dry_kg', sa.Double(), nullable=False,
                                             server_default=sa.text('0')))
    # The seasons already kept: rice harvests with a moisture become dry paddy at 14 %
    # (dry = fresh x (100 - m) / 86), everything else counts as weighed (diary.moisture).
    op.execute("""
        UPDATE diary_seasons SET harvest_dry_kg = COALESCE((
            SELECT SUM(CASE WHEN diary_seasons.crop = 'rice' AND a.moisture_pct IS NOT NULL
                            THEN a.quantity_base * (100 - a.moisture_pct) / 86.0
                            ELSE a.quantity_base END)
            FROM diary_activities a
            WHERE a.season_id = diary_seasons.id AND a.kind = 'harvest'
              AND a.status <> 'planned'), 0)
    """)
    op.drop_index('ix_diary_seasons_area_report', table_name='diary_seasons')
    op.create_index('ix_diary_seasons_area_report', 'diary_seasons',
                    [*REPORT_COLUMNS, 'harvest_dry_kg'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_diary_seasons_area_report', table_name='diary_seasons')
    op.create_index('ix_diary_seasons_area_report', 'diary_seasons', REPORT_COLUMNS,
                    unique=False)
    op.drop_column('diary_seasons', 'harvest_dry_kg')
