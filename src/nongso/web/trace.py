"""Pages of traceability: the GS1 Digital Link resolver (the consumer page a QR code opens),
the staff's overview and lot pages, the recall page with its graph, and OCOP products."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from nongso.core.deps import PageDep, PrincipalDep, UowDep
from nongso.core.errors import AppError, NotFound
from nongso.core.fields import Id
from nongso.core.http import page_language, request_language
from nongso.core.pagination import PageRequest
from nongso.trace import services
from nongso.trace.schemas import (
    ConsumerView,
    GS1Error,
    LotStatus,
    LotStatusUpdate,
    RecallReport,
    RecallRequest,
    is_demo_gtin,
    parse_digital_link,
)
from nongso.web import nav
from nongso.web.render import check_csrf, render, templates

router = APIRouter(include_in_schema=False)
# `{% if gtin is demo_gtin %}`: GTINs under GS1's demonstration prefix 952 say they are demo data.
templates.env.tests["demo_gtin"] = is_demo_gtin

nav.register(nav.NavItem("/trace", "nav.trace", frozenset({
    "admin", "province_officer", "commune_officer", "inspector", "coop_manager", "buyer"})))
nav.register(nav.NavItem("/trace/ocop", "nav.ocop"))

LINKSET = "application/linkset+json"


# ------------------------------------------------------------------------------------------
# The resolver: /01/{gtin}[/10/{lot}][/21/{serial}]


def _wants(request: Request) -> str:
    """html, json or linkset, from ?linkType and the Accept header."""
    if request.query_params.get("linkType") == "all":
        return "linkset"
    accept = request.headers.get("accept", "").lower()
    if LINKSET in accept:
        return "linkset"
    if "text/html" in accept:
        return "html"
    if "application/json" in accept or "application/ld+json" in accept:
        return "json"
    return "html"


def _resolver_page(request: Request, exc: AppError) -> Response:
    lang = page_language(request)
    withdrawn = exc.status == 410
    return render(request, "trace/not_found.html", {
        "title": exc.title(lang), "message": exc.message(lang), "withdrawn": withdrawn},
        status=exc.status)


def _view_json(view: ConsumerView) -> dict[str, Any]:
    return view.model_dump(mode="json")


def resolve(request: Request, uow: UowDep) -> Response:
    wants = _wants(request)
    try:
        link = parse_digital_link(str(request.url))
    except GS1Error as exc:
        error = AppError(exc.message_vi, exc.message_en)
        if wants == "html":
            return _resolver_page(request, error)
        raise error from exc
    try:
        view = services.consumer_view(uow, link.gtin, link.lot, link.serial)
    except AppError as exc:
        if wants == "html":
            return _resolver_page(request, exc)
        raise
    headers = {"Link": f'<{view.link}?linkType=all>; rel="linkset"; type="{LINKSET}"',
               "Vary": "Accept"}
    link_type = request.query_params.get("linkType")
    if link_type == "gs1:recallStatus":
        return JSONResponse({"link": view.link, "status": view.status,
                             "reason": view.status_reason}, headers=headers)
    if link_type and link_type != "all":
        target = services.linkset(view)["linkset"][0].get(services.LINK_TYPES.get(link_type, ""))
        if not target:
            raise NotFound(f"Không có liên kết loại «{link_type}».",
                           f"There is no link of type '{link_type}'.")
        return RedirectResponse(target[0]["href"], status_code=307, headers=headers)
    if wants == "linkset":
        return JSONResponse(services.linkset(view), media_type=LINKSET, headers=headers)
    if wants == "json":
        return JSONResponse(_view_json(view), headers=headers)
    points = [p.model_dump() for p in view.map_points]
    page = render(request, "trace/consumer.html", {
        "view": view, "points_json": json.dumps(points, ensure_ascii=False),
        "element_string": f"(01){view.gtin}" + (f"(10){view.lot_code}" if view.lot_code else "")
        + (f"(21){view.serial}" if view.serial else ""),
    })
    page.headers.update(headers)
    return page


for path in ("/01/{gtin}", "/01/{gtin}/10/{lot}", "/01/{gtin}/10/{lot}/21/{serial}",
             "/01/{gtin}/21/{serial}"):
    router.add_api_route(path, resolve, methods=["GET"], include_in_schema=False)


# ------------------------------------------------------------------------------------------
# Staff pages


def _login(next_path: str) -> Response:
    return RedirectResponse(f"/login?next={next_path}", status_code=303)


@router.get("/trace")
def overview_page(request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    if not principal.is_authenticated:
        return _login("/trace")
    return render(request, "trace/index.html", {"o": services.overview(uow)},
                  principal=principal)


@router.get("/trace/lots/{lot_id}")
def lot_page(lot_id: Id, request: Request, uow: UowDep, principal: PrincipalDep) -> Response:
    if not principal.is_authenticated:
        return _login(f"/trace/lots/{lot_id}")
    lot, steps, points = services.lot_journey(uow, lot_id)
    return render(request, "trace/lot.html", {
        "lot": lot, "steps": steps, "points_json": json.dumps([p.model_dump() for p in points],
                                                              ensure_ascii=False),
        "qr_svg": services.lot_qr(uow.as_principal(principal), lot_id, "svg").decode(),
    }, principal=principal)


@router.post("/trace/lots/{lot_id}/status")
def lot_status_action(
    lot_id: Id, request: Request, uow: UowDep, principal: PrincipalDep,
    status: Annotated[LotStatus, Form()], reason: Annotated[str, Form(min_length=1,
                                                                     max_length=500)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Recall, withdraw, or (inspectors) release a held lot from its page."""
    if not principal.is_authenticated:
        return _login(f"/trace/lots/{lot_id}")
    check_csrf(request, csrf)
    services.set_lot_status(uow, lot_id, LotStatusUpdate(status=status, reason=reason))
    return RedirectResponse(f"/trace/lots/{lot_id}", status_code=303)


def _graph(report: RecallReport) -> dict[str, Any]:
    """Nodes laid out in columns by distance (upstream left, downstream right)."""
    columns: dict[int, int] = {}
    nodes = []
    for node in report.nodes:
        column = -node.depth if node.direction == "backward" else node.depth
        row = columns.get(column, 0)
        columns[column] = row + 1
        nodes.append({"id": node.id, "name": node.label, "x": column * 220, "y": row * 70,
                      "category": node.kind, "status": node.status or ""})
    links = [{"source": e.src, "target": e.dst} for e in report.edges]
    return {"nodes": nodes, "links": links,
            "categories": ["lot", "item", "logistic_unit", "transformation", "other"]}


def _graph_list(report: RecallReport | None) -> list[dict[str, Any]]:
    """The recall graph as a list a 360-px phone reads: one line per edge, upstream first."""
    if report is None:
        return []
    nodes = {n.id: n for n in report.nodes}
    rank = {"backward": 0, "start": 1, "forward": 2}

    def order(e: Any) -> tuple[int, int, Any]:
        n = nodes.get(e.src)
        if n is None:
            return (1, 0, e.time)
        depth = -n.depth if n.direction == "backward" else n.depth
        return (rank.get(n.direction, 1), depth, e.time)

    out = []
    for e in sorted(report.edges, key=order):
        src, dst = nodes.get(e.src), nodes.get(e.dst)
        out.append({"src": src.label if src else e.src, "dst": dst.label if dst else e.dst,
                    "src_lot": src.lot_id if src else None,
                    "dst_lot": dst.lot_id if dst else None,
                    "src_status": src.status if src else None,
                    "dst_status": dst.status if dst else None,
                    "kind": e.kind, "time": e.time})
    return out


@router.get("/trace/recall")
def recall_page(
    request: Request, uow: UowDep, principal: PrincipalDep,
    kind: str | None = None, value: Annotated[str | None, Query(max_length=300)] = None,
    direction: str = "both", since: str | None = None, until: str | None = None,
) -> Response:
    if not principal.is_authenticated:
        return _login("/trace/recall")
    report = None
    error = None
    status = 200
    form = {"kind": kind or "lot", "value": value or "", "direction": direction,
            "since": since or "", "until": until or ""}
    lang = page_language(request)
    if value:
        try:
            request_data = RecallRequest(
                kind=kind or "lot", value=value, direction=direction,
                since=_day(since), until=_day(until, end=True))
            report = services.recall_trace(uow, request_data)
        except AppError as exc:
            error, status = exc.message(lang), exc.status
        except ValueError as exc:  # a malformed date or kind in the form
            error, status = (str(exc) if lang == "en" else "Dữ liệu nhập không hợp lệ: "
                             + str(exc)), 400
    query = "&".join(f"{k}={v}" for k, v in form.items() if v)
    return render(request, "trace/recall.html", {
        "form": form, "report": report, "error": error, "query": query,
        "step_label": services.step_label,
        "graph_json": json.dumps(_graph(report), ensure_ascii=False) if report else "null",
        "graph_list": _graph_list(report),
    }, principal=principal, status=status)


def _day(text: str | None, end: bool = False) -> dt.datetime | None:
    """A dd/mm/yyyy or yyyy-mm-dd date of the form as a Vietnam-time instant."""
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if end:
            day += dt.timedelta(days=1)
        return day.replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
    raise ValueError(f"date {text!r} (dd/mm/yyyy)")


@router.get("/trace/ocop")
def ocop_page(request: Request, uow: UowDep, page: PageDep,
              stars: Annotated[int | None, Query(ge=3, le=5)] = None,
              q: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """Public list of OCOP products."""
    lang = request_language(request)
    result = services.list_ocop_products(uow, PageRequest(page.limit, page.offset), stars,
                                         q=q, status="active")
    return render(request, "trace/ocop.html", {"page": result, "stars": stars, "q": q,
                                               "lang_api": lang})
