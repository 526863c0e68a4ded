"""Farm diary at scale: co-op season summary p95 and commune × season aggregate on SQLite
with 10,000,000 activity rows (``--scale 0.01`` for 100,000), against the same aggregates as
plain SQL GROUP BYs over the activities in the same run; Excel import rows/s of a 10,000-row
file against merely reading that file with openpyxl.

The diary keeps each season's figures up to date when its activities are written, so the
reports are GROUP BYs over seasons; the baselines aggregate the raw activity rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit, fresh_platform, percentiles, timed
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, func, select, text

from nongso.core.permissions import SYSTEM, Principal
from nongso.demo import services as demo
from nongso.diary import services
from nongso.diary.models import Activity, Plot, Season
from nongso.registry.models import Organisation

PLAIN_AREA = text("""
SELECT s.commune_code, s.season_key, count(DISTINCT s.id), sum(CASE WHEN a.kind = 'spraying'
       THEN 1 ELSE 0 END), count(*), sum(CASE WHEN a.kind = 'harvest' THEN a.quantity_base
       ELSE 0 END)
FROM diary_activities a JOIN diary_seasons s ON s.id = a.season_id
WHERE s.province_code = :p AND a.status <> 'planned'
GROUP BY s.commune_code, s.season_key
""")
PLAIN_COOP = text("""
SELECT a.kind, count(*), sum(a.quantity_base)
FROM diary_activities a JOIN diary_seasons s ON s.id = a.season_id
WHERE a.organisation_id = :o AND s.season_key = :k AND a.status <> 'planned'
GROUP BY a.kind
""")


def build(target: int, seed: int) -> tuple[object, int, float]:
    platform = fresh_platform()

    @event.listens_for(platform.engine, "connect")
    def _big_cache(dbapi_connection: object, record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB page cache for the build
        cursor.close()

    platform.engine.dispose()
    registry_scale = max(0.05, 4.0 * target / 10_000_000)
    start = time.perf_counter()
    demo.build_demo(platform.uow(SYSTEM), "82", "bench-password", seed, registry_scale)
    with platform.uow() as uow:
        have = uow.session.scalar(select(func.count()).select_from(Activity)) or 0
        rice = uow.session.scalar(text(
            "SELECT count(*) FROM production_units WHERE crop = 'rice' AND farmer_id IS NOT "
            "NULL AND id NOT IN (SELECT production_unit_id FROM diary_plots WHERE "
            "production_unit_id IS NOT NULL)")) or 1
    # One year more than the estimate: the build stops at the target anyway.
    years = max(1, math.ceil((target - have) / (rice * 3 * 15.5))) + 1
    demo.build_diary_demo(platform.uow(SYSTEM), "82", seed, share=1.0, years=years,
                          max_activities=max(0, target - have))
    with platform.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        rows = conn.execute(text("SELECT count(*) FROM diary_activities")).scalar() or 0
    return platform, int(rows), time.perf_counter() - start


def import_file(platform: object, rows: int, rng: random.Random) -> tuple[bytes, Principal]:
    """A 10,000-row file for one co-operative's plots (Đông Xuân 2025-2026)."""
    with platform.uow() as uow:  # type: ignore[attr-defined]
        s = uow.session
        org_id, _n = s.execute(select(Season.organisation_id, func.count()).where(
            Season.season_key == "dong_xuan:2025-2026").group_by(Season.organisation_id)
            .order_by(func.count().desc()).limit(1)).one()
        plots = s.execute(select(Plot.code, Season.sowing_date).join(
            Season, Season.plot_id == Plot.id).where(
            Season.organisation_id == org_id, Season.season_key == "dong_xuan:2025-2026")).all()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Mã thửa", "Vụ", "Ngày thực hiện", "Công việc", "Tên vật tư", "Số lượng",
               "Đơn vị", "Ghi chú"])
    for i in range(rows):
        code, sowing = plots[i % len(plots)]
        day = sowing + dt.timedelta(days=rng.randint(0, 80))
        if i % 3 == 0:
            ws.append([code, "Đông Xuân 2025-2026", day.strftime("%d/%m/%Y"), "Bón phân",
                       "Urê 46% N", f"{rng.uniform(20, 60):.1f}".replace(".", ","), "kg",
                       f"nhập thử {i}"])
        else:
            ws.append([code, "Đông Xuân 2025-2026", day.strftime("%d/%m/%Y"), "Tưới nước",
                       None, None, None, f"nhập thử {i}"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), Principal(role="coop_manager", user_id=None, username="bench",
                                     organisation_id=org_id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float,
                        default=float(os.environ.get("NONGSO_BENCH_SCALE", "1")),
                        help="fraction of 10,000,000 activity rows")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--import-rows", type=int, default=10_000)
    args = parser.parse_args()
    target = int(10_000_000 * args.scale)
    platform, rows, build_s = build(target, args.seed)
    rng = random.Random(args.seed)
    with platform.uow() as uow:  # type: ignore[attr-defined]
        key = "dong_xuan:2025-2026"
        coops = list(uow.session.scalars(select(Organisation.id).where(
            Organisation.kind == "cooperative")).all())
    admin = platform.uow(SYSTEM)  # type: ignore[attr-defined]
    sample = [rng.choice(coops) for _ in range(60)]
    coop_times, plain_coop_times = [], []
    for org in sample:
        p = Principal(role="coop_manager", user_id=None, username="bench", organisation_id=org)
        coop_times.append(timed(lambda p=p, org=org: services.coop_summary(
            platform.uow(p), org, key)))  # type: ignore[attr-defined]
        with platform.engine.connect() as conn:  # type: ignore[attr-defined]
            plain_coop_times.append(timed(lambda conn=conn, org=org: conn.execute(
                PLAIN_COOP, {"o": org, "k": key}).all()))
    area_times, plain_area_times = [], []
    for _ in range(5):
        area_times.append(timed(lambda: services.area_aggregate(admin, "82")))
        with platform.engine.connect() as conn:  # type: ignore[attr-defined]
            plain_area_times.append(timed(lambda conn=conn: conn.execute(
                PLAIN_AREA, {"p": "82"}).all()))
    content, manager = import_file(platform, args.import_rows, rng)
    read_s = timed(lambda: sum(1 for _ in load_workbook(io.BytesIO(content), read_only=True)
                               .active.iter_rows(values_only=True)))
    report = None

    def run_import() -> None:
        nonlocal report
        report = services.import_activities(platform.uow(manager), content,  # type: ignore
                                            "bench.xlsx")

    import_s = timed(run_import)
    assert report is not None and report.rows_imported == args.import_rows, report
    coop = percentiles(coop_times)
    plain_coop = percentiles(plain_coop_times)
    area = percentiles(area_times)
    plain_area = percentiles(plain_area_times)
    emit(
        "diary", database="sqlite", activity_rows=rows, build_seconds=round(build_s, 1),
        coop_season_summary_p95_ms=coop["p95_ms"], coop_season_summary_p50_ms=coop["p50_ms"],
        plain_group_by_coop_p95_ms=plain_coop["p95_ms"],
        commune_season_aggregate_p95_ms=area["p95_ms"],
        plain_group_by_commune_season_p95_ms=plain_area["p95_ms"],
        ratio_aggregate_to_plain_group_by=round(area["p95_ms"] / plain_area["p95_ms"], 4),
        ratio_coop_summary_to_plain_group_by=round(coop["p95_ms"] / plain_coop["p95_ms"], 3),
        import_rows=args.import_rows, import_rows_per_s=round(args.import_rows / import_s),
        openpyxl_read_rows_per_s=round(args.import_rows / read_s),
        ratio_import_to_read=round(read_s / import_s, 3),
        note="coop summary = the whole page's data (members, rows, inputs, flags) vs one "
             "GROUP BY; aggregates read the seasons' kept figures vs GROUP BY over activities",
    )


if __name__ == "__main__":
    main()
