"""Pages of alerts: the list (in-app delivery for farmers, co-ops and communes) and one
alert with its CAP message; officers acknowledge and clear from here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nongso.alerts import services
from nongso.alerts.schemas import CROPS, crop_name
from nongso.core import i18n
from nongso.core.deps import PageDep, PlatformDep, PrincipalDep, UowDep
from nongso.core.fields import Id
from nongso.core.http import page_language
from nongso.units import services as units
from nongso.web.nav import NavItem, register
from nongso.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
register(NavItem("/alerts", "nav.alerts"))


STATES = ("open", "raised", "acknowledged", "cleared", "all")
SEVERITIES = ("extreme", "severe", "moderate", "minor", "info")
SHOWN_COMMUNES = 10


def _place_names(codes: list[str], names: dict[str, str], lang: str) -> dict[str, Any]:
    """The communes of an alert by name: all of them when few, else the first ones and the
    rest folded away; "the whole province" when it covers every commune."""
    named = sorted((names.get(c, c) for c in codes), key=i18n.fold)
    return {"all": named, "head": named[:SHOWN_COMMUNES], "rest": named[SHOWN_COMMUNES:],
            "province": bool(names) and set(codes) >= set(names),
            "codes": {names.get(c, c): c for c in codes}}


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, uow: UowDep, page: PageDep, principal: PrincipalDep,
                platform: PlatformDep, status: str = "open", mine: bool = False,
                commune_code: str | None = None, crop: str | None = None,
                severity: str | None = None) -> Response:
    """The alerts, filtered on the server (commune, crop, severity, state: a plain GET form
    that works without JavaScript), with a map of where they are."""
    lang = page_language(request)
    status = status if status in STATES else "open"
    severity = severity if severity in SEVERITIES else None
    communes = units.communes_of_province(uow, platform.settings.province_code)
    names = {c.code: c.name for c in communes}
    commune_code = commune_code if commune_code in names else None
    crops = {c: crop_name(c, lang) for c in CROPS}
    crop = crop if crop in crops else None
    result = services.list_alerts(uow, page, status=None if status == "all" else status,
                                  mine=mine and principal.is_authenticated,
                                  commune_code=commune_code, crop=crop, severity=severity)
    places = {a.id: _place_names(a.communes, names, lang) for a in result.items}
    points = [{"id": a.id, "lat": a.lat, "lon": a.lon, "radius_km": a.radius_km,
               "severity": a.severity,
               "severity_label": i18n.translate(f"alerts.severity.{a.severity}", lang),
               "headline": a.headline_vi if lang == "vi" else a.headline_en}
              for a in result.items if a.lat is not None and a.lon is not None]
    query = {k: v for k, v in (("status", status), ("commune_code", commune_code),
                               ("crop", crop), ("severity", severity),
                               ("mine", "true" if mine else None)) if v}
    return render(request, "alerts/list.html", {
        "page": result, "status": status, "mine": mine, "crop_names": crops,
        "communes": sorted(communes, key=lambda c: i18n.fold(c.name)),
        "commune_code": commune_code, "crop": crop, "severity": severity,
        "severities": SEVERITIES, "states": STATES, "places": places, "points": points,
        "query": query}, principal=principal)


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: Id, request: Request, uow: UowDep, principal: PrincipalDep,
               platform: PlatformDep) -> Response:
    alert = services.get_alert(uow, alert_id)
    lang = page_language(request)
    names = {c.code: c.name for c in units.communes_of_province(
        uow, alert.province_code or platform.settings.province_code)}
    crops_at_risk = services.crops_at_risk(uow, alert_id)
    return render(request, "alerts/detail.html", {
        "a": alert, "crops": [crop_name(c, lang) for c in alert.crops],
        "places": _place_names(alert.communes, names, lang),
        "crops_at_risk": crops_at_risk}, principal=principal)


@router.post("/alerts/{alert_id}/{action}")
def alert_action(alert_id: Id, action: str, request: Request, uow: UowDep,
                 csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf)
    if action == "acknowledge":
        services.acknowledge(uow, alert_id)
    elif action == "clear":
        services.clear(uow, alert_id)
    else:
        return RedirectResponse(f"/alerts/{alert_id}", status_code=303)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)
