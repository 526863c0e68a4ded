"""Consumer page on a cheap phone: bytes transferred before load and first contentful paint.

A tiny dataset (one product, one farm, one lot) on a fresh SQLite database and on a fresh
PostgreSQL database (NONGSO_BENCH_PG_URL, default the test server 127.0.0.1:5432, whose user may
CREATE DATABASE). The page is opened in headless Chromium at 360 px with the network throttled
through CDP ``Network.emulateNetworkConditions`` (400 kbit/s down and up, 400 ms round trip).
One JSON line per database: bytes transferred before the load event (compressed, as sent),
the same responses uncompressed (the baseline of the run: ratio = transferred / uncompressed),
first contentful paint, the content encodings seen and whether the map's script came after
first paint. Goal (issue 14): ≤ 100 KB before load, first contentful paint < 1.5 s.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from typing import Any

import uvicorn
from _common import emit, fresh_platform
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, make_url, text

from nongso.app import create_app
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.trace import services as trace
from nongso.trace.schemas import LocationCreate, LotCreate, ProductCreate

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KBIT = 400
RTT_MS = 400


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _tiny_lot(platform: Platform) -> str:
    uow = platform.uow(SYSTEM)
    product = trace.create_product(uow, ProductCreate(
        name="Xoài Cát Hòa Lộc", name_en="Hoa Loc mango", kind="mango", crop="mango"))
    place = trace.create_location(uow, LocationCreate(
        name="Vườn xoài Mỹ Xương", kind="farm", commune_code=None, lat=10.41, lon=105.71))
    lot = trace.commission_lot(uow, LotCreate(
        product_id=product.id, label="Xoài Cát Hòa Lộc — vụ 2026", lot_code="BENCH1",
        quantity=500, location_id=place.id))
    return f"/01/{lot.gtin}/10/{lot.lot_code}"


def _pg_database() -> tuple[str, Any]:
    admin = make_url(os.environ.get("NONGSO_BENCH_PG_URL", PG_DEFAULT))
    name = f"nongso_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return admin.set(database=name).render_as_string(hide_password=False), drop


def measure(platform: Platform) -> dict[str, Any]:
    path = _tiny_lot(platform)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(platform), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
            context = browser.new_context(viewport={"width": 360, "height": 740},
                                          locale="vi-VN", device_scale_factor=1)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", {
                "offline": False, "latency": RTT_MS,
                "downloadThroughput": KBIT * 1000 / 8, "uploadThroughput": KBIT * 1000 / 8})
            state: dict[str, Any] = {"loaded": False, "encoded": 0, "decoded": 0,
                                     "after": 0, "urls": {}, "encodings": set()}

            def on_response(e: dict[str, Any]) -> None:
                r = e["response"]
                state["urls"][e["requestId"]] = r["url"]
                enc = {k.lower(): v for k, v in r.get("headers", {}).items()}.get(
                    "content-encoding")
                if enc:
                    state["encodings"].add(enc)

            def on_data(e: dict[str, Any]) -> None:
                if not state["loaded"]:
                    state["decoded"] += e["dataLength"]

            def on_finished(e: dict[str, Any]) -> None:
                key = "after" if state["loaded"] else "encoded"
                state[key] += int(e["encodedDataLength"])

            cdp.on("Network.responseReceived", on_response)
            cdp.on("Network.dataReceived", on_data)
            cdp.on("Network.loadingFinished", on_finished)
            page.goto(f"http://127.0.0.1:{port}{path}", wait_until="load")
            state["loaded"] = True
            fcp = page.evaluate(
                "() => (performance.getEntriesByName('first-contentful-paint')[0] || {})"
                ".startTime || null")
            map_at = page.evaluate(
                "() => { const r = performance.getEntriesByType('resource')"
                ".find(x => x.name.includes('leaflet')); return r ? r.startTime : null }")
            page.wait_for_timeout(200)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return {"transferred_before_load_bytes": state["encoded"],
            "uncompressed_bytes": state["decoded"],
            "ratio": round(state["encoded"] / state["decoded"], 3) if state["decoded"] else None,
            "first_contentful_paint_ms": round(fcp, 1) if fcp else None,
            "map_requested_after_fcp": bool(map_at and fcp and map_at >= fcp),
            "encodings": sorted(state["encodings"])}


def main() -> None:
    common = {"viewport_px": 360, "throughput_kbit_s": KBIT, "rtt_ms": RTT_MS,
              "goal": "<= 100 KB before load, FCP < 1.5 s"}
    emit("consumer_page", database="sqlite", **common, **measure(fresh_platform()))
    url, drop = _pg_database()
    try:
        platform = fresh_platform(url)
        emit("consumer_page", database="postgresql", **common, **measure(platform))
        platform.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
