"""The map page with 100,000 production units: what one view costs the server.

Setup (not timed): a fresh SQLite database, synthetic communes, N units spread over the
province (see bench_ogcapi_bbox.py). Timed: the map endpoint the page calls on every pan/zoom,
``/api/v1/registry/map``, for the whole province (zoom 9: counts per grid cell) and for
commune-sized views (zoom 14: the features themselves, up to the map's limit, else counts),
against the naive map in the same run — sending every feature of the province as one GeoJSON
FeatureCollection (``/api/v1/registry/export/production_units.geojson``), which is what a page
without bbox loading and clustering would have to download and draw.

    NONGSO_BENCH_SCALE=0.1 .venv/bin/python benchmarks/bench_map_100k.py   # 10,000 units
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit, fresh_platform, percentiles
from bench_ogcapi_bbox import _insert_units, remove_database
from fastapi.testclient import TestClient
from shapely.geometry import shape

from nongso.app import create_app
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.registry import services

FULL = 100_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float,
                        default=float(os.environ.get("NONGSO_BENCH_SCALE", "1")))
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    n = int(FULL * args.scale)
    platform = fresh_platform()
    try:
        _run(platform, n, args.requests)
    finally:
        remove_database(platform)


def _run(platform: Platform, n: int, requests: int) -> None:
    services.synthesize_boundaries(platform.uow(SYSTEM), "82")
    collection = services.boundaries_geojson(platform.uow(), "82")
    outline = shape(next(f["geometry"] for f in collection["features"]
                         if f["properties"]["level"] == "province"))
    communes = [shape(f["geometry"]) for f in collection["features"]
                if f["properties"]["level"] == "commune"]
    _insert_units(platform, n, outline)
    client = TestClient(create_app(platform))
    minx, miny, maxx, maxy = outline.bounds
    province_view = f"{minx},{miny},{maxx},{maxy}"

    def view(params: dict[str, str | int]) -> tuple[float, int, str]:
        t0 = time.perf_counter()
        r = client.get("/api/v1/registry/map", params=params)
        elapsed = time.perf_counter() - t0
        assert r.status_code == 200, r.text
        layer = r.json()["layers"][0]
        return elapsed, len(r.content), layer["mode"]

    view({"bbox": province_view, "zoom": 9, "layers": "production_units"})  # warm up
    province = [view({"bbox": province_view, "zoom": 9, "layers": "production_units"})
                for _ in range(requests)]
    local: list[tuple[float, int, str]] = []
    for i in range(requests):
        c = communes[i % len(communes)].centroid
        # A phone screen at zoom 14 shows about 2.2 km × 4 km.
        box = f"{c.x - 0.01},{c.y - 0.018},{c.x + 0.01},{c.y + 0.018}"
        local.append(view({"bbox": box, "zoom": 14, "layers": "production_units"}))
    naive: list[float] = []
    naive_bytes = 0
    for _ in range(3):
        t0 = time.perf_counter()
        r = client.get("/api/v1/registry/export/production_units.geojson")
        naive.append(time.perf_counter() - t0)
        naive_bytes = len(r.content)
    p_province = percentiles([s for s, _, _ in province])
    p_local = percentiles([s for s, _, _ in local])
    naive_ms = statistics.median(naive) * 1000
    emit("map_100k", database="sqlite", units=n, requests=requests,
         province_view_p50_ms=p_province["p50_ms"], province_view_p95_ms=p_province["p95_ms"],
         province_view_kb=round(statistics.mean(b for _, b, _ in province) / 1024, 1),
         commune_view_p50_ms=p_local["p50_ms"], commune_view_p95_ms=p_local["p95_ms"],
         commune_view_kb=round(statistics.mean(b for _, b, _ in local) / 1024, 1),
         commune_views_with_features=sum(1 for *_, m in local if m == "features"),
         naive_full_geojson_p50_ms=round(naive_ms, 1),
         naive_full_geojson_kb=round(naive_bytes / 1024, 1),
         ratio_province_view_to_naive=round(p_province["p50_ms"] / naive_ms, 4),
         ratio_commune_view_to_naive=round(p_local["p50_ms"] / naive_ms, 4))


if __name__ == "__main__":
    main()
