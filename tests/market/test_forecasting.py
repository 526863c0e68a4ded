"""Forecasts with honest accuracy: rolling-origin MASE against seasonal naive."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nongso.market import forecasting as fc


def _seasonal(n: int, noise: float = 2.0, seed: int = 1) -> list[float | None]:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 0.3 * t + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n)
    return [float(v) for v in y]


def test_mase_of_seasonal_naive_by_hand() -> None:
    y = _seasonal(60)
    r = fc.forecast(y, m=12, h=6, windows=3, step=3, models=("seasonal_naive",))
    arr = np.array(y)
    n = len(y)
    ratios = []
    for cut in (n - 6 - 6, n - 6 - 3, n - 6):
        train = arr[:cut]
        scale = np.mean(np.abs(train[12:] - train[:-12]))
        pred = np.array([train[cut - 12 + (i % 12)] for i in range(6)])
        ratios.append(np.mean(np.abs(arr[cut:cut + 6] - pred)) / scale)
    expected = sum(ratios) / 3
    assert r.scores[0].mase is not None
    assert abs(r.scores[0].mase - expected) < 1e-9
    # Seasonal naive is never "used as a model": the answer is "same month last year".
    assert r.outcome == "seasonal_naive" and "seasonal_naive_best" in r.notes
    assert r.forecast == r.seasonal_naive == [round(y[n - 12 + i], 4) for i in range(6)]


def test_a_model_that_beats_seasonal_naive_is_used() -> None:
    r = fc.forecast(_seasonal(84), models=("seasonal_naive", "ets"))
    sn, ets = (s.mase for s in r.scores)
    assert ets is not None and sn is not None and ets < 1 and ets < sn
    assert r.outcome == "model" and r.model == "ets" and r.best_mase == ets
    assert len(r.forecast) == 6 and r.forecast != r.seasonal_naive


def test_a_model_no_better_than_last_year_is_not_used() -> None:
    y = _seasonal(84, noise=0.5)
    for k in range(72, 84):  # a sudden jump over the backtest: nobody saw it coming
        y[k] = float(y[k] or 0) + 150
    r = fc.forecast(y, models=("ets",))
    assert r.best_model == "ets" and r.best_mase is not None and r.best_mase >= 1
    assert r.outcome == "seasonal_naive" and r.model is None and "not_better" in r.notes
    assert r.forecast == r.seasonal_naive


def test_constant_series_does_not_divide_by_zero() -> None:
    r = fc.forecast([7500.0] * 48)
    assert r.outcome == "constant" and r.forecast == [7500.0] * 6 and r.scores == []
    repeating = [float(100 + (k % 12)) for k in range(48)]
    r = fc.forecast(repeating)
    assert r.outcome == "seasonal_naive" and "exactly_seasonal" in r.notes
    assert r.forecast == [float(100 + (k % 12)) for k in range(48, 54)]


def test_gaps_are_reported_filled_or_cut() -> None:
    y = _seasonal(84)
    y[40] = y[41] = None  # two months: filled
    y[10] = y[11] = y[12] = None  # three months: the data before are not used
    p = fc.prepare(y)
    assert p.missing == (10, 11, 12, 40, 41)
    assert p.filled == (40, 41) and p.dropped_before == 13 and p.first == 13
    assert p.y.size == 71
    assert p.y[40 - 13] == pytest.approx((float(y[39] or 0) * 2 + float(y[42] or 0)) / 3)
    r = fc.forecast(y, models=("seasonal_naive",))
    assert r.as_dict()["filled"] == [40, 41] and r.as_dict()["dropped_before"] == 13


def test_too_short_gives_last_year_and_says_so() -> None:
    r = fc.forecast(_seasonal(30))
    assert r.outcome == "too_short" and r.scores == [] and len(r.forecast) == 6
    assert fc.forecast(_seasonal(8)).forecast == []


def test_rice_seasons_use_lag_three() -> None:
    # Three rice seasons a year: Đông Xuân high, Hè Thu lower, Thu Đông lowest.
    output = [float(v) for _ in range(8) for v in (7200, 5600, 4100)]
    output[-1] = 4300.0
    r = fc.forecast(output, m=3, h=3, windows=2, step=3, models=("seasonal_naive", "ets"))
    assert r.m == 3 and len(r.forecast) == 3
    assert all(math.isfinite(v) for v in r.forecast)


def test_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError):
        fc.forecast(_seasonal(84), models=("prophet",))
