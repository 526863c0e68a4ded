"""The synthetic season generator and the phenology detector (pure, no database)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from nongso.remote import phenology as ph
from nongso.remote import synthetic as syn

START, END = dt.date(2025, 10, 1), dt.date(2026, 12, 31)
RADAR = syn.acquisitions(START, END, "s1")
OPTICAL = syn.acquisitions(START, END, "s2", phase=4)


def _rice(fid: int, *sowings: tuple[dt.date, int]) -> syn.FieldTruth:
    return syn.FieldTruth(fid, "rice", tuple(syn.season(d, n) for d, n in sowings))


def test_generator_is_deterministic_and_seeded() -> None:
    a = syn.random_truth(range(1, 50), START, END, seed=3)
    b = syn.random_truth(range(1, 50), START, END, seed=3)
    c = syn.random_truth(range(1, 50), START, END, seed=4)
    assert a == b
    assert a != c
    s1 = syn.field_series(a[1], RADAR, OPTICAL, 3)
    s2 = syn.field_series(a[1], RADAR, OPTICAL, 3)
    assert np.array_equal(s1.vh, s2.vh) and np.array_equal(s1.ndvi, s2.ndvi, equal_nan=True)


def test_truth_seasons_never_overlap_and_fit_the_period() -> None:
    truths = syn.random_truth(range(1, 400), START, END, seed=11)
    for t in truths.values():
        for prev, nxt in zip(t.seasons, t.seasons[1:], strict=False):
            assert nxt.sowing >= prev.harvest + dt.timedelta(days=12)
        for s in t.seasons:
            assert s.sowing >= START and s.harvest <= END
            assert s.sowing < s.heading < s.harvest
    covers = {t.cover for t in truths.values()}
    assert covers == set(syn.COVERS)


def test_rice_signal_has_the_flooding_dip_growth_and_harvest_drop() -> None:
    truth = _rice(1, (dt.date(2026, 4, 20), 95))
    sow = dt.date(2026, 4, 20).toordinal()
    days = np.array([sow - 30, sow + 5, sow + 60, sow + 110], dtype=float)
    e = syn.expected(truth, days, seed=1)
    before, flooded, heading, after = e["vh"]
    assert flooded < before - 4  # the flooding dip at sowing
    assert heading > flooded + 7  # growth to heading
    assert after < heading - 2  # the drop at harvest
    assert e["ndvi"][2] > 0.7 > e["ndvi"][1]


def test_clouds_hide_ndvi_and_some_dates_are_all_cloud() -> None:
    fractions = [syn.cloud_fraction(d, 5) for d in syn.acquisitions(dt.date(2020, 1, 1),
                                                                    dt.date(2026, 12, 31), "s2")]
    assert max(fractions) == 1.0  # an all-cloud date happens
    assert min(fractions) < 0.1
    grid = syn.Grid(0.0, 1000.0, 10.0, 64, 48)
    full = next(d for d in syn.acquisitions(dt.date(2020, 1, 1), dt.date(2026, 12, 31), "s2")
                if syn.cloud_fraction(d, 5) == 1.0)
    assert syn.cloud_mask(grid, full, 5).all()


def test_render_mixes_a_field_smaller_than_a_pixel_into_its_pixel() -> None:
    grid = syn.Grid(0.0, 40.0, 20.0, 2, 2)
    labels = np.zeros((8, 8), dtype=np.int32)  # supersample 4: 5 m sub-pixels
    labels[0:2, 0:2] = 1  # a 10 m x 10 m pond in the upper-left pixel
    pond = syn.FieldTruth(1, "water")
    day = dt.date(2026, 1, 10)
    levels = {b: v[:, 0] for b, v in syn.class_levels([pond], [day], seed=2).items()}
    out = syn.render(grid, labels, levels, day, "s1", seed=2, supersample=4)
    assert out["vh"].shape == (2, 2) and out["vh"].dtype == np.float32
    clean = syn.render(grid, np.zeros((8, 8), dtype=np.int32), levels, day, "s1", seed=2,
                       supersample=4)
    assert out["vh"][0, 0] < clean["vh"][0, 0]  # the pond darkens its pixel…
    assert out["vh"][1, 1] == clean["vh"][1, 1]  # …and no other


def test_detects_two_rice_seasons_close_to_the_truth() -> None:
    truth = _rice(7, (dt.date(2026, 4, 22), 93), (dt.date(2026, 8, 10), 90))
    found = ph.detect(syn.field_series(truth, RADAR, OPTICAL, seed=9, pixels=40))
    assert found.is_rice and found.n_seasons == 2
    for t, f in zip(truth.seasons, found.seasons, strict=True):
        assert abs((f.sowing - t.sowing).days) <= 8
        assert f.harvest is not None and abs((f.harvest - t.harvest).days) <= 8


@pytest.mark.parametrize("cover", ["orchard", "bare", "water", "upland"])
def test_other_covers_are_not_rice(cover: str) -> None:
    seasons = (syn.season(dt.date(2025, 12, 1), 90),) if cover == "upland" else ()
    truth = syn.FieldTruth(3, cover, seasons)
    found = ph.detect(syn.field_series(truth, RADAR, OPTICAL, seed=4, pixels=30))
    assert not found.is_rice and found.n_seasons == 0 and found.note


def test_too_few_radar_dates_says_so() -> None:
    s = ph.FieldSeries(1, np.array([1.0, 13.0]), np.array([-20.0, -15.0]), np.array([]),
                       np.array([]))
    assert ph.detect(s).note == "insufficient-data"


def test_accuracy_on_a_synthetic_population() -> None:
    """Sowing and harvest errors over 300 fields stay inside the published bar (6 days)."""
    truths = syn.random_truth(range(1, 301), START, END, seed=21)
    sow, harvest, wrong = [], [], 0
    for _fid, t in truths.items():
        found = ph.detect(syn.field_series(t, RADAR, OPTICAL, 21, pixels=25))
        wrong += found.is_rice != t.is_rice
        pairs = ph.match([(s.sowing, s.harvest) for s in t.seasons], found.seasons)
        for i, j in pairs:
            sow.append((found.seasons[j].sowing - t.seasons[i].sowing).days)
            h = found.seasons[j].harvest
            if h is not None:
                harvest.append((h - t.seasons[i].harvest).days)
    assert wrong <= 3
    assert np.sqrt(np.mean(np.square(sow))) <= 6
    assert np.sqrt(np.mean(np.square(harvest))) <= 6
