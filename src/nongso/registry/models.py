"""Registry: organisations, farmers and production units (with their geometry)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow

ORGANISATION_KINDS = (
    "cooperative",
    "coop_group",
    "farmer_club",
    "company",
    "input_dealer",
    "processor",
    "buyer",
    "exporter",
)

UNIT_KINDS = (
    "field_block",
    "plot",
    "planting_area",
    "orchard",
    "livestock_farm",
    "aquaculture",
    "raw_material_area",
)


class Organisation(Audited, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(30))
    tax_code: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Farmer(Audited, Base):
    """A farming household (personal data: never in open data or consumer pages)."""

    __tablename__ = "farmers"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    national_id: Mapped[str | None] = mapped_column(String(20))
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProductionUnit(Audited, Base):
    __tablename__ = "production_units"
    __table_args__ = (
        Index("ix_production_units_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    code: Mapped[str | None] = mapped_column(String(50), index=True)
    name: Mapped[str] = mapped_column(String(300))
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id"), index=True)
    crop: Mapped[str | None] = mapped_column(String(50), index=True)
    area_ha: Mapped[float | None]
    declared_area_ha: Mapped[float | None]
    # GeoJSON geometry text (lon/lat, WGS 84) and its bounding box for spatial prefilters.
    geometry: Mapped[str | None] = mapped_column(Text)
    min_lon: Mapped[float | None]
    min_lat: Mapped[float | None]
    max_lon: Mapped[float | None]
    max_lat: Mapped[float | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
