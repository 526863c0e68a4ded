"""Production units, infrastructure and soil units through /api/v1/registry: the CRUD
contract, unit scopes, the registry's rules, and bad input that stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from nongso.core.platform import Platform
from nongso.registry.models import FeatureVersion, Infrastructure, ProductionUnit, SoilUnit
from tests.helpers import Actors, ApiCrudContract, assert_problem
from tests.registry.shapes import TAN_PHUOC_1, TAN_PHUOC_2, point, rect

PU = "/api/v1/registry/production-units"


def planting_area(actors: Actors, n: int, **extra: Any) -> dict[str, Any]:
    body = {"kind": "planting_area", "name": f"Vùng trồng xoài số {n}",
            "code": f"VN-DTOR-{n:04d}", "commune_code": actors.commune_a, "crop": "mango",
            "variety": "Cát Hòa Lộc", "organisation_id": actors.coop_a.id,
            "export_market": "Hoa Kỳ",
            "geometry": rect(*TAN_PHUOC_1, 150, 100, dx_m=n * 400.0)}
    body.update(extra)
    return body


def count(platform: Platform, model: Any) -> int:
    with platform.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


class TestProductionUnitsApi(ApiCrudContract):
    path = PU
    writer = "commune_a"
    denied = "commune_b"
    reader = None  # production units are public (the farmer is not)
    update_field = "name"

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return planting_area(actors, n)

    def update_payload(self) -> dict[str, Any]:
        return {"name": "Vùng trồng xoài Cát Hòa Lộc — đã đổi tên"}


class TestInfrastructureApi(ApiCrudContract):
    path = "/api/v1/registry/infrastructure"
    writer = "commune_a"
    denied = "coop_a"
    reader = None
    update_field = "name"

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return {"kind": "monitoring_station", "subtype": "salinity", "code": f"MAN-TEST-{n}",
                "name": f"Điểm đo mặn số {n}", "commune_code": actors.commune_a,
                "river": "Tiền", "geometry": point(*TAN_PHUOC_1, dx_m=n * 50.0)}

    def update_payload(self) -> dict[str, Any]:
        return {"name": "Điểm đo mặn Đồng Tâm — đã dời"}


class TestSoilUnitsApi(ApiCrudContract):
    path = "/api/v1/registry/soil-units"
    writer = "province"
    denied = "commune_b"
    reader = None
    update_field = "name"

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return {"code": f"DAT-T-{n:03d}", "name": f"Đơn vị đất phèn {n}",
                "soil_type": "acid_sulphate", "ph": 4.2, "organic_matter_pct": 5.1,
                "salinity_class": "non_saline", "commune_code": actors.commune_a,
                "geometry": rect(*TAN_PHUOC_1, 800, 600, dx_m=n * 900.0)}

    def update_payload(self) -> dict[str, Any]:
        return {"name": "Đất phèn hoạt động — Tân Phước"}


# --- rules ---------------------------------------------------------------------------------


def test_area_is_measured_and_a_wrong_declared_area_is_flagged(actors: Actors) -> None:
    r = actors.client.post(PU, headers=actors.headers("commune_a"),
                           json=planting_area(actors, 1, declared_area_ha=2.0))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["area_ha"] == pytest.approx(1.5, rel=1e-3)  # 150 m × 100 m on UTM 48N
    flag = next(f for f in body["flags"] if f["code"] == "declared_area_mismatch")
    assert "2,00 ha" in flag["message_vi"] and "1,50 ha" in flag["message_vi"]
    ok = actors.client.post(PU, headers=actors.headers("commune_a"),
                            json=planting_area(actors, 2, declared_area_ha=1.6))
    assert [f["code"] for f in ok.json()["flags"]] == []  # 6.7 % off: within 10 %


def test_overlapping_planting_areas_are_both_flagged_and_unflagged_when_moved(
        actors: Actors) -> None:
    h = actors.headers("commune_a")
    first = actors.client.post(PU, headers=h, json=planting_area(actors, 1)).json()
    moved = planting_area(actors, 2, geometry=rect(*TAN_PHUOC_1, 150, 100, dx_m=400 + 100))
    second = actors.client.post(PU, headers=h, json=moved).json()
    assert [f["code"] for f in second["flags"]] == ["overlap"]
    assert second["flags"][0]["other_id"] == first["id"]
    assert second["flags"][0]["shared_ha"] == pytest.approx(0.5, rel=1e-2)  # 50 m × 100 m
    again = actors.client.get(f"{PU}/{first['id']}").json()
    assert [f["other_id"] for f in again["flags"] if f["code"] == "overlap"] == [second["id"]]
    # Redrawn away: both flags go.
    r = actors.client.patch(f"{PU}/{second['id']}", headers=h, json={
        "geometry": rect(*TAN_PHUOC_1, 150, 100, dx_m=3000)})
    assert r.status_code == 200 and r.json()["flags"] == []
    assert actors.client.get(f"{PU}/{first['id']}").json()["flags"] == []


def test_planting_area_below_the_minimum_size_is_refused(actors: Actors,
                                                         platform: Platform) -> None:
    before = count(platform, ProductionUnit)
    small = planting_area(actors, 1, geometry=rect(*TAN_PHUOC_1, 90, 100), crop="durian")
    body = assert_problem(actors.client.post(PU, headers=actors.headers("commune_a"),
                                             json=small), 422)
    assert "0,90 ha" in body["detail"] and "1,00 ha" in body["detail"]
    en = actors.client.post(PU, json=small, headers={**actors.headers("commune_a"),
                                                      "Accept-Language": "en"})
    assert "below the 1 ha minimum" in en.json()["detail"]
    # Annual crops: 0.1 ha is enough.
    ok = planting_area(actors, 2, geometry=rect(*TAN_PHUOC_1, 40, 30), crop="chili")
    assert actors.client.post(PU, headers=actors.headers("commune_a"), json=ok).status_code == 201
    assert count(platform, ProductionUnit) == before + 1


def test_minimum_sizes_are_configurable(actors: Actors) -> None:
    rules = actors.client.get("/api/v1/registry/planting-area-rules").json()
    assert {r["crop"]: r["min_area_ha"] for r in rules}["mango"] == 1.0
    r = actors.client.put("/api/v1/registry/planting-area-rules/mango",
                          headers=actors.headers("commune_a"),
                          json={"crop_group": "perennial", "min_area_ha": 2, "source": "x"})
    assert_problem(r, 403)
    r = actors.client.put("/api/v1/registry/planting-area-rules/mango",
                          headers=actors.headers("province"),
                          json={"crop_group": "perennial", "min_area_ha": 2.0,
                                "source": "Quyết định của Sở (thử nghiệm)"})
    assert r.status_code == 200 and r.json()["customised"]
    refused = actors.client.post(PU, headers=actors.headers("commune_a"),
                                 json=planting_area(actors, 1))  # 1.5 ha < 2 ha now
    assert_problem(refused, 422)


def test_planting_area_codes_are_unique_and_need_a_crop(actors: Actors,
                                                        platform: Platform) -> None:
    h = actors.headers("commune_a")
    assert actors.client.post(PU, headers=h, json=planting_area(actors, 1)).status_code == 201
    before = count(platform, ProductionUnit)
    clash = planting_area(actors, 2, code="VN-DTOR-0001")
    body = assert_problem(actors.client.post(PU, headers=h, json=clash), 409)
    assert "VN-DTOR-0001" in body["detail"]
    assert_problem(actors.client.post(PU, headers=h, json=planting_area(actors, 3, crop=None)),
                   422)
    bad = assert_problem(actors.client.post(PU, headers=h,
                                            json=planting_area(actors, 4, code="vn dtor 4")), 422)
    assert bad["errors"][0]["loc"] == "code"
    assert count(platform, ProductionUnit) == before


def test_expired_codes_are_shown_as_expired(actors: Actors) -> None:
    h = actors.headers("commune_a")
    old = actors.client.post(PU, headers=h, json=planting_area(
        actors, 1, valid_from="2021-01-01", valid_to="2024-01-01")).json()
    assert old["status"] == "active" and old["effective_status"] == "expired"
    actors.client.post(PU, headers=h, json=planting_area(actors, 2, valid_to="2099-01-01"))
    expired = actors.client.get(PU, params={"status": "expired"}).json()
    assert [u["id"] for u in expired["items"]] == [old["id"]]
    active = actors.client.get(PU, params={"status": "active"}).json()
    assert old["id"] not in [u["id"] for u in active["items"]] and active["total"] == 1


@pytest.mark.parametrize(
    ("geometry", "reason", "vi"),
    [
        ({"type": "Polygon", "coordinates": [[[10.53, 106.2], [10.54, 106.2], [10.54, 106.21],
                                              [10.53, 106.2]]]}, "swapped-coordinates",
         "đổi chỗ"),
        ({"type": "Polygon", "coordinates": [[[106.2, 10.53], [106.21, 10.54], [106.21, 10.53],
                                              [106.2, 10.54], [106.2, 10.53]]]},
         "invalid-topology", "tự cắt"),
        ({"type": "Polygon", "coordinates": [[[2.35, 48.85], [2.36, 48.85], [2.36, 48.86],
                                              [2.35, 48.85]]]}, "outside-vietnam", "ngoài"),
        ({"type": "Polygon", "coordinates": [[[580000, 1160000], [580100, 1160000],
                                              [580100, 1160100], [580000, 1160000]]]},
         "projected-coordinates", "mét"),
        ({"type": "Feature", "geometry": None}, "not-geometry", "hình học"),
    ],
)
def test_bad_geometries_are_explained_and_store_nothing(
        actors: Actors, platform: Platform, geometry: dict[str, Any], reason: str,
        vi: str) -> None:
    before = (count(platform, ProductionUnit), count(platform, FeatureVersion))
    r = actors.client.post(PU, headers=actors.headers("commune_a"),
                           json=planting_area(actors, 1, geometry=geometry))
    body = assert_problem(r, 422)
    assert body["reason"] == reason and vi in body["detail"]
    assert (count(platform, ProductionUnit), count(platform, FeatureVersion)) == before


def test_geometry_type_must_fit_the_kind(actors: Actors, platform: Platform) -> None:
    before = count(platform, Infrastructure)
    r = actors.client.post("/api/v1/registry/infrastructure", headers=actors.headers("commune_a"),
                           json={"kind": "sluice", "name": "Cống Rạch Chanh",
                                 "commune_code": actors.commune_a,
                                 "geometry": rect(*TAN_PHUOC_1, 20, 20)})
    body = assert_problem(r, 422)
    assert "điểm" in body["detail"] and body["errors"][0]["loc"] == "geometry"
    r = actors.client.post(PU, headers=actors.headers("commune_a"),
                           json={**planting_area(actors, 1), "geometry": point(*TAN_PHUOC_1)})
    assert_problem(r, 422)
    assert count(platform, Infrastructure) == before


def test_monitoring_stations_need_a_unique_code_and_a_type(actors: Actors) -> None:
    h = actors.headers("commune_a")
    station = {"kind": "monitoring_station", "subtype": "hydrological", "code": "TV-THU",
               "name": "Trạm thủy văn thử", "commune_code": actors.commune_a,
               "geometry": point(*TAN_PHUOC_1)}
    created = actors.client.post("/api/v1/registry/infrastructure", headers=h, json=station)
    assert created.status_code == 201
    assert_problem(actors.client.post("/api/v1/registry/infrastructure", headers=h,
                                      json=station), 409)
    assert_problem(actors.client.post("/api/v1/registry/infrastructure", headers=h,
                                      json={**station, "code": None}), 422)
    assert_problem(actors.client.post("/api/v1/registry/infrastructure", headers=h,
                                      json={**station, "code": "TV-2", "subtype": None}), 422)
    found = actors.client.get("/api/v1/registry/stations/TV-THU").json()
    assert found["id"] == created.json()["id"] and found["subtype"] == "hydrological"
    assert_problem(actors.client.get("/api/v1/registry/stations/NOPE"), 404)


def test_commune_is_required_without_known_boundaries(actors: Actors,
                                                      platform: Platform) -> None:
    before = count(platform, ProductionUnit)
    body = planting_area(actors, 1)
    del body["commune_code"]
    r = actors.client.post(PU, headers=actors.headers("commune_a"), json=body)
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["loc"] == "commune_code"
    unknown = planting_area(actors, 1, commune_code="99999")
    assert_problem(actors.client.post(PU, headers=actors.headers("commune_a"), json=unknown), 422)
    assert count(platform, ProductionUnit) == before


def test_commune_officer_cannot_register_or_move_into_another_commune(actors: Actors) -> None:
    h = actors.headers("commune_a")
    r = actors.client.post(PU, headers=h, json=planting_area(
        actors, 1, commune_code=actors.commune_b, geometry=rect(*TAN_PHUOC_2, 150, 100)))
    assert_problem(r, 403)
    mine = actors.client.post(PU, headers=h, json=planting_area(actors, 2)).json()
    moved = actors.client.patch(f"{PU}/{mine['id']}", headers=h,
                                json={"commune_code": actors.commune_b})
    assert_problem(moved, 403)
    assert actors.client.get(f"{PU}/{mine['id']}").json()["commune_code"] == actors.commune_a


def test_coop_manager_manages_his_cooperatives_units_only(actors: Actors) -> None:
    h = actors.headers("coop_a")
    own = actors.client.post(PU, headers=h, json=planting_area(actors, 1))
    assert own.status_code == 201, own.text
    other = planting_area(actors, 2, organisation_id=actors.coop_b.id)
    assert_problem(actors.client.post(PU, headers=h, json=other), 403)
    stranger = planting_area(actors, 3, kind="plot", code=None, farmer_id=actors.farmer_b.id)
    assert_problem(actors.client.post(PU, headers=h, json=stranger), 422)


def test_the_farmer_is_personal_data(actors: Actors) -> None:
    plot = planting_area(actors, 1, kind="plot", code=None, crop="rice",
                         farmer_id=actors.farmer_a.id)
    created = actors.client.post(PU, headers=actors.headers("commune_a"), json=plot).json()
    assert created["farmer_id"] == actors.farmer_a.id
    for who in (None, "commune_b", "buyer", "other_province"):
        seen = actors.client.get(f"{PU}/{created['id']}", headers=actors.headers(who)).json()
        assert seen["farmer_id"] is None, who
        history = actors.client.get(f"{PU}/{created['id']}/history",
                                    headers=actors.headers(who)).json()
        assert all("farmer_id" not in v["properties"] for v in history), who
    for who in ("commune_a", "province", "coop_a", "farmer_a"):
        seen = actors.client.get(f"{PU}/{created['id']}", headers=actors.headers(who)).json()
        assert seen["farmer_id"] == actors.farmer_a.id, who
    # Filtering by a farmer is only for those who may see him.
    assert_problem(actors.client.get(PU, params={"farmer_id": actors.farmer_a.id}), 401)
    r = actors.client.get(PU, params={"farmer_id": actors.farmer_a.id},
                          headers=actors.headers("commune_b"))
    assert_problem(r, 404)
    mine = actors.client.get(PU, params={"farmer_id": actors.farmer_a.id},
                             headers=actors.headers("farmer_a")).json()
    assert [u["id"] for u in mine["items"]] == [created["id"]]


def test_list_filters(actors: Actors) -> None:
    h = actors.headers("commune_a")
    a = actors.client.post(PU, headers=h, json=planting_area(actors, 1, name="Vườn xoài Ông Tư"))
    b = actors.client.post(PU, headers=h, json=planting_area(actors, 2, crop="durian",
                                                             name="Vườn sầu riêng"))
    ids = {"a": a.json()["id"], "b": b.json()["id"]}
    got = actors.client.get(PU, params={"crop": "durian"}).json()
    assert [u["id"] for u in got["items"]] == [ids["b"]]
    got = actors.client.get(PU, params={"q": "xoai ong tu"}).json()  # no accents
    assert [u["id"] for u in got["items"]] == [ids["a"]]
    # Crop names too, in either language, with or without diacritics.
    for text, key in (("sầu riêng", "b"), ("SAU RIENG", "b"), ("durian", "b"), ("xoai", "a")):
        got = actors.client.get(PU, params={"q": text}).json()
        assert [u["id"] for u in got["items"]] == [ids[key]], text
    lon, lat = TAN_PHUOC_1
    got = actors.client.get(PU, params={"bbox": f"{lon},{lat},{lon + 0.0045},{lat + 0.002}"})
    assert [u["id"] for u in got.json()["items"]] == [ids["a"]]  # 400 m east: only the first
    assert_problem(actors.client.get(PU, params={"bbox": "1,2,3"}), 400)
    got = actors.client.get(PU, params={"commune_code": actors.commune_b}).json()
    assert got["total"] == 0


def test_delete_keeps_the_id_and_the_history(actors: Actors, platform: Platform) -> None:
    h = actors.headers("commune_a")
    unit = actors.client.post(PU, headers=h, json=planting_area(actors, 1)).json()
    assert actors.client.delete(f"{PU}/{unit['id']}", headers=h).status_code == 204
    assert_problem(actors.client.get(f"{PU}/{unit['id']}"), 404)
    history = actors.client.get(f"{PU}/{unit['id']}/history").json()
    assert [v["change"] for v in history] == ["create", "delete"]
    with platform.uow() as uow:
        row = uow.session.get(ProductionUnit, unit["id"])
        assert row is not None and row.status == "deleted"  # references stay valid
    # The code is free again.
    again = actors.client.post(PU, headers=h, json=planting_area(actors, 1))
    assert again.status_code == 201 and again.json()["id"] != unit["id"]


def test_soil_unit_rules(actors: Actors, platform: Platform) -> None:
    h = actors.headers("province")
    before = count(platform, SoilUnit)
    bad = {"name": "Đất", "soil_type": "clay", "commune_code": actors.commune_a,
           "geometry": rect(*TAN_PHUOC_1, 500, 500)}
    assert_problem(actors.client.post("/api/v1/registry/soil-units", headers=h, json=bad), 422)
    bad = {**bad, "soil_type": "saline", "ph": 15}
    assert_problem(actors.client.post("/api/v1/registry/soil-units", headers=h, json=bad), 422)
    assert count(platform, SoilUnit) == before
    ok = {**bad, "ph": 7.1, "salinity_class": "moderate"}
    r = actors.client.post("/api/v1/registry/soil-units", headers=h, json=ok)
    assert r.status_code == 201 and r.json()["area_ha"] == pytest.approx(25.0, rel=1e-3)


def test_malformed_json_and_unknown_fields(actors: Actors, platform: Platform) -> None:
    before = count(platform, ProductionUnit)
    r = actors.client.post(PU, content=b'{"kind": "plot",', headers={
        **actors.headers("commune_a"), "Content-Type": "application/json"})
    assert_problem(r, 400)
    r = actors.client.post(PU, headers={**actors.headers("commune_a"), "Accept-Language": "en"},
                           json={**planting_area(actors, 1), "kind": "castle"})
    body = assert_problem(r, 422)
    assert body["errors"][0]["message"] == "Value not allowed."
    assert count(platform, ProductionUnit) == before
