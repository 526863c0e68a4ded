"""HTTP adapters of monitoring: the SensorThings API 1.1 (``/sta/v1.1``) and the platform's
own monitoring API (``/api/v1/monitor``). Parse, call one service, render."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse

from nongso.accounts import services as accounts
from nongso.core import clock
from nongso.core.deps import LangDep, PlatformDep, PrincipalDep, UowDep, get_principal
from nongso.core.errors import Unauthorized, ValidationFailed
from nongso.core.fields import Id, SaneDateTime
from nongso.core.http import client_address
from nongso.core.permissions import ANONYMOUS, Principal
from nongso.core.platform import Platform
from nongso.core.uow import UnitOfWork
from nongso.monitor import payloads, runtime, services
from nongso.monitor.schemas import (
    BridgeStatus,
    DeviceRegister,
    DeviceRegistered,
    IngestReport,
    SeriesPublic,
    StationPublic,
)

STA_PREFIX = "/sta/v1.1"

sta_router = APIRouter(prefix=STA_PREFIX, tags=["SensorThings API 1.1"])
router = APIRouter(prefix="/monitor", tags=["monitor"])


# --- who is calling (SensorThings clients also use HTTP Basic) ------------------------------

def sta_principal(request: Request, platform: PlatformDep) -> Principal:
    """Bearer token, device key (X-API-Key), web session, or HTTP Basic: user name and
    password, or any user name with a token or a device key as the password (how
    frost_sta_client and other SensorThings clients authenticate)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            username, _, password = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("Thông tin đăng nhập Basic không hợp lệ.",
                               "Malformed Basic credentials.") from None
        uow = platform.uow(ANONYMOUS)
        if password.startswith(("nst_", "nsd_")):
            principal = accounts.authenticate(uow, bearer=password)
        else:
            ip = client_address(request, platform.settings.trusted_proxies)
            principal = accounts.login(uow, username, password, ip, audit_success=False)
        request.state.principal = principal
        return principal
    return get_principal(request, platform)


def sta_uow(platform: PlatformDep,
            principal: Annotated[Principal, Depends(sta_principal)]) -> UnitOfWork:
    return platform.uow(principal)


StaUow = Annotated[UnitOfWork, Depends(sta_uow)]


def sta_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + STA_PREFIX


def _params(request: Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in out:
            raise ValidationFailed(f"Tham số {key} lặp lại.", f"Parameter {key} given twice.")
        out[key] = value
    return out


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise payloads.PayloadError([payloads.Problem("", "empty", "Nội dung trống.",
                                                      "The body is empty.")])
    return payloads.decode_json(raw)


def _answer(answer: services.StaAnswer) -> Response:
    if answer.media_type.startswith("text/plain"):
        return PlainTextResponse(str(answer.body), status_code=answer.status)
    headers = {"Location": answer.location} if answer.location else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def _mqtt_endpoint(platform: Platform) -> str | None:
    """The broker clients publish to: scheme, host and port (never the platform's login)."""
    url = platform.settings.mqtt_url
    if not url:
        return None
    from nongso.monitor.bridge import parse_url

    broker = parse_url(url)
    scheme = "mqtts" if broker.tls else "mqtt"
    return f"{scheme}://{broker.host}:{broker.port}"


# --- SensorThings API -------------------------------------------------------------------------

@sta_router.get("", include_in_schema=False)
@sta_router.get("/")
def sta_root(request: Request, platform: PlatformDep) -> Response:
    """The service document: entity sets and the server's conformance classes."""
    return JSONResponse(services.service_root(sta_base(request), _mqtt_endpoint(platform)))


@sta_router.post("/CreateObservations", status_code=201)
async def create_observations(request: Request, uow: StaUow) -> Response:
    """dataArray extension: many observations, one selfLink (or "error") per row."""
    body = await _json_body(request)
    links = services.create_observations(uow, body, sta_base(request),
                                         limiter=runtime.limiter())
    return JSONResponse(links, status_code=201)


@sta_router.get("/{path:path}")
def sta_get(path: str, request: Request, uow: StaUow) -> Response:
    return _answer(services.sta_read(uow, path, _params(request), sta_base(request)))


@sta_router.post("/{path:path}", status_code=201)
async def sta_post(path: str, request: Request, uow: StaUow) -> Response:
    body = await _json_body(request)
    return _answer(services.sta_create(uow, path, body, sta_base(request)))


@sta_router.patch("/{path:path}")
async def sta_patch(path: str, request: Request, uow: StaUow) -> Response:
    body = await _json_body(request)
    return _answer(services.sta_update(
        uow, path, body, sta_base(request),
        content_type=request.headers.get("content-type", "")))


@sta_router.put("/{path:path}")
async def sta_put(path: str, request: Request, uow: StaUow) -> Response:
    body = await _json_body(request)
    return _answer(services.sta_update(uow, path, body, sta_base(request), replace_all=True))


@sta_router.delete("/{path:path}", status_code=200)
def sta_delete(path: str, uow: StaUow) -> Response:
    services.sta_delete(uow, path)
    return Response(status_code=200)


# --- the platform's monitoring API ------------------------------------------------------------

@router.post("/observations", response_model=IngestReport)
async def post_observations(request: Request, uow: UowDep, lang: LangDep) -> IngestReport:
    """A compact batch ``{"obs": [[datastream_id, time, result], ...]}``, stored all or
    nothing (devices authenticate with ``X-API-Key``)."""
    body = await _json_body(request)
    return services.ingest_compact(uow, body, limiter=runtime.limiter(), lang=lang)


@router.post("/devices", response_model=DeviceRegistered, status_code=status.HTTP_201_CREATED)
def register_device(body: DeviceRegister, uow: UowDep) -> DeviceRegistered:
    """Register a device for its Things: the API key (shown once) is also its MQTT password."""
    return services.register_device(uow, body)


@router.get("/stations", response_model=list[StationPublic])
def list_stations(uow: UowDep) -> list[StationPublic]:
    """Stations with their latest values and a data status (ok, silent, no_data)."""
    return services.stations(uow)


@router.get("/datastreams/{datastream_id}/series", response_model=SeriesPublic)
def get_series(
    datastream_id: Id, uow: UowDep,
    start: Annotated[SaneDateTime | None, Query(description="ISO 8601; default: 30 days ago")]
    = None,
    end: Annotated[SaneDateTime | None, Query(description="ISO 8601; default: now")] = None,
    resolution: Literal["raw", "hour", "day"] = "hour",
) -> SeriesPublic:
    """A chart series from the hourly or daily roll-ups (or the raw readings, ≤ 7 days)."""
    end = end or clock.now()
    start = start or end - dt.timedelta(days=30)
    for name, moment in (("start", start), ("end", end)):
        if moment.tzinfo is None:
            from nongso.core.errors import FieldError

            raise ValidationFailed(f"{name} phải có múi giờ.", f"{name} needs a time zone.",
                                   [FieldError(name, "Thiếu múi giờ", "No time zone")])
    return services.series(uow, datastream_id, start, end, resolution)


@router.get("/bridge", response_model=BridgeStatus)
def bridge_status(principal: PrincipalDep) -> BridgeStatus:
    """The MQTT bridge of this process: off, connecting, connected or disconnected, with the
    broker and counters (signed-in staff only)."""
    return services.bridge_details(principal)
