"""Pages of the statistics: the province dashboard, a commune's page, the pivot table, data
entry and approval, reports, imports and data quality."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nongso.core.deps import PlatformDep, PrincipalDep, UowDep
from nongso.core.errors import AppError, FieldError, ValidationFailed
from nongso.core.http import page_language
from nongso.core.i18n import format_number, translate
from nongso.core.settings import get_settings
from nongso.registry import services as registry
from nongso.stats import services
from nongso.stats.schemas import ApprovalAction, FormSave, ValueIn, parsing
from nongso.units import services as units
from nongso.web.nav import NavItem, register
from nongso.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
register(NavItem("/stats", "nav.stats"))
DATASETS = ("crop_season", "crop_protection", "livestock", "aquaculture", "certification")


def _input_number(lang: str) -> Any:
    """Numbers in form fields as the officer types them back: 1.250 or 7,25 (no padding)."""
    def inum(value: float | None) -> str:
        return "" if value is None else format_number(value, lang, 4, trim=True)
    return inum


def _login(request: Request) -> Response:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _series(result: Any) -> dict[str, Any]:
    """Analytics as plain JSON for the page's scripts (no HTML)."""
    if result is None:
        return {"rows": [], "items": {}, "dimensions": {"dx": [], "pe": [], "ou": []}}
    return {"rows": result.rows, "items": {k: v.model_dump() for k, v in result.items.items()},
            "dimensions": result.dimensions}


@router.get("/stats", response_class=HTMLResponse)
def overview(request: Request, uow: UowDep, principal: PrincipalDep, platform: PlatformDep,
             season: str | None = None, indicator: str = "rice_yield") -> Response:
    lang = page_language(request)
    data = services.dashboard(uow, season or None, indicator, lang)
    boundaries = registry.boundaries_geojson(uow, platform.settings.province_code)
    communes = [f for f in boundaries["features"] if f["properties"]["level"] == "commune"]
    centres = {c.code: [c.lon, c.lat] for c in units.communes_of_province(
        uow, platform.settings.province_code)}
    outliers = services.outliers_scan(uow, "crop_season", data.season, None, lang) \
        if data.season and principal.is_authenticated else []
    context = {
        "map": _series(data.map), "trend": _series(data.trend),
        "geo": {"type": "FeatureCollection", "features": communes}, "centres": centres,
        "layout": data.layout.model_dump(),
        "labels": {k: translate(f"stats.item.{k}", lang) for k in (
            "map", "trend", "alerts", "completeness", "targets", "outliers")},
        "saved": translate("stats.saved", lang), "noData": translate("stats.no_data", lang),
        "canSave": principal.is_authenticated, "lang": lang,
    }
    return render(request, "stats/overview.html", {
        "data": data, "context_data": context, "outliers": outliers[:20],
        "indicators": [(code, code) for code in ("rice_yield", "sown_area.rice", "output.rice",
                                                 "rice_yield_change_pct",
                                                 "rice_harvest_progress_pct")],
        "synthetic": any(f["properties"].get("synthetic") for f in communes)},
        principal=principal)


@router.get("/stats/communes/{code}", response_class=HTMLResponse)
def commune_page(code: str, request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    lang = page_language(request)
    page = services.commune_page(uow, code, lang)
    return render(request, "stats/commune.html", {
        "page": page, "context_data": {"seasons": _series(page.seasons), "lang": lang,
                                       "noData": translate("stats.no_data", lang)}},
        principal=principal)


@router.get("/stats/pivot", response_class=HTMLResponse)
def pivot(request: Request, principal: PrincipalDep, platform: PlatformDep,
          dx: str = "rice_yield;sown_area.rice;output.rice", pe: str = "LAST_6_SEASONS",
          ou: str | None = None) -> Response:
    lang = page_language(request)
    ou = ou or f"LEVEL-2;{platform.settings.province_code}"
    return render(request, "stats/pivot.html", {
        "dx": dx, "pe": pe, "ou": ou,
        "context_data": {"lang": lang, "noData": translate("stats.no_data", lang),
                         "total": "Tổng" if lang == "vi" else "Total"}}, principal=principal)


def _default_period(uow: UowDep, lang: str) -> str | None:
    seasons = services.seasons_with_data(uow, get_settings().province_code, lang)
    return seasons[0][0] if seasons else None


@router.get("/stats/entry", response_class=HTMLResponse)
def entry(request: Request, uow: UowDep, principal: PrincipalDep, platform: PlatformDep,
          dataset: str = "crop_season", period: str | None = None,
          org_unit: str | None = None) -> Response:
    if not principal.is_authenticated:
        return _login(request)
    lang = page_language(request)
    communes = units.communes_of_province(uow, platform.settings.province_code)
    org_unit = org_unit or (principal.unit_code if principal.role == "commune_officer"
                            and principal.unit_code else communes[0].code)
    period = period or _default_period(uow, lang) or "2026Q1"
    error: AppError | None = None
    try:
        form = services.get_form(uow, dataset, period, org_unit, lang)
    except AppError as exc:
        form, error = None, exc
    return render(request, "stats/entry.html", {
        "form": form, "error": error.message(lang) if error else None,
        "inum": _input_number(lang),
        "dataset": dataset, "period": period, "org_unit": org_unit, "datasets": DATASETS,
        "communes": communes}, principal=principal, status=error.status if error else 200)


@router.post("/stats/entry", response_class=HTMLResponse)
async def save_entry(request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    lang = page_language(request)
    dataset, period, org_unit = (str(form.get(k, "")) for k in ("dataset", "period",
                                                                  "org_unit"))
    values = []
    bad: list[FieldError] = []
    for key, raw in form.multi_items():
        if not key.startswith("v__"):
            continue
        _, element, coc = key.split("__", 2)
        try:
            value = parsing.parse_number(str(raw), "vi" if lang == "vi" else "en")
        except parsing.CellError as exc:
            bad.append(FieldError(f"{element} {coc}", exc.message_vi, exc.message_en))
            continue
        values.append(ValueIn(element=element, coc=coc, value=value))
    target = f"/stats/entry?dataset={dataset}&period={period}&org_unit={org_unit}"
    try:
        if bad:
            raise ValidationFailed("Biểu có ô không phải là số; chưa lưu gì.",
                                   "Some cells are not numbers; nothing was saved.", bad)
        if values:
            services.save_form(uow, FormSave(dataset=dataset, period=period, org_unit=org_unit,
                                             values=values), lang)
    except AppError as exc:
        current = None
        with contextlib.suppress(AppError):
            current = services.get_form(uow, dataset, period, org_unit, lang)
        return render(request, "stats/entry.html", {
            "form": current, "error": exc.message(lang), "inum": _input_number(lang),
            "errors": [e.as_dict(lang) for e in exc.errors], "dataset": dataset,
            "period": period, "org_unit": org_unit, "datasets": DATASETS,
            "communes": units.communes_of_province(uow, get_settings().province_code)},
            principal=principal, status=exc.status)
    return RedirectResponse(target, status_code=303)


@router.post("/stats/reports/action")
def report_action(
    request: Request, uow: UowDep,
    dataset: Annotated[str, Form(max_length=50)], period: Annotated[str, Form(max_length=30)],
    org_unit: Annotated[str, Form(max_length=10)], action: Annotated[str, Form(max_length=20)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=20)] = "entry",
) -> Response:
    check_csrf(request, csrf)
    body = ApprovalAction(comment=comment or None)
    if action == "approve":
        services.approve(uow, dataset, period, org_unit, body)
    elif action == "accept":
        services.accept(uow, dataset, period, org_unit, body)
    elif action == "return":
        services.return_report(uow, dataset, period, org_unit, body)
    else:
        services.unapprove(uow, dataset, period, org_unit)
    if back == "reports":
        return RedirectResponse(f"/stats/reports?dataset={dataset}&period={period}",
                                status_code=303)
    return RedirectResponse(f"/stats/entry?dataset={dataset}&period={period}"
                            f"&org_unit={org_unit}", status_code=303)


@router.get("/stats/reports", response_class=HTMLResponse)
def reports(request: Request, uow: UowDep, principal: PrincipalDep,
            dataset: str = "crop_season", period: str | None = None) -> Response:
    if not principal.is_authenticated:
        return _login(request)
    lang = page_language(request)
    period = period or _default_period(uow, lang) or "2026Q1"
    overview = services.overview(uow, dataset, period, None, lang)
    return render(request, "stats/reports.html", {
        "o": overview, "datasets": DATASETS,
        "seasons": services.seasons_with_data(uow, get_settings().province_code, lang)},
        principal=principal)


@router.get("/stats/import", response_class=HTMLResponse)
def import_page(request: Request, principal: PrincipalDep) -> Response:
    if not principal.is_authenticated:
        return _login(request)
    return render(request, "stats/import.html", {"report": None, "errors": []},
                  principal=principal)


@router.post("/stats/import", response_class=HTMLResponse)
async def import_post(
    request: Request, uow: UowDep, principal: PrincipalDep,
    file: Annotated[UploadFile, File()], csrf: Annotated[str, Form(max_length=100)] = "",
    period: Annotated[str, Form(max_length=30)] = "",
    cong_m2: Annotated[float, Form(ge=500, le=2000)] = 1000.0,
    approved: Annotated[bool, Form()] = False, dry_run: Annotated[bool, Form()] = False,
) -> Response:
    check_csrf(request, csrf)
    lang = page_language(request)
    content = await file.read(5 * 1024 * 1024 + 1)
    try:
        report = services.import_file(uow, content, file.filename or "import.csv",
                                      period=period or None, cong_m2=cong_m2,
                                      approved=approved, dry_run=dry_run, lang=lang)
    except AppError as exc:
        return render(request, "stats/import.html", {
            "report": None, "message": exc.message(lang),
            "errors": [e.as_dict(lang) for e in exc.errors]}, principal=principal,
            status=exc.status)
    return render(request, "stats/import.html", {"report": report, "errors": []},
                  principal=principal)


@router.get("/stats/quality", response_class=HTMLResponse)
def quality(request: Request, uow: UowDep, principal: PrincipalDep,
            dataset: str = "crop_season", period: str | None = None) -> Response:
    if not principal.is_authenticated:
        return _login(request)
    lang = page_language(request)
    period = period or _default_period(uow, lang) or "2026Q1"
    return render(request, "stats/quality.html", {
        "dataset": dataset, "period": period,
        "outliers": services.outliers_scan(uow, dataset, period, None, lang),
        "violations": services.validate(uow, dataset, period, None, lang),
        "seasons": services.seasons_with_data(uow, get_settings().province_code, lang)},
        principal=principal)
