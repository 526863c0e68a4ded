"""No N+1: the market's list endpoints run as many queries for 10 items as for 2."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import Actors, count_queries
from tests.market.conftest import make_field, quote


@pytest.fixture
def filled(actors: Actors) -> Actors:
    for k in range(12):
        day = (dt.date(2026, 11, 1) + dt.timedelta(days=k)).isoformat()
        assert quote(actors, "province", place_code="82", observed_on=day,
                     level=["farm_gate", "wholesale", "retail"][k % 3],
                     product=["lúa thơm", "lúa IR 50404", "gạo thơm", "gạo ST25"][k % 4],
                     price="20.000" if k % 4 >= 2 else "7.000").status_code == 201
        actors.client.post("/api/v1/market/supplies", headers=actors.headers("coop_a"), json={
            "product": "lúa thơm", "volume_kg": 1000 + k, "available_from": "2027-01-10",
            "available_to": "2027-02-10"})
        actors.client.post("/api/v1/market/demands", headers=actors.headers("buyer"), json={
            "product": "lúa thơm", "volume_kg": 900 + k, "window_from": "2027-01-15",
            "window_to": "2027-02-15"})
        actors.client.post("/api/v1/market/listings", headers=actors.headers("coop_a"), json={
            "title": f"Gạo {k}", "price_vnd": 20_000})
        actors.client.post("/api/v1/market/equipment", headers=actors.headers("coop_a"), json={
            "kind": "drone", "name": f"Drone {k}", "rate_vnd": 150_000, "rate_unit": "ha",
            "lon": 105.59, "lat": 10.44})
    make_field(actors.platform, actors.commune_a, 105.6, 10.45, farmer_id=actors.farmer_a.id)
    assert actors.client.post("/api/v1/market/matching/run",
                              headers=actors.headers("province")).status_code == 200
    return actors


@pytest.mark.parametrize("path", ["/api/v1/market/series", "/api/v1/market/quotes",
                                  "/api/v1/market/supplies", "/api/v1/market/demands",
                                  "/api/v1/market/proposals", "/api/v1/market/listings",
                                  "/api/v1/market/equipment"])
def test_list_queries_do_not_grow_with_page_size(filled: Actors, path: str) -> None:
    headers = filled.headers("province")
    filled.client.get(path, params={"limit": 1}, headers=headers)  # warm up
    with count_queries(filled.platform.engine) as small:
        r = filled.client.get(path, params={"limit": 2}, headers=headers)
    assert r.status_code == 200 and len(r.json()["items"]) == 2, r.text
    with count_queries(filled.platform.engine) as large:
        r = filled.client.get(path, params={"limit": 10}, headers=headers)
    assert len(r.json()["items"]) == 10
    assert large.count == small.count, (small.statements, large.statements)
