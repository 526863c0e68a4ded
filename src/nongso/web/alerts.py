"""Pages of alerts: the list (in-app delivery for farmers, co-ops and communes) and one
alert with its CAP message; officers acknowledge and clear from here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nongso.alerts import services
from nongso.alerts.schemas import crop_name
from nongso.core.deps import PageDep, PlatformDep, PrincipalDep, UowDep
from nongso.core.fields import Id
from nongso.core.http import page_language
from nongso.units import services as units
from nongso.web.nav import NavItem, register
from nongso.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
register(NavItem("/alerts", "nav.alerts"))


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, uow: UowDep, page: PageDep, principal: PrincipalDep,
                status: str = "open", mine: bool = False,
                commune_code: str | None = None) -> Response:
    status = status if status in ("open", "cleared", "all") else "open"
    result = services.list_alerts(uow, page, status=None if status == "all" else status,
                                  mine=mine and principal.is_authenticated,
                                  commune_code=commune_code or None)
    lang = page_language(request)
    return render(request, "alerts/list.html",
                  {"page": result, "status": status, "mine": mine,
                   "crops": {c: crop_name(c, lang) for a in result.items for c in a.crops}},
                  principal=principal)


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: Id, request: Request, uow: UowDep, principal: PrincipalDep,
               platform: PlatformDep) -> Response:
    alert = services.get_alert(uow, alert_id)
    lang = page_language(request)
    names = {c.code: c.name for c in units.communes_of_province(
        uow, alert.province_code or platform.settings.province_code)}
    return render(request, "alerts/detail.html", {
        "a": alert, "crops": [crop_name(c, lang) for c in alert.crops],
        "communes": [names.get(c, c) for c in alert.communes]}, principal=principal)


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
