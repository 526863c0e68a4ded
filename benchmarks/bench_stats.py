"""Statistics at scale, on SQLite and PostgreSQL: 10,000,000 diary activity rows over 5 years
(15 rice seasons) in the 102 communes of Đồng Tháp (``--scale 0.01`` for 100,000).

- ``analytics``: one indicator (rice yield) for all communes × 15 seasons through the
  analytics API (in-process HTTP), p95 — against the same figures as one plain GROUP BY over
  the activities and seasons (goal: p95 < 300 ms).
- ``season_report``: the seasonal report by commune as Excel and as PDF — against its plain
  GROUP BY (goal: < 2 s).
- ``freshness``: harvests saved through the diary's service in a steady stream while the
  refresher runs; time from each save to its figure in the analytics, p95 — against the
  time of a full recount (what a batch "analytics run" costs) (goal: p95 < 60 s).

One JSON line per database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit, percentiles, timed
from _stats_data import build_diary, database
from fastapi.testclient import TestClient
from sqlalchemy import text

from nongso.app import create_app
from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.diary import services as diary
from nongso.diary.schemas import ActivityCreate
from nongso.stats import services
from nongso.stats.worker import StatsWorker

PLAIN_YIELD = """
SELECT s.commune_code, s.season_key,
       SUM(a.quantity_base * (100 - COALESCE(a.moisture_pct, 25)) / 86.0) / 1000.0
         / SUM(s.area_ha)
FROM diary_activities a JOIN diary_seasons s ON s.id = a.season_id
WHERE a.kind = 'harvest' AND a.status <> 'planned' AND s.province_code = '82'
  AND s.season_key IN ({keys})
GROUP BY s.commune_code, s.season_key
"""
PLAIN_REPORT = """
SELECT s.commune_code, s.season_key, SUM(s.area_ha),
       SUM(CASE WHEN a.quantity_base > 0 THEN s.area_ha ELSE 0 END),
       SUM(a.quantity_base * (100 - COALESCE(a.moisture_pct, 25)) / 86.0) / 1000.0
FROM diary_seasons s LEFT JOIN diary_activities a ON a.season_id = s.id AND a.kind = 'harvest'
WHERE s.province_code = '82' AND s.season_key IN (:a, :b)
GROUP BY s.commune_code, s.season_key
"""


def _officer(platform: object) -> dict[str, str]:
    """A province officer's bearer token (the public sees approved figures only)."""
    from nongso.accounts import services as accounts
    from nongso.accounts.schemas import UserCreate

    uow = platform.uow(SYSTEM)  # type: ignore[attr-defined]
    accounts.ensure_user(uow, UserCreate(username="bench.tinh", full_name="Bench",
                                         password="bench-password-1", role="province_officer",
                                         unit_code="82"))
    token = accounts.issue_token(platform.uow(), "bench.tinh",  # type: ignore[attr-defined]
                                 "bench-password-1", "bench")
    return {"Authorization": f"Bearer {token.access_token}"}


def _freshness(platform: object, keys: list[str], seconds: float, rate: float,
               seed: int) -> tuple[list[float], int]:
    """Harvests written at ``rate`` a second for ``seconds``; latency of each to the
    analytics (polled every 0.25 s)."""
    p = platform
    season_key = keys[-2]  # harvested by "today" (the latest was sown a few weeks ago)
    with p.engine.connect() as conn:  # type: ignore[attr-defined]
        candidates = conn.execute(text(
            "SELECT id, commune_code FROM diary_seasons WHERE season_key = :k ORDER BY id"),
            {"k": season_key}).all()
    rng = random.Random(seed)
    worker = StatsWorker(p, interval_s=2.0).start()  # type: ignore[arg-type]
    client = TestClient(create_app(p))  # type: ignore[arg-type]
    client.headers.update(_officer(p))
    pending: list[tuple[str, float, float]] = []  # (commune, saved at, expected output)
    expected: dict[str, float] = {}
    lock = threading.Lock()
    latencies: list[float] = []
    stop = threading.Event()

    def current(commune: str) -> float:
        r = client.get("/api/v1/analytics", params={"dx": "output.rice", "pe": season_key,
                                                   "ou": commune})
        rows = r.json()["rows"]
        return float(rows[0][3]) if rows else 0.0

    def writer() -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sid, commune = rng.choice(candidates)
            kg, moisture = round(rng.uniform(500, 3000), 1), round(rng.uniform(20, 26), 1)
            with lock:
                if commune not in expected:
                    expected[commune] = current(commune)
            diary.create_activity(p.uow(SYSTEM), ActivityCreate(  # type: ignore[attr-defined]
                season_id=sid, kind="harvest", at=dt.datetime(2026, 12, 6, 8, 0),
                quantity=kg, unit="kg", moisture_pct=moisture))
            with lock:
                expected[commune] += kg * (100 - moisture) / 86 / 1000
                pending.append((commune, time.monotonic(), expected[commune]))
            time.sleep(max(0.0, 1 / rate))
        stop.set()

    def prober() -> None:
        while not (stop.is_set() and not pending):
            with lock:
                waiting = list(pending)
            seen: dict[str, float] = {}
            for commune, saved, want in waiting:
                if commune not in seen:
                    seen[commune] = current(commune)
                if seen[commune] >= want - 0.01:
                    latencies.append(time.monotonic() - saved)
                    with lock:
                        pending.remove((commune, saved, want))
            time.sleep(0.25)

    threads = [threading.Thread(target=writer), threading.Thread(target=prober)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 180)
    worker.stop()
    client.close()
    return latencies, len(latencies) + len(pending)


def run(kind: str, scale: float, seed: int, stream_s: float, rate: float) -> None:
    today = dt.date(2026, 12, 7)
    previous = clock.use(clock.FixedClock(dt.datetime(2026, 12, 7, 3, tzinfo=dt.UTC)))
    try:
        with database(kind) as platform:
            built = build_diary(platform, int(10_000_000 * scale), today, seed)
            services.install_reference_data(platform.uow(SYSTEM))
            rebuild_s = timed(lambda: services.rebuild(platform.uow(SYSTEM)))
            keys = built.season_keys
            client = TestClient(create_app(platform))
            client.headers.update(_officer(platform))
            params = {"dx": "rice_yield", "pe": ";".join(keys), "ou": "LEVEL-2;82"}
            first = client.get("/api/v1/analytics", params=params)
            assert first.status_code == 200 and first.json()["height"] > 0, first.text[:300]
            api = [timed(lambda: client.get("/api/v1/analytics", params=params))
                   for _ in range(30)]
            quoted = ", ".join(f"'{k}'" for k in keys)
            with platform.engine.connect() as conn:
                plain = [timed(lambda: conn.execute(text(PLAIN_YIELD.format(keys=quoted)))
                               .all()) for _ in range(5)]
                plain_report = [timed(lambda: conn.execute(text(PLAIN_REPORT), {
                    "a": keys[-1], "b": keys[-4]}).all()) for _ in range(3)]
            services.season_report_file(platform.uow(SYSTEM), keys[-1], "pdf")  # fonts loaded
            report_xlsx = [timed(lambda: services.season_report_file(
                platform.uow(SYSTEM), keys[-1], "xlsx")) for _ in range(3)]
            report_pdf = [timed(lambda: services.season_report_file(
                platform.uow(SYSTEM), keys[-1], "pdf")) for _ in range(3)]
            client.close()
            latencies, writes = _freshness(platform, keys, stream_s, rate, seed)
            a, pl = percentiles(api), percentiles(plain)
            fresh = percentiles(latencies) if latencies else {"p95_ms": None, "p50_ms": None}
            emit("stats", database=kind, activity_rows=built.activity_rows,
                 seasons=built.seasons, season_keys=len(keys),
                 build_seconds=round(built.seconds, 1),
                 analytics_cells=first.json()["height"],
                 analytics_p50_ms=a["p50_ms"], analytics_p95_ms=a["p95_ms"],
                 plain_group_by_p95_ms=pl["p95_ms"],
                 ratio_analytics_to_plain_group_by=round(a["p95_ms"] / pl["p95_ms"], 4),
                 season_report_xlsx_ms=round(max(report_xlsx) * 1000, 1),
                 season_report_pdf_ms=round(max(report_pdf) * 1000, 1),
                 plain_group_by_report_ms=round(max(plain_report) * 1000, 1),
                 ratio_report_to_plain_group_by=round(max(report_pdf) / max(plain_report), 4),
                 freshness_writes=writes, freshness_seen=len(latencies),
                 freshness_p50_s=None if fresh["p50_ms"] is None
                 else round(fresh["p50_ms"] / 1000, 2),
                 freshness_p95_s=None if fresh["p95_ms"] is None
                 else round(fresh["p95_ms"] / 1000, 2),
                 full_recount_s=round(rebuild_s, 2),
                 ratio_freshness_to_full_recount=None if fresh["p95_ms"] is None
                 else round(fresh["p95_ms"] / 1000 / rebuild_s, 4),
                 goals="analytics p95 < 300 ms; report < 2 s; freshness p95 < 60 s")
    finally:
        clock.use(previous)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float,
                        default=float(os.environ.get("NONGSO_BENCH_SCALE", "1")),
                        help="fraction of 10,000,000 activity rows")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--stream-seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=4.0, help="harvests a second")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        run(kind.strip(), args.scale, args.seed, args.stream_seconds, args.rate)


if __name__ == "__main__":
    main()
