"""Pydantic models of the farm diary (the API's and the other domains' contract)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nongso.core.fields import Count, Id, NotNull, SaneDate, SaneDateTime

ActivityKind = Literal[
    "land_prep", "sowing", "planting", "fertilising", "spraying", "irrigation", "scouting",
    "pruning", "harvest", "drying", "sorting", "milling", "packing", "sale", "other",
]
SeasonKind = Literal["dong_xuan", "he_thu", "thu_dong", "xuan_he", "vu_thuan", "vu_nghich",
                     "nien_vu"]
InputKind = Literal["fertiliser", "pesticide", "seed", "other"]
ActivityStatus = Literal["done", "proposed", "planned"]
Number = float


# --- plots and trees -------------------------------------------------------------------------

class PlotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    production_unit_id: Id | None = None
    farmer_id: Id | None = Field(default=None, description="Needed without a production unit")
    code: str | None = Field(default=None, min_length=1, max_length=50)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    crop: str | None = Field(default=None, max_length=50)
    area_ha: float | None = Field(default=None, gt=0, le=10_000)
    planting_area_code: str | None = Field(default=None, max_length=50)
    certifications: list[str] = Field(default_factory=list, max_length=10)


class PlotUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    crop: str | None = Field(default=None, max_length=50)
    area_ha: float | None = Field(default=None, gt=0, le=10_000)
    planting_area_code: str | None = Field(default=None, max_length=50)
    certifications: NotNull[list[str]] = Field(default=None, max_length=10)


class PlotPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    production_unit_id: int | None
    farmer_id: int | None
    organisation_id: int | None
    commune_code: str
    province_code: str
    crop: str | None
    area_ha: float
    planting_area_code: str | None
    certifications: list[str]
    created_at: dt.datetime


class TreeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50)
    kind: Literal["tree", "group"] = "tree"
    count: int = Field(default=1, ge=1, le=100_000)
    variety: str | None = Field(default=None, max_length=100)
    planted_year: int | None = Field(default=None, ge=1950, le=2100)
    notes: str | None = Field(default=None, max_length=2000)


class TreePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plot_id: int
    code: str
    kind: str
    count: int
    variety: str | None
    planted_year: int | None
    notes: str | None


# --- seasons ---------------------------------------------------------------------------------

class SeasonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plot_id: Id
    season_kind: SeasonKind
    year_start: int | None = Field(default=None, ge=1990, le=2100)
    year_end: int | None = Field(default=None, ge=1990, le=2100)
    crop: str | None = Field(default=None, max_length=50)
    variety: str | None = Field(default=None, max_length=100)
    sowing_date: SaneDate
    expected_harvest_date: SaneDate | None = None
    area_ha: float | None = Field(default=None, gt=0, le=10_000)
    template_code: str | None = Field(default=None, max_length=50)


class SeasonUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variety: str | None = Field(default=None, max_length=100)
    sowing_date: NotNull[SaneDate] = None
    expected_harvest_date: SaneDate | None = None
    area_ha: float | None = Field(default=None, gt=0, le=10_000)
    status: NotNull[Literal["open", "closed"]] = None


class SeasonPublic(BaseModel):
    id: int
    plot_id: int
    plot_code: str
    plot_name: str
    production_unit_id: int | None
    planting_area_code: str | None
    organisation_id: int | None
    farmer_id: int | None
    commune_code: str
    province_code: str
    crop: str
    variety: str | None
    season_kind: str
    name: str  # "Đông Xuân 2025-2026"
    name_en: str
    season_key: str  # "dong_xuan:2025-2026"
    year_start: int
    year_end: int
    crop_year: str  # "2025-2026" or "2026"
    sowing_date: dt.date | None
    expected_harvest_date: dt.date | None
    harvest_date: dt.date | None  # first harvest recorded
    area_ha: float
    status: str
    template_code: str | None
    activities_count: int
    harvest_kg: float  # as weighed (rice: fresh paddy, at the moisture of each harvest)
    # What the statistics count: rice as dry paddy at 14 % moisture (``diary.moisture``),
    # other crops as weighed; the yield is computed from it.
    harvest_dry_kg: float
    yield_t_ha: float | None
    n_kg: float
    p2o5_kg: float
    k2o_kg: float
    flags_count: int
    compliant: bool
    certified: bool
    certified_at: dt.datetime | None
    safe_harvest_date: dt.date | None
    last_activity_at: dt.datetime | None


# --- inputs and purchases --------------------------------------------------------------------

class ActiveIngredient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    concentration: float | None = Field(default=None, ge=0, le=1000)
    unit: str | None = Field(default=None, max_length=10, description="g/L, g/kg or %")


class InputCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: InputKind
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200,
                                description="English name (none: the same as name)")
    manufacturer: str | None = Field(default=None, max_length=200)
    registration_no: str | None = Field(default=None, max_length=50)
    formulation: str | None = Field(default=None, max_length=20)
    n_pct: float | None = Field(default=None, ge=0, le=100)
    p2o5_pct: float | None = Field(default=None, ge=0, le=100)
    k2o_pct: float | None = Field(default=None, ge=0, le=100)
    active_ingredients: list[ActiveIngredient] = Field(default_factory=list, max_length=10)
    phi_days: int | None = Field(default=None, ge=0, le=365)
    label_dose_max_per_ha: float | None = Field(default=None, gt=0, le=100_000)
    label_dose_unit: str | None = Field(default=None, max_length=10)
    target: str | None = Field(default=None, max_length=200)
    variety: str | None = Field(default=None, max_length=100)
    certified_seed: bool = False
    organisation_id: Id | None = None


class InputUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    manufacturer: str | None = Field(default=None, max_length=200)
    registration_no: str | None = Field(default=None, max_length=50)
    phi_days: int | None = Field(default=None, ge=0, le=365)
    label_dose_max_per_ha: float | None = Field(default=None, gt=0, le=100_000)
    label_dose_unit: str | None = Field(default=None, max_length=10)
    target: str | None = Field(default=None, max_length=200)


class BanPublic(BaseModel):
    """A banned active ingredient of an input: since when (None: long-standing) and why."""

    ingredient: str
    banned_from: dt.date | None
    decision: str


class InputPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    name_en: str | None = None
    manufacturer: str | None
    registration_no: str | None
    formulation: str | None
    n_pct: float | None
    p2o5_pct: float | None
    k2o_pct: float | None
    active_ingredients: list[ActiveIngredient]
    phi_days: int | None
    label_dose_max_per_ha: float | None
    label_dose_unit: str | None
    target: str | None
    variety: str | None
    certified_seed: bool
    organisation_id: int | None
    banned_ingredients: list[str] = Field(default_factory=list)
    bans: list[BanPublic] = Field(default_factory=list, description="The banned active "
                                  "ingredients with the first day of their ban")


class PurchaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_uuid: uuid.UUID | None = None
    input_id: Id
    dealer_organisation_id: Id
    farmer_id: Id | None = Field(default=None, description="Bought by a farmer, or else by "
                                  "the caller's co-operative")
    purchased_on: SaneDate
    quantity: float = Field(gt=0, le=1_000_000)
    unit: str = Field(min_length=1, max_length=10)
    lot: str | None = Field(default=None, max_length=50)
    invoice_no: str | None = Field(default=None, max_length=50)
    price_vnd: float | None = Field(default=None, ge=0, le=1e13)


class PurchasePublic(BaseModel):
    id: int
    client_uuid: str
    input_id: int
    input_name: str
    dealer_organisation_id: int
    dealer_name: str
    farmer_id: int | None
    organisation_id: int | None
    purchased_on: dt.date
    quantity: float
    unit: str
    quantity_base: float
    base_unit: str
    lot: str | None
    invoice_no: str | None
    price_vnd: float | None


# --- activities ------------------------------------------------------------------------------

class ActivityInputIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_id: Id
    quantity: float = Field(ge=0, le=1_000_000)
    unit: str = Field(min_length=1, max_length=10)
    purchase_id: Id | None = None


class ProcessingSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity_id: Id
    quantity_kg: float = Field(gt=0, le=100_000_000)


class ProcessingOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: str = Field(min_length=1, max_length=100)
    quantity_kg: float = Field(ge=0, le=100_000_000)
    is_main: bool = True


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_uuid: uuid.UUID | None = Field(
        default=None, description="Generated by the client so that retries never duplicate")
    season_id: Id | None = None
    plot_id: Id | None = Field(default=None, description="Instead of season_id: the plot's "
                                "open season")
    kind: ActivityKind
    status: Literal["done", "planned"] = "done"
    at: SaneDateTime = Field(description="ISO 8601; without a zone: Vietnam time")
    tree_id: Id | None = None
    done_by: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)
    quantity: float | None = Field(default=None, ge=0, le=100_000_000)
    unit: str | None = Field(default=None, max_length=10)
    area_ha: float | None = Field(default=None, gt=0, le=10_000)
    moisture_pct: float | None = Field(default=None, ge=0, le=60)
    pest: str | None = Field(default=None, max_length=100)
    density_per_m2: float | None = Field(default=None, ge=0, le=1_000_000)
    growth_stage: str | None = Field(default=None, max_length=50)
    buyer_organisation_id: Id | None = None
    price_vnd_per_kg: float | None = Field(default=None, ge=0, le=100_000_000)
    organisation_id: Id | None = Field(default=None, description="Processing or sale by a "
                                        "co-operative, without a plot")
    inputs: list[ActivityInputIn] = Field(default_factory=list, max_length=20)
    sources: list[ProcessingSource] = Field(default_factory=list, max_length=500)
    outputs: list[ProcessingOutput] = Field(default_factory=list, max_length=20)
    confirm_flags: bool = Field(default=False, description="Save even if the record breaks a "
                                "rule (banned ingredient, pre-harvest interval, dose, "
                                "plausibility); without it such a record answers 409 with the "
                                "flags and nothing is saved")


class ActivityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_version: Count | None = Field(default=None, description="The version the edit starts "
                                     "from; a different server version is a conflict (409)")
    kind: NotNull[ActivityKind] = None
    status: NotNull[Literal["done", "planned"]] = None
    at: NotNull[SaneDateTime] = None
    tree_id: Id | None = None
    done_by: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)
    quantity: float | None = Field(default=None, ge=0, le=100_000_000)
    unit: str | None = Field(default=None, max_length=10)
    area_ha: float | None = Field(default=None, gt=0, le=10_000)
    moisture_pct: float | None = Field(default=None, ge=0, le=60)
    pest: str | None = Field(default=None, max_length=100)
    density_per_m2: float | None = Field(default=None, ge=0, le=1_000_000)
    growth_stage: str | None = Field(default=None, max_length=50)
    buyer_organisation_id: Id | None = None
    price_vnd_per_kg: float | None = Field(default=None, ge=0, le=100_000_000)
    inputs: list[ActivityInputIn] | None = Field(default=None, max_length=20)
    confirm_flags: bool = Field(default=False, description="Save even if the edit raises a "
                                "flag (see ActivityCreate.confirm_flags)")


class ActivityInputPublic(BaseModel):
    input_id: int
    name: str
    kind: str
    active_ingredients: list[ActiveIngredient]
    quantity: float
    unit: str
    quantity_base: float
    base_unit: str
    dose_per_ha: float | None
    purchase_id: int | None
    dealer_organisation_id: int | None
    dealer_name: str | None
    purchase_lot: str | None


class FlagPublic(BaseModel):
    id: int
    rule_id: str
    severity: str
    title: str
    message: str
    source: str
    activity_id: int
    activity_kind: str
    activity_at: dt.datetime
    plot_id: int | None
    season_id: int
    details: dict[str, object]


class ActivityPublic(BaseModel):
    id: int
    client_uuid: str
    version: int
    season_id: int | None
    season_name: str | None
    plot_id: int | None
    plot_name: str | None
    tree_id: int | None
    farmer_id: int | None
    organisation_id: int | None
    commune_code: str
    kind: str
    kind_label: str
    status: str
    at: dt.datetime
    done_by: str | None
    notes: str | None
    quantity: float | None
    unit: str | None
    quantity_base: float | None
    base_unit: str | None
    area_ha: float | None
    moisture_pct: float | None
    pest: str | None
    density_per_m2: float | None
    growth_stage: str | None
    buyer_organisation_id: int | None
    price_vnd_per_kg: float | None
    bulk_id: str | None
    confirmed_at: dt.datetime | None
    inputs: list[ActivityInputPublic]
    sources: list[ProcessingSource]
    outputs: list[ProcessingOutput]
    flags: list[str]
    # The rules' names in the caller's language, in the order of ``flags``.
    flag_titles: list[str] = Field(default_factory=list)
    photo_ids: list[int]
    updated_at: dt.datetime


class BulkInputIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_id: Id
    quantity_per_ha: float = Field(ge=0, le=100_000)
    unit: str = Field(min_length=1, max_length=10)
    purchase_id: Id | None = None


class BulkActivityCreate(BaseModel):
    """The same activity on many member plots (recorded by the co-op, confirmed by farmers)."""

    model_config = ConfigDict(extra="forbid")

    client_uuid: uuid.UUID
    plot_ids: list[Id] = Field(min_length=1, max_length=2000)
    kind: ActivityKind
    at: SaneDateTime
    done_by: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)
    pest: str | None = Field(default=None, max_length=100)
    growth_stage: str | None = Field(default=None, max_length=50)
    inputs: list[BulkInputIn] = Field(default_factory=list, max_length=20)


class BulkResult(BaseModel):
    bulk_id: str
    created: int
    already_recorded: int
    activity_ids: list[int]


class SyncOp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["create", "update", "delete"]
    client_uuid: uuid.UUID
    base_version: Count | None = None
    create: ActivityCreate | None = None
    update: ActivityUpdate | None = None


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ops: list[SyncOp] = Field(max_length=500)


class SyncError(BaseModel):
    loc: str
    message: str


class SyncItem(BaseModel):
    client_uuid: str
    op: str
    status: Literal["applied", "duplicate", "conflict", "error"]
    message: str | None = None
    activity: ActivityPublic | None = None
    server: ActivityPublic | None = None
    errors: list[SyncError] = Field(default_factory=list)


class SyncResult(BaseModel):
    items: list[SyncItem]
    applied: int
    conflicts: int
    errors: int


# --- the contract with traceability and statistics -------------------------------------------

class InputUsePublic(BaseModel):
    """One input used in a season (what traceability and inspectors read)."""

    activity_id: int
    client_uuid: str
    at: dt.datetime
    kind: str  # spraying | fertilising | sowing | ...
    plot_id: int | None
    season_id: int | None
    input_id: int
    input_kind: str
    product_name: str
    active_ingredients: list[ActiveIngredient]
    quantity: float
    unit: str
    quantity_base: float
    base_unit: str
    dose_per_ha: float | None
    dealer_organisation_id: int | None
    dealer_name: str | None
    purchase_id: int | None
    purchase_lot: str | None
    flags: list[str]


class RulePublic(BaseModel):
    rule_id: str
    severity: str
    title: str
    source: str
    advice: str = Field(default="", description="What to do when the rule is broken")


class SeasonReport(BaseModel):
    season: SeasonPublic
    compliant: bool
    certified: bool
    safe_harvest_date: dt.date | None
    flags: list[FlagPublic]
    rules: list[RulePublic]


class TemplateStep(BaseModel):
    day: int
    kind: str
    title: str
    input_name: str | None
    quantity_per_ha: float | None
    unit: str | None


class TemplatePublic(BaseModel):
    code: str
    crop: str
    season_kind: str | None
    name: str
    steps: list[TemplateStep]


# --- views -----------------------------------------------------------------------------------

class TaskPublic(BaseModel):
    activity_id: int
    client_uuid: str
    version: int
    season_id: int | None
    plot_id: int | None
    plot_name: str | None
    kind: str
    kind_label: str
    status: str
    due: dt.date
    title: str | None
    overdue: bool


class PlotCard(BaseModel):
    plot: PlotPublic
    season: SeasonPublic | None
    safe_harvest_date: dt.date | None
    safe_to_harvest_today: bool


class PlausibilityPublic(BaseModel):
    """A crop's plausibility bounds, so that the phone can check a harvest offline."""

    crop: str
    min_days_to_harvest: int | None
    min_t_per_ha: float | None
    max_t_per_ha: float | None
    single_harvest: bool
    source: str


class FarmerHome(BaseModel):
    today: dt.date
    plots: list[PlotCard]
    tasks: list[TaskPublic]
    proposed: list[ActivityPublic]
    recent: list[ActivityPublic]
    inputs: list[InputPublic]
    rules: list[RulePublic] = Field(default_factory=list)
    plausibility: list[PlausibilityPublic] = Field(default_factory=list)


class InputTotal(BaseModel):
    input_id: int
    name: str
    name_en: str | None = None
    kind: str
    base_unit: str
    quantity_base: float
    plots: int
    area_ha: float
    per_ha: float | None
    dealers: list[str]


class SeasonRow(BaseModel):
    season_id: int
    plot_id: int
    plot_code: str
    farmer_id: int | None
    farmer_name: str | None
    area_ha: float
    variety: str | None
    sowing_date: dt.date | None
    harvest_kg: float  # as weighed
    harvest_dry_kg: float  # rice: dry paddy at 14 %; yield_t_ha from it
    yield_t_ha: float | None
    flags_count: int
    activities_count: int
    safe_harvest_date: dt.date | None
    status: str = "open"


class CoopSummary(BaseModel):
    organisation_id: int
    organisation_name: str
    season_key: str
    season_name: str
    members: int
    plots: int
    seasons: int
    area_ha: float
    harvest_t: float  # rice: dry paddy at 14 % moisture (as the statistics count it)
    harvest_fresh_t: float  # as weighed
    yield_t_ha: float | None  # from harvest_t
    commune_yield_t_ha: float | None
    activities: int
    sprays: int
    flags: int
    n_kg_per_ha: float | None
    rows: list[SeasonRow]
    inputs: list[InputTotal]
    flag_list: list[FlagPublic]


class AreaRow(BaseModel):
    commune_code: str
    commune_name: str
    season_key: str
    season_name: str
    seasons: int
    area_ha: float
    activities: int
    sprays: int
    harvest_t: float  # rice: dry paddy at 14 % moisture (as the statistics count it)
    harvest_fresh_t: float  # as weighed
    yield_t_ha: float | None  # from harvest_t
    flags: int


class AreaAggregate(BaseModel):
    level: str
    unit_code: str
    rows: list[AreaRow]


class ImportRowError(BaseModel):
    row: int
    column: str | None
    message: str


class ImportReport(BaseModel):
    rows_read: int
    rows_imported: int
    rows_already_imported: int
    rows_with_errors: int
    mode: Literal["all", "partial"]
    dry_run: bool
    errors: list[ImportRowError]
    activity_ids: list[int]


class SeasonFigure(BaseModel):
    """The diary's figures of one commune × season × crop, for the statistics (aggregates
    only). Harvest weights are as weighed; ``moisture_kg`` of them had a moisture measured,
    ``kg_times_moisture`` is Σ kg × moisture % over those (for converting to dry weight)."""

    commune_code: str
    province_code: str
    season_key: str
    crop: str
    seasons: int
    farmers: int
    sown_ha: float
    harvested_ha: float
    harvest_kg: float
    moisture_kg: float
    kg_times_moisture: float
    n_kg: float
    p2o5_kg: float
    k2o_kg: float
    sprays: int
    vietgap_ha: float


class SeasonFigures(BaseModel):
    rows: list[SeasonFigure]
    max_season_id: int  # the newest season seen (a watermark for the next call)


# The pure vocabulary the pages use (the import contracts in pyproject.toml let them import
# only ``services`` and ``schemas``); importing it registers the pages' texts.
from nongso.diary import messages  # noqa: E402, F401  (registers the texts)
from nongso.diary.quantities import QuantityError as QuantityError  # noqa: E402
from nongso.diary.quantities import parse_number as parse_number  # noqa: E402
