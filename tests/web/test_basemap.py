"""The map's basemap: the PMTiles file served with HTTP range requests, the settings, the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pmtiles.tile import deserialize_header

from nongso.app import create_app
from nongso.core.platform import Platform
from nongso.core.settings import Settings
from tests.web import pmtiles_basemap

URL = "/basemap/dong-thap.pmtiles"


@pytest.fixture(scope="module")
def pmtiles_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("basemap") / "dong-thap.pmtiles"
    pmtiles_basemap.build(path)
    return path


@pytest.fixture
def served(platform: Platform, pmtiles_file: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(platform.settings, "basemap_pmtiles", pmtiles_file)
    with TestClient(create_app(platform)) as c:
        yield c


def test_the_pmtiles_file_is_served_in_ranges(served: TestClient, pmtiles_file: Path) -> None:
    data = pmtiles_file.read_bytes()
    size = len(data)
    # What pmtiles.js asks first: the header and root directory (first 16 KiB).
    r = served.get(URL, headers={"Range": "bytes=0-16383", "Accept-Encoding": "gzip"})
    assert r.status_code == 206
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-range"] == f"bytes 0-16383/{size}"
    assert r.headers["content-type"] == "application/vnd.pmtiles"
    assert "content-encoding" not in r.headers  # the bytes as they are, never gzipped
    assert r.content == data[:16384]
    header = deserialize_header(r.content[:127])
    assert (header["min_zoom"], header["max_zoom"]) == (6, 10)
    # A tile's bytes from the middle of the file.
    start, end = header["tile_data_offset"] + 100, header["tile_data_offset"] + 1099
    r = served.get(URL, headers={"Range": f"bytes={start}-{end}"})
    assert r.status_code == 206 and r.content == data[start:end + 1]
    assert r.headers["content-range"] == f"bytes {start}-{end}/{size}"
    assert r.headers["content-length"] == "1000"
    # The last bytes; an end past the file is cut to it.
    assert served.get(URL, headers={"Range": "bytes=-10"}).content == data[-10:]
    r = served.get(URL, headers={"Range": f"bytes={size - 5}-{size + 100}"})
    assert r.status_code == 206 and r.content == data[-5:]
    # Without a range: the whole file, saying ranges are welcome.
    r = served.get(URL)
    assert r.status_code == 200 and r.content == data and r.headers["accept-ranges"] == "bytes"


def test_bad_ranges_and_other_names_are_refused(served: TestClient, pmtiles_file: Path) -> None:
    size = pmtiles_file.stat().st_size
    r = served.get(URL, headers={"Range": f"bytes={size}-{size + 10}"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{size}"
    assert served.get(URL, headers={"Range": "lines=0-10"}).status_code == 400
    assert served.get(URL, headers={"Range": "bytes=20-10"}).status_code == 400
    # Only the configured file: no other name, no way out of its folder.
    assert served.get("/basemap/other.pmtiles").status_code == 404
    assert served.get("/basemap/..%2Fdong-thap.pmtiles").status_code == 404


def test_without_a_basemap_the_map_says_so(client: TestClient) -> None:
    assert client.get(URL).status_code == 404
    page = client.get("/map").text
    assert "Chưa cấu hình bản đồ nền" in page
    assert "protomaps-leaflet.js" not in page
    en = client.get("/map?lang=en").text
    assert "No basemap configured" in en
    csp = client.get("/map").headers["content-security-policy"]
    assert "img-src 'self' data: blob:;" in csp


def test_a_raster_basemap_is_allowed_by_the_csp(platform: Platform,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform.settings, "basemap_url",
                        "https://{s}.tile.example.org/{z}/{x}/{y}.png")
    monkeypatch.setattr(platform.settings, "basemap_attribution", "© <OpenStreetMap>")
    with TestClient(create_app(platform)) as c:
        r = c.get("/map")
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in \
        r.headers["content-security-policy"]
    assert "Chưa cấu hình bản đồ nền" not in r.text
    assert "https://{s}.tile.example.org/{z}/{x}/{y}.png" in r.text
    assert "<OpenStreetMap>" not in r.text  # the attribution reaches the page as data only


@pytest.mark.parametrize("url", ["ftp://tiles.example.org/{z}/{x}/{y}.png",
                                 "https://tiles.example.org/tiles.png",
                                 "javascript:alert(1)//{z}{x}{y}"])
def test_a_bad_tile_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValueError, match="NONGSO_BASEMAP_URL"):
        Settings(basemap_url=url)
    with pytest.raises(ValueError, match="NONGSO_BASEMAP_PMTILES"):
        Settings(basemap_pmtiles=Path("basemap.mbtiles"))
