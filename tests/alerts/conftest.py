"""Fixtures of the alerts tests: stations next to fields with crops."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import insert

from nongso.core import clock
from nongso.core.platform import Platform
from nongso.registry.models import ProductionUnit

NOW = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)  # 12:00 in Vietnam


@pytest.fixture
def now() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(NOW)
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


def add_fields(platform: Platform, lon: float, lat: float, crops: dict[str, str],
               farmer_id: int | None = None, organisation_id: int | None = None) -> None:
    """Fields (production units) 0.2-km squares around a point: crop -> commune code."""
    rows = []
    for i, (crop, commune) in enumerate(crops.items()):
        x, y = lon + 0.002 * i, lat + 0.001
        rows.append(dict(kind="plot", name=f"Thửa {crop}", commune_code=commune,
                         province_code="82", crop=crop, area_ha=1.0, min_lon=x, min_lat=y,
                         max_lon=x + 0.001, max_lat=y + 0.001, attributes={},
                         farmer_id=farmer_id, organisation_id=organisation_id))
    with platform.engine.begin() as conn:
        conn.execute(insert(ProductionUnit), rows)
