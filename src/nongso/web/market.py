"""Pages of the market: prices and anomaly warnings, a series with its forecast, supply and
demand, the product catalogue, shared equipment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from nongso.core.deps import PageDep, PrincipalDep, UowDep
from nongso.core.errors import AppError
from nongso.core.fields import Id
from nongso.core.http import page_language
from nongso.core.pagination import PageRequest
from nongso.market import services
from nongso.market.schemas import BookingCreate, EquipmentKind, catalogue, messages
from nongso.web import nav
from nongso.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("/market", "nav.market"))
nav.register(nav.NavItem("/market/trade", "nav.trade", frozenset({
    "admin", "province_officer", "commune_officer", "inspector", "coop_manager", "buyer"})))
nav.register(nav.NavItem("/market/catalogue", "nav.catalogue"))
nav.register(nav.NavItem("/market/equipment", "nav.equipment"))

TRADE_ROLES = ("admin", "province_officer", "commune_officer", "inspector", "coop_manager",
               "buyer")


def _login(next_path: str) -> Response:
    return RedirectResponse(f"/login?next={next_path}", status_code=303)


@router.get("/market")
def prices_page(request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    lang = page_language(request)
    report = services.anomaly_report(uow, lang, everything=True)
    warnings = [r for r in report.warnings if r.status in ("watch", "alert")]
    return render(request, "market/index.html", {
        "report": report, "warnings": warnings, "rows": report.warnings,
    }, principal=principal)


@router.get("/market/series/{series_id}")
def series_page(series_id: Id, request: Request, uow: UowDep,
                principal: PrincipalDep) -> Response:
    lang = page_language(request)
    detail = services.series_detail(uow, series_id, lang)
    forecast = services.price_forecast(uow, series_id, lang)
    chart = {
        "history": [[p.month.strftime("%Y-%m"), p.price] for p in detail.history],
        "ipa": [[p.month.strftime("%Y-%m"), p.ipa] for p in detail.ipa],
        "forecast": [[p.period, p.value] for p in forecast.forecast],
        "naive": [[p.period, p.value] for p in forecast.seasonal_naive],
        "labels": {"price": "đ/kg" if lang == "vi" else "VND/kg", "ipa": "IPA",
                   "forecast": forecast.model or messages.MESSAGES["market.same_month"][lang],
                   "naive": messages.MESSAGES["market.same_month"][lang]},
    }
    return render(request, "market/series.html", {
        "d": detail, "f": forecast, "chart": chart}, principal=principal)


@router.get("/market/output")
def output_page(request: Request, uow: UowDep, principal: PrincipalDep,
                commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None) -> Response:
    if not principal.is_authenticated:
        return _login("/market/output")
    lang = page_language(request)
    own = principal.unit_code if principal.unit_code and len(principal.unit_code) == 5 else None
    code = commune or own
    forecast = services.output_forecast(uow, code, lang) if code else None
    chart = None
    if forecast is not None:
        chart = {"history": [[p.period, p.value] for p in forecast.history], "ipa": [],
                 "forecast": [[p.period, p.value] for p in forecast.forecast],
                 "naive": [[p.period, p.value] for p in forecast.seasonal_naive],
                 "labels": {"price": "t", "ipa": "", "forecast": forecast.model or "",
                            "naive": messages.MESSAGES["market.same_month"][lang]}}
    return render(request, "market/output.html", {"f": forecast, "chart": chart,
                                                   "commune": code or ""}, principal=principal)


def _trade_context(uow: UowDep, principal: Any) -> dict[str, Any]:
    page = PageRequest(100, 0)
    ctx: dict[str, Any] = {
        "supplies": services.list_supplies(uow, page).items,
        "demands": services.list_demands(uow, page).items,
        "proposals": services.list_proposals(uow, page).items,
        "agreements": services.list_agreements(uow, page).items,
        "suggestions": services.harvest_suggestions(uow) if principal.role == "coop_manager"
        else [],
        "products": catalogue.products(),
    }
    return ctx


@router.get("/market/trade")
def trade_page(request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    if not principal.is_authenticated:
        return _login("/market/trade")
    if principal.role not in TRADE_ROLES:
        raise AppError("Trang này dành cho hợp tác xã, doanh nghiệp và cán bộ.",
                       "This page is for co-operatives, buyers and officers.")
    return render(request, "market/trade.html", _trade_context(uow, principal),
                  principal=principal)


@router.post("/market/trade/run")
def trade_run(request: Request, uow: UowDep, principal: PrincipalDep,
              csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf)
    services.run_matching(uow)
    return RedirectResponse("/market/trade", status_code=303)


@router.post("/market/trade/proposals/{proposal_id}/{answer}")
def trade_answer(proposal_id: Id, answer: str, request: Request, uow: UowDep,
                 principal: PrincipalDep,
                 csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf)
    if answer not in ("accept", "decline"):
        raise AppError("Thao tác không hợp lệ.", "Unknown action.")
    services.respond(uow, proposal_id, answer == "accept")
    return RedirectResponse("/market/trade", status_code=303)


@router.get("/market/catalogue")
def catalogue_page(request: Request, uow: UowDep, page: PageDep, principal: PrincipalDep,
                   q: Annotated[str | None, Query(max_length=200)] = None,
                   ocop: bool | None = None) -> Response:
    result = services.list_listings(uow, PageRequest(page.limit, page.offset), q, None, None,
                                    ocop)
    return render(request, "market/catalogue.html", {
        "page": result, "q": q or "", "ocop": ocop, "share": services.ocop_listed_share(uow),
        "products": catalogue.products()}, principal=principal)


@router.get("/market/listings/{listing_id}")
def listing_page(listing_id: Id, request: Request, uow: UowDep,
                 principal: PrincipalDep) -> Response:
    item = services.get_listing(uow, listing_id)
    return render(request, "market/listing.html", {
        "item": item, "product": catalogue.product(item.product_code or "")},
        principal=principal)


@router.get("/market/equipment")
def equipment_page(request: Request, uow: UowDep, page: PageDep, principal: PrincipalDep,
                   field_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
                   radius_km: Annotated[int, Query(ge=1, le=500)] = 20,
                   kind: EquipmentKind | None = None) -> Response:
    lang = page_language(request)
    error = None
    status = 200
    found = None
    if field_id is not None:
        try:
            found = services.search(uow, field_id, radius_km, kind, lang)
        except AppError as exc:
            error, status = exc.message(lang), exc.status
    machines = services.list_equipment(uow, PageRequest(page.limit, page.offset), kind,
                                       None, lang)
    return render(request, "market/equipment.html", {
        "machines": machines, "found": found, "field_id": field_id or "",
        "radius_km": radius_km, "kind": kind or "", "kinds": catalogue.EQUIPMENT_KINDS,
        "error": error}, principal=principal, status=status)


def _machine(request: Request, uow: UowDep, principal: Any, equipment_id: int,
             error: str | None = None, booked: Any = None, status: int = 200,
             form: dict[str, str] | None = None) -> Response:
    lang = page_language(request)
    machine = services.get_equipment(uow, equipment_id, lang)
    calendar = services.slots(uow, equipment_id)
    return render(request, "market/machine.html", {
        "m": machine, "calendar": calendar, "error": error, "booked": booked,
        "form": form or {}, "may_book": principal.role in ("farmer", "coop_manager", "admin")},
        principal=principal, status=status)


@router.get("/market/equipment/{equipment_id}")
def machine_page(equipment_id: Id, request: Request, uow: UowDep,
                 principal: PrincipalDep) -> Response:
    return _machine(request, uow, principal, equipment_id)


@router.post("/market/equipment/{equipment_id}/book")
def machine_book(
    equipment_id: Id, request: Request, uow: UowDep, principal: PrincipalDep,
    field_ids: Annotated[str, Form(max_length=300)],
    starts_at: Annotated[str, Form(max_length=40)],
    ends_at: Annotated[str, Form(max_length=40)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(request, csrf)
    lang = page_language(request)
    form = {"field_ids": field_ids, "starts_at": starts_at, "ends_at": ends_at}
    try:
        ids = [int(x) for x in field_ids.replace(";", ",").split(",") if x.strip()]
        data = BookingCreate(equipment_id=equipment_id, field_ids=ids,
                             starts_at=dt.datetime.fromisoformat(starts_at),
                             ends_at=dt.datetime.fromisoformat(ends_at))
    except ValueError:
        message = ("Dữ liệu không hợp lệ: mã thửa là số, thời gian dạng dd/mm/yyyy giờ:phút."
                   if lang == "vi" else "Invalid input: field ids are numbers, times are "
                   "date and hour.")
        return _machine(request, uow, principal, equipment_id, message, status=422, form=form)
    try:
        slot = services.book(uow, data)
    except AppError as exc:
        details = "; ".join(e.message_vi if lang == "vi" else e.message_en for e in exc.errors)
        return _machine(request, uow, principal, equipment_id,
                        exc.message(lang) + (f" {details}" if details else ""),
                        status=exc.status, form=form)
    return _machine(request, uow, principal, equipment_id, booked=slot, status=201)
