"""The demo province's published catalogue, read without changing it: DCAT-AP shapes, clear
404s, the pages, the open-data share and a layer's CSV. The demo is built once for the module
(tests that change the catalogue are in test_publish.py)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef

from nongso.app import create_app
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services as demo
from nongso.opendata import services, sources
from tests.helpers import wipe_database
from tests.opendata.shacl import violations


@pytest.fixture(scope="module")
def published(_platform: Platform, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[Platform]:
    previous = services.use_root(tmp_path_factory.mktemp("published") / "opendata")
    try:
        demo.build_demo(_platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
        yield _platform
    finally:
        services.use_root(previous)
        wipe_database(_platform)


@pytest.fixture(scope="module")
def site(published: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(published)) as c:
        yield c


def test_the_demo_catalogue_meets_dcat_ap(published: Platform) -> None:
    doc = services.catalogue_document("jsonld")
    g = Graph().parse(data=doc.path.read_bytes(), format="json-ld")
    assert violations(g, "shapes.ttl") == []
    assert violations(g, "range.ttl") == []
    cat = services.catalogue()
    ids = {d.id for d in cat.datasets}
    assert {"production-units", "planting-areas", "cooperatives", "input-dealers",
            "infrastructure", "alerts", "ocop-products"} <= ids
    seasonal = [d for d in cat.datasets if d.series == "seasonal-statistics"]
    sensors = [d for d in cat.datasets if d.series == "sensor-daily-summaries"]
    assert seasonal and sensors
    # The map layers have GeoJSON and GeoParquet; tables have CSV and Parquet.
    layer = next(d for d in cat.datasets if d.id == "planting-areas")
    assert {x.format for x in layer.distributions} == {"csv", "parquet", "geojson", "geoparquet"}
    geo = json.loads(pq.read_schema(services.distribution("planting-areas", "geoparquet").path)
                     .metadata[b"geo"])
    assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["encoding"] == "WKB"
    # Turtle says the same as JSON-LD.
    ttl = Graph().parse(services.catalogue_document("ttl").path, format="turtle")
    assert len(ttl) == len(g)
    # The province's coverage names the 2025 unit and its former provinces.
    province = URIRef("http://127.0.0.1:8000/opendata/units/2025/82")
    replaced = {str(o) for o in g.objects(province, URIRef("http://purl.org/dc/terms/replaces"))}
    assert replaced and all("/units/legacy/" in r for r in replaced)


@pytest.mark.parametrize("lang,word", [("vi", "Định dạng"), ("en", "format")])
def test_bad_requests_get_a_clear_404(site: TestClient, lang: str,
                                      word: str) -> None:
    headers = {"Accept-Language": lang}
    for path in ("/opendata/catalog.xml", "/opendata/catalog.jsonld?version=999",
                 "/opendata/datasets/nope.csv", "/opendata/datasets/planting-areas.xlsx",
                 "/opendata/datasets/planting-areas/v999", "/opendata/datasets/planting-areas/vx",
                 "/opendata/files/planting-areas/v1/other.csv", "/opendata/units/1990/82"):
        answer = site.get(path, headers=headers)
        assert answer.status_code in (404, 422), path
        assert answer.headers["content-type"].startswith("application/problem+json"), path
    body = site.get("/opendata/catalog.xml", headers=headers).json()
    assert word in body["detail"] and "jsonld" in body["detail"]
    body = site.get("/opendata/catalog.jsonld?version=999", headers=headers).json()
    assert "999" in body["detail"] and "1" in body["detail"]
    assert site.get("/opendata/catalog.jsonld?version=abc").status_code == 422


def test_pages_and_share(published: Platform, site: TestClient) -> None:
    page = site.get("/opendata")
    assert page.status_code == 200 and "Dữ liệu mở nông nghiệp" in page.text
    assert "/opendata/catalog.jsonld" in page.text
    home = site.get("/")
    assert 'href="/opendata"' in home.text
    share = services.published_share(published.uow(SYSTEM))
    assert share.share == 1.0 and share.published == share.databases
    unit = site.get("/opendata/units/2025/82").json()
    assert unit["name"] and {r["generation"] for r in unit["replaces"]} == {"legacy"}


def test_csv_of_a_layer_reads_back(published: Platform) -> None:
    import pyarrow.csv as pacsv

    path = services.distribution("input-dealers", "csv").path
    table = pacsv.read_csv(io.BytesIO(path.read_bytes()))
    assert table.num_rows > 0 and "licence_no" in table.column_names
    assert "phone" not in table.column_names and "geometry_wkt" in table.column_names
    assert sources.PERSONAL_KEYS.isdisjoint(table.column_names)

