"""Publishing the demo province's open data: DCAT-AP shapes on the real catalogue, no personal
data in any file, small groups suppressed, versions kept and linked, bad requests answered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from sqlalchemy import select, update

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services as demo
from nongso.opendata import providers, services
from nongso.opendata.schemas import OpendataSettingsUpdate
from nongso.registry.models import Farmer


@pytest.fixture
def published(platform: Platform, tmp_path: Path) -> Iterator[Path]:
    previous = services.use_root(tmp_path / "opendata")
    try:
        demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
        yield tmp_path / "opendata"
    finally:
        services.use_root(previous)


def _files(root: Path) -> list[Path]:
    cat = services.catalogue()
    return [services.distribution(d.id, x.format).path for d in cat.datasets
            for x in d.distributions]


def _texts(path: Path) -> str:
    if path.suffix in (".parquet", ".geoparquet"):
        table = pq.read_table(path)
        return "\n".join(str(v) for col in table.columns
                         if pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
                         for v in col.to_pylist())
    return path.read_text(encoding="utf-8")


def test_no_personal_data_in_any_distribution(platform: Platform, tmp_path: Path) -> None:
    previous = services.use_root(tmp_path / "opendata")
    try:
        demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
        with platform.uow() as uow:  # give some farmers national ids, so they are needles too
            ids = list(uow.session.scalars(select(Farmer.id).order_by(Farmer.id).limit(20)))
            for n, fid in enumerate(ids):
                uow.session.execute(update(Farmer).where(Farmer.id == fid)
                                    .values(national_id=f"0820{n:08d}"))
            uow.commit()
        services.build_catalogue(platform.uow(SYSTEM), force=True)
        with platform.uow() as uow:
            farmers = uow.session.execute(select(Farmer.full_name, Farmer.phone,
                                                 Farmer.national_id)).all()
        needles = {v for row in farmers for v in row if v}
        assert len(needles) > 100
        files = _files(tmp_path / "opendata")
        assert len(files) >= 20
        for path in files:
            text = _texts(path)
            found = sorted(n for n in needles if n in text)
            assert found == [], (path.name, found[:5])
            assert "farmer_id" not in text.split("\n", 1)[0]
        # The scan does find a name when one is there.
        assert any(n in f"x {farmers[0][0]} y" for n in needles)
    finally:
        services.use_root(previous)


def test_aggregates_of_too_few_farms_are_suppressed(published: Path, platform: Platform) -> None:
    seasonal = [d for d in services.catalogue().datasets if d.series == "seasonal-statistics"]
    rows = [r for d in seasonal for r in pq.read_table(
        services.distribution(d.id, "parquet").path).to_pylist()]
    assert rows and min(r["farms"] for r in rows) >= 3
    services.update_settings(platform.uow(SYSTEM), OpendataSettingsUpdate(min_farms=1000))
    services.build_catalogue(platform.uow(SYSTEM))
    after = [d for d in services.catalogue().datasets if d.series == "seasonal-statistics"]
    assert all(d.rows == 0 for d in after)
    assert sum(d.suppressed_rows for d in after) >= len(rows)


def test_versions_are_kept_and_linked(published: Path, platform: Platform,
                                      client: TestClient) -> None:
    first = services.catalogue()
    again = services.build_catalogue(platform.uow(SYSTEM))
    assert again.changed == [] and again.version == first.version + 1

    class Extra:
        name = "test-extra"

        def series(self) -> tuple[()]:
            return ()

        def publications(self, uow, ctx):  # type: ignore[no-untyped-def]
            rows = getattr(self, "rows", [1, 2])
            yield providers.Publication(
                id="test-extra", title_vi="Thử", title_en="Test", description_vi="Thử",
                description_en="Test", keywords_vi=(), keywords_en=(), themes=("AGRI",),
                frequency="IRREG", table=pa.table({"id": rows}))

    extra = Extra()
    providers.register_provider(extra)
    try:
        services.build_catalogue(platform.uow(SYSTEM))
        extra.rows = [1, 2, 3]  # type: ignore[attr-defined]
        report = services.build_catalogue(platform.uow(SYSTEM))
        assert report.changed == ["test-extra"]
        ds = services.dataset("test-extra")
        assert ds.version == 2 and ds.previous_version == 1
        assert "version 1: 2 rows" in ds.version_notes_en
        old = client.get("/opendata/files/test-extra/v1/test-extra.csv")
        assert old.status_code == 200 and old.text.splitlines() == ["\"id\"", "1", "2"]
        new = client.get("/opendata/datasets/test-extra.csv")
        assert new.headers["x-opendata-version"] == "2" and new.text.count("\n") == 4
        g = Graph().parse(services.catalogue_document("ttl").path, format="turtle")
        node = URIRef("http://127.0.0.1:8000/opendata/datasets/test-extra/v2")
        assert g.value(node, URIRef("http://www.w3.org/ns/dcat#previousVersion")) == URIRef(
            "http://127.0.0.1:8000/opendata/datasets/test-extra/v1")
        page = client.get("/opendata/datasets/test-extra.html?lang=en")
        assert page.status_code == 200 and "Previous version" in page.text
    finally:
        providers.unregister_provider("test-extra")


def test_a_file_asked_for_during_a_build_is_the_previous_complete_version(
        published: Path, platform: Platform, client: TestClient) -> None:
    before = services.catalogue().version
    entered, release = threading.Event(), threading.Event()

    class Slow:
        name = "zz-slow"

        def series(self) -> tuple[()]:
            return ()

        def publications(self, uow, ctx):  # type: ignore[no-untyped-def]
            entered.set()
            assert release.wait(30)
            return []

    providers.register_provider(Slow())
    errors: list[BaseException] = []

    def run() -> None:
        try:
            services.build_catalogue(platform.uow(SYSTEM), force=True)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    try:
        worker.start()
        assert entered.wait(60)
        # New versions of every dataset are written, the catalogue is not switched yet.
        answer = client.get("/opendata/datasets/planting-areas.csv")
        assert answer.status_code == 200
        assert answer.headers["x-opendata-version"] == "1"
        assert client.get("/opendata/catalog.jsonld").headers["x-opendata-version"] == str(before)
        busy = client.post("/api/v1/opendata/build", headers=_admin(client, platform))
        assert busy.status_code == 409
    finally:
        release.set()
        worker.join(60)
        providers.unregister_provider("zz-slow")
    assert errors == []
    assert client.get("/opendata/datasets/planting-areas.csv").headers[
        "x-opendata-version"] == "2"


def _admin(client: TestClient, platform: Platform) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token",
                         json={"username": "admin", "password": "mat-khau-demo"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_dataset_naming_a_merged_unit_names_the_2025_unit(published: Path,
                                                            platform: Platform) -> None:
    from nongso.units import services as units

    province = units.get_unit(platform.uow(), "82")
    old_code = province.children[0].code
    merged = units.get_unit(platform.uow(), old_code)
    assert merged.predecessors
    legacy = merged.predecessors[0].unit.code

    class Legacy:
        name = "test-legacy"

        def series(self) -> tuple[()]:
            return ()

        def publications(self, uow, ctx):  # type: ignore[no-untyped-def]
            yield providers.Publication(
                id="test-legacy", title_vi="Thử", title_en="Test", description_vi="Thử",
                description_en="Test", keywords_vi=(), keywords_en=(), themes=("AGRI",),
                frequency="IRREG", table=pa.table({"id": [1]}), unit_codes=(legacy,))

    providers.register_provider(Legacy())
    try:
        services.build_catalogue(platform.uow(SYSTEM))
    finally:
        providers.unregister_provider("test-legacy")
    ds = services.dataset("test-legacy")
    names = {(u.generation, u.code): [(r.generation, r.code) for r in u.replaces]
             for u in ds.spatial}
    new_units = [k for k, v in names.items() if ("legacy", legacy) in v]
    assert new_units and all(gen == "2025" for gen, _ in new_units)
