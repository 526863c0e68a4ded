"""The FAO GIEWS Indicator of Price Anomalies (IPA), vectorised over many monthly series.

For a monthly price P:

* CQGR_t = (P_t / P_{t-3})^(1/3) − 1 (compound quarterly growth rate),
* CAGR_t = (P_t / P_{t-12})^(1/12) − 1 (compound annual growth rate),
* for each calendar month, the weighted mean and standard deviation of each rate across the
  years, z = (rate − mean) / sd,
* IPA = γ·z(CQGR) + (1 − γ)·z(CAGR), γ = 0.4; normal < 0.5, watch 0.5–1, alert ≥ 1.

Weights (see ``data/SOURCES.md``): the years with a value for that calendar month are ranked
from the oldest (weight 1) to the evaluated year (weight k); each month's statistics use that
year and the years before it only. ``weights="uniform"`` gives the plain z-score. The
variance is the weighted population variance Σw(x − μ)² / Σw.

No IPA is given where a calendar month has values in fewer than ``min_years`` years, where the
price three or twelve months earlier is missing, or where the rates do not vary (sd = 0).
:func:`latest` says which, and whether the latest month is too old for a warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Status = Literal["normal", "watch", "alert", "stale", "insufficient_history", "missing_lag",
                 "no_variation", "no_data"]


@dataclass(frozen=True)
class IpaMatrix:
    """The rates, z-scores and IPA of S series over T months (NaN where not defined)."""

    start: dt.date  # the month of column 0
    prices: Array
    cqgr: Array
    cagr: Array
    z_q: Array
    z_a: Array
    ipa: Array
    years_q: npt.NDArray[np.int64]  # years with a CQGR for that calendar month (so far)
    years_a: npt.NDArray[np.int64]

    def month(self, column: int) -> dt.date:
        return add_months(self.start, column)


def add_months(month: dt.date, n: int) -> dt.date:
    k = month.year * 12 + month.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole months from month ``a`` to month ``b``."""
    return (b.year - a.year) * 12 + b.month - a.month


def growth_rates(prices: Array) -> tuple[Array, Array]:
    """CQGR and CAGR of each column (NaN without the earlier price)."""
    s, t = prices.shape
    cqgr = np.full((s, t), np.nan)
    cagr = np.full((s, t), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if t > 3:
            cqgr[:, 3:] = (prices[:, 3:] / prices[:, :-3]) ** (1 / 3) - 1
        if t > 12:
            cagr[:, 12:] = (prices[:, 12:] / prices[:, :-12]) ** (1 / 12) - 1
    cqgr[~np.isfinite(cqgr)] = np.nan
    cagr[~np.isfinite(cagr)] = np.nan
    return cqgr, cagr


def _zscores(rates: Array, weights: str) -> tuple[Array, npt.NDArray[np.int64]]:
    """Expanding weighted z-scores per calendar month, in one pass over the years: running
    sums of w, w·x and w·x² (a year's rank weight does not change when later years come)."""
    s, t = rates.shape
    z = np.full((s, t), np.nan)
    years = np.zeros((s, t), dtype=np.int64)
    for month in range(min(12, t)):
        count = np.zeros(s, dtype=np.int64)
        sw = np.zeros(s)
        swx = np.zeros(s)
        swxx = np.zeros(s)
        for col in range(month, t, 12):
            x = rates[:, col]
            valid = np.isfinite(x)
            count += valid
            w = valid.astype(np.float64) if weights == "uniform" else count * valid
            xv = np.where(valid, x, 0.0)
            sw += w
            swx += w * xv
            swxx += w * xv * xv
            years[:, col] = count
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = swx / sw
                second = swxx / sw
                var = second - mean * mean
                sd = np.sqrt(np.maximum(var, 0.0))
                zc = (x - mean) / sd
            # No variation: the variance is within the rounding of the one-pass sums (relative
            # to the second moment), e.g. a price growing at the same rate every year.
            flat = ~(var > 1e-10 * second)
            zc[flat | ~np.isfinite(zc)] = np.nan
            z[:, col] = zc
    return z, years


def compute(prices: Array, start: dt.date, gamma: float = 0.4, min_years: int = 3,
            weights: str = "rank") -> IpaMatrix:
    """The IPA of every series (rows) and month (columns, from ``start``)."""
    if weights not in ("rank", "uniform"):
        raise ValueError("weights must be 'rank' or 'uniform'")
    prices = np.asarray(prices, dtype=np.float64)
    if prices.ndim != 2:
        raise ValueError("prices must be a 2-D array (series x months)")
    prices = np.where(prices > 0, prices, np.nan)
    cqgr, cagr = growth_rates(prices)
    z_q, years_q = _zscores(cqgr, weights)
    z_a, years_a = _zscores(cagr, weights)
    ipa = gamma * z_q + (1 - gamma) * z_a
    ipa[(years_q < min_years) | (years_a < min_years)] = np.nan
    return IpaMatrix(start, prices, cqgr, cagr, z_q, z_a, ipa, years_q, years_a)


def classify(value: float, watch: float = 0.5, alert: float = 1.0) -> Status:
    if value >= alert:
        return "alert"
    if value >= watch:
        return "watch"
    return "normal"


@dataclass(frozen=True)
class Latest:
    """The latest month of one series and what can be said of it."""

    status: Status
    month: dt.date | None
    price: float | None
    ipa: float | None
    z_q: float | None
    z_a: float | None
    years: int  # years of that calendar month with both rates
    age_months: int | None  # from the latest month to the current month

    @property
    def warns(self) -> bool:
        return self.status in ("watch", "alert")


def _num(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def latest(m: IpaMatrix, row: int, current_month: dt.date, *, min_years: int = 3,
           max_age_months: int = 2, watch: float = 0.5, alert: float = 1.0) -> Latest:
    """The status of a series' latest month (the last column with a price)."""
    have = np.flatnonzero(np.isfinite(m.prices[row]))
    if have.size == 0:
        return Latest("no_data", None, None, None, None, None, 0, None)
    col = int(have[-1])
    month = m.month(col)
    age = months_between(month, current_month)
    years = int(min(m.years_q[row, col], m.years_a[row, col]))
    base = dict(month=month, price=_num(m.prices[row, col]), ipa=_num(m.ipa[row, col]),
                z_q=_num(m.z_q[row, col]), z_a=_num(m.z_a[row, col]), years=years,
                age_months=age)
    status: Status
    if age > max_age_months:
        status = "stale"
    elif not (np.isfinite(m.cqgr[row, col]) and np.isfinite(m.cagr[row, col])):
        status = "missing_lag"
    elif years < min_years:
        status = "insufficient_history"
    elif not np.isfinite(m.ipa[row, col]):
        status = "no_variation"
    else:
        status = classify(float(m.ipa[row, col]), watch, alert)
    return Latest(status=status, **base)  # type: ignore[arg-type]


def latest_all(m: IpaMatrix, current_month: dt.date, *, min_years: int = 3,
               max_age_months: int = 2, watch: float = 0.5, alert: float = 1.0
               ) -> list[Latest]:
    """:func:`latest` of every series at once (the same rules, vectorised)."""
    s, t = m.prices.shape
    have = np.isfinite(m.prices)
    any_data = have.any(axis=1)
    col = np.where(any_data, t - 1 - np.argmax(have[:, ::-1], axis=1), 0)
    rows = np.arange(s)
    start = m.start.year * 12 + m.start.month - 1
    now = current_month.year * 12 + current_month.month - 1
    age = now - (start + col)
    value = m.ipa[rows, col]
    years = np.minimum(m.years_q[rows, col], m.years_a[rows, col])
    lags = np.isfinite(m.cqgr[rows, col]) & np.isfinite(m.cagr[rows, col])
    status = np.select(
        [~any_data, age > max_age_months, ~lags, years < min_years, ~np.isfinite(value),
         value >= alert, value >= watch],
        ["no_data", "stale", "missing_lag", "insufficient_history", "no_variation", "alert",
         "watch"], default="normal")

    def floats(a: Array) -> list[float | None]:
        return [None if not np.isfinite(v) else float(v) for v in a.tolist()]

    prices, ipas = floats(m.prices[rows, col]), floats(value)
    zqs, zas = floats(m.z_q[rows, col]), floats(m.z_a[rows, col])
    out = []
    for k, (st, c, y, a) in enumerate(zip(status.tolist(), col.tolist(), years.tolist(),
                                          age.tolist(), strict=True)):
        if st == "no_data":
            out.append(Latest("no_data", None, None, None, None, None, 0, None))
            continue
        out.append(Latest(st, add_months(m.start, c), prices[k], ipas[k], zqs[k], zas[k],
                          int(y), int(a)))
    return out
