"""Registry: organisations, farmers, production units, infrastructure, soil map units, their
versioned history and the administrative boundaries of the map.

Every map feature table keeps its *current* state (ids never change: other domains reference
``production_units.id``, ``organisations.id``, ``farmers.id``); each change also writes a row to
``registry_versions`` (see :mod:`nongso.registry.versioning`), which is what the map shows
"as of" a date; that table's model, :class:`~nongso.registry.versioning.FeatureVersion`, lives
with the versioning code and is re-exported here. Spatial tables carry their bounding box in
plain columns; a spatial index over those columns (SQLite R*Tree virtual table kept by
triggers, PostgreSQL GiST on a ``box`` expression) is created by the migration and used by
:mod:`nongso.registry.spatial`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow
from nongso.registry.kinds import (  # re-exported: the tables' vocabularies
    BUSINESS_KINDS,
    INFRASTRUCTURE_KINDS,
    ORGANISATION_KINDS,
    PRODUCER_ORGANISATION_KINDS,
    SALINITY_CLASSES,
    SOIL_TYPES,
    STATION_TYPES,
    STATUSES,
    UNIT_KINDS,
)
from nongso.registry.versioning import FeatureVersion, Versioned  # the version table

__all__ = [
    "BUSINESS_KINDS", "INFRASTRUCTURE_KINDS", "ORGANISATION_KINDS", "PRODUCER_ORGANISATION_KINDS",
    "SALINITY_CLASSES", "SOIL_TYPES", "STATION_TYPES", "STATUSES", "UNIT_KINDS",
    "AdminBoundary", "Farmer", "FeatureVersion", "Infrastructure", "Organisation",
    "PlantingAreaRule", "ProductionUnit", "SoilUnit",
]


class Organisation(Versioned, Audited, Base):
    __tablename__ = "organisations"
    __versioned_collection__ = "organisations"

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
    # Added by the registry migration (0002): business licence, lifecycle, search, version.
    licence_no: Mapped[str | None] = mapped_column(String(50))
    licence_expiry: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    search_key: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")


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


class ProductionUnit(Versioned, Audited, Base):
    __tablename__ = "production_units"
    __versioned_collection__ = "production_units"
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
    # Added by the registry migration (0002).
    variety: Mapped[str | None] = mapped_column(String(100))
    species: Mapped[str | None] = mapped_column(String(50))
    head_count: Mapped[int | None]
    water_surface_ha: Mapped[float | None]
    export_market: Mapped[str | None] = mapped_column(String(100))
    # The enclosing unit (a plot's field block…); checked by the services, no FK so that the
    # migration only adds columns to this table that other domains reference.
    parent_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    # Data-quality warnings (declared area, overlaps, commune, minimum size): list of
    # {"code", "message_vi", "message_en", ...}.
    flags: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    search_key: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class Infrastructure(Versioned, Audited, Base):
    """Pumping stations, sluices, dyke segments and monitoring stations."""

    __tablename__ = "infrastructure"
    __versioned_collection__ = "infrastructure"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    # For monitoring stations: the kind of station (salinity, hydrological, weather…).
    subtype: Mapped[str | None] = mapped_column(String(30), index=True)
    # The station / asset code (unique): sensors are linked to a station by it or by id.
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    river: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    geometry: Mapped[str | None] = mapped_column(Text)
    min_lon: Mapped[float | None]
    min_lat: Mapped[float | None]
    max_lon: Mapped[float | None]
    max_lat: Mapped[float | None]
    length_m: Mapped[float | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    search_key: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class SoilUnit(Versioned, Audited, Base):
    """A soil map unit: soil type, pH, organic matter, salinity class."""

    __tablename__ = "soil_units"
    __versioned_collection__ = "soil_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    soil_type: Mapped[str] = mapped_column(String(30), index=True)
    ph: Mapped[float | None]
    organic_matter_pct: Mapped[float | None]
    salinity_class: Mapped[str | None] = mapped_column(String(20), index=True)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    area_ha: Mapped[float | None]
    source: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    geometry: Mapped[str | None] = mapped_column(Text)
    min_lon: Mapped[float | None]
    min_lat: Mapped[float | None]
    max_lon: Mapped[float | None]
    max_lat: Mapped[float | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    search_key: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class AdminBoundary(Audited, Base):
    """The boundary of a province or commune for the map (real, or synthetic for the demo)."""

    __tablename__ = "admin_boundaries"
    __table_args__ = (UniqueConstraint("level", "code", name="uq_admin_boundaries_level_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(10))  # province or commune
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float]
    min_lat: Mapped[float]
    max_lon: Mapped[float]
    max_lat: Mapped[float]
    area_km2: Mapped[float]
    official_area_km2: Mapped[float | None]
    synthetic: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __audit_exclude__ = frozenset({"geometry"})


class PlantingAreaRule(Audited, Base):
    """Minimum size of a planting-area code per crop (seeded from data/, editable)."""

    __tablename__ = "planting_area_rules"

    crop: Mapped[str] = mapped_column(String(50), primary_key=True)
    crop_group: Mapped[str] = mapped_column(String(20))  # perennial or annual
    min_area_ha: Mapped[float]
    source: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
