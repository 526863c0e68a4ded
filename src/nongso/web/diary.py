"""Pages of the farm diary: the farmer's offline-first phone app (PWA), the co-operative's
view and the commune/province view."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from nongso.core.deps import PlatformDep, PrincipalDep, UowDep
from nongso.core.http import page_language
from nongso.diary import (
    messages,  # noqa: F401  (registers the messages)
    services,
)
from nongso.web import nav
from nongso.web.render import render

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
def coop_page(request: Request, uow: UowDep, principal: PrincipalDep,
              season: Annotated[str | None, Query(pattern=r"^[a-z_]+:\d{4}(-\d{4})?$")] = None,
              organisation_id: int | None = None) -> Response:
    if not principal.is_authenticated:
        return _login("/diary/coop")
    lang = page_language(request)
    keys = services.season_keys(uow)
    org_id = organisation_id or principal.organisation_id
    summary = None
    if org_id is not None and (season or keys):
        summary = services.coop_summary(uow, org_id, season or keys[0][0], lang)
    return render(request, "diary/coop.html", {"summary": summary, "keys": keys,
                                               "season": season or (keys[0][0] if keys else None),
                                               "org_id": org_id}, principal=principal)


@router.get("/diary/area")
def area_page(request: Request, uow: UowDep, principal: PrincipalDep, platform: PlatformDep,
              season: Annotated[str | None, Query(pattern=r"^[a-z_]+:\d{4}(-\d{4})?$")] = None,
              unit: Annotated[str | None, Query(pattern=r"^\d{2}(\d{3})?$")] = None,
              ) -> Response:
    if not principal.is_authenticated:
        return _login("/diary/area")
    lang = page_language(request)
    keys = services.season_keys(uow)
    code = unit or (principal.unit_code if principal.role == "commune_officer" else None) \
        or platform.settings.province_code
    result = services.area_aggregate(uow, code, season, lang)
    return render(request, "diary/area.html", {"result": result, "keys": keys,
                                               "season": season, "unit": code},
                  principal=principal)


@router.get("/diary/seasons/{season_id}")
def season_page(season_id: int, request: Request, uow: UowDep, principal: PrincipalDep
                ) -> Response:
    if not principal.is_authenticated:
        return _login(f"/diary/seasons/{season_id}")
    lang = page_language(request)
    report = services.season_report(uow, season_id, lang)
    from nongso.core.pagination import PageRequest

    acts = services.list_activities(uow, PageRequest(500, 0), season_id=season_id, lang=lang)
    return render(request, "diary/season.html", {"report": report, "activities": acts},
                  principal=principal)
