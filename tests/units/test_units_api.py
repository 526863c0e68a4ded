"""Administrative units: search without accents, children, lineage old -> new."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from nongso.core.platform import Platform
from tests.helpers import assert_problem


def test_accent_insensitive_search(client: TestClient) -> None:
    for q in ("dong thap", "ĐỒNG THÁP", "Dong Thap"):
        body = client.get("/api/v1/units", params={"q": q, "level": "province"}).json()
        assert [u["name"] for u in body["items"]] == ["Tỉnh Đồng Tháp"], q
    body = client.get("/api/v1/units", params={"q": "can tho", "level": "province"}).json()
    assert body["items"][0]["code"] == "92"


def test_34_provinces_since_2025(client: TestClient) -> None:
    body = client.get("/api/v1/units", params={"level": "province", "limit": 100}).json()
    assert body["total"] == 34
    assert {u["valid_from"] for u in body["items"]} == {"2025-07-01"}
    # Every province has an area: the sum of its communes' (the page's area column)
    assert all(u["area_km2"] and u["area_km2"] > 0 for u in body["items"])
    dong_thap = client.get("/api/v1/units/82").json()
    assert dong_thap["area_km2"] == pytest.approx(
        sum(c["area_km2"] or 0 for c in dong_thap["children"]), abs=0.01)


def test_province_with_its_communes_and_predecessors(client: TestClient) -> None:
    body = client.get("/api/v1/units/82").json()
    assert body["name"] == "Tỉnh Đồng Tháp"
    assert len(body["children"]) == 102
    old = {p["unit"]["name"] for p in body["predecessors"]}
    assert old == {"Tỉnh Tiền Giang", "Tỉnh Đồng Tháp"}
    ct = client.get("/api/v1/units/92").json()
    assert len(ct["children"]) == 103
    assert {p["unit"]["name"] for p in ct["predecessors"]} == {
        "Thành phố Cần Thơ", "Tỉnh Hậu Giang", "Tỉnh Sóc Trăng"}


def test_commune_lineage_both_ways(client: TestClient) -> None:
    communes = client.get("/api/v1/units/82").json()["children"]
    with_history = None
    for c in communes:
        detail = client.get(f"/api/v1/units/{c['code']}").json()
        if len(detail["predecessors"]) >= 2:
            with_history = detail
            break
    assert with_history is not None
    old = with_history["predecessors"][0]["unit"]
    assert old["generation"] == "legacy" and old["valid_to"] == "2025-06-30"
    back = client.get(f"/api/v1/units/{old['code']}", params={"generation": "legacy"}).json()
    assert with_history["code"] in [s["unit"]["code"] for s in back["successors"]]


def test_legacy_search_has_districts(client: TestClient) -> None:
    body = client.get("/api/v1/units", params={
        "q": "cao lanh", "generation": "legacy", "level": "district"}).json()
    assert body["total"] >= 1
    assert all(u["province_code"] == "87" for u in body["items"]), body["items"]


def test_unknown_generation_is_rejected(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/units", params={"generation": "1975"}), 422)


def test_planner_statistics_after_loading_the_units(platform: Platform) -> None:
    """PostgreSQL has statistics of the loaded units (autovacuum may be off or late: without
    them the lineage join of the statistics was nested loops of millions of probes, 12 s per
    ``/stats``); SQLite gets none (it plans as if every table were large)."""
    with platform.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            analysed = set(conn.execute(text(
                "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename IN ('admin_units', 'admin_unit_lineage')")).scalars())
            assert analysed == {"admin_units", "admin_unit_lineage"}
        else:
            assert conn.execute(text("SELECT count(*) FROM sqlite_master "
                                     "WHERE name = 'sqlite_stat1'")).scalar() == 0
