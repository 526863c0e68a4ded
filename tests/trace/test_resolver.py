"""The GS1 Digital Link resolver: consumer page (vi/en, phone-first, no personal data), JSON
and linkset by content negotiation, clear pages for unknown, recalled and withdrawn lots."""

from __future__ import annotations

from typing import Any

import pytest

from nongso.trace import services
from nongso.trace.models import Lot
from tests.helpers import assert_problem, count_queries
from tests.trace.conftest import Journey

HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def _path(lot: Lot) -> str:
    return f"/01/{lot.gtin}/10/{lot.lot_code}"


def test_consumer_page_of_a_shop_lot(journey: Journey) -> None:
    j = journey
    r = j.client.get(_path(j.packed), headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Gạo túi 5kg" in page and j.d.actors.coop_a.name in page
    assert "12/03/2026" in page  # the earliest harvest behind the bag
    assert 'lang="vi"' in page and "Hành trình sản phẩm" in page
    for step in ("Thu hoạch, tạo lô", "Sấy", "Xay xát", "Đóng gói", "Xuất hàng", "Nhận hàng"):
        assert step in page, step
    for shop in j.shops:
        assert shop.name in page
    # No personal data: no farmer's name, phone or the field's own name.
    for personal in ("Nguyễn Văn Thử", "0900 000 001", "Thửa A-001", "Trần Thị Nghiệm"):
        assert personal not in page
    assert 'rel="linkset"' in r.headers["link"]
    english = j.client.get(_path(j.packed) + "?lang=en", headers=HTML)
    assert 'lang="en"' in english.text and "The product&#39;s journey" in english.text


def test_consumer_page_of_a_field_lot_shows_its_origin(journey: Journey) -> None:
    j = journey
    r = j.client.get(_path(j.harvest_a), headers=HTML)
    assert r.status_code == 200
    assert j.harvest_a.planting_area_code and j.harvest_a.planting_area_code in r.text
    assert "Lúa tươi OM5451" in r.text and "OM5451" in r.text


def test_json_and_linkset_by_accept(journey: Journey) -> None:
    j = journey
    r = j.client.get(_path(j.packed), headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    view: dict[str, Any] = r.json()
    # Held: the journey has a banned spray upstream of the bag.
    assert view["lot_code"] == j.packed.lot_code and view["status"] == "held"
    assert view["producer_name"] == j.d.actors.coop_a.name
    assert [s["step"] for s in view["timeline"]].count("commissioning") == 2
    assert view["timeline"] == sorted(view["timeline"], key=lambda s: s["time"])
    assert all(abs(p["lat"] * 100 - round(p["lat"] * 100)) < 1e-9 for p in view["map_points"])
    linkset = j.client.get(_path(j.packed), headers={"Accept": "application/linkset+json"})
    assert linkset.headers["content-type"] == "application/linkset+json"
    body = linkset.json()["linkset"][0]
    assert body["anchor"] == view["link"]
    for rel in ("defaultLink", "pip", "traceability", "epcis", "recallStatus"):
        assert f"https://gs1.org/voc/{rel}" in body
    assert j.client.get(_path(j.packed) + "?linkType=all").json() == linkset.json()
    redirect = j.client.get(_path(j.packed) + "?linkType=gs1:epcis", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"].endswith(
        f"/epcis/events?MATCH_anyEPCClass={j.packed.epc_class}")
    status = j.client.get(_path(j.packed) + "?linkType=gs1:recallStatus").json()
    assert status["status"] == "held"


def test_unknown_and_malformed_links_give_clear_answers(journey: Journey) -> None:
    j = journey
    r = j.client.get(f"/01/{j.packed.gtin}/10/NO-SUCH-LOT", headers=HTML)
    assert r.status_code == 404 and "Không tìm thấy lô hàng" in r.text
    assert "Traceback" not in r.text and "NO-SUCH-LOT" in r.text
    assert_problem(j.client.get(f"/01/{j.packed.gtin}/10/NO-SUCH-LOT",
                                headers={"Accept": "application/json"}), 404)
    bad_check_digit = j.packed.gtin[:-1] + str((int(j.packed.gtin[-1]) + 1) % 10)
    r = j.client.get(f"/01/{bad_check_digit}/10/X", headers=HTML)
    assert r.status_code == 400 and "kiểm tra" in r.text
    r = j.client.get("/01/09528200000015/10/L%C3%BAa", headers={"Accept": "application/json"})
    assert_problem(r, 400)


def test_recalled_and_withdrawn_lots(journey: Journey) -> None:
    j = journey
    headers = j.d.actors.headers("inspector")
    r = j.client.post(f"/api/v1/trace/lots/{j.packed.id}/status", headers=headers,
                      json={"status": "recalled", "reason": "Dư lượng carbendazim vượt mức"})
    assert r.status_code == 200, r.text
    page = j.client.get(_path(j.packed), headers=HTML)
    assert page.status_code == 200 and 'id="recall-warning"' in page.text
    assert "carbendazim" in page.text
    assert j.client.get(_path(j.packed) + "?linkType=gs1:recallStatus").json()["status"] == \
        "recalled"
    recalls = j.client.get("/epcis/events", headers=headers,
                           params={"EQ_disposition": "recalled"}).json()
    assert len(recalls["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
    # The husk is held (a banned spray upstream): the co-op cannot withdraw it, an inspector can.
    body = {"status": "withdrawn", "reason": "Nhập nhầm lô"}
    r = j.client.post(f"/api/v1/trace/lots/{j.husk.id}/status",
                      headers=j.d.actors.headers("coop_a"), json=body)
    assert_problem(r, 403)
    r = j.client.post(f"/api/v1/trace/lots/{j.husk.id}/status", headers=headers, json=body)
    assert r.status_code == 200
    gone = j.client.get(_path(j.husk), headers=HTML)
    assert gone.status_code == 410 and "Lô hàng không còn hiệu lực" in gone.text
    assert "Nhập nhầm lô" in gone.text
    assert_problem(j.client.get(_path(j.husk), headers={"Accept": "application/json"}), 410)
    # A farmer may not recall a lot.
    r = j.client.post(f"/api/v1/trace/lots/{j.rice.id}/status",
                      headers=j.d.actors.headers("farmer_a"),
                      json={"status": "recalled", "reason": "x"})
    assert_problem(r, 403)


def test_a_tree_has_its_own_page(journey: Journey) -> None:
    j = journey
    product = j.client.post("/api/v1/trace/products", headers=j.d.actors.headers("coop_a"), json={
        "name": "Xoài Cát Hòa Lộc", "kind": "mango", "crop": "mango",
        "organisation_id": j.d.actors.coop_a.id, "shelf_life_days": 14}).json()
    tree = j.client.post("/api/v1/trace/items", headers=j.d.actors.headers("coop_a"), json={
        "product_id": product["id"], "kind": "tree", "label": "Cây xoài số 12",
        "planted_year": 2015})
    assert tree.status_code == 201, tree.text
    item = tree.json()
    r = j.client.get(f"/01/{item['gtin']}/21/{item['serial']}", headers=HTML)
    assert r.status_code == 200 and "Xoài Cát Hòa Lộc" in r.text
    assert item["digital_link"].endswith(f"/01/{item['gtin']}/21/{item['serial']}")


def test_resolution_costs_a_bounded_number_of_queries(journey: Journey) -> None:
    j = journey
    platform = j.d.platform
    services.consumer_view(platform.uow(), j.packed.gtin, j.packed.lot_code)  # warm caches
    with count_queries(platform.engine) as deep:
        services.consumer_view(platform.uow(), j.packed.gtin, j.packed.lot_code)
    with count_queries(platform.engine) as shallow:
        services.consumer_view(platform.uow(), j.harvest_b.gtin, j.harvest_b.lot_code)
    # The walk costs one query per level, not one per lot or event.
    assert deep.count <= 30, deep.statements
    assert shallow.count <= deep.count


@pytest.mark.parametrize("path", ["/01/9528200000015", "/01/09528200000015"])
def test_a_gtin_alone_is_not_an_error_page(journey: Journey, path: str) -> None:
    from sqlalchemy import select

    from nongso.trace.models import Product

    with journey.d.platform.uow() as uow:
        name = uow.session.scalar(select(Product.name).where(Product.gtin == "09528200000015"))
    r = journey.client.get(path, headers=HTML)
    # The product's page, without a lot (13 digits are read as the GTIN-14 with a leading 0).
    assert r.status_code == 200, r.text
    assert f'<h1 id="product-name">{name}</h1>' in r.text
    assert "<code>(01)09528200000015</code>" in r.text


def test_timeline_steps_name_the_product_and_quantity(journey: Journey) -> None:
    """Each step names what it made or moved (the product of the lot's GTIN) and how much."""
    from sqlalchemy import select

    from nongso.trace.models import Product

    j = journey
    with j.d.platform.uow() as uow:
        names = {p.gtin: p.name for p in uow.session.scalars(select(Product))}
    view = j.client.get(_path(j.packed), headers={"Accept": "application/json"}).json()
    harvests = [s for s in view["timeline"] if s["step"] == "commissioning"]
    assert sorted((s["product"], s["quantity"]) for s in harvests) == sorted([
        (names[j.harvest_a.gtin], "5.000 kg"), (names[j.harvest_b.gtin], "3.000 kg")])
    by_label = {s["label_vi"]: (s["product"], s["quantity"]) for s in view["timeline"]}
    assert by_label["Sấy"] == (names[j.dried.gtin], "6.800 kg")
    assert by_label["Xay xát"] == (names[j.rice.gtin], "4.250 kg")
    assert by_label["Đóng gói"] == (names[j.packed.gtin], "4.000 kg")
    assert by_label["Xếp vào kiện hàng"] == (names[j.packed.gtin], "4.000 kg")
    # The pallet's moves name the logistic unit (its label), without a quantity.
    pallet = [s for s in view["timeline"] if s["step"] == "receiving" and s["quantity"] is None]
    assert pallet and pallet[0]["product"] == j.pallet.label
