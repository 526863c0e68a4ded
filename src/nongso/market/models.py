"""Market: price series and quotes (with their monthly aggregates), exchange rates, cached
forecasts, supply (expected harvests) and demand, match proposals, agreements and
deliveries, product listings, shared equipment with its bookings and jobs.

A price series is one product at one market level in one place (a commune, or the province).
Every quote keeps what was typed (text, value, unit, exchange rate) beside the price in đ/kg;
``market_price_months`` holds the month's count and sum per series, kept up to date in the
same unit of work as the quotes, so that the anomaly indicator and the forecasts read one row
per series and month.

Equipment slots (bookings and maintenance blocks) never overlap for one machine: on
PostgreSQL an exclusion constraint over ``(equipment_id, tstzrange(starts_at, ends_at))``
of the active slots (created by the migration: the models cannot describe it), on SQLite an
immediate transaction with an overlap check (``services/equipment.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow

LEVELS = ("farm_gate", "wholesale", "retail", "export")
SLOT_ACTIVE = ("confirmed", "started", "done")


class PriceSeries(Base):
    __tablename__ = "market_series"
    __table_args__ = (
        UniqueConstraint("product_code", "level", "place_code",
                         name="uq_market_series_product_level_place"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_code: Mapped[str] = mapped_column(String(50), index=True)
    level: Mapped[str] = mapped_column(String(20))
    # A commune code (5 digits) or the province code (2 digits).
    place_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PriceQuote(Audited, Base):
    __tablename__ = "market_quotes"
    __table_args__ = (
        # One quote a day per series and source: the same day's second quote is a duplicate.
        UniqueConstraint("series_id", "observed_on", "source_key",
                         name="uq_market_quotes_series_day_source"),
        Index("ix_market_quotes_series_day", "series_id", "observed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("market_series.id", ondelete="CASCADE"))
    observed_on: Mapped[dt.date] = mapped_column(Date)
    price_vnd_per_kg: Mapped[float]
    # What was entered: the text (as typed or imported), its value and unit, the USD rate used.
    original_text: Mapped[str] = mapped_column(String(100))
    original_value: Mapped[float]
    original_unit: Mapped[str] = mapped_column(String(20))  # vnd/kg, vnd/gia, usd/t, ...
    usd_vnd_rate: Mapped[float | None]
    market_name: Mapped[str | None] = mapped_column(String(200))
    # Who reported it: an officer, a buyer, an import or an outside feed.
    source_kind: Mapped[str] = mapped_column(String(20))
    source_name: Mapped[str] = mapped_column(String(200))
    source_key: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PriceMonth(Base):
    """The quotes of a series in a calendar month: how many and their sum (đ/kg)."""

    __tablename__ = "market_price_months"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("market_series.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # the 1st of the month
    n: Mapped[int] = mapped_column(default=0)
    total_vnd_per_kg: Mapped[float] = mapped_column(default=0.0)


class FxRate(Audited, Base):
    """The day's USD → VND rate used to convert quotes in USD/t."""

    __tablename__ = "market_fx_rates"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    usd_vnd: Mapped[float]
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Forecast(Base):
    """A series' forecast, kept until its data change (``data_key``)."""

    __tablename__ = "market_forecasts"
    __table_args__ = (UniqueConstraint("kind", "subject", name="uq_market_forecasts_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # price | output
    subject: Mapped[str] = mapped_column(String(100))  # series id or commune code
    data_key: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Supply(Audited, Base):
    """An expected harvest a co-operative (or company) offers for sale."""

    __tablename__ = "market_supplies"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(50), index=True)
    grade: Mapped[int] = mapped_column(default=1)  # 1 best
    volume_kg: Mapped[float]
    available_from: Mapped[dt.date] = mapped_column(Date)
    available_to: Mapped[dt.date] = mapped_column(Date)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    lon: Mapped[float]
    lat: Mapped[float]
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    planting_area_code: Mapped[str | None] = mapped_column(String(50))
    season_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Demand(Audited, Base):
    """What a buyer wants: product, grade, volume, window, place and certifications."""

    __tablename__ = "market_demands"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(50), index=True)
    max_grade: Mapped[int] = mapped_column(default=3)  # the worst grade accepted
    volume_kg: Mapped[float]
    window_from: Mapped[dt.date] = mapped_column(Date)
    window_to: Mapped[dt.date] = mapped_column(Date)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    lon: Mapped[float]
    lat: Mapped[float]
    max_distance_km: Mapped[float]
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)  # required
    price_vnd_per_kg: Mapped[float | None]
    note: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Proposal(Audited, Base):
    """A match the optimiser proposed between a supply and a demand (an offer to both)."""

    __tablename__ = "market_proposals"
    __table_args__ = (Index("ix_market_proposals_pair", "supply_id", "demand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_id: Mapped[int] = mapped_column(ForeignKey("market_supplies.id", ondelete="CASCADE"),
                                           index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("market_demands.id", ondelete="CASCADE"),
                                           index=True)
    volume_kg: Mapped[float]
    distance_km: Mapped[float]
    # proposed -> agreed (both sides accepted) | declined | superseded
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    seller_accepted_at: Mapped[dt.datetime | None]
    buyer_accepted_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Agreement(Audited, Base):
    __tablename__ = "market_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("market_proposals.id", ondelete="SET NULL"), unique=True)
    supply_id: Mapped[int] = mapped_column(ForeignKey("market_supplies.id"), index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("market_demands.id"), index=True)
    seller_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    buyer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                       index=True)
    product_code: Mapped[str] = mapped_column(String(50))
    volume_kg: Mapped[float]
    price_vnd_per_kg: Mapped[float | None]
    delivered_kg: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | fulfilled
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Delivery(Audited, Base):
    __tablename__ = "market_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("market_agreements.id", ondelete="CASCADE"), index=True)
    delivered_at: Mapped[dt.datetime]
    volume_kg: Mapped[float]
    lot_id: Mapped[int]  # the traceability lot delivered (trace services)
    event_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Listing(Audited, Base):
    """A product page of a co-operative or an OCOP product: price, traceability link."""

    __tablename__ = "market_listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    commune_code: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    product_code: Mapped[str | None] = mapped_column(String(50))
    price_vnd: Mapped[float]
    price_unit: Mapped[str] = mapped_column(String(50))  # "kg", "hộp 2 kg", ...
    gtin: Mapped[str | None] = mapped_column(String(14))  # the traceability product
    lot_id: Mapped[int | None]  # a traceability lot whose page is linked
    trace_link: Mapped[str | None] = mapped_column(String(300))  # its GS1 Digital Link
    ocop_product_id: Mapped[int | None] = mapped_column(index=True)
    published: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Equipment(Audited, Base):
    """A machine farmers can book: drone, combine harvester, tractor, dryer, pump."""

    __tablename__ = "market_equipment"
    __audit_exclude__ = frozenset({"operator_phone"})

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    operator_name: Mapped[str | None] = mapped_column(String(200))
    operator_phone: Mapped[str | None] = mapped_column(String(30))
    rate_vnd: Mapped[float]
    rate_unit: Mapped[str] = mapped_column(String(10))  # ha | hour | day
    work_rate_ha_per_h: Mapped[float | None]
    lon: Mapped[float]
    lat: Mapped[float]
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    working_radius_km: Mapped[float]
    hour_meter: Mapped[float] = mapped_column(default=0.0)
    service_interval_h: Mapped[float]
    hours_at_service: Mapped[float] = mapped_column(default=0.0)
    service_duration_h: Mapped[float] = mapped_column(default=24.0)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Slot(Audited, Base):
    """A booking of a machine (for fields, in a time window) or a maintenance block."""

    __tablename__ = "market_equipment_slots"
    __table_args__ = (Index("ix_market_equipment_slots_time", "equipment_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        ForeignKey("market_equipment.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # booking | maintenance
    status: Mapped[str] = mapped_column(String(20))  # confirmed | started | done | cancelled
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    field_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    area_ha: Mapped[float | None]
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"))
    farmer_id: Mapped[int | None] = mapped_column(ForeignKey("farmers.id", ondelete="SET NULL"))
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Job(Audited, Base):
    """What a booking's work took: hours (hour meter), fuel, cost; the diary activity."""

    __tablename__ = "market_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        ForeignKey("market_equipment_slots.id", ondelete="CASCADE"), unique=True)
    hour_meter_start: Mapped[float]
    hour_meter_end: Mapped[float]
    area_ha: Mapped[float]
    fuel_l: Mapped[float]
    cost_vnd: Mapped[float]
    diary_activity_id: Mapped[int | None]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

