"""Zonal statistics of the newly registered scenes over the fields and communes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from shapely.geometry import box, shape
from sqlalchemy import insert, select

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed, not_found
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.remote import geometry, zonal
from nongso.remote.models import CommuneStat, FieldStat, Scene
from nongso.remote.schemas import BandStat, ReduceReport, ZonalRequest, ZonalResponse, ZonalResult
from nongso.remote.services._common import province_of, require_login_only, require_run

INSERT_BATCH = 5000
# The registry's units that are single fields (not blocks, dyke rings or whole areas).
FIELD_KINDS = ("plot", "orchard", "planting_area", "aquaculture")


def _value_bands(scene: Scene) -> list[str]:
    return [b for b in scene.bands if b != "cloud"]


def _rows(scene: Scene, band: str, stats: list[zonal.ZoneStat], communes: dict[int, str]
          ) -> list[dict[str, Any]]:
    return [dict(scene_id=scene.id, field_id=z.zone_id, band=band,
                 acquired_on=scene.acquired_on, commune_code=communes[z.zone_id],
                 mean=z.mean, median=z.median, p10=z.p10, p90=z.p90,
                 valid_share=z.valid_share, pixels=z.pixels) for z in stats]


def reduce_new_scenes(uow: UnitOfWork, province_code: str | None = None, client: Any = None,
                      chunk_size: int = 5000) -> ReduceReport:
    """Zonal statistics of every scene not reduced yet (incremental: only new dates) over the
    province's fields and communes, in one transaction; ``client``: a Dask distributed client
    (default: Dask's threads)."""
    province = province_of(uow.principal, province_code)
    require_run(uow.principal, province)
    n_scenes = n_empty = n_field = n_commune = 0
    fields_seen: set[int] = set()
    with uow:
        s = uow.session
        scenes = s.scalars(select(Scene).where(Scene.status == "registered")
                           .order_by(Scene.acquired_on, Scene.id)).all()
        if not scenes:
            return ReduceReport(scenes=0, empty_scenes=0, field_values=0, commune_values=0,
                                fields=0)
        boundaries = registry.boundaries_geojson(uow, province)
        communes_geo = [(f["properties"]["code"], f["geometry"]) for f in boundaries["features"]
                        if f["properties"]["level"] == "commune"]
        zone_cache: dict[tuple[str, tuple[float, ...]], tuple[list[zonal.Zone],
                                                              dict[int, str]]] = {}
        for scene in scenes:
            bbox = (scene.min_lon, scene.min_lat, scene.max_lon, scene.max_lat)
            key = (scene.crs, bbox)
            if key not in zone_cache:
                fields = [f for f in registry.field_geometries(uow, province, bbox=bbox)
                          if f.properties.get("kind") in FIELD_KINDS]
                zones = zonal.project_zones([(f.id, f.geometry or {}) for f in fields],
                                            scene.crs)
                zone_cache[key] = (zones, {f.id: str(f.properties["commune_code"])
                                           for f in fields})
            zones, commune_of = zone_cache[key]
            bands = _value_bands(scene)
            results = zonal.zonal_scene(Path(scene.path), bands, scene.units, zones,
                                        scene.pixel_m, chunk_size=chunk_size, client=client)
            rows = [r for b in bands for r in _rows(scene, b, results[b], commune_of)]
            for i in range(0, len(rows), INSERT_BATCH):
                s.execute(insert(FieldStat), rows[i:i + INSERT_BATCH])
            n_field += len(rows)
            fields_seen.update(z.zone_id for b in bands for z in results[b])
            # Communes: their boundaries (real, or the demo's synthetic ones) over the scene.
            foot = box(*bbox)
            inside = [(k + 1, geom) for k, (_, geom) in enumerate(communes_geo)
                      if shape(geom).intersects(foot)]
            czones = zonal.project_zones(inside, scene.crs)
            cres = zonal.zonal_scene(Path(scene.path), bands, scene.units, czones,
                                     scene.pixel_m, chunk_size=50)
            crow = [dict(scene_id=scene.id, commune_code=communes_geo[z.zone_id - 1][0], band=b,
                         acquired_on=scene.acquired_on, mean=z.mean, median=z.median,
                         p10=z.p10, p90=z.p90, valid_share=z.valid_share, pixels=z.pixels)
                    for b in bands for z in cres[b]]
            if crow:
                s.execute(insert(CommuneStat), crow)
            n_commune += len(crow)
            clear = any(r["valid_share"] > 0 for r in rows) or (
                scene.cloud_share is not None and scene.cloud_share < 0.999)
            scene.status = "reduced" if clear else "empty"
            n_empty += not clear
            scene.fields_reduced = len({r["field_id"] for r in rows})
            scene.reduced_at = clock.now()
            n_scenes += 1
        uow.commit()
    return ReduceReport(scenes=n_scenes, empty_scenes=n_empty, field_values=n_field,
                        commune_values=n_commune, fields=len(fields_seen))


def zonal_for_polygons(uow: UnitOfWork, data: ZonalRequest) -> ZonalResponse:
    """Zonal statistics of one scene over polygons given by the caller (lon/lat GeoJSON);
    every polygon is checked first and all problems are reported together."""
    require_login_only(uow.principal)
    errors: list[FieldError] = []
    for i, f in enumerate(data.features):
        problem = geometry.check_polygon(f.geometry, f"features/{i}/geometry")
        if problem is not None:
            errors.append(problem)
    if errors:
        raise ValidationFailed(
            f"{len(errors)} đa giác không dùng được (xem chi tiết).",
            f"{len(errors)} polygon(s) cannot be used (see details).", errors)
    with uow:
        scene = uow.session.get(Scene, data.scene_id)
        if scene is None:
            raise not_found("ảnh", "scene", data.scene_id)
        ids = [f.id or i + 1 for i, f in enumerate(data.features)]
        zones = zonal.project_zones(list(zip(ids, [f.geometry for f in data.features],
                                             strict=True)), scene.crs)
        bands = _value_bands(scene)
        res = zonal.zonal_scene(Path(scene.path), bands, scene.units, zones, scene.pixel_m)
        by_zone: dict[int, list[BandStat]] = {z: [] for z in ids}
        for b in bands:
            for st in res[b]:
                by_zone[st.zone_id].append(BandStat(
                    band=b, mean=st.mean, median=st.median, p10=st.p10, p90=st.p90,
                    valid_share=st.valid_share, pixels=st.pixels))
        pixel_area = scene.pixel_m ** 2
        return ZonalResponse(
            scene_id=scene.id, acquired_on=scene.acquired_on,
            units="dB" if scene.product == "radar" else "index",
            results=[ZonalResult(id=z.id, subpixel=z.area_m2 < pixel_area,
                                 stats=by_zone[z.id]) for z in zones
                     if not math.isnan(z.area_m2)])
