"""Scene sources: the registry of named sources, with a fake object store for tests."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from nongso.core.errors import ValidationFailed
from nongso.core.permissions import SYSTEM
from nongso.remote import rasters, sources
from nongso.remote import services as remote
from tests.helpers import Actors


class FakeObjectStore:
    """A stand-in for an object store: keys → bytes, copied to a local cache when listed (as
    a real store's client would download or a /vsi path would stream)."""

    kind = "fake"
    objects: dict[str, bytes] = {}  # noqa: RUF012 (shared by the instances of one test)

    def __init__(self, location: str) -> None:
        self.cache = Path(location)

    def scenes(self) -> list[sources.SceneFile]:
        out = []
        for key, content in sorted(self.objects.items()):
            path = self.cache / key.replace("/", "_")
            if not path.exists():
                path.write_bytes(content)
            out.append(sources.SceneFile(f"fake://bucket/{key}", path,
                                         f"{len(content)}-{hash(content) & 0xFFFF:x}"))
        return out


@pytest.fixture
def fake_store(tmp_path: Path) -> FakeObjectStore:
    sources.register_source("fake", FakeObjectStore)
    FakeObjectStore.objects = {}
    for k, day in enumerate((dt.date(2026, 5, 1), dt.date(2026, 5, 13))):
        path = rasters.write_cog(
            tmp_path / f"src{k}.tif",
            {b: np.full((20, 20), -15.0 - k, dtype=np.float32) for b in ("vh", "vv")},
            x0=580_000.0, y0=1_157_000.0, pixel=10.0, crs="EPSG:32648", acquired_on=day,
            sensor="s1")
        FakeObjectStore.objects[f"s1/{day}.tif"] = path.read_bytes()
    cache = tmp_path / "cache"
    cache.mkdir()
    yield FakeObjectStore(str(cache))
    sources._SOURCES.pop("fake", None)
    shutil.rmtree(cache, ignore_errors=True)


def test_a_registered_source_feeds_the_ingestion(actors: Actors,
                                                 fake_store: FakeObjectStore) -> None:
    assert "fake" in sources.source_kinds() and "local" in sources.source_kinds()
    report = remote.ingest(actors.platform.uow(SYSTEM), "fake", str(fake_store.cache))
    assert report.registered == 2 and report.rejected == []
    scene = remote.get_scene(actors.platform.uow(SYSTEM), report.scene_ids[0])
    assert scene.uri.startswith("fake://bucket/s1/") and scene.source == "fake"
    assert scene.acquired_on == dt.date(2026, 5, 1) and scene.crs == "EPSG:32648"
    assert scene.footprint["type"] == "Polygon"
    # A new object appears: only it is registered.
    FakeObjectStore.objects["s1/2026-05-25.tif"] = FakeObjectStore.objects["s1/2026-05-13.tif"]
    again = remote.ingest(actors.platform.uow(SYSTEM), "fake", str(fake_store.cache))
    assert (again.registered, again.already) == (1, 2)


def test_an_unknown_source_or_folder_says_so() -> None:
    with pytest.raises(ValidationFailed) as info:
        sources.open_source("stac", "https://example.invalid/stac")
    assert "stac" in info.value.message_en and "local" in info.value.message_en
    with pytest.raises(ValidationFailed):
        sources.open_source("local", "/nonexistent/folder")
