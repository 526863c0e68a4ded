"""HTTP adapters of traceability: the EPCIS 2.0 REST bindings at ``/epcis`` and the platform's
own API at ``/api/v1/trace`` (identifiers, lots, labels, the Merkle log, recall, OCOP)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request, Response, status
from fastapi.responses import JSONResponse

from nongso.core.deps import LangDep, PageDep, UowDep
from nongso.core.errors import AppError, NotFound, PermissionDenied, Unauthorized
from nongso.core.fields import MAX_ID, Id, SaneDateTime
from nongso.core.http import request_language
from nongso.core.limits import load_json
from nongso.core.pagination import Page
from nongso.core.permissions import require_login
from nongso.core.settings import get_settings
from nongso.trace import exports, services
from nongso.trace.epcis import EVENT_TYPES, EpcisError, Issue
from nongso.trace.schemas import (
    CaptureJobPublic,
    CheckpointPublic,
    CompanyPrefixSet,
    ConsistencyProofPublic,
    InclusionProofPublic,
    ItemCreate,
    ItemPublic,
    LabelSheetRequest,
    LocationCreate,
    LocationPublic,
    LotCreate,
    LotPublic,
    LotStatusUpdate,
    OcopProductCreate,
    OcopProductPublic,
    OcopProductUpdate,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    RecallReport,
    RecallRequest,
    RecallStartKind,
    VerifyReport,
)

EPCIS_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0",
                 "GS1-EPCIS-Min": "2.0.0", "GS1-EPCIS-Max": "2.0.0",
                 "GS1-CBV-Min": "2.0.0", "GS1-CBV-Max": "2.0.0"}
JSON_LD = "application/ld+json"

epcis_router = APIRouter(prefix="/epcis", tags=["EPCIS 2.0"])
router = APIRouter(prefix="/trace", tags=["traceability"])


# ------------------------------------------------------------------------------------------
# EPCIS errors: problem+json with the EPCIS exception type


def epcis_problem(request: Request, exc: EpcisError) -> JSONResponse:
    lang = request_language(request)
    titles = {
        "ValidationException": ("Dữ liệu EPCIS không hợp lệ", "Invalid EPCIS data"),
        "QueryParameterException": ("Tham số truy vấn không hợp lệ", "Invalid query parameter"),
        "CaptureLimitExceededException": ("Quá nhiều sự kiện", "Capture limit exceeded"),
        "NoSuchNameException": ("Không tìm thấy", "Not found"),
        "SecurityException": ("Không có quyền", "Not allowed"),
        "ImplementationException": ("Định dạng không được hỗ trợ", "Not supported"),
    }
    vi, en = titles.get(exc.exception, ("Lỗi EPCIS", "EPCIS error"))
    body: dict[str, Any] = {
        "type": f"epcisException:{exc.exception}",
        "title": vi if lang == "vi" else en,
        "status": exc.status,
        "detail": exc.message(lang),
        "instance": request.url.path,
    }
    if exc.issues:
        body["errors"] = [{"pointer": i.pointer,
                           "message": i.message_vi if lang == "vi" else i.message_en}
                          for i in exc.issues]
    headers = dict(EPCIS_HEADERS)
    if exc.exception == "CaptureLimitExceededException":
        headers["GS1-EPCIS-Capture-Limit"] = str(get_settings().trace_capture_limit)
    return JSONResponse(body, status_code=exc.status, media_type="application/problem+json",
                        headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render EPCIS exceptions (the app's other errors keep the platform's handlers)."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EpcisError)
        return epcis_problem(request, exc)

    app.add_exception_handler(EpcisError, handler)


@contextlib.contextmanager
def _as_epcis() -> Iterator[None]:
    """Platform errors on EPCIS paths become the EPCIS exception types clients expect."""
    try:
        yield
    except Unauthorized as exc:
        raise EpcisError("SecurityException", 401, exc.message_vi, exc.message_en) from exc
    except PermissionDenied as exc:
        raise EpcisError("SecurityException", 403, exc.message_vi, exc.message_en) from exc
    except NotFound as exc:
        raise EpcisError("NoSuchNameException", 404, exc.message_vi, exc.message_en) from exc


def _epcis_json(data: Any, status_code: int = 200, headers: dict[str, str] | None = None,
                media_type: str = JSON_LD) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, media_type=media_type,
                        headers={**EPCIS_HEADERS, **(headers or {})})


async def _json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in ("application/json", JSON_LD) and not (
        content_type.endswith("+json")
    ):
        raise EpcisError("ImplementationException", 415,
                         f"Chỉ nhận JSON hoặc JSON-LD, không nhận «{content_type}».",
                         f"Only JSON or JSON-LD is accepted, not '{content_type}'.")
    raw = await request.body()
    try:
        return load_json(raw)  # nested 64 levels at most (deeper: 400, not a RecursionError)
    except (ValueError, UnicodeDecodeError) as exc:
        message = str(exc)
        raise EpcisError("ValidationException", 400, f"JSON không hợp lệ: {message}",
                         f"Malformed JSON: {message}", [Issue("", "JSON không hợp lệ.",
                                                              "Malformed JSON.")]) from exc


# ------------------------------------------------------------------------------------------
# EPCIS REST bindings


@epcis_router.get("", summary="Top-level resources")
def epcis_root() -> JSONResponse:
    return _epcis_json(["events", "eventTypes", "bizSteps", "bizLocations", "readPoints",
                        "dispositions", "capture"], media_type="application/json")


@epcis_router.options("/capture", summary="Discover the capture interface")
def capture_options() -> Response:
    return Response(status_code=204, headers={
        **EPCIS_HEADERS, "Allow": "OPTIONS, POST, GET",
        "GS1-EPCIS-Capture-Limit": str(get_settings().trace_capture_limit),
        "GS1-EPCIS-Capture-File-Size-Limit": str(get_settings().max_body_bytes),
        "GS1-Capture-Error-Behaviour": "rollback, proceed",
    })


@epcis_router.post("/capture", status_code=202, summary="Capture an EPCISDocument",
                   responses={202: {"description": "Accepted; see the Location header"}})
async def capture(request: Request, uow: UowDep) -> Response:
    """Captures every event of an EPCISDocument (JSON-LD), or none of them.

    `GS1-Capture-Error-Behaviour: proceed` stores the valid events and reports the others in
    the capture job. Events without an eventID get the CBV 2.0 event hash. A repeated event
    (same eventID, same content) is stored once.
    """
    with _as_epcis():
        require_login(uow.principal)  # an anonymous capture is refused before its body is read
    document = await _json_body(request)
    behaviour = request.headers.get("gs1-capture-error-behaviour", "rollback").lower()
    with _as_epcis():
        job = services.capture(uow, document, behaviour=behaviour)
    location = f"/epcis/capture/{job.captureID}"
    return Response(status_code=202, headers={
        **EPCIS_HEADERS, "Location": location, "GS1-Capture-Error-Behaviour": behaviour})


@epcis_router.get("/capture", response_model=list[CaptureJobPublic], summary="Capture jobs")
def capture_jobs(uow: UowDep, perPage: Annotated[int, Query(ge=1, le=500)] = 30,
                 nextPageToken: str | None = None) -> JSONResponse:
    offset = int(nextPageToken) if nextPageToken and nextPageToken.isdigit() else 0
    with _as_epcis():
        jobs = services.list_capture_jobs(uow, perPage + 1, offset)
    headers: dict[str, str] = {}
    if len(jobs) > perPage:
        jobs = jobs[:perPage]
        query = urlencode({"perPage": perPage, "nextPageToken": offset + perPage})
        headers["Link"] = f'</epcis/capture?{query}>; rel="next"'
    return _epcis_json([j.model_dump(mode="json") for j in jobs], headers=headers,
                       media_type="application/json")


@epcis_router.get("/capture/{capture_id}", response_model=CaptureJobPublic,
                  summary="A capture job")
def capture_job(capture_id: str, uow: UowDep) -> JSONResponse:
    with _as_epcis():
        job = services.get_capture_job(uow, capture_id)
    return _epcis_json(job.model_dump(mode="json"), media_type="application/json",
                       headers={"GS1-Capture-Error-Behaviour": job.captureErrorBehaviour})


@epcis_router.post("/events", status_code=201, summary="Capture one event synchronously")
async def capture_one(request: Request, uow: UowDep) -> Response:
    event = await _json_body(request)
    with _as_epcis():
        event_id = services.capture_event(uow, event)
    return Response(status_code=201, headers={
        **EPCIS_HEADERS, "Location": f"/epcis/events/{_quote(event_id)}"})


def _quote(event_id: str) -> str:
    from urllib.parse import quote

    return quote(event_id, safe="")


def _query_response(request: Request, uow: UowDep, event_type: str | None = None,
                    path: str = "/epcis/events") -> JSONResponse:
    params = list(request.query_params.multi_items())
    with _as_epcis():
        result = services.query_events(uow, params, path_event_type=event_type)
    headers: dict[str, str] = {}
    if result.next_token:
        kept = [(k, v) for k, v in params if k != "nextPageToken"]
        if not any(k == "perPage" for k, _ in kept):
            kept.append(("perPage", "30"))
        query = urlencode([*kept, ("nextPageToken", result.next_token)])
        base = str(request.base_url).rstrip("/")
        headers["Link"] = f'<{base}{path}?{query}>; rel="next"'
    return _epcis_json(result.document, headers=headers)


@epcis_router.get("/events", summary="Query events (EPCISQueryDocument)")
def events(request: Request, uow: UowDep) -> JSONResponse:
    """The EPCIS query language in the URL: `eventType`, `GE_eventTime`, `LT_eventTime`,
    `GE_recordTime`, `LT_recordTime`, `EQ_action`, `EQ_bizStep`, `EQ_disposition`,
    `EQ_readPoint`, `EQ_bizLocation`, `EQ_transformationID`, `EQ_eventID`, `MATCH_epc`,
    `MATCH_parentID`, `MATCH_inputEPC`, `MATCH_outputEPC`, `MATCH_anyEPC`, `MATCH_epcClass`,
    `MATCH_inputEPCClass`, `MATCH_outputEPCClass`, `MATCH_anyEPCClass`,
    `EQ_bizTransaction_{type}`, `EQ_source_{type}`, `EQ_destination_{type}`,
    `EXISTS_errorDeclaration`, `orderBy`, `orderDirection`, `eventCountLimit`; values
    separated by `|`; paging with `perPage` and `nextPageToken` (the `Link` header)."""
    return _query_response(request, uow)


@epcis_router.get("/events/{event_id:path}", summary="One event")
def event(event_id: str, uow: UowDep) -> JSONResponse:
    with _as_epcis():
        return _epcis_json(services.get_event(uow, event_id))


@epcis_router.get("/eventTypes", summary="Event types present")
def event_types(uow: UowDep) -> JSONResponse:
    with _as_epcis():
        types = services.event_types(uow)
    return _epcis_json({"@context": "https://ref.gs1.org/standards/epcis/2.0.0/"
                        "epcis-context.jsonld", "type": "EventTypeItemList", "eventType": types})


@epcis_router.get("/eventTypes/{event_type}/events", summary="Query events of one type")
def events_of_type(event_type: str, request: Request, uow: UowDep) -> JSONResponse:
    if event_type not in EVENT_TYPES:
        raise EpcisError("NoSuchNameException", 404, f"Không có loại sự kiện «{event_type}».",
                         f"There is no event type '{event_type}'.")
    return _query_response(request, uow, event_type, f"/epcis/eventTypes/{event_type}/events")


def _vocabulary(kind: str, column: str, key: str, uow: UowDep) -> JSONResponse:
    with _as_epcis():
        values = services.vocabulary_values(uow, column)
    return _epcis_json({"@context": "https://ref.gs1.org/standards/epcis/2.0.0/"
                        "epcis-context.jsonld", "type": kind, key: values})


@epcis_router.get("/bizSteps", summary="Business steps in use")
def biz_steps(uow: UowDep) -> JSONResponse:
    return _vocabulary("BizStepItemList", "biz_step", "bizStep", uow)


@epcis_router.get("/dispositions", summary="Dispositions in use")
def dispositions(uow: UowDep) -> JSONResponse:
    return _vocabulary("DispositionItemList", "disposition", "disposition", uow)


@epcis_router.get("/readPoints", summary="Read points in use")
def read_points(uow: UowDep) -> JSONResponse:
    return _vocabulary("ReadPointItemList", "read_point", "readPoint", uow)


@epcis_router.get("/bizLocations", summary="Business locations in use")
def biz_locations(uow: UowDep) -> JSONResponse:
    return _vocabulary("BizLocationItemList", "biz_location", "bizLocation", uow)


# ------------------------------------------------------------------------------------------
# /api/v1/trace: identifiers


@router.put("/organisations/{organisation_id}/gs1-prefix", response_model=CompanyPrefixSet)
def set_prefix(organisation_id: Id, body: CompanyPrefixSet, uow: UowDep) -> CompanyPrefixSet:
    return CompanyPrefixSet(prefix=services.set_company_prefix(uow, organisation_id, body))


@router.get("/products", response_model=Page[ProductPublic])
def list_products(uow: UowDep, page: PageDep, organisation_id: Id | None = None,
                  q: Annotated[str | None, Query(max_length=200)] = None) -> Page[ProductPublic]:
    return services.list_products(uow, page, organisation_id, q)


@router.post("/products", response_model=ProductPublic, status_code=status.HTTP_201_CREATED)
def create_product(body: ProductCreate, uow: UowDep, response: Response) -> ProductPublic:
    product = services.create_product(uow, body)
    response.headers["Location"] = f"/api/v1/trace/products/{product.id}"
    return product


@router.get("/products/{product_id}", response_model=ProductPublic)
def get_product(product_id: Id, uow: UowDep) -> ProductPublic:
    return services.get_product(uow, product_id)


@router.patch("/products/{product_id}", response_model=ProductPublic)
def update_product(product_id: Id, body: ProductUpdate, uow: UowDep) -> ProductPublic:
    return services.update_product(uow, product_id, body)


@router.delete("/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_product(product_id: Id, uow: UowDep) -> Response:
    services.delete_product(uow, product_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/locations", response_model=Page[LocationPublic])
def list_locations(uow: UowDep, page: PageDep, organisation_id: Id | None = None,
                   kind: str | None = None) -> Page[LocationPublic]:
    return services.list_locations(uow, page, organisation_id, kind)


@router.post("/locations", response_model=LocationPublic, status_code=status.HTTP_201_CREATED)
def create_location(body: LocationCreate, uow: UowDep, response: Response) -> LocationPublic:
    location = services.create_location(uow, body)
    response.headers["Location"] = f"/api/v1/trace/locations/{location.id}"
    return location


@router.get("/locations/{location_id}", response_model=LocationPublic)
def get_location(location_id: Id, uow: UowDep) -> LocationPublic:
    return services.get_location(uow, location_id)


@router.get("/lots", response_model=Page[LotPublic])
def list_lots(uow: UowDep, page: PageDep, organisation_id: Id | None = None,
              status_: Annotated[str | None, Query(alias="status")] = None,
              q: Annotated[str | None, Query(max_length=200)] = None) -> Page[LotPublic]:
    return services.list_lots(uow, page, organisation_id, status_, q)


@router.post("/lots", response_model=LotPublic, status_code=status.HTTP_201_CREATED)
def commission_lot(body: LotCreate, uow: UowDep, response: Response) -> LotPublic:
    """A lot commissioned by hand; its ObjectEvent (ADD, commissioning) is captured."""
    lot = services.commission_lot(uow, body)
    response.headers["Location"] = f"/api/v1/trace/lots/{lot.id}"
    return lot


@router.get("/lots/{lot_id}", response_model=LotPublic)
def get_lot(lot_id: Id, uow: UowDep) -> LotPublic:
    return services.get_lot(uow, lot_id)


@router.post("/lots/{lot_id}/status", response_model=LotPublic)
def set_lot_status(lot_id: Id, body: LotStatusUpdate, uow: UowDep) -> LotPublic:
    """Recall or withdraw a lot (the consumer page then says so), or make it active again."""
    return services.set_lot_status(uow, lot_id, body)


@router.get("/items", response_model=Page[ItemPublic])
def list_items(uow: UowDep, page: PageDep, lot_id: Id | None = None,
               product_id: Id | None = None) -> Page[ItemPublic]:
    return services.list_items(uow, page, lot_id, product_id)


@router.post("/items", response_model=ItemPublic, status_code=status.HTTP_201_CREATED)
def create_item(body: ItemCreate, uow: UowDep, response: Response) -> ItemPublic:
    """A serialised item (a fruit tree, a box) with its SGTIN."""
    item = services.create_item(uow, body)
    response.headers["Location"] = f"/api/v1/trace/items/{item.id}"
    return item


# ------------------------------------------------------------------------------------------
# The Merkle log


@router.get("/log/checkpoint", response_model=CheckpointPublic)
def checkpoint(uow: UowDep, request: Request,
               tree_size: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    """The newest signed checkpoint (C2SP signed note); `Accept: text/plain` gives the note."""
    cp = services.latest_checkpoint(uow, tree_size)
    if "text/plain" in request.headers.get("accept", ""):
        return Response(cp.note, media_type="text/plain; charset=utf-8")
    return JSONResponse(cp.model_dump(mode="json"))


@router.get("/log/key")
def log_key() -> dict[str, str]:
    """The Ed25519 public key that signs the checkpoints, and its signed-note verifier key."""
    return services.log_public_key()


@router.get("/log/proof/inclusion", response_model=InclusionProofPublic)
def inclusion(uow: UowDep, event_id: Annotated[str | None, Query(max_length=300)] = None,
              leaf_index: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
              tree_size: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
              ) -> InclusionProofPublic:
    """RFC 9162 inclusion proof of an event (by eventID or leaf index)."""
    if event_id is None and leaf_index is None:
        raise AppError("Cần event_id hoặc leaf_index.", "event_id or leaf_index is required.")
    return services.inclusion_proof(uow, event_id=event_id, leaf_index=leaf_index,
                                    tree_size=tree_size)


@router.get("/log/proof/consistency", response_model=ConsistencyProofPublic)
def consistency(uow: UowDep, first: Annotated[int, Query(ge=1, le=MAX_ID)],
                second: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                ) -> ConsistencyProofPublic:
    """RFC 9162 consistency proof between two tree sizes."""
    return services.consistency_proof(uow, first, second)


@router.post("/log/verify", response_model=VerifyReport)
def verify(uow: UowDep) -> VerifyReport:
    """Recompute the whole log (admins and inspectors)."""
    return services.verify_log(uow)


# ------------------------------------------------------------------------------------------
# QR codes and labels


_IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


@router.get("/lots/{lot_id}/qr.{kind}", responses={200: {"content": {
    "image/png": {}, "image/svg+xml": {}}}})
def lot_qr(lot_id: Id, kind: str, uow: UowDep) -> Response:
    """The QR code (PNG or SVG) of the lot's GS1 Digital Link URI."""
    if kind not in _IMAGE_TYPES:
        raise NotFound("Chỉ có qr.png và qr.svg.", "Only qr.png and qr.svg exist.")
    return Response(services.lot_qr(uow, lot_id, kind), media_type=_IMAGE_TYPES[kind])


@router.get("/items/{item_id}/qr.{kind}", responses={200: {"content": {
    "image/png": {}, "image/svg+xml": {}}}})
def item_qr(item_id: Id, kind: str, uow: UowDep) -> Response:
    """The QR code of a serialised item (a tree, a box)."""
    if kind not in _IMAGE_TYPES:
        raise NotFound("Chỉ có qr.png và qr.svg.", "Only qr.png and qr.svg exist.")
    return Response(services.item_qr(uow, item_id, kind), media_type=_IMAGE_TYPES[kind])


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.post("/labels", responses={200: {"content": {"application/pdf": {}}}})
def labels(body: LabelSheetRequest, uow: UowDep) -> Response:
    """A printable A4 sheet of QR labels (3 × 8 per page) for lots and items."""
    return _pdf(services.label_sheet(uow, body), "nhan-truy-xuat.pdf")


@router.get("/lots/{lot_id}/labels.pdf", responses={200: {"content": {"application/pdf": {}}}})
def lot_labels(lot_id: Id, uow: UowDep,
               copies: Annotated[int, Query(ge=1, le=100)] = 24) -> Response:
    """A sheet of ``copies`` labels of one lot."""
    return _pdf(services.label_sheet(uow, LabelSheetRequest(lot_ids=[lot_id], copies=copies)),
                f"nhan-lo-{lot_id}.pdf")


# ------------------------------------------------------------------------------------------
# Recall


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/recall", response_model=RecallReport)
def recall(body: RecallRequest, uow: UowDep) -> RecallReport:
    """Forward (downstream lots, shipments, receiving places) and backward (upstream lots,
    fields, seasons, inputs, input dealers) trace of a lot, an input batch or a farm."""
    return services.recall_trace(uow, body)


@router.get("/recall.xlsx", responses={200: {"content": {_XLSX: {}}}})
def recall_excel(uow: UowDep, lang: LangDep, kind: RecallStartKind,
                 value: Annotated[str, Query(min_length=1, max_length=300)],
                 direction: Literal["forward", "backward", "both"] = "both",
                 since: SaneDateTime | None = None, until: SaneDateTime | None = None
                 ) -> Response:
    """The same report as an Excel workbook."""
    report = services.recall_trace(uow, RecallRequest(kind=kind, value=value,
                                                      direction=direction, since=since,
                                                      until=until))
    return Response(exports.recall_excel(report, lang), media_type=_XLSX,
                    headers={"Content-Disposition": 'attachment; filename="truy-xuat.xlsx"'})


# ------------------------------------------------------------------------------------------
# OCOP products


@router.get("/ocop", response_model=Page[OcopProductPublic])
def list_ocop(uow: UowDep, page: PageDep,
              stars: Annotated[int | None, Query(ge=3, le=5)] = None,
              commune_code: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
              q: Annotated[str | None, Query(max_length=200)] = None,
              status_: Annotated[str | None, Query(alias="status")] = None
              ) -> Page[OcopProductPublic]:
    return services.list_ocop_products(uow, page, stars, commune_code, q, status_)


@router.post("/ocop", response_model=OcopProductPublic, status_code=status.HTTP_201_CREATED)
def create_ocop(body: OcopProductCreate, uow: UowDep, response: Response) -> OcopProductPublic:
    row = services.create_ocop_product(uow, body)
    response.headers["Location"] = f"/api/v1/trace/ocop/{row.id}"
    return row


@router.get("/ocop/export", responses={200: {"content": {
    "text/csv": {}, _XLSX: {}, "application/json": {}}}})
def ocop_export(uow: UowDep, format: Literal["csv", "xlsx", "json"] = "csv",
                province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None
                ) -> Response:
    """OCOP products and their lots with the fields of the national traceability portal."""
    data = services.ocop_export(uow, format, province_code)
    media = {"csv": "text/csv; charset=utf-8", "xlsx": _XLSX,
             "json": "application/json"}[format]
    return Response(data, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="ocop-truy-xuat.{format}"'})


@router.get("/ocop/{ocop_id}", response_model=OcopProductPublic)
def get_ocop(ocop_id: Id, uow: UowDep) -> OcopProductPublic:
    return services.get_ocop_product(uow, ocop_id)


@router.patch("/ocop/{ocop_id}", response_model=OcopProductPublic)
def update_ocop(ocop_id: Id, body: OcopProductUpdate, uow: UowDep) -> OcopProductPublic:
    return services.update_ocop_product(uow, ocop_id, body)


@router.delete("/ocop/{ocop_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_ocop(ocop_id: Id, uow: UowDep) -> Response:
    services.delete_ocop_product(uow, ocop_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/ocop/{ocop_id}/image", response_model=OcopProductPublic)
async def put_ocop_image(ocop_id: Id, request: Request, uow: UowDep) -> OcopProductPublic:
    """The product photo: the request body is the PNG or JPEG file (at most 2 MB)."""
    content = await request.body()
    return services.set_ocop_image(uow, ocop_id, content)


@router.get("/ocop/{ocop_id}/image", responses={200: {"content": {"image/png": {},
                                                                  "image/jpeg": {}}}})
def get_ocop_image(ocop_id: Id, uow: UowDep) -> Response:
    data, media = services.ocop_image(uow, ocop_id)
    return Response(data, media_type=media, headers={"Cache-Control": "public, max-age=3600"})
