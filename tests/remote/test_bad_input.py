"""Bad input gets a clear answer (vi by default, en on request) and writes nothing."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import func, select

from nongso.remote import geometry, rasters, zonal
from nongso.remote.models import Scene
from tests.helpers import Actors
from tests.remote.conftest import TO_UTM, Scenes, polygon

DAY = dt.date(2026, 5, 1)
X0, Y0 = 580_000.0, 1_157_000.0  # UTM 48N, in the province


def _cog(path: Path, sensor: str, values: dict[str, np.ndarray], crs: str = "EPSG:32648",
         x0: float = X0, y0: float = Y0, **kw: object) -> Path:
    return rasters.write_cog(path, values, x0=x0, y0=y0, pixel=10.0, crs=crs,  # type: ignore[arg-type]
                             acquired_on=DAY, sensor=sensor, **kw)


def _radar(value_db: float, n: int = 40) -> dict[str, np.ndarray]:
    return {b: np.full((n, n), value_db, dtype=np.float32) for b in ("vh", "vv")}


def _rejected(path: Path, loc: str) -> rasters.SceneRejected:
    with pytest.raises(rasters.SceneRejected) as info:
        rasters.inspect(path)
    assert info.value.errors[0].loc == loc
    assert info.value.message_vi != info.value.message_en
    return info.value


def test_ndvi_with_nodata_zero_is_refused(tmp_path: Path) -> None:
    ndvi = {"ndvi": np.zeros((30, 30), dtype=np.float32),
            "cloud": np.zeros((30, 30), dtype=np.float32)}
    err = _rejected(_cog(tmp_path / "n.tif", "s2", ndvi, nodata=0.0), "nodata")
    assert "NaN" in err.message_en and "NDVI" in err.message_vi


def test_nan_nodata_is_fine(tmp_path: Path) -> None:
    ndvi = {"ndvi": np.full((30, 30), np.nan, dtype=np.float32),
            "cloud": np.zeros((30, 30), dtype=np.float32)}
    ndvi["ndvi"][5:, :] = 0.4
    info = rasters.inspect(_cog(tmp_path / "n.tif", "s2", ndvi))
    assert info.nodata is None and info.is_cog and info.cloud_share == 0.0


def test_linear_backscatter_labelled_db_is_refused(tmp_path: Path) -> None:
    err = _rejected(_cog(tmp_path / "lin.tif", "s1", _radar(0.02)), "tags.NONGSO_UNITS")
    assert "linear" in err.message_en


def test_db_labelled_linear_is_refused(tmp_path: Path) -> None:
    _rejected(_cog(tmp_path / "db.tif", "s1", _radar(-15.0), units="linear"),
              "tags.NONGSO_UNITS")


def test_linear_and_db_scenes_give_the_same_statistics(tmp_path: Path) -> None:
    db = rasters.inspect(_cog(tmp_path / "db.tif", "s1", _radar(-15.0)))
    lin = rasters.inspect(_cog(tmp_path / "lin.tif", "s1", _radar(10 ** -1.5),
                               units="linear"))
    assert (db.units, lin.units) == ("dB", "linear")
    field = [(1, polygon(X0 + 50, Y0 - 250, 60, 100))]
    zones = zonal.project_zones(field, db.crs)
    a = zonal.zonal_scene(tmp_path / "db.tif", ["vh"], db.units, zones, 10.0)["vh"][0]
    b = zonal.zonal_scene(tmp_path / "lin.tif", ["vh"], lin.units, zones, 10.0)["vh"][0]
    assert a.mean is not None and b.mean is not None
    assert math.isclose(a.mean, -15.0, abs_tol=1e-3) and math.isclose(b.mean, -15.0, abs_tol=1e-3)


def test_a_raster_in_another_projection_is_reduced_in_its_own_crs(tmp_path: Path) -> None:
    """VN-2000 / UTM 48N (EPSG:3405): fields are projected to the raster, not the reverse."""
    to_vn = Transformer.from_crs(32648, 3405, always_xy=True)
    x, y = to_vn.transform(X0, Y0)
    values = np.full((40, 40), 0.6, dtype=np.float32)
    values[:, 20:] = 0.2
    path = _cog(tmp_path / "vn.tif", "s2", {"ndvi": values,
                                            "cloud": np.zeros_like(values)},
                crs="EPSG:3405", x0=round(x), y0=round(y))
    info = rasters.inspect(path)
    assert info.crs == "EPSG:3405"
    # A field in the left half (lon/lat from the WGS 84 / UTM grid).
    left = [(1, polygon(X0 + 30, Y0 - 300, 100, 60))]
    stat = zonal.zonal_scene(path, ["ndvi"], "index", zonal.project_zones(left, info.crs),
                             10.0)["ndvi"][0]
    assert stat.median is not None and math.isclose(stat.median, 0.6, abs_tol=1e-6)


def test_a_wrong_crs_label_puts_the_footprint_outside_viet_nam(tmp_path: Path) -> None:
    err = _rejected(_cog(tmp_path / "z49.tif", "s1", _radar(-15.0), crs="EPSG:32649"), "crs")
    assert "outside Viet Nam" in err.message_en


def test_geographic_crs_and_missing_tags_are_refused(tmp_path: Path) -> None:
    path = _cog(tmp_path / "geo.tif", "s1", _radar(-15.0), crs="EPSG:4326", x0=105.6,
                y0=10.5)
    _rejected(path, "crs")
    import rasterio

    plain = tmp_path / "plain.tif"
    with rasterio.open(plain, "w", driver="GTiff", width=8, height=8, count=1,
                       dtype="float32", crs="EPSG:32648",
                       transform=rasterio.transform.from_origin(X0, Y0, 10, 10)) as dst:
        dst.write(np.zeros((1, 8, 8), dtype=np.float32))
    _rejected(plain, "tags.NONGSO_SENSOR")
    (tmp_path / "junk.tif").write_bytes(b"not a tiff")
    _rejected(tmp_path / "junk.tif", "file")


@pytest.mark.parametrize(("case", "fragment"), [
    ("swapped", "swapped"), ("metres", "metres"), ("bowtie", "self-intersecting"),
    ("sliver", "sliver"), ("outside", "outside Viet Nam"), ("point", "Polygon"),
])
def test_polygon_checks(case: str, fragment: str) -> None:
    good = polygon(*TO_UTM.transform(105.62, 10.46), 50, 80)
    ring = good["coordinates"][0]
    geoms = {
        "swapped": {"type": "Polygon", "coordinates": [[[b, a] for a, b in ring]]},
        "metres": polygon(580000, 1157000, 50, 80) | {"coordinates": [[
            [580000 + dx, 1157000 + dy] for dx, dy in ((0, 0), (50, 0), (50, 80), (0, 80),
                                                        (0, 0))]]},
        "bowtie": {"type": "Polygon", "coordinates": [[ring[0], ring[2], ring[1], ring[3],
                                                        ring[0]]]},
        "sliver": {"type": "Polygon", "coordinates": [[ring[0], ring[1],
                                                        [ring[1][0], ring[1][1] + 1e-8],
                                                        ring[0]]]},
        "outside": {"type": "Polygon", "coordinates": [[[a + 20, b] for a, b in ring]]},
        "point": {"type": "Point", "coordinates": ring[0]},
    }
    assert geometry.check_polygon(good, "g") is None
    problem = geometry.check_polygon(geoms[case], "features/0/geometry")
    assert problem is not None and fragment in problem.message_en
    assert problem.loc == "features/0/geometry"


def _admin(actors: Actors, scenes: Scenes) -> dict[str, str]:
    headers = actors.headers("admin")
    r = actors.client.post("/api/v1/remote/ingest", headers=headers,
                           json={"location": str(scenes.folder)})
    assert r.status_code == 200, r.text
    return headers


def test_api_zonal_reports_every_bad_polygon(actors: Actors, scenes: Scenes) -> None:
    headers = _admin(actors, scenes)
    scene = actors.client.get("/api/v1/remote/scenes?sensor=s1&limit=1",
                              headers=headers).json()["items"][0]
    ring = scenes.layout[0][1]["coordinates"][0]
    bad = {"scene_id": scene["id"], "features": [
        {"type": "Feature", "geometry": scenes.layout[0][1]},
        {"type": "Feature", "geometry": {"type": "Polygon",
                                         "coordinates": [[[b, a] for a, b in ring]]}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
            ring[0], ring[2], ring[1], ring[3], ring[0]]]}},
    ]}
    r = actors.client.post("/api/v1/remote/zonal", headers=headers, json=bad)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert [e["loc"] for e in body["errors"]] == ["features/1/geometry", "features/2/geometry"]
    assert "đảo" in body["errors"][0]["message"]
    en = actors.client.post("/api/v1/remote/zonal", json=bad,
                            headers=headers | {"Accept-Language": "en"}).json()
    assert "swapped" in en["errors"][0]["message"]
    # The good and the sub-pixel polygons alone are reduced, the tiny one from its pixel.
    tiny = scenes.layout[-1][1]
    ok = actors.client.post("/api/v1/remote/zonal", headers=headers, json={
        "scene_id": scene["id"], "features": [{"type": "Feature", "geometry": g}
                                              for g in (scenes.layout[0][1], tiny)]})
    assert ok.status_code == 200, ok.text
    results = ok.json()["results"]
    assert [x["subpixel"] for x in results] == [False, True]
    assert all(s["median"] is not None and s["median"] < 0 for x in results
               for s in x["stats"])


def test_api_ingest_refuses_folders_outside_the_scene_root_and_other_roles(
        actors: Actors, scenes: Scenes) -> None:
    r = actors.client.post("/api/v1/remote/ingest", headers=actors.headers("admin"),
                           json={"location": "../../etc"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "location"
    r = actors.client.post("/api/v1/remote/ingest", headers=actors.headers("commune_a"),
                           json={"location": str(scenes.folder)})
    assert r.status_code == 403
    r = actors.client.post("/api/v1/remote/ingest", json={"location": str(scenes.folder)})
    assert r.status_code == 401
    with actors.platform.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Scene)) == 0


def test_api_ingest_reports_a_bad_file_and_keeps_the_good_ones(
        actors: Actors, scenes: Scenes, client: TestClient) -> None:
    from nongso.core.settings import get_settings

    folder = get_settings().var_dir / "remote" / "mixed"
    folder.mkdir(parents=True, exist_ok=True)
    _cog(folder / "good.tif", "s1", _radar(-15.0))
    _cog(folder / "linear.tif", "s1", _radar(0.02))
    r = client.post("/api/v1/remote/ingest", json={"location": "mixed"},
                    headers=actors.headers("province") | {"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["registered"] == 1 and len(body["rejected"]) == 1
    assert body["rejected"][0]["uri"].endswith("linear.tif")
    assert "linear power" in body["rejected"][0]["message"]
