"""Checks of the polygons given for zonal statistics (pure): what is wrong and where.

Caught: not a polygon; coordinates in metres (VN-2000 or UTM) labelled as WGS 84 degrees;
longitude and latitude swapped; outside Viet Nam; self-intersecting rings; slivers (a polygon
so thin it has no real area). A field smaller than a pixel is *not* an error: exactextract
gives it the value of the pixel it lies in.
"""

from __future__ import annotations

import math
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

from nongso.core.errors import FieldError

VN_LON = (101.5, 110.5)
VN_LAT = (7.5, 24.0)
MIN_AREA_M2 = 1.0
MIN_COMPACTNESS = 0.005  # 4π·area / perimeter²: 1 for a circle, ~0.005 for a 1 x 2500 strip


def _coords(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []

    def walk(x: Any) -> None:
        if isinstance(x, (list, tuple)) and len(x) >= 2 and all(
                isinstance(v, (int, float)) for v in x[:2]):
            out.append((float(x[0]), float(x[1])))
        elif isinstance(x, (list, tuple)):
            for y in x:
                walk(y)

    walk(geometry.get("coordinates"))
    return out


def check_polygon(geometry: Any, loc: str) -> FieldError | None:
    """The first problem of a GeoJSON polygon given in lon/lat (WGS 84), or None."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon",
                                                                         "MultiPolygon"):
        return FieldError(loc, "Hình phải là Polygon hoặc MultiPolygon (GeoJSON).",
                          "The geometry must be a GeoJSON Polygon or MultiPolygon.")
    pts = _coords(geometry)
    if len(pts) < 4:
        return FieldError(loc, "Đa giác cần ít nhất 4 điểm (điểm cuối trùng điểm đầu).",
                          "A polygon needs at least 4 positions (the last equal to the first).")
    if not all(math.isfinite(x) and math.isfinite(y) for x, y in pts):
        return FieldError(loc, "Tọa độ không phải là số hữu hạn.", "Coordinates must be finite.")
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    in_vn = VN_LON[0] <= cx <= VN_LON[1] and VN_LAT[0] <= cy <= VN_LAT[1]
    if not in_vn and VN_LAT[0] <= cx <= VN_LAT[1] and VN_LON[0] <= cy <= VN_LON[1]:
        return FieldError(
            loc, f"Kinh độ và vĩ độ bị đảo ([{cx:.4f}, {cy:.4f}]): GeoJSON ghi [kinh độ, vĩ độ].",
            f"Longitude and latitude are swapped ([{cx:.4f}, {cy:.4f}]): GeoJSON is "
            "[longitude, latitude].")
    if max(map(abs, xs)) > 180 or max(map(abs, ys)) > 90:
        return FieldError(
            loc, f"Tọa độ ({xs[0]:.1f}, {ys[0]:.1f}) là mét (VN-2000 hoặc UTM) chứ không phải độ "
            "WGS 84: chuyển sang kinh độ/vĩ độ (EPSG:4326) trước khi gửi.",
            f"Coordinates ({xs[0]:.1f}, {ys[0]:.1f}) are metres (VN-2000 or UTM), not WGS 84 "
            "degrees: transform them to lon/lat (EPSG:4326) first.")
    if not in_vn:
        return FieldError(loc, f"Đa giác ([{cx:.4f}, {cy:.4f}]) nằm ngoài Việt Nam.",
                          f"The polygon ([{cx:.4f}, {cy:.4f}]) lies outside Viet Nam.")
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError):
        return FieldError(loc, "Đa giác GeoJSON không đọc được.", "Unreadable GeoJSON polygon.")
    if not shapely.is_valid(geom):
        why = explain_validity(geom)
        return FieldError(loc, f"Đa giác không hợp lệ (tự cắt nhau?): {why}.",
                          f"Invalid polygon (self-intersecting?): {why}.")
    kx = 111_320 * math.cos(math.radians(cy))
    area = geom.area * kx * 111_320
    perimeter = geom.length * math.sqrt(kx * 111_320)
    if area < MIN_AREA_M2 or 4 * math.pi * area / max(perimeter, 1e-9) ** 2 < MIN_COMPACTNESS:
        return FieldError(
            loc, f"Đa giác là một mảnh vụn (diện tích {area:.1f} m², quá mảnh): kiểm tra lại.",
            f"The polygon is a sliver (area {area:.1f} m², too thin): check it.")
    return None
