"""Zonal statistics of a scene's bands over fields and communes, with exactextract.

exactextract weighs every pixel by the share of it the polygon covers, so a field smaller than
a pixel still gets the value of the pixel(s) it lies in (never NaN while a valid pixel covers
it). Statistics: mean, median, 10th and 90th percentiles, and the valid-pixel share (the part
of the polygon's area covered by pixels that are neither nodata nor cloud). Radar means are
taken in linear power and reported in dB.

For a region, :func:`zonal_scene` splits the zones into spatial chunks, reads only the window
of the raster each chunk needs and runs the chunks as Dask tasks (the threaded scheduler by
default, or a ``distributed`` client such as a ``LocalCluster``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from pyproj import CRS, Transformer
from shapely.geometry import mapping

from nongso.remote.rasters import BandData, read_band

OPS = ["mean", "median", "quantile(q=0.1)", "quantile(q=0.9)", "count"]


@dataclass(frozen=True)
class Zone:
    """A polygon in the raster's CRS (GeoJSON mapping), its area (m²) and bounding box."""

    id: int
    geometry: dict[str, Any]
    area_m2: float
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class ZoneStat:
    zone_id: int
    mean: float | None
    median: float | None
    p10: float | None
    p90: float | None
    valid_share: float
    pixels: float  # valid pixels, coverage-weighted


_TRANSFORMERS: dict[str, Transformer] = {}


def _to_crs(crs: str) -> Transformer:
    t = _TRANSFORMERS.get(crs)
    if t is None:
        t = Transformer.from_crs(CRS.from_epsg(4326), CRS.from_user_input(crs), always_xy=True)
        _TRANSFORMERS[crs] = t
    return t


def project_zones(items: Sequence[tuple[int, dict[str, Any]]], crs: str) -> list[Zone]:
    """GeoJSON polygons in lon/lat (WGS 84) → zones in the raster's CRS."""
    if not items:
        return []
    geoms = shapely.from_geojson([_dumps(g) for _, g in items])
    transformer = _to_crs(crs)

    def move(xy: Any) -> Any:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    projected = shapely.transform(geoms, move)
    areas = shapely.area(projected)
    bounds = shapely.bounds(projected)
    return [Zone(zid, mapping(g), float(a), (float(b[0]), float(b[1]), float(b[2]),
                                              float(b[3])))
            for (zid, _), g, a, b in zip(items, projected, areas, bounds, strict=True)]


def _dumps(geometry: dict[str, Any]) -> str:
    import json

    return json.dumps(geometry)


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _db(value: float | None) -> float | None:
    if value is None or value <= 0:
        return None
    return 10.0 * math.log10(value)


def zonal(band: BandData, zones: Sequence[Zone], in_db: bool = False) -> list[ZoneStat]:
    """The statistics of one band over the zones that overlap it."""
    x0, y0, x1, y1 = band.bounds
    inside = [z for z in zones if z.bbox[2] > x0 and z.bbox[0] < x1 and z.bbox[3] > y0
              and z.bbox[1] < y1 and z.area_m2 > 0]
    if not inside or band.values.size == 0:
        return []
    source = NumPyRasterSource(band.values, x0, y0, x1, y1, nodata=math.nan)
    features = [{"type": "Feature", "id": z.id, "properties": {}, "geometry": z.geometry}
                for z in inside]
    rows = exact_extract(source, features, OPS, include_cols=["id"],
                         strategy="raster-sequential")
    pixel_area = band.pixel * band.pixel
    out = []
    for z, row in zip(inside, rows, strict=True):
        p = row["properties"]
        count = float(p.get("count") or 0.0)
        stats = [_clean(p.get(k)) for k in ("mean", "median", "quantile_10", "quantile_90")]
        if count <= 0:
            stats = [None, None, None, None]
        if in_db:
            stats = [_db(v) for v in stats]
        share = min(1.0, count * pixel_area / z.area_m2) if z.area_m2 > 0 else 0.0
        out.append(ZoneStat(z.id, stats[0], stats[1], stats[2], stats[3],
                            valid_share=round(share, 4), pixels=round(count, 3)))
    return out


def chunks(zones: Sequence[Zone], size: int) -> list[list[Zone]]:
    """Zones in spatial chunks (sorted along a Z-order of their centres) of ``size``."""
    if not zones:
        return []
    cx = np.array([(z.bbox[0] + z.bbox[2]) / 2 for z in zones])
    cy = np.array([(z.bbox[1] + z.bbox[3]) / 2 for z in zones])
    span = max(float(np.ptp(cx)), float(np.ptp(cy)), 1.0)
    ix = ((cx - cx.min()) / span * 65535).astype(np.uint32)
    iy = ((cy - cy.min()) / span * 65535).astype(np.uint32)
    key = np.zeros(len(zones), dtype=np.uint64)
    for bit in range(16):
        key |= ((ix >> bit) & 1).astype(np.uint64) << np.uint64(2 * bit)
        key |= ((iy >> bit) & 1).astype(np.uint64) << np.uint64(2 * bit + 1)
    order = np.argsort(key, kind="stable")
    ordered = [zones[int(i)] for i in order]
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


class _Chunk:
    """Zones handed to a Dask task as one opaque object (Dask does not walk through it)."""

    def __init__(self, zones: list[Zone]) -> None:
        self.zones = zones
        self.key = uuid.uuid4().hex

    def __dask_tokenize__(self) -> str:
        return self.key


def _chunk_task(path: str, band: str, units: str, chunk: _Chunk, pad: float
                ) -> list[ZoneStat]:
    zones = chunk.zones
    x0 = min(z.bbox[0] for z in zones) - pad
    y0 = min(z.bbox[1] for z in zones) - pad
    x1 = max(z.bbox[2] for z in zones) + pad
    y1 = max(z.bbox[3] for z in zones) + pad
    data = read_band(Path(path), band, units, window=(x0, y0, x1, y1))
    return zonal(data, zones, in_db=band in ("vh", "vv"))


def zonal_scene(path: Path, bands: Sequence[str], units: str, zones: Sequence[Zone],
                pixel: float, chunk_size: int = 5000, client: Any = None
                ) -> dict[str, list[ZoneStat]]:
    """Every band of a scene over the zones, chunk by chunk as Dask tasks."""
    from dask.base import compute
    from dask.delayed import delayed

    parts = [_Chunk(c) for c in chunks(zones, chunk_size)]
    tasks = {b: [delayed(_chunk_task, pure=False)(str(path), b, units, part, 2 * pixel)
                 for part in parts] for b in bands}
    if client is not None:
        futures = {b: client.compute(t) for b, t in tasks.items()}
        results = {b: client.gather(f) for b, f in futures.items()}
    else:
        results = dict(zip(tasks, compute(*tasks.values(), scheduler="threads"),  # type: ignore[no-untyped-call]
                           strict=True))
    return {b: [s for part in results[b] for s in part] for b in bands}


def polygon_area_m2(geometry: dict[str, Any], crs: str) -> float:
    """The area of a lon/lat polygon in a projected CRS (m²)."""
    return float(project_zones([(0, geometry)], crs)[0].area_m2) if geometry else 0.0

