"""A small PMTiles v3 vector basemap built from the synthetic outlines, for the tests.

The tiles are Mapbox Vector Tiles encoded here (a few protobuf fields, spec 2.1) with the
Protomaps basemap layer names, so protomaps-leaflet's "light" flavour draws them: ``earth``
(the land: the province's communes) and ``boundaries`` (the commune outlines). The archive is
written with the ``pmtiles`` package's writer.
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path

import numpy as np
import shapely
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from nongso.registry import boundaries

EXTENT = 4096


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:  # length-delimited
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _uint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 31)


def _command(cmd: int, count: int) -> int:
    return (count << 3) | cmd


def _geometry(geom: BaseGeometry) -> tuple[int, list[int]]:
    """MVT geometry type and commands of a (multi)polygon or (multi)line in tile coordinates."""
    cursor = [0, 0]
    out: list[int] = []

    def path(coords: list[tuple[int, int]], closed: bool) -> None:
        pts: list[tuple[int, int]] = []
        for x, y in coords:
            if not pts or (x, y) != pts[-1]:
                pts.append((x, y))
        if closed and len(pts) > 1 and pts[0] == pts[-1]:
            pts.pop()
        if len(pts) < (3 if closed else 2):
            return
        out.extend([_command(1, 1), _zigzag(pts[0][0] - cursor[0]), _zigzag(pts[0][1] - cursor[1])])
        cursor[:] = pts[0]
        out.append(_command(2, len(pts) - 1))
        for x, y in pts[1:]:
            out.extend([_zigzag(x - cursor[0]), _zigzag(y - cursor[1])])
            cursor[:] = [x, y]
        if closed:
            out.append(_command(7, 1))

    def ints(coords: object) -> list[tuple[int, int]]:
        return [(round(x), round(y)) for x, y in coords]  # type: ignore[attr-defined]

    if isinstance(geom, (Polygon, MultiPolygon)):
        for poly in getattr(geom, "geoms", [geom]):
            # Exterior rings have a positive area in tile coordinates (y down), holes negative.
            poly = orient(poly, sign=1.0)
            path(ints(poly.exterior.coords), True)
            for hole in poly.interiors:
                path(ints(hole.coords), True)
        return 3, out
    for line in getattr(geom, "geoms", [geom]):
        path(ints(line.coords), False)
    return 2, out


def _layer(name: str, geoms: list[tuple[BaseGeometry, str]]) -> bytes:
    keys, values = [b"kind"], sorted({kind for _, kind in geoms})
    features = b""
    for i, (geom, kind) in enumerate(geoms):
        gtype, commands = _geometry(geom)
        if not commands:
            continue
        tags = _varint(0) + _varint(values.index(kind))
        features += _field(2, _uint(1, i + 1) + _field(2, tags) + _uint(3, gtype)
                           + _field(4, b"".join(_varint(c) for c in commands)))
    if not features:
        return b""
    body = (_uint(15, 2) + _field(1, name.encode()) + features
            + b"".join(_field(3, k) for k in keys)
            + b"".join(_field(4, _field(1, v.encode())) for v in values) + _uint(5, EXTENT))
    return _field(3, body)


def _mercator(lon: float, lat: float, z: int) -> tuple[float, float]:
    n = 2 ** z
    x = (lon + 180.0) / 360.0 * n
    r = math.radians(lat)
    y = (1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * n
    return x, y


def _tile_geometry(geom: BaseGeometry, z: int, tx: int, ty: int) -> BaseGeometry:
    def to_tile(coords: np.ndarray) -> np.ndarray:
        n = 2 ** z
        lat = np.radians(coords[:, 1])
        x = (coords[:, 0] + 180.0) / 360.0 * n
        y = (1.0 - np.log(np.tan(lat) + 1.0 / np.cos(lat)) / math.pi) / 2.0 * n
        return np.column_stack(((x - tx) * EXTENT, (y - ty) * EXTENT))

    return shapely.transform(geom, to_tile).intersection(
        box(-64, -64, EXTENT + 64, EXTENT + 64))


def commune_points(province: str = "82") -> list[boundaries.CommunePoint]:
    path = resources.files("nongso.units").joinpath("data", "communes.csv")
    with path.open(encoding="utf-8") as f:
        return [boundaries.CommunePoint(r["code"], r["name"], float(r["lon"]), float(r["lat"]),
                                        float(r["area_km2"]) if r["area_km2"] else None)
                for r in csv.DictReader(f) if r["province_code"] == province]


def build(path: Path, zooms: range = range(6, 11)) -> tuple[float, float, float, float]:
    """Write the basemap of province 82's synthetic outlines; returns its bounds."""
    shapes = boundaries.synthesize("82", "Đồng Tháp", commune_points())
    communes = [s.geometry for s in shapes if s.level == "commune"]
    lon0, lat0, lon1, lat1 = shapely.union_all(communes).bounds
    with write(str(path)) as writer:
        tiles: list[tuple[int, bytes]] = []
        for z in zooms:
            x0, y0 = (math.floor(v) for v in _mercator(lon0, lat1, z))
            x1, y1 = (math.floor(v) for v in _mercator(lon1, lat0, z))
            for tx in range(x0, x1 + 1):
                for ty in range(y0, y1 + 1):
                    earth, lines = [], []
                    for g in communes:
                        local = _tile_geometry(g, z, tx, ty)
                        polys = [p for p in getattr(local, "geoms", [local])
                                 if isinstance(p, (Polygon, MultiPolygon)) and not p.is_empty]
                        earth += [(p, "earth") for p in polys]
                        outline = _tile_geometry(g.boundary, z, tx, ty)
                        parts = [p for p in getattr(outline, "geoms", [outline])
                                 if isinstance(p, (LineString, MultiLineString)) and not p.is_empty]
                        lines += [(p, "county") for p in parts]
                    data = _layer("earth", earth) + _layer("boundaries", lines)
                    if data:
                        tiles.append((zxy_to_tileid(z, tx, ty), data))
        for tile_id, data in sorted(tiles):
            writer.write_tile(tile_id, data)
        writer.finalize({
            "tile_type": TileType.MVT, "tile_compression": Compression.NONE,
            "min_lon_e7": int(lon0 * 1e7), "min_lat_e7": int(lat0 * 1e7),
            "max_lon_e7": int(lon1 * 1e7), "max_lat_e7": int(lat1 * 1e7),
            "center_zoom": zooms.start + 2,
        }, {"name": "Đồng Tháp (synthetic outlines)", "vector_layers": [
            {"id": "earth", "fields": {"kind": "String"}},
            {"id": "boundaries", "fields": {"kind": "String"}}]})
    return lon0, lat0, lon1, lat1
