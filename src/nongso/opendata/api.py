"""HTTP adapters of open data.

``/opendata/...`` (public, DESIGN's stable path): the DCAT-AP catalogue in JSON-LD and Turtle,
the minted URIs (datasets and their versions, series, administrative units) as JSON, and the
files. ``/api/v1/opendata/...``: the province's settings, a build on demand, the share of the
databases published, the lake export and the heavy reports.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse, Response

from nongso.core.deps import UowDep
from nongso.core.errors import FieldError, NotFound
from nongso.core.permissions import require_role
from nongso.opendata import services
from nongso.opendata.schemas import (
    BuildReport,
    CatalogueVersionPublic,
    CatalogueVersionRef,
    DatasetVersionPublic,
    LakeReport,
    OpendataSettingsPublic,
    OpendataSettingsUpdate,
    PublishedShare,
    ReportPublic,
    SeriesPublic,
    UnitRefPublic,
)

public_router = APIRouter(prefix="/opendata", tags=["opendata"])
router = APIRouter(prefix="/opendata", tags=["opendata"])

VersionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1,
                                           description="A kept catalogue version")]


def _file(answer: services.FileAnswer, attachment: bool = True) -> FileResponse:
    headers = {"X-Opendata-Version": str(answer.version), "Cache-Control": "public, max-age=60"}
    return FileResponse(answer.path, media_type=answer.media_type, headers=headers,
                        filename=answer.file_name if attachment else None,
                        content_disposition_type="attachment" if attachment else "inline")


@public_router.get("/catalog.{fmt}", summary="The DCAT-AP 3.0.1 catalogue (jsonld, ttl)")
def catalogue_document(fmt: str, version: VersionQuery = None) -> Response:
    return _file(services.catalogue_document(fmt, version), attachment=False)


@public_router.get("/catalog", response_model=CatalogueVersionPublic)
def catalogue(version: VersionQuery = None) -> CatalogueVersionPublic:
    """The catalogue's record (datasets, series, versions) as plain JSON."""
    return services.catalogue(version)


@public_router.get("/versions", response_model=list[CatalogueVersionRef])
def versions() -> list[CatalogueVersionRef]:
    return services.catalogue_versions()


_NAME = re.compile(r"^([a-z0-9][a-z0-9-]*)\.([a-z]+)$")
_VERSION = re.compile(r"^v([1-9]\d{0,9})$")


def _version(text: str) -> int:
    m = _VERSION.match(text)
    if m is None:
        raise NotFound(f"«{text}» không phải là phiên bản (v1, v2…).",
                       f"'{text}' is not a version (v1, v2…).",
                       [FieldError("version", "Dạng v1, v2…", "Form v1, v2…")])
    return int(m.group(1))


@public_router.get("/datasets/{name}", summary="A dataset: JSON, or a file by its extension")
def dataset(name: str, version: VersionQuery = None) -> Response:
    """``{id}`` the current version's description; ``{id}.csv|parquet|geojson|geoparquet`` its
    file (the previous complete version while a build runs)."""
    m = _NAME.match(name)
    if m is None:
        meta = services.dataset(name, catalogue_version=version)
        return Response(meta.model_dump_json(), media_type="application/json")
    return _file(services.distribution(m.group(1), m.group(2), None if version is None else
                                       services.dataset(m.group(1),
                                                        catalogue_version=version).version))


@public_router.get("/datasets/{dataset_id}/{version}", response_model=DatasetVersionPublic)
def dataset_version(dataset_id: str, version: str) -> DatasetVersionPublic:
    return services.dataset(dataset_id, _version(version))


@public_router.get("/datasets/{dataset_id}/{version}/distributions/{fmt}")
def distribution(dataset_id: str, version: str, fmt: str) -> Response:
    answer = services.distribution(dataset_id, fmt, _version(version))
    return RedirectResponse(f"/opendata/files/{dataset_id}/v{answer.version}/{answer.file_name}",
                            status_code=303)


@public_router.get("/files/{dataset_id}/{version}/{file_name}")
def download(dataset_id: str, version: str, file_name: str) -> Response:
    return _file(services.download(dataset_id, _version(version), file_name))


@public_router.get("/series/{series_id}", response_model=SeriesPublic)
def series(series_id: str) -> SeriesPublic:
    found = next((s for s in services.catalogue().series if s.id == series_id), None)
    if found is None:
        raise NotFound(f"Không có chuỗi dữ liệu «{series_id}».",
                       f"Dataset series '{series_id}' does not exist.")
    return found


@public_router.get("/units/{generation}/{code}", response_model=UnitRefPublic)
def unit(uow: UowDep, generation: str, code: str) -> UnitRefPublic:
    return services.unit(uow, generation, code)


# --- /api/v1/opendata ------------------------------------------------------------------------


@router.get("/settings", response_model=OpendataSettingsPublic)
def get_settings(uow: UowDep) -> OpendataSettingsPublic:
    return services.get_settings_public(uow)


@router.put("/settings", response_model=OpendataSettingsPublic)
def put_settings(uow: UowDep, data: OpendataSettingsUpdate) -> OpendataSettingsPublic:
    return services.update_settings(uow, data)


@router.post("/build", response_model=BuildReport)
def build(uow: UowDep, force: bool = False) -> BuildReport:
    return services.build_catalogue(uow, force=force)


@router.get("/share", response_model=PublishedShare)
def share(uow: UowDep) -> PublishedShare:
    return services.published_share(uow)


@router.post("/lake/export", response_model=LakeReport)
def lake_export(uow: UowDep, full: bool = False) -> LakeReport:
    return services.export_lake(uow, full=full)


@router.get("/reports/commune-season", response_model=ReportPublic)
def commune_season(uow: UowDep,
                   engine: Annotated[Literal["duckdb", "dask"], Query()] = "duckdb"
                   ) -> ReportPublic:
    require_role(uow.principal, "province_officer", "inspector")
    return services.commune_season_report(uow, engine)
