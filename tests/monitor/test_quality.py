"""Quality checks of readings: physical ranges, EC to salinity, future timestamps."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nongso.monitor.quality import (
    EC_MS_PER_CM_PER_PER_MILLE,
    EC_MS_PER_CM_PER_PER_MILLE_SOURCE,
    FUTURE_TOLERANCE,
    PHYSICAL_RANGES,
    QualityError,
    ec_to_salinity,
    is_future,
    physical_range,
    quality_flag,
    salinity_to_ec,
)

ICT = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("prop", "good", "bad"),
    [
        ("salinity", [0, 0.3, 4.0, 50], [-0.01, 50.01, 120]),
        ("water_level", [-5, 0, 4.5, 15], [-5.1, 15.01, 99]),
        ("relative_humidity", [0, 55.5, 100], [-1, 100.1]),
        ("air_temperature", [-10, 27.3, 60], [-10.5, 60.1, 85]),
        ("soil_moisture", [0, 35, 100], [-0.1, 101]),
        ("ph", [0, 4.2, 7, 14], [-0.1, 14.1]),
        ("light_trap_count", [0, 1, 2500, 1_000_000], [-1, 2.5, 0.1]),
    ],
)
def test_physical_ranges(prop: str, good: list[float], bad: list[float]) -> None:
    for value in good:
        assert quality_flag(prop, value) == "good", value
    for value in [*bad, math.nan, math.inf, -math.inf]:
        assert quality_flag(prop, value) == "bad_range", value


def test_every_range_is_described() -> None:
    assert set(PHYSICAL_RANGES) == {
        "salinity",
        "water_level",
        "relative_humidity",
        "air_temperature",
        "soil_moisture",
        "ph",
        "light_trap_count",
    }
    assert physical_range("salinity").unit == "‰"
    assert physical_range("light_trap_count").integer
    assert physical_range("light_trap_count").maximum is None


def test_booleans_are_not_numbers() -> None:
    assert quality_flag("light_trap_count", True) == "bad_range"


def test_unknown_property_is_a_clear_error() -> None:
    with pytest.raises(QualityError) as info:
        quality_flag("wind_speed", 3.0)
    assert isinstance(info.value, ValueError)
    assert "wind_speed" in info.value.message_en
    assert "Không có khoảng giá trị" in info.value.message_vi


def test_ec_to_salinity() -> None:
    assert EC_MS_PER_CM_PER_PER_MILLE == 1.56
    assert "1.56 mS/cm" in EC_MS_PER_CM_PER_PER_MILLE_SOURCE
    assert "shared/reference" not in EC_MS_PER_CM_PER_PER_MILLE_SOURCE
    assert "Mekong Delta" in EC_MS_PER_CM_PER_PER_MILLE_SOURCE
    assert ec_to_salinity(1.56) == pytest.approx(1.0)
    assert ec_to_salinity(3.12) == pytest.approx(2.0)  # rice's limit
    assert salinity_to_ec(4.0) == pytest.approx(6.24)
    assert ec_to_salinity(0) == 0


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_ec_conversion_round_trips(ec: float) -> None:
    assert salinity_to_ec(ec_to_salinity(ec)) == pytest.approx(ec)


def test_future_timestamps() -> None:
    now = datetime(2025, 3, 1, 8, 0, tzinfo=ICT)
    assert timedelta(minutes=5) == FUTURE_TOLERANCE
    assert not is_future(now, now)
    assert not is_future(now - timedelta(days=3), now)
    assert not is_future(now + timedelta(minutes=5), now)
    assert is_future(now + timedelta(minutes=5, seconds=1), now)
    # Zones are taken into account: 01:06 UTC is 08:06 in Vietnam.
    assert is_future(datetime(2025, 3, 1, 1, 6, tzinfo=UTC), now)
    assert not is_future(datetime(2025, 3, 1, 1, 4, tzinfo=UTC), now)
    assert is_future(now + timedelta(minutes=2), now, tolerance=timedelta(minutes=1))


def test_future_check_needs_zones() -> None:
    with pytest.raises(QualityError, match="time zone"):
        is_future(datetime(2025, 3, 1, 8, 0), datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    with pytest.raises(QualityError, match="time zone"):
        is_future(datetime(2025, 3, 1, 8, 0, tzinfo=UTC), datetime(2025, 3, 1, 8, 0))
