"""Administrative units: the two-level units since 1 July 2025 and the legacy three levels."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.db import Base

CURRENT = "2025"
LEGACY = "legacy"
REFORM_DATE = dt.date(2025, 7, 1)


class AdminUnit(Base):
    __tablename__ = "admin_units"
    __table_args__ = (
        UniqueConstraint("generation", "level", "code", name="uq_admin_units_gen_level_code"),
        Index("ix_admin_units_parent", "generation", "parent_code"),
        Index("ix_admin_units_province", "generation", "province_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[str] = mapped_column(String(10))  # "2025" or "legacy"
    level: Mapped[str] = mapped_column(String(10))  # province, district, commune
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(50))
    parent_code: Mapped[str | None] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    area_km2: Mapped[float | None]
    # Accent- and case-folded name for searching ("dong thap").
    search_key: Mapped[str] = mapped_column(String(200), index=True)
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]


class UnitLineage(Base):
    """Old unit -> new unit (communes and provinces), for re-aggregating history."""

    __tablename__ = "admin_unit_lineage"
    __table_args__ = (
        UniqueConstraint("level", "old_code", "new_code", name="uq_admin_unit_lineage_pair"),
        Index("ix_admin_unit_lineage_new", "level", "new_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(10))  # province or commune
    old_code: Mapped[str] = mapped_column(String(10))
    new_code: Mapped[str] = mapped_column(String(10))
    divided: Mapped[bool] = mapped_column(default=False)
    is_default: Mapped[bool] = mapped_column(default=True)
