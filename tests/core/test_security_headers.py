"""Every response carries the security headers (a Content-Security-Policy without inline
script, nosniff, referrer policy, no framing), text answers travel compressed and static files
are cached."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import brotli
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from tests.helpers import Actors

WEB = Path(__file__).resolve().parents[2] / "src" / "nongso" / "web"
TEMPLATES, STATIC = WEB / "templates", WEB / "static"


def _check(r: object, where: str) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    csp = headers.get("content-security-policy", "")
    script_src = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
    assert "script-src 'self'" in script_src, where
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src.replace(
        "wasm-unsafe-eval", ""), where
    assert "frame-ancestors 'none'" in csp, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", where


def _get_paths(routes: list[Any], prefix: str = "") -> set[str]:
    """The paths of every GET route, also those of routers included in routers."""
    paths = set()
    for route in routes:
        if hasattr(route, "original_router"):
            paths |= _get_paths(route.original_router.routes,
                                prefix + (getattr(route.include_context, "prefix", "") or ""))
        elif isinstance(route, APIRoute | Route) and "GET" in (route.methods or ()):
            paths.add(prefix + route.path)
    return paths


def test_every_page_and_api_response_carries_the_security_headers(
        client: TestClient, actors: Actors) -> None:
    paths = sorted(p for p in _get_paths(client.app.routes)  # type: ignore[attr-defined]
                   if "{" not in p)
    assert len(paths) > 100
    for path in paths:
        r = client.get(path, headers={**actors.headers("admin"), "Accept": "text/html"},
                       follow_redirects=False)
        assert r.status_code < 500, (path, r.status_code)
        _check(r, f"{path} {r.status_code}")
    for r in (client.get("/api/v1/no-such-thing"), client.get("/static/js/trace.js"),
              client.post("/api/v1/farmers", json={}),
              client.get("/trace/lots/999999", headers={"Accept": "text/html"})):
        _check(r, f"{r.request.url} {r.status_code}")


def test_the_api_documentation_runs_no_inline_script_and_nothing_from_a_cdn(
        client: TestClient) -> None:
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    policy = r.headers["content-security-policy"]
    script_src = policy.split("script-src")[1].split(";")[0]
    assert "unsafe-inline" not in script_src and "nonce" not in script_src
    assert "http" not in script_src  # no CDN
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip()
                           for attrs, body in scripts)
    assert r.headers["x-content-type-options"] == "nosniff"


def test_templates_hold_no_inline_script_or_event_handler() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), template


def test_text_is_compressed_and_static_files_are_cached(client: TestClient) -> None:
    with client.stream("GET", "/static/vendor/leaflet/leaflet.js",
                       headers={"Accept-Encoding": "gzip"}) as r:
        sent = b"".join(r.iter_raw())
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert len(sent) < 60_000  # 148 KB as sent before
    assert gzip.decompress(sent) == (STATIC / "vendor/leaflet/leaflet.js").read_bytes()
    assert r.headers["cache-control"] == "public, max-age=3600"
    raw = client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and len(raw.content) > 140_000
    page = client.get("/units", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    # Pages name their static files by version; those are kept for a year.
    versioned = re.search(r'src="(/static/js/units\.js\?v=[0-9a-f]{10})"', page.text)
    assert versioned is not None, page.text
    r = client.get(versioned.group(1))
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # below the minimum size


def test_brotli_where_the_client_accepts_it(client: TestClient) -> None:
    leaflet = (STATIC / "vendor/leaflet/leaflet.js").read_bytes()

    def sent(path: str, accept: str) -> tuple[str | None, bytes, str]:
        with client.stream("GET", path, headers={"Accept-Encoding": accept}) as r:
            return (r.headers.get("content-encoding"), b"".join(r.iter_raw()),
                    r.headers.get("vary", ""))

    # A browser (Chromium sends "gzip, deflate, br, zstd") gets the best method it accepts.
    encoding, body, vary = sent("/static/vendor/leaflet/leaflet.js", "gzip, deflate, br")
    assert encoding == "br" and "accept-encoding" in vary.lower()
    assert brotli.decompress(body) == leaflet
    br_size = len(body)
    encoding, body, _ = sent("/static/vendor/leaflet/leaflet.js", "gzip")
    assert encoding == "gzip" and gzip.decompress(body) == leaflet
    assert br_size < len(body) < 60_000
    # Pages and JSON answers too.
    encoding, body, _ = sent("/api/v1/openapi.json", "br")
    assert encoding == "br" and json.loads(brotli.decompress(body))["openapi"]
