"""Pydantic models of the market."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["farm_gate", "wholesale", "retail", "export"]
Certification = Literal["vietgap", "globalgap", "organic", "planting_area_code"]
EquipmentKind = Literal["drone", "combine", "tractor", "dryer", "pump"]
RateUnit = Literal["ha", "hour", "day"]
MAX_ID = 2**63 - 1
PosId = Annotated[int, Field(ge=1, le=MAX_ID)]
PLACE_CODE = r"^(\d{2}|\d{5})$"
COMMUNE_CODE = r"^\d{5}$"
MAX_KG = 1e9


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- prices ---------------------------------------------------------------------------------

class QuoteCreate(_In):
    """A price as the officer or buyer writes it: ``"7.500đ"``, ``"7,5k"``, ``"150.000
    đ/giạ"``, ``"480 USD/t"`` or a number (đ per ``unit``, kg by default)."""

    product: str = Field(min_length=1, max_length=100,
                         description="A product code or a name such as 'lúa ST25'")
    level: Level
    place_code: str = Field(pattern=PLACE_CODE, description="Commune (5 digits) or province")
    observed_on: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 1, 1))
    price: str | float = Field(description="As written: '7.500đ', '7,5k', '150.000 đ/giạ'")
    unit: str | None = Field(default=None, max_length=20)
    usd_vnd_rate: float | None = Field(default=None, gt=1000, lt=1_000_000)
    market_name: str | None = Field(default=None, max_length=200)
    source_name: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=500)


class QuotePublic(BaseModel):
    id: int
    series_id: int
    product_code: str
    product_name: str
    level: Level
    place_code: str
    observed_on: dt.date
    price_vnd_per_kg: float
    original_text: str
    original_value: float
    original_unit: str
    usd_vnd_rate: float | None
    market_name: str | None
    source_kind: str
    source_name: str | None  # shown to officers (and the buyer who sent it) only
    created_at: dt.datetime


class SeriesPublic(BaseModel):
    id: int
    product_code: str
    product_name: str
    level: Level
    level_name: str
    place_code: str
    place_name: str
    months: int
    last_month: dt.date | None
    last_price: float | None


class MonthPoint(BaseModel):
    month: dt.date
    price: float | None  # the month's mean (đ/kg); None: no quote that month
    quotes: int


class IpaPoint(BaseModel):
    month: dt.date
    cqgr: float | None
    cagr: float | None
    z_q: float | None
    z_a: float | None
    ipa: float | None


class AnomalyStatus(BaseModel):
    series: SeriesPublic
    status: str  # normal | watch | alert | stale | insufficient_history | missing_lag | ...
    month: dt.date | None
    price: float | None
    ipa: float | None
    years: int
    age_months: int | None
    explanation: str  # why, in the caller's language


class AnomalyReport(BaseModel):
    current_month: dt.date
    series: int
    counts: dict[str, int]
    warnings: list[AnomalyStatus]
    raised: int = 0
    updated: int = 0
    cleared: int = 0


class SeriesDetail(BaseModel):
    series: SeriesPublic
    history: list[MonthPoint]
    ipa: list[IpaPoint]
    latest: AnomalyStatus


class ScorePublic(BaseModel):
    model: str
    mase: float | None
    error: str | None = None


class ForecastPoint(BaseModel):
    period: str  # "2027-01" (month) or "dong_xuan:2026-2027" (season)
    value: float


class ForecastPublic(BaseModel):
    kind: Literal["price", "output"]
    subject: str
    title: str
    outcome: str  # model | seasonal_naive | constant | too_short
    model: str | None
    best_model: str | None
    best_mase: float | None
    m: int
    scores: list[ScorePublic]
    history: list[ForecastPoint]
    forecast: list[ForecastPoint]
    seasonal_naive: list[ForecastPoint]
    missing: list[str]
    filled: list[str]
    dropped_before: str | None
    explanation: str
    computed_at: dt.datetime


class FxRateSet(_In):
    usd_vnd: float = Field(gt=1000, lt=1_000_000)
    source: str = Field(min_length=1, max_length=200)


class FxRatePublic(BaseModel):
    day: dt.date
    usd_vnd: float
    source: str


class RowError(BaseModel):
    row: int
    column: str | None
    message: str


class ImportReport(BaseModel):
    rows_read: int
    rows_imported: int
    rows_with_errors: int
    mode: Literal["all", "only_valid"]
    dry_run: bool
    errors: list[RowError]


class FeedReport(BaseModel):
    feed: str
    received: int
    imported: int
    rejected: int
    errors: list[RowError]


# --- supply and demand ----------------------------------------------------------------------

class SupplyCreate(_In):
    product: str = Field(min_length=1, max_length=100)
    grade: int = Field(default=1, ge=1, le=3)
    volume_kg: float = Field(gt=0, le=MAX_KG)
    available_from: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 1, 1))
    available_to: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 1, 1))
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    commune_code: str | None = Field(default=None, pattern=COMMUNE_CODE)
    lon: float | None = Field(default=None, ge=102.0, le=118.0)
    lat: float | None = Field(default=None, ge=8.0, le=24.0)
    certifications: list[Certification] = Field(default_factory=list, max_length=4)
    planting_area_code: str | None = Field(default=None, max_length=50)
    season_ids: list[PosId] = Field(default_factory=list, max_length=500)
    note: str | None = Field(default=None, max_length=1000)


class SupplyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    organisation_name: str = ""
    product_code: str
    grade: int
    volume_kg: float
    remaining_kg: float = 0.0
    available_from: dt.date
    available_to: dt.date
    commune_code: str
    lon: float
    lat: float
    certifications: list[str]
    planting_area_code: str | None
    season_ids: list[int]
    note: str | None
    status: str
    created_at: dt.datetime


class HarvestSuggestion(BaseModel):
    """An expected harvest read from the co-operative's open diary seasons."""

    product_code: str
    crop: str
    variety: str | None
    expected_kg: float
    available_from: dt.date
    available_to: dt.date
    season_ids: list[int]
    plots: int
    area_ha: float
    certifications: list[str]
    planting_area_code: str | None
    basis: str  # how the volume was estimated


class DemandCreate(_In):
    product: str = Field(min_length=1, max_length=100)
    max_grade: int = Field(default=3, ge=1, le=3)
    volume_kg: float = Field(gt=0, le=MAX_KG)
    window_from: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 1, 1))
    window_to: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 1, 1))
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    commune_code: str | None = Field(default=None, pattern=COMMUNE_CODE)
    lon: float | None = Field(default=None, ge=102.0, le=118.0)
    lat: float | None = Field(default=None, ge=8.0, le=24.0)
    max_distance_km: float = Field(default=50, gt=0, le=2000)
    certifications: list[Certification] = Field(default_factory=list, max_length=4)
    price_vnd_per_kg: float | None = Field(default=None, gt=0, le=10_000_000)
    note: str | None = Field(default=None, max_length=1000)


class DemandPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    organisation_name: str = ""
    product_code: str
    max_grade: int
    volume_kg: float
    remaining_kg: float = 0.0
    window_from: dt.date
    window_to: dt.date
    commune_code: str
    lon: float
    lat: float
    max_distance_km: float
    certifications: list[str]
    price_vnd_per_kg: float | None
    note: str | None
    status: str
    created_at: dt.datetime


class ProposalPublic(BaseModel):
    id: int
    supply_id: int
    demand_id: int
    seller: str
    buyer: str
    product_code: str
    volume_kg: float
    distance_km: float
    status: str
    seller_accepted: bool
    buyer_accepted: bool
    agreement_id: int | None = None
    created_at: dt.datetime


class MatchReport(BaseModel):
    supplies: int
    demands: int
    candidates: int
    proposals: list[ProposalPublic]
    total_kg: float
    kg_km: float


class ProposalAccept(_In):
    price_vnd_per_kg: float | None = Field(default=None, gt=0, le=10_000_000)


class AgreementPublic(BaseModel):
    id: int
    proposal_id: int | None
    supply_id: int
    demand_id: int
    seller_organisation_id: int
    buyer_organisation_id: int
    seller: str
    buyer: str
    product_code: str
    volume_kg: float
    price_vnd_per_kg: float | None
    delivered_kg: float
    status: str
    created_at: dt.datetime


class DeliveryCreate(_In):
    volume_kg: float = Field(gt=0, le=MAX_KG)
    lot_id: int = Field(ge=1, le=MAX_ID)
    delivered_at: dt.datetime | None = None


class DeliveryPublic(BaseModel):
    id: int
    agreement_id: int
    delivered_at: dt.datetime
    volume_kg: float
    lot_id: int
    event_ids: list[str]
    agreement: AgreementPublic


# --- listings -------------------------------------------------------------------------------

class ListingCreate(_In):
    title: str = Field(min_length=1, max_length=200)
    title_en: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    product: str | None = Field(default=None, max_length=100)
    price_vnd: float = Field(gt=0, le=1_000_000_000)
    price_unit: str = Field(default="kg", min_length=1, max_length=50)
    gtin: str | None = Field(default=None, pattern=r"^\d{8}$|^\d{12,14}$")
    lot_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    ocop_product_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    published: bool = True


class ListingUpdate(_In):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    title_en: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    price_vnd: float | None = Field(default=None, gt=0, le=1_000_000_000)
    price_unit: str | None = Field(default=None, min_length=1, max_length=50)
    published: bool | None = None


class ListingPublic(BaseModel):
    id: int
    organisation_id: int
    organisation_name: str
    commune_code: str
    title: str
    title_en: str | None
    description: str | None
    product_code: str | None
    price_vnd: float
    price_unit: str
    gtin: str | None
    lot_id: int | None
    trace_link: str | None  # the GS1 Digital Link of the product or lot
    ocop_product_id: int | None
    ocop_stars: int | None
    published: bool
    updated_at: dt.datetime


class OcopListedShare(BaseModel):
    """The province target "every OCOP product listed online": how far along it is."""

    province_code: str
    ocop_products: int
    listed: int
    share: float | None  # listed / ocop_products (None when there is no OCOP product)


# --- shared equipment ------------------------------------------------------------------------

class EquipmentCreate(_In):
    kind: EquipmentKind
    name: str = Field(min_length=1, max_length=200)
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    operator_name: str | None = Field(default=None, max_length=200)
    operator_phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    rate_vnd: float = Field(gt=0, le=100_000_000)
    rate_unit: RateUnit
    work_rate_ha_per_h: float | None = Field(default=None, gt=0, le=100)
    lon: float = Field(ge=102.0, le=118.0)
    lat: float = Field(ge=8.0, le=24.0)
    commune_code: str | None = Field(default=None, pattern=COMMUNE_CODE)
    working_radius_km: float = Field(default=20, gt=0, le=300)
    hour_meter: float = Field(default=0, ge=0, le=1_000_000)
    service_interval_h: float = Field(default=250, gt=0, le=10_000)
    hours_at_service: float = Field(default=0, ge=0, le=1_000_000)
    service_duration_h: float = Field(default=24, gt=0, le=24 * 30)


class EquipmentPublic(BaseModel):
    id: int
    kind: str
    kind_name: str
    name: str
    organisation_id: int
    organisation_name: str
    operator_name: str | None  # signed-in users only
    operator_phone: str | None  # signed-in users only
    rate_vnd: float
    rate_unit: str
    work_rate_ha_per_h: float | None
    lon: float
    lat: float
    commune_code: str
    working_radius_km: float
    hour_meter: float
    service_interval_h: float
    hours_to_service: float
    maintenance_due: bool
    distance_km: float | None = None


class BookingCreate(_In):
    """Times without a zone are Vietnam time (Asia/Ho_Chi_Minh)."""

    equipment_id: int = Field(ge=1, le=MAX_ID)
    field_ids: list[PosId] = Field(min_length=1, max_length=20)
    starts_at: dt.datetime
    ends_at: dt.datetime
    area_ha: float | None = Field(default=None, ge=0, le=10_000)
    note: str | None = Field(default=None, max_length=500)


class MaintenanceCreate(_In):
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str | None = Field(default=None, max_length=500)


class SlotPublic(BaseModel):
    id: int
    equipment_id: int
    kind: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    starts_local: str
    ends_local: str
    timezone: str = "Asia/Ho_Chi_Minh"
    assumed_zone: bool = False
    field_ids: list[int]
    area_ha: float | None
    estimated_cost_vnd: float | None = None
    note: str | None
    created_at: dt.datetime


class JobCreate(_In):
    hour_meter_end: float = Field(ge=0, le=1_000_000)
    area_ha: float = Field(ge=0, le=10_000)
    fuel_l: float = Field(default=0, ge=0, le=100_000)
    diary_activity_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class JobPublic(BaseModel):
    id: int
    slot_id: int
    hour_meter_start: float
    hour_meter_end: float
    hours: float
    area_ha: float
    fuel_l: float
    cost_vnd: float
    diary_activity_id: int | None
    maintenance_block: SlotPublic | None = None


class ProductPublic(BaseModel):
    code: str
    name: str
    crop: str
    form: str
    min_vnd_kg: float
    max_vnd_kg: float


def as_dict(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


# The pages' vocabulary (pure): the product catalogue and the page texts; the pages reach them
# through this module (import contracts).
from nongso.market import catalogue as catalogue  # noqa: E402
from nongso.market import messages as messages  # noqa: E402  (registers the texts)
