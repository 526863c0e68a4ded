"""HTTP plumbing shared by every router: language, problem+json errors, body limit, metrics."""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nongso.core.errors import (
    AppError,
    Conflict,
    NotFound,
    TooLarge,
    Unavailable,
    ValidationFailed,
)
from nongso.core.i18n import LANGUAGES, negotiate

log = logging.getLogger("nongso.http")

PROBLEM_BASE = "https://nongso.vn/problems/"
RETRY_AFTER_SECONDS = 2


def request_language(request: Request) -> str:
    """?lang=en > the 'lang' cookie > Accept-Language > Vietnamese."""
    lang = request.query_params.get("lang") or request.cookies.get("lang")
    if lang in LANGUAGES:
        return lang
    return negotiate(request.headers.get("accept-language"), "vi")


def _networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for part in spec.split(","):
        if part.strip():
            nets.append(ipaddress.ip_network(part.strip(), strict=False))
    return nets


def _within(address: str, nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_address(request: Request, trusted_proxies: str) -> str:
    """The caller's address: the peer, unless the peer is one of the ``trusted_proxies``
    (addresses or networks, comma separated); then the nearest address of X-Forwarded-For
    that is not itself a trusted proxy. A client cannot choose its address by sending the
    header itself: an untrusted peer's header is ignored."""
    peer = request.client.host if request.client else "unknown"
    nets = _networks(trusted_proxies)
    if not nets or not _within(peer, nets):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _within(hop, nets):
            return hop[:64]
    return peer


def page_language(request: Request) -> str:
    """The web UI's language: ?lang=en > the 'lang' cookie > Vietnamese.

    Pages are Vietnamese first whatever the browser's own language (many phones here are set
    to English); the EN switch sets the cookie. API paths negotiate with Accept-Language.
    """
    lang = request.query_params.get("lang") or request.cookies.get("lang")
    return lang if lang in LANGUAGES else "vi"


def problem(
    request: Request, status: int, code: str, title: str, detail: str,
    errors: list[dict[str, str]] | None = None, extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers,
        # Vietnamese text stays readable in the body.
    )


# Pydantic error types -> (vi, en) messages.
_PYDANTIC_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("Thiếu trường bắt buộc.", "Field required."),
    "extra_forbidden": ("Trường này không được phép.", "Unknown field."),
    "json_invalid": ("JSON không hợp lệ.", "Malformed JSON."),
    "json_type": ("Nội dung phải là JSON.", "Body must be JSON."),
    "string_type": ("Phải là chuỗi ký tự.", "Must be a string."),
    "string_too_long": ("Chuỗi quá dài.", "String too long."),
    "string_too_short": ("Chuỗi quá ngắn.", "String too short."),
    "string_pattern_mismatch": ("Không đúng định dạng.", "Wrong format."),
    "int_type": ("Phải là số nguyên.", "Must be an integer."),
    "int_parsing": ("Phải là số nguyên.", "Must be an integer."),
    "float_type": ("Phải là số.", "Must be a number."),
    "float_parsing": ("Phải là số.", "Must be a number."),
    "bool_type": ("Phải là true/false.", "Must be a boolean."),
    "bool_parsing": ("Phải là true/false.", "Must be a boolean."),
    "literal_error": ("Giá trị không nằm trong danh sách cho phép.", "Value not allowed."),
    "enum": ("Giá trị không nằm trong danh sách cho phép.", "Value not allowed."),
    "greater_than": ("Giá trị quá nhỏ.", "Value too small."),
    "greater_than_equal": ("Giá trị quá nhỏ.", "Value too small."),
    "less_than": ("Giá trị quá lớn.", "Value too large."),
    "less_than_equal": ("Giá trị quá lớn.", "Value too large."),
    "date_parsing": ("Ngày không hợp lệ.", "Invalid date."),
    "date_from_datetime_parsing": ("Ngày không hợp lệ.", "Invalid date."),
    "datetime_parsing": ("Thời điểm không hợp lệ.", "Invalid date-time."),
    "datetime_from_date_parsing": ("Thời điểm không hợp lệ.", "Invalid date-time."),
    "model_attributes_type": ("Phải là một đối tượng JSON.", "Must be a JSON object."),
    "dict_type": ("Phải là một đối tượng JSON.", "Must be a JSON object."),
    "list_type": ("Phải là một danh sách.", "Must be a list."),
    "value_error": ("Giá trị không hợp lệ.", "Invalid value."),
    "uuid_parsing": ("UUID không hợp lệ.", "Invalid UUID."),
    "null_not_allowed": ("Trường này không được để trống (null).", "This field cannot be null."),
    "date_out_of_range": ("Ngày phải nằm trong các năm 1900–2100.",
                          "The date must be within the years 1900–2100."),
    "finite_number": ("Phải là một số hữu hạn.", "Must be a finite number."),
    "too_long": ("Quá nhiều phần tử.", "Too many items."),
    "too_short": ("Quá ít phần tử.", "Too few items."),
    "int_from_float": ("Phải là số nguyên.", "Must be an integer."),
    "date_type": ("Ngày không hợp lệ.", "Invalid date."),
    "datetime_type": ("Thời điểm không hợp lệ.", "Invalid date-time."),
    "date_from_datetime_inexact": ("Ngày không hợp lệ.", "Invalid date."),
    "timezone_aware": ("Thời điểm phải có múi giờ.", "The date-time needs a time zone."),
    "string_unicode": ("Chuỗi ký tự không hợp lệ.", "Invalid string."),
    "missing_argument": ("Thiếu trường bắt buộc.", "Field required."),
    "union_tag_invalid": ("Giá trị không nằm trong danh sách cho phép.", "Value not allowed."),
}


def _validation_errors(exc: RequestValidationError, lang: str) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        vi, en = _PYDANTIC_MESSAGES.get(err.get("type", ""), ("Giá trị không hợp lệ.", ""))
        message = vi if lang == "vi" else (en or str(err.get("msg", "Invalid value.")))
        if err.get("type") == "value_error" and lang == "en":
            message = str(err.get("msg", message))
        loc = "/".join(str(p) for p in err.get("loc", ()))
        out.append({"loc": loc, "message": message})
    return out


# Paths whose clients are programs: errors there are always problem+json.
MACHINE_PREFIXES = ("/api/", "/ogcapi", "/sta/", "/epcis", "/opendata", "/healthz", "/metrics",
                    "/static/")

HtmlErrorPage = Callable[[Request, AppError], Response]
LoginCheck = Callable[[Request], AppError | None]


def wants_html(request: Request) -> bool:
    """A browser on a web page (not a program on an API path)."""
    if request.url.path.startswith(MACHINE_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI, html_page: HtmlErrorPage | None = None,
                           login_check: LoginCheck | None = None) -> None:
    """problem+json for programs; ``html_page`` renders errors for browsers on web pages.

    ``login_check`` gives the 401 of an anonymous write whose body could not even be parsed
    (that error is found before the route's dependencies run): authentication comes first.
    Database errors a client can cause are answered as such, never as a 500: a constraint
    (a duplicate, a record still referred to) is a 409, a busy database a 503 with
    ``Retry-After``.
    """

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if html_page is not None and wants_html(request):
            return html_page(request, exc)
        lang = request_language(request)
        headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra \
            else None
        if exc.status == 401:
            headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
        # Machine-readable details of the error (e.g. a geometry's "reason" and "coordinate",
        # the wrong "parameter") are members of the problem object (RFC 9457 extensions).
        extra = {k: v for k, v in exc.extra.items()
                 if k not in ("type", "title", "status", "detail", "instance", "errors")
                 and isinstance(v, str | int | float | bool | list | dict | None)}
        return problem(
            request, exc.status, exc.code, exc.title(lang), exc.message(lang),
            [e.as_dict(lang) for e in exc.errors], extra=extra or None, headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if login_check is not None and (refused := login_check(request)) is not None:
            return await _app_error(request, refused)
        lang = request_language(request)
        errors = _validation_errors(exc, lang)
        malformed = any(e.get("type") in ("json_invalid", "json_type") for e in exc.errors())
        status = 400 if malformed else 422
        title = ("JSON không hợp lệ" if lang == "vi" else "Malformed JSON") if malformed else (
            "Dữ liệu không hợp lệ" if lang == "vi" else "Invalid data")
        detail = (
            "Dữ liệu gửi lên có lỗi; xem danh sách lỗi theo từng trường."
            if lang == "vi" else "The request has errors; see the list per field."
        )
        return problem(request, status, "malformed-json" if malformed else "validation",
                       title, detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if html_page is not None and exc.status_code == 404 and wants_html(request):
            return html_page(request, NotFound("Không tìm thấy trang.", "Page not found."))
        if exc.status_code == 400 and login_check is not None and (
                refused := login_check(request)) is not None:
            return await _app_error(request, refused)
        lang = request_language(request)
        titles = {
            404: ("Không tìm thấy", "Not found"),
            405: ("Phương thức không được hỗ trợ", "Method not allowed"),
        }
        vi, en = titles.get(exc.status_code, ("Lỗi", "Error"))
        return problem(request, exc.status_code, f"http-{exc.status_code}",
                       vi if lang == "vi" else en, str(exc.detail),
                       headers=dict(exc.headers) if exc.headers else None)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # Services check what they can name (see core.references); this is the net under them.
        log.warning("constraint violated on %s %s: %s", request.method, request.url.path,
                    str(exc.orig)[:300])
        return await _app_error(request, Conflict(
            "Thay đổi mâu thuẫn với dữ liệu đã có (trùng giá trị, tham chiếu tới bản ghi không "
            "tồn tại, hoặc bản ghi còn được nơi khác tham chiếu).",
            "The change conflicts with the stored data (a duplicate value, a reference to a "
            "record that does not exist, or a record still referred to elsewhere)."))

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        log.warning("value refused by the database on %s %s: %s", request.method,
                    request.url.path, str(exc.orig)[:300])
        return await _app_error(request, ValidationFailed(
            "Có giá trị nằm ngoài khoảng cơ sở dữ liệu lưu được.",
            "A value is outside what the database can store."))

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client went away while its body was being read (a load generator stopping, a
        # phone losing its signal): nothing was done and nobody reads the answer.
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        # "database is locked" (SQLite writers waited longer than the busy timeout), a
        # deadlock or a serialisation failure (PostgreSQL), the server gone: try again later.
        log.warning("database busy or unavailable on %s %s: %s", request.method,
                    request.url.path, str(exc.orig)[:300])
        return await _app_error(request, Unavailable(
            "Cơ sở dữ liệu đang bận; hãy thử lại sau ít giây.",
            "The database is busy; try again in a few seconds.",
            extra={"retry_after": RETRY_AFTER_SECONDS}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        lang = request_language(request)
        return problem(
            request, 500, "internal",
            "Lỗi hệ thống" if lang == "vi" else "Internal error",
            "Đã có lỗi bất ngờ; lỗi đã được ghi lại." if lang == "vi"
            else "An unexpected error occurred; it has been logged.",
        )


class BodySizeLimit:
    """Refuse request bodies above a limit with 413, before reading them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    # An application error (not a bare exception): a route that reads its body
                    # itself (EPCIS capture, SensorThings) answers 413 through the error
                    # handlers, never a 500 from the outermost middleware.
                    raise self._error()
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            # Once the body overflowed, whatever the app answers (frameworks turn the error
            # raised in receive() into their own 400) is replaced by our 413.
            nonlocal started
            if too_large:
                return
            started = True
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if too_large and not started:
            await self._reject(scope, receive, send)

    def _error(self) -> BodyTooLarge:
        mb = self.max_bytes / 1024 / 1024
        return BodyTooLarge(f"Nội dung gửi lên vượt quá giới hạn {mb:g} MB.",
                            f"The request body exceeds the {mb:g} MB limit.")

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        lang = request_language(request)
        mb = self.max_bytes / 1024 / 1024
        response = problem(
            request, 413, "too-large",
            "Dữ liệu quá lớn" if lang == "vi" else "Payload too large",
            f"Nội dung gửi lên vượt quá giới hạn {mb:g} MB." if lang == "vi"
            else f"The request body exceeds the {mb:g} MB limit.",
        )
        await response(scope, receive, send)


class BodyTooLarge(TooLarge):
    """The request body went over the limit while it was being read (chunked bodies)."""


class Metrics:
    """Prometheus request metrics, labelled by route template (not raw path)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "nongso_http_requests_total", "HTTP requests", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nongso_http_request_seconds", "HTTP request latency", ["method", "route"],
            registry=self.registry,
        )


class RouteTemplates:
    """Maps a request path to its route template ("/api/v1/units/{code}") for metric labels.

    Built from the application's OpenAPI paths, so that it does not depend on how the
    framework nests included routers; web pages (not in the schema) fall back to their route.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._compiled: list[tuple[re.Pattern[str], str, frozenset[str]]] | None = None

    def _compile(self) -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
        if self._compiled is None:
            compiled = []
            for template, ops in self.app.openapi().get("paths", {}).items():
                regex, _, _ = compile_path(template)
                compiled.append((regex, template, frozenset(m.upper() for m in ops)))
            # Literal segments before parameters: "/units/search" wins over "/units/{code}".
            compiled.sort(key=lambda c: (c[1].count("{"), -len(c[1])))
            self._compiled = compiled
        return self._compiled

    def template(self, method: str, path: str, route: Any) -> str:
        for regex, template, methods in self._compile():
            if method in methods and regex.match(path):
                return template
        if route is not None and getattr(route, "path", None):
            return str(route.path)
        return "unmatched"


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """Count and time every request by route template (a plain ASGI middleware: it leaves the
    request body stream alone, so an error raised while a route reads its body reaches the
    error handlers as itself)."""
    app.add_middleware(_MetricsMiddleware, metrics=metrics, templates=RouteTemplates(app))


class _MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, templates: RouteTemplates) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            method = scope["method"]
            template = self.templates.template(method, scope["path"], scope.get("route"))
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)


# Pages carry no inline script: a text a user wrote can never run as script even if a template
# or a script forgot to escape it. Styles may be inline (Leaflet and ECharts position their
# elements with style attributes); images may be data:/blob: URLs (icons, photo previews);
# WebAssembly (the barcode reader) may be compiled, nothing may be evaluated.
def content_security_policy(image_sources: tuple[str, ...] = ()) -> str:
    """The policy; ``image_sources`` are further origins images may come from (the tile server
    of a configured raster basemap)."""
    return "; ".join((
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        " ".join(("img-src 'self' data: blob:", *image_sources)),
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


CONTENT_SECURITY_POLICY = content_security_policy()

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pages, API, static files, errors).

    A response that sets its own header keeps it.
    """

    def __init__(self, app: ASGIApp, image_sources: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS if not image_sources else (
            (b"content-security-policy", content_security_policy(image_sources).encode()),
            *SECURITY_HEADERS[1:])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in self.headers
                               if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


STATIC_LONG_CACHE = "public, max-age=31536000, immutable"
STATIC_SHORT_CACHE = "public, max-age=3600"


class CachedStaticFiles(StaticFiles):
    """Static files with cache lifetimes: a URL that names the file's version (``?v=`` the
    hash of its content, as the pages write them) is cached for a year; a bare URL for an hour
    (the service worker and old bookmarks still find the newest file)."""

    def file_response(self, full_path: Any, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = STATIC_LONG_CACHE if versioned else STATIC_SHORT_CACHE
        return response


_VERSIONS: dict[tuple[str, float], str] = {}


def static_url(directory: Path, path: str) -> str:
    """``/static/<path>?v=<hash of the content>``: a new version is a new URL."""
    file = directory / path
    try:
        mtime = file.stat().st_mtime
    except OSError:
        return f"/static/{path}"
    key = (str(file), mtime)
    if key not in _VERSIONS:
        _VERSIONS[key] = hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={_VERSIONS[key]}"
