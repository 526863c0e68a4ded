"""Web pages of the registry: the digital map (``/map``) and a feature's record page."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from nongso.core.deps import PlatformDep, PrincipalDep, UowDep
from nongso.core.errors import AppError
from nongso.core.fields import Id
from nongso.core.http import page_language
from nongso.core.i18n import translate
from nongso.monitor import services as monitor
from nongso.registry import services
from nongso.registry.services import (
    BUSINESS_KINDS,
    COLLECTIONS,
    CROP_LABELS,
    FLAG_LABELS,
    INFRASTRUCTURE_KINDS,
    KIND_LABELS,
    PRODUCER_ORGANISATION_KINDS,
    SALINITY_LABELS,
    SOIL_TYPES,
    STATION_LABELS,
    STATUS_LABELS,
    UNIT_KINDS,
    get_collection,
    label,
    property_rows,
)
from nongso.remote.schemas import messages as remote_messages
from nongso.units import services as units
from nongso.web import basemap, nav
from nongso.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
nav.register(nav.NavItem("/map", "nav.map"), before="/units")

LAYERS: list[tuple[str, bool]] = [
    ("production_units", True), ("planting_areas", True), ("organisations", True),
    ("businesses", True), ("infrastructure", True), ("soil_units", False),
]
# One colour per kind (legend and styles), chosen to be told apart on a phone screen.
COLOURS: dict[str, str] = {
    "field_block": "#8bc34a", "dyke_ring": "#5d4037", "plot": "#cddc39", "planting_area": "#ff9800",
    "orchard": "#43a047", "livestock_farm": "#ad1457", "aquaculture": "#0288d1",
    "raw_material_area": "#7e57c2", "cooperative": "#2e7d32", "coop_group": "#66bb6a",
    "farmer_club": "#00897b", "company": "#6d4c41", "input_dealer": "#e53935",
    "processor": "#8e24aa", "buyer": "#3949ab", "exporter": "#1e88e5",
    "pumping_station": "#00acc1", "sluice": "#546e7a", "dyke_segment": "#795548",
    "monitoring_station": "#d81b60", "alluvial": "#a1887f", "acid_sulphate": "#fbc02d",
    "saline": "#4fc3f7", "sandy_ridge": "#ffe082", "peat": "#4e342e",
}
LAYER_KINDS: dict[str, tuple[str, ...]] = {
    # Planting areas are the planting-area layer's only (services.MAP_LAYER_KINDS).
    "production_units": services.MAP_LAYER_KINDS["production_units"],
    "planting_areas": ("planting_area",),
    "organisations": PRODUCER_ORGANISATION_KINDS, "businesses": BUSINESS_KINDS,
    "infrastructure": INFRASTRUCTURE_KINDS, "soil_units": SOIL_TYPES,
}
MAP_CROPS = ("rice", "mango", "durian", "pomelo", "longan", "dragon_fruit", "coconut",
             "pangasius", "giant_prawn", "whiteleg_shrimp", "black_tiger_shrimp", "pig",
             "cattle", "duck")


def _labels(lang: str) -> dict[str, Any]:
    return {
        "kinds": {k: label(KIND_LABELS, k, lang) for k in KIND_LABELS},
        "crops": {k: label(CROP_LABELS, k, lang) for k in CROP_LABELS},
        "statuses": {k: label(STATUS_LABELS, k, lang) for k in STATUS_LABELS},
        "stations": {k: label(STATION_LABELS, k, lang) for k in STATION_LABELS},
        "salinity": {k: label(SALINITY_LABELS, k, lang) for k in SALINITY_LABELS},
        "flags": {k: label(FLAG_LABELS, k, lang) for k in FLAG_LABELS},
        "layers": {k: translate(f"map.layer.{k}", lang) for k, _ in LAYERS},
        "text": {k: translate(f"map.{k}", lang) for k in (
            "shown", "clustered", "record", "loading", "commune", "crop", "kind")},
        "fields": {
            "code": "Mã" if lang == "vi" else "Code",
            "area_ha": "Diện tích (ha)" if lang == "vi" else "Area (ha)",
            "status": "Trạng thái" if lang == "vi" else "Status",
            "organisation": "Tổ chức" if lang == "vi" else "Organisation",
            "flags": "Cảnh báo" if lang == "vi" else "Warnings",
            "variety": "Giống" if lang == "vi" else "Variety",
            "valid_to": "Hiệu lực đến" if lang == "vi" else "Valid until",
            "river": "Sông" if lang == "vi" else "River",
            "licence": "Giấy phép" if lang == "vi" else "Licence",
            "ph": "pH",
        },
    }


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, uow: UowDep, platform: PlatformDep,
             principal: PrincipalDep) -> Response:
    lang = page_language(request)
    province = platform.settings.province_code
    communes = units.communes_of_province(uow, province)
    tiles = basemap.config(platform.settings)
    config = {
        "province": province,
        "lang": lang,
        "layers": [{"id": k, "on": on} for k, on in LAYERS],
        "layerKinds": LAYER_KINDS,
        "colours": COLOURS,
        "labels": _labels(lang),
        "polygonZoom": services.MAP_POLYGON_ZOOM,
        "basemap": tiles,
    }
    return render(request, "registry/map.html", {
        "config": config, "pmtiles": tiles and tiles["pmtiles"],
        "communes": communes, "layers": LAYERS, "layer_kinds": LAYER_KINDS, "colours": COLOURS,
        "crops": [(c, label(CROP_LABELS, c, lang)) for c in MAP_CROPS],
        "kind_label": lambda k: label(KIND_LABELS, k, lang),
    }, principal=principal)


@router.get("/registry/{collection}/{feature_id}", response_class=HTMLResponse)
def record_page(
    collection: Annotated[str, Path(max_length=40)], feature_id: Id, request: Request,
    uow: UowDep, principal: PrincipalDep,
) -> Response:
    lang = page_language(request)
    coll = get_collection(collection)
    feature = services.get_feature(uow, coll.id, feature_id)
    flags: list[dict[str, str]] = []
    history: list[Any] = []
    sensors: list[Any] | None = None
    if coll.id in ("production_units", "planting_areas"):
        unit = services.get_production_unit(uow, feature_id)
        flags = [{"code": f.code, "message": f.message_vi if lang == "vi" else f.message_en}
                 for f in unit.flags]
        history = services.production_unit_history(uow, feature_id)
    elif coll.id == "infrastructure":
        history = services.infrastructure_history(uow, feature_id)
        if feature.properties.get("kind") == "monitoring_station":
            # The sensors linked to the station: this page composes the two domains' services
            # (the registry never reads monitoring's tables).
            sensors = monitor.things_of_registry_feature(uow, feature_id)
    elif coll.id == "soil_units":
        history = services.soil_unit_history(uow, feature_id)
    elif coll.id in ("organisations", "businesses"):
        history = services.organisation_history(uow, feature_id)
    remote_field, remote_curve = _remote_curve(uow, coll.id, feature_id, lang)
    props = feature.properties
    kind = props.get("kind") or props.get("soil_type") or props.get("level")
    return render(request, "registry/record.html", {
        "remote_field": remote_field, "remote_curve": remote_curve,
        "season_label": lambda k: remote_messages.season_label(k, lang),
        "note_label": lambda k: remote_messages.label(remote_messages.NOTE_LABELS, k, lang),
        "coll": coll, "feature": feature, "flags": flags, "history": history, "sensors": sensors,
        "rows": property_rows(props, lang),
        "kind": label(KIND_LABELS, kind, lang), "collections": COLLECTIONS,
        "crop": label(CROP_LABELS, props.get("crop"), lang),
        "status": label(STATUS_LABELS, props.get("status"), lang),
        "geojson": json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": feature.geometry, "properties": {}}]}),
    }, principal=principal)


def _remote_curve(uow: Any, collection: str, feature_id: int, lang: str
                  ) -> tuple[Any, dict[str, Any] | None]:
    """A field's remote-sensing curve for its record (this page composes the two domains'
    services), when the field has one and the reader may see it."""
    from nongso.core.errors import AppError
    from nongso.remote import services as remote
    from nongso.web.remote import curve_context

    if collection != "production_units":
        return None, None
    try:
        field = remote.field_remote(uow, feature_id)
    except AppError:
        return None, None
    if not field.vh and not field.ndvi:
        return None, None
    return field, curve_context(field, lang)


IMPORT_ROLES = frozenset({"admin", "province_officer", "commune_officer", "coop_manager"})
nav.register(nav.NavItem("/registry/import", "nav.registry_import", IMPORT_ROLES),
             before="/units")


def _import_page(request: Request, principal: Any, report: Any = None, error: str | None = None,
                 errors: list[dict[str, Any]] | None = None, status: int = 200) -> Response:
    lang = page_language(request)
    kinds = [(k, label(KIND_LABELS, k, lang)) for k in (*UNIT_KINDS, *INFRASTRUCTURE_KINDS)]
    return render(request, "registry/import.html", {
        "report": report, "error": error, "errors": errors or [], "kinds": kinds,
    }, status=status, principal=principal)


@router.get("/registry/import", response_class=HTMLResponse)
def import_form(request: Request, principal: PrincipalDep) -> Response:
    if not principal.is_authenticated:
        return RedirectResponse("/login?next=/registry/import", status_code=303)
    return _import_page(request, principal)


@router.post("/registry/import", response_class=HTMLResponse)
async def import_upload(
    request: Request, uow: UowDep, principal: PrincipalDep, file: UploadFile,
    csrf: Annotated[str, Form(max_length=100)] = "",
    collection: Annotated[str, Form(max_length=30)] = "production_units",
    kind: Annotated[str, Form(max_length=30)] = "",
    only_valid: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    check_csrf(request, csrf)
    lang = page_language(request)
    data = await file.read()
    try:
        report = await run_in_threadpool(
            lambda: services.import_features(
                uow, collection, file.filename or "upload", data, kind=kind or None,
                only_valid=only_valid, dry_run=dry_run, lang=lang))
    except services.ImportRefused as exc:
        rows = [{"loc": e.loc, "message": e.message_vi if lang == "vi" else e.message_en}
                for e in exc.errors]
        return _import_page(request, principal, error=exc.message(lang), errors=rows,
                            status=exc.status)
    except AppError as exc:
        return _import_page(request, principal, error=exc.message(lang), status=exc.status)
    return _import_page(request, principal, report=report)
