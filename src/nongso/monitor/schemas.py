"""Pydantic models of monitoring: SensorThings request bodies and the platform's own API.

SensorThings bodies use the standard's camelCase names and capitalised navigation
properties. A related entity given with ``@iot.id`` is a link to an existing one (its other
keys are ignored, as clients such as frost_sta_client send whole entities); without it, a
new entity is created in the same transaction (deep insert).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from nongso.core.fields import MAX_ID, Id, SaneDateTime

# --------------------------------------------------------------------------------------------
# SensorThings bodies


class _Sta(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntityRef(BaseModel):
    """A link to an existing entity: ``{"@iot.id": 5}``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: int = Field(alias="@iot.id", gt=0, le=MAX_ID)


def _ref_or_new(value: Any) -> str:
    if isinstance(value, dict) and "@iot.id" in value:
        return "ref"
    if isinstance(value, EntityRef):
        return "ref"
    return "new"


_IGNORED = ("@iot.selfLink", "@iot.id")


class UnitOfMeasurement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=100)
    symbol: str | None = Field(default=None, max_length=30)
    definition: str | None = Field(default=None, max_length=300)


class LocationCreate(_Sta):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    encodingType: str = Field(default="application/geo+json", max_length=100)
    location: dict[str, Any]
    properties: dict[str, Any] | None = None
    Things: list[ThingOrRef] | None = None


class SensorCreate(_Sta):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    encodingType: str = Field(max_length=100)
    metadata: Any
    properties: dict[str, Any] | None = None


class ObservedPropertyCreate(_Sta):
    name: str = Field(min_length=1, max_length=200)
    definition: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=5000)
    properties: dict[str, Any] | None = None


class FeatureOfInterestCreate(_Sta):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    encodingType: str = Field(default="application/geo+json", max_length=100)
    feature: dict[str, Any]
    properties: dict[str, Any] | None = None


class DatastreamCreate(_Sta):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    unitOfMeasurement: UnitOfMeasurement
    observationType: str = Field(min_length=1, max_length=200)
    properties: dict[str, Any] | None = None
    Thing: ThingOrRef | None = None
    Sensor: SensorOrRef | None = None
    ObservedProperty: ObservedPropertyOrRef | None = None
    # Observations are read by monitor.payloads (the same parser as every other ingestion).
    Observations: list[dict[str, Any]] | None = None


class HistoricalLocationCreate(_Sta):
    time: SaneDateTime
    Thing: EntityRef | None = None
    Locations: list[EntityRef] | None = None


class ThingCreate(_Sta):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    properties: dict[str, Any] | None = None
    Locations: list[LocationOrRef] | None = None
    Datastreams: list[DatastreamCreate] | None = None
    HistoricalLocations: list[HistoricalLocationCreate] | None = None


ThingOrRef = Annotated[
    Annotated[EntityRef, Tag("ref")] | Annotated[ThingCreate, Tag("new")],
    Discriminator(_ref_or_new),
]
LocationOrRef = Annotated[
    Annotated[EntityRef, Tag("ref")] | Annotated[LocationCreate, Tag("new")],
    Discriminator(_ref_or_new),
]
SensorOrRef = Annotated[
    Annotated[EntityRef, Tag("ref")] | Annotated[SensorCreate, Tag("new")],
    Discriminator(_ref_or_new),
]
ObservedPropertyOrRef = Annotated[
    Annotated[EntityRef, Tag("ref")] | Annotated[ObservedPropertyCreate, Tag("new")],
    Discriminator(_ref_or_new),
]

for _m in (LocationCreate, DatastreamCreate, ThingCreate):
    _m.model_rebuild()

CREATE_MODELS: dict[str, type[BaseModel]] = {
    "Things": ThingCreate,
    "Locations": LocationCreate,
    "HistoricalLocations": HistoricalLocationCreate,
    "Datastreams": DatastreamCreate,
    "Sensors": SensorCreate,
    "ObservedProperties": ObservedPropertyCreate,
    "FeaturesOfInterest": FeatureOfInterestCreate,
}


# --------------------------------------------------------------------------------------------
# The platform's monitoring API


class RejectionPublic(BaseModel):
    loc: str
    code: str
    message: str
    datastream_id: int | None = None
    device: str | None = None


class IngestReport(BaseModel):
    """What happened to a batch: stored, duplicates (already stored, ignored), stored with
    the bad-quality flag, and the readings that were refused."""

    received: int
    stored: int
    duplicates: int
    bad_quality: int
    rejected: list[RejectionPublic] = Field(default_factory=list)


class CompactBatch(BaseModel):
    """``{"obs": [[datastream_id, time, result], ...]}`` (the MQTT compact topic's form)."""

    model_config = ConfigDict(extra="forbid")

    obs: list[list[Any]] = Field(max_length=100_000)


class DeviceRegister(BaseModel):
    """Register a device for MQTT/HTTP ingestion and link it to the Things it sends for."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$")
    unit_code: str | None = Field(default=None, pattern=r"^\d{2}(\d{3})?$")
    organisation_id: Id | None = None
    thing_ids: list[Id] = Field(default_factory=list, max_length=100)


class DeviceRegistered(BaseModel):
    """Returned once: the key is the device's HTTP ``X-API-Key`` and its MQTT password."""

    id: int
    name: str
    api_key: str
    mqtt_username: str
    thing_ids: list[int]
    topics: list[str]


class LatestValue(BaseModel):
    datastream_id: int
    name: str
    property_code: str | None
    unit: str | None
    time: dt.datetime | None
    value: float | None


StationStatus = Literal["ok", "warning", "alarm", "silent", "no_data"]


class StationPublic(BaseModel):
    """A monitoring station (a Thing with a place) for the map."""

    id: int
    name: str
    kind: str | None
    commune_code: str | None
    lon: float | None
    lat: float | None
    status: StationStatus
    last_time: dt.datetime | None
    latest: list[LatestValue]
    alerts: int = 0
    # The station's record in the registry (infrastructure id), when the Thing is linked.
    registry_feature_id: int | None = None


class SeriesPoint(BaseModel):
    time: dt.datetime
    mean: float
    minimum: float
    maximum: float
    n: int


class SeriesPublic(BaseModel):
    datastream_id: int
    name: str
    property_code: str | None
    unit: str | None
    resolution: Literal["raw", "hour", "day"]
    points: list[SeriesPoint]


class BridgeStatus(BaseModel):
    """The MQTT bridge as the running process sees it."""

    state: Literal["off", "connecting", "connected", "disconnected"]
    reason_vi: str | None = None
    reason_en: str | None = None
    broker: str | None = None
    client_id: str | None = None
    topics: list[str] = Field(default_factory=list)
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    bad_quality: int = 0
    rejected: dict[str, int] = Field(default_factory=dict)
    malformed: int = 0
    flushes: int = 0
    last_flush_at: dt.datetime | None = None
    last_error: str | None = None


# The pure vocabulary other domains and the pages use (the import contracts in pyproject.toml
# let them import only ``services`` and ``schemas``); importing it registers the pages' texts.
from nongso.monitor import messages  # noqa: E402, F401  (registers the texts)
from nongso.monitor.quality import PhysicalRange as PhysicalRange  # noqa: E402
from nongso.monitor.quality import physical_range as physical_range  # noqa: E402
