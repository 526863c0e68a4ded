"""Forecasts with honest accuracy (pure: arrays in, results out).

Candidates (statsforecast): seasonal naive ("same month last year"), AutoETS, AutoTheta and
AutoARIMA. Each is scored by a rolling-origin backtest: fitted once on the data before the
first origin, then run forward with those parameters from each later origin (statsforecast's
``refit=False`` cross-validation), forecasting ``h`` steps each time. The score is MASE:
the mean absolute error of those forecasts divided by the mean absolute error of the
in-sample seasonal naive forecast on the training data (lag ``m``: 12 for monthly prices,
3 for the three rice seasons of a year), averaged over the origins.

Each candidate is fitted once, on the data before the first origin; the forecast shown is the
chosen model run forward with those parameters over all the data (no second search of the
model space: half the work for AutoETS and AutoARIMA). The best candidate is used only where
its MASE < 1; otherwise the result says the model is no
better than "same month last year" and gives that forecast. A constant series (scale 0) gets
its constant, and says so. Gaps are reported: up to ``max_fill`` missing steps in a row are
filled by linear interpolation (and listed); before a longer gap the data are not used.

statsforecast ≥ 2 runs compiled code (coreforecast), with no numba compilation on first use;
importing it takes a few seconds, so it is imported only when a forecast is computed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
MODELS = ("seasonal_naive", "ets", "theta", "arima")
Outcome = Literal["model", "seasonal_naive", "constant", "too_short"]


@dataclass(frozen=True)
class Prepared:
    """A regular series ready to forecast, and what was done to it."""

    y: Array
    first: int  # index (in the input) of y[0]
    missing: tuple[int, ...]  # indexes with no value in the input
    filled: tuple[int, ...]  # of those, filled by interpolation
    dropped_before: int | None  # data before this index not used (a longer gap)


def prepare(values: Sequence[float | None], max_fill: int = 2) -> Prepared:
    """Fill short gaps, cut before long ones; leading and trailing gaps are trimmed."""
    arr = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    arr[~np.isfinite(arr)] = np.nan
    present = np.flatnonzero(~np.isnan(arr))
    missing = tuple(int(i) for i in np.flatnonzero(np.isnan(arr)))
    if present.size == 0:
        return Prepared(np.zeros(0), 0, missing, (), None)
    lo, hi = int(present[0]), int(present[-1])
    start = lo
    dropped: int | None = None
    run_start = None
    for i in range(lo, hi + 1):
        if np.isnan(arr[i]):
            run_start = i if run_start is None else run_start
        elif run_start is not None:
            if i - run_start > max_fill:
                start, dropped = i, i
            run_start = None
    y = arr[start:hi + 1].copy()
    holes = np.flatnonzero(np.isnan(y))
    if holes.size:
        known = np.flatnonzero(~np.isnan(y))
        y[holes] = np.interp(holes, known, y[known])
    filled = tuple(int(i) + start for i in holes)
    return Prepared(y, start, missing, filled, dropped)


def mase_scale(y: Array, m: int) -> float:
    """Mean absolute error of the in-sample seasonal naive forecast (lag ``m``)."""
    if y.size <= m:
        return math.nan
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def seasonal_naive(y: Array, m: int, h: int) -> Array:
    """"Same month last year": y[n - m + (i mod m)]."""
    n = y.size
    return np.array([y[n - m + (i % m)] for i in range(h)], dtype=np.float64)


def _factory(name: str, m: int) -> Any:
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    if name == "seasonal_naive":
        return SeasonalNaive(season_length=m)
    if name == "ets":
        return AutoETS(season_length=m)
    if name == "theta":
        return AutoTheta(season_length=m)
    if name == "arima":
        return AutoARIMA(season_length=m, approximation=True, max_p=3, max_q=3)
    raise ValueError(f"unknown model {name!r}")


def origins(n: int, h: int, windows: int, step: int) -> list[int]:
    return [n - h - (windows - 1 - i) * step for i in range(windows)]


@dataclass
class Score:
    model: str
    mase: float | None
    error: str | None = None
    fitted: Any = field(default=None, repr=False, compare=False)


@dataclass
class ForecastResult:
    outcome: Outcome
    model: str | None  # the model used (None: seasonal naive or nothing)
    best_model: str | None  # the best candidate by MASE (even when not used)
    scores: list[Score]
    forecast: list[float]  # what is shown: the model's, or "same month last year"
    seasonal_naive: list[float]
    m: int
    h: int
    n: int
    prepared: Prepared
    notes: list[str] = field(default_factory=list)

    @property
    def best_mase(self) -> float | None:
        for s in self.scores:
            if s.model == self.best_model:
                return s.mase
        return None

    def as_dict(self) -> dict[str, Any]:
        p = self.prepared
        return {
            "outcome": self.outcome, "model": self.model, "best_model": self.best_model,
            "best_mase": self.best_mase,
            "scores": [{"model": s.model, "mase": s.mase, "error": s.error}
                       for s in self.scores],
            "forecast": self.forecast, "seasonal_naive": self.seasonal_naive, "m": self.m,
            "h": self.h, "n": self.n, "first": p.first, "missing": list(p.missing),
            "filled": list(p.filled), "dropped_before": p.dropped_before, "notes": self.notes,
        }


def min_length(m: int, h: int, windows: int, step: int) -> int:
    """Data needed: two seasons before the first origin, then the backtest."""
    return 2 * m + h + (windows - 1) * step


def _backtest(name: str, y: Array, m: int, h: int, cuts: list[int]) -> Score:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of the optimisers
        return _backtest_quiet(name, y, m, h, cuts)


def _backtest_quiet(name: str, y: Array, m: int, h: int, cuts: list[int]) -> Score:
    try:
        model = _factory(name, m)
        errors: list[float] = []
        for k, cut in enumerate(cuts):
            train = y[:cut]
            if k == 0:
                model = model.fit(train)
                pred = model.predict(h)["mean"]
            elif hasattr(model, "forward"):
                pred = model.forward(train, h)["mean"]
            else:  # models without ``forward`` (SeasonalNaive in statsforecast 2.x): refit
                pred = _factory(name, m).fit(train).predict(h)["mean"]
            scale = mase_scale(train, m)
            if not scale > 0:
                return Score(name, None, "constant")
            errors.append(float(np.mean(np.abs(y[cut:cut + h] - np.asarray(pred)))) / scale)
        value = float(np.mean(errors))
        return Score(name, value if math.isfinite(value) else None, fitted=model)
    except Exception as exc:  # a model that cannot fit this series is left out, and says so
        return Score(name, None, type(exc).__name__)


def _run_forward(score: Score, y: Array, m: int, h: int) -> Array:
    """The chosen model, with the parameters of its backtest fit, run over all the data."""
    if score.model == "seasonal_naive":
        return seasonal_naive(y, m, h)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(score.fitted.forward(y, h)["mean"], dtype=np.float64)


def forecast(values: Sequence[float | None], m: int = 12, h: int = 6, windows: int = 3,
             step: int = 3, models: Sequence[str] = MODELS, max_fill: int = 2
             ) -> ForecastResult:
    """Choose a model by rolling-origin MASE and forecast ``h`` steps (see the docstring)."""
    for name in models:
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}")
    p = prepare(values, max_fill)
    y = p.y
    n = int(y.size)
    notes: list[str] = []
    if n < m:
        return ForecastResult("too_short", None, None, [], [], [], m, h, n, p, ["too_short"])
    sn = [round(float(v), 4) for v in seasonal_naive(y, m, h)]
    if np.ptp(y) == 0:
        flat = [float(y[-1])] * h
        return ForecastResult("constant", None, None, [], flat, sn, m, h, n, p, ["constant"])
    if not mase_scale(y, m) > 0:  # every season repeats exactly: nothing to scale by
        return ForecastResult("seasonal_naive", None, None, [], sn, sn, m, h, n, p,
                              ["exactly_seasonal"])
    if n < min_length(m, h, windows, step):
        return ForecastResult("too_short", None, None, [], sn, sn, m, h, n, p, ["too_short"])
    cuts = origins(n, h, windows, step)
    scores = [_backtest(name, y, m, h, cuts) for name in models]
    scored = [s for s in scores if s.mase is not None]
    if any(s.error == "constant" for s in scores):
        notes.append("constant_window")
    if not scored:
        return ForecastResult("seasonal_naive", None, None, scores, sn, sn, m, h, n, p,
                              [*notes, "no_model"])
    best = min(scored, key=lambda s: (s.mase, MODELS.index(s.model)))
    assert best.mase is not None
    if best.mase >= 1 or best.model == "seasonal_naive":
        reason = "seasonal_naive_best" if best.model == "seasonal_naive" else "not_better"
        return ForecastResult("seasonal_naive", None, best.model, scores, sn, sn, m, h, n, p,
                              [*notes, reason])
    values_out = _run_forward(best, y, m, h)
    out = [round(float(v), 4) for v in values_out]
    if not all(math.isfinite(v) for v in out):
        return ForecastResult("seasonal_naive", None, best.model, scores, sn, sn, m, h, n, p,
                              [*notes, "model_failed"])
    return ForecastResult("model", best.model, best.model, scores, out, sn, m, h, n, p, notes)
