"""The FAO GIEWS Indicator of Price Anomalies against a hand computation."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from nongso.market import ipa

START = dt.date(2021, 1, 1)
# 40 months, January 2021 to April 2024: a trend, a season and a spike in the last April.
SEASON = [0, 150, 300, 200, -100, -250, -300, -150, 50, 100, 250, 350]
PRICES = [6000 + 25 * t + SEASON[t % 12] for t in range(40)]
PRICES[39] = 8900.0


def test_hand_computed_example_to_1e_9() -> None:
    p = PRICES
    # April is column 3, 15, 27 and 39.
    q = [(p[3] / p[0]) ** (1 / 3) - 1, (p[15] / p[12]) ** (1 / 3) - 1,
         (p[27] / p[24]) ** (1 / 3) - 1, (p[39] / p[36]) ** (1 / 3) - 1]
    a = [(p[15] / p[3]) ** (1 / 12) - 1, (p[27] / p[15]) ** (1 / 12) - 1,
         (p[39] / p[27]) ** (1 / 12) - 1]
    # Weights: the years ranked from the oldest (1) to the evaluated one.
    mean_q = (1 * q[0] + 2 * q[1] + 3 * q[2] + 4 * q[3]) / (1 + 2 + 3 + 4)
    var_q = (1 * (q[0] - mean_q) ** 2 + 2 * (q[1] - mean_q) ** 2 + 3 * (q[2] - mean_q) ** 2
             + 4 * (q[3] - mean_q) ** 2) / 10
    mean_a = (1 * a[0] + 2 * a[1] + 3 * a[2]) / (1 + 2 + 3)
    var_a = (1 * (a[0] - mean_a) ** 2 + 2 * (a[1] - mean_a) ** 2
             + 3 * (a[2] - mean_a) ** 2) / 6
    z_q = (q[3] - mean_q) / math.sqrt(var_q)
    z_a = (a[2] - mean_a) / math.sqrt(var_a)
    expected = 0.4 * z_q + 0.6 * z_a

    m = ipa.compute(np.array([PRICES]), START)
    assert m.cqgr[0, 39] == pytest.approx(q[3], abs=1e-12)
    assert m.cagr[0, 39] == pytest.approx(a[2], abs=1e-12)
    assert abs(m.z_q[0, 39] - z_q) < 1e-9
    assert abs(m.z_a[0, 39] - z_a) < 1e-9
    assert abs(m.ipa[0, 39] - expected) < 1e-9
    assert expected >= 1  # the spike is an alert
    latest = ipa.latest(m, 0, dt.date(2024, 5, 1))
    assert latest.status == "alert" and latest.month == dt.date(2024, 4, 1)
    assert latest.years == 3 and latest.age_months == 1


def test_uniform_weights_give_the_plain_z_score() -> None:
    p = PRICES
    a = [(p[15] / p[3]) ** (1 / 12) - 1, (p[27] / p[15]) ** (1 / 12) - 1,
         (p[39] / p[27]) ** (1 / 12) - 1]
    mean = sum(a) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in a) / 3)
    m = ipa.compute(np.array([PRICES]), START, weights="uniform")
    assert abs(m.z_a[0, 39] - (a[2] - mean) / sd) < 1e-9


def test_fewer_than_three_years_per_month_gives_no_ipa() -> None:
    m = ipa.compute(np.array([PRICES[:28]]), START)  # April has 2 annual rates by then
    assert math.isnan(m.ipa[0, 27]) and not math.isnan(m.z_a[0, 27])
    latest = ipa.latest(m, 0, dt.date(2022, 5, 1))
    assert latest.status == "insufficient_history" and latest.years == 2 and not latest.warns


def test_data_older_than_two_months_gives_no_warning() -> None:
    m = ipa.compute(np.array([PRICES]), START)
    assert ipa.latest(m, 0, dt.date(2024, 6, 1)).status == "alert"  # two months: still used
    stale = ipa.latest(m, 0, dt.date(2024, 7, 1))
    assert stale.status == "stale" and stale.age_months == 3 and not stale.warns
    assert stale.ipa is not None  # the value is shown, not warned about


def test_missing_lag_and_no_variation_and_no_data() -> None:
    gappy = list(PRICES)
    gappy[36] = math.nan  # no price three months before the last April
    m = ipa.compute(np.array([gappy]), START)
    assert ipa.latest(m, 0, dt.date(2024, 5, 1)).status == "missing_lag"
    steady = [5000 * 1.01 ** t for t in range(40)]  # every growth rate the same: sd = 0
    m = ipa.compute(np.array([steady, [math.nan] * 40]), START)
    assert ipa.latest(m, 0, dt.date(2024, 5, 1)).status == "no_variation"
    assert ipa.latest(m, 1, dt.date(2024, 5, 1)).status == "no_data"


def test_a_past_value_never_changes_with_later_data() -> None:
    short = ipa.compute(np.array([PRICES[:38]]), START)
    full = ipa.compute(np.array([PRICES]), START)
    np.testing.assert_allclose(short.ipa[0], full.ipa[0, :38], equal_nan=True)


def test_many_series_at_once_equal_one_by_one() -> None:
    rng = np.random.default_rng(7)
    prices = 5000 + rng.normal(0, 300, size=(50, 60)).cumsum(axis=1) * 0.1 + 2000
    prices[3, 10:14] = np.nan
    together = ipa.compute(prices, START)
    for row in (0, 3, 49):
        alone = ipa.compute(prices[row:row + 1], START)
        np.testing.assert_allclose(together.ipa[row], alone.ipa[0], equal_nan=True)


def test_thresholds() -> None:
    assert ipa.classify(0.49) == "normal"
    assert ipa.classify(0.5) == "watch"
    assert ipa.classify(0.99) == "watch"
    assert ipa.classify(1.0) == "alert"
    assert ipa.classify(-3) == "normal"


def test_latest_of_all_series_at_once_equals_one_by_one() -> None:
    rng = np.random.default_rng(3)
    prices = 5000 + rng.normal(0, 300, size=(40, 50)).cumsum(axis=1) * 0.1 + 2000
    prices[1, :] = np.nan  # no data
    prices[2, 45:] = np.nan  # stale
    prices[3, 46] = np.nan  # a missing lag
    prices[4, :30] = np.nan  # too few years
    prices[5] = [5000 * 1.01 ** t for t in range(50)]  # no variation
    prices[6, 49] *= 1.4  # an alert
    m = ipa.compute(prices, START)
    current = ipa.add_months(START, 50)
    together = ipa.latest_all(m, current)
    assert [ipa.latest(m, r, current) for r in range(40)] == together
    assert {x.status for x in together} >= {"no_data", "stale", "missing_lag",
                                              "insufficient_history", "no_variation", "alert"}
