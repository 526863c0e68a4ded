"""Contract: the OWSLib OGC API – Features client reads every collection of the running app."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

from owslib.ogcapi.features import Features

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services as demo
from nongso.registry.features import COLLECTIONS
from tests.e2e.conftest import live_server  # noqa: F401  (the running server fixture)


def test_owslib_reads_every_collection_and_filters(platform: Platform,
                                                   live_server: str) -> None:  # noqa: F811
    # One demo build for both parts (CI time budget).
    demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.02)
    _every_collection(live_server)
    _bbox_datetime_and_filter(live_server)


def _every_collection(live_server: str) -> None:  # noqa: F811
    api = Features(live_server + "/ogcapi")
    conformance = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    definition = api.api()  # follows the service-desc link (OpenAPI 3.0 JSON)
    assert definition["openapi"].startswith("3.0")
    ids = api.feature_collections()
    assert set(ids) == set(COLLECTIONS)
    for cid in ids:
        meta = api.collection(cid)
        assert meta["id"] == cid and meta["extent"]["spatial"]["bbox"]
        queryables = api.collection_queryables(cid)
        assert queryables["type"] == "object" and queryables["properties"]
        page = api.collection_items(cid, limit=3)
        assert page["type"] == "FeatureCollection" and page["numberReturned"] == len(
            page["features"])
        assert page["features"], f"the demo has no {cid}"
        first = page["features"][0]
        item = api.collection_item(cid, str(first["id"]))
        assert item["id"] == first["id"] and item["geometry"] == first["geometry"]
        # Follow the next link's cursor with the client: pages do not repeat.
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"
               and link["type"] == "application/geo+json"]
        if nxt:
            cursor = parse_qs(urlparse(nxt[0]).query)["cursor"][0]
            second = api.collection_items(cid, limit=3, cursor=cursor)
            assert not {f["id"] for f in second["features"]} & {f["id"] for f in page["features"]}
        text = json.dumps(page, ensure_ascii=False)
        assert "farmer_id" not in text and '"phone"' not in text


def _bbox_datetime_and_filter(live_server: str) -> None:  # noqa: F811
    api = Features(live_server + "/ogcapi")
    every = api.collection_items("infrastructure", limit=1000, kind="monitoring_station")
    stations = {f["properties"]["code"]: f for f in every["features"]}
    assert {"TV-TANCHAU", "TV-CHAUDOC", "MAN-DONGTAM"} <= set(stations)
    lon, lat = stations["TV-TANCHAU"]["geometry"]["coordinates"]
    near = api.collection_items("infrastructure", bbox=[lon - 0.01, lat - 0.01, lon + 0.01,
                                                        lat + 0.01])
    assert [f["properties"]["code"] for f in near["features"]] == ["TV-TANCHAU"]
    salinity = api.collection_items("infrastructure", limit=100,
                                    filter="subtype = 'salinity' AND river LIKE '%Tiền%'")
    codes = {f["properties"]["code"] for f in salinity["features"]}
    assert "MAN-DONGTAM" in codes and "MAN-DAINGAI" not in codes  # Đại Ngãi is on the Hậu
    mango = api.collection_items("planting_areas", limit=1000, crop="mango",
                                 datetime_="2026-01-01T00:00:00Z")
    assert mango["features"] and all(f["properties"]["crop"] == "mango"
                                     for f in mango["features"])
