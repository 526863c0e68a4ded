"""Outlier detection (pure), with the methods statisticians and DHIS2 users know.

- **z-score**: (x − mean) / sd across the communes of a period; flagged beyond ±3.
- **modified z-score** (Iglewicz and Hoaglin): 0.6745 · (x − median) / MAD; flagged beyond
  ±3.5. Robust: one wrong value does not hide itself by inflating the spread.
- **min–max**: outside the plausible range of the element (a crop's yield).
- **same season in earlier years**: the commune's own history of that season kind.
- **neighbouring communes**: the same period in the nearest communes (for intensive figures
  such as yields; an area depends on the commune's size and is compared with its history).

Areas, outputs and yields are multiplicative (a typing slip is "×10" or "×1000", never
"+7"), so the baselines compare logarithms, with a floor under the spread so that four very
similar earlier seasons do not turn a 20 % change into an outlier.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

Z_CUTOFF = 3.0
MODIFIED_Z_CUTOFF = 3.5
# Lowest spread (in natural-log units) assumed for a baseline: year-to-year changes of a
# commune's season figures of ±10 % are ordinary.
LOG_SPREAD_FLOOR = 0.10
MIN_BASELINE = 3


@dataclass(frozen=True)
class Finding:
    method: str  # zscore | modified_zscore | min_max | history | neighbours
    score: float | None  # the test statistic (None for min–max)
    expected: float | None  # the baseline's centre (median), or the violated bound
    cutoff: float | None


def zscores(values: Sequence[float]) -> list[float | None]:
    """(x − mean) / sd for each value (None when the spread is zero or n < 3)."""
    if len(values) < 3:
        return [None] * len(values)
    mean = statistics.fmean(values)
    sd = statistics.stdev(values)
    if sd == 0:
        return [None] * len(values)
    return [(v - mean) / sd for v in values]


def mad(values: Sequence[float]) -> float:
    med = statistics.median(values)
    return statistics.median(abs(v - med) for v in values)


def modified_zscores(values: Sequence[float]) -> list[float | None]:
    """0.6745 · (x − median) / MAD; when MAD is 0, the mean absolute deviation × 1.2533
    stands in for it (as in IBM's and Iglewicz–Hoaglin's practice)."""
    if len(values) < 3:
        return [None] * len(values)
    med = statistics.median(values)
    spread = mad(values)
    if spread == 0:
        mean_ad = statistics.fmean(abs(v - med) for v in values)
        if mean_ad == 0:
            return [None] * len(values)
        return [(v - med) / (1.253314 * mean_ad) for v in values]
    return [0.6745 * (v - med) / spread for v in values]


def _log(v: float) -> float | None:
    return math.log(v) if v > 0 else None


def baseline_score(value: float, baseline: Sequence[float], *, log_scale: bool = True,
                   floor: float = LOG_SPREAD_FLOOR) -> tuple[float, float] | None:
    """The modified z-score of ``value`` against a baseline (earlier years, neighbours) and
    the baseline's median; None when the baseline is too short or not positive."""
    if len(baseline) < MIN_BASELINE:
        return None
    if log_scale:
        logs = [x for x in (_log(b) for b in baseline) if x is not None]
        lv = _log(value)
        if len(logs) < MIN_BASELINE:
            return None
        if lv is None:  # zero or negative against a positive history
            return (-math.inf if value <= 0 else 0.0), math.exp(statistics.median(logs))
        med = statistics.median(logs)
        spread = max(mad(logs), floor)
        return 0.6745 * (lv - med) / spread, math.exp(med)
    med = statistics.median(baseline)
    spread = max(mad(baseline), floor * abs(med) if med else floor)
    return 0.6745 * (value - med) / spread, med


def check_bounds(value: float, low: float | None, high: float | None) -> Finding | None:
    if low is not None and value < low:
        return Finding("min_max", None, low, None)
    if high is not None and value > high:
        return Finding("min_max", None, high, None)
    return None


@dataclass(frozen=True)
class Candidate:
    """One value to check, with what it is compared with."""

    key: object
    value: float
    history: Sequence[float] = ()
    neighbours: Sequence[float] = ()
    low: float | None = None
    high: float | None = None


def detect(candidates: Sequence[Candidate], *, intensive: bool,
           cutoff: float = MODIFIED_Z_CUTOFF) -> dict[object, list[Finding]]:
    """The findings of every method for each candidate (only those past their cutoff).

    Cross-sectional z and modified z (over the candidates of one period) and the neighbours'
    baseline only make sense for intensive figures (yields, shares); extensive ones (areas,
    outputs, heads) are compared with their own history and their bounds.
    """
    out: dict[object, list[Finding]] = {c.key: [] for c in candidates}
    values = [c.value for c in candidates]
    if intensive and len(values) >= 5:
        for c, z in zip(candidates, zscores(values), strict=True):
            if z is not None and abs(z) > Z_CUTOFF:
                out[c.key].append(Finding("zscore", z, statistics.fmean(values), Z_CUTOFF))
        med = statistics.median(values)
        for c, mz in zip(candidates, modified_zscores(values), strict=True):
            if mz is not None and abs(mz) > cutoff:
                out[c.key].append(Finding("modified_zscore", mz, med, cutoff))
    for c in candidates:
        bound = check_bounds(c.value, c.low, c.high)
        if bound is not None:
            out[c.key].append(bound)
        hist = baseline_score(c.value, c.history)
        if hist is not None and abs(hist[0]) > cutoff:
            out[c.key].append(Finding("history", hist[0], hist[1], cutoff))
        if intensive:
            near = baseline_score(c.value, c.neighbours)
            if near is not None and abs(near[0]) > cutoff:
                out[c.key].append(Finding("neighbours", near[0], near[1], cutoff))
    return out


def likely_slip(value: float, expected: float | None) -> float | None:
    """When a value is a power of ten away from what was expected (80 typed for 8.0, 7250
    for 7.25), the value it probably meant."""
    if expected is None or expected <= 0 or value <= 0:
        return None
    ratio = math.log10(value / expected)
    k = round(ratio)
    if k != 0 and abs(ratio - k) < 0.25:
        return float(value / 10.0 ** k)
    return None


def nearest(points: dict[str, tuple[float, float]], k: int = 6) -> dict[str, list[str]]:
    """The ``k`` nearest others of each point (lon, lat), by distance on the ground."""
    out: dict[str, list[str]] = {}
    items = list(points.items())
    for code, (lon, lat) in items:
        kx = math.cos(math.radians(lat))
        dists = sorted(
            (math.hypot((lon2 - lon) * kx, lat2 - lat), code2)
            for code2, (lon2, lat2) in items if code2 != code)
        out[code] = [c for _, c in dists[:k]]
    return out
