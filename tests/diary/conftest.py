"""Diary fixtures: actors, registry fields, diary plots and seasons, inputs and a dealer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.diary import services
from nongso.diary.models import Activity
from nongso.diary.schemas import (
    ActiveIngredient,
    InputCreate,
    InputPublic,
    PlotCreate,
    PlotPublic,
    SeasonCreate,
    SeasonPublic,
)
from nongso.registry import services as registry
from nongso.registry.models import ProductionUnit
from nongso.registry.schemas import OrganisationCreate, OrganisationPublic
from tests.helpers import Actors

# "Today" in these tests: 20 March 2026, Vietnam time (the Đông Xuân 2025-2026 harvest).
TODAY = dt.datetime(2026, 3, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[clock.FixedClock]:
    fixed = clock.FixedClock(TODAY)
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


@dataclass
class Diary:
    actors: Actors
    dealer: OrganisationPublic
    plot_a: PlotPublic  # farmer_a's plot (co-op A, commune A)
    plot_a2: PlotPublic
    plot_b: PlotPublic  # farmer_b's plot (co-op B, commune B)
    season_a: SeasonPublic  # Đông Xuân 2025-2026 on plot_a
    season_b: SeasonPublic
    urea: InputPublic
    npk: InputPublic
    pymetrozine: InputPublic  # PHI 14 days, max 0.4 kg/ha
    carbendazim: InputPublic  # banned from 03/01/2019
    seed: InputPublic

    @property
    def platform(self) -> Platform:
        return self.actors.platform

    def activity_count(self) -> int:
        with self.platform.uow() as uow:
            return uow.session.scalar(select(func.count()).select_from(Activity)) or 0


def _unit(platform: Platform, farmer_id: int, org_id: int, commune: str, code: str,
          area: float) -> int:
    with platform.uow() as uow:
        unit = ProductionUnit(kind="plot", code=code, name=f"Thửa {code}", commune_code=commune,
                              province_code="82", organisation_id=org_id, farmer_id=farmer_id,
                              crop="rice", area_ha=area, declared_area_ha=area,
                              attributes={"planting_area_code": f"VN-82-{code}"})
        uow.session.add(unit)
        uow.commit()
        return unit.id


@pytest.fixture
def diary(actors: Actors) -> Diary:
    platform = actors.platform
    admin = platform.uow(SYSTEM)
    dealer = registry.create_organisation(admin, OrganisationCreate(
        kind="input_dealer", name="Đại lý Vật tư Nông nghiệp Ba Lúa",
        commune_code=actors.commune_a))
    units = [
        _unit(platform, actors.farmer_a.id, actors.coop_a.id, actors.commune_a, "A-001", 1.2),
        _unit(platform, actors.farmer_a.id, actors.coop_a.id, actors.commune_a, "A-002", 0.8),
        _unit(platform, actors.farmer_b.id, actors.coop_b.id, actors.commune_b, "B-001", 2.0),
    ]
    plots = [services.create_plot(admin, PlotCreate(production_unit_id=u)) for u in units]
    seasons = [services.create_season(admin, SeasonCreate(
        plot_id=p.id, season_kind="dong_xuan", variety="OM5451",
        sowing_date=dt.date(2025, 12, 5), expected_harvest_date=dt.date(2026, 3, 15)))
        for p in (plots[0], plots[2])]
    services.create_season(admin, SeasonCreate(
        plot_id=plots[1].id, season_kind="dong_xuan", sowing_date=dt.date(2025, 12, 8)))

    def make(**kw: object) -> InputPublic:
        return services.create_input(admin, InputCreate(**kw))  # type: ignore[arg-type]

    return Diary(
        actors=actors, dealer=dealer, plot_a=plots[0], plot_a2=plots[1], plot_b=plots[2],
        season_a=seasons[0], season_b=seasons[1],
        urea=make(kind="fertiliser", name="Urê 46% N", n_pct=46),
        npk=make(kind="fertiliser", name="NPK 20-20-15", n_pct=20, p2o5_pct=20, k2o_pct=15),
        pymetrozine=make(kind="pesticide", name="Rầy Sạch 50WG", formulation="WG",
                         active_ingredients=[ActiveIngredient(name="pymetrozine",
                                                              concentration=500, unit="g/kg")],
                         phi_days=14, label_dose_max_per_ha=0.4, label_dose_unit="kg"),
        carbendazim=make(kind="pesticide", name="Vàng Lá 500SC",
                         active_ingredients=[ActiveIngredient(name="Carbendazim",
                                                              concentration=500, unit="g/L")],
                         phi_days=7, label_dose_max_per_ha=1.0, label_dose_unit="L"),
        seed=make(kind="seed", name="Lúa giống OM5451 xác nhận", variety="OM5451",
                  certified_seed=True),
    )
