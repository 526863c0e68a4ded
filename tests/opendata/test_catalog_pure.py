"""The catalogue builder alone (no database): DCAT-AP 3.0.1 shapes, versions, series, units."""

from __future__ import annotations

import datetime as dt
import json

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from nongso.opendata import catalog, vocab
from nongso.opendata.catalog import DCAT
from tests.opendata.shacl import findings, violations

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
BASE = "https://nongso.example.vn"

OLD_87 = catalog.UnitRef("87", "legacy", "Tỉnh Đồng Tháp", "province",
                         valid_to=dt.date(2025, 6, 30))
OLD_82 = catalog.UnitRef("82", "legacy", "Tỉnh Tiền Giang", "province",
                         valid_to=dt.date(2025, 6, 30))
PROVINCE = catalog.UnitRef("82", "2025", "Tỉnh Đồng Tháp", "province",
                           valid_from=dt.date(2025, 7, 1), lon=105.6, lat=10.45,
                           replaces=(OLD_82, OLD_87))


def _dist(fmt: str) -> catalog.DistributionSpec:
    return catalog.DistributionSpec(fmt, f"x{vocab.FORMATS[fmt].suffix}", 1234, "ab" * 32, 10)


def _dataset(ds_id: str, version: int = 2, series: str | None = None) -> catalog.DatasetSpec:
    return catalog.DatasetSpec(
        id=ds_id, version=version, title_vi="Vùng trồng", title_en="Planting areas",
        description_vi="Mô tả", description_en="Description", keywords_vi=("lúa",),
        keywords_en=("rice",), themes=("AGRI", "REGI"), frequency="UPDATE_CONT", issued=T0,
        modified=T0, distributions=(_dist("csv"), _dist("parquet"), _dist("geojson"),
                                    _dist("geoparquet")),
        spatial=(PROVINCE,), temporal=(dt.date(2025, 7, 1), dt.date(2026, 3, 1)),
        previous_version=version - 1 if version > 1 else None,
        version_notes_vi="Thêm 3 vùng", version_notes_en="3 areas added", series=series)


def _spec() -> catalog.CatalogueSpec:
    series = catalog.SeriesSpec(
        id="seasonal-statistics", title_vi="Thống kê theo vụ", title_en="Seasonal statistics",
        description_vi="Theo xã và vụ", description_en="By commune and season",
        frequency="ANNUAL_3", themes=("AGRI",), spatial=(PROVINCE,),
        temporal=(dt.date(2025, 1, 1), dt.date(2026, 5, 1)),
        members=("seasonal-statistics-he-thu-2025", "seasonal-statistics-dong-xuan-2025-2026"))
    return catalog.CatalogueSpec(
        base_url=BASE, version=2, issued=T0, modified=T0,
        publisher_vi="Sở Nông nghiệp và Môi trường tỉnh Đồng Tháp",
        publisher_en="Department of Agriculture and Environment of Đồng Tháp",
        contact_name="Phòng Dữ liệu", contact_email="dulieu@example.vn",
        licence=vocab.DEFAULT_LICENCE,
        datasets=(_dataset("planting-areas"),
                  _dataset("seasonal-statistics-he-thu-2025", 1, "seasonal-statistics"),
                  _dataset("seasonal-statistics-dong-xuan-2025-2026", 1,
                           "seasonal-statistics")),
        series=(series,))


def test_the_catalogue_meets_the_mandatory_shapes_with_no_violation() -> None:
    g = catalog.build_graph(_spec())
    assert violations(g, "shapes.ttl") == []


def test_the_catalogue_meets_the_range_shapes() -> None:
    g = catalog.build_graph(_spec())
    assert violations(g, "range.ttl") == []


def test_the_shapes_do_find_a_missing_mandatory_property() -> None:
    g = catalog.build_graph(_spec())
    node = URIRef(f"{BASE}/opendata/datasets/planting-areas/v2")
    g.remove((node, DCTERMS.title, None))
    found = violations(g, "shapes.ttl")
    assert [(f.focus, f.path) for f in found] == [(str(node), str(DCTERMS.title))]


def test_the_range_shapes_find_a_licence_without_its_class() -> None:
    g = catalog.build_graph(_spec())
    g.remove((URIRef(vocab.DEFAULT_LICENCE), RDF.type, DCTERMS.LicenseDocument))
    assert {f.path for f in violations(g, "range.ttl")} == {str(DCTERMS.license)}


def test_versions_are_linked() -> None:
    g = catalog.build_graph(_spec())
    node = URIRef(f"{BASE}/opendata/datasets/planting-areas/v2")
    assert g.value(node, DCTERMS.isVersionOf) == URIRef(f"{BASE}/opendata/datasets/planting-areas")
    assert g.value(node, DCAT.previousVersion) == URIRef(
        f"{BASE}/opendata/datasets/planting-areas/v1")
    assert g.value(node, DCAT.version) == Literal("2")


def test_series_have_their_members() -> None:
    g = catalog.build_graph(_spec())
    series = URIRef(f"{BASE}/opendata/series/seasonal-statistics")
    assert (series, RDF.type, DCAT.DatasetSeries) in g
    members = set(g.subjects(DCAT.inSeries, series))
    assert members == {
        URIRef(f"{BASE}/opendata/datasets/seasonal-statistics-he-thu-2025/v1"),
        URIRef(f"{BASE}/opendata/datasets/seasonal-statistics-dong-xuan-2025-2026/v1")}
    assert g.value(series, DCAT.last) == URIRef(
        f"{BASE}/opendata/datasets/seasonal-statistics-dong-xuan-2025-2026/v1")
    # Only the series' own warning about members could appear; none does here.
    assert [f for f in findings(g, "shapes.ttl") if f.focus == str(series)] == []


def test_a_merged_unit_is_named_with_its_former_units_as_history() -> None:
    g = catalog.build_graph(_spec())
    new = URIRef(f"{BASE}/opendata/units/2025/82")
    node = URIRef(f"{BASE}/opendata/datasets/planting-areas/v2")
    assert set(g.objects(node, DCTERMS.spatial)) == {new}
    assert set(g.objects(new, DCTERMS.replaces)) == {
        URIRef(f"{BASE}/opendata/units/legacy/82"), URIRef(f"{BASE}/opendata/units/legacy/87")}
    assert g.value(URIRef(f"{BASE}/opendata/units/legacy/87"), DCTERMS.isReplacedBy) == new


def test_distributions_carry_media_type_size_and_checksum() -> None:
    g = catalog.build_graph(_spec())
    dist = URIRef(f"{BASE}/opendata/datasets/planting-areas/v2/distributions/geojson")
    assert g.value(dist, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/application/geo+json")
    assert int(g.value(dist, DCAT.byteSize)) == 1234  # type: ignore[arg-type]
    assert g.value(dist, DCAT.downloadURL) == URIRef(
        f"{BASE}/opendata/files/v2/planting-areas/x.geojson")


def test_json_ld_and_turtle_say_the_same() -> None:
    g = catalog.build_graph(_spec())
    from_jsonld = Graph().parse(data=catalog.serialize(g, "jsonld"), format="json-ld")
    from_ttl = Graph().parse(data=catalog.serialize(g, "ttl"), format="turtle")
    assert len(from_jsonld) == len(from_ttl) == len(g)
    doc = json.loads(catalog.serialize(g, "jsonld"))
    assert doc["@context"]["dcat"] == str(DCAT)
