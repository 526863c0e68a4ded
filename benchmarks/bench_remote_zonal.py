"""Zonal statistics of one radar date over 100,000 fields, and writing them to the database.

The fields: 100,000 rectangles (15–60 m x 100 m, 0.15–0.6 ha, 8 m apart) in rows on UTM 48N
in the province, each registered as a production unit; the scene: one Sentinel-1-like COG of
VH and VV backscatter (dB, 10 m pixels, speckled), written with the platform's COG writer.

Figures, each with its baseline measured in the same run on the same fields:

* ``zonal``: fields/s of :func:`nongso.remote.zonal.zonal_scene` (exactextract on Dask
  threads; VH: mean in linear power, median, 10th and 90th percentiles, valid share) vs
  ``rasterstats.zonal_stats`` with the same statistics on the same polygons and COG;
* ``service`` on SQLite and on PostgreSQL: fields/s of ``reduce_new_scenes`` (read the
  fields from the registry, project them, reduce both bands and the communes, write the rows
  in one transaction) vs a raw executemany of the very rows it wrote, re-inserted.

``--scale 0.1`` for 10,000 fields. PostgreSQL: ``NONGSO_BENCH_PG_URL`` (a user who may
CREATE DATABASE; default postgres on 127.0.0.1:5432); a fresh database is made and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from _common import emit, fresh_platform
from bench_ogcapi_bbox import remove_database
from pyproj import Transformer
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.remote import rasters, zonal
from nongso.remote import services as remote
from nongso.remote.models import FieldStat

FULL = 100_000
X0, Y0 = 560_000.0, 1_150_000.0  # UTM 48N, inside province 82
TO_LL = Transformer.from_crs(32648, 4326, always_xy=True)
PG_ADMIN = os.environ.get("NONGSO_BENCH_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def layout(n: int, seed: int = 5) -> tuple[list[tuple[int, dict[str, Any]]], float, float]:
    """n lon/lat rectangles in rows about 4 km long; the layout's width and height (m)."""
    rng = np.random.default_rng(seed)
    widths = rng.uniform(15, 60, n)
    row_len = 4000.0
    xs, ys = [], []
    x = y = 0.0
    for w in widths:
        if x + w > row_len:
            x, y = 0.0, y + 108.0
        xs.append(x)
        ys.append(y)
        x += w + 8.0
    fields = []
    for i, (x, y, w) in enumerate(zip(xs, ys, widths, strict=True)):
        px = [X0 + x, X0 + x + w, X0 + x + w, X0 + x, X0 + x]
        py = [Y0 + y, Y0 + y, Y0 + y + 100, Y0 + y + 100, Y0 + y]
        lons, lats = TO_LL.transform(px, py)
        fields.append((i + 1, {"type": "Polygon", "coordinates": [[
            [round(a, 8), round(b, 8)] for a, b in zip(lons, lats, strict=True)]]}))
    return fields, row_len, y + 100.0


def write_scene(folder: Path, width_m: float, height_m: float) -> Path:
    pixel = 10.0
    w, h = math.ceil((width_m + 400) / pixel), math.ceil((height_m + 400) / pixel)
    rng = np.random.default_rng(9)
    base = rng.normal(-16.0, 2.5, size=(h // 8 + 1, w // 8 + 1))
    field = np.kron(base, np.ones((8, 8)))[:h, :w]
    speckle = 10 * np.log10(rng.gamma(4.4, 1 / 4.4, size=(2, h, w)))
    bands = {"vh": (field + speckle[0]).astype(np.float32),
             "vv": (field + 6 + speckle[1]).astype(np.float32)}
    return rasters.write_cog(folder / "s1_bench.tif", bands, x0=X0 - 200, y0=Y0 + height_m + 200,
                             pixel=pixel, crs="EPSG:32648", acquired_on=dt.date(2026, 6, 1),
                             sensor="s1")


def bench_zonal(path: Path, fields: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    from rasterstats import zonal_stats

    t = time.perf_counter()
    zones = zonal.project_zones(fields, "EPSG:32648")
    project_s = time.perf_counter() - t
    zonal.zonal_scene(path, ["vh"], "dB", zones[:50], 10.0)  # imports Dask once
    t = time.perf_counter()
    ours = zonal.zonal_scene(path, ["vh"], "dB", zones, 10.0)["vh"]
    ours_s = time.perf_counter() - t
    assert len(ours) == len(fields) and all(z.median is not None for z in ours)
    polygons = [z.geometry for z in zones]
    # rasterstats at its fastest: the band already in memory (given a path it reads a window
    # per feature, about 70 fields/s here).
    import rasterio

    with rasterio.open(path) as ds:
        array, affine = ds.read(1), ds.transform
    zonal_stats(polygons[:50], array, affine=affine, nodata=math.nan, stats="mean")
    t = time.perf_counter()
    theirs = zonal_stats(polygons, array, affine=affine, nodata=math.nan,
                         stats="mean median percentile_10 percentile_90 count")
    theirs_s = time.perf_counter() - t
    assert len(theirs) == len(fields)
    # Same answers where the fields cover whole pixels (medians within a speckle's noise).
    diffs = [abs(a.median - b["median"]) for a, b in zip(ours[:1000], theirs[:1000],
                                                         strict=True)
             if a.median is not None and b["median"] is not None]
    return {"fields": len(fields), "project_s": round(project_s, 2),
            "fields_per_s": round(len(fields) / ours_s), "rasterstats_fields_per_s":
            round(len(fields) / theirs_s), "ratio_to_rasterstats": round(theirs_s / ours_s, 2),
            "median_abs_diff_db_first_1000": round(float(np.median(diffs)), 3)}


def _insert_fields(platform: Platform, fields: list[tuple[int, dict[str, Any]]]) -> None:
    rows = []
    for fid, g in fields:
        ring = g["coordinates"][0]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        rows.append({"id": fid, "name": f"Thửa {fid}", "geometry": json.dumps(g),
                     "min_lon": min(lons), "min_lat": min(lats), "max_lon": max(lons),
                     "max_lat": max(lats)})
    with platform.engine.begin() as conn:
        for i in range(0, len(rows), 20_000):
            conn.execute(text(
                "INSERT INTO production_units (id, kind, name, commune_code, province_code, "
                "crop, area_ha, geometry, min_lon, min_lat, max_lon, max_lat, attributes, "
                "created_at, status, version) VALUES (:id, 'plot', :name, '28321', '82', "
                "'rice', 0.3, :geometry, :min_lon, :min_lat, :max_lon, :max_lat, '{}', "
                "'2026-01-01 00:00:00', 'active', 1)"), rows[i:i + 20_000])


def bench_service(platform: Platform, folder: Path, fields: list[tuple[int, dict[str, Any]]]
                  ) -> dict[str, Any]:
    _insert_fields(platform, fields)
    remote.ingest(platform.uow(SYSTEM), "local", str(folder), province_code="82")
    t = time.perf_counter()
    report = remote.reduce_new_scenes(platform.uow(SYSTEM), "82")
    service_s = time.perf_counter() - t
    assert report.fields == len(fields)
    with platform.engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(FieldStat.__table__))]
        conn.execute(delete(FieldStat))
    t = time.perf_counter()
    with platform.engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(FieldStat.__table__.insert(), rows[i:i + 5000])
    raw_s = time.perf_counter() - t
    return {"fields": len(fields), "rows": len(rows),
            "fields_per_s": round(len(fields) / service_s),
            "raw_insert_rows_per_s": round(len(rows) / raw_s),
            "ratio_service_time_to_raw_insert": round(service_s / raw_s, 2)}


def _pg_database() -> tuple[str, Any]:
    admin = make_url(PG_ADMIN)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    name = f"nongso_bench_{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return admin.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float,
                        default=float(os.environ.get("NONGSO_BENCH_SCALE", "1")))
    args = parser.parse_args()
    n = max(100, int(FULL * args.scale))
    fields, width, height = layout(n)
    folder = Path(tempfile.mkdtemp(prefix="nongso-bench-remote-"))
    try:
        t = time.perf_counter()
        path = write_scene(folder, width, height)
        info = rasters.inspect(path)
        figures: dict[str, Any] = {
            "scale": args.scale, "raster": {"width": info.width, "height": info.height,
                                            "pixel_m": info.pixel_m,
                                            "write_s": round(time.perf_counter() - t, 2)},
            "zonal": bench_zonal(path, fields)}
        sqlite = fresh_platform()
        figures["service_sqlite"] = bench_service(sqlite, folder, fields)
        remove_database(sqlite)
        url, drop = _pg_database()
        try:
            pg = fresh_platform(url)
            figures["service_postgresql"] = bench_service(pg, folder, fields)
            pg.engine.dispose()
        finally:
            drop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    figures["goals"] = {"zonal_ge_1500_fields_per_s": figures["zonal"]["fields_per_s"] >= 1500}
    emit("remote_zonal", **figures)


if __name__ == "__main__":
    main()
