"""Forecasts of 1,000 monthly price series (seven years each) with honest accuracy.

Measured: ``refresh_price_forecasts`` with seasonal naive and AutoETS as candidates (each
scored by a rolling-origin backtest, ETS used only where its MASE < 1, the results stored),
with statsforecast already imported (warm: the import takes seconds; statsforecast ≥ 2 has no
numba compilation to cache). Baseline in the same run: the same service with seasonal naive
only. Goal: < 4 minutes for 1,000 series. ``NONGSO_BENCH_SCALE`` scales the series.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit
from _market import SCALE, databases, price_months
from sqlalchemy import delete, select

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.market import forecasting, services
from nongso.market.models import Forecast


def main() -> None:
    n = max(10, int(1000 * SCALE))
    forecasting.forecast([float(k % 12) + k * 0.1 for k in range(60)],
                         models=("seasonal_naive", "ets"))  # warm: import statsforecast
    for db, platform in databases():
        last = clock.today_vn().replace(day=1)
        ids = price_months(platform, n, 84, last)
        t0 = time.perf_counter()
        services.refresh_price_forecasts(platform.uow(SYSTEM), ids, ("seasonal_naive",))
        baseline_s = time.perf_counter() - t0
        with platform.engine.begin() as conn:
            conn.execute(delete(Forecast))
        t0 = time.perf_counter()
        computed = services.refresh_price_forecasts(platform.uow(SYSTEM), ids,
                                                    ("seasonal_naive", "ets"))
        seconds = time.perf_counter() - t0
        used: dict[str, int] = {}
        with platform.uow(SYSTEM) as uow:
            for result in uow.session.scalars(select(Forecast.result)):
                used[result["outcome"]] = used.get(result["outcome"], 0) + 1
        emit(f"market_forecast_{db}",
             loadavg_1m=round(os.getloadavg()[0], 1), series=n, months=84, computed=computed,
             seconds=round(seconds, 1), per_series_ms=round(seconds / n * 1000, 1),
             seasonal_naive_only_seconds=round(baseline_s, 1),
             ratio_to_seasonal_naive=round(seconds / baseline_s, 1), outcomes=used,
             goal="< 240 s for 1,000 series (ETS + seasonal naive, warm)", met=seconds < 240)


if __name__ == "__main__":
    main()
