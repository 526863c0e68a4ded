"""OGC API – Features: first page of a commune-sized ``bbox`` query over 1,000,000 production
units on SQLite (spatial index: R*Tree), against a full-table scan in the same run.

Setup (not timed): a fresh SQLite database, the synthetic commune boundaries of Đồng Tháp, and
N production units (small plots, 20–150 m) spread uniformly over the synthetic province
outline, inserted in bulk (the R*Tree triggers keep the index). Timed: HTTP GET
``/ogcapi/collections/production_units/items?bbox=<a commune's bounding box>&limit=100``
through the application (in process), cycling over every commune of the province; and the
baseline, ``SELECT … FROM production_units NOT INDEXED WHERE <box overlaps>`` for the same
boxes (a full-table scan returning the candidates, which is what answering without a spatial
index costs), plus the same query with SQLite free to use the B-tree on the box columns.

    NONGSO_BENCH_SCALE=0.1 .venv/bin/python benchmarks/bench_ogcapi_bbox.py   # 100,000 units
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit, fresh_platform, percentiles
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import text

from nongso.app import create_app
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.registry import services

FULL = 1_000_000


def _insert_units(platform: Platform, n: int, outline: Any, seed: int = 1) -> None:
    rng = random.Random(seed)
    minx, miny, maxx, maxy = outline.bounds
    inside = prep(outline)
    crops = ["rice"] * 7 + ["mango", "durian", "pomelo", "longan"]
    raw = platform.engine.raw_connection()
    cur = raw.cursor()
    sql = ("INSERT INTO production_units (id, kind, name, commune_code, province_code, crop, "
           "area_ha, geometry, min_lon, min_lat, max_lon, max_lat, attributes, created_at, "
           "status, version) VALUES (?, 'plot', ?, '28321', '82', ?, ?, ?, ?, ?, ?, ?, '{}', "
           "'2026-01-01 00:00:00.000000', 'active', 1)")
    batch: list[tuple[object, ...]] = []
    made = 0
    while made < n:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not inside.contains(Point(lon, lat)):
            continue
        made += 1
        w, h = rng.uniform(20, 150) / 109_000, rng.uniform(20, 150) / 110_600
        ring = [[round(lon, 7), round(lat, 7)], [round(lon + w, 7), round(lat, 7)],
                [round(lon + w, 7), round(lat + h, 7)], [round(lon, 7), round(lat + h, 7)],
                [round(lon, 7), round(lat, 7)]]
        geometry = json.dumps({"type": "Polygon", "coordinates": [ring]})
        batch.append((made, f"Thửa {made}", rng.choice(crops), round(w * h * 1.2e6, 4),
                      geometry, lon, lat, lon + w, lat + h))
        if len(batch) == 50_000:
            cur.executemany(sql, batch)
            batch = []
    if batch:
        cur.executemany(sql, batch)
    raw.commit()
    cur.execute("ANALYZE")
    raw.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float,
                        default=float(os.environ.get("NONGSO_BENCH_SCALE", "1")))
    parser.add_argument("--requests", type=int, default=200)
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
    boxes = [shape(f["geometry"]).bounds for f in collection["features"]
             if f["properties"]["level"] == "commune"]
    started = time.perf_counter()
    _insert_units(platform, n, outline)
    load_s = time.perf_counter() - started

    client = TestClient(create_app(platform))
    url = "/ogcapi/collections/production_units/items"
    for b in boxes[:5]:  # warm up (imports, caches)
        client.get(url, params={"bbox": ",".join(map(str, b)), "limit": 100})
    samples: list[float] = []
    returned: list[int] = []
    for i in range(requests):
        b = boxes[i % len(boxes)]
        t0 = time.perf_counter()
        r = client.get(url, params={"bbox": ",".join(map(str, b)), "limit": 100})
        samples.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
        returned.append(r.json()["numberReturned"])

    where = "min_lon <= :x1 AND max_lon >= :x0 AND min_lat <= :y1 AND max_lat >= :y0"
    scans: list[float] = []
    btree: list[float] = []
    candidates: list[int] = []
    with platform.engine.connect() as conn:
        for i in range(12):
            x0, y0, x1, y1 = boxes[(i * 7) % len(boxes)]
            params = {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
            t0 = time.perf_counter()
            rows = conn.execute(text(
                f"SELECT id, geometry FROM production_units NOT INDEXED WHERE {where}"),
                params).all()
            scans.append(time.perf_counter() - t0)
            candidates.append(len(rows))
            t0 = time.perf_counter()
            conn.execute(text(f"SELECT id, geometry FROM production_units WHERE {where} "
                              "ORDER BY id LIMIT 101"), params).all()
            btree.append(time.perf_counter() - t0)
    pct = percentiles(samples)
    scan_ms = statistics.median(scans) * 1000
    emit("ogcapi_bbox", database="sqlite", units=n, communes=len(boxes),
         requests=requests, first_page_limit=100,
         first_page_p50_ms=pct["p50_ms"], first_page_p95_ms=pct["p95_ms"],
         first_page_p99_ms=pct["p99_ms"],
         full_table_scan_p50_ms=round(scan_ms, 3),
         btree_box_columns_p50_ms=round(statistics.median(btree) * 1000, 3),
         ratio_p50_to_full_scan=round(pct["p50_ms"] / scan_ms, 4),
         ratio_p95_to_full_scan=round(pct["p95_ms"] / scan_ms, 4),
         mean_candidates_per_commune_box=round(statistics.mean(candidates)),
         mean_returned=round(statistics.mean(returned), 1),
         load_seconds=round(load_s, 1),
         goal="p95 < 100 ms for the first page at 1,000,000 units")


def remove_database(platform: Platform) -> None:
    """The benchmark's database is large: remove it (and its folder) when done."""
    import shutil
    from pathlib import Path

    url = platform.settings.database_url
    platform.engine.dispose()
    if url.startswith("sqlite:///"):
        shutil.rmtree(Path(url[len("sqlite:///"):]).parent, ignore_errors=True)


if __name__ == "__main__":
    main()
