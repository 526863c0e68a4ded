"""Pages of remote sensing: rice by commune, the differences to check, a field's curves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nongso.core.deps import PlatformDep, PrincipalDep, UowDep
from nongso.core.fields import Id
from nongso.core.http import page_language
from nongso.core.pagination import PageRequest
from nongso.remote import services as remote
from nongso.remote.schemas import DecisionIn, messages
from nongso.web.nav import NavItem, register
from nongso.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
register(NavItem("/remote", "nav.remote",
                 frozenset({"admin", "province_officer", "commune_officer", "inspector"})))


def curve_context(field: Any, lang: str) -> dict[str, Any]:
    """What the chart script needs (numbers, dates and the catalogue's labels only)."""
    return {
        "vh": [[p.date.isoformat(), p.value] for p in field.vh if p.value is not None],
        "ndvi": [[p.date.isoformat(), p.value] for p in field.ndvi
                 if p.value is not None and p.valid_share >= 0.5],
        "seasons": [{"sowing": s.sowing.isoformat(), "heading": s.heading.isoformat(),
                     "harvest": s.harvest.isoformat() if s.harvest else None,
                     "label": messages.season_label(s.season_key, lang)}
                    for s in field.seasons],
        "labels": {"vh": "VH (dB)", "ndvi": "NDVI"},
    }


@router.get("/remote", response_class=HTMLResponse)
def remote_page(
    request: Request, uow: UowDep, principal: PrincipalDep, platform: PlatformDep,
    commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> Response:
    lang = page_language(request)
    if commune is None and principal.role == "commune_officer":
        commune = principal.unit_code
    province = (principal.unit_code if principal.role in ("province_officer", "inspector")
                else None) or platform.settings.province_code
    overview = remote.commune_rice(uow, commune or province)
    fields, diffs = [], None
    if commune:
        fields = remote.commune_fields(uow, commune)
        diffs = remote.list_discrepancies(uow, commune, PageRequest(200, 0), lang=lang)
    scenes = remote.list_scenes(uow, PageRequest(1, 0))
    return render(request, "remote/index.html", {
        "overview": overview, "commune": commune, "fields": fields, "diffs": diffs,
        "scenes_total": scenes.total, "latest": scenes.items[0] if scenes.items else None,
        "season_label": lambda k: messages.season_label(k, lang),
        "note_label": lambda k: messages.label(messages.NOTE_LABELS, k, lang),
        "status_label": lambda k: messages.label(messages.STATUS_LABELS, k, lang),
    }, principal=principal)


@router.post("/remote/discrepancies/{discrepancy_id}")
def decide(
    discrepancy_id: Id, request: Request, uow: UowDep,
    csrf: Annotated[str, Form()],
    decision: Annotated[str, Form(pattern="^(accepted|rejected|open)$")],
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    check_csrf(request, csrf)
    lang = page_language(request)
    done = remote.decide(uow, discrepancy_id, DecisionIn(
        decision=decision, note=note or None), lang)
    return RedirectResponse(f"/remote?commune={done.commune_code}#d-{done.id}", status_code=303)


@router.get("/remote/fields/{field_id}", response_class=HTMLResponse)
def field_page(field_id: Id, request: Request, uow: UowDep,
               principal: PrincipalDep) -> Response:
    lang = page_language(request)
    field = remote.field_remote(uow, field_id)
    return render(request, "remote/field.html", {
        "field": field, "curve": curve_context(field, lang),
        "season_label": lambda k: messages.season_label(k, lang),
        "note_label": lambda k: messages.label(messages.NOTE_LABELS, k, lang),
    }, principal=principal)
