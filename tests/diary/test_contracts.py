"""The diary's contracts with traceability and statistics: events and read functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from nongso.core import events
from nongso.core.errors import NotFound, PermissionDenied, ValidationFailed
from nongso.core.permissions import SYSTEM, Principal
from nongso.core.uow import UnitOfWork
from nongso.diary import services
from nongso.diary.schemas import (
    ActivityCreate,
    ActivityInputIn,
    ActivityUpdate,
    ProcessingOutput,
    ProcessingSource,
    PurchaseCreate,
)
from tests.diary.conftest import Diary

VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def bus() -> Iterator[list[events.DomainEvent]]:
    seen: list[events.DomainEvent] = []
    saved = {k: list(v) for k, v in events._handlers.items()}

    def record(uow: UnitOfWork, event: events.DomainEvent) -> None:
        seen.append(event)

    for kind in (events.HarvestRecorded, events.ProcessingRecorded, events.SaleRecorded,
                 events.HarvestCorrected, events.ActivityDeleted):
        events.subscribe(kind, record)
    yield seen
    events._handlers.clear()
    events._handlers.update(saved)


def farmer_uow(d: Diary) -> UnitOfWork:
    a = d.actors
    return d.platform.uow(Principal(role="farmer", user_id=a.users["farmer_a"],
                                    username="t_farmer_a", farmer_id=a.farmer_a.id))


def test_harvest_processing_and_sale_publish_events(diary: Diary,
                                                    bus: list[events.DomainEvent]) -> None:
    d = diary
    uow = farmer_uow(d)
    harvest, created = services.create_activity(uow, ActivityCreate(
        season_id=d.season_a.id, kind="harvest", at=dt.datetime(2026, 3, 12, 8, 0),
        quantity=8.4, unit="t", moisture_pct=24.5))
    assert created
    h = bus[-1]
    assert isinstance(h, events.HarvestRecorded)
    assert (h.activity_id, h.season_id, h.plot_id) == (harvest.id, d.season_a.id, d.plot_a.id)
    assert h.quantity_kg == pytest.approx(8400)
    assert h.production_unit_id == d.plot_a.production_unit_id
    assert h.organisation_id == d.actors.coop_a.id and h.farmer_id == d.actors.farmer_a.id
    assert h.commune_code == d.actors.commune_a and h.crop == "rice" and h.variety == "OM5451"
    assert h.season_name == "Đông Xuân 2025-2026"
    assert h.planting_area_code == "VN-82-A-001"
    assert h.harvested_at == dt.datetime(2026, 3, 12, 1, 0, tzinfo=dt.UTC)
    drying, _ = services.create_activity(uow, ActivityCreate(
        season_id=d.season_a.id, kind="drying", at=dt.datetime(2026, 3, 13, 8, 0),
        sources=[ProcessingSource(activity_id=harvest.id, quantity_kg=8400)],
        outputs=[ProcessingOutput(product="lúa khô 14%", quantity_kg=7200, is_main=True)]))
    p = bus[-1]
    assert isinstance(p, events.ProcessingRecorded)
    assert p.kind == "drying" and p.inputs == ((harvest.id, 8400.0),)
    assert p.outputs == (("lúa khô 14%", 7200.0, True),)
    _sale, _ = services.create_activity(uow, ActivityCreate(
        season_id=d.season_a.id, kind="sale", at=dt.datetime(2026, 3, 14, 8, 0),
        quantity=7200, unit="kg", buyer_organisation_id=d.actors.buyer_org.id,
        price_vnd_per_kg=7400, sources=[ProcessingSource(activity_id=drying.id,
                                                         quantity_kg=7200)]))
    s = bus[-1]
    assert isinstance(s, events.SaleRecorded)
    assert s.buyer_organisation_id == d.actors.buyer_org.id
    assert s.seller_organisation_id == d.actors.coop_a.id
    assert s.source_activity_ids == (drying.id,) and s.quantity_kg == 7200
    assert s.price_vnd_per_kg == 7400
    assert len(bus) == 3
    # Mass balance: the dried paddy is all sold; no more can be sold from it.
    with pytest.raises(ValidationFailed, match="has only 0 kg left, not 10 kg"):
        services.create_activity(uow, ActivityCreate(
            season_id=d.season_a.id, kind="sale", at=dt.datetime(2026, 3, 15, 8, 0),
            quantity=10, unit="kg", buyer_organisation_id=d.actors.buyer_org.id,
            sources=[ProcessingSource(activity_id=drying.id, quantity_kg=10)]))
    assert len(bus) == 3
    # A correction of the harvest is published too.
    services.update_activity(uow, harvest.id, ActivityUpdate(quantity=8300, unit="kg"))
    assert isinstance(bus[-1], events.HarvestCorrected) and bus[-1].quantity_kg == 8300


def test_a_failing_subscriber_rolls_the_harvest_back(diary: Diary) -> None:
    saved = {k: list(v) for k, v in events._handlers.items()}

    def boom(uow: UnitOfWork, event: events.HarvestRecorded) -> None:
        raise RuntimeError("trace is down")

    events.subscribe(events.HarvestRecorded, boom)
    try:
        before = diary.activity_count()
        with pytest.raises(RuntimeError):
            services.create_activity(farmer_uow(diary), ActivityCreate(
                season_id=diary.season_a.id, kind="harvest", at=dt.datetime(2026, 3, 12, 8),
                quantity=7000, unit="kg"))
        assert diary.activity_count() == before
    finally:
        events._handlers.clear()
        events._handlers.update(saved)


def test_season_input_uses_and_get_season(diary: Diary) -> None:
    d = diary
    uow = farmer_uow(d)
    purchase = services.create_purchase(uow, PurchaseCreate(
        input_id=d.pymetrozine.id, dealer_organisation_id=d.dealer.id,
        purchased_on=dt.date(2026, 1, 10), quantity=500, unit="g", lot="L2601-07"))
    spray, _ = services.create_activity(uow, ActivityCreate(
        season_id=d.season_a.id, kind="spraying", at=dt.datetime(2026, 1, 18, 7, 30),
        pest="rầy nâu", inputs=[ActivityInputIn(input_id=d.pymetrozine.id, quantity=360,
                                                unit="g", purchase_id=purchase.id)]))
    banned, _ = services.create_activity(uow, ActivityCreate(
        season_id=d.season_a.id, kind="spraying", at=dt.datetime(2026, 2, 1, 7, 30),
        inputs=[ActivityInputIn(input_id=d.carbendazim.id, quantity=1.5, unit="L")],
        confirm_flags=True))
    services.create_activity(uow, ActivityCreate(
        season_id=d.season_a.id, kind="fertilising", at=dt.datetime(2025, 12, 13, 7),
        inputs=[ActivityInputIn(input_id=d.urea.id, quantity=48, unit="kg")]))
    uses = services.season_input_uses(d.platform.uow(SYSTEM), d.season_a.id)
    assert [u.kind for u in uses] == ["fertilising", "spraying", "spraying"]
    first = next(u for u in uses if u.activity_id == spray.id)
    assert first.product_name == "Rầy Sạch 50WG" and first.client_uuid == spray.client_uuid
    assert first.quantity == 360 and first.unit == "g" and first.quantity_base == 0.36
    assert first.dose_per_ha == pytest.approx(0.3)
    assert first.active_ingredients[0].name == "pymetrozine"
    assert first.active_ingredients[0].concentration == 500
    assert first.dealer_organisation_id == d.dealer.id and first.purchase_lot == "L2601-07"
    assert first.dealer_name == "Đại lý Vật tư Nông nghiệp Ba Lúa"
    assert first.plot_id == d.plot_a.id and first.flags == []
    bad = next(u for u in uses if u.activity_id == banned.id)
    assert set(bad.flags) == {"banned-ingredient", "dose-above-label"}

    season = services.get_season(d.platform.uow(SYSTEM), d.season_a.id)
    assert season.name == "Đông Xuân 2025-2026" and season.crop_year == "2025-2026"
    assert (season.year_start, season.year_end) == (2025, 2026)
    assert season.crop == "rice" and season.variety == "OM5451"
    assert season.plot_id == d.plot_a.id
    assert season.production_unit_id == d.plot_a.production_unit_id
    assert season.organisation_id == d.actors.coop_a.id
    assert season.sowing_date == dt.date(2025, 12, 5)
    assert season.expected_harvest_date == dt.date(2026, 3, 15)
    assert season.flags_count == 2 and not season.compliant


def test_contract_functions_check_permissions(diary: Diary) -> None:
    d = diary
    a = d.actors
    inspector = Principal(role="inspector", user_id=a.users["inspector"], username="i",
                          unit_code="82")
    assert services.get_season(d.platform.uow(inspector), d.season_b.id).id == d.season_b.id
    assert services.season_input_uses(d.platform.uow(inspector), d.season_b.id) == []
    other_province = Principal(role="inspector", user_id=1, username="x", unit_code="92")
    buyer = Principal(role="buyer", user_id=2, username="b", organisation_id=a.buyer_org.id)
    commune_b = Principal(role="commune_officer", user_id=3, username="c",
                          unit_code=a.commune_b)
    for who in (other_province, buyer):  # the season is not visible to them
        with pytest.raises(NotFound) as err:
            services.season_input_uses(d.platform.uow(who), d.season_a.id)
        assert err.value.status == 404
    with pytest.raises(NotFound) as err:
        services.get_season(d.platform.uow(commune_b), d.season_a.id)
    assert err.value.status == 404
    assert services.get_season(d.platform.uow(commune_b), d.season_b.id).id == d.season_b.id
    with pytest.raises(NotFound) as err:
        services.get_season(farmer_uow(d), d.season_b.id)
    assert err.value.status == 404


def test_events_can_be_published_again_for_existing_records(
        diary: Diary, bus: list[events.DomainEvent]) -> None:
    d = diary
    uow = farmer_uow(d)
    harvest, _ = services.create_activity(uow, ActivityCreate(
        season_id=d.season_a.id, kind="harvest", at=dt.datetime(2026, 3, 12, 8, 0),
        quantity=8000, unit="kg"))
    services.create_activity(uow, ActivityCreate(
        season_id=d.season_a.id, kind="sale", at=dt.datetime(2026, 3, 14, 8, 0),
        quantity=8000, unit="kg", buyer_organisation_id=d.actors.buyer_org.id,
        sources=[ProcessingSource(activity_id=harvest.id, quantity_kg=8000)]))
    bus.clear()
    n = services.publish_recorded_events(d.platform.uow(SYSTEM),
                                         organisation_id=d.actors.coop_a.id)
    assert n == 2
    assert [type(e).__name__ for e in bus] == ["HarvestRecorded", "SaleRecorded"]
    with pytest.raises(PermissionDenied) as err:
        services.publish_recorded_events(uow)
    assert err.value.status == 403
