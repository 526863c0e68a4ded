"""HTTP adapter of remote sensing: scenes, runs, zonal statistics, curves, reconciliation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from nongso.core.deps import LangDep, PageDep, UowDep
from nongso.core.fields import Id
from nongso.core.pagination import Page
from nongso.remote import services
from nongso.remote.schemas import (
    AcceptedValue,
    CommuneRice,
    DecisionIn,
    DiscrepancyPublic,
    FieldRemote,
    IngestReport,
    IngestRequest,
    PhenologyReport,
    ReconcileReport,
    ReduceReport,
    ScenePublic,
    ZonalRequest,
    ZonalResponse,
)

router = APIRouter(prefix="/remote", tags=["remote sensing"])
UnitCode = Annotated[str, Query(pattern=r"^(\d{2}|\d{5})$")]
Province = Annotated[str | None, Query(pattern=r"^\d{2}$")]


@router.get("/scenes", response_model=Page[ScenePublic])
def list_scenes(
    uow: UowDep, page: PageDep,
    status: Annotated[str | None, Query(pattern="^(registered|reduced|empty)$")] = None,
    sensor: Annotated[str | None, Query(pattern="^(s1|s2)$")] = None,
) -> Page[ScenePublic]:
    """Registered scenes (COGs), newest first."""
    return services.list_scenes(uow, page, status=status, sensor=sensor)


@router.get("/scenes/{scene_id}", response_model=ScenePublic)
def get_scene(scene_id: Id, uow: UowDep) -> ScenePublic:
    return services.get_scene(uow, scene_id)


@router.post("/ingest", response_model=IngestReport)
def ingest(data: IngestRequest, uow: UowDep, lang: LangDep) -> IngestReport:
    """Register the new scenes of a source (``local``: a folder under ``<var>/remote``)."""
    return services.ingest(uow, data.source, data.location, lang, confined=True)


@router.post("/reduce", response_model=ReduceReport)
def reduce(uow: UowDep, province_code: Province = None) -> ReduceReport:
    """Zonal statistics of the scenes not reduced yet, over the fields and communes."""
    return services.reduce_new_scenes(uow, province_code)


@router.post("/phenology", response_model=PhenologyReport)
def phenology(uow: UowDep, province_code: Province = None) -> PhenologyReport:
    """Sowing, heading, harvest, seasons and rice or not, per field."""
    return services.compute_phenology(uow, province_code)


@router.post("/reconcile", response_model=ReconcileReport)
def reconcile(uow: UowDep, province_code: Province = None) -> ReconcileReport:
    """Compare remote sensing with the diaries and the registry."""
    return services.reconcile_province(uow, province_code)


@router.post("/zonal", response_model=ZonalResponse)
def zonal(data: ZonalRequest, uow: UowDep) -> ZonalResponse:
    """Zonal statistics of a scene over your own polygons (GeoJSON, lon/lat)."""
    return services.zonal_for_polygons(uow, data)


@router.get("/fields/{field_id}", response_model=FieldRemote)
def field_curves(field_id: Id, uow: UowDep) -> FieldRemote:
    """A field's VH and NDVI curves and detected seasons."""
    return services.field_remote(uow, field_id)


@router.get("/rice", response_model=list[CommuneRice])
def rice(uow: UowDep, unit_code: UnitCode) -> list[CommuneRice]:
    """Rice fields and area seen per commune of a province (2 digits) or one commune."""
    return services.commune_rice(uow, unit_code)


@router.get("/discrepancies", response_model=Page[DiscrepancyPublic])
def discrepancies(
    uow: UowDep, page: PageDep, lang: LangDep, unit_code: UnitCode,
    status: Annotated[str | None, Query(pattern="^(open|accepted|rejected)$")] = None,
) -> Page[DiscrepancyPublic]:
    """Differences between remote sensing and the declarations, to check."""
    return services.list_discrepancies(uow, unit_code, page, status=status, lang=lang)


@router.post("/discrepancies/{discrepancy_id}/decision", response_model=DiscrepancyPublic)
def decide(discrepancy_id: Id, data: DecisionIn, uow: UowDep,
           lang: LangDep) -> DiscrepancyPublic:
    """Accept the remote-sensing value, keep the declared one (reject), or reopen."""
    return services.decide(uow, discrepancy_id, data, lang)


@router.get("/accepted-values", response_model=list[AcceptedValue])
def accepted_values(
    uow: UowDep, unit_code: UnitCode,
    season_key: Annotated[str | None, Query(max_length=40)] = None,
) -> list[AcceptedValue]:
    """Checked values for the statistics (rice area sown, rice fields) per commune, season."""
    return services.accepted_values(uow, unit_code, season_key)
