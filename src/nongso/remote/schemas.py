"""Pydantic schemas of the remote-sensing API (ISO 8601 dates, bounded numbers)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Hectares = Annotated[float, Field(ge=0.0, le=1_000_000.0)]
Code = Annotated[str, Field(min_length=2, max_length=10, pattern=r"^\d{2,10}$")]


class ScenePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    uri: str
    acquired_on: dt.date
    sensor: str
    product: str
    bands: list[str]
    units: str
    crs: str
    width: int
    height: int
    pixel_m: float
    footprint: dict[str, Any]
    cloud_share: float | None
    is_cog: bool
    status: str
    fields_reduced: int
    registered_at: dt.datetime
    reduced_at: dt.datetime | None


class IngestRequest(BaseModel):
    source: Annotated[str, Field(min_length=1, max_length=20)] = "local"
    location: Annotated[str, Field(min_length=1, max_length=1000)]


class RejectedFile(BaseModel):
    uri: str
    loc: str
    message: str


class IngestReport(BaseModel):
    found: int
    registered: int
    already: int
    rejected: list[RejectedFile]
    scene_ids: list[int]


class ReduceReport(BaseModel):
    scenes: int
    empty_scenes: int
    field_values: int
    commune_values: int
    fields: int


class PhenologyReport(BaseModel):
    fields: int
    rice_fields: int
    seasons: int


class ReconcileReport(BaseModel):
    fields: int
    differences: int
    new: int
    open: int
    kept_decisions: int


class ZonalFeatureIn(BaseModel):
    """A polygon to reduce (GeoJSON Feature, lon/lat WGS 84)."""

    type: Literal["Feature"] = "Feature"
    id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    geometry: dict[str, Any]
    properties: dict[str, Any] = Field(default_factory=dict)


class ZonalRequest(BaseModel):
    scene_id: Id
    features: Annotated[list[ZonalFeatureIn], Field(min_length=1, max_length=5000)]


class BandStat(BaseModel):
    band: str
    mean: float | None
    median: float | None
    p10: float | None
    p90: float | None
    valid_share: Share
    pixels: float


class ZonalResult(BaseModel):
    id: int
    subpixel: bool
    stats: list[BandStat]


class ZonalResponse(BaseModel):
    scene_id: int
    acquired_on: dt.date
    units: str
    results: list[ZonalResult]


class SeriesPoint(BaseModel):
    date: dt.date
    value: float | None
    valid_share: Share


class SeasonPublic(BaseModel):
    season_key: str
    sowing: dt.date
    heading: dt.date
    harvest: dt.date | None


class FieldRemote(BaseModel):
    """A field's curves (VH dB, NDVI) and what the phenology says of it."""

    field_id: int
    commune_code: str | None
    is_rice: bool | None
    n_seasons: int
    note: str
    area_ha: float | None
    seasons: list[SeasonPublic]
    vh: list[SeriesPoint]
    ndvi: list[SeriesPoint]


class FieldSummary(BaseModel):
    field_id: int
    area_ha: float
    declared_crop: str | None
    is_rice: bool
    n_seasons: int
    note: str
    sowings: list[dt.date]


class CommuneRice(BaseModel):
    commune_code: str
    commune_name: str
    fields: int
    rice_fields: int
    rice_area_ha: float
    seasons: dict[str, float]  # season key -> rice area (ha)
    open_differences: int


class DiscrepancyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    field_id: int
    commune_code: str
    season_key: str
    kind: str
    kind_label: str = ""
    diary_season_id: int | None
    declared_date: dt.date | None
    observed_date: dt.date | None
    declared_ha: float | None
    observed_ha: float | None
    difference: float | None
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str | None


class DecisionIn(BaseModel):
    decision: Literal["accepted", "rejected", "open"]
    note: Annotated[str, Field(max_length=1000)] | None = None


class AcceptedValue(BaseModel):
    """A value remote sensing gives the statistics of a commune and season, once checked:
    fields without a difference and fields whose difference the officer accepted count;
    fields whose difference is still open are left out (``pending``)."""

    commune_code: str
    season_key: str
    indicator: Literal["rice_area_sown_ha", "rice_fields"]
    value: float
    unit: str
    pending: int
    source: str = "remote_sensing"


# The page texts and labels (pure): the pages reach them through this module (import contracts).
from nongso.remote import messages as messages  # noqa: E402
