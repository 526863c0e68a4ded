"""Pydantic models of the statistics domain (API contracts and service results)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Code = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]
Coc = Annotated[str, Field(max_length=100, pattern=r"^([a-z0-9_]+(\.[a-z0-9_]+)*)?$")]
PeriodId = Annotated[str, Field(min_length=4, max_length=30)]
UnitCode = Annotated[str, Field(min_length=2, max_length=10, pattern=r"^\d{2,5}$")]
Text = Annotated[str, Field(max_length=2000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


# --- metadata -----------------------------------------------------------------------------------


class CategoryOptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    category: str
    code: str
    name_vi: str
    name_en: str


class DataElementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_vi: str
    name_en: str
    unit: str
    aggregation: str
    categories: list[str]
    period_type: str
    source: str
    dataset: str
    decimals: int
    description_vi: str | None
    description_en: str | None


class DataElementCreate(BaseModel):
    """A data element the province adds (filled by hand or by import)."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    name_vi: Name
    name_en: Name
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    aggregation: Literal["sum", "none"] = "sum"
    categories: Annotated[list[Code], Field(max_length=3)] = []
    period_type: Literal["day", "week", "month", "quarter", "year", "season"]
    dataset: Code
    decimals: Annotated[int, Field(ge=0, le=6)] = 1
    description_vi: Text | None = None
    description_en: Text | None = None


class IndicatorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_vi: str
    name_en: str
    unit: str
    expression: str
    decimals: int
    description_vi: str | None
    description_en: str | None


class IndicatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name_vi: Name
    name_en: Name
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    expression: Annotated[str, Field(min_length=1, max_length=1000)]
    decimals: Annotated[int, Field(ge=0, le=6)] = 2
    description_vi: Text | None = None
    description_en: Text | None = None


class IndicatorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_vi: Name | None = None
    name_en: Name | None = None
    unit: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    expression: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    decimals: Annotated[int, Field(ge=0, le=6)] | None = None


class DatasetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_vi: str
    name_en: str
    period_type: str
    approval_steps: int
    due_days: int
    expected_when: str
    season_kinds: str | None
    elements: list[str] = []


class ValidationRulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    dataset: str
    name_vi: str
    name_en: str
    left: str
    operator: str
    right: str
    tolerance_pct: float
    importance: str


class CalendarPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    province_code: str
    kind: str
    start_month: int
    start_day: int
    end_month: int
    end_day: int
    end_year_offset: int
    source: str


class CalendarUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_month: Annotated[int, Field(ge=1, le=12)]
    start_day: Annotated[int, Field(ge=1, le=31)]
    end_month: Annotated[int, Field(ge=1, le=12)]
    end_day: Annotated[int, Field(ge=1, le=31)]
    end_year_offset: Annotated[int, Field(ge=0, le=1)] = 0
    source: Annotated[str, Field(min_length=1, max_length=2000)]


class AllocationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    old_code: str
    new_code: str
    weight: float
    divided: bool
    method: str
    note: str | None


class AllocationShare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_code: UnitCode
    weight: Annotated[float, Field(ge=0, le=1)]


class AllocationUpdate(BaseModel):
    """New shares of a split legacy commune among its successors (they must add up to 1)."""

    model_config = ConfigDict(extra="forbid")

    shares: Annotated[list[AllocationShare], Field(min_length=1, max_length=20)]
    note: Annotated[str, Field(min_length=1, max_length=2000)]


# --- data values and forms -------------------------------------------------------------------


class ValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    element: Code
    coc: Coc = ""
    # None: blank (no value; an existing value is removed). 0 is a value. A negative value
    # is refused by the service with a message saying so.
    value: Annotated[float, Field(ge=-1e12, le=1e12)] | None
    comment: Text | None = None


class FormSave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: Code
    period: PeriodId
    org_unit: UnitCode
    values: Annotated[list[ValueIn], Field(min_length=1, max_length=500)]


class FormCell(BaseModel):
    element: str
    element_name: str
    unit: str
    coc: str
    coc_name: str
    value: float | None
    source: str | None
    editable: bool
    pending_value: float | None = None
    source_ref: str | None = None
    source_count: int | None = None
    comment: str | None = None


class ViolationPublic(BaseModel):
    rule: str
    name: str
    importance: str
    operator: str
    left: float | None
    right: float | None
    org_unit: str | None = None


class FindingPublic(BaseModel):
    method: str
    score: float | None
    expected: float | None


class OutlierPublic(BaseModel):
    item: str
    item_name: str
    coc: str
    period: str
    org_unit: str
    org_unit_name: str
    value: float
    findings: list[FindingPublic]
    # The value probably meant when the slip is a power of ten (80 typed for 8.0).
    likely_meant: float | None


class ReportPublic(BaseModel):
    dataset: str
    period: str
    org_unit: str
    org_unit_name: str
    level: str
    status: str
    expected: bool
    received: bool
    completed_at: dt.datetime | None
    on_time: bool | None
    approved_at: dt.datetime | None
    accepted_at: dt.datetime | None
    comment: str | None
    due: dt.date


class FormPublic(BaseModel):
    dataset: str
    dataset_name: str
    period: str
    period_label: str
    org_unit: str
    org_unit_name: str
    report: ReportPublic
    locked: bool
    cells: list[FormCell]
    violations: list[ViolationPublic]


class ApprovalAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Text | None = None


class ApprovalOverview(BaseModel):
    dataset: str
    dataset_name: str
    period: str
    period_label: str
    province_code: str
    province: ReportPublic
    communes: list[ReportPublic]
    expected: int
    received: int
    on_time: int
    approved: int
    completeness_pct: float | None
    timeliness_pct: float | None


# --- analytics ----------------------------------------------------------------------------------


class AnalyticsItem(BaseModel):
    name: str
    unit: str | None = None
    code: str | None = None


class AnalyticsResult(BaseModel):
    """DHIS2-like: headers, rows of strings/numbers, and the names of what they mention."""

    headers: list[str]
    rows: list[list[str | float | bool | None]]
    items: dict[str, AnalyticsItem]
    dimensions: dict[str, list[str]]
    width: int
    height: int


# --- imports ------------------------------------------------------------------------------------


class ImportRowError(BaseModel):
    row: int | None
    column: str | None
    message: str


class ImportReport(BaseModel):
    import_id: int | None
    filename: str
    encoding: str
    number_style: str
    date_order: str
    rows_read: int
    values: int
    allocated_values: int
    dry_run: bool
    errors: list[ImportRowError]
    warnings: list[str]


# --- reports, targets, dashboards, refresh -----------------------------------------------------


class SeasonReportRow(BaseModel):
    commune_code: str
    commune_name: str
    sown_ha: float | None
    harvested_ha: float | None
    yield_t_ha: float | None
    output_t: float | None
    prev_sown_ha: float | None
    prev_harvested_ha: float | None
    prev_yield_t_ha: float | None
    prev_output_t: float | None
    output_change_pct: float | None
    allocated: bool
    status: str


class SeasonReport(BaseModel):
    province_code: str
    province_name: str
    crop: str
    crop_name: str
    season: str
    season_label: str
    previous: str
    previous_label: str
    rows: list[SeasonReportRow]
    total: SeasonReportRow
    generated_at: dt.datetime


class GoalPublic(BaseModel):
    year: int | None
    min: float | None = None
    max: float | None = None
    strict: bool = False
    met: bool | None = None


class TargetPublic(BaseModel):
    code: str
    name: str
    unit: str
    available: bool
    value: float | None
    numerator: float | None
    denominator: float | None
    as_of: dt.date
    goals: list[GoalPublic]
    note: str | None
    source: str


DashboardItemId = Literal["map", "trend", "alerts", "completeness", "targets", "outliers"]


class DashboardItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: DashboardItemId
    hidden: bool = False


class DashboardLayout(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[DashboardItem], Field(min_length=1, max_length=6)]


class RefreshReport(BaseModel):
    keys: int
    values_written: int
    values_removed: int
    pending_after_approval: int
    sources: list[str]


# --- open data ----------------------------------------------------------------------------------


class ApprovedValue(BaseModel):
    """One approved figure of a commune and season (no personal data), for open data."""

    commune_code: str
    commune_name: str
    period: str
    period_label: str
    data_element: str
    data_element_name: str
    coc: str
    value: float
    unit: str
    allocated: bool
    approved_at: dt.datetime | None


# The pages' pure helpers: cell parsing and the page texts; the pages reach them through this
# module (import contracts).
from nongso.stats import messages as messages  # noqa: E402  (registers the texts)
from nongso.stats import parsing as parsing  # noqa: E402
