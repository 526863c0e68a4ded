"""The map page's data endpoint: features where few, counts per grid cell where many."""

from __future__ import annotations

from typing import Any

from nongso.core.platform import Platform
from tests.helpers import Actors, assert_problem, count_queries
from tests.registry.shapes import TAN_PHUOC_1, rect
from tests.registry.test_features_api import PU, planting_area

MAP = "/api/v1/registry/map"
PROVINCE = "105.2,10.0,106.9,10.95"


def layer(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(x for x in body["layers"] if x["collection"] == name)
    return found


def seed(actors: Actors, n: int = 6) -> list[int]:
    h = actors.headers("commune_a")
    out = []
    for i in range(1, n + 1):
        crop = "mango" if i % 3 else "durian"
        out.append(actors.client.post(PU, headers=h, json=planting_area(actors, i, crop=crop))
                   .json()["id"])
    return out


def test_zoomed_out_polygons_are_counted_per_cell(actors: Actors) -> None:
    ids = seed(actors)
    actors.client.delete(f"{PU}/{ids.pop()}", headers=actors.headers("commune_a"))
    body = actors.client.get(MAP, params={"bbox": PROVINCE, "zoom": 9,
                                          "layers": "production_units,planting_areas"}).json()
    for name in ("production_units", "planting_areas"):  # the index alone; a kind subset
        pu = layer(body, name)
        assert pu["mode"] == "clusters" and pu["total"] == len(ids), name
        assert sum(c["count"] for c in pu["clusters"]) == len(ids) and pu["features"] == []
    durian = actors.client.get(MAP, params={"bbox": PROVINCE, "zoom": 9, "crop": "durian",
                                            "layers": "production_units"}).json()
    assert layer(durian, "production_units")["total"] == 1  # ids 3 (6 was deleted)
    lon, lat = TAN_PHUOC_1
    assert all(abs(c["lon"] - lon) < 0.05 and abs(c["lat"] - lat) < 0.01 for c in pu["clusters"])


def test_zoomed_in_features_with_filters(actors: Actors) -> None:
    ids = seed(actors)
    lon, lat = TAN_PHUOC_1
    view = f"{lon},{lat - 0.01},{lon + 0.05},{lat + 0.01}"
    body = actors.client.get(MAP, params={"bbox": view, "zoom": 15,
                                          "layers": "production_units,infrastructure"}).json()
    pu = layer(body, "production_units")
    assert pu["mode"] == "features" and [f["id"] for f in pu["features"]] == ids
    first = pu["features"][0]
    assert first["properties"]["code"] == "VN-DTOR-0001" and first["geometry"]["type"] == "Polygon"
    assert "commune_name" not in first["properties"]  # slim: the popup fetches the rest
    durian = actors.client.get(MAP, params={"bbox": view, "zoom": 15, "crop": "durian",
                                            "layers": "production_units"}).json()
    assert [f["id"] for f in layer(durian, "production_units")["features"]] == ids[2::3]
    by_text = actors.client.get(MAP, params={"bbox": view, "zoom": 15, "q": "vn-dtor-0004",
                                             "layers": "production_units"}).json()
    assert [f["id"] for f in layer(by_text, "production_units")["features"]] == [ids[3]]
    other = actors.client.get(MAP, params={"bbox": view, "zoom": 15,
                                           "commune_code": actors.commune_b}).json()
    assert all(x["total"] == 0 for x in other["layers"])


def test_too_many_features_fall_back_to_counts(actors: Actors, platform: Platform,
                                               monkeypatch: Any) -> None:
    from nongso.registry.services import map as map_service

    seed(actors)
    monkeypatch.setattr(map_service, "MAP_FEATURE_LIMIT", 3)
    lon, lat = TAN_PHUOC_1
    body = actors.client.get(MAP, params={"bbox": f"{lon},{lat - 0.01},{lon + 0.05},{lat + 0.01}",
                                          "zoom": 16, "layers": "production_units"}).json()
    assert layer(body, "production_units")["mode"] == "clusters"


def test_map_bad_input(actors: Actors) -> None:
    body = assert_problem(actors.client.get(MAP, params={"bbox": PROVINCE, "zoom": 30}), 422)
    assert body["errors"] == [{"loc": "query/zoom", "message": "Giá trị quá lớn."}]
    body = assert_problem(actors.client.get(MAP, params={"bbox": "1,2", "zoom": 9}), 400)
    assert body["parameter"] == "bbox"
    assert body["detail"] == ("bbox phải có 4 số (minx,miny,maxx,maxy) hoặc 6 số, "
                              "nhận 2 giá trị.")
    body = assert_problem(actors.client.get(
        MAP, params={"bbox": PROVINCE, "zoom": 9, "layers": "farmers"}), 404)
    assert body["detail"] == "Không tìm thấy tập dữ liệu «farmers»."
    body = assert_problem(actors.client.get(
        MAP, params={"bbox": PROVINCE, "zoom": 9, "as_of": "hôm qua"}), 400)
    assert body["parameter"] == "datetime" and "«hôm qua»" in body["detail"]
    assert_problem(actors.client.get(MAP, params={"bbox": PROVINCE}), 422)


def test_map_queries_do_not_grow_with_the_features(actors: Actors, platform: Platform) -> None:
    lon, lat = TAN_PHUOC_1
    params = {"bbox": f"{lon},{lat - 0.01},{lon + 0.05},{lat + 0.01}", "zoom": 15,
              "layers": "production_units"}
    seed(actors, 2)
    actors.client.get(MAP, params=params)
    with count_queries(platform.engine) as small:
        actors.client.get(MAP, params=params)
    h = actors.headers("commune_a")
    for i in range(10, 20):
        actors.client.post(PU, headers=h, json=planting_area(
            actors, i, geometry=rect(*TAN_PHUOC_1, 110, 100, dx_m=i * 200.0, dy_m=300)))
    with count_queries(platform.engine) as large:
        body = actors.client.get(MAP, params=params).json()
    assert layer(body, "production_units")["total"] == 12
    assert large.count == small.count, (small.statements, large.statements)


def test_exclusive_layers_keep_planting_areas_in_their_own(actors: Actors) -> None:
    """The map page asks for exclusive layers: unticking the planting-area layer hides them."""
    ids = seed(actors, 3)
    lon, lat = TAN_PHUOC_1
    view = {"bbox": f"{lon},{lat - 0.01},{lon + 0.05},{lat + 0.01}", "zoom": 15}
    both = actors.client.get(MAP, params={**view, "layers": "production_units,planting_areas",
                                          "exclusive": "true"}).json()
    assert layer(both, "production_units")["total"] == 0
    assert [f["id"] for f in layer(both, "planting_areas")["features"]] == ids
    alone = actors.client.get(MAP, params={**view, "layers": "production_units",
                                           "exclusive": "true", "kind": "planting_area"}).json()
    assert layer(alone, "production_units")["total"] == 0
    zoomed_out = actors.client.get(MAP, params={"bbox": PROVINCE, "zoom": 9, "exclusive": "true",
                                                "layers": "production_units"}).json()
    assert layer(zoomed_out, "production_units")["total"] == 0
    # Without it (the API's default) a planting area is a production unit too.
    plain = actors.client.get(MAP, params={**view, "layers": "production_units"}).json()
    assert layer(plain, "production_units")["total"] == len(ids)
