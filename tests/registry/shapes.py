"""Geometries for registry tests: rectangles of a given size in metres near a point."""

from __future__ import annotations

from typing import Any

from pyproj import Transformer

TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
TO_LONLAT = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)

# Xã Tân Phước 1 (28321) and Xã Tân Phước 2 (28327): the first two rural communes of
# province 82, i.e. Actors.commune_a and Actors.commune_b.
TAN_PHUOC_1 = (106.208, 10.5315)
TAN_PHUOC_2 = (106.143, 10.5331)


def rect(lon: float, lat: float, width_m: float, height_m: float,
         dx_m: float = 0.0, dy_m: float = 0.0) -> dict[str, Any]:
    """A rectangle (GeoJSON Polygon) whose south-west corner is (dx, dy) metres from the point."""
    x, y = TO_UTM.transform(lon, lat)
    x, y = x + dx_m, y + dy_m
    xs = [x, x + width_m, x + width_m, x, x]
    ys = [y, y, y + height_m, y + height_m, y]
    lons, lats = TO_LONLAT.transform(xs, ys)
    return {"type": "Polygon",
            "coordinates": [[[round(a, 8), round(b, 8)] for a, b in zip(lons, lats, strict=True)]]}


def point(lon: float, lat: float, dx_m: float = 0.0, dy_m: float = 0.0) -> dict[str, Any]:
    x, y = TO_UTM.transform(lon, lat)
    a, b = TO_LONLAT.transform(x + dx_m, y + dy_m)
    return {"type": "Point", "coordinates": [round(a, 8), round(b, 8)]}
