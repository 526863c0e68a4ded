"""Rice phenology of one field from its remote-sensing time series (pure: numpy and scipy).

The input is what zonal statistics give per field and date: Sentinel-1-like VH backscatter
(dB, every 12 days, cloud-free) and Sentinel-2-like NDVI (every 10 days, missing under cloud).

The method (change points on the smoothed series, as in the Mekong Delta rice-mapping studies
that use radar flooding signatures):

1. VH is interpolated to a daily grid and smoothed (Gaussian, ``scipy.ndimage``).
2. A **flood** is a run of days with VH below ``FLOOD_VH_DB`` (open water under the seedlings).
   A flood followed within 15–80 days by a canopy (VH above ``CANOPY_VH_DB``) is a **rice
   season**; a flood without a canopy is a pond, a canopy without a flood another crop.
3. **Sowing** combines two estimates: the day the rise crosses half-way (in dB) from the flood
   minimum to the canopy peak, minus ``RISE_TO_SOWING`` days; and the flood onset (midpoint of
   the last dry and first flooded observation of either sensor), plus ``FLOOD_TO_SOWING``
   days. Each is weighted by the inverse of its expected variance.
4. **Harvest** is the change point after the canopy: the midpoint between the last observation
   of either sensor that still sees a canopy and the first that sees bare stubble (confirmed by
   the next one).
5. **Heading**: ``HEADING_BEFORE_HARVEST`` days before harvest (the ripening phase of rice),
   or ``RISE_TO_HEADING`` days after the rise when the season is not yet harvested.

The two offsets of step 3 depend on the sensor and the crop calendar: they are calibration
constants (here set from the synthetic seasons of :mod:`nongso.remote.synthetic`; an
installation re-calibrates them on surveyed fields).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter1d

F64 = NDArray[np.float64]

FLOOD_VH_DB = -20.5
CANOPY_VH_DB = -17.0
FLOOD_NDVI = 0.08
HARVEST_VH_DB = -16.3
HARVEST_NDVI = 0.36
RISE_TO_SOWING = 25.0
FLOOD_TO_SOWING = 4.0
HEADING_BEFORE_HARVEST = 33
RISE_TO_HEADING = 36
MIN_RADAR_DATES = 6


@dataclass
class FieldSeries:
    """One field's observed series: radar VH (dB) and NDVI, each with its own days (ordinal);
    NaN marks a date without a usable value (clouds, no valid pixel)."""

    field_id: int
    vh_days: F64
    vh: F64
    ndvi_days: F64
    ndvi: F64
    meta: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DetectedSeason:
    sowing: dt.date
    heading: dt.date
    harvest: dt.date | None  # None: still in the field at the last date


@dataclass(frozen=True)
class Phenology:
    field_id: int
    is_rice: bool
    seasons: tuple[DetectedSeason, ...]
    # Why no season was found, or "" (insufficient data, no flood, flood without canopy…).
    note: str = ""

    @property
    def n_seasons(self) -> int:
        return len(self.seasons)


def _clean(days: F64, values: F64) -> tuple[F64, F64]:
    ok = np.isfinite(values) & np.isfinite(days)
    d, v = days[ok], values[ok]
    order = np.argsort(d, kind="stable")
    return d[order], v[order]


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a boolean array."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)]


def _date(day: float) -> dt.date:
    return dt.date.fromordinal(round(day))


def _merged(vd: F64, vh: F64, nd: F64, nv: F64, lo: float, hi: float,
            vh_test: float, ndvi_test: float, above: bool) -> tuple[F64, NDArray[np.bool_]]:
    """Observations of both sensors in [lo, hi], each marked True when it is above (or below)
    its sensor's threshold."""
    in_v = (vd >= lo) & (vd <= hi)
    in_n = (nd >= lo) & (nd <= hi)
    days = np.concatenate((vd[in_v], nd[in_n]))
    if above:
        flags = np.concatenate((vh[in_v] > vh_test, nv[in_n] > ndvi_test))
    else:
        flags = np.concatenate((vh[in_v] < vh_test, nv[in_n] < ndvi_test))
    order = np.argsort(days, kind="stable")
    return days[order], flags[order]


def detect(series: FieldSeries) -> Phenology:
    """The rice seasons of a field (none: not rice) from its series."""
    vd, vh = _clean(series.vh_days, series.vh)
    nd, nv = _clean(series.ndvi_days, series.ndvi)
    if len(vd) < MIN_RADAR_DATES:
        return Phenology(series.field_id, False, (), "insufficient-data")
    grid = np.arange(vd[0], vd[-1] + 1.0)
    daily = np.interp(grid, vd, vh)
    smooth = gaussian_filter1d(daily, sigma=4.0, mode="nearest")
    gap = float(vd[-1] - vd[0]) / (len(vd) - 1)
    seasons: list[DetectedSeason] = []
    note = "no-flood"
    busy_until = -np.inf
    for a, b in _runs(smooth < FLOOD_VH_DB):
        if grid[a] < busy_until:
            continue
        note = "flood-without-canopy"
        after = np.flatnonzero((grid > grid[a] + 15) & (grid < grid[a] + 80)
                               & (smooth > CANOPY_VH_DB))
        if len(after) == 0:
            continue
        dip = a + int(np.argmin(smooth[a:b]))
        top_lo, top_hi = int(after[0]), min(int(after[0]) + 40, len(grid))
        peak = float(np.max(smooth[top_lo:top_hi]))
        half = (float(smooth[dip]) + peak) / 2.0
        rising = np.flatnonzero(daily[dip:top_hi] >= half)
        if len(rising) == 0:
            continue
        i = dip + int(rising[0])
        frac = (half - daily[i - 1]) / (daily[i] - daily[i - 1]) if daily[i] != daily[i - 1] \
            else 1.0
        t_rise = float(grid[i - 1] + frac)
        estimates = [(t_rise - RISE_TO_SOWING, 2.5 ** 2 + gap ** 2 / 24.0)]
        # Flood onset: the last dry and the first flooded observation before the rise.
        days, wet = _merged(vd, vh, nd, nv, t_rise - 70, t_rise - 12, FLOOD_VH_DB, FLOOD_NDVI,
                            above=False)
        first_wet = np.flatnonzero(wet)
        if len(first_wet) and first_wet[0] > 0:
            k = int(first_wet[0])
            step = float(days[k] - days[k - 1])
            estimates.append(((days[k - 1] + days[k]) / 2 + FLOOD_TO_SOWING,
                              step ** 2 / 12.0 + 1.3))
        weights = np.array([1.0 / var for _, var in estimates])
        sowing = float(np.dot(weights, [e for e, _ in estimates]) / weights.sum())
        # Harvest: canopy seen, then stubble seen twice in a row (or at the very end).
        days, green = _merged(vd, vh, nd, nv, t_rise + 35, t_rise + 110, HARVEST_VH_DB,
                              HARVEST_NDVI, above=True)
        harvest: float | None = None
        for k in range(1, len(days)):
            if green[k - 1] and not green[k] and (k + 1 == len(days) or not green[k + 1]):
                harvest = (days[k - 1] + days[k]) / 2.0
                break
        if harvest is None and len(days) and days[-1] < grid[-1] - gap:
            harvest = None
        heading = (harvest - HEADING_BEFORE_HARVEST if harvest is not None
                   else t_rise + RISE_TO_HEADING)
        seasons.append(DetectedSeason(_date(sowing), _date(heading),
                                      _date(harvest) if harvest is not None else None))
        busy_until = harvest if harvest is not None else np.inf
    return Phenology(series.field_id, bool(seasons), tuple(seasons),
                     "" if seasons else note)


def match(truth: list[tuple[dt.date, dt.date]], found: tuple[DetectedSeason, ...],
          tolerance_days: int = 30) -> list[tuple[int, int]]:
    """Pairs (index in truth, index in found) of seasons whose sowing dates are within
    ``tolerance_days`` (each used once, nearest first): for accuracy figures."""
    pairs = sorted(
        (abs((f.sowing - t[0]).days), i, j)
        for i, t in enumerate(truth) for j, f in enumerate(found)
        if abs((f.sowing - t[0]).days) <= tolerance_days)
    used_i: set[int] = set()
    used_j: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.append((i, j))
    return sorted(out)
