"""OGC API – Features at /ogcapi: what the declared conformance classes promise, applied."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from shapely.geometry import box, shape

from nongso.core.platform import Platform
from tests.helpers import Actors, assert_problem, count_queries
from tests.registry.shapes import TAN_PHUOC_1, point
from tests.registry.test_features_api import PU, planting_area

OGC = "/ogcapi"


def items(actors: Actors, collection: str, **params: Any) -> dict[str, Any]:
    r = actors.client.get(f"{OGC}/collections/{collection}/items", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    body: dict[str, Any] = r.json()
    return body


def ids(body: dict[str, Any]) -> list[int]:
    return [f["id"] for f in body["features"]]


@pytest.fixture
def registry(actors: Actors) -> dict[str, Any]:
    """Six planting areas in a row (400 m apart), one plot with a farmer, a diagonal dyke."""
    h = actors.headers("commune_a")
    made: dict[str, Any] = {"areas": []}
    for n in range(1, 7):
        crop = "mango" if n % 2 else "durian"
        extra: dict[str, Any] = {"crop": crop}
        if n == 6:
            extra.update(valid_from="2020-01-01", valid_to="2023-01-01")
        r = actors.client.post(PU, headers=h, json=planting_area(actors, n, **extra))
        assert r.status_code == 201, r.text
        made["areas"].append(r.json())
    plot = planting_area(actors, 9, kind="plot", code=None, crop="rice",
                         farmer_id=actors.farmer_a.id, name="Thửa của ông Thử")
    made["plot"] = actors.client.post(PU, headers=h, json=plot).json()
    lon, lat = TAN_PHUOC_1
    dyke = {"kind": "dyke_segment", "name": "Đê chéo", "commune_code": actors.commune_a,
            "geometry": {"type": "LineString",
                         "coordinates": [[lon - 0.02, lat - 0.02], [lon - 0.01, lat - 0.01]]}}
    made["dyke"] = actors.client.post("/api/v1/registry/infrastructure", headers=h,
                                      json=dyke).json()
    return made


def test_landing_conformance_api_and_collections(actors: Actors) -> None:
    landing = actors.client.get(OGC).json()
    assert landing["title"].startswith("Dữ liệu bản đồ mở")
    english = actors.client.get(OGC, headers={"Accept-Language": "en"}).json()
    assert english["title"].startswith("Open map data")
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["href"].startswith("http://testserver/ogcapi/api")
    conf = actors.client.get(f"{OGC}/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conf
    api = actors.client.get(f"{OGC}/api")
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = api.json()
    assert doc["openapi"].startswith("3.0")
    assert "/collections/planting_areas/items" in doc["paths"]
    names = {p["name"] for p in doc["paths"]["/collections/planting_areas/items"]["get"][
        "parameters"]}
    assert {"bbox", "datetime", "limit", "filter", "crop", "cursor"} <= names
    cols = actors.client.get(f"{OGC}/collections").json()["collections"]
    assert {c["id"] for c in cols} == {"production_units", "planting_areas", "organisations",
                                       "businesses", "infrastructure", "soil_units",
                                       "admin_boundaries"}
    one = actors.client.get(f"{OGC}/collections/planting_areas").json()
    assert one["itemType"] == "feature" and one["crs"] == [
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
    assert any(link["rel"] == "items" and link["type"] == "application/geo+json"
               for link in one["links"])
    assert_problem(actors.client.get(f"{OGC}/collections/castles"), 404)


def test_collection_extent_and_queryables(actors: Actors, registry: dict[str, Any]) -> None:
    one = actors.client.get(f"{OGC}/collections/planting_areas").json()
    minx, miny, maxx, maxy = one["extent"]["spatial"]["bbox"][0]
    for area in registry["areas"]:
        b = shape(area["geometry"]).bounds
        assert minx <= b[0] + 1e-6 and maxx >= b[2] - 1e-6
        assert miny <= b[1] + 1e-6 and maxy >= b[3] - 1e-6
    assert one["extent"]["temporal"]["interval"][0][0].startswith("2020-01-01")
    q = actors.client.get(f"{OGC}/collections/planting_areas/queryables")
    assert q.headers["content-type"].startswith("application/schema+json")
    props = q.json()["properties"]
    assert props["crop"]["type"] == "string" and props["area_ha"]["type"] == "number"
    assert props["valid_to"]["format"] == "date" and props["geometry"]["format"]
    assert "farmer_id" not in props


def test_items_bbox_is_exact(actors: Actors, registry: dict[str, Any]) -> None:
    # A box around the diagonal dyke's bounding box corner that the line itself misses.
    lon, lat = TAN_PHUOC_1
    corner = f"{lon - 0.0115},{lat - 0.0199},{lon - 0.0101},{lat - 0.0185}"
    assert items(actors, "infrastructure", bbox=corner)["features"] == []
    on_line = f"{lon - 0.0151},{lat - 0.0151},{lon - 0.0149},{lat - 0.0149}"
    assert ids(items(actors, "infrastructure", bbox=on_line)) == [registry["dyke"]["id"]]
    # Areas 2 and 3 (800–950 m and 1200–1350 m east).
    x0 = shape(registry["areas"][1]["geometry"]).bounds[0]
    x1 = shape(registry["areas"][2]["geometry"]).bounds[2]
    got = ids(items(actors, "planting_areas", bbox=f"{x0},{lat - 0.01},{x1},{lat + 0.01}"))
    assert got == [registry["areas"][1]["id"], registry["areas"][2]["id"]]
    assert_problem(actors.client.get(f"{OGC}/collections/planting_areas/items",
                                     params={"bbox": "106,11,107,10"}), 400)


def test_limit_next_links_and_number_matched(actors: Actors, registry: dict[str, Any]) -> None:
    first = items(actors, "planting_areas", limit=4, crop="mango")
    assert first["numberReturned"] == 3 and first["numberMatched"] == 3  # all fit: free
    page = items(actors, "planting_areas", limit=2)
    assert page["numberReturned"] == 2 and "numberMatched" not in page
    seen = ids(page)
    while True:
        nxt = [link for link in page["links"] if link["rel"] == "next"
               and link["type"] == "application/geo+json"]
        if not nxt:
            break
        href = nxt[0]["href"]
        assert href.startswith("http://testserver/ogcapi/collections/planting_areas/items?")
        query = parse_qs(urlparse(href).query)
        assert query["limit"] == ["2"]
        page = actors.client.get(href).json()
        seen += ids(page)
    assert seen == [a["id"] for a in registry["areas"]]
    for bad in ({"limit": 0}, {"limit": 10001}, {"limit": "x"}, {"cursor": -1}):
        assert_problem(actors.client.get(f"{OGC}/collections/planting_areas/items",
                                         params=bad), 400)


def test_bbox_pages_cover_every_match_once(actors: Actors, platform: Platform,
                                           registry: dict[str, Any]) -> None:
    lon, lat = TAN_PHUOC_1
    box = f"{lon},{lat - 0.01},{lon + 0.05},{lat + 0.01}"
    page = items(actors, "production_units", bbox=box, limit=2)
    seen = ids(page)
    cursors = []
    while True:
        nxt = [link for link in page["links"] if link["rel"] == "next"
               and link["type"] == "application/geo+json"]
        if not nxt:
            break
        query = parse_qs(urlparse(nxt[0]["href"]).query)
        assert query["bbox"] == [box]
        cursors.append(query["cursor"][0])
        page = actors.client.get(nxt[0]["href"]).json()
        seen += ids(page)
    expected = [a["id"] for a in registry["areas"]] + [registry["plot"]["id"]]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    # SQLite pages follow the R*Tree (offset cursors); PostgreSQL pages follow the ids.
    prefix_ok = all(c.startswith("o") for c in cursors) if platform.dialect == "sqlite" \
        else all(c.isdigit() for c in cursors)
    assert cursors and prefix_ok, cursors
    assert_problem(actors.client.get(f"{OGC}/collections/production_units/items",
                                     params={"bbox": box, "cursor": "o12x"}), 400)


def test_datetime_filters_on_validity(actors: Actors, registry: dict[str, Any]) -> None:
    old = registry["areas"][5]["id"]
    assert ids(items(actors, "planting_areas", datetime="2021-06-01")) == [
        a["id"] for a in registry["areas"]]
    now = ids(items(actors, "planting_areas", datetime="2025-06-01T00:00:00Z"))
    assert old not in now and len(now) == 5
    assert ids(items(actors, "planting_areas", datetime="../2019-12-31T12:00:00+07:00")) == [
        a["id"] for a in registry["areas"][:5]]  # no start date: valid since ever
    assert_problem(actors.client.get(f"{OGC}/collections/planting_areas/items",
                                     params={"datetime": "2025-13-01"}), 400)


def test_every_collection_accepts_datetime(actors: Actors, registry: dict[str, Any]) -> None:
    # /req/core/fc-time-definition: the parameter belongs to every collection's items; a
    # feature without a validity interval (a boundary, a dyke) is valid at every instant.
    collections = [c["id"] for c in actors.client.get(f"{OGC}/collections").json()["collections"]]
    assert "admin_boundaries" in collections and len(collections) > 3
    for collection in collections:
        for when in ("2025-06-01T00:00:00Z", "2020-01-01/..", "../2019-12-31"):
            timed = ids(items(actors, collection, datetime=when, limit=1000))
            if collection not in ("planting_areas", "production_units"):  # area 6 expired
                assert timed == ids(items(actors, collection, limit=1000)), (collection, when)
        assert_problem(actors.client.get(f"{OGC}/collections/{collection}/items",
                                         params={"datetime": "2025-13-01"}), 400)
    assert registry["dyke"]["id"] in ids(items(actors, "infrastructure", datetime="2001-01-01"))


def test_property_filters_and_cql2(actors: Actors, registry: dict[str, Any]) -> None:
    areas = [a["id"] for a in registry["areas"]]
    assert ids(items(actors, "planting_areas", crop="durian")) == areas[1::2]
    assert ids(items(actors, "planting_areas", status="expired")) == [areas[5]]
    assert ids(items(actors, "planting_areas", filter="status = 'expired'")) == [areas[5]]
    assert ids(items(actors, "planting_areas",
                     filter="crop = 'mango' AND area_ha > 1 OR code = 'VN-DTOR-0002'")) == [
        areas[0], areas[1], areas[2], areas[4]]
    assert ids(items(actors, "planting_areas", filter="code IN ('VN-DTOR-0003', 'x')")) == [
        areas[2]]
    assert ids(items(actors, "planting_areas", filter="code LIKE 'VN-DTOR-000_'")) == areas
    assert ids(items(actors, "planting_areas", filter="valid_to < DATE('2024-01-01')")) == [
        areas[5]]
    g = shape(registry["areas"][3]["geometry"]).centroid
    spatial = f"S_INTERSECTS(geometry, POINT({g.x} {g.y}))"
    assert ids(items(actors, "planting_areas", filter=spatial)) == [areas[3]]
    assert ids(items(actors, "planting_areas",
                     filter=f"crop = 'mango' OR {spatial}")) == [areas[0], areas[2], areas[3],
                                                                areas[4]]
    assert ids(items(actors, "planting_areas",
                     filter=f"NOT ({spatial}) AND crop = 'durian'")) == [areas[1], areas[5]]
    for bad, where in (("crop = ", "position"), ("owner = 'x'", "queryable"),
                       ("area_ha = 'big'", "queryable")):
        body = assert_problem(actors.client.get(f"{OGC}/collections/planting_areas/items",
                                                params={"filter": bad}), 400)
        assert where in body
    assert_problem(actors.client.get(f"{OGC}/collections/planting_areas/items",
                                     params={"filter": "crop = 'x'",
                                             "filter-lang": "cql2-json"}), 400)


def test_unknown_parameters_are_refused_not_ignored(actors: Actors,
                                                    registry: dict[str, Any]) -> None:
    for params in ({"sortby": "name"}, {"farmer_id": "1"}, {"crops": "mango"},
                   {"bbox-crs": "EPSG:3405"}):
        body = assert_problem(actors.client.get(f"{OGC}/collections/planting_areas/items",
                                                params=params), 400)
        assert body["parameter"] in params
    assert_problem(actors.client.get(f"{OGC}/collections/planting_areas/items",
                                     params={"head_count": "many"}), 400)


def test_no_personal_data_for_anonymous_users(actors: Actors, registry: dict[str, Any]) -> None:
    plot_id = registry["plot"]["id"]
    body = json.dumps(items(actors, "production_units", limit=100))
    assert "farmer_id" not in body and "Nguyễn Văn Thử" not in body and "0900 000 001" not in body
    one = actors.client.get(f"{OGC}/collections/production_units/items/{plot_id}").json()
    assert "farmer_id" not in one["properties"]
    orgs = json.dumps(items(actors, "organisations"))
    assert "phone" not in orgs
    officer = actors.client.get(f"{OGC}/collections/production_units/items/{plot_id}",
                                headers=actors.headers("commune_a")).json()
    assert officer["properties"]["farmer_id"] == actors.farmer_a.id


def test_item_and_html(actors: Actors, registry: dict[str, Any]) -> None:
    area = registry["areas"][0]
    r = actors.client.get(f"{OGC}/collections/planting_areas/items/{area['id']}")
    assert r.headers["content-type"].startswith("application/geo+json")
    feature = r.json()
    assert feature["type"] == "Feature" and feature["properties"]["code"] == "VN-DTOR-0001"
    assert feature["properties"]["commune_name"] == "Xã Tân Phước 1"
    assert any(link["rel"] == "collection" for link in feature["links"])
    # A feature of another collection is not found through this one.
    assert_problem(actors.client.get(
        f"{OGC}/collections/planting_areas/items/{registry['plot']['id']}"), 404)
    assert_problem(actors.client.get(f"{OGC}/collections/planting_areas/items/abc"), 404)
    html = actors.client.get(f"{OGC}/collections/planting_areas/items",
                             headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "VN-DTOR-0001" in html.text and 'id="mini-map"' in html.text
    page = actors.client.get(f"{OGC}/collections/planting_areas/items/{area['id']}",
                             params={"f": "html", "lang": "en"})
    assert "Vùng trồng xoài số 1" in page.text and "Planting-area code" in page.text
    # The same labelled rows as the record page, with the property names a filter uses.
    assert '<tr data-key="crop"><th>Crop <code>crop</code></th><td>Mango</td></tr>' in page.text
    for path in ("", "/conformance", "/collections", "/collections/soil_units",
                 "/collections/soil_units/queryables", "/api"):
        r = actors.client.get(f"{OGC}{path}", params={"f": "html"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
    assert_problem(actors.client.get(OGC, params={"f": "xml"}), 400)


def test_items_query_count_does_not_grow_with_the_page(actors: Actors, platform: Platform,
                                                      registry: dict[str, Any]) -> None:
    url = f"{OGC}/collections/planting_areas/items"
    actors.client.get(url, params={"limit": 1})
    with count_queries(platform.engine) as small:
        actors.client.get(url, params={"limit": 1})
    with count_queries(platform.engine) as large:
        actors.client.get(url, params={"limit": 6})
    assert large.count == small.count, (small.statements, large.statements)


def test_bbox_uses_the_spatial_index(actors: Actors, platform: Platform,
                                     registry: dict[str, Any]) -> None:
    lon, lat = TAN_PHUOC_1
    with count_queries(platform.engine) as counter:
        items(actors, "planting_areas", bbox=f"{lon},{lat - 0.01},{lon + 0.1},{lat + 0.01}")
    sql = " ".join(counter.statements)
    if platform.dialect == "sqlite":
        assert "rtree_production_units" in sql
    else:
        assert "box(point(" in sql and "&&" in sql


def test_admin_boundaries_collection(actors: Actors) -> None:
    r = actors.client.post("/api/v1/registry/boundaries/synthesize",
                           params={"province_code": "82"}, headers=actors.headers("province"))
    assert r.status_code == 200 and r.json()["synthetic"] == 102
    communes = items(actors, "admin_boundaries", level="commune", limit=500)
    assert communes["numberReturned"] == 102
    assert all(f["properties"]["synthetic"] for f in communes["features"])
    province = items(actors, "admin_boundaries", level="province")["features"][0]
    outline = shape(province["geometry"])
    lon, lat = TAN_PHUOC_1
    assert outline.contains(shape(point(lon, lat)))
    assert not outline.intersects(box(105.10, 10.68, 105.14, 10.72))  # Châu Đốc, An Giang
