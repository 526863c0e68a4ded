"""A synthetic, seeded remote-sensing season over a set of fields, whose truth is known exactly.

Pure (no I/O): the demo and the tests write what it returns as Cloud-Optimised GeoTIFFs.

What a field does over the year (``FieldTruth``): rice (one to three seasons: a flooding dip at
sowing, canopy growth to heading, ripening, a sharp drop at harvest), an orchard (a steady
canopy), an upland crop (a canopy without flooding), bare land, or water (a pond). The signal
model, per day ``t``:

- canopy cover ``c(t)``: a logistic rise ``r`` days after sowing (width ``w``), cut at harvest;
- flooding ``f(t)``: from a few days before sowing until drained about two weeks before harvest;
- radar backscatter (Sentinel-1 like, VH and VV): the linear power mix
  ``c·veg + (1-c)·(f·water + (1-f)·soil)`` in dB, with multiplicative speckle (gamma, ENL 4.4);
- NDVI (Sentinel-2 like): ``c·ndvi_canopy(t) + (1-c)·(f·water + (1-f)·soil)``, canopy yellowing
  after heading, Gaussian noise, and clouds (smooth random blobs; a cloud mask band).

Acquisitions: radar every 12 days, optical every 10 days. Levels (dB, NDVI) are typical values
of the Mekong Delta literature rounded for a demo, not measurements; each field gets its own
small offsets so that no two fields are the same.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nongso.remote.phenology import FieldSeries

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]

COVERS = ("rice", "orchard", "upland", "bare", "water")
RADAR_BANDS = ("vh", "vv")
OPTICAL_BANDS = ("ndvi", "cloud")
REVISIT_DAYS = {"s1": 12, "s2": 10}
ENL = 4.4  # equivalent number of looks of a Sentinel-1 GRD IW pixel

# dB levels: (vh, vv) of a full rice canopy, open water and wet bare soil.
VEG_DB = (-14.5, -9.5)
WATER_DB = (-24.0, -19.0)
SOIL_DB = (-18.0, -11.5)
UPLAND_DB = (-15.5, -10.0)
ORCHARD_DB = (-13.0, -8.0)
NDVI_WATER, NDVI_SOIL, NDVI_CANOPY, NDVI_ORCHARD = -0.05, 0.18, 0.85, 0.78


@dataclass(frozen=True)
class SeasonTruth:
    sowing: dt.date
    heading: dt.date
    harvest: dt.date


@dataclass(frozen=True)
class FieldTruth:
    """What a field really did: its cover and (rice, upland) its seasons."""

    field_id: int
    cover: str
    seasons: tuple[SeasonTruth, ...] = ()

    @property
    def is_rice(self) -> bool:
        return self.cover == "rice" and bool(self.seasons)


@dataclass(frozen=True)
class _Hidden:
    """Per-field and per-season parameters the estimator never sees."""

    rise: tuple[float, ...]  # days from sowing to the canopy's half cover
    width: tuple[float, ...]  # logistic width (days)
    flood_lead: tuple[float, ...]  # days flooded before sowing
    drain_lead: tuple[float, ...]  # days drained before harvest
    offsets: tuple[float, float, float]  # dB offsets of veg, soil, water
    ndvi_offset: float


def _rng(seed: int, *parts: object) -> np.random.Generator:
    key = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(key, "little"))


def heading_of(sowing: dt.date, harvest: dt.date) -> dt.date:
    """Heading about 65 % of the way from sowing to harvest (about 60 days for a 95-day rice)."""
    return sowing + dt.timedelta(days=round(0.65 * (harvest - sowing).days))


def season(sowing: dt.date, days: int) -> SeasonTruth:
    harvest = sowing + dt.timedelta(days=days)
    return SeasonTruth(sowing, heading_of(sowing, harvest), harvest)


# Rice calendar of the Mekong Delta (sowing window start month/day, window days, duration).
CALENDAR = {"dong_xuan": ((11, 15), 40, 98), "he_thu": ((4, 10), 30, 92),
            "thu_dong": ((8, 5), 25, 90)}


def random_truth(field_ids: Sequence[int], start: dt.date, end: dt.date, seed: int,
                 shares: dict[str, float] | None = None,
                 three_seasons: float = 0.5) -> dict[int, FieldTruth]:
    """A truth per field for the period [start, end]: covers drawn with ``shares`` (default:
    rice 70 %, orchard 12 %, upland 6 %, bare 8 %, water 4 %); rice fields get the seasons of
    the calendar that fit whole in the period (two, or three for ``three_seasons`` of them)."""
    shares = shares or {"rice": 0.70, "orchard": 0.12, "upland": 0.06, "bare": 0.08,
                        "water": 0.04}
    covers = list(shares)
    probs = np.array([shares[c] for c in covers], dtype=float)
    probs /= probs.sum()
    out: dict[int, FieldTruth] = {}
    for fid in field_ids:
        rng = _rng(seed, "truth", fid)
        cover = covers[int(rng.choice(len(covers), p=probs))]
        seasons: list[SeasonTruth] = []
        if cover in ("rice", "upland"):
            third = rng.random() < three_seasons
            for year in range(start.year - 1, end.year + 1):
                for kind, ((month, day), window, length) in sorted(
                        CALENDAR.items(), key=lambda kv: kv[1][0]):
                    if kind == "thu_dong" and not third and cover == "rice":
                        continue
                    if cover == "upland" and kind != "dong_xuan":
                        continue
                    sow = dt.date(year, month, day) + dt.timedelta(days=int(rng.integers(window)))
                    s = season(sow, length + int(rng.integers(-4, 6)))
                    if seasons and s.sowing < seasons[-1].harvest + dt.timedelta(days=12):
                        # Sown at least 12 days after the previous harvest (land preparation).
                        gap = 12 + int(rng.integers(8))
                        s = season(seasons[-1].harvest + dt.timedelta(days=gap),
                                   (s.harvest - s.sowing).days)
                    if s.sowing - dt.timedelta(days=20) >= start and s.harvest <= end:
                        seasons.append(s)
        out[fid] = FieldTruth(fid, cover, tuple(seasons))
    return out


def _hidden(truth: FieldTruth, seed: int) -> _Hidden:
    rng = _rng(seed, "hidden", truth.field_id)
    n = len(truth.seasons)
    return _Hidden(
        rise=tuple(float(x) for x in rng.normal(32.0, 1.5, n)),
        width=tuple(float(x) for x in rng.uniform(5.0, 7.0, n)),
        flood_lead=tuple(float(x) for x in rng.uniform(2.0, 6.0, n)),
        drain_lead=tuple(float(x) for x in rng.uniform(12.0, 18.0, n)),
        offsets=(float(rng.normal(0, 0.6)), float(rng.normal(0, 0.7)),
                 float(rng.normal(0, 0.5))),
        ndvi_offset=float(rng.normal(0, 0.03)),
    )


def _sig(x: F64) -> F64:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -60, 60))), dtype=np.float64)


def _state(truth: FieldTruth, hidden: _Hidden, days: F64) -> tuple[F64, F64, F64]:
    """Canopy cover, flooding and the canopy's own NDVI on each day (ordinal days)."""
    canopy = np.zeros_like(days)
    flood = np.zeros_like(days)
    ndvi_canopy = np.full_like(days, NDVI_CANOPY)
    if truth.cover == "orchard":
        return np.full_like(days, 0.8), flood, np.full_like(days, NDVI_ORCHARD)
    if truth.cover == "water":
        return canopy, np.ones_like(days), ndvi_canopy
    for i, s in enumerate(truth.seasons):
        sow, hv = float(s.sowing.toordinal()), float(s.harvest.toordinal())
        cut = 1.0 - _sig((days - hv) / 0.7)
        c = _sig((days - (sow + hidden.rise[i])) / hidden.width[i]) * cut
        c *= _sig((days - (sow - 5.0)) / 1.0)  # nothing before this season's sowing
        canopy = np.maximum(canopy, c)
        if truth.cover == "rice":
            f = _sig((days - (sow - hidden.flood_lead[i])) / 0.7) * (
                1.0 - _sig((days - (hv - hidden.drain_lead[i])) / 1.5))
            flood = np.maximum(flood, f)
            yellow = _sig((days - (hv - 14.0)) / 4.0) * 0.35
            inside = (days > sow - 10) & (days < hv + 10)
            ndvi_canopy = np.where(inside, NDVI_CANOPY - yellow, ndvi_canopy)
    return canopy, flood, ndvi_canopy


def expected(truth: FieldTruth, days: F64, seed: int) -> dict[str, F64]:
    """Noise-free field values on these days: ``vh``, ``vv`` (dB) and ``ndvi``."""
    hidden = _hidden(truth, seed)
    canopy, flood, ndvi_canopy = _state(truth, hidden, days)
    dv, ds, dw = hidden.offsets
    out: dict[str, F64] = {}
    for b, name in enumerate(RADAR_BANDS):
        veg_db = {"orchard": ORCHARD_DB, "upland": UPLAND_DB}.get(truth.cover, VEG_DB)[b]
        veg = 10 ** ((veg_db + dv) / 10)
        water = 10 ** ((WATER_DB[b] + dw) / 10)
        soil = 10 ** ((SOIL_DB[b] + ds) / 10)
        power = canopy * veg + (1 - canopy) * (flood * water + (1 - flood) * soil)
        out[name] = 10 * np.log10(power)
    surface = flood * NDVI_WATER + (1 - flood) * NDVI_SOIL
    out["ndvi"] = canopy * ndvi_canopy + (1 - canopy) * surface + hidden.ndvi_offset
    return out


def acquisitions(start: dt.date, end: dt.date, sensor: str, phase: int = 0) -> list[dt.date]:
    """The acquisition dates of a sensor in [start, end] (radar 12 days, optical 10 days)."""
    step = REVISIT_DAYS[sensor]
    first = start + dt.timedelta(days=phase % step)
    return [first + dt.timedelta(days=k) for k in range(0, (end - first).days + 1, step)]


@functools.lru_cache(maxsize=4096)
def cloud_fraction(day: dt.date, seed: int) -> float:
    """The share of a scene under cloud: wet season (May–October) far cloudier; now and then a
    scene entirely under cloud."""
    rng = _rng(seed, "cloud", day.toordinal())
    wet = 5 <= day.month <= 10
    if rng.random() < (0.08 if wet else 0.02):
        return 1.0
    return float(np.clip(rng.beta(2.2, 2.0) if wet else rng.beta(1.0, 5.0), 0.0, 0.98))


# --- field-mean series (what zonal statistics would give), for benchmarks -------------------

def field_series(truth: FieldTruth, radar_days: Sequence[dt.date],
                 optical_days: Sequence[dt.date], seed: int, pixels: float = 30.0
                 ) -> FieldSeries:
    """The field means a zonal statistic would return for a field of ``pixels`` pixels: the
    expected values plus speckle and noise averaged over the pixels, NDVI missing where the
    field is under cloud."""
    rng = _rng(seed, "series", truth.field_id)
    rd = np.array([d.toordinal() for d in radar_days], dtype=np.float64)
    od = np.array([d.toordinal() for d in optical_days], dtype=np.float64)
    vh = expected(truth, rd, seed)["vh"]
    # Speckle of a mean of n looks-averaged pixels: gamma with shape ENL*n, in linear power.
    n = max(pixels, 1.0)
    speckle = rng.gamma(ENL * n, 1.0 / (ENL * n), size=vh.shape)
    vh = vh + 10 * np.log10(speckle)
    ndvi = expected(truth, od, seed)["ndvi"] + rng.normal(0, 0.03 / np.sqrt(n), size=od.shape)
    clouds = np.array([cloud_fraction(d, seed) for d in optical_days])
    covered = rng.random(od.shape) < clouds
    ndvi = np.where(covered, np.nan, ndvi)
    return FieldSeries(truth.field_id, rd, vh, od, ndvi)


# --- rasters --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: its upper-left corner, pixel size (metres) and size."""

    x0: float
    y0: float
    pixel: float
    width: int
    height: int

    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0 - self.height * self.pixel, self.x0 + self.width * self.pixel,
                self.y0)


def _smooth_noise(rng: np.random.Generator, height: int, width: int, scale: int) -> F64:
    """Smooth random field in [0, 1] (bilinear up-sampling of coarse noise)."""
    from scipy.ndimage import zoom

    coarse = rng.random((max(2, height // scale + 2), max(2, width // scale + 2)))
    fine = zoom(coarse, (height / (coarse.shape[0] - 1) + 0.01,
                         width / (coarse.shape[1] - 1) + 0.01), order=1)
    return np.asarray(fine[:height, :width], dtype=np.float64)


def cloud_mask(grid: Grid, day: dt.date, seed: int) -> NDArray[np.bool_]:
    """Where the scene of that day is under cloud (smooth blobs covering its cloud fraction)."""
    share = cloud_fraction(day, seed)
    if share >= 1.0:
        return np.ones((grid.height, grid.width), dtype=bool)
    if share <= 0.0:
        return np.zeros((grid.height, grid.width), dtype=bool)
    noise = _smooth_noise(_rng(seed, "blobs", day.toordinal()), grid.height, grid.width, 40)
    return np.asarray(noise > np.quantile(noise, 1.0 - share), dtype=bool)


def class_levels(truths: Sequence[FieldTruth], days: Sequence[dt.date], seed: int,
                 background: str = "orchard") -> dict[str, F64]:
    """Noise-free values of the background (row 0) and of each field (row k + 1) on each day:
    ``vh``/``vv`` as linear power, ``ndvi`` as is; arrays of shape (fields + 1, days)."""
    d = np.array([float(x.toordinal()) for x in days])
    rows = [expected(t, d, seed) for t in (FieldTruth(0, background), *truths)]
    out = {b: np.stack([r[b] for r in rows]) for b in ("vh", "vv", "ndvi")}
    for b in RADAR_BANDS:
        out[b] = np.power(10.0, out[b] / 10.0)
    return out


def render(grid: Grid, labels: NDArray[np.int32], levels: dict[str, F64], day: dt.date,
           sensor: str, seed: int, supersample: int = 1) -> dict[str, F32]:
    """One scene: the bands of ``sensor`` on ``day`` over ``grid``.

    ``labels``: the fields rasterised on the grid refined ``supersample`` times (value k + 1 for
    field k, 0 for the background: villages with trees and gardens, like an orchard);
    ``levels``: each class's value that day (a column of :func:`class_levels`). Pixels mix the
    sub-pixels they contain (linear power for radar), so a field smaller than a pixel still
    shows in its pixel.
    """
    rng = _rng(seed, "scene", sensor, day.toordinal(), grid.x0, grid.y0)
    shape = (grid.height, grid.width)
    k = supersample
    out: dict[str, F32] = {}
    if sensor == "s1":
        for name in RADAR_BANDS:
            fine = levels[name][labels]
            power = fine.reshape(grid.height, k, grid.width, k).mean(axis=(1, 3))
            power = power * rng.gamma(ENL, 1.0 / ENL, size=shape)
            out[name] = (10 * np.log10(power)).astype(np.float32)
        return out
    ndvi = levels["ndvi"][labels].reshape(grid.height, k, grid.width, k).mean(axis=(1, 3))
    ndvi = np.clip(ndvi + rng.normal(0, 0.03, size=shape), -1, 1)
    clouds = cloud_mask(grid, day, seed)
    out["ndvi"] = np.where(clouds, np.float32(0.05), ndvi).astype(np.float32)
    out["cloud"] = clouds.astype(np.float32)
    return out


def scene_days(start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """Every (day, sensor) of the period, in date order."""
    both = [(d, "s1") for d in acquisitions(start, end, "s1")]
    both += [(d, "s2") for d in acquisitions(start, end, "s2", phase=4)]
    return sorted(both)


def truth_table(truths: Iterable[FieldTruth]) -> list[dict[str, object]]:
    """The truth as plain rows (for the benchmark's JSON and the demo's notes)."""
    return [{"field_id": t.field_id, "cover": t.cover, "rice": t.is_rice,
             "seasons": [(s.sowing.isoformat(), s.heading.isoformat(), s.harvest.isoformat())
                         for s in t.seasons]} for t in truths]
