"""Statistics: data elements and their disaggregations, indicators, datasets, validation rules,
season calendars (metadata, all as data), data values with their source, reports and their
approval, imports, allocation weights of split communes, the refresh queue, dashboards and
the province's targets.

A data value is one number for (data element, period, organisation unit, disaggregation):
the DHIS2 model. The organisation unit is a 2025 commune, or — for history reported before
1 July 2025 — a legacy commune (``generation='legacy'``) that the analytics re-aggregate to
the 2025 communes through :class:`Allocation`. ``province_code`` is always the 2025 province,
so that a province's values are one indexed range whatever their generation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow

# --- metadata (loaded from stats/data/*.csv, extended by the province) ----------------------


class DataElement(Audited, Base):
    __tablename__ = "stats_data_elements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    # sum: totals add up (areas, output, heads); none: never summed (a reported yield).
    aggregation: Mapped[str] = mapped_column(String(10), default="sum")
    # The disaggregation: the categories of the element, in order (["crop"], ["crop",
    # "nutrient"], ["pest", "severity"]); a value's ``coc`` joins one option of each with ".".
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    period_type: Mapped[str] = mapped_column(String(10))  # season, month, quarter, year…
    # Where the values come from: diary, registry, alerts, trace (automatic) or manual.
    source: Mapped[str] = mapped_column(String(20))
    dataset: Mapped[str] = mapped_column(String(50))
    decimals: Mapped[int] = mapped_column(default=1)
    description_vi: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CategoryOption(Base):
    __tablename__ = "stats_category_options"
    __table_args__ = (UniqueConstraint("category", "code", name="uq_stats_category_options"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(50))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    sort: Mapped[int] = mapped_column(default=0)


class Indicator(Audited, Base):
    """A formula over data elements (``#{output.rice} / #{harvested_area.rice}``)."""

    __tablename__ = "stats_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    expression: Mapped[str] = mapped_column(Text)
    decimals: Mapped[int] = mapped_column(default=2)
    description_vi: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Dataset(Base):
    """A report a commune sends for a period (its elements, approval steps, due date, and
    which communes are expected to send it, derived from the registry)."""

    __tablename__ = "stats_datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    period_type: Mapped[str] = mapped_column(String(10))
    # 1: the commune approves; 2: the commune approves, then the province accepts.
    approval_steps: Mapped[int] = mapped_column(default=2)
    # Days after the end of the period by which the report is due (timeliness).
    due_days: Mapped[int] = mapped_column(default=15)
    # Which communes must report, from the registry: "crop:rice", "kind:livestock_farm"…
    expected_when: Mapped[str] = mapped_column(String(100))
    # Which seasons (for season datasets): "dong_xuan,he_thu,thu_dong".
    season_kinds: Mapped[str | None] = mapped_column(String(100))


class ValidationRule(Base):
    """``left operator right`` over a commune's values of a period (rules as data)."""

    __tablename__ = "stats_validation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    dataset: Mapped[str] = mapped_column(String(50))
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    left: Mapped[str] = mapped_column(Text)
    operator: Mapped[str] = mapped_column(String(10))  # <=, >=, <, >, ==, ~=, between
    right: Mapped[str] = mapped_column(Text)
    tolerance_pct: Mapped[float] = mapped_column(default=0.0)
    importance: Mapped[str] = mapped_column(String(10), default="high")


class Bound(Base):
    """The plausible range of a data element or indicator for one disaggregation (a crop's
    yield), with where the figures come from."""

    __tablename__ = "stats_bounds"
    __table_args__ = (UniqueConstraint("item", "coc", name="uq_stats_bounds_item_coc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(50))
    coc: Mapped[str] = mapped_column(String(100), default="")
    min_value: Mapped[float]
    max_value: Mapped[float]
    source: Mapped[str] = mapped_column(Text)


class SeasonCalendar(Base):
    """When a kind of season runs in a province (data, not code): Đông Xuân from 1 November
    to 30 April of the next year…"""

    __tablename__ = "stats_season_calendars"
    __table_args__ = (
        UniqueConstraint("province_code", "kind", name="uq_stats_season_calendars"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    start_month: Mapped[int]
    start_day: Mapped[int]
    # Offset of the start from the season's first year (0) and of the end from it (0 or 1).
    end_month: Mapped[int]
    end_day: Mapped[int]
    end_year_offset: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(Text)


class Target(Base):
    """A target of the province's digital-transformation scheme, computed by a provider."""

    __tablename__ = "stats_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(10))  # % or count
    provider: Mapped[str] = mapped_column(String(50))
    # [{"year": 2025, "min": 15, "max": 20}, {"year": 2030, "min": 50, "strict": true}]
    goals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text)
    sort: Mapped[int] = mapped_column(default=0)


# --- data ---------------------------------------------------------------------------------------


class DataValue(Audited, Base):
    __tablename__ = "stats_data_values"
    __table_args__ = (
        UniqueConstraint("data_element", "period", "org_unit", "generation", "coc",
                         name="uq_stats_data_values_key"),
        # Analytics: a province's values of some elements for some periods (covering).
        Index("ix_stats_data_values_analytics", "province_code", "data_element", "period",
              "org_unit", "generation", "coc", "value"),
        Index("ix_stats_data_values_year", "province_code", "data_element", "year"),
        Index("ix_stats_data_values_unit_period", "org_unit", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    data_element: Mapped[str] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(30))
    period_type: Mapped[str] = mapped_column(String(10))
    # The calendar year the period counts in (a season: the year it ends).
    year: Mapped[int]
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    province_code: Mapped[str] = mapped_column(String(10))
    org_unit: Mapped[str] = mapped_column(String(10))
    generation: Mapped[str] = mapped_column(String(10), default="2025")  # 2025 | legacy
    coc: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[float]
    # diary, registry, alerts, trace (automatic); manual; import.
    source: Mapped[str] = mapped_column(String(20))
    # Where the records behind the value are (an API query), and how many there are.
    source_ref: Mapped[str | None] = mapped_column(String(500))
    source_count: Mapped[int | None]
    import_id: Mapped[int | None] = mapped_column(ForeignKey("stats_imports.id",
                                                             ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    # A recount of an automatic value after the value was approved: kept beside it, shown,
    # never written over the approved figure.
    pending_value: Mapped[float | None]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Report(Audited, Base):
    """A commune's (or the province's) report of a dataset for a period: completeness,
    timeliness and approval."""

    __tablename__ = "stats_reports"
    __table_args__ = (
        UniqueConstraint("dataset", "period", "org_unit", name="uq_stats_reports_key"),
        Index("ix_stats_reports_province", "province_code", "dataset", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(30))
    org_unit: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(10))  # commune | province
    province_code: Mapped[str] = mapped_column(String(10))
    # open, approved (by the commune), accepted (by the province), returned; province: open,
    # approved.
    status: Mapped[str] = mapped_column(String(12), default="open")
    completed_at: Mapped[dt.datetime | None]
    on_time: Mapped[bool | None]
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[dt.datetime | None]
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[dt.datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Import(Base):
    """A file of historic figures imported whole (a refused file leaves no row)."""

    __tablename__ = "stats_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    encoding: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int]
    values: Mapped[int]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Allocation(Audited, Base):
    """How a legacy commune's figures go to the 2025 communes: weight 1 to its one successor,
    or shares (adding up to 1) among the communes it was split into."""

    __tablename__ = "stats_allocations"
    __table_args__ = (UniqueConstraint("old_code", "new_code", name="uq_stats_allocations"),
                      Index("ix_stats_allocations_province", "province_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(String(10))
    old_code: Mapped[str] = mapped_column(String(10))
    new_code: Mapped[str] = mapped_column(String(10))
    weight: Mapped[float]
    divided: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(String(20))  # whole | area_share | custom
    note: Mapped[str | None] = mapped_column(Text)


class RefreshQueue(Base):
    """Keys whose automatic values must be recounted (written by the event handlers inside
    the publisher's transaction, drained by the refresher)."""

    __tablename__ = "stats_refresh_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100))
    enqueued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class State(Base):
    """Small facts the refresher keeps (watermarks, last runs)."""

    __tablename__ = "stats_state"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Dashboard(Base):
    """A user's arrangement of the dashboard items (order, hidden)."""

    __tablename__ = "stats_dashboards"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
