"""Pydantic models of traceability (the API's and the services' typed contracts)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nongso.core.fields import Id, NotNull, SaneDate, SaneDateTime

GTIN = r"^\d{8}$|^\d{12,14}$"
GLN = r"^\d{13}$"
PREFIX = r"^\d{6,12}$"
LotStatus = Literal["active", "held", "recalled", "withdrawn", "consumed"]
LocationKind = Literal["farm", "facility", "warehouse", "distributor", "shop", "processor",
                       "other"]
ItemKind = Literal["tree", "box", "item"]


# --- products, locations, lots, items ---------------------------------------------------------


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    kind: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$")
    crop: str | None = Field(default=None, max_length=50)
    organisation_id: Id | None = None
    gtin: str | None = Field(default=None, pattern=GTIN,
                             description="Leave empty to allocate one from the GS1 prefix")
    unit: str = Field(default="KGM", pattern=r"^[A-Z0-9]{2,3}$")
    shelf_life_days: int | None = Field(default=None, ge=1, le=3650)
    by_product: bool = False
    description: str | None = Field(default=None, max_length=2000)


class ProductUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NotNull[str] = Field(default=None, min_length=1, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    shelf_life_days: int | None = Field(default=None, ge=1, le=3650)
    description: str | None = Field(default=None, max_length=2000)


class ProductPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    gtin: str
    name: str
    name_en: str | None
    kind: str
    crop: str | None
    organisation_id: int | None
    unit: str
    shelf_life_days: int | None
    by_product: bool
    description: str | None
    created_at: dt.datetime


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    kind: LocationKind
    organisation_id: Id | None = None
    production_unit_id: Id | None = None
    commune_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    address: str | None = Field(default=None, max_length=500)
    planting_area_code: str | None = Field(default=None, max_length=50)
    gln: str | None = Field(default=None, pattern=GLN,
                            description="Leave empty to allocate one from the GS1 prefix")
    lat: float | None = Field(default=None, ge=8.0, le=24.0)
    lon: float | None = Field(default=None, ge=102.0, le=118.0)


class LocationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    gln: str
    sgln: str
    name: str
    name_en: str | None = None
    kind: str
    organisation_id: int | None
    production_unit_id: int | None
    commune_code: str | None
    address: str | None
    planting_area_code: str | None
    lat: float | None
    lon: float | None


class LotCreate(BaseModel):
    """A lot commissioned by hand (e.g. a processor's lot that no farm diary produced)."""

    model_config = ConfigDict(extra="forbid")

    product_id: Id
    label: str = Field(min_length=1, max_length=300)
    lot_code: str | None = Field(default=None, max_length=20,
                                 description="GS1 AI 10; made from the label when empty")
    quantity: float | None = Field(default=None, gt=0, le=1e12)
    location_id: Id | None = None
    production_unit_id: Id | None = None
    planting_area_code: str | None = Field(default=None, max_length=50)
    harvest_date: SaneDate | None = None
    production_date: SaneDate | None = None
    expiry_date: SaneDate | None = None
    certifications: list[str] = Field(default_factory=list, max_length=10)
    commissioned_at: SaneDateTime | None = None


class LotStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: LotStatus
    reason: str = Field(min_length=1, max_length=500)


class LotPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    product_id: int
    gtin: str
    lot_code: str
    label: str
    epc_class: str
    digital_link: str = ""
    quantity: float | None
    unit: str
    status: str
    status_reason: str | None
    organisation_id: int | None
    location_id: int | None
    production_unit_id: int | None
    planting_area_code: str | None
    season_id: int | None
    crop: str | None
    variety: str | None
    harvest_date: dt.date | None
    production_date: dt.date | None
    expiry_date: dt.date | None
    certifications: list[str]
    source: str | None
    created_at: dt.datetime


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: Id
    kind: ItemKind = "item"
    label: str = Field(min_length=1, max_length=300)
    serial: str | None = Field(default=None, max_length=20)
    lot_id: Id | None = None
    production_unit_id: Id | None = None
    planted_year: int | None = Field(default=None, ge=1900, le=2100)


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    product_id: int
    lot_id: int | None
    gtin: str
    serial: str
    epc: str
    digital_link: str = ""
    kind: str
    label: str
    production_unit_id: int | None
    planted_year: int | None
    status: str


class CompanyPrefixSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefix: str = Field(pattern=PREFIX)


class LabelSheetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lot_ids: list[Id] = Field(default_factory=list, max_length=500)
    item_ids: list[Id] = Field(default_factory=list, max_length=500)
    copies: int = Field(default=1, ge=1, le=100)


# --- EPCIS ------------------------------------------------------------------------------------


class CaptureJobPublic(BaseModel):
    """The EPCIS 2.0 capture job resource (``GET /epcis/capture/{captureID}``)."""

    captureID: str
    createdAt: dt.datetime
    finishedAt: dt.datetime | None
    running: bool
    success: bool
    captureErrorBehaviour: str
    errors: list[dict[str, Any]]
    eventIDs: list[str]
    captured: int
    duplicates: int


class QueryResult(BaseModel):
    document: dict[str, Any]
    next_token: str | None


# --- the Merkle log ---------------------------------------------------------------------------


class CheckpointPublic(BaseModel):
    tree_size: int
    root_hash: str  # hex
    created_at: dt.datetime
    note: str  # the C2SP signed note
    key_name: str
    verifier_key: str


class InclusionProofPublic(BaseModel):
    event_id: str
    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]
    root_hash: str
    checkpoint: str | None


class ConsistencyProofPublic(BaseModel):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class VerifyReport(BaseModel):
    ok: bool
    tree_size: int
    checkpoints_checked: int
    events_checked: int
    witnessed: int = 0  # checkpoints found unchanged in the witness file outside the database
    problem_code: str | None = None
    problem_vi: str | None = None
    problem_en: str | None = None
    leaf_index: int | None = None
    event_id: str | None = None


# --- the consumer page ------------------------------------------------------------------------


class TimelineStep(BaseModel):
    time: dt.datetime
    step: str  # the CBV business step (short name) or a private URI
    label_vi: str
    label_en: str
    place: str | None = None
    place_en: str | None = None
    commune: str | None = None
    product: str | None = None
    quantity: str | None = None  # in Vietnamese ("12.500 kg")
    product_en: str | None = None
    # The quantity as a number and a unit, for pages that write numbers in their language.
    quantity_value: float | None = None
    quantity_unit: str | None = None


class MapPoint(BaseModel):
    lat: float
    lon: float
    label: str


class ConsumerView(BaseModel):
    """What a consumer sees after scanning a QR code: no personal data by construction."""

    link: str
    gtin: str
    lot_code: str | None
    serial: str | None
    product_name: str
    product_name_en: str | None
    producer_name: str | None
    producer_kind: str | None
    producer_commune: str | None
    producer_province: str | None
    planting_area_code: str | None
    crop: str | None
    variety: str | None
    harvest_date: dt.date | None
    production_date: dt.date | None
    expiry_date: dt.date | None
    certifications: list[str]
    # A lot made from several harvests or varieties says so (never one input's date or name).
    varieties: list[str] = Field(default_factory=list)
    harvest_end_date: dt.date | None = None
    harvest_period_vi: str | None = None
    harvest_period_en: str | None = None
    ocop_stars: int | None
    ocop_certificate: str | None
    status: str
    status_reason: str | None
    timeline: list[TimelineStep]
    map_points: list[MapPoint]
    epcis_query: str


# --- recall -----------------------------------------------------------------------------------


RecallStartKind = Literal["lot", "item", "epc", "input_batch", "farm"]


class RecallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RecallStartKind
    value: str = Field(min_length=1, max_length=300)
    since: SaneDateTime | None = None
    until: SaneDateTime | None = None
    direction: Literal["forward", "backward", "both"] = "both"


class RecallNode(BaseModel):
    id: str
    kind: str  # lot | item | logistic_unit | transformation | other
    label: str
    direction: str  # start | forward | backward
    depth: int
    lot_id: int | None = None
    gtin: str | None = None
    lot_code: str | None = None
    product: str | None = None
    status: str | None = None
    quantity: float | None = None


class RecallEdge(BaseModel):
    src: str
    dst: str
    kind: str
    event_id: str
    time: dt.datetime


class RecallShipment(BaseModel):
    event_id: str
    time: dt.datetime
    step: str
    objects: list[str]
    source: str | None
    destination: str | None
    location: str | None
    transactions: list[str]


class RecallLocation(BaseModel):
    id: str
    name: str
    kind: str | None
    commune_code: str | None
    first_seen: dt.datetime
    role: str  # receiving | destination | shipping | origin | processing


class RecallInput(BaseModel):
    """An input used in a season of an upstream field (from the farm diary)."""

    season_id: int
    name: str
    kind: str | None = None
    batch: str | None = None
    quantity: str | None = None
    applied_on: dt.date | None = None
    dealer_id: int | None = None
    dealer_name: str | None = None
    banned: bool | None = None


class RecallOrigin(BaseModel):
    lot_id: int | None
    node: str
    label: str
    production_unit_id: int | None
    location: str | None
    planting_area_code: str | None
    harvest_date: dt.date | None
    season_id: int | None
    season: dict[str, Any] | None
    inputs: list[RecallInput]


class RecallReport(BaseModel):
    start: list[str]
    start_label: str
    direction: str
    since: dt.datetime | None
    until: dt.datetime | None
    nodes: list[RecallNode]
    edges: list[RecallEdge]
    shipments: list[RecallShipment]
    locations: list[RecallLocation]
    origins: list[RecallOrigin]
    dealers: list[dict[str, Any]]
    truncated: bool
    diary_available: bool


# --- OCOP -------------------------------------------------------------------------------------


OcopCategory = Literal["food", "beverage", "herbal", "textile", "handicraft", "tourism", "other"]


class OcopProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    category: OcopCategory = "food"
    stars: int = Field(ge=3, le=5)
    certificate_no: str = Field(min_length=1, max_length=100)
    certified_on: SaneDate
    valid_until: SaneDate
    organisation_id: Id
    product_id: Id | None = None
    description: str | None = Field(default=None, max_length=4000)
    shelf_life_days: int | None = Field(default=None, ge=1, le=3650)


class OcopProductUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NotNull[str] = Field(default=None, min_length=1, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    stars: NotNull[int] = Field(default=None, ge=3, le=5)
    valid_until: NotNull[SaneDate] = None
    description: str | None = Field(default=None, max_length=4000)
    shelf_life_days: int | None = Field(default=None, ge=1, le=3650)
    status: NotNull[Literal["active", "expired", "revoked"]] = None


class OcopProductPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    product_id: int | None
    name: str
    name_en: str | None
    category: str
    stars: int
    certificate_no: str
    certified_on: dt.date
    valid_until: dt.date
    organisation_id: int
    province_code: str
    commune_code: str
    description: str | None
    shelf_life_days: int | None
    has_image: bool = False
    status: str
    created_at: dt.datetime


class OrganisationLots(BaseModel):
    """How many lots an organisation commissioned in a year (aggregates only)."""

    organisation_id: int
    year: int
    lots: int


# The pure vocabulary the pages use (the import contracts in pyproject.toml let them import
# only ``services`` and ``schemas``); importing it registers the pages' texts.
from nongso.trace import messages  # noqa: E402, F401  (registers the texts)
from nongso.trace.digital_link import DigitalLink as DigitalLink  # noqa: E402
from nongso.trace.digital_link import parse_digital_link as parse_digital_link  # noqa: E402
from nongso.trace.gs1 import GS1Error as GS1Error  # noqa: E402
from nongso.trace.gs1 import is_demo_gtin as is_demo_gtin  # noqa: E402
