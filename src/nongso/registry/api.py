"""HTTP adapter of the registry: organisations, farmers, map features, the map, boundaries,
imports and exports (``/api/v1/...``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from nongso.core.deps import LangDep, PageDep, UowDep
from nongso.core.fields import Id
from nongso.core.pagination import Page
from nongso.registry import cql, geo, services
from nongso.registry.exports import ExportFile
from nongso.registry.features import FeatureQuery
from nongso.registry.schemas import (
    CROP_CODE,
    AreaRulePublic,
    AreaRuleUpdate,
    BoundarySummary,
    CollectionId,
    CommuneRef,
    FarmerCreate,
    FarmerPublic,
    FarmerUpdate,
    FeaturePublic,
    FeatureRef,
    ImportReport,
    InfrastructureCreate,
    InfrastructureDetail,
    InfrastructureKind,
    InfrastructurePublic,
    InfrastructureUpdate,
    MapData,
    OrganisationCreate,
    OrganisationKind,
    OrganisationPublic,
    OrganisationUpdate,
    ProductionUnitCreate,
    ProductionUnitPublic,
    ProductionUnitUpdate,
    ProvinceSummary,
    SalinityClass,
    SoilType,
    SoilUnitCreate,
    SoilUnitPublic,
    SoilUnitUpdate,
    StationType,
    UnitKind,
    VersionPublic,
)

router = APIRouter(tags=["registry"])
CommuneQuery = Annotated[str | None, Query(pattern=r"^\d{5}$")]


@router.get("/organisations", response_model=Page[OrganisationPublic])
def list_organisations(
    uow: UowDep, page: PageDep, kind: OrganisationKind | None = None,
    commune_code: CommuneQuery = None,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[OrganisationPublic]:
    return services.list_organisations(uow, page, kind, commune_code, province_code, q)


@router.post("/organisations", response_model=OrganisationPublic,
             status_code=status.HTTP_201_CREATED)
def create_organisation(body: OrganisationCreate, uow: UowDep,
                        response: Response) -> OrganisationPublic:
    org = services.create_organisation(uow, body)
    response.headers["Location"] = f"/api/v1/organisations/{org.id}"
    return org


@router.get("/organisations/{org_id}", response_model=OrganisationPublic)
def get_organisation(org_id: Id, uow: UowDep) -> OrganisationPublic:
    return services.get_organisation(uow, org_id)


@router.patch("/organisations/{org_id}", response_model=OrganisationPublic)
def update_organisation(org_id: Id, body: OrganisationUpdate, uow: UowDep) -> OrganisationPublic:
    return services.update_organisation(uow, org_id, body)


@router.delete("/organisations/{org_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_organisation(org_id: Id, uow: UowDep) -> Response:
    services.delete_organisation(uow, org_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/farmers", response_model=Page[FarmerPublic])
def list_farmers(
    uow: UowDep, page: PageDep, commune_code: CommuneQuery = None,
    organisation_id: Id | None = None,
) -> Page[FarmerPublic]:
    """Farmers visible to the caller (their unit, their co-operative, or themselves)."""
    return services.list_farmers(uow, page, commune_code, organisation_id)


@router.post("/farmers", response_model=FarmerPublic, status_code=status.HTTP_201_CREATED)
def create_farmer(body: FarmerCreate, uow: UowDep, response: Response) -> FarmerPublic:
    farmer = services.create_farmer(uow, body)
    response.headers["Location"] = f"/api/v1/farmers/{farmer.id}"
    return farmer


@router.get("/farmers/{farmer_id}", response_model=FarmerPublic)
def get_farmer(farmer_id: Id, uow: UowDep) -> FarmerPublic:
    return services.get_farmer(uow, farmer_id)


@router.patch("/farmers/{farmer_id}", response_model=FarmerPublic)
def update_farmer(farmer_id: Id, body: FarmerUpdate, uow: UowDep) -> FarmerPublic:
    return services.update_farmer(uow, farmer_id, body)


@router.delete("/farmers/{farmer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_farmer(farmer_id: Id, uow: UowDep) -> Response:
    services.delete_farmer(uow, farmer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/provinces/{province_code}/summary", response_model=ProvinceSummary)
def province_summary(province_code: str, uow: UowDep) -> ProvinceSummary:
    """Public counts of a province: communes, co-operatives, farmers, fields, area."""
    return services.province_summary(uow, province_code)


# =============================================================================================
# /api/v1/registry/...: map features, history, the map, boundaries, imports, exports
# =============================================================================================

VN = dt.timezone(dt.timedelta(hours=7))
BBoxQuery = Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS 84)",
                                        max_length=200)]
AsOfQuery = Annotated[str | None, Query(
    description="Show the registry as of a date (YYYY-MM-DD, end of that day in Vietnam) or an "
                "instant (RFC 3339)", max_length=40)]
TextQuery = Annotated[str | None, Query(max_length=200, description="Name or code")]
StatusQuery = Annotated[Literal["active", "expired", "suspended", "revoked", "retired"] | None,
                        Query()]


def parse_bbox_param(text: str | None) -> geo.BBox | None:
    return cql.parse_bbox(text) if text else None


def parse_as_of(text: str | None) -> dt.datetime | None:
    """A date stands for the end of that day in Vietnam; an instant for itself."""
    if not text:
        return None
    if "/" in text:
        raise cql.ParameterError(
            "as_of phải là một ngày hoặc thời điểm, không phải khoảng thời gian.",
            "as_of must be a date or an instant, not an interval.", parameter="as_of")
    _, end = cql.parse_datetime_interval(text, default_tz=VN)
    return end


def parse_list(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip()) if text else ()


def _created(response: Response, path: str) -> None:
    response.headers["Location"] = path


# --- production units ----------

@router.get("/registry/production-units", response_model=Page[ProductionUnitPublic])
def list_production_units(
    uow: UowDep, page: PageDep, kind: UnitKind | None = None, commune_code: CommuneQuery = None,
    crop: Annotated[str | None, Query(pattern=CROP_CODE)] = None, status: StatusQuery = None,
    q: TextQuery = None, bbox: BBoxQuery = None, organisation_id: Id | None = None,
    farmer_id: Id | None = None,
) -> Page[ProductionUnitPublic]:
    """Field blocks, plots, orchards, planting-area codes, farms, ponds, raw-material areas."""
    return services.list_production_units(uow, page, kind, commune_code, crop, status, q,
                                          parse_bbox_param(bbox), organisation_id, farmer_id)


@router.post("/registry/production-units", response_model=ProductionUnitPublic,
             status_code=status.HTTP_201_CREATED)
def create_production_unit(body: ProductionUnitCreate, uow: UowDep,
                           response: Response) -> ProductionUnitPublic:
    unit = services.create_production_unit(uow, body)
    _created(response, f"/api/v1/registry/production-units/{unit.id}")
    return unit


@router.get("/registry/production-units/{unit_id}", response_model=ProductionUnitPublic)
def get_production_unit(unit_id: Id, uow: UowDep) -> ProductionUnitPublic:
    return services.get_production_unit(uow, unit_id)


@router.patch("/registry/production-units/{unit_id}", response_model=ProductionUnitPublic)
def update_production_unit(unit_id: Id, body: ProductionUnitUpdate,
                           uow: UowDep) -> ProductionUnitPublic:
    return services.update_production_unit(uow, unit_id, body)


@router.delete("/registry/production-units/{unit_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_production_unit(unit_id: Id, uow: UowDep) -> Response:
    services.delete_production_unit(uow, unit_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/registry/production-units/{unit_id}/history", response_model=list[VersionPublic])
def production_unit_history(unit_id: Id, uow: UowDep) -> list[VersionPublic]:
    """Every version, oldest first, with its validity interval."""
    return services.production_unit_history(uow, unit_id)


@router.get("/registry/organisations/{org_id}/history", response_model=list[VersionPublic])
def organisation_history(org_id: Id, uow: UowDep) -> list[VersionPublic]:
    return services.organisation_history(uow, org_id)


# --- infrastructure ----------

@router.get("/registry/infrastructure", response_model=Page[InfrastructurePublic])
def list_infrastructure(
    uow: UowDep, page: PageDep, kind: InfrastructureKind | None = None,
    subtype: StationType | None = None, commune_code: CommuneQuery = None,
    status: StatusQuery = None, q: TextQuery = None, bbox: BBoxQuery = None,
) -> Page[InfrastructurePublic]:
    """Pumping stations, sluices, dyke segments and monitoring stations."""
    return services.list_infrastructure(uow, page, kind, subtype, commune_code, status, q,
                                        parse_bbox_param(bbox))


@router.post("/registry/infrastructure", response_model=InfrastructureDetail,
             status_code=status.HTTP_201_CREATED)
def create_infrastructure(body: InfrastructureCreate, uow: UowDep,
                          response: Response) -> InfrastructureDetail:
    row = services.create_infrastructure(uow, body)
    _created(response, f"/api/v1/registry/infrastructure/{row.id}")
    return services.infrastructure_detail(uow, row)


@router.get("/registry/infrastructure/{infra_id}", response_model=InfrastructureDetail)
def get_infrastructure(infra_id: Id, uow: UowDep) -> InfrastructureDetail:
    """One record; a monitoring station lists its linked sensors (``sensors``)."""
    return services.get_infrastructure_detail(uow, infra_id)


@router.patch("/registry/infrastructure/{infra_id}", response_model=InfrastructureDetail)
def update_infrastructure(infra_id: Id, body: InfrastructureUpdate,
                          uow: UowDep) -> InfrastructureDetail:
    return services.infrastructure_detail(uow, services.update_infrastructure(uow, infra_id, body))


@router.delete("/registry/infrastructure/{infra_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_infrastructure(infra_id: Id, uow: UowDep) -> Response:
    services.delete_infrastructure(uow, infra_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/registry/infrastructure/{infra_id}/history", response_model=list[VersionPublic])
def infrastructure_history(infra_id: Id, uow: UowDep) -> list[VersionPublic]:
    return services.infrastructure_history(uow, infra_id)


@router.get("/registry/stations/{code}", response_model=InfrastructureDetail)
def get_station(code: Annotated[str, Path(max_length=50)], uow: UowDep) -> InfrastructureDetail:
    """A monitoring station by its station code (e.g. TV-TANCHAU), with its linked sensors."""
    return services.get_infrastructure_detail(uow, services.get_station(uow, code).id)


# --- soil map units ----------

@router.get("/registry/soil-units", response_model=Page[SoilUnitPublic])
def list_soil_units(
    uow: UowDep, page: PageDep, soil_type: SoilType | None = None,
    salinity_class: SalinityClass | None = None, commune_code: CommuneQuery = None,
    q: TextQuery = None, bbox: BBoxQuery = None,
) -> Page[SoilUnitPublic]:
    return services.list_soil_units(uow, page, soil_type, salinity_class, commune_code, q,
                                    parse_bbox_param(bbox))


@router.post("/registry/soil-units", response_model=SoilUnitPublic,
             status_code=status.HTTP_201_CREATED)
def create_soil_unit(body: SoilUnitCreate, uow: UowDep, response: Response) -> SoilUnitPublic:
    row = services.create_soil_unit(uow, body)
    _created(response, f"/api/v1/registry/soil-units/{row.id}")
    return row


@router.get("/registry/soil-units/{soil_id}", response_model=SoilUnitPublic)
def get_soil_unit(soil_id: Id, uow: UowDep) -> SoilUnitPublic:
    return services.get_soil_unit(uow, soil_id)


@router.patch("/registry/soil-units/{soil_id}", response_model=SoilUnitPublic)
def update_soil_unit(soil_id: Id, body: SoilUnitUpdate, uow: UowDep) -> SoilUnitPublic:
    return services.update_soil_unit(uow, soil_id, body)


@router.delete("/registry/soil-units/{soil_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_soil_unit(soil_id: Id, uow: UowDep) -> Response:
    services.delete_soil_unit(uow, soil_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/registry/soil-units/{soil_id}/history", response_model=list[VersionPublic])
def soil_unit_history(soil_id: Id, uow: UowDep) -> list[VersionPublic]:
    return services.soil_unit_history(uow, soil_id)


# --- features, proximity, the map ----------

@router.get("/registry/features/{collection}/{feature_id}", response_model=FeaturePublic)
def get_feature(collection: CollectionId, feature_id: Id, uow: UowDep,
                as_of: AsOfQuery = None) -> FeaturePublic:
    """One feature as a GeoJSON Feature with public properties (the map's popups)."""
    return services.get_feature(uow, collection, feature_id, parse_as_of(as_of))


@router.get("/registry/nearby", response_model=list[FeatureRef])
def features_near(
    uow: UowDep, lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    radius_m: Annotated[float, Query(gt=0, le=100_000)] = 1000,
    collections: Annotated[str, Query(max_length=200)] = "production_units",
    kinds: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[FeatureRef]:
    """Features within a radius of a point (lon/lat), nearest first."""
    return services.features_near(uow, lon, lat, radius_m, parse_list(collections),
                                  parse_list(kinds), limit)


@router.get("/registry/communes-near", response_model=list[CommuneRef])
def communes_near(
    uow: UowDep, lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    radius_m: Annotated[float, Query(gt=0, le=100_000)] = 5000,
) -> list[CommuneRef]:
    """Communes within a radius of a point (0 m for the commune it lies in)."""
    return services.communes_near(uow, lon, lat, radius_m)


@router.get("/registry/communes/{commune_code}/features", response_model=list[FeatureRef])
def features_in_commune(
    commune_code: Annotated[str, Path(pattern=r"^\d{5}$")], uow: UowDep,
    collections: Annotated[str, Query(max_length=200)] = "production_units",
    kinds: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[FeatureRef]:
    return services.features_in_commune(uow, commune_code, parse_list(collections),
                                        parse_list(kinds), limit)


@router.get("/registry/map", response_model=MapData)
def map_data(
    uow: UowDep, bbox: Annotated[str, Query(max_length=200)],
    zoom: Annotated[int, Query(ge=0, le=22)],
    layers: Annotated[str, Query(max_length=300)] = ",".join(services.MAP_LAYERS),
    kind: Annotated[str | None, Query(max_length=300)] = None,
    commune_code: CommuneQuery = None,
    crop: Annotated[str | None, Query(pattern=CROP_CODE)] = None,
    q: TextQuery = None, status: StatusQuery = None, as_of: AsOfQuery = None,
    exclusive: Annotated[bool, Query(
        description="Mỗi đối tượng chỉ ở một lớp: mã số vùng trồng chỉ ở lớp planting_areas, "
                    "không ở production_units / each feature in one layer only: planting "
                    "areas in planting_areas, not in production_units")] = False,
) -> MapData:
    """What the map page shows in a view: features where few, else counts per grid cell."""
    box = cql.parse_bbox(bbox)
    query = FeatureQuery(kinds=parse_list(kind), commune_code=commune_code, crop=crop, text=q,
                         status=status, as_of=parse_as_of(as_of))
    return services.map_data(uow, box, zoom, parse_list(layers), query, exclusive)


# --- boundaries ----------

@router.get("/registry/boundaries")
def boundaries_geojson(
    uow: UowDep, province_code: Annotated[str, Query(pattern=r"^\d{2}$")] = "82",
) -> Response:
    """The province outline and its communes (GeoJSON): the offline basemap of the map."""
    body = services.boundaries_geojson(uow, province_code)
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/geo+json",
                    headers={"Cache-Control": "public, max-age=300"})


@router.post("/registry/boundaries/synthesize", response_model=BoundarySummary)
def synthesize_boundaries(
    uow: UowDep, province_code: Annotated[str, Query(pattern=r"^\d{2}$")],
) -> BoundarySummary:
    """Synthetic commune boundaries (Voronoi of official centres) where none exist."""
    return services.synthesize_boundaries(uow, province_code)


@router.post("/registry/boundaries/import", response_model=ImportReport)
async def import_boundaries(
    uow: UowDep, lang: LangDep, file: UploadFile,
    province_code: Annotated[str, Form(pattern=r"^\d{2}$")],
    source: Annotated[str, Form(min_length=1, max_length=300)],
) -> ImportReport:
    """Real commune boundaries (GeoJSON, KML/KMZ, zipped Shapefile) replace synthetic ones."""
    data = await file.read()
    return await run_in_threadpool(services.import_boundaries, uow, province_code,
                                   file.filename or "upload", data, source, lang)


# --- imports and exports ----------

@router.post("/registry/import", response_model=ImportReport)
async def import_features(
    uow: UowDep, lang: LangDep, file: UploadFile,
    collection: Annotated[Literal["production_units", "infrastructure", "soil_units"],
                          Form()] = "production_units",
    kind: Annotated[str | None, Form(max_length=30)] = None,
    only_valid: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> ImportReport:
    """Import a GeoJSON, KML/KMZ, zipped Shapefile, CSV or Excel file. A file with errors
    imports nothing (422 with every bad row) unless ``only_valid``."""
    data = await file.read()
    return await run_in_threadpool(
        lambda: services.import_features(uow, collection, file.filename or "upload", data,
                                         kind=kind, only_valid=only_valid, dry_run=dry_run,
                                         lang=lang))


def _download(export: ExportFile) -> Response:
    return Response(export.content, media_type=export.media_type, headers={
        "Content-Disposition": f'attachment; filename="{export.filename}"'})


@router.get("/registry/export/{collection}.{fmt}")
def export_features(
    collection: CollectionId, fmt: Literal["geojson", "csv", "xlsx"], uow: UowDep,
    bbox: BBoxQuery = None, kind: Annotated[str | None, Query(max_length=300)] = None,
    commune_code: CommuneQuery = None,
    crop: Annotated[str | None, Query(pattern=CROP_CODE)] = None, status: StatusQuery = None,
    q: TextQuery = None, as_of: AsOfQuery = None,
) -> Response:
    """A collection as GeoJSON, CSV or Excel (public data; personal data only for those
    allowed to see it)."""
    query = FeatureQuery(bbox=parse_bbox_param(bbox), kinds=parse_list(kind),
                         commune_code=commune_code, crop=crop, status=status, text=q,
                         as_of=parse_as_of(as_of))
    return _download(services.export_features(uow, collection, fmt, query))


@router.get("/registry/planting-area-codes.{fmt}")
def export_planting_areas(
    fmt: Literal["csv", "xlsx"], uow: UowDep, lang: LangDep, commune_code: CommuneQuery = None,
    crop: Annotated[str | None, Query(pattern=CROP_CODE)] = None, status: StatusQuery = None,
) -> Response:
    """The planting-area-code list in the plant protection office's layout: code, location,
    commune, crop, area (ha), owner, coordinates."""
    return _download(services.export_planting_areas(uow, fmt, commune_code, crop, status, lang))


@router.get("/registry/planting-area-rules", response_model=list[AreaRulePublic])
def list_area_rules(uow: UowDep) -> list[AreaRulePublic]:
    """Minimum area of a planting-area code per crop."""
    return services.list_area_rules(uow)


@router.put("/registry/planting-area-rules/{crop}", response_model=AreaRulePublic)
def set_area_rule(crop: Annotated[str, Path(pattern=CROP_CODE)], body: AreaRuleUpdate,
                  uow: UowDep) -> AreaRulePublic:
    return services.set_area_rule(uow, crop, body)
