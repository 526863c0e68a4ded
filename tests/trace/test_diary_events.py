"""The diary's domain events, published on the real bus, become lots and EPCIS events."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from nongso.core import events
from nongso.core.errors import NotFound
from nongso.core.permissions import Principal
from nongso.core.uow import UnitOfWork
from nongso.registry.models import Organisation, ProductionUnit
from nongso.trace import services
from nongso.trace.epcis import canonical_json
from nongso.trace.gs1 import has_valid_check_digit, is_valid_gln, is_valid_gtin
from nongso.trace.models import (
    EpcisEvent,
    Item,
    LineageEdge,
    Location,
    LogisticUnit,
    Lot,
    Product,
)
from tests.helpers import Actors
from tests.trace.oracle import reference_hashes

VN = dt.timezone(dt.timedelta(hours=7))


def _unit(actors: Actors, code: str = "A-001") -> int:
    with actors.platform.uow() as uow:
        unit = ProductionUnit(kind="plot", code=code, name=f"Thửa {code} của Nguyễn Văn Thử",
                              commune_code=actors.commune_a, province_code="82",
                              organisation_id=actors.coop_a.id, farmer_id=actors.farmer_a.id,
                              crop="rice", area_ha=1.2, declared_area_ha=1.2, attributes={})
        uow.session.add(unit)
        uow.commit()
        return unit.id


def farmer(actors: Actors) -> UnitOfWork:
    return actors.platform.uow(Principal(role="farmer", user_id=actors.users["farmer_a"],
                                         username="t_farmer_a", farmer_id=actors.farmer_a.id))


def harvest(actors: Actors, unit_id: int, activity_id: int = 101, kg: float = 8400.0,
            day: int = 12, **extra: Any) -> events.HarvestRecorded:
    fields: dict[str, Any] = dict(
        activity_id=activity_id, client_uuid=f"uuid-{activity_id}", season_id=7, plot_id=3,
        production_unit_id=unit_id, organisation_id=actors.coop_a.id,
        farmer_id=actors.farmer_a.id, commune_code=actors.commune_a, crop="rice",
        variety="OM5451", harvested_at=dt.datetime(2026, 3, day, 8, 0, tzinfo=VN),
        quantity_kg=kg, moisture_pct=24.5, planting_area_code="VN-82-A-001",
        certifications=("VietGAP",), season_name="Đông Xuân 2025-2026", area_ha=1.2)
    fields.update(extra)
    return events.HarvestRecorded(**fields)


def publish(actors: Actors, *published: events.DomainEvent) -> None:
    with farmer(actors) as uow:
        for event in published:
            events.publish(uow, event)
        uow.commit()


def stored(actors: Actors) -> list[dict[str, Any]]:
    with actors.platform.uow() as uow:
        return [json.loads(d) for d in uow.session.scalars(
            select(EpcisEvent.document).order_by(EpcisEvent.id))]


def count(actors: Actors, model: Any) -> int:
    with actors.platform.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_harvest_commissions_a_lot_with_its_ilmd(actors: Actors) -> None:
    unit = _unit(actors)
    publish(actors, harvest(actors, unit))
    with actors.platform.uow() as uow:
        lot = uow.session.scalars(select(Lot)).one()
        product = uow.session.get(Product, lot.product_id)
        location = uow.session.get(Location, lot.location_id)
        assert product is not None and location is not None
        assert product.name == "Lúa tươi OM5451" and product.kind == "paddy"
        assert is_valid_gtin(product.gtin) and lot.gtin == product.gtin
        assert lot.lot_code == "TH260312-101" and lot.quantity == 8400
        assert lot.epc_class == f"urn:epc:class:lgtin:9528200.{product.gtin[0]}" \
            f"{product.gtin[8:13]}.TH260312-101"
        assert lot.harvest_date == dt.date(2026, 3, 12) and lot.season_id == 7
        assert lot.certifications == ["VietGAP"] and lot.source == "diary:101"
        # The field's location: a GLN, the planting-area code, and no personal data.
        assert is_valid_gln(location.gln) and location.production_unit_id == unit
        assert location.planting_area_code == "VN-82-A-001"
        assert "Nguyễn" not in location.name and "Thửa" not in location.name
        # Named by the platform, so in both languages.
        assert (location.name, location.name_en) == ("Vùng trồng VN-82-A-001",
                                                      "Planting area VN-82-A-001")
        epc_class, sgln = lot.epc_class, location.sgln
    (event,) = stored(actors)
    assert event["type"] == "ObjectEvent" and event["action"] == "ADD"
    assert event["bizStep"] == "commissioning" and event["disposition"] == "active"
    assert event["eventTime"] == "2026-03-12T08:00:00.000+07:00"
    assert event["quantityList"] == [{"epcClass": epc_class, "quantity": 8400, "uom": "KGM"}]
    assert event["readPoint"] == {"id": sgln}
    ilmd = event["ilmd"]
    assert ilmd["cbvmda:harvestStartDate"] == "2026-03-12"
    assert ilmd["cbvmda:lotNumber"] == "TH260312-101"
    assert ilmd["nongso:plantingAreaCode"] == "VN-82-A-001"
    assert ilmd["nongso:crop"] == "rice" and ilmd["nongso:variety"] == "OM5451"
    assert ilmd["nongso:season"] == "Đông Xuân 2025-2026"
    assert "Nguyễn" not in canonical_json(event)
    # The eventID is the CBV 2.0 hash, as the reference implementation computes it.
    document = {"@context": services.CONTEXT, "type": "EPCISDocument",
                "epcisBody": {"eventList": [event]}}
    assert reference_hashes(document) == [event["eventID"]]


def test_the_same_event_delivered_twice_makes_one_lot(actors: Actors) -> None:
    unit = _unit(actors)
    publish(actors, harvest(actors, unit))
    publish(actors, harvest(actors, unit))
    assert count(actors, Lot) == 1 and count(actors, EpcisEvent) == 1


def test_a_failing_handler_rolls_the_diary_record_back(actors: Actors) -> None:
    unit = _unit(actors)
    before = (count(actors, Organisation), count(actors, Lot), count(actors, EpcisEvent))
    with pytest.raises(NotFound), farmer(actors) as uow:
        uow.session.add(Organisation(kind="cooperative", name="written by the diary",
                                     commune_code=actors.commune_a, province_code="82",
                                     attributes={}))
        events.publish(uow, harvest(actors, unit, organisation_id=987654))
        uow.commit()
    assert (count(actors, Organisation), count(actors, Lot), count(actors, EpcisEvent)) == before


def _milling(activity_id: int, inputs: tuple[tuple[int, float], ...],
             outputs: tuple[tuple[str, float, bool], ...], kind: str = "milling",
             organisation_id: int | None = None, day: int = 14) -> events.ProcessingRecorded:
    return events.ProcessingRecorded(
        activity_id=activity_id, client_uuid=f"uuid-{activity_id}", kind=kind,
        at=dt.datetime(2026, 3, day, 9, 0, tzinfo=VN), organisation_id=organisation_id,
        inputs=inputs, outputs=outputs)


def test_milling_is_a_transformation_with_main_and_by_products(actors: Actors) -> None:
    unit = _unit(actors)
    unit2 = _unit(actors, "A-002")
    publish(actors, harvest(actors, unit, 101, 5000), harvest(actors, unit2, 102, 3000, day=13),
            _milling(201, ((101, 5000.0), (102, 3000.0)),
                     (("lúa khô 14%", 6800.0, True),), kind="drying",
                     organisation_id=actors.coop_a.id),
            _milling(202, ((201, 6800.0),),
                     (("gạo", 4250.0, True), ("trấu", 1360.0, False), ("cám", 680.0, False)),
                     organisation_id=actors.coop_a.id, day=15))
    with actors.platform.uow() as uow:
        lots = {lot.source: lot for lot in uow.session.scalars(select(Lot))}
        products = {p.id: p for p in uow.session.scalars(select(Product))}
        rice, husk, bran = lots["diary:202"], lots["diary:202:1"], lots["diary:202:2"]
        assert products[rice.product_id].kind == "milled_rice"
        assert not products[rice.product_id].by_product
        assert products[husk.product_id].kind == "husk" and products[husk.product_id].by_product
        assert products[bran.product_id].kind == "bran" and products[bran.product_id].by_product
        assert products[lots["diary:201"].product_id].name == "Lúa khô 14%"
        # Two fields went into the drying: no single planting area, earliest harvest date.
        dried = lots["diary:201"]
        assert dried.planting_area_code == "VN-82-A-001" and dried.harvest_date == dt.date(
            2026, 3, 12)
        assert rice.expiry_date == dt.date(2026, 3, 15) + dt.timedelta(days=365)
        edges = uow.session.execute(select(LineageEdge.src, LineageEdge.dst, LineageEdge.kind)
                                    ).all()
        classes = {key: lot.epc_class for key, lot in lots.items()}
    transformations = [e for e in stored(actors) if e["type"] == "TransformationEvent"]
    assert len(transformations) == 2
    milling = transformations[1]
    assert milling["inputQuantityList"] == [{"epcClass": classes["diary:201"],
                                             "quantity": 6800, "uom": "KGM"}]
    assert [q["epcClass"] for q in milling["outputQuantityList"]] == [
        classes["diary:202"], classes["diary:202:1"], classes["diary:202:2"]]
    assert milling["nongso:processKind"] == "milling"
    # n inputs and m outputs: n + m lineage edges through the transformation's node.
    drying_edges = [e for e in edges if e[0].startswith("tx:") or e[1].startswith("tx:")]
    assert len(drying_edges) == 2 + 1 + 1 + 3


def test_packing_and_a_sale_ship_a_logistic_unit_to_the_buyer(actors: Actors) -> None:
    unit = _unit(actors)
    publish(actors, harvest(actors, unit, 101, 5000),
            _milling(202, ((101, 5000.0),), (("gạo", 3100.0, True), ("trấu", 1000.0, False)),
                     organisation_id=actors.coop_a.id),
            _milling(203, ((202, 3000.0),), (), kind="packing",
                     organisation_id=actors.coop_a.id, day=16),
            events.SaleRecorded(activity_id=301, client_uuid="uuid-301",
                                at=dt.datetime(2026, 3, 17, 7, 30, tzinfo=VN),
                                seller_organisation_id=actors.coop_a.id,
                                buyer_organisation_id=actors.buyer_org.id,
                                source_activity_ids=(203,), quantity_kg=3000,
                                price_vnd_per_kg=15500))
    with actors.platform.uow() as uow:
        pallet = uow.session.scalars(select(LogisticUnit)).one()
        buyer = uow.session.scalars(select(Location).where(
            Location.organisation_id == actors.buyer_org.id)).one()
        seller = uow.session.scalars(select(Location).where(
            Location.organisation_id == actors.coop_a.id, Location.kind != "farm")).one()
        pallet_epc, sscc, buyer_sgln, seller_sgln = pallet.epc, pallet.sscc, buyer.sgln, \
            seller.sgln
    assert len(sscc) == 18 and has_valid_check_digit(sscc)
    documents = stored(actors)
    aggregation = next(e for e in documents if e["type"] == "AggregationEvent")
    assert aggregation["parentID"] == pallet_epc and aggregation["action"] == "ADD"
    assert aggregation["bizStep"] == "packing"
    assert aggregation["childQuantityList"][0]["quantity"] == 3000
    shipping, receiving = [e for e in documents if e.get("bizStep") in ("shipping",
                                                                        "receiving")]
    assert shipping["epcList"] == [pallet_epc] and receiving["epcList"] == [pallet_epc]
    assert shipping["readPoint"] == {"id": seller_sgln}
    assert receiving["bizLocation"] == {"id": buyer_sgln}
    assert {d["type"]: d["destination"] for d in shipping["destinationList"]}["location"] == \
        buyer_sgln
    assert shipping["bizTransactionList"][0]["type"] == "inv"
    # The sale is one business transaction that a query finds both events by.
    tx = shipping["bizTransactionList"][0]["bizTransaction"]
    r = actors.client.get("/epcis/events", params={"EQ_bizTransaction_inv": tx},
                          headers=actors.headers("buyer"))
    assert len(r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 2
    # The whole journey is in the verified log.
    report = services.verify_log(actors.platform.uow(Principal(role="admin")))
    assert report.ok and report.events_checked == len(documents) == 5


def test_a_sale_of_produce_the_trace_never_saw_records_nothing(actors: Actors) -> None:
    publish(actors, events.SaleRecorded(
        activity_id=999, client_uuid="u", at=dt.datetime(2026, 3, 17, tzinfo=VN),
        seller_organisation_id=actors.coop_a.id, buyer_organisation_id=actors.buyer_org.id,
        source_activity_ids=(12345,), quantity_kg=10))
    assert count(actors, EpcisEvent) == 0


def test_a_tree_harvest_gets_the_tree_its_own_serial(actors: Actors) -> None:
    unit = _unit(actors)
    publish(actors, harvest(actors, unit, 401, 350, crop="mango", variety="Cát Hòa Lộc",
                            tree_id=12, certifications=()))
    with actors.platform.uow() as uow:
        item = uow.session.scalars(select(Item)).one()
        assert item.kind == "tree" and item.serial == "T12"
        epc, gtin = item.epc, item.gtin
    (event,) = stored(actors)
    assert event["ilmd"]["nongso:tree"] == epc
    assert epc.startswith("urn:epc:id:sgtin:") and epc.endswith(".T12")
    r = actors.client.get(f"/01/{gtin}/21/T12", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["product_name"] == "Xoài tươi Cát Hòa Lộc"
