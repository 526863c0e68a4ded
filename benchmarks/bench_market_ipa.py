"""Price anomaly indicator (FAO GIEWS IPA) of every series: ≥ 10,000 series × 7 years.

Measured: the service that reads every series' monthly means from the database, computes the
IPA of every month and the latest status of every series (``anomaly_report``), three runs
(median and best). Baseline in the same run: a DB-API ``SELECT`` … ``fetchall()`` of the same
monthly rows (what any computation must read). Goal: < 5 s for ≥ 10,000 series.
``NONGSO_BENCH_SCALE`` scales the number of series.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit
from _market import SCALE, databases, price_months

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.market import services


def main() -> None:
    n = max(100, int(10_000 * SCALE))
    months = 84
    for db, platform in databases():
        last = clock.today_vn().replace(day=1)
        start = time.perf_counter()
        price_months(platform, n, months, last - dt.timedelta(days=1))
        load_s = time.perf_counter() - start
        with platform.engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            t0 = time.perf_counter()
            cursor.execute("SELECT series_id, month, n, total_vnd_per_kg FROM "
                           "market_price_months")
            rows = cursor.fetchall()
            raw_s = time.perf_counter() - t0
            cursor.close()
        runs = []
        report = None
        for _ in range(3):
            t0 = time.perf_counter()
            report = services.anomaly_report(platform.uow(SYSTEM), "vi")
            runs.append(time.perf_counter() - t0)
        assert report is not None and report.series == n
        best = min(runs)
        median = sorted(runs)[1]
        emit(f"market_ipa_{db}",
             loadavg_1m=round(os.getloadavg()[0], 1), series=n, months=months,
             monthly_rows=len(rows),
             seconds=round(median, 3), seconds_best=round(best, 3),
             seconds_runs=[round(r, 3) for r in runs], raw_select_seconds=round(raw_s, 3),
             ratio_to_raw_select=round(median / raw_s, 2),
             warnings=len(report.warnings), load_seconds=round(load_s, 1),
             goal="< 5 s for >= 10,000 series", met=median < 5)


if __name__ == "__main__":
    main()
