"""Supply and demand: expected harvests from the diary, proposals, agreements, deliveries
that become traceability events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nongso.core.permissions import SYSTEM
from nongso.diary import services as diary
from nongso.diary.schemas import PlotCreate, SeasonCreate
from nongso.market.models import Agreement, Delivery, Supply
from nongso.trace import services as trace
from nongso.trace.schemas import LotCreate, ProductCreate
from tests.helpers import Actors, assert_problem
from tests.market.conftest import make_field

M = "/api/v1/market"


def _supply(actors: Actors, **kw: Any) -> Any:
    body = {"product": "lúa thơm", "grade": 1, "volume_kg": 20_000,
            "available_from": "2027-02-20", "available_to": "2027-03-10",
            "certifications": ["vietgap"]}
    body.update(kw)
    return actors.client.post(f"{M}/supplies", json=body, headers=actors.headers("coop_a"))


def _demand(actors: Actors, **kw: Any) -> Any:
    body = {"product": "Lúa OM 18", "max_grade": 2, "volume_kg": 15_000,
            "window_from": "2027-03-01", "window_to": "2027-03-31", "max_distance_km": 80,
            "certifications": ["vietgap"], "price_vnd_per_kg": 8200}
    body.update(kw)
    return actors.client.post(f"{M}/demands", json=body, headers=actors.headers("buyer"))


def _count(actors: Actors, model: Any) -> int:
    with actors.platform.uow(SYSTEM) as uow:
        return int(uow.session.query(model).count())


def test_expected_harvests_from_the_diary(actors: Actors) -> None:
    admin = actors.platform.uow(SYSTEM)
    field = make_field(actors.platform, actors.commune_a, 105.60, 10.45,
                       farmer_id=actors.farmer_a.id, organisation_id=actors.coop_a.id)
    plot = diary.create_plot(admin, PlotCreate(production_unit_id=field, area_ha=2.0,
                                               planting_area_code="VN-82-TEST-01"))
    diary.create_season(admin, SeasonCreate(
        plot_id=plot.id, season_kind="dong_xuan", variety="OM 18",
        sowing_date=dt.date(2026, 11, 25), expected_harvest_date=dt.date(2027, 2, 28)))
    r = actors.client.get(f"{M}/supplies/suggestions", headers=actors.headers("coop_a"))
    assert r.status_code == 200, r.text
    [s] = r.json()
    assert s["product_code"] == "lua_tuoi_thom" and s["plots"] == 1
    assert s["expected_kg"] == round(2.0 * 7.23 * 1000)  # Đông Xuân reference yield
    assert s["certifications"] == ["planting_area_code"] and s["basis"] == "reference"
    assert_problem(actors.client.get(f"{M}/supplies/suggestions",
                                     headers=actors.headers("buyer")), 403)


def test_match_agree_deliver(actors: Actors) -> None:
    sup = _supply(actors)
    assert sup.status_code == 201, sup.text
    far = _supply(actors, volume_kg=9000, lon=106.6, lat=10.2)  # ~110 km away
    assert far.status_code == 201
    dem = _demand(actors)
    assert dem.status_code == 201, dem.text
    assert_problem(actors.client.post(f"{M}/matching/run", headers=actors.headers("buyer")), 403)
    run = actors.client.post(f"{M}/matching/run", headers=actors.headers("province"))
    assert run.status_code == 200, run.text
    report = run.json()
    assert report["total_kg"] == 15_000 and len(report["proposals"]) == 1
    prop = report["proposals"][0]
    assert prop["supply_id"] == sup.json()["id"] and prop["seller"] == "HTX Thử nghiệm A"
    # Each side sees it; an outsider does not.
    assert actors.client.get(f"{M}/proposals", headers=actors.headers("buyer")).json()["total"] == 1
    pid = prop["id"]
    r = actors.client.post(f"{M}/proposals/{pid}/accept", headers=actors.headers("coop_a"))
    assert r.json()["seller_accepted"] and r.json()["status"] == "proposed"
    r = actors.client.post(f"{M}/proposals/{pid}/accept", headers=actors.headers("buyer"))
    assert r.json()["status"] == "agreed" and r.json()["agreement_id"]
    agreement_id = r.json()["agreement_id"]
    assert_problem(actors.client.post(f"{M}/proposals/{pid}/accept",
                                      headers=actors.headers("buyer")), 409)
    supplies = actors.client.get(f"{M}/supplies", headers=actors.headers("buyer")).json()
    assert {s["id"]: s["remaining_kg"] for s in supplies["items"]}[sup.json()["id"]] == 5000

    # A lot of the co-operative is delivered: an EPCIS TransactionEvent in the repository.
    admin = actors.platform.uow(SYSTEM)
    product = trace.create_product(admin, ProductCreate(
        name="Lúa thơm OM 18", kind="paddy", crop="rice", organisation_id=actors.coop_a.id))
    lot = trace.commission_lot(admin, LotCreate(product_id=product.id, label="Lô lúa thơm 1",
                                                quantity=10_000))
    deliveries = f"{M}/agreements/{agreement_id}/deliveries"
    body = assert_problem(actors.client.post(deliveries, headers=actors.headers("buyer"), json={
        "volume_kg": 20_000, "lot_id": lot.id}), 409)
    assert "vượt" in body["detail"]
    r = actors.client.post(deliveries, headers=actors.headers("coop_a"), json={
        "volume_kg": 9_000, "lot_id": lot.id, "delivered_at": "2026-12-07T08:00:00"})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["agreement"]["delivered_kg"] == 9000 and d["agreement"]["status"] == "active"
    assert d["delivered_at"] == "2026-12-07T01:00:00Z"  # 08:00 Vietnam time
    [event_id] = d["event_ids"]
    # Read by the lot's owner: the delivery event names no location of the buyer, so tenant
    # isolation does not show it to the buyer (a known gap, noted in the README).
    event = actors.client.get("/epcis/events", params={"eventType": "TransactionEvent"},
                              headers=actors.headers("coop_a"))
    assert event.status_code == 200, event.text
    events = event.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    [tx] = [e for e in events if e["eventID"] == event_id]
    assert {b["type"] for b in tx["bizTransactionList"]} == {"po", "desadv"}
    assert tx["quantityList"][0]["quantity"] == 9000
    r = actors.client.post(deliveries, headers=actors.headers("coop_a"), json={
        "volume_kg": 6_000, "lot_id": lot.id})
    assert r.json()["agreement"]["status"] == "fulfilled"


def test_bad_trade_input_is_refused_and_nothing_is_stored(actors: Actors) -> None:
    before = _count(actors, Supply)
    cases = [
        ({"available_to": "2027-02-01"}, "available_to", "Ngày kết thúc"),
        ({"available_from": "2026-10-01", "available_to": "2026-11-01"}, "available_to",
         "đã qua"),
        ({"volume_kg": -5}, "volume_kg", "quá nhỏ"),
        ({"volume_kg": 0}, "volume_kg", "quá nhỏ"),
        ({"product": "ST25"}, "product", "lúa hay gạo"),
        ({"certifications": ["planting_area_code"]}, "planting_area_code", "mã số vùng"),
        ({"organisation_id": actors.coop_b.id}, "", "tổ chức của mình"),
    ]
    for change, field, words in cases:
        body = _supply(actors, **change).json()
        assert body["status"] in (403, 422), body
        text = " ".join([body["detail"]] + [e["message"] for e in body.get("errors", [])
                                           if e["loc"].endswith(field)])
        assert words in text, (change, body)
    assert _count(actors, Supply) == before
    assert_problem(_demand(actors, window_to="2027-02-01"), 422)
    assert_problem(actors.client.post(f"{M}/demands", json={"product": "lúa"},
                                      headers=actors.headers("coop_a")), 422)
    assert _count(actors, Agreement) == _count(actors, Delivery) == 0
