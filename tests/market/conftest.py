"""Market fixtures: a fixed clock, fields with shapes, helpers to write prices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.registry import services as registry
from nongso.registry.schemas import ProductionUnitCreate
from tests.helpers import Actors

# "Now" in these tests: 7 December 2026, 10:00 in Vietnam.
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
QUOTES = "/api/v1/market/quotes"


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(NOW)
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


def square(lon: float, lat: float, side: float = 0.001) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[
        [lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]]}


def make_field(platform: Platform, commune: str, lon: float, lat: float, *,
               farmer_id: int | None = None, organisation_id: int | None = None,
               name: str = "Thửa thử") -> int:
    unit = registry.create_production_unit(platform.uow(SYSTEM), ProductionUnitCreate(
        kind="plot", name=name, commune_code=commune, farmer_id=farmer_id,
        organisation_id=organisation_id, crop="rice", geometry=square(lon, lat)))
    return unit.id


def quote(actors: Actors, who: str, lang: str = "vi", **kw: Any) -> Any:
    body = {"product": "lúa IR 50404", "level": "farm_gate", "place_code": actors.commune_a,
            "observed_on": "2026-12-05", "price": "7.500đ"}
    body.update(kw)
    return actors.client.post(QUOTES, json=body, headers={**actors.headers(who),
                                                          "Accept-Language": lang})


def csv_sheet(rows: list[list[Any]]) -> bytes:
    header = "Ngày,Mặt hàng,Cấp thị trường,Nơi,Giá,Đơn vị,Nguồn\n"
    return (header + "\n".join(",".join(f'"{c}"' for c in r) for r in rows) + "\n").encode()
