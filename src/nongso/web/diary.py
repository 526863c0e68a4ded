"""Pages of the farm diary: the farmer's offline-first phone app (PWA), the co-operative's
view and the commune/province view."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError as PydanticError

from nongso.core.deps import PlatformDep, PrincipalDep, UowDep
from nongso.core.errors import ValidationFailed
from nongso.core.fields import Id
from nongso.core.http import page_language
from nongso.diary import services
from nongso.diary.schemas import (
    ActivityKind,
    BulkActivityCreate,
    BulkInputIn,
    QuantityError,
    parse_number,
)
from nongso.units import services as units
from nongso.web import nav
from nongso.web.render import check_csrf, render

# What a co-operative records for many plots at once (the bulk form).
BULK_KINDS = ("spraying", "fertilising", "irrigation", "scouting", "other")

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"

nav.register(nav.NavItem("/diary", "nav.diary", frozenset({"farmer"})))
nav.register(nav.NavItem("/diary/coop", "nav.diary_coop", frozenset({"coop_manager", "admin"})))
nav.register(nav.NavItem("/diary/area", "nav.diary_area", frozenset({
    "admin", "province_officer", "commune_officer", "inspector", "coop_manager", "buyer"})))


def _login(next_path: str) -> Response:
    return RedirectResponse(f"/login?next={next_path}", status_code=303)


@router.get("/diary")
def farmer_page(request: Request, principal: PrincipalDep) -> Response:
    """The farmer's diary: a shell that the service worker keeps for offline use; its data
    comes from /api/v1/diary/me and the offline queue in IndexedDB."""
    if not principal.is_authenticated:
        return _login("/diary")
    if principal.role == "coop_manager":
        return RedirectResponse("/diary/coop", status_code=303)
    if principal.role != "farmer":
        return RedirectResponse("/diary/area", status_code=303)
    return render(request, "diary/farmer.html", {}, principal=principal)


@router.get("/diary/sw.js")
def service_worker() -> Response:
    return FileResponse(STATIC / "js" / "diary-sw.js", media_type="text/javascript",
                        headers={"Service-Worker-Allowed": "/diary", "Cache-Control": "no-cache"})


@router.get("/diary/manifest.webmanifest")
def manifest(request: Request) -> Response:
    lang = page_language(request)
    import json

    body = {
        "name": "Nông Số — Nhật ký sản xuất" if lang == "vi" else "Nông Số — Farm diary",
        "short_name": "Nhật ký", "start_url": "/diary", "scope": "/diary", "display":
        "standalone", "background_color": "#f6f8f4", "theme_color": "#2e7d32", "lang": lang,
        "icons": [{"src": "/static/img/diary-icon.svg", "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"}],
    }
    return Response(json.dumps(body, ensure_ascii=False),
                    media_type="application/manifest+json")


@router.get("/diary/coop")
def coop_page(request: Request, uow: UowDep, principal: PrincipalDep, platform: PlatformDep,
              season: Annotated[str | None, Query(pattern=r"^[a-z_]+:\d{4}(-\d{4})?$")] = None,
              organisation_id: int | None = None) -> Response:
    if not principal.is_authenticated:
        return _login("/diary/coop")
    lang = page_language(request)
    keys = services.season_keys(uow, page_language(request))
    org_id = organisation_id or principal.organisation_id
    summary = None
    if org_id is not None and (season or keys):
        summary = services.coop_summary(uow, org_id, season or keys[0][0], lang)
    inputs = services.farmer_inputs(uow) if summary is not None else []
    dealers = services.input_dealers(uow, platform.settings.province_code) \
        if summary is not None else []
    return render(request, "diary/coop.html", {
        "summary": summary, "keys": keys, "season": season or (keys[0][0] if keys else None),
        "bulk_kinds": services.activity_kind_labels(BULK_KINDS, lang),
        "org_id": org_id, "inputs": inputs, "dealers": dealers,
        "done": request.query_params.get("done"),
        "bought": request.query_params.get("bought")},
        principal=principal)


@router.post("/diary/coop/bulk")
def coop_bulk(request: Request, uow: UowDep, principal: PrincipalDep,
              csrf: Annotated[str, Form(max_length=100)],
              kind: Annotated[ActivityKind, Form()],
              day: Annotated[dt.date, Form()], plot_ids: Annotated[list[int], Form()],
              season: Annotated[str, Form(max_length=40)] = "",
              input_id: Annotated[int | None, Form()] = None,
              quantity_per_ha: Annotated[str, Form(max_length=20)] = "",
              unit: Annotated[str, Form(max_length=10)] = "kg",
              notes: Annotated[str, Form(max_length=2000)] = "",
              batch: Annotated[str, Form(max_length=36)] = "") -> Response:
    """The co-op records one activity on the ticked member plots (farmers confirm)."""
    check_csrf(request, csrf)
    try:
        rate = parse_number(quantity_per_ha) if quantity_per_ha.strip() else None
    except QuantityError as exc:
        raise ValidationFailed(exc.message_vi, exc.message_en) from exc
    try:
        body = BulkActivityCreate(
            client_uuid=uuid.UUID(batch) if batch else uuid.uuid4(), plot_ids=plot_ids,
            kind=kind, at=dt.datetime.combine(day, dt.time(7, 0)), notes=notes or None,
            inputs=[BulkInputIn(input_id=input_id, quantity_per_ha=rate, unit=unit)]
            if input_id is not None and rate is not None else [])
    except (PydanticError, ValueError) as exc:
        raise ValidationFailed("Dữ liệu không hợp lệ (số lượng, đơn vị hoặc thửa).",
                               "Invalid data (quantity, unit or plots).") from exc
    result = services.bulk_record(uow, body)
    return RedirectResponse(f"/diary/coop?season={season}&done={result.created}",
                            status_code=303)


@router.post("/diary/coop/purchase")
def coop_purchase(request: Request, uow: UowDep, principal: PrincipalDep,
                  csrf: Annotated[str, Form(max_length=100)],
                  input_id: Annotated[int, Form()], dealer_id: Annotated[int, Form()],
                  purchased_on: Annotated[dt.date, Form()],
                  quantity: Annotated[str, Form(max_length=20)],
                  unit: Annotated[str, Form(max_length=10)],
                  lot: Annotated[str, Form(max_length=50)] = "",
                  season: Annotated[str, Form(max_length=40)] = "") -> Response:
    """The co-op records inputs bought from a registry input dealer (with the lot)."""
    from nongso.diary.schemas import PurchaseCreate

    check_csrf(request, csrf)
    try:
        amount = parse_number(quantity)
        body = PurchaseCreate(input_id=input_id, dealer_organisation_id=dealer_id,
                              purchased_on=purchased_on, quantity=amount, unit=unit,
                              lot=lot or None)
    except (QuantityError, PydanticError, ValueError) as exc:
        raise ValidationFailed("Số lượng không hợp lệ.", "Invalid quantity.") from exc
    services.create_purchase(uow, body)
    return RedirectResponse(f"/diary/coop?season={season}&bought=1", status_code=303)


@router.post("/diary/import")
async def import_upload(request: Request, uow: UowDep, principal: PrincipalDep,
                        csrf: Annotated[str, Form(max_length=100)],
                        file: Annotated[UploadFile, File()],
                        mode: Annotated[str, Form(pattern="^(all|partial)$")] = "all",
                        ) -> Response:
    """Upload an Excel diary from the co-op page; the result page lists errors by row."""
    check_csrf(request, csrf)
    lang = page_language(request)
    content = await file.read(services.MAX_IMPORT_BYTES + 1)
    try:
        report = services.import_activities(uow, content, file.filename or "import.xlsx",
                                            mode, False, lang)
    except ValidationFailed as exc:
        return render(request, "diary/import.html", {
            "report": None, "message": exc.message(lang),
            "errors": [e.as_dict(lang)["message"] for e in exc.errors]},
            status=422, principal=principal)
    return render(request, "diary/import.html", {"report": report, "message": None,
                                                 "errors": [e.message for e in report.errors]},
                  principal=principal)


@router.get("/diary/area")
def area_page(request: Request, uow: UowDep, principal: PrincipalDep, platform: PlatformDep,
              season: Annotated[str | None, Query(pattern=r"^[a-z_]+:\d{4}(-\d{4})?$")] = None,
              unit: Annotated[str | None, Query(pattern=r"^\d{2}(\d{3})?$")] = None,
              ) -> Response:
    if not principal.is_authenticated:
        return _login("/diary/area")
    lang = page_language(request)
    keys = services.season_keys(uow, page_language(request))
    code = unit or (principal.unit_code if principal.role == "commune_officer" else None) \
        or platform.settings.province_code
    result = services.area_aggregate(uow, code, season, lang)
    flagged = services.flagged_seasons(uow, code, season)
    names = {c.code: c.name for c in units.communes_of_province(
        uow, platform.settings.province_code)}
    return render(request, "diary/area.html", {"result": result, "keys": keys,
                                               "season": season, "unit": code,
                                               "flagged": flagged, "commune_names": names},
                  principal=principal)


@router.get("/diary/seasons/{season_id}")
def season_page(season_id: Id, request: Request, uow: UowDep, principal: PrincipalDep
                ) -> Response:
    if not principal.is_authenticated:
        return _login(f"/diary/seasons/{season_id}")
    lang = page_language(request)
    report = services.season_report(uow, season_id, lang)
    from nongso.core.pagination import PageRequest

    acts = services.list_activities(uow, PageRequest(500, 0), season_id=season_id, lang=lang)
    return render(request, "diary/season.html", {"report": report, "activities": acts},
                  principal=principal)
