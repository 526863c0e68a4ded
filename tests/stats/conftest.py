"""Statistics fixtures: a fixed clock, actors, diary plots with seasons in two communes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.diary import services as diary
from nongso.diary.schemas import ActivityCreate, PlotCreate, SeasonCreate, SeasonPublic
from nongso.registry.models import ProductionUnit
from nongso.stats import services
from tests.helpers import Actors

# "Today": 20 April 2026 in Vietnam, after the Đông Xuân 2025-2026 harvest.
TODAY = dt.datetime(2026, 4, 20, 3, 0, tzinfo=dt.UTC)
DX = "dong_xuan:2025-2026"


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(TODAY)
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


@dataclass
class Farm:
    actors: Actors
    season_a: SeasonPublic  # commune A, 2 ha of rice
    season_a2: SeasonPublic  # commune A, 1 ha of rice
    season_b: SeasonPublic  # commune B, 3 ha of rice

    @property
    def platform(self) -> Platform:
        return self.actors.platform

    def harvest(self, season: SeasonPublic, kg: float, moisture: float | None = 14.0,
                day: dt.date = dt.date(2026, 3, 10)) -> int:
        act, _ = diary.create_activity(self.platform.uow(SYSTEM), ActivityCreate(
            season_id=season.id, kind="harvest", at=dt.datetime.combine(day, dt.time(8)),
            quantity=kg, unit="kg", moisture_pct=moisture))
        return act.id

    def refresh(self) -> None:
        services.refresh(self.platform.uow(SYSTEM))


def add_unit(platform: Platform, farmer_id: int, org_id: int, commune: str, code: str,
             area: float, crop: str = "rice", kind: str = "plot") -> int:
    with platform.uow() as uow:
        unit = ProductionUnit(kind=kind, code=code, name=f"Thửa {code}", commune_code=commune,
                              province_code="82", organisation_id=org_id, farmer_id=farmer_id,
                              crop=crop, area_ha=area, declared_area_ha=area, attributes={})
        uow.session.add(unit)
        uow.commit()
        return unit.id


@pytest.fixture
def farm(actors: Actors) -> Farm:
    platform = actors.platform
    admin = platform.uow(SYSTEM)
    units = [
        add_unit(platform, actors.farmer_a.id, actors.coop_a.id, actors.commune_a, "SA-1", 2.0),
        add_unit(platform, actors.farmer_a.id, actors.coop_a.id, actors.commune_a, "SA-2", 1.0),
        add_unit(platform, actors.farmer_b.id, actors.coop_b.id, actors.commune_b, "SB-1", 3.0),
    ]
    plots = [diary.create_plot(admin, PlotCreate(production_unit_id=u)) for u in units]
    seasons = [diary.create_season(admin, SeasonCreate(
        plot_id=p.id, season_kind="dong_xuan", variety="OM5451",
        sowing_date=dt.date(2025, 12, 5), expected_harvest_date=dt.date(2026, 3, 15)))
        for p in plots]
    return Farm(actors, seasons[0], seasons[1], seasons[2])
