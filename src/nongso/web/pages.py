"""Server-rendered pages of the web shell: home, log in/out, language, units, audit."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nongso.accounts import services as accounts
from nongso.alerts import services as alerts
from nongso.core.deps import SESSION_KEY, PageDep, PlatformDep, PrincipalDep, UowDep
from nongso.core.errors import AppError, TooManyRequests, Unauthorized
from nongso.core.http import client_address, page_language
from nongso.core.i18n import LANGUAGES, translate
from nongso.core.pagination import PageRequest
from nongso.core.permissions import ANONYMOUS
from nongso.registry import services as registry
from nongso.units import services as units
from nongso.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after log-in or a language switch."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/", response_class=HTMLResponse)
def home(request: Request, uow: UowDep, platform: PlatformDep, principal: PrincipalDep) -> Response:
    code = platform.settings.province_code
    summary = registry.province_summary(uow, code)
    province = units.get_unit(uow, code)
    # Today's situation: the open warnings (public information) and the stations' states,
    # composed here from the alerts' services.
    open_alerts = alerts.list_alerts(uow, PageRequest(limit=5, offset=0), status="open")
    stations: dict[str, int] = {}
    for st in alerts.stations_with_status(uow):
        stations[st.status] = stations.get(st.status, 0) + 1
    return render(request, "home.html", {"summary": summary, "province": province,
                                         "open_alerts": open_alerts, "stations": stations},
                  principal=principal)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    uow: UowDep,
    platform: PlatformDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    lang = page_language(request)
    check_csrf(request, csrf)
    ip = client_address(request, platform.settings.trusted_proxies)
    try:
        principal = accounts.login(uow.as_principal(ANONYMOUS), username, password, ip)
    except (Unauthorized, TooManyRequests) as exc:
        return render(
            request, "login.html",
            {"next": _safe_next(next), "error": exc.message(lang), "username": username},
            status=exc.status,
        )
    sid = accounts.start_session(uow.as_principal(ANONYMOUS), principal, ip)
    request.session.clear()  # a new session and a new CSRF token after logging in
    request.session[SESSION_KEY] = sid
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, platform: PlatformDep,
           csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf)
    sid = request.session.get(SESSION_KEY)
    if isinstance(sid, str):
        accounts.end_session(platform.uow(ANONYMOUS), sid)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/units", response_class=HTMLResponse)
def units_page(request: Request, uow: UowDep, page: PageDep, principal: PrincipalDep,
               q: str | None = None) -> Response:
    result = units.search_units(uow, page, q=q, level=None if q else "province")
    return render(request, "units.html", {"page": result, "q": q}, principal=principal)


@router.get("/units/{code}", response_class=HTMLResponse)
def unit_page(code: str, request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    return render(request, "unit.html", {"unit": units.get_unit(uow, code)}, principal=principal)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, uow: UowDep, page: PageDep, principal: PrincipalDep) -> Response:
    if not principal.is_authenticated:
        return RedirectResponse("/login?next=/audit", status_code=303)
    return render(request, "audit.html", {"page": accounts.list_audit(uow, page)},
                  principal=principal)


def error_page(request: Request, exc: AppError) -> Response:
    lang = page_language(request)
    return render(
        request, "error.html",
        {"title": exc.title(lang) or translate("error.title", lang), "message": exc.message(lang)},
        status=exc.status,
    )
