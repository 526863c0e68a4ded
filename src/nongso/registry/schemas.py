"""Pydantic models of the registry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nongso.core.fields import BigInt, FiniteFloat, Id, NotNull, SaneDate

OrganisationKind = Literal[
    "cooperative", "coop_group", "farmer_club", "company", "input_dealer", "processor",
    "buyer", "exporter",
]
COMMUNE_CODE = r"^\d{5}$"
Status = Literal["active", "suspended", "revoked", "retired"]
UnitKind = Literal["field_block", "dyke_ring", "plot", "planting_area", "orchard",
                   "livestock_farm", "aquaculture", "raw_material_area"]
InfrastructureKind = Literal["pumping_station", "sluice", "dyke_segment", "monitoring_station"]
StationType = Literal["salinity", "hydrological", "weather", "water_quality", "light_trap"]
SoilType = Literal["alluvial", "acid_sulphate", "saline", "sandy_ridge", "peat"]
SalinityClass = Literal["non_saline", "slight", "moderate", "strong"]
CollectionId = Literal["production_units", "planting_areas", "organisations", "businesses",
                       "infrastructure", "soil_units", "admin_boundaries"]
CROP_CODE = r"^[a-z][a-z_]{1,49}$"
AttributeValue = Annotated[str, Field(max_length=2000)] | bool | BigInt | FiniteFloat | None
"""A value of a record's free attributes (bounded: it is stored in a JSON column)."""


class Scope(BaseModel):
    """Where a record lies: used by other domains to check permissions."""

    commune_code: str
    province_code: str
    organisation_id: int | None = None


class OrganisationRef(BaseModel):
    """What other domains need to know of an organisation (no contact data)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    commune_code: str
    province_code: str
    status: str = "active"


class FarmerRef(BaseModel):
    """What other domains need to know of a farmer to place his records (no contact data)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str
    commune_code: str
    province_code: str
    organisation_id: int | None


class ProductionUnitRef(BaseModel):
    """What other domains need to know of a production unit (the diary's plots, …)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    code: str | None
    name: str
    commune_code: str
    province_code: str
    organisation_id: int | None
    farmer_id: int | None
    crop: str | None
    area_ha: float | None
    attributes: dict[str, Any] = Field(default_factory=dict)
    # ``deleted`` once removed from the registry; ``expired`` when its validity has ended.
    status: str
    effective_status: str


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: OrganisationKind
    name: str = Field(min_length=1, max_length=300)
    code: str | None = Field(default=None, max_length=50)
    commune_code: str = Field(pattern=COMMUNE_CODE)
    parent_id: Id | None = None
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    tax_code: str | None = Field(default=None, pattern=r"^\d{10}(-\d{3})?$")
    lat: float | None = Field(default=None, ge=8.0, le=24.0)
    lon: float | None = Field(default=None, ge=102.0, le=118.0)
    # Input dealers: the licence to trade plant-protection products / fertilisers.
    licence_no: str | None = Field(default=None, min_length=1, max_length=50)
    licence_expiry: SaneDate | None = None
    status: Status = "active"
    valid_from: SaneDate | None = None
    valid_to: SaneDate | None = None


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NotNull[str] = Field(default=None, min_length=1, max_length=300)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    tax_code: str | None = Field(default=None, pattern=r"^\d{10}(-\d{3})?$")
    lat: float | None = Field(default=None, ge=8.0, le=24.0)
    lon: float | None = Field(default=None, ge=102.0, le=118.0)
    licence_no: str | None = Field(default=None, min_length=1, max_length=50)
    licence_expiry: SaneDate | None = None
    status: NotNull[Status] = None
    valid_from: SaneDate | None = None
    valid_to: SaneDate | None = None
    effective_date: SaneDate | None = None


class OrganisationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    code: str | None
    commune_code: str
    province_code: str
    parent_id: int | None
    address: str | None
    phone: str | None
    tax_code: str | None
    lat: float | None
    lon: float | None
    created_at: dt.datetime
    licence_no: str | None = None
    licence_expiry: dt.date | None = None
    status: str = "active"
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    version: int = 1
    updated_at: dt.datetime | None = None


class FarmerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    national_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    commune_code: str = Field(pattern=COMMUNE_CODE)
    organisation_id: Id | None = None


class FarmerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    national_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    organisation_id: Id | None = None


class FarmerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str
    phone: str | None
    national_id: str | None
    commune_code: str
    province_code: str
    organisation_id: int | None
    created_at: dt.datetime


class ProvinceSummary(BaseModel):
    province_code: str
    communes: int
    cooperatives: int
    coop_groups: int
    farmers: int
    fields: int
    area_ha: float
    by_commune: list[dict[str, Any]]


# --- map features ----------------------------------------------------------------------------

Geometry = dict[str, Any]
"""A GeoJSON geometry object (lon/lat, WGS 84); validated by the service."""


class _Writable(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductionUnitCreate(_Writable):
    kind: UnitKind
    name: str = Field(min_length=1, max_length=300)
    code: str | None = Field(default=None, max_length=50)
    # Optional where the commune's real boundary is known (it is then derived).
    commune_code: str | None = Field(default=None, pattern=COMMUNE_CODE)
    organisation_id: Id | None = None
    farmer_id: Id | None = None
    parent_id: Id | None = None
    crop: str | None = Field(default=None, pattern=CROP_CODE)
    variety: str | None = Field(default=None, max_length=100)
    species: str | None = Field(default=None, pattern=CROP_CODE)
    head_count: int | None = Field(default=None, ge=0, le=10_000_000)
    water_surface_ha: float | None = Field(default=None, ge=0, le=100_000)
    declared_area_ha: float | None = Field(default=None, ge=0, le=1_000_000)
    export_market: str | None = Field(default=None, max_length=100)
    status: Status = "active"
    valid_from: SaneDate | None = None
    valid_to: SaneDate | None = None
    geometry: Geometry
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=50)


class ProductionUnitUpdate(_Writable):
    name: NotNull[str] = Field(default=None, min_length=1, max_length=300)
    code: str | None = Field(default=None, max_length=50)
    commune_code: NotNull[str] = Field(default=None, pattern=COMMUNE_CODE)
    organisation_id: Id | None = None
    farmer_id: Id | None = None
    parent_id: Id | None = None
    crop: str | None = Field(default=None, pattern=CROP_CODE)
    variety: str | None = Field(default=None, max_length=100)
    species: str | None = Field(default=None, pattern=CROP_CODE)
    head_count: int | None = Field(default=None, ge=0, le=10_000_000)
    water_surface_ha: float | None = Field(default=None, ge=0, le=100_000)
    declared_area_ha: float | None = Field(default=None, ge=0, le=1_000_000)
    export_market: str | None = Field(default=None, max_length=100)
    status: NotNull[Status] = None
    valid_from: SaneDate | None = None
    valid_to: SaneDate | None = None
    geometry: NotNull[Geometry] = None
    attributes: NotNull[dict[str, AttributeValue]] = Field(default=None, max_length=50)
    # When the change takes effect (the new version's start); default: now.
    effective_date: SaneDate | None = None


class FlagPublic(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message_vi: str
    message_en: str


class _FeaturePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    code: str | None
    commune_code: str
    province_code: str
    status: str
    effective_status: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    geometry: Geometry | None
    flags: list[FlagPublic]
    attributes: dict[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime | None


class ProductionUnitPublic(_FeaturePublic):
    kind: str
    organisation_id: int | None
    farmer_id: int | None  # personal: only for those who may see the farmer
    parent_id: int | None
    crop: str | None
    variety: str | None
    species: str | None
    head_count: int | None
    area_ha: float | None
    declared_area_ha: float | None
    water_surface_ha: float | None
    export_market: str | None


class InfrastructureCreate(_Writable):
    kind: InfrastructureKind
    subtype: StationType | None = None
    code: str | None = Field(default=None, max_length=50)
    name: str = Field(min_length=1, max_length=300)
    commune_code: str | None = Field(default=None, pattern=COMMUNE_CODE)
    organisation_id: Id | None = None
    river: str | None = Field(default=None, max_length=100)
    status: Status = "active"
    valid_from: SaneDate | None = None
    valid_to: SaneDate | None = None
    geometry: Geometry
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=50)


class InfrastructureUpdate(_Writable):
    subtype: StationType | None = None
    code: str | None = Field(default=None, max_length=50)
    name: NotNull[str] = Field(default=None, min_length=1, max_length=300)
    commune_code: NotNull[str] = Field(default=None, pattern=COMMUNE_CODE)
    organisation_id: Id | None = None
    river: str | None = Field(default=None, max_length=100)
    status: NotNull[Status] = None
    valid_from: SaneDate | None = None
    valid_to: SaneDate | None = None
    geometry: NotNull[Geometry] = None
    attributes: NotNull[dict[str, AttributeValue]] = Field(default=None, max_length=50)
    effective_date: SaneDate | None = None


class InfrastructurePublic(_FeaturePublic):
    kind: str
    subtype: str | None
    organisation_id: int | None
    river: str | None
    length_m: float | None


class SoilUnitCreate(_Writable):
    code: str | None = Field(default=None, max_length=50)
    name: str = Field(min_length=1, max_length=300)
    soil_type: SoilType
    ph: float | None = Field(default=None, ge=0, le=14)
    organic_matter_pct: float | None = Field(default=None, ge=0, le=100)
    salinity_class: SalinityClass | None = None
    commune_code: str | None = Field(default=None, pattern=COMMUNE_CODE)
    source: str | None = Field(default=None, max_length=300)
    status: Status = "active"
    valid_from: SaneDate | None = None
    valid_to: SaneDate | None = None
    geometry: Geometry
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=50)


class SoilUnitUpdate(_Writable):
    code: str | None = Field(default=None, max_length=50)
    name: NotNull[str] = Field(default=None, min_length=1, max_length=300)
    soil_type: NotNull[SoilType] = None
    ph: float | None = Field(default=None, ge=0, le=14)
    organic_matter_pct: float | None = Field(default=None, ge=0, le=100)
    salinity_class: SalinityClass | None = None
    commune_code: NotNull[str] = Field(default=None, pattern=COMMUNE_CODE)
    source: str | None = Field(default=None, max_length=300)
    status: NotNull[Status] = None
    valid_from: SaneDate | None = None
    valid_to: SaneDate | None = None
    geometry: NotNull[Geometry] = None
    attributes: NotNull[dict[str, AttributeValue]] = Field(default=None, max_length=50)
    effective_date: SaneDate | None = None


class SoilUnitPublic(_FeaturePublic):
    soil_type: str
    ph: float | None
    organic_matter_pct: float | None
    salinity_class: str | None
    area_ha: float | None
    source: str | None


class VersionPublic(BaseModel):
    """One version of a feature in its history."""

    version: int
    change: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    recorded_at: dt.datetime
    actor: str
    name: str | None
    code: str | None
    commune_code: str | None
    status: str | None
    geometry: Geometry | None
    properties: dict[str, Any]


class FeaturePublic(BaseModel):
    """A GeoJSON Feature of a collection (public properties)."""

    type: Literal["Feature"] = "Feature"
    id: int
    collection: str
    geometry: Geometry | None
    properties: dict[str, Any]
    bbox: list[float] | None = None


class FeatureRef(BaseModel):
    """A feature found near a point or in a commune (for alerts and sensors)."""

    collection: str
    id: int
    kind: str | None
    name: str | None
    code: str | None
    commune_code: str | None
    crop: str | None = None
    lon: float | None
    lat: float | None
    distance_m: float | None = None


class FieldRef(BaseModel):
    """A field as other domains need it (alerts: the communes and crops around a station).

    ``distance_m``: from the point asked for to the centre of the field's bounding box (0 when
    the fields were asked for by id, farmer or organisation)."""

    id: int
    commune_code: str
    crop: str | None
    area_ha: float | None
    distance_m: float = 0.0


class LinkedRecord(BaseModel):
    """A record of another domain linked to a registry feature (monitoring: the sensor
    stations — SensorThings Things — of a monitoring station)."""

    domain: str
    id: int
    name: str
    kind: str | None = None
    href: str  # the web page
    self_link: str | None = None  # the machine-readable record (e.g. the STA Thing)


class InfrastructureDetail(InfrastructurePublic):
    """One infrastructure record with what other domains link to it (a monitoring station:
    its sensors)."""

    sensors: list[LinkedRecord] = Field(default_factory=list)


class CommuneRef(BaseModel):
    code: str
    name: str
    province_code: str
    distance_m: float
    boundary: Literal["real", "synthetic", "none"]


class BoundarySummary(BaseModel):
    province_code: str
    communes: int
    synthetic: int
    real: int


class ImportRowError(BaseModel):
    row: int
    field: str | None
    message: str


class ImportReport(BaseModel):
    """What an import did (or, when refused or a dry run, would do)."""

    format: str
    collection: str
    rows: int
    valid: int
    imported: int
    errors: list[ImportRowError]
    ids: list[int]
    dry_run: bool


class AreaRulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    crop: str
    crop_group: str
    min_area_ha: float
    source: str
    customised: bool = False


class AreaRuleUpdate(_Writable):
    crop_group: Literal["perennial", "annual"]
    min_area_ha: float = Field(ge=0, le=10_000)
    source: str = Field(min_length=1, max_length=500)


class MapCluster(BaseModel):
    lon: float
    lat: float
    count: int


class MapLayer(BaseModel):
    collection: str
    mode: Literal["features", "clusters"]
    features: list[FeaturePublic] = Field(default_factory=list)
    clusters: list[MapCluster] = Field(default_factory=list)
    total: int


class MapData(BaseModel):
    bbox: list[float]
    zoom: int
    as_of: dt.datetime | None
    layers: list[MapLayer]


class CommuneUnitTotal(BaseModel):
    """Production units of one kind and crop in a commune (aggregates only): what the
    statistics expect a commune to report, and its certified areas."""

    commune_code: str
    kind: str
    crop: str | None
    units: int
    area_ha: float
