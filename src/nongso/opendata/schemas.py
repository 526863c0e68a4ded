"""Pydantic models of the open-data catalogue, its settings, builds and the lake."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

DatasetId = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


class DistributionPublic(BaseModel):
    format: Literal["csv", "parquet", "geojson", "geoparquet"]
    file_name: str
    media_type: str
    byte_size: int = Field(ge=0)
    sha256: str
    rows: int = Field(ge=0)
    url: str


class UnitRefPublic(BaseModel):
    code: str
    generation: Literal["2025", "legacy"]
    name: str
    level: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    lon: float | None = None
    lat: float | None = None
    uri: str
    replaces: list[UnitRefPublic] = []


class DatasetVersionPublic(BaseModel):
    id: DatasetId
    version: Version
    provider: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    keywords_vi: list[str]
    keywords_en: list[str]
    themes: list[str]
    frequency: str
    issued: dt.datetime
    modified: dt.datetime
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    spatial: list[UnitRefPublic]
    previous_version: Version | None = None
    version_notes_vi: str = ""
    version_notes_en: str = ""
    series: str | None = None
    rows: int = Field(ge=0)
    suppressed_rows: int = Field(ge=0, default=0)
    content_sha256: str
    distributions: list[DistributionPublic]
    uri: str


class SeriesPublic(BaseModel):
    id: DatasetId
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    frequency: str
    themes: list[str]
    keywords_vi: list[str]
    keywords_en: list[str]
    members: list[DatasetId]
    uri: str


class CatalogueVersionPublic(BaseModel):
    version: Version
    built_at: dt.datetime
    previous_version: Version | None
    licence: str
    publisher_vi: str
    publisher_en: str
    datasets: list[DatasetVersionPublic]
    series: list[SeriesPublic]
    changed: list[str]


class CatalogueVersionRef(BaseModel):
    version: Version
    built_at: dt.datetime
    datasets: int
    changed: list[str]


class OpendataSettingsPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    licence_uri: str
    publisher_vi: str
    publisher_en: str
    contact_name: str
    contact_email: str
    min_farms: int
    schedule_hours: int
    debounce_seconds: int
    keep_versions: int
    updated_at: dt.datetime | None = None


class OpendataSettingsUpdate(BaseModel):
    """What the province sets (every field optional)."""

    model_config = ConfigDict(extra="forbid")

    licence_uri: HttpUrl | None = None
    publisher_vi: Annotated[str, Field(min_length=3, max_length=300)] | None = None
    publisher_en: Annotated[str, Field(min_length=3, max_length=300)] | None = None
    contact_name: Annotated[str, Field(min_length=2, max_length=200)] | None = None
    contact_email: Annotated[str, Field(max_length=200,
                                        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    # Aggregates describing fewer farms than this are suppressed.
    min_farms: Annotated[int, Field(ge=1, le=1000)] | None = None
    # Rebuild every N hours (0: only when data change).
    schedule_hours: Annotated[int, Field(ge=0, le=24 * 31)] | None = None
    # Wait this long after the last change before rebuilding (changes come in bursts).
    debounce_seconds: Annotated[int, Field(ge=0, le=86_400)] | None = None
    keep_versions: Annotated[int, Field(ge=2, le=100)] | None = None


class BuildReport(BaseModel):
    version: Version
    datasets: int
    changed: list[str]
    unchanged: list[str]
    seconds: float


class LakeTableReport(BaseModel):
    table: str
    rows_written: int
    files_written: int
    partitions_rewritten: int
    watermark: str | None
    total_rows: int
    total_files: int


class LakeReport(BaseModel):
    tables: list[LakeTableReport]
    seconds: float


class CommuneSeasonRowPublic(BaseModel):
    province_code: str
    commune_code: str
    season_key: str
    farms: int
    seasons: int
    activities: int
    sprays: int
    harvest_kg: float


class ReportPublic(BaseModel):
    engine: Literal["duckdb", "dask"]
    source: str
    rows: list[CommuneSeasonRowPublic]
    suppressed_rows: int


class DatabaseShare(BaseModel):
    database: str
    title_vi: str
    title_en: str
    published: bool
    datasets: list[str]


class PublishedShare(BaseModel):
    """How much of the agricultural databases is published as machine-readable open data."""

    databases: int
    published: int
    share: float = Field(ge=0, le=1)
    by_database: list[DatabaseShare]
    catalogue_version: int | None


# The pages' vocabulary (pure): themes, frequencies and licences, and the page texts; the pages
# reach them through this module (import contracts).
from nongso.opendata import messages as messages  # noqa: E402  (registers the texts)
from nongso.opendata import vocab as vocab  # noqa: E402
