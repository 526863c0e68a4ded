"""OCOP product records and the national-portal export; products, locations and lots APIs."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from nongso.trace.gs1 import is_valid_gln, is_valid_gtin
from nongso.trace.models import EpcisEvent, Lot, OcopProduct, Product
from tests.helpers import Actors, ApiCrudContract, assert_problem, count_queries
from tests.trace.conftest import Journey


def _png(size: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (40, 140, 60)).save(out, format="PNG")
    return out.getvalue()


def _ocop(actors: Actors, product_id: int | None = None, n: int = 1, **extra: Any) -> Any:
    body = {"name": f"Gạo ST25 Sa Đéc {n}", "name_en": f"Sa Dec ST25 rice {n}", "stars": 4,
            "certificate_no": f"82-OCOP-2026-{n:03d}", "certified_on": "2026-01-15",
            "valid_until": "2029-01-15", "organisation_id": actors.coop_a.id,
            "product_id": product_id, "shelf_life_days": 365, **extra}
    return actors.client.post("/api/v1/trace/ocop", json=body, headers=actors.headers("province"))


def test_ocop_records_are_public_and_exported_for_the_portal(journey: Journey) -> None:
    j = journey
    a = j.d.actors
    r = _ocop(a, j.packed.product_id)
    assert r.status_code == 201, r.text
    ocop = r.json()
    put = a.client.put(f"/api/v1/trace/ocop/{ocop['id']}/image", content=_png(),
                       headers={**a.headers("province"), "Content-Type": "image/png"})
    assert put.status_code == 200 and put.json()["has_image"]
    image = a.client.get(f"/api/v1/trace/ocop/{ocop['id']}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    listed = a.client.get("/api/v1/trace/ocop", params={"stars": 4}).json()  # anonymous
    assert [x["id"] for x in listed["items"]] == [ocop["id"]]
    page = a.client.get("/trace/ocop", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Gạo ST25 Sa Đéc 1" in page.text and "★★★★" in page.text
    # The consumer page of the bag now shows the stars.
    consumer = a.client.get(f"/01/{j.packed.gtin}/10/{j.packed.lot_code}",
                            headers={"Accept": "text/html"})
    assert 'id="ocop-badge"' in consumer.text and "OCOP 4 sao" in consumer.text
    # The export: the portal's fields, one row per lot in circulation, producer but no person.
    # The bag is held (a banned spray upstream) until an inspector releases it.
    held = a.client.get("/api/v1/trace/ocop/export", params={"format": "csv"})
    assert f"(10){j.packed.lot_code}" not in held.content.decode("utf-8-sig")
    release = a.client.post(f"/api/v1/trace/lots/{j.packed.id}/status", headers=a.headers(
        "inspector"), json={"status": "active", "reason": "Kiểm nghiệm đạt"})
    assert release.status_code == 200, release.text
    csv_r = a.client.get("/api/v1/trace/ocop/export", params={"format": "csv"})
    assert csv_r.status_code == 200 and csv_r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(csv_r.content.decode("utf-8-sig"))))
    assert rows[0][:7] == ["Tên sản phẩm", "Hình ảnh sản phẩm", "Tên cơ sở sản xuất",
                           "Địa chỉ cơ sở sản xuất", "Thời gian sản xuất", "Mã số / số sê-ri",
                           "Hạn sử dụng"]
    (row,) = rows[1:]
    assert row[0] == "Gạo ST25 Sa Đéc 1" and row[2] == a.coop_a.name
    assert row[1].endswith(f"/api/v1/trace/ocop/{ocop['id']}/image")
    assert row[4] == "16/03/2026" and f"(10){j.packed.lot_code}" in row[5]
    assert row[6] == "16/03/2027"
    xlsx = a.client.get("/api/v1/trace/ocop/export", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content))["OCOP"]
    assert sheet["A1"].value == "Tên sản phẩm" and sheet["A2"].value == "Product name"
    assert sheet["C3"].value == a.coop_a.name
    data = a.client.get("/api/v1/trace/ocop/export", params={"format": "json"}).json()
    assert data["rows"][0]["stars"] == 4 and len(data["fields"]) == 10


def test_ocop_bad_input_stores_nothing(actors: Actors) -> None:
    def n_rows() -> int:
        with actors.platform.uow() as uow:
            return uow.session.scalar(select(func.count()).select_from(OcopProduct)) or 0

    assert_problem(_ocop(actors, stars=6), 422)
    assert_problem(_ocop(actors, valid_until="2025-01-01"), 422)
    assert_problem(actors.client.post("/api/v1/trace/ocop", json={"name": "x"},
                                      headers=actors.headers("coop_a")), 422)
    body = _ocop(actors).json()
    assert_problem(_ocop(actors), 409)  # the same certificate number
    other = actors.client.post("/api/v1/trace/ocop", headers=actors.headers("commune_b"), json={
        "name": "x", "stars": 3, "certificate_no": "X-1", "certified_on": "2026-01-01",
        "valid_until": "2027-01-01", "organisation_id": actors.coop_a.id})
    assert_problem(other, 403)  # commune B's officer, commune A's co-operative
    assert n_rows() == 1
    r = actors.client.put(f"/api/v1/trace/ocop/{body['id']}/image", content=b"not an image",
                          headers={**actors.headers("province"), "Content-Type": "image/png"})
    assert_problem(r, 422)
    r = actors.client.put(f"/api/v1/trace/ocop/{body['id']}/image",
                          content=_png() + b"\0" * (2 * 1024 * 1024),
                          headers={**actors.headers("province"), "Content-Type": "image/png"})
    assert_problem(r, 413)
    assert not actors.client.get(f"/api/v1/trace/ocop/{body['id']}").json()["has_image"]


class TestProductsApi(ApiCrudContract):
    path = "/api/v1/trace/products"
    writer = "admin"
    denied = "farmer_a"
    reader = None
    update_field = "name"

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return {"name": f"Bưởi Da xanh {n}", "kind": "pomelo", "crop": "pomelo",
                "organisation_id": actors.coop_a.id, "shelf_life_days": 45}

    def test_gtins_are_allocated_and_validated(self, actors: Actors) -> None:
        first = self._create(actors, 1)
        second = self._create(actors, 2)
        assert is_valid_gtin(first["gtin"]) and first["gtin"] != second["gtin"]
        r = actors.client.post(self.path, headers=actors.headers("admin"), json={
            **self.make_payload(actors, 3), "gtin": "8930000000013"})
        body = assert_problem(r, 422)
        assert body["detail"] == "Số kiểm tra của GTIN 8930000000013 sai: phải là 9, không phải 3."
        assert [e["loc"] for e in body["errors"]] == ["gtin"]
        r = actors.client.post(self.path, headers=actors.headers("admin"), json={
            **self.make_payload(actors, 3), "gtin": first["gtin"]})
        assert_problem(r, 409)

    def test_a_co_operative_prefix_is_used(self, actors: Actors) -> None:
        r = actors.client.put(f"/api/v1/trace/organisations/{actors.coop_a.id}/gs1-prefix",
                              json={"prefix": "893123456"}, headers=actors.headers("province"))
        assert r.status_code == 200, r.text
        product = self._create(actors, 4)
        assert product["gtin"].startswith("0893123456")
        assert_problem(actors.client.put(
            f"/api/v1/trace/organisations/{actors.coop_a.id}/gs1-prefix",
            json={"prefix": "893"}, headers=actors.headers("province")), 422)
        assert_problem(actors.client.put(
            f"/api/v1/trace/organisations/{actors.coop_b.id}/gs1-prefix",
            json={"prefix": "893123456"}, headers=actors.headers("province")), 409)


def test_lots_by_hand_locations_and_list_queries(actors: Actors) -> None:
    headers = actors.headers("coop_a")
    product = actors.client.post("/api/v1/trace/products", headers=headers, json={
        "name": "Nhãn Ido", "kind": "longan", "organisation_id": actors.coop_a.id,
        "shelf_life_days": 7}).json()
    location = actors.client.post("/api/v1/trace/locations", headers=headers, json={
        "name": "Kho sơ chế HTX", "kind": "facility", "organisation_id": actors.coop_a.id,
        "commune_code": actors.commune_a}).json()
    assert is_valid_gln(location["gln"]) and location["sgln"].startswith("urn:epc:id:sgln:")
    for n in range(6):
        r = actors.client.post("/api/v1/trace/lots", headers=headers, json={
            "product_id": product["id"], "label": f"Nhãn Ido lô {n} — Thu hoạch",
            "quantity": 100 + n, "location_id": location["id"],
            "harvest_date": "2026-07-20", "certifications": ["VietGAP"]})
        assert r.status_code == 201, r.text
    lot = r.json()
    assert lot["lot_code"] == "NHAN-IDO-LO-5-THU-HO"
    assert lot["expiry_date"] == "2026-07-27"
    bad = actors.client.post("/api/v1/trace/lots", headers=headers, json={
        "product_id": product["id"], "label": "x", "lot_code": "LÔ 1"})
    body = assert_problem(bad, 422)
    assert body["errors"][0]["loc"] == "lot_code"
    with actors.platform.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Lot)) == 6
        assert uow.session.scalar(select(func.count()).select_from(EpcisEvent)) == 6
    reader = actors.headers("inspector")
    actors.client.get("/api/v1/trace/lots", params={"limit": 1}, headers=reader)
    with count_queries(actors.platform.engine) as small:
        actors.client.get("/api/v1/trace/lots", params={"limit": 2}, headers=reader)
    with count_queries(actors.platform.engine) as large:
        r = actors.client.get("/api/v1/trace/lots", params={"limit": 6}, headers=reader)
    assert len(r.json()["items"]) == 6 and large.count == small.count
    # Another co-operative's manager sees none of them; the public none at all.
    assert actors.client.get("/api/v1/trace/lots", headers=actors.headers("buyer")).json()[
        "total"] == 0
    assert_problem(actors.client.get("/api/v1/trace/lots"), 401)
    with actors.platform.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Product)) == 1
