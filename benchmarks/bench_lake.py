"""The analytics lake at scale: 10,000,000 diary activity rows (``--scale 0.01`` for 100,000)
exported to partitioned Parquet, and the commune × season report on it through DuckDB and
Dask (``LocalCluster`` with 1 and with 2 workers), against the relational ``GROUP BY`` of the
same report on the same rows in the same run. SQLite by default; ``--postgresql`` on a fresh
database of the local server (``NONGSO_BENCH_PG_URL`` or postgres@127.0.0.1).

The rows are written raw (``executemany`` on SQLite, ``COPY`` on PostgreSQL, foreign-key
triggers off while loading), so only the lake and the reports are measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit, fresh_platform
from sqlalchemy import create_engine, text

from nongso.core.permissions import SYSTEM
from nongso.opendata import reports, services

SOURCE = ("(SELECT a.*, s.season_key, s.crop FROM diary_activities a "
          "LEFT JOIN diary_seasons s ON s.id = a.season_id) x")
KINDS = ("sowing", "fertilising", "spraying", "irrigation", "scouting", "harvest")


def _pg_url() -> str:
    admin = os.environ.get("NONGSO_BENCH_PG_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = f"nongso_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.rsplit("/", 1)[0] + "/" + name


def _rows(n: int, seed: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]],
                                       list[tuple[object, ...]]]:
    rng = random.Random(seed)
    communes = [f"{29000 + i:05d}" for i in range(100)]
    seasons_per_plot = 6
    plots_n = max(1, n // 60)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    plots, seasons, acts = [], [], []
    keys = [("dong_xuan", 2024, 2025), ("he_thu", 2025, 2025), ("thu_dong", 2025, 2025),
            ("dong_xuan", 2025, 2026), ("he_thu", 2026, 2026), ("thu_dong", 2026, 2026)]
    for p in range(1, plots_n + 1):
        commune = communes[p % len(communes)]
        plots.append((p, commune, "82", f"B-{p}", f"Thửa {p}", 1.0, "[]", now))
        for k, (kind, y1, y2) in enumerate(keys):
            sid = (p - 1) * seasons_per_plot + k + 1
            key = f"{kind}:{y1}-{y2}" if y1 != y2 else f"{kind}:{y1}"
            seasons.append((sid, p, p, commune, "82", kind, y1, y2, key, "rice", 1.0, "open",
                            now))
    aid = 0
    while aid < n:
        for s in seasons:
            if aid >= n:
                break
            for _ in range(10):
                if aid >= n:
                    break
                aid += 1
                kind = KINDS[rng.randrange(len(KINDS))]
                at = dt.datetime(s[6], 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                    days=rng.randrange(300), hours=rng.randrange(24))
                qty = round(rng.uniform(2000, 8000), 1) if kind == "harvest" else None
                status = "planned" if rng.random() < 0.05 else "done"
                acts.append((aid, str(uuid.UUID(int=aid)), s[0], s[1], s[2], s[3], "82", kind,
                             status, at, qty, "kg" if qty else None, now, now))
    return plots, seasons, acts


def load(platform: object, n: int, seed: int) -> float:
    engine = platform.engine  # type: ignore[attr-defined]
    plots, seasons, acts = _rows(n, seed)
    start = time.perf_counter()
    plot_sql = ("INSERT INTO diary_plots (id, commune_code, province_code, code, name, area_ha, "
                "certifications, created_at) VALUES ({})")
    season_sql = ("INSERT INTO diary_seasons (id, plot_id, farmer_id, commune_code, "
                  "province_code, season_kind, year_start, year_end, season_key, crop, area_ha, "
                  "status, created_at, activities_count, sprays_count, fertilising_count, "
                  "harvest_kg, n_kg, p2o5_kg, k2o_kg, flags_count) VALUES ({}, 0, 0, 0, 0, 0, "
                  "0, 0, 0)")
    act_cols = ("id, client_uuid, season_id, plot_id, farmer_id, commune_code, province_code, "
                "kind, status, at, quantity_base, base_unit, created_at, updated_at, version")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.executemany(plot_sql.format(",".join("?" * 8)), plots)
            cur.executemany(season_sql.format(",".join("?" * 13)), seasons)
            cur.executemany(f"INSERT INTO diary_activities ({act_cols}) VALUES "
                            f"({','.join('?' * 14)}, 1)", acts)
        else:
            cur.execute("SET session_replication_role = replica")
            cur.executemany(plot_sql.format(",".join(["%s"] * 8)), plots)
            cur.executemany(season_sql.format(",".join(["%s"] * 13)), seasons)
            with cur.copy(f"COPY diary_activities ({act_cols}) FROM STDIN") as copy:
                for row in acts:
                    copy.write_row((*row, 1))
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float,
                        default=float(os.environ.get("NONGSO_BENCH_SCALE", "1")))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    n = int(10_000_000 * args.scale)
    platform = fresh_platform(_pg_url() if args.postgresql else None)
    load_s = load(platform, n, args.seed)
    services.use_lake_root(Path(tempfile.mkdtemp(prefix="nongso-lake-")))

    t0 = time.perf_counter()
    export = services.export_lake(platform.uow(SYSTEM), tables=("diary_activities",))
    export_s = time.perf_counter() - t0
    files = services.lake_files()

    t0 = time.perf_counter()
    with platform.engine.connect() as conn:
        relational = reports.relational_commune_season(conn, SOURCE)
    relational_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    duck = reports.duckdb_commune_season(files)
    duck_s = time.perf_counter() - t0
    assert duck == relational, "DuckDB and the relational GROUP BY disagree"

    from dask.distributed import Client, LocalCluster

    dask_s: dict[int, float] = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            reports.dask_commune_season(files[:1], client)  # warm the workers
            t0 = time.perf_counter()
            out = reports.dask_commune_season(files, client)
            dask_s[workers] = time.perf_counter() - t0
            assert out == relational, "Dask and the relational GROUP BY disagree"
    emit("lake", database=platform.dialect, rows=n,  # type: ignore[attr-defined]
         raw_load_s=round(load_s, 2), export_s=round(export_s, 2),
         export_rows_per_s=round(n / export_s), files=len(files),
         parquet_mb=round(sum(Path(f).stat().st_size for f in files) / 1e6, 1),
         relational_group_by_s=round(relational_s, 3), duckdb_s=round(duck_s, 3),
         duckdb_ratio=round(duck_s / relational_s, 3), dask_1_worker_s=round(dask_s[1], 3),
         dask_2_workers_s=round(dask_s[2], 3),
         dask_2_over_1=round(dask_s[2] / dask_s[1], 3), report_rows=len(relational))
    _ = export, io


if __name__ == "__main__":
    main()
