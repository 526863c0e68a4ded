"""Farm diary: plots, seasons, trees, activities (logs), inputs, purchases, flags, photos.

Every row of the diary carries its scope (farmer, co-operative, commune, province) copied from
the plot when it is written, so that permission filters and aggregates are plain indexed
columns (no join back to the registry on every read).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow


class Plot(Audited, Base):
    """A plot kept in the diary, linked to a registry production unit (field, orchard…)."""

    __tablename__ = "diary_plots"

    id: Mapped[int] = mapped_column(primary_key=True)
    production_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("production_units.id"), index=True
    )
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    crop: Mapped[str | None] = mapped_column(String(50))
    area_ha: Mapped[float]
    planting_area_code: Mapped[str | None] = mapped_column(String(50))
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Season(Audited, Base):
    """One crop cycle on a plot: "Đông Xuân 2025-2026" (rice) or "Niên vụ 2026" (orchard)."""

    __tablename__ = "diary_seasons"
    # The figures below are recomputed on every write: not worth an audit row each time.
    __audit_exclude__ = frozenset({
        "activities_count", "sprays_count", "fertilising_count", "harvest_kg",
        "harvest_dry_kg", "first_harvest_date", "n_kg", "p2o5_kg", "k2o_kg", "flags_count",
        "safe_harvest_date", "last_activity_at"})
    __table_args__ = (
        Index("ix_diary_seasons_org_key", "organisation_id", "season_key"),
        Index("ix_diary_seasons_key_commune", "season_key", "commune_code"),
        # Covers the commune x season report: read from the index alone, already grouped.
        Index("ix_diary_seasons_area_report", "province_code", "commune_code", "season_key",
              "area_ha", "activities_count", "sprays_count", "harvest_kg", "flags_count",
              "harvest_dry_kg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plot_id: Mapped[int] = mapped_column(ForeignKey("diary_plots.id", ondelete="CASCADE"),
                                         index=True)
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    commune_code: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(String(10))
    season_kind: Mapped[str] = mapped_column(String(20))  # dong_xuan, he_thu, thu_dong, ...
    year_start: Mapped[int]
    year_end: Mapped[int]
    season_key: Mapped[str] = mapped_column(String(40))  # "dong_xuan:2025-2026"
    crop: Mapped[str] = mapped_column(String(50))
    variety: Mapped[str | None] = mapped_column(String(100))
    sowing_date: Mapped[dt.date | None] = mapped_column(Date)
    expected_harvest_date: Mapped[dt.date | None] = mapped_column(Date)
    area_ha: Mapped[float]
    template_code: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, closed
    certified_at: Mapped[dt.datetime | None]
    certified_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Figures kept up to date from the season's activities in the same unit of work (so that
    # co-op and commune reports are GROUP BYs over seasons, not over millions of activities).
    activities_count: Mapped[int] = mapped_column(default=0)
    sprays_count: Mapped[int] = mapped_column(default=0)
    fertilising_count: Mapped[int] = mapped_column(default=0)
    harvest_kg: Mapped[float] = mapped_column(default=0.0)  # as weighed (rice: fresh)
    # What the statistics count (``diary.moisture``): rice as dry paddy at 14 % moisture,
    # other crops as weighed.
    harvest_dry_kg: Mapped[float] = mapped_column(default=0.0, server_default=text("0"))
    first_harvest_date: Mapped[dt.date | None] = mapped_column(Date)
    n_kg: Mapped[float] = mapped_column(default=0.0)
    p2o5_kg: Mapped[float] = mapped_column(default=0.0)
    k2o_kg: Mapped[float] = mapped_column(default=0.0)
    flags_count: Mapped[int] = mapped_column(default=0)
    safe_harvest_date: Mapped[dt.date | None] = mapped_column(Date)
    last_activity_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Tree(Audited, Base):
    """An individual tree or a group of trees of an orchard plot (for per-tree records/QR)."""

    __tablename__ = "diary_trees"
    __table_args__ = (UniqueConstraint("plot_id", "code", name="uq_diary_trees_plot_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plot_id: Mapped[int] = mapped_column(ForeignKey("diary_plots.id", ondelete="CASCADE"),
                                         index=True)
    code: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))  # tree | group
    count: Mapped[int] = mapped_column(default=1)
    variety: Mapped[str | None] = mapped_column(String(100))
    planted_year: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)


class Input(Audited, Base):
    """A product of the inputs catalogue: fertiliser, pesticide, seed, other."""

    __tablename__ = "diary_inputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)  # fold(name)
    # The English name (None: the name is the same in both, e.g. a brand name).
    name_en: Mapped[str | None] = mapped_column(String(200))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    registration_no: Mapped[str | None] = mapped_column(String(50))
    formulation: Mapped[str | None] = mapped_column(String(20))
    # Fertiliser content, % by mass.
    n_pct: Mapped[float | None]
    p2o5_pct: Mapped[float | None]
    k2o_pct: Mapped[float | None]
    # Pesticide: [{"name", "concentration", "unit"}], pre-harvest interval, label dose per ha.
    active_ingredients: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    phi_days: Mapped[int | None]
    label_dose_max_per_ha: Mapped[float | None]
    label_dose_unit: Mapped[str | None] = mapped_column(String(10))  # kg, L (per ha)
    target: Mapped[str | None] = mapped_column(String(200))
    # Seed.
    variety: Mapped[str | None] = mapped_column(String(100))
    certified_seed: Mapped[bool] = mapped_column(default=False)
    # None: the province's shared catalogue; else a co-operative's own entry.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Purchase(Audited, Base):
    """Inputs bought from an input dealer of the registry, with the manufacturer's lot."""

    __tablename__ = "diary_purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    input_id: Mapped[int] = mapped_column(ForeignKey("diary_inputs.id"), index=True)
    dealer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    commune_code: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(String(10))
    purchased_on: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(String(10))
    quantity_base: Mapped[float]
    base_unit: Mapped[str] = mapped_column(String(5))
    lot: Mapped[str | None] = mapped_column(String(50))
    invoice_no: Mapped[str | None] = mapped_column(String(50))
    price_vnd: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Activity(Audited, Base):
    """One log: land preparation, sowing, fertilising, spraying, irrigation, scouting,
    harvest, drying/sorting/milling/packing, sale…"""

    __tablename__ = "diary_activities"
    __table_args__ = (
        Index("ix_diary_activities_season_at", "season_id", "at"),
        Index("ix_diary_activities_farmer_at", "farmer_id", "at"),
        Index("ix_diary_activities_org_at", "organisation_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    season_id: Mapped[int | None] = mapped_column(
        ForeignKey("diary_seasons.id", ondelete="CASCADE")
    )
    plot_id: Mapped[int | None] = mapped_column(ForeignKey("diary_plots.id", ondelete="CASCADE"),
                                                index=True)
    tree_id: Mapped[int | None] = mapped_column(ForeignKey("diary_trees.id", ondelete="SET NULL"))
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    commune_code: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    # done; proposed (recorded by the co-op for the farmer to confirm); planned (a task).
    status: Mapped[str] = mapped_column(String(10), default="done")
    at: Mapped[dt.datetime]
    done_by: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    # The activity's own quantity (harvest kg, water m³, worked area…), as given and in base.
    quantity: Mapped[float | None]
    unit: Mapped[str | None] = mapped_column(String(10))
    quantity_base: Mapped[float | None]
    base_unit: Mapped[str | None] = mapped_column(String(5))
    area_ha: Mapped[float | None]
    moisture_pct: Mapped[float | None]
    # Scouting.
    pest: Mapped[str | None] = mapped_column(String(100))
    density_per_m2: Mapped[float | None]
    growth_stage: Mapped[str | None] = mapped_column(String(50))
    # Sale.
    buyer_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    price_vnd_per_kg: Mapped[float | None]
    bulk_id: Mapped[str | None] = mapped_column(String(36), index=True)
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                       ondelete="SET NULL"))
    confirmed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ActivityInput(Base):
    """An input used by an activity (a tank mix has several), traced to a purchase."""

    __tablename__ = "diary_activity_inputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("diary_activities.id", ondelete="CASCADE"), index=True
    )
    input_id: Mapped[int] = mapped_column(ForeignKey("diary_inputs.id"), index=True)
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("diary_purchases.id"))
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(String(10))
    quantity_base: Mapped[float]
    base_unit: Mapped[str] = mapped_column(String(5))
    dose_per_ha: Mapped[float | None]  # base units per ha


class ActivityLink(Base):
    """Produce of an earlier activity (a harvest, a drying) that went into this one (kg)."""

    __tablename__ = "diary_activity_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("diary_activities.id", ondelete="CASCADE"), index=True
    )
    source_activity_id: Mapped[int] = mapped_column(
        ForeignKey("diary_activities.id", ondelete="CASCADE"), index=True
    )
    quantity_kg: Mapped[float]


class ActivityOutput(Base):
    """What came out of a processing activity: product, kg, main or by-product."""

    __tablename__ = "diary_activity_outputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("diary_activities.id", ondelete="CASCADE"), index=True
    )
    product: Mapped[str] = mapped_column(String(100))
    quantity_kg: Mapped[float]
    is_main: Mapped[bool] = mapped_column(default=True)


class Flag(Base):
    """A compliance flag: an activity that breaks a rule (kept as a true record)."""

    __tablename__ = "diary_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("diary_seasons.id", ondelete="CASCADE"),
                                           index=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("diary_activities.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(10))  # violation | warning
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Photo(Base):
    """A photo of an activity (stored in the database: it goes and comes with its record)."""

    __tablename__ = "diary_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("diary_activities.id", ondelete="CASCADE"), index=True
    )
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
