"""Another domain's collection published at /ogcapi through a provider, without touching the
OGC API code: metadata, queryables, items (bbox, limit, paging), one item, the OpenAPI
definition, and a query part the provider does not support refused, not ignored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nongso.core.uow import UnitOfWork
from nongso.registry import cql, geo
from nongso.registry import services as registry
from nongso.registry.providers import (
    FeaturePage,
    FeatureRecord,
    FunctionProvider,
    ItemsQuery,
    Queryable,
    providers,
    unregister_provider,
)
from tests.helpers import Actors, assert_problem

OGC = "/ogcapi"
STATIONS = [
    FeatureRecord(1, {"type": "Point", "coordinates": [105.64, 10.46]},
                  {"name": "Trạm Mỹ Tho", "code": "MT"}),
    FeatureRecord(2, {"type": "Point", "coordinates": [106.10, 10.30]},
                  {"name": "Trạm Bến Tre", "code": "BT"}),
    FeatureRecord(3, {"type": "Point", "coordinates": [105.90, 10.60]},
                  {"name": "Trạm Cai Lậy", "code": "CL"}),
]


def _inside(f: FeatureRecord, box: geo.BBox) -> bool:
    assert f.geometry is not None
    lon, lat = f.geometry["coordinates"]
    return box.min_lon <= lon <= box.max_lon and box.min_lat <= lat <= box.max_lat


def _items(uow: UnitOfWork, q: ItemsQuery) -> FeaturePage:
    if q.filter or q.interval:
        raise cql.ParameterError("Không hỗ trợ.", "Not supported here.",
                                 parameter="filter" if q.filter else "datetime")
    found = [f for f in STATIONS if (q.bbox is None or _inside(f, q.bbox))
             and all(str(f.properties.get(k)) == v for k, v in q.equals.items())]
    start = q.offset or 0
    page = found[start:start + q.limit]
    more = start + q.limit < len(found)
    return FeaturePage(page, None, len(found) if start == 0 and not more else None,
                       start + q.limit if more else None)


def _item(uow: UnitOfWork, feature_id: int) -> FeatureRecord | None:
    return next((f for f in STATIONS if f.id == feature_id), None)


@pytest.fixture
def stations() -> Iterator[FunctionProvider]:
    provider = FunctionProvider(
        id="test_stations", title_vi="Trạm thử", title_en="Test stations",
        description_vi="Các trạm của một miền khác.", description_en="Another domain's stations.",
        queryables=(Queryable("code", "string", "Mã trạm", "Station code"),),
        get_items=_items, get_item=_item, geometry_format="geometry-point",
        get_extent=lambda uow: (geo.BBox(105.64, 10.30, 106.10, 10.60), (None, None)),
    )
    registry.register_provider(provider)
    try:
        yield provider
    finally:
        unregister_provider(provider.id)


def test_a_registered_provider_is_a_collection(actors: Actors,
                                                stations: FunctionProvider) -> None:
    client = actors.client
    ids = [c["id"] for c in client.get(f"{OGC}/collections").json()["collections"]]
    assert ids[-1] == "test_stations" and "planting_areas" in ids
    assert ids == [p.id for p in providers()]
    meta = client.get(f"{OGC}/collections/test_stations",
                      headers={"Accept-Language": "en"}).json()
    assert meta["title"] == "Test stations"
    assert meta["extent"]["spatial"]["bbox"] == [[105.64, 10.3, 106.1, 10.6]]
    assert "temporal" not in meta["extent"]
    queryables = client.get(f"{OGC}/collections/test_stations/queryables").json()
    assert set(queryables["properties"]) == {"geometry", "code"}
    assert queryables["properties"]["geometry"]["format"] == "geometry-point"
    doc = client.get(f"{OGC}/api").json()
    assert "/collections/test_stations/items/{featureId}" in doc["paths"]
    params = {p["name"] for p in doc["paths"]["/collections/test_stations/items"]["get"][
        "parameters"]}
    assert "code" in params


def test_items_paging_and_one_item(actors: Actors, stations: FunctionProvider) -> None:
    client = actors.client
    url = f"{OGC}/collections/test_stations/items"
    near = client.get(url, params={"bbox": "105.5,10.4,106,10.7"}).json()
    assert [f["id"] for f in near["features"]] == [1, 3] and near["numberMatched"] == 2
    assert [f["id"] for f in client.get(url, params={"code": "BT"}).json()["features"]] == [2]
    first = client.get(url, params={"limit": 2}).json()
    assert [f["id"] for f in first["features"]] == [1, 2] and "numberMatched" not in first
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next"
               and link["type"] == "application/geo+json")
    assert "cursor=o2" in nxt
    assert [f["id"] for f in client.get(nxt).json()["features"]] == [3]
    one = client.get(f"{url}/3")
    assert one.headers["content-type"].startswith("application/geo+json")
    assert one.json()["properties"]["name"] == "Trạm Cai Lậy"
    page = client.get(f"{url}/3", params={"f": "html"})
    assert "Trạm Cai Lậy" in page.text and "/registry/test_stations" not in page.text
    assert_problem(client.get(f"{url}/9"), 404)
    assert_problem(client.get(f"{url}/abc"), 404)


def test_what_a_provider_does_not_support_is_refused(actors: Actors,
                                                     stations: FunctionProvider) -> None:
    url = f"{OGC}/collections/test_stations/items"
    body: dict[str, Any] = assert_problem(
        actors.client.get(url, params={"filter": "code = 'MT'"}), 400)
    assert body["parameter"] == "filter"
    assert_problem(actors.client.get(url, params={"crop": "rice"}), 400)  # not a queryable


def test_an_id_is_published_once(stations: FunctionProvider) -> None:
    with pytest.raises(ValueError):
        registry.register_provider(FunctionProvider(
            id="test_stations", title_vi="x", title_en="x", description_vi="x",
            description_en="x", queryables=(), get_items=_items, get_item=_item))
    registry.register_provider(stations)  # the same provider again: nothing changes
    assert [p.id for p in providers()].count("test_stations") == 1
