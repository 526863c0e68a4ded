"""Booking rules (pure): zones, windows, overlaps, distances, adjacent fields, maintenance."""

from __future__ import annotations

import datetime as dt

import pytest

from nongso.market import booking

NOW = dt.datetime(2026, 3, 20, 3, 0, tzinfo=dt.UTC)


def _square(lon: float, lat: float, side_deg: float = 0.001) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [[
        [lon, lat], [lon + side_deg, lat], [lon + side_deg, lat + side_deg],
        [lon, lat + side_deg], [lon, lat]]]}


def test_times_without_zone_are_vietnam_time() -> None:
    m = booking.to_utc(dt.datetime(2026, 3, 21, 7, 0))
    assert m.assumed_zone and m.utc == dt.datetime(2026, 3, 21, 0, 0, tzinfo=dt.UTC)
    aware = booking.to_utc(dt.datetime(2026, 3, 21, 7, 0, tzinfo=dt.UTC))
    assert not aware.assumed_zone and aware.utc.hour == 7
    assert booking.local_text(m.utc) == "21/03/2026 07:00 (giờ Việt Nam, UTC+7)"


def test_window_checks() -> None:
    start = NOW + dt.timedelta(days=1)
    assert booking.check_window(start, start + dt.timedelta(hours=4), NOW, 14) == []
    codes = {p.code for p in booking.check_window(start, start, NOW, 14)}
    assert codes == {"end_before_start"}
    past = NOW - dt.timedelta(hours=2)
    assert {p.code for p in booking.check_window(past, NOW, NOW, 14)} == {"in_past"}
    long = booking.check_window(start, start + dt.timedelta(days=15), NOW, 14)
    assert [p.code for p in long] == ["too_long"] and long[0].field == "ends_at"


def test_overlaps_are_half_open() -> None:
    a, b, c = NOW, NOW + dt.timedelta(hours=2), NOW + dt.timedelta(hours=4)
    assert booking.overlaps(a, c, b, c)
    assert not booking.overlaps(a, b, b, c)  # one ends when the next starts


def test_radius_search_respects_each_machines_own_area() -> None:
    machines = [booking.Machine(1, 105.60, 10.45, 30), booking.Machine(2, 105.80, 10.45, 10),
                booking.Machine(3, 106.05, 10.45, 100)]
    found = booking.within(machines, 105.62, 10.45, 20)
    assert [r.id for r in found] == [1]  # 2 is ~19.7 km away but works within 10 km
    assert found[0].distance_km == pytest.approx(2.19, abs=0.02)
    assert [r.id for r in booking.within(machines, 105.62, 10.45, 50)] == [1, 3]


def test_adjacent_fields_are_grouped() -> None:
    fields = [(1, _square(105.600, 10.450)), (2, _square(105.6011, 10.450)),  # ~12 m apart
              (3, _square(105.6022, 10.450)), (4, _square(105.62, 10.45))]  # 2 km away
    groups = booking.adjacent_groups(fields, 150)
    assert sorted(sorted(g) for g in groups) == [[1, 2, 3], [4]]
    assert len(booking.adjacent_groups(fields, 5)) == 4


def test_maintenance_and_cost() -> None:
    assert booking.maintenance_due(250, 0, 250)
    assert not booking.maintenance_due(249.9, 0, 250)
    assert booking.hours_needed(6, 2) == 3 and booking.hours_needed(6, None) is None
    assert booking.job_cost(350_000, "ha", 2.5, 3) == 875_000
    assert booking.job_cost(200_000, "hour", 2.5, 3.5) == 700_000
    assert booking.job_cost(1_000_000, "day", 2.5, 9) == 2_000_000
