"""Phenology: accuracy on the synthetic truth through real rasters, speed for 100,000 series,
and the phenology service on SQLite and PostgreSQL.

* ``accuracy``: 2,000 fields (15–150 m x 200 m in 10 blocks standing for communes) over 15
  months; every acquisition written as a COG (radar every 12 days, NDVI every 10 days with
  clouds, 10 m pixels mixing what they cover), reduced with exactextract, the seasons detected.
  Figures: sowing and harvest RMSE (days) over the matched rice seasons, rice/not-rice errors,
  and the worst relative error of the rice area per block. Goals: sowing ≤ 4 d, harvest ≤ 5 d,
  rice area within ±3 % in every block.
* ``speed``: :func:`nongso.remote.phenology.detect` over 100,000 field series (field means
  with speckle and clouds), fields/s; baseline in the same run: a double-logistic least-squares
  fit of each VH series (``scipy.optimize.curve_fit``, the textbook method) on 1,000 of them.
* ``service_sqlite`` / ``service_postgresql``: ``compute_phenology`` over 5,000 fields' stored
  series (read, detect, write the fields and seasons) vs the pure detection of the same series.

``--scale 0.1`` divides every size by ten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

import contextlib

import numpy as np
from _common import emit, fresh_platform
from bench_ogcapi_bbox import remove_database
from bench_remote_zonal import _insert_fields, _pg_database
from pyproj import Transformer
from sqlalchemy import insert

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.remote import phenology as ph
from nongso.remote import rasters, simulate, zonal
from nongso.remote import services as remote
from nongso.remote import synthetic as syn
from nongso.remote.models import FieldStat, Scene

START, END = dt.date(2025, 10, 1), dt.date(2026, 12, 31)
TO_LL = Transformer.from_crs(32648, 4326, always_xy=True)
X0, Y0 = 560_000.0, 1_150_000.0


def province_layout(n: int, blocks: int = 10, seed: int = 3
                    ) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, int], dict[int, float]]:
    """n fields in ``blocks`` blocks; returns the fields, their block and their area (ha)."""
    rng = np.random.default_rng(seed)
    fields, block_of, area = [], {}, {}
    per = -(-n // blocks)
    fid = 0
    for b in range(blocks):
        bx, by = X0 + (b % 5) * 2600.0, Y0 + (b // 5) * 2600.0
        x = y = 0.0
        for _ in range(min(per, n - fid)):
            w = float(rng.uniform(15, 150))
            if x + w > 2400:
                x, y = 0.0, y + 208.0
            px = [bx + x, bx + x + w, bx + x + w, bx + x, bx + x]
            py = [by + y, by + y, by + y + 200, by + y + 200, by + y]
            lons, lats = TO_LL.transform(px, py)
            fid += 1
            fields.append((fid, {"type": "Polygon", "coordinates": [[
                [round(a, 8), round(c, 8)] for a, c in zip(lons, lats, strict=True)]]}))
            block_of[fid], area[fid] = b, w * 200 / 10_000
            x += w + 8.0
    return fields, block_of, area


def bench_accuracy(n: int) -> dict[str, Any]:
    fields, block_of, area = province_layout(n)
    truths = syn.random_truth([f for f, _ in fields], START, END, seed=17)
    folder = Path(tempfile.mkdtemp(prefix="nongso-bench-phen-"))
    try:
        t = time.perf_counter()
        sim = simulate.write_season(folder, fields, truths, START, END, seed=17, pixel=10.0)
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        zones = zonal.project_zones(fields, sim.crs)
        rows: list[tuple[int, str, dt.date, float | None, float]] = []
        for path in sim.files:
            info = rasters.inspect(path)
            band = "vh" if info.product == "radar" else "ndvi"
            for s in zonal.zonal_scene(path, [band], info.units, zones, info.pixel_m)[band]:
                rows.append((s.zone_id, band, info.acquired_on, s.median, s.valid_share))
        reduce_s = time.perf_counter() - t
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    found = remote.detect_all(rows)
    sow, harvest, wrong = [], [], 0
    true_area: dict[int, float] = defaultdict(float)
    seen_area: dict[int, float] = defaultdict(float)
    for fid, truth in truths.items():
        r = found[fid]
        wrong += r.is_rice != truth.is_rice
        if truth.is_rice:
            true_area[block_of[fid]] += area[fid]
        if r.is_rice:
            seen_area[block_of[fid]] += area[fid]
        pairs = ph.match([(s.sowing, s.harvest) for s in truth.seasons], r.seasons)
        for i, j in pairs:
            sow.append((r.seasons[j].sowing - truth.seasons[i].sowing).days)
            h = r.seasons[j].harvest
            if h is not None:
                harvest.append((h - truth.seasons[i].harvest).days)
    n_seasons = sum(len(t.seasons) for t in truths.values() if t.is_rice)
    area_err = [abs(seen_area[b] - true_area[b]) / true_area[b] * 100 for b in true_area]
    return {"fields": n, "scenes": len(sim.files), "write_s": round(write_s, 1),
            "reduce_s": round(reduce_s, 1),
            "rice_fields_true": sum(t.is_rice for t in truths.values()),
            "misclassified_fields": wrong, "rice_seasons_true": n_seasons,
            "seasons_matched": len(sow),
            "sowing_rmse_days": round(float(np.sqrt(np.mean(np.square(sow)))), 2),
            "sowing_bias_days": round(float(np.mean(sow)), 2),
            "harvest_rmse_days": round(float(np.sqrt(np.mean(np.square(harvest)))), 2),
            "harvest_bias_days": round(float(np.mean(harvest)), 2),
            "rice_area_worst_block_error_pct": round(max(area_err), 2)}


def _double_logistic(t: Any, lo: float, hi: float, a: float, b: float, c: float, d: float
                     ) -> Any:
    return lo + (hi - lo) * (1 / (1 + np.exp(-(t - a) / b)) - 1 / (1 + np.exp(-(t - c) / d)))


def baseline_curve_fit(series: list[ph.FieldSeries]) -> float:
    """Seconds for one double-logistic fit per series (the first season's window)."""
    import warnings

    from scipy.optimize import OptimizeWarning, curve_fit

    warnings.simplefilter("ignore", OptimizeWarning)
    warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow of bad trial parameters
    t = time.perf_counter()
    for s in series:
        x = s.vh_days - s.vh_days[0]
        p0 = [-20.0, -14.0, 60.0, 6.0, 150.0, 3.0]
        with contextlib.suppress(RuntimeError, ValueError):
            curve_fit(_double_logistic, x, s.vh, p0=p0, maxfev=2000)
    return time.perf_counter() - t


def bench_speed(n: int) -> dict[str, Any]:
    truths = syn.random_truth(range(1, n + 1), START, END, seed=23)
    radar = syn.acquisitions(START, END, "s1")
    optical = syn.acquisitions(START, END, "s2", phase=4)
    rng = np.random.default_rng(1)
    t = time.perf_counter()
    series = [syn.field_series(truths[i], radar, optical, 23, pixels=float(rng.uniform(10, 150)))
              for i in range(1, n + 1)]
    gen_s = time.perf_counter() - t
    t = time.perf_counter()
    found = [ph.detect(s) for s in series]
    detect_s = time.perf_counter() - t
    k = min(1000, n)
    fit_s = baseline_curve_fit(series[:k])
    return {"series": n, "dates": len(radar) + len(optical), "generate_s": round(gen_s, 1),
            "fields_per_s": round(n / detect_s), "rice_found": sum(f.is_rice for f in found),
            "curve_fit_fields_per_s": round(k / fit_s),
            "ratio_to_curve_fit": round((n / detect_s) / (k / fit_s), 2)}


def bench_service(platform: Platform, n: int) -> dict[str, Any]:
    """Stored series of n fields (their registry rows too), then compute_phenology."""
    fields, _block, _area = province_layout(n, blocks=2)
    _insert_fields(platform, fields)
    truths = syn.random_truth([f for f, _ in fields], START, END, seed=29)
    radar = syn.acquisitions(START, END, "s1")
    optical = syn.acquisitions(START, END, "s2", phase=4)
    with platform.engine.begin() as conn:
        scene_ids = {}
        for day, sensor in [(d, "s1") for d in radar] + [(d, "s2") for d in optical]:
            r = conn.execute(insert(Scene).values(
                source="bench", uri=f"bench://{sensor}/{day}", path="-", fingerprint="-",
                acquired_on=day, sensor=sensor,
                product="radar" if sensor == "s1" else "ndvi", bands=["vh"], units="dB",
                crs="EPSG:32648", width=1, height=1, pixel_m=10.0, footprint="{}",
                min_lon=0, min_lat=0, max_lon=0, max_lat=0, status="reduced",
                registered_at=dt.datetime.now(dt.UTC)))
            scene_ids[(sensor, day)] = r.inserted_primary_key[0]
        rows = []
        pure_rows: list[tuple[int, str, dt.date, float | None, float]] = []
        for fid, _ in fields:
            s = syn.field_series(truths[fid], radar, optical, 29)
            for band, sensor, days, values in (("vh", "s1", radar, s.vh),
                                               ("ndvi", "s2", optical, s.ndvi)):
                for day, v in zip(days, values, strict=True):
                    value = None if np.isnan(v) else float(v)
                    share = 0.0 if value is None else 1.0
                    rows.append(dict(scene_id=scene_ids[(sensor, day)], field_id=fid, band=band,
                                     acquired_on=day, commune_code="28321", mean=value,
                                     median=value, p10=value, p90=value, valid_share=share,
                                     pixels=30.0))
                    pure_rows.append((fid, band, day, value, share))
        for i in range(0, len(rows), 20_000):
            conn.execute(insert(FieldStat), rows[i:i + 20_000])
    t = time.perf_counter()
    report = remote.compute_phenology(platform.uow(SYSTEM), "82")
    service_s = time.perf_counter() - t
    t = time.perf_counter()
    remote.detect_all(sorted(pure_rows, key=lambda r: (r[0], r[1], r[2])))
    pure_s = time.perf_counter() - t
    return {"fields": report.fields, "stored_values": len(rows), "seasons": report.seasons,
            "fields_per_s": round(report.fields / service_s),
            "pure_detect_fields_per_s": round(n / pure_s),
            "ratio_service_time_to_pure": round(service_s / pure_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float,
                        default=float(os.environ.get("NONGSO_BENCH_SCALE", "1")))
    args = parser.parse_args()
    s = args.scale
    accuracy = bench_accuracy(max(200, int(2000 * s)))
    figures: dict[str, Any] = {"scale": s, "accuracy": accuracy,
                               "speed": bench_speed(max(500, int(100_000 * s)))}
    sqlite = fresh_platform()
    figures["service_sqlite"] = bench_service(sqlite, max(200, int(5000 * s)))
    remove_database(sqlite)
    url, drop = _pg_database()
    try:
        pg = fresh_platform(url)
        figures["service_postgresql"] = bench_service(pg, max(200, int(5000 * s)))
        pg.engine.dispose()
    finally:
        drop()
    figures["goals"] = {
        "sowing_rmse_le_4_days": accuracy["sowing_rmse_days"] <= 4,
        "harvest_rmse_le_5_days": accuracy["harvest_rmse_days"] <= 5,
        "rice_area_per_block_within_3_pct": accuracy["rice_area_worst_block_error_pct"] <= 3,
    }
    emit("remote_phenology", **figures)


if __name__ == "__main__":
    main()
