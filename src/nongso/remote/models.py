"""Remote sensing: registered scenes, zonal statistics per field and commune, phenology per
field, and the differences with what was declared (for the commune officer to check).

Fields are the registry's production units, referred to by id (``field_id``) without a
foreign key: the registry answers which fields exist through its services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow

SCENE_STATUSES = ("registered", "reduced", "empty")
DISCREPANCY_KINDS = ("sowing_date", "harvest_date", "sown_area", "declared_rice_bare",
                     "rice_not_declared")
DECISIONS = ("open", "accepted", "rejected")


class Scene(Audited, Base):
    """One Cloud-Optimised GeoTIFF (a date and a sensor) registered from a source."""

    __tablename__ = "remote_scenes"
    __table_args__ = (Index("ix_remote_scenes_bbox", "min_lon", "max_lon", "min_lat",
                            "max_lat"),)
    __audit_exclude__ = frozenset({"footprint", "status", "reduced_at", "fields_reduced"})

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    uri: Mapped[str] = mapped_column(String(1000), unique=True)
    # Where GDAL reads it (a local path, or a /vsi… path for an object store).
    path: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(80))
    acquired_on: Mapped[dt.date] = mapped_column(Date, index=True)
    sensor: Mapped[str] = mapped_column(String(4))
    product: Mapped[str] = mapped_column(String(10))
    bands: Mapped[list[str]] = mapped_column(JSON)
    units: Mapped[str] = mapped_column(String(10))
    crs: Mapped[str] = mapped_column(Text)
    width: Mapped[int]
    height: Mapped[int]
    pixel_m: Mapped[float]
    footprint: Mapped[str] = mapped_column(Text)  # GeoJSON polygon, lon/lat
    min_lon: Mapped[float]
    min_lat: Mapped[float]
    max_lon: Mapped[float]
    max_lat: Mapped[float]
    nodata: Mapped[float | None]
    cloud_share: Mapped[float | None]
    is_cog: Mapped[bool] = mapped_column(default=True)
    # registered -> reduced (zonal statistics written) | empty (no clear pixel: all cloud).
    status: Mapped[str] = mapped_column(String(12), default="registered", index=True)
    fields_reduced: Mapped[int] = mapped_column(default=0)
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reduced_at: Mapped[dt.datetime | None]


class FieldStat(Base):
    """Zonal statistics of one band of one scene over one field (radar in dB)."""

    __tablename__ = "remote_field_stats"
    __table_args__ = (Index("ix_remote_field_stats_series", "field_id", "band", "acquired_on"),)

    scene_id: Mapped[int] = mapped_column(
        ForeignKey("remote_scenes.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[int] = mapped_column(primary_key=True)
    band: Mapped[str] = mapped_column(String(8), primary_key=True)
    acquired_on: Mapped[dt.date] = mapped_column(Date)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    mean: Mapped[float | None]
    median: Mapped[float | None]
    p10: Mapped[float | None]
    p90: Mapped[float | None]
    valid_share: Mapped[float]
    pixels: Mapped[float]


class CommuneStat(Base):
    """Zonal statistics of one band of one scene over a commune's boundary."""

    __tablename__ = "remote_commune_stats"

    scene_id: Mapped[int] = mapped_column(
        ForeignKey("remote_scenes.id", ondelete="CASCADE"), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    band: Mapped[str] = mapped_column(String(8), primary_key=True)
    acquired_on: Mapped[dt.date] = mapped_column(Date, index=True)
    mean: Mapped[float | None]
    median: Mapped[float | None]
    p10: Mapped[float | None]
    p90: Mapped[float | None]
    valid_share: Mapped[float]
    pixels: Mapped[float]


class FieldPhenology(Base):
    """What the time series says of a field: rice or not, how many seasons."""

    __tablename__ = "remote_fields"

    field_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    area_ha: Mapped[float]
    declared_crop: Mapped[str | None] = mapped_column(String(50))
    is_rice: Mapped[bool]
    n_seasons: Mapped[int]
    note: Mapped[str] = mapped_column(String(40), default="")
    first_date: Mapped[dt.date | None] = mapped_column(Date)
    last_date: Mapped[dt.date | None] = mapped_column(Date)
    radar_dates: Mapped[int] = mapped_column(default=0)
    optical_dates: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DetectedSeason(Base):
    """A rice season seen on a field (sowing, heading, harvest)."""

    __tablename__ = "remote_seasons"
    __table_args__ = (Index("ix_remote_seasons_commune_key", "commune_code", "season_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(
        ForeignKey("remote_fields.field_id", ondelete="CASCADE"), index=True)
    idx: Mapped[int]
    season_key: Mapped[str] = mapped_column(String(40))
    commune_code: Mapped[str] = mapped_column(String(10))
    sowing: Mapped[dt.date] = mapped_column(Date)
    heading: Mapped[dt.date] = mapped_column(Date)
    harvest: Mapped[dt.date | None] = mapped_column(Date)


class Discrepancy(Audited, Base):
    """A difference between remote sensing and what the diary or the registry declares."""

    __tablename__ = "remote_discrepancies"
    __table_args__ = (
        UniqueConstraint("field_id", "season_key", "kind",
                         name="uq_remote_discrepancies_field_season_kind"),
        Index("ix_remote_discrepancies_commune_status", "commune_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(index=True)
    commune_code: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    season_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    diary_season_id: Mapped[int | None]
    declared_date: Mapped[dt.date | None] = mapped_column(Date)
    observed_date: Mapped[dt.date | None] = mapped_column(Date)
    declared_ha: Mapped[float | None]
    observed_ha: Mapped[float | None]
    difference: Mapped[float | None]  # days (dates) or hectares (areas)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="open")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime | None]
