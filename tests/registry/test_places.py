"""Boundaries (synthetic and real), the commune derived from the geometry, and the functions
other domains use: features near a point, in a commune, communes around a station."""

from __future__ import annotations

import csv
import json
import statistics
from importlib import resources
from typing import Any

import pytest
from shapely.geometry import shape
from shapely.ops import unary_union

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.registry import boundaries, services
from nongso.registry.models import AdminBoundary
from nongso.registry.schemas import InfrastructureCreate
from tests.helpers import Actors, assert_problem
from tests.registry.shapes import TAN_PHUOC_1, TAN_PHUOC_2, rect
from tests.registry.test_features_api import PU, count, planting_area


def commune_points(province: str = "82") -> list[boundaries.CommunePoint]:
    path = resources.files("nongso.units").joinpath("data", "communes.csv")
    with path.open(encoding="utf-8") as f:
        return [boundaries.CommunePoint(r["code"], r["name"], float(r["lon"]), float(r["lat"]),
                                        float(r["area_km2"]) if r["area_km2"] else None)
                for r in csv.DictReader(f) if r["province_code"] == province]


def test_synthetic_boundaries_are_a_plausible_partition() -> None:
    points = commune_points()
    shapes = boundaries.synthesize("82", "Tỉnh Đồng Tháp", points)
    communes = [s for s in shapes if s.level == "commune"]
    province = next(s for s in shapes if s.level == "province")
    assert len(communes) == len(points) == 102
    assert all(s.geometry.is_valid and s.geometry.geom_type in ("Polygon", "MultiPolygon")
               for s in shapes)
    # Each commune holds its own official centre, and no one else's.
    for s, p in zip(communes, points, strict=True):
        assert s.geometry.buffer(1e-6).contains(shape({"type": "Point",
                                                       "coordinates": [p.lon, p.lat]}))
    # They tile the province: no overlaps, no gaps.
    total = sum(s.geometry.area for s in communes)
    assert unary_union([s.geometry for s in communes]).area == pytest.approx(total, rel=1e-6)
    assert province.geometry.area == pytest.approx(total, rel=1e-3)
    # Areas near the official ones (the median synthetic/official ratio within 25 %).
    ratios = [s.area_km2 / s.official_area_km2 for s in communes if s.official_area_km2]
    assert 0.75 < statistics.median(ratios) < 1.25
    assert province.area_km2 == pytest.approx(sum(p.area_km2 or 0 for p in points), rel=0.15)


def test_match_commune_by_code_or_name() -> None:
    by_code = {"28321": "Xã Tân Phước 1", "29869": "Phường Cao Lãnh"}
    by_name = {"tan phuoc 1": "28321", "cao lanh": "29869"}
    assert boundaries.match_commune({"MA_XA": 28321}, by_code, by_name) == "28321"
    assert boundaries.match_commune({"ma_dvhc": "29869"}, by_code, by_name) == "29869"
    assert boundaries.match_commune({"Tên xã": "PHƯỜNG CAO LÃNH"}, by_code, by_name) == "29869"
    assert boundaries.match_commune({"ten": "Tan Phuoc 1"}, by_code, by_name) == "28321"
    assert boundaries.match_commune({"ten": "Tân Phước 9", "ma": "1"}, by_code, by_name) is None


def _import(actors: Actors, features: list[dict[str, Any]], who: str = "province") -> Any:
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return actors.client.post("/api/v1/registry/boundaries/import", headers=actors.headers(who),
                              data={"province_code": "82", "source": "Sở TN&MT (thử nghiệm)"},
                              files={"file": ("ranh_gioi.geojson", body)})


def two_communes(actors: Actors) -> list[dict[str, Any]]:
    """Two adjacent real boundaries: A west of 106.18, B east of it (test geometry)."""
    a = {"type": "Polygon", "coordinates": [[[106.18, 10.45], [106.30, 10.45], [106.30, 10.60],
                                             [106.18, 10.60], [106.18, 10.45]]]}
    b = {"type": "Polygon", "coordinates": [[[106.08, 10.45], [106.18, 10.45], [106.18, 10.60],
                                             [106.08, 10.60], [106.08, 10.45]]]}
    return [{"type": "Feature", "properties": {"Tên xã": "Xã Tân Phước 1"}, "geometry": a},
            {"type": "Feature", "properties": {"ma_xa": actors.commune_b}, "geometry": b}]


def test_real_boundaries_replace_synthetic_ones_and_file_records(
        actors: Actors, platform: Platform) -> None:
    r = actors.client.post("/api/v1/registry/boundaries/synthesize",
                           params={"province_code": "82"}, headers=actors.headers("commune_a"))
    assert_problem(r, 403)
    r = actors.client.post("/api/v1/registry/boundaries/synthesize",
                           params={"province_code": "82"}, headers=actors.headers("province"))
    assert r.json() == {"province_code": "82", "communes": 102, "synthetic": 102, "real": 0}
    # Synthetic boundaries never file a record: the commune is still required.
    body = planting_area(actors, 1)
    del body["commune_code"]
    assert_problem(actors.client.post(PU, headers=actors.headers("commune_a"), json=body), 422)

    assert _import(actors, two_communes(actors)).status_code == 200
    again = actors.client.post("/api/v1/registry/boundaries/synthesize",
                               params={"province_code": "82"}, headers=actors.headers("province"))
    assert again.json()["real"] == 2 and again.json()["synthetic"] == 100
    created = actors.client.post(PU, headers=actors.headers("commune_a"), json=body)
    assert created.status_code == 201 and created.json()["commune_code"] == actors.commune_a
    assert created.json()["flags"] == []
    # Declared B but lying in A: filed under A and flagged.
    wrong = planting_area(actors, 2, commune_code=actors.commune_b)
    r = actors.client.post(PU, headers=actors.headers("commune_a"), json=wrong)
    unit = r.json()
    assert unit["commune_code"] == actors.commune_a
    flag = next(f for f in unit["flags"] if f["code"] == "commune_mismatch")
    assert "Xã Tân Phước 2" in flag["message_vi"] and flag["derived"] == actors.commune_a
    # Moved into B (by a province officer): re-filed there, the flag goes.
    r = actors.client.patch(f"{PU}/{unit['id']}", headers=actors.headers("province"),
                            json={"geometry": rect(*TAN_PHUOC_2, 150, 100)})
    assert r.json()["commune_code"] == actors.commune_b and r.json()["flags"] == []


def test_boundary_import_errors_store_nothing(actors: Actors, platform: Platform) -> None:
    before = count(platform, AdminBoundary)
    features = two_communes(actors)
    features.append({"type": "Feature", "properties": {"ten": "Xã Không Có"},
                     "geometry": features[0]["geometry"]})
    features.append({"type": "Feature", "properties": {"ma_xa": actors.commune_a},
                     "geometry": {"type": "Point", "coordinates": [106.2, 10.5]}})
    body = assert_problem(_import(actors, features), 422)
    assert [e["loc"] for e in body["errors"]] == ["rows/3", "rows/4/geometry"]
    assert count(platform, AdminBoundary) == before
    assert_problem(_import(actors, two_communes(actors), who="commune_a"), 403)


def _station(actors: Actors, code: str, lon: float, lat: float) -> int:
    return services.create_infrastructure(actors.platform.uow(SYSTEM), InfrastructureCreate(
        kind="monitoring_station", subtype="salinity", code=code, name=f"Trạm {code}",
        commune_code=actors.commune_a, geometry={"type": "Point", "coordinates": [lon, lat]})).id


def test_features_near_a_station_and_in_a_commune(actors: Actors) -> None:
    h = actors.headers("commune_a")
    near = actors.client.post(PU, headers=h, json=planting_area(actors, 1)).json()  # 400 m E
    far = actors.client.post(PU, headers=h, json=planting_area(actors, 6)).json()  # 2.4 km E
    lon, lat = TAN_PHUOC_1
    station = _station(actors, "MAN-X", lon, lat)
    found = services.features_near(actors.platform.uow(), lon, lat, 1000)
    assert [(f.id, f.collection) for f in found] == [(near["id"], "production_units")]
    assert found[0].distance_m == pytest.approx(400, abs=1)
    both = services.features_near(actors.platform.uow(), lon, lat, 3000,
                                  collections=("production_units", "infrastructure"))
    assert [(f.collection, f.id) for f in both] == [
        ("infrastructure", station), ("production_units", near["id"]),
        ("production_units", far["id"])]
    api = actors.client.get("/api/v1/registry/nearby", params={
        "lon": lon, "lat": lat, "radius_m": 3000, "kinds": "planting_area"}).json()
    assert [f["id"] for f in api] == [near["id"], far["id"]]
    assert_problem(actors.client.get("/api/v1/registry/nearby", params={
        "lon": lat, "lat": lon}), 422)  # swapped: outside Vietnam
    in_a = services.features_in_commune(actors.platform.uow(), actors.commune_a)
    assert {f.id for f in in_a} == {near["id"], far["id"]}
    assert services.features_in_commune(actors.platform.uow(), actors.commune_b) == []
    feature = services.get_feature(actors.platform.uow(), "infrastructure", station)
    assert feature.properties["code"] == "MAN-X"


def test_communes_near_a_point(actors: Actors) -> None:
    lon, lat = TAN_PHUOC_1
    # No boundaries: measured from the official centres.
    plain = services.communes_near(actors.platform.uow(), lon, lat, 8000)
    assert plain[0].code == actors.commune_a and plain[0].boundary == "none"
    assert actors.commune_b in {c.code for c in plain}  # 7.1 km west
    assert actors.commune_b not in {
        c.code for c in services.communes_near(actors.platform.uow(), lon, lat, 5000)}
    # With real boundaries: 0 m inside A, the distance to B's edge otherwise.
    assert _import(actors, two_communes(actors)).status_code == 200
    real = services.communes_near(actors.platform.uow(), lon, lat, 5000)
    assert [(c.code, c.boundary) for c in real[:2]] == [(actors.commune_a, "real"),
                                                        (actors.commune_b, "real")]
    assert real[0].distance_m == 0 and real[1].distance_m == pytest.approx(3060, rel=0.02)
    api = actors.client.get("/api/v1/registry/communes-near", params={
        "lon": lon, "lat": lat, "radius_m": 5000}).json()
    assert api[0]["code"] == actors.commune_a
