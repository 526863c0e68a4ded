"""Build the FastAPI application from the domains' routers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.middleware.sessions import SessionMiddleware
from starlette_compress import CompressMiddleware, add_compress_type

from nongso import __version__
from nongso.accounts.api import router as accounts_router
from nongso.alerts.api import router as alerts_router
from nongso.core.deps import (
    csrf_for_cookie_writes,
    login_error_on,
    login_for_writes,
    login_for_writes_with,
)
from nongso.core.errors import AppError
from nongso.core.http import (
    BodySizeLimit,
    CachedStaticFiles,
    Metrics,
    SecurityHeaders,
    install_error_handlers,
    install_metrics,
)
from nongso.core.platform import Platform
from nongso.diary.api import router as diary_router
from nongso.market.api import router as market_router
from nongso.monitor.api import router as monitor_router
from nongso.monitor.api import sta_principal, sta_router
from nongso.opendata import api as opendata_api
from nongso.registry.api import router as registry_router
from nongso.registry.ogcapi import router as ogcapi_router
from nongso.remote.api import router as remote_router
from nongso.stats import api as stats_api
from nongso.trace import api as trace_api
from nongso.units.api import router as units_router
from nongso.vision.api import router as vision_router
from nongso.web import alerts as alert_pages
from nongso.web import basemap, pages
from nongso.web import diary as diary_pages
from nongso.web import market as market_pages
from nongso.web import monitor as monitor_pages
from nongso.web import opendata as opendata_pages
from nongso.web import registry as registry_pages
from nongso.web import remote as remote_pages
from nongso.web import stats as stats_pages
from nongso.web import trace as trace_pages
from nongso.web import vision as vision_pages
from nongso.wiring import register_handlers

# Our text media types the compression middleware does not know by default.
COMPRESSED_TYPES = ("application/problem+json", "application/schema+json", "text/csv",
                    "text/turtle", "application/n-triples", "application/cap+xml",
                    "application/vnd.oai.openapi+json", "application/openapi+json")
for _media_type in COMPRESSED_TYPES:
    add_compress_type(_media_type)

log = logging.getLogger("nongso")

STATIC_DIR = Path(__file__).parent / "web" / "static"


def create_app(platform: Platform | None = None) -> FastAPI:
    register_handlers()
    platform = platform or Platform.create()
    settings = platform.settings
    app = FastAPI(
        title="Nông Số API",
        version=__version__,
        description="Nền tảng nông nghiệp số — API của tỉnh (tiếng Việt trước, tiếng Anh sau).",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from the platform's own copy of Swagger UI
        redoc_url=None,
    )
    app.state.platform = platform

    # Anonymous writes are refused (401) before their body is even validated.
    writes_need_login = [Depends(login_for_writes)]
    api = APIRouter(prefix="/api/v1", dependencies=writes_need_login)
    api.include_router(accounts_router)
    api.include_router(units_router)
    api.include_router(registry_router)
    api.include_router(monitor_router)
    api.include_router(alerts_router)
    api.include_router(diary_router)
    api.include_router(trace_api.router)
    api.include_router(remote_router)
    api.include_router(opendata_api.router)
    api.include_router(vision_router)
    api.include_router(market_router)
    api.include_router(stats_api.router)
    api.include_router(stats_api.analytics_router)
    app.include_router(api)
    app.include_router(sta_router, dependencies=[Depends(login_for_writes_with(sta_principal))])
    app.include_router(ogcapi_router)
    app.include_router(pages.router)
    app.include_router(registry_pages.router)
    app.include_router(monitor_pages.router)
    app.include_router(alert_pages.router)
    app.include_router(diary_pages.router)
    app.include_router(trace_api.epcis_router, dependencies=[Depends(csrf_for_cookie_writes)])
    app.include_router(trace_pages.router)
    app.include_router(remote_pages.router)
    # The dataset pages (…/{id}.html) before the public catalogue's routes.
    app.include_router(opendata_pages.router)
    app.include_router(opendata_api.public_router)
    app.include_router(vision_pages.router)
    app.include_router(market_pages.router)
    app.include_router(stats_pages.router)
    app.include_router(basemap.router)
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/api/v1/docs", api_docs, include_in_schema=False)
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)

    install_error_handlers(app, html_page=pages.error_page,
                           login_check=_login_check())
    trace_api.install_error_handlers(app)
    metrics = Metrics()
    install_metrics(app, metrics)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="nongso_session",
        same_site="lax",
        https_only=settings.cookie_secure(),
        max_age=settings.session_ttl_hours * 3600,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Text answers (pages, JSON, scripts, styles) travel compressed with the best method the
    # client accepts (zstd, brotli, gzip); small ones are not worth it. Only text types are
    # compressed (COMPRESSED_TYPES adds ours to the library's list): never the basemap's
    # PMTiles file, whose byte ranges must reach the browser as they are, nor range answers.
    app.add_middleware(CompressMiddleware, minimum_size=500, zstd_level=6, brotli_quality=5,
                       gzip_level=6)
    app.add_middleware(SecurityHeaders, image_sources=basemap.image_sources(settings))

    @app.get("/healthz", tags=["ops"])
    def healthz() -> Response:
        """Liveness and readiness: answers 200 only when the database answers."""
        try:
            platform.check_database()
        except Exception as exc:  # any driver error means not ready
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse(
            {"status": "ok", "database": platform.dialect, "version": __version__}
        )

    @app.get("/metrics", tags=["ops"])
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _login_check() -> Callable[[Request], AppError | None]:
    """The 401 an anonymous write gets before its body is read: the API's callers, and the
    SensorThings callers (who may also use HTTP Basic)."""
    api = login_error_on(("/api/v1/",))
    sta = login_error_on(("/sta/",), principal_of=sta_principal)

    def check(request: Request) -> AppError | None:
        return api(request) or sta(request)

    return check


API_DOCS = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Nông Số API — tài liệu / documentation</title>
<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="/api/v1/openapi.json"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script></body></html>"""


def api_docs() -> HTMLResponse:
    """The interactive API documentation, with Swagger UI from the npm lockfile (no CDN)."""
    return HTMLResponse(API_DOCS)


def favicon() -> FileResponse:
    return FileResponse(STATIC_DIR / "img" / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})
