"""Traceability fixtures: a journey from two fields to two shops, recorded the real way.

Farmers write their diaries (sprays bought from a dealer, a banned one among them, fertiliser,
two harvests) through the diary's services; the co-operative dries, mills (rice, husk, bran)
and packs into a pallet and sells it to a distributor: every step is published on the domain
event bus and becomes lots and EPCIS events. The distributor's own system then captures, over
the EPCIS REST interface, the unpacking and the shipping to two shops and their receiving.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from nongso.core.pagination import PageRequest
from nongso.core.permissions import SYSTEM, Principal
from nongso.core.uow import UnitOfWork
from nongso.diary import services as diary_services
from nongso.diary.schemas import (
    ActivityCreate,
    ActivityInputIn,
    ProcessingOutput,
    ProcessingSource,
    PurchaseCreate,
)
from nongso.trace.models import Location, LogisticUnit, Lot
from tests.diary.conftest import Diary, diary  # noqa: F401  (the diary's own fixture)

VN = dt.timezone(dt.timedelta(hours=7))


@dataclass
class Journey:
    d: Diary
    harvest_a: Lot
    harvest_b: Lot
    dried: Lot
    rice: Lot
    packed: Lot  # the rice in 5 kg bags: what the shops sell
    husk: Lot
    bran: Lot
    pallet: LogisticUnit
    shops: list[Location]
    distributor: Location
    farm_a: Location
    pymetrozine_lot: str

    @property
    def client(self) -> Any:
        return self.d.actors.client


def _farmer(d: Diary) -> UnitOfWork:
    a = d.actors
    return d.platform.uow(Principal(role="farmer", user_id=a.users["farmer_a"],
                                    username="t_farmer_a", farmer_id=a.farmer_a.id))


def _coop(d: Diary) -> UnitOfWork:
    a = d.actors
    return d.platform.uow(Principal(role="coop_manager", user_id=a.users["coop_a"],
                                    username="t_coop_a", organisation_id=a.coop_a.id))


def _at(day: int, hour: int = 8, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0)


def _lot(d: Diary, source: str) -> Lot:
    with d.platform.uow() as uow:
        lot = uow.session.scalars(select(Lot).where(Lot.source == source)).one()
        uow.session.expunge(lot)
        return lot


def record_journey(d: Diary) -> Journey:
    a = d.actors
    farmer = _farmer(d)
    purchase = diary_services.create_purchase(farmer, PurchaseCreate(
        input_id=d.pymetrozine.id, dealer_organisation_id=d.dealer.id,
        purchased_on=dt.date(2026, 1, 10), quantity=500, unit="g", lot="L2601-07"))
    diary_services.create_activity(farmer, ActivityCreate(
        season_id=d.season_a.id, kind="fertilising", at=dt.datetime(2025, 12, 13, 7),
        inputs=[ActivityInputIn(input_id=d.urea.id, quantity=48, unit="kg")]))
    diary_services.create_activity(farmer, ActivityCreate(
        season_id=d.season_a.id, kind="spraying", at=_at(18, 7, month=1), pest="rầy nâu",
        inputs=[ActivityInputIn(input_id=d.pymetrozine.id, quantity=360, unit="g",
                                purchase_id=purchase.id)]))
    diary_services.create_activity(farmer, ActivityCreate(
        season_id=d.season_a.id, kind="spraying", at=_at(1, 7, month=2),
        inputs=[ActivityInputIn(input_id=d.carbendazim.id, quantity=1.5, unit="L")],
        confirm_flags=True))
    season_a2 = diary_services.list_seasons(d.platform.uow(SYSTEM), PageRequest(10, 0),
                                            plot_id=d.plot_a2.id).items[0]
    h1, _ = diary_services.create_activity(farmer, ActivityCreate(
        season_id=d.season_a.id, kind="harvest", at=_at(12), quantity=5000, unit="kg",
        moisture_pct=24.5))
    h2, _ = diary_services.create_activity(farmer, ActivityCreate(
        season_id=season_a2.id, kind="harvest", at=_at(13), quantity=3000, unit="kg"))
    coop = _coop(d)
    drying, _ = diary_services.create_activity(coop, ActivityCreate(
        organisation_id=a.coop_a.id, kind="drying", at=_at(14),
        sources=[ProcessingSource(activity_id=h1.id, quantity_kg=5000),
                 ProcessingSource(activity_id=h2.id, quantity_kg=3000)],
        outputs=[ProcessingOutput(product="lúa khô", quantity_kg=6800, is_main=True)]))
    milling, _ = diary_services.create_activity(coop, ActivityCreate(
        organisation_id=a.coop_a.id, kind="milling", at=_at(15),
        sources=[ProcessingSource(activity_id=drying.id, quantity_kg=6800)],
        outputs=[ProcessingOutput(product="gạo", quantity_kg=4250, is_main=True),
                 ProcessingOutput(product="trấu", quantity_kg=1360, is_main=False),
                 ProcessingOutput(product="cám", quantity_kg=680, is_main=False)]))
    packing, _ = diary_services.create_activity(coop, ActivityCreate(
        organisation_id=a.coop_a.id, kind="packing", at=_at(16),
        sources=[ProcessingSource(activity_id=milling.id, quantity_kg=4000)],
        outputs=[ProcessingOutput(product="gạo túi 5kg", quantity_kg=4000, is_main=True)]))
    diary_services.create_activity(coop, ActivityCreate(
        organisation_id=a.coop_a.id, kind="sale", at=_at(17), quantity=4000, unit="kg",
        buyer_organisation_id=a.buyer_org.id, price_vnd_per_kg=15500,
        sources=[ProcessingSource(activity_id=packing.id, quantity_kg=4000)]))
    rice = _lot(d, f"diary:{milling.id}")
    packed = _lot(d, f"diary:{packing.id}")
    with d.platform.uow() as uow:
        pallet = uow.session.scalars(select(LogisticUnit)).one()
        distributor = uow.session.scalars(select(Location).where(
            Location.organisation_id == a.buyer_org.id)).one()
        farm_a = uow.session.scalars(select(Location).where(
            Location.production_unit_id == d.plot_a.production_unit_id)).one()
        for row in (pallet, distributor, farm_a):
            uow.session.expunge(row)
    # The distributor's own system: two shops, unpacking, shipping and receiving over EPCIS.
    shops = []
    for n, name in enumerate(("Cửa hàng Nông sản sạch Sa Đéc", "Siêu thị Mỹ Tho Xanh")):
        r = a.client.post("/api/v1/trace/locations", headers=a.headers("buyer"), json={
            "name": name, "kind": "shop", "organisation_id": a.buyer_org.id,
            "commune_code": a.commune_b if n else a.commune_a})
        assert r.status_code == 201, r.text
        with d.platform.uow() as uow:
            shop = uow.session.get(Location, r.json()["id"])
            assert shop is not None
            uow.session.expunge(shop)
            shops.append(shop)
    place = {"id": distributor.sgln}
    events: list[dict[str, Any]] = [{
        "type": "AggregationEvent", "action": "DELETE", "parentID": pallet.epc,
        "childQuantityList": [{"epcClass": packed.epc_class, "quantity": 4000, "uom": "KGM"}],
        "bizStep": "unpacking", "disposition": "container_open",
        "eventTime": "2026-03-18T07:00:00.000+07:00", "eventTimeZoneOffset": "+07:00",
        "readPoint": place, "bizLocation": place,
    }]
    for n, (shop, kg) in enumerate(zip(shops, (1500, 2500), strict=True)):
        common = {
            "quantityList": [{"epcClass": packed.epc_class, "quantity": kg, "uom": "KGM"}],
            "eventTimeZoneOffset": "+07:00",
            "bizTransactionList": [{"type": "desadv", "bizTransaction":
                                    f"urn:epcglobal:cbv:bt:{distributor.gln}:DN-{n}"}],
            "sourceList": [{"type": "location", "source": distributor.sgln}],
            "destinationList": [{"type": "location", "destination": shop.sgln}],
        }
        events.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                       "disposition": "in_transit", "eventTime": f"2026-03-18T0{8 + n}:00:00"
                       ".000+07:00", "readPoint": place, **common})
        events.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving",
                       "disposition": "sellable_accessible",
                       "eventTime": f"2026-03-18T1{4 + n}:00:00.000+07:00",
                       "readPoint": {"id": shop.sgln}, "bizLocation": {"id": shop.sgln},
                       **common})
    document = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-03-18T16:00:00Z", "epcisBody": {"eventList": events}}
    r = a.client.post("/epcis/capture", content=json.dumps(document),
                      headers={**a.headers("buyer"), "Content-Type": "application/ld+json"})
    assert r.status_code == 202, r.text
    return Journey(
        d=d, harvest_a=_lot(d, f"diary:{h1.id}"), harvest_b=_lot(d, f"diary:{h2.id}"),
        dried=_lot(d, f"diary:{drying.id}"), rice=rice, packed=packed,
        husk=_lot(d, f"diary:{milling.id}:1"),
        bran=_lot(d, f"diary:{milling.id}:2"), pallet=pallet, shops=shops,
        distributor=distributor, farm_a=farm_a, pymetrozine_lot="L2601-07")


@pytest.fixture
def journey(diary: Diary) -> Journey:  # noqa: F811
    return record_journey(diary)
