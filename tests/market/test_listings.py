"""Listings: product pages with price and traceability link, the public catalogue and its
feed, no phone numbers, the share of OCOP products listed."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from nongso.core.permissions import SYSTEM
from nongso.market import services as market
from nongso.market.models import Listing
from nongso.trace import services as trace
from nongso.trace.schemas import LotCreate, OcopProductCreate, ProductCreate
from tests.helpers import Actors, assert_problem

L = "/api/v1/market/listings"


def _listing(actors: Actors, who: str = "coop_a", **kw: Any) -> Any:
    body = {"title": "Gạo ST25 túi 5 kg", "description": "Gạo thơm, hạt dài, vụ Đông Xuân.",
            "product": "gạo ST25", "price_vnd": 180_000, "price_unit": "túi 5 kg"}
    body.update(kw)
    return actors.client.post(L, json=body, headers=actors.headers(who))


def _ocop(actors: Actors, n: int) -> int:
    row = trace.create_ocop_product(actors.platform.uow(SYSTEM), OcopProductCreate(
        name=f"Bánh phồng tôm {n}", stars=4, certificate_no=f"OCOP-82-{n}",
        certified_on=dt.date(2025, 6, 1), valid_until=dt.date(2028, 6, 1),
        organisation_id=actors.coop_a.id))
    return row.id


def test_listing_with_its_traceability_link(actors: Actors) -> None:
    admin = actors.platform.uow(SYSTEM)
    product = trace.create_product(admin, ProductCreate(
        name="Gạo ST25", kind="milled_rice", crop="rice", organisation_id=actors.coop_a.id))
    lot = trace.commission_lot(admin, LotCreate(product_id=product.id, label="Gạo ST25 lô 1"))
    r = _listing(actors, lot_id=lot.id)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["gtin"] == product.gtin and f"/01/{product.gtin}/10/" in body["trace_link"]
    assert body["organisation_name"] == "HTX Thử nghiệm A"
    # Public: anyone sees the catalogue and the listing.
    catalogue = actors.client.get(L).json()
    assert catalogue["total"] == 1 and catalogue["items"][0]["id"] == body["id"]
    assert actors.client.get(f"{L}/{body['id']}").json()["price_vnd"] == 180_000
    other = trace.create_product(admin, ProductCreate(
        name="Gạo B", kind="milled_rice", crop="rice", organisation_id=actors.coop_b.id))
    lot_b = trace.commission_lot(admin, LotCreate(product_id=other.id, label="Gạo B lô 1"))
    # Another co-operative's lot: not found for this one (tenant isolation, no probing).
    body = assert_problem(_listing(actors, lot_id=lot_b.id), 404)
    assert f"«{lot_b.id}»" in body["detail"]


def test_phone_numbers_are_refused(actors: Actors) -> None:
    for field, text in [("description", "Liên hệ 0912 345 678 để đặt hàng"),
                        ("title", "Gạo ngon - gọi 0912.345.678"),
                        ("description", "Zalo +84 912-345-678")]:
        body = assert_problem(_listing(actors, **{field: text}), 422)
        assert body["errors"][0]["loc"] == field and "số điện thoại" in body["errors"][0]["message"]
    r = actors.client.post(L, json={"title": "Rice", "description": "call 0912345678",
                                    "price_vnd": 1000}, headers={
        **actors.headers("coop_a"), "Accept-Language": "en"})
    assert "No phone number" in assert_problem(r, 422)["errors"][0]["message"]
    with actors.platform.uow(SYSTEM) as uow:
        assert uow.session.query(Listing).count() == 0
    created = _listing(actors).json()
    body = assert_problem(actors.client.patch(f"{L}/{created['id']}", json={
        "description": "0 9 1 2 3 4 5 6 7 8"}, headers=actors.headers("coop_a")), 422)
    assert body["errors"][0]["loc"] == "description"


def test_who_may_list(actors: Actors) -> None:
    assert_problem(_listing(actors, "farmer_a"), 403)
    assert_problem(_listing(actors, "buyer"), 403)
    assert_problem(_listing(actors, None), 401)
    assert _listing(actors, "province", organisation_id=actors.coop_a.id).status_code == 201
    body = assert_problem(_listing(actors, "commune_b", organisation_id=actors.coop_a.id), 403)
    assert "địa bàn" in body["detail"]
    created = _listing(actors).json()
    assert actors.client.patch(f"{L}/{created['id']}", json={"price_vnd": 190_000},
                               headers=actors.headers("coop_a")).json()["price_vnd"] == 190_000
    assert_problem(actors.client.delete(f"{L}/{created['id']}"), 401)
    unpublished = _listing(actors, published=False).json()
    assert_problem(actors.client.get(f"{L}/{unpublished['id']}"), 404)
    assert actors.client.get(f"{L}/{unpublished['id']}",
                             headers=actors.headers("coop_a")).status_code == 200


def test_feed_for_e_commerce_and_ocop_share(actors: Actors) -> None:
    ocop_1, _ocop_2 = _ocop(actors, 1), _ocop(actors, 2)
    assert actors.client.get("/api/v1/market/ocop-share").json() == {
        "province_code": "82", "ocop_products": 2, "listed": 0, "share": 0.0}
    assert _listing(actors, title="Bánh phồng tôm", product=None,
                    ocop_product_id=ocop_1).status_code == 201
    assert _listing(actors, title="<img src=x onerror=alert(1)>").status_code == 201
    share = market.ocop_listed_share(actors.platform.uow())
    assert (share.ocop_products, share.listed, share.share) == (2, 1, 0.5)
    r = actors.client.get(f"{L}/feed.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and {row["currency"] for row in rows} == {"VND"}
    ocop_row = next(row for row in rows if row["title"] == "Bánh phồng tôm")
    assert ocop_row["ocop_stars"] == "4" and ocop_row["url"].endswith(f"/market/listings/"
                                                                       f"{ocop_row['id']}")
    feed = actors.client.get(f"{L}/feed.json").json()
    assert len(feed["items"]) == 2 and feed["items"][0]["seller"] == "HTX Thử nghiệm A"
    assert actors.client.get(f"{L}/feed.xml").status_code == 422
