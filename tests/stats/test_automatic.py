"""Automatic values: from the diary through the events and the refresher, with no batch job."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from nongso.core.permissions import SYSTEM
from nongso.diary import services as diary
from nongso.stats import services
from nongso.stats.models import DataValue, RefreshQueue
from tests.stats.conftest import DX, Farm


def _value(farm: Farm, element: str, commune: str, coc: str = "rice",
           period: str = DX) -> float | None:
    with farm.platform.uow() as uow:
        return uow.session.scalar(select(DataValue.value).where(
            DataValue.data_element == element, DataValue.org_unit == commune,
            DataValue.period == period, DataValue.coc == coc))


def test_new_seasons_are_found_without_an_event_and_harvests_through_the_queue(
        farm: Farm) -> None:
    a, b = farm.actors.commune_a, farm.actors.commune_b
    farm.refresh()
    assert _value(farm, "sown_area", a) == pytest.approx(3.0)
    assert _value(farm, "sown_area", b) == pytest.approx(3.0)
    assert _value(farm, "harvested_area", a) == pytest.approx(0.0)
    assert _value(farm, "output", a) is None  # nothing harvested: no value, not zero
    # A harvest queues its commune x season in the diary's own transaction...
    farm.harvest(farm.season_a, 14_000, moisture=14.0)
    with farm.platform.uow() as uow:
        keys = uow.session.scalars(select(RefreshQueue.key).where(
            RefreshQueue.source == "diary")).all()
    assert keys == [f"{a}|{DX}"]
    # ... and the refresher recounts it.
    farm.refresh()
    assert _value(farm, "harvested_area", a) == pytest.approx(2.0)
    assert _value(farm, "output", a) == pytest.approx(14.0)
    with farm.platform.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RefreshQueue).where(
            RefreshQueue.source == "diary")) == 0
        row = uow.session.scalar(select(DataValue).where(
            DataValue.data_element == "output", DataValue.org_unit == a))
        assert row is not None and row.source == "diary" and row.source_count == 2
        assert row.source_ref == f"/api/v1/diary/seasons?commune_code={a}&season_key={DX}"


def test_rice_output_is_dry_paddy_at_14_percent(farm: Farm) -> None:
    farm.harvest(farm.season_b, 10_000, moisture=25.0)  # fresh paddy
    farm.harvest(farm.season_a, 8_600, moisture=None)  # no reading: taken as 25 %
    farm.refresh()
    expected_b = 10_000 * (100 - 25) / (100 - 14) / 1000
    assert _value(farm, "output", farm.actors.commune_b) == pytest.approx(expected_b)
    assert _value(farm, "output", farm.actors.commune_a) == pytest.approx(
        8_600 * 75 / 86 / 1000)


def test_a_deleted_harvest_is_recounted(farm: Farm) -> None:
    act = farm.harvest(farm.season_b, 12_000)
    farm.refresh()
    assert _value(farm, "output", farm.actors.commune_b) == pytest.approx(12.0)
    diary.delete_activity(farm.platform.uow(SYSTEM), act)
    farm.refresh()
    assert _value(farm, "output", farm.actors.commune_b) is None
    assert _value(farm, "harvested_area", farm.actors.commune_b) == pytest.approx(0.0)


def test_rebuild_gives_the_same_values(farm: Farm) -> None:
    farm.harvest(farm.season_a, 14_000)
    farm.harvest(farm.season_b, 20_000)
    farm.refresh()

    def snapshot() -> list[tuple[str, str, str, float]]:
        with farm.platform.uow() as uow:
            return [(r.data_element, r.org_unit, r.coc, round(r.value, 6)) for r in
                    uow.session.scalars(select(DataValue).where(DataValue.source == "diary")
                                        .order_by(DataValue.data_element, DataValue.org_unit,
                                                  DataValue.coc))]

    before = snapshot()
    with farm.platform.uow() as uow:
        uow.session.execute(DataValue.__table__.update().values(value=999.0))  # type: ignore
        uow.commit()
    services.rebuild(farm.platform.uow(SYSTEM))
    assert snapshot() == before
