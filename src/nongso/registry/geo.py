"""Geometry of the registry: GeoJSON parsing with validation, areas, lengths and conversions.

Every geometry handled here is in WGS 84 longitude/latitude (the GeoJSON and OGC API – Features
default, ``OGC:CRS84``), in that order: ``[kinh độ, vĩ độ]`` = ``[lon, lat]``.

Validation (:func:`parse_geojson_geometry`, :func:`validate_geometry`) refuses, with a message in
Vietnamese and English:

* anything that is not a GeoJSON geometry object (``Point``, ``MultiPoint``, ``LineString``,
  ``MultiLineString``, ``Polygon``, ``MultiPolygon``, ``GeometryCollection``);
* malformed coordinates, rings that are not closed or have fewer than 4 positions, lines with
  fewer than 2 positions, empty geometries;
* coordinates outside Vietnam's extent (:data:`VIETNAM_EXTENT`), with two diagnoses: values that
  would be inside if longitude and latitude were exchanged ("swapped"), and values that are
  obviously projected metres (e.g. VN-2000 / UTM) rather than degrees;
* invalid topology (self-intersection, hole outside its shell…), explained with shapely's
  ``explain_validity`` and the place where GEOS found the problem.

Areas and lengths are measured on a projected CRS, by default EPSG:32648 (WGS 84 / UTM zone
48N), whose central meridian (105° E) runs through the Mekong Delta. EPSG:3405 (VN-2000 / UTM
zone 48N) gives the same values to better than 0.001 % there (both use the WGS 84 ellipsoid and
k0 = 0.9996; the VN-2000 datum shift only translates), so either may be chosen with ``crs=``.
Within the delta (104.4–106.9° E) the UTM scale error on areas stays under 0.1 %; it grows east
of 108° E (≈ +0.4 % at 109° E, ≈ +5 % on the Spratly Islands): pass ``crs="EPSG:32649"`` or
``"EPSG:32650"`` there. Transformers are cached; pyproj ≥ 3.1 makes them thread-safe.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, NamedTuple

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.errors import GEOSException
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from nongso.core.errors import ValidationFailed

__all__ = [
    "AREA_CRS",
    "GEOMETRY_TYPES",
    "MAX_VERTICES",
    "VIETNAM_EXTENT",
    "VN2000_UTM48N",
    "WGS84_UTM48N",
    "BBox",
    "Flag",
    "GeoError",
    "area_ha",
    "bbox",
    "centroid",
    "check_vietnam_extent",
    "compare_declared_area",
    "geometry_from_wkb",
    "geometry_from_wkt",
    "geometry_to_wkb",
    "geometry_to_wkt",
    "in_vietnam_extent",
    "length_m",
    "parse_geojson_geometry",
    "project",
    "to_geojson",
    "validate_geometry",
]

WGS84_UTM48N: Final = "EPSG:32648"
VN2000_UTM48N: Final = "EPSG:3405"
AREA_CRS: Final = WGS84_UTM48N
"""Default CRS for areas and lengths (see the module docstring)."""

GEOMETRY_TYPES: Final = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)

MAX_VERTICES: Final = 200_000
"""Most positions accepted in one geometry (a field boundary has tens to a few thousands)."""

_MAX_COLLECTION_DEPTH: Final = 8


class BBox(NamedTuple):
    """A bounding box in degrees: ``(min_lon, min_lat, max_lon, max_lat)``.

    ``min_lon > max_lon`` only for a box crossing the antimeridian (OGC API – Features ``bbox``).
    """

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


VIETNAM_EXTENT: Final = BBox(102.1, 8.1, 117.9, 23.4)
"""A rough bounding box of Vietnam including its islands (Hoàng Sa, Trường Sa, Phú Quốc…).

It also covers parts of neighbouring countries and the sea: it catches swapped, projected or
garbage coordinates, not administrative membership (that is the commune's job)."""


class GeoError(ValidationFailed, ValueError):
    """A geometry (or an area argument) that cannot be accepted.

    ``reason`` is a stable code: ``not-geometry``, ``unknown-type``, ``bad-coordinates``,
    ``too-few-points``, ``ring-not-closed``, ``empty``, ``too-many-vertices``,
    ``outside-vietnam``, ``swapped-coordinates``, ``projected-coordinates``,
    ``invalid-topology``, ``bad-wkt``, ``bad-wkb``, ``bad-crs``, ``bad-area``.
    ``path`` locates the problem in the GeoJSON object (e.g. ``coordinates[0][3]``);
    ``coordinate`` is the offending ``(lon, lat)`` when there is one.
    """

    code = "invalid-geometry"

    def __init__(
        self,
        message_vi: str,
        message_en: str,
        *,
        reason: str,
        path: str | None = None,
        coordinate: tuple[float, float] | None = None,
    ) -> None:
        extra: dict[str, Any] = {"reason": reason}
        if path is not None:
            extra["path"] = path
        if coordinate is not None:
            extra["coordinate"] = list(coordinate)
        super().__init__(message_vi, message_en, extra=extra)
        self.reason = reason
        self.path = path
        self.coordinate = coordinate


# ------------------------------------------------------------------------------------------
# Parsing and validation


def parse_geojson_geometry(
    obj: Mapping[str, Any] | str | bytes,
    *,
    check_extent: bool = True,
    max_vertices: int = MAX_VERTICES,
) -> BaseGeometry:
    """Parse and validate a GeoJSON geometry object (a mapping, or its JSON text).

    Raises :class:`GeoError` for everything listed in the module docstring. ``check_extent=False``
    skips the Vietnam extent check (coordinates must still be valid degrees).
    """
    if isinstance(obj, str | bytes):
        try:
            obj = json.loads(obj)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GeoError(
                f"Hình học không phải JSON hợp lệ ({exc}).",
                f"The geometry is not valid JSON ({exc}).",
                reason="not-geometry",
            ) from exc
    if not isinstance(obj, Mapping):
        raise GeoError(
            "Hình học phải là một đối tượng GeoJSON (có «type» và «coordinates»).",
            "The geometry must be a GeoJSON object (with 'type' and 'coordinates').",
            reason="not-geometry",
        )
    positions: list[tuple[float, float]] = []
    _check_geojson(obj, "", positions, max_vertices, depth=0)
    if not positions:
        raise GeoError("Hình học rỗng.", "The geometry is empty.", reason="empty")
    if check_extent:
        check_vietnam_extent(positions)
    else:
        _check_degrees(positions)
    try:
        geom = shape(dict(obj))
    except (GEOSException, ValueError, TypeError, KeyError, IndexError) as exc:
        raise GeoError(
            f"Không đọc được hình học GeoJSON ({exc}).",
            f"Cannot read the GeoJSON geometry ({exc}).",
            reason="bad-coordinates",
        ) from exc
    return _check_topology(geom)


def validate_geometry(
    geom: BaseGeometry, *, check_extent: bool = True, max_vertices: int = MAX_VERTICES
) -> BaseGeometry:
    """Validate a shapely geometry like :func:`parse_geojson_geometry` does; return it."""
    if geom.is_empty:
        raise GeoError("Hình học rỗng.", "The geometry is empty.", reason="empty")
    n = shapely.count_coordinates(geom)
    if n > max_vertices:
        raise _too_many_vertices(max_vertices)
    coords = shapely.get_coordinates(geom)
    positions = [(float(x), float(y)) for x, y in coords]
    if check_extent:
        check_vietnam_extent(positions)
    else:
        _check_degrees(positions)
    return _check_topology(geom)


def in_vietnam_extent(lon: float, lat: float) -> bool:
    """Whether ``(lon, lat)`` lies in :data:`VIETNAM_EXTENT` (bounds included)."""
    e = VIETNAM_EXTENT
    return e.min_lon <= lon <= e.max_lon and e.min_lat <= lat <= e.max_lat


def check_vietnam_extent(positions: Sequence[tuple[float, float]]) -> None:
    """Raise :class:`GeoError` unless every ``(lon, lat)`` is inside :data:`VIETNAM_EXTENT`.

    The first position outside is reported. If it (or every position) would be inside with
    longitude and latitude exchanged, the error says the values look swapped
    (``reason="swapped-coordinates"``); if they are not degrees at all (projected metres), it
    says so (``reason="projected-coordinates"``).
    """
    bad = next(((x, y) for x, y in positions if not in_vietnam_extent(x, y)), None)
    if bad is None:
        return
    x, y = bad
    shown = f"[{_num(x)}, {_num(y)}]"
    if in_vietnam_extent(y, x):
        raise GeoError(
            f"Tọa độ {shown} nằm ngoài Việt Nam nhưng sẽ nằm trong nếu đảo thứ tự: có vẻ kinh độ "
            f"và vĩ độ bị đổi chỗ. Thứ tự phải là [kinh độ, vĩ độ] (lon, lat), "
            f"ví dụ [{_num(y)}, {_num(x)}].",
            f"Coordinate {shown} is outside Vietnam but would be inside if swapped: longitude "
            f"and latitude look swapped. The order must be [longitude, latitude] (lon, lat), "
            f"e.g. [{_num(y)}, {_num(x)}].",
            reason="swapped-coordinates",
            coordinate=bad,
        )
    _check_degrees([bad])
    e = VIETNAM_EXTENT
    raise GeoError(
        f"Tọa độ {shown} nằm ngoài phạm vi Việt Nam (kinh độ {_num(e.min_lon)}–"
        f"{_num(e.max_lon)}, vĩ độ {_num(e.min_lat)}–{_num(e.max_lat)}).",
        f"Coordinate {shown} is outside Vietnam (longitude {_num(e.min_lon)}–"
        f"{_num(e.max_lon)}, latitude {_num(e.min_lat)}–{_num(e.max_lat)}).",
        reason="outside-vietnam",
        coordinate=bad,
    )


def _check_degrees(positions: Sequence[tuple[float, float]]) -> None:
    for x, y in positions:
        if abs(x) > 180 or abs(y) > 90:
            raise GeoError(
                f"Tọa độ [{_num(x)}, {_num(y)}] không phải độ (kinh độ −180…180, vĩ độ −90…90): "
                "có vẻ là tọa độ phẳng tính bằng mét (VN-2000, UTM…). Hãy chuyển sang WGS 84 "
                "(kinh độ, vĩ độ).",
                f"Coordinate [{_num(x)}, {_num(y)}] is not in degrees (longitude −180…180, "
                "latitude −90…90): it looks like projected metres (VN-2000, UTM…). Convert it to "
                "WGS 84 (longitude, latitude).",
                reason="projected-coordinates",
                coordinate=(x, y),
            )


def _check_geojson(
    obj: Mapping[str, Any],
    path: str,
    positions: list[tuple[float, float]],
    max_vertices: int,
    depth: int,
) -> None:
    kind = obj.get("type")
    if kind in ("Feature", "FeatureCollection"):
        raise GeoError(
            f"{_at_vi(path)}cần một hình học GeoJSON, không phải «{kind}».",
            f"{_at_en(path)}a GeoJSON geometry is expected, not a '{kind}'.",
            reason="not-geometry",
            path=path or None,
        )
    if kind not in GEOMETRY_TYPES:
        allowed = ", ".join(sorted(GEOMETRY_TYPES))
        raise GeoError(
            f"{_at_vi(path)}kiểu hình học «{kind}» không hợp lệ (cho phép: {allowed}).",
            f"{_at_en(path)}invalid geometry type '{kind}' (allowed: {allowed}).",
            reason="unknown-type",
            path=_join(path, "type"),
        )
    if kind == "GeometryCollection":
        if depth >= _MAX_COLLECTION_DEPTH:
            raise GeoError(
                "GeometryCollection lồng nhau quá sâu.",
                "GeometryCollections are nested too deeply.",
                reason="not-geometry",
                path=path or None,
            )
        members = obj.get("geometries")
        if not isinstance(members, list):
            raise _bad(_join(path, "geometries"), "phải là một mảng", "must be an array")
        for i, member in enumerate(members):
            sub = f"{_join(path, 'geometries')}[{i}]"
            if not isinstance(member, Mapping):
                raise _bad(sub, "phải là một hình học GeoJSON", "must be a GeoJSON geometry")
            _check_geojson(member, sub, positions, max_vertices, depth + 1)
        return
    coords = obj.get("coordinates")
    cpath = _join(path, "coordinates")
    if kind == "Point":
        positions.append(_position(coords, cpath))
    elif kind == "MultiPoint":
        for i, p in enumerate(_array(coords, cpath)):
            positions.append(_position(p, f"{cpath}[{i}]"))
    elif kind == "LineString":
        _line(coords, cpath, positions)
    elif kind == "MultiLineString":
        for i, line in enumerate(_array(coords, cpath)):
            _line(line, f"{cpath}[{i}]", positions)
    elif kind == "Polygon":
        _polygon(coords, cpath, positions)
    else:  # MultiPolygon
        for i, poly in enumerate(_array(coords, cpath)):
            _polygon(poly, f"{cpath}[{i}]", positions)
    if len(positions) > max_vertices:
        raise _too_many_vertices(max_vertices)


def _array(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _bad(path, "phải là một mảng", "must be an array")
    return list(value)


def _position(value: Any, path: str) -> tuple[float, float]:
    items = _array(value, path)
    ok = 2 <= len(items) <= 3 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in items
    )
    if not ok:
        raise _bad(
            path,
            "một vị trí phải là [kinh độ, vĩ độ] hoặc [kinh độ, vĩ độ, độ cao] bằng số",
            "a position must be [longitude, latitude] or [longitude, latitude, altitude] "
            "in numbers",
        )
    return float(items[0]), float(items[1])


def _line(value: Any, path: str, positions: list[tuple[float, float]]) -> None:
    items = _array(value, path)
    if len(items) < 2:
        raise GeoError(
            f"{_at_vi(path)}một đường phải có ít nhất 2 điểm.",
            f"{_at_en(path)}a line needs at least 2 positions.",
            reason="too-few-points",
            path=path,
        )
    positions.extend(_position(p, f"{path}[{i}]") for i, p in enumerate(items))


def _polygon(value: Any, path: str, positions: list[tuple[float, float]]) -> None:
    rings = _array(value, path)
    if not rings:
        raise GeoError(
            f"{_at_vi(path)}đa giác không có vòng nào.",
            f"{_at_en(path)}the polygon has no ring.",
            reason="empty",
            path=path,
        )
    for r, ring_value in enumerate(rings):
        rpath = f"{path}[{r}]"
        ring = [_position(p, f"{rpath}[{i}]") for i, p in enumerate(_array(ring_value, rpath))]
        if len(ring) < 4:
            raise GeoError(
                f"{_at_vi(rpath)}một vòng của đa giác phải có ít nhất 4 vị trí (điểm cuối trùng "
                f"điểm đầu), ở đây có {len(ring)}.",
                f"{_at_en(rpath)}a polygon ring needs at least 4 positions (the last equal to "
                f"the first), got {len(ring)}.",
                reason="too-few-points",
                path=rpath,
            )
        if ring[0] != ring[-1]:
            raise GeoError(
                f"{_at_vi(rpath)}vòng của đa giác không khép kín: điểm cuối "
                f"[{_num(ring[-1][0])}, {_num(ring[-1][1])}] phải trùng điểm đầu "
                f"[{_num(ring[0][0])}, {_num(ring[0][1])}].",
                f"{_at_en(rpath)}the polygon ring is not closed: the last position "
                f"[{_num(ring[-1][0])}, {_num(ring[-1][1])}] must equal the first "
                f"[{_num(ring[0][0])}, {_num(ring[0][1])}].",
                reason="ring-not-closed",
                path=rpath,
            )
        positions.extend(ring)


# GEOS's validity reasons (explain_validity) and their Vietnamese translation.
_VALIDITY_VI: Final = {
    "self-intersection": "các cạnh tự cắt nhau",
    "ring self-intersection": "một vòng tự cắt chính nó",
    "too few points in geometry component": "một thành phần có quá ít điểm phân biệt",
    "too few distinct points in geometry component": "một thành phần có quá ít điểm phân biệt",
    "hole lies outside shell": "lỗ nằm ngoài đường bao",
    "holes are nested": "các lỗ lồng vào nhau",
    "nested holes": "các lỗ lồng vào nhau",
    "interior is disconnected": "phần trong bị chia cắt",
    "nested shells": "các đa giác lồng vào nhau",
    "duplicate rings": "có vòng bị lặp",
    "invalid coordinate": "tọa độ không hợp lệ",
    "ring is not closed": "vòng không khép kín",
    "repeated point": "điểm bị lặp",
}
_REASON_AT = re.compile(r"^(?P<reason>[^\[]*?)\s*\[(?P<x>\S+) (?P<y>\S+)\]\s*$")


def _check_topology(geom: BaseGeometry) -> BaseGeometry:
    if geom.is_empty:
        raise GeoError("Hình học rỗng.", "The geometry is empty.", reason="empty")
    if geom.is_valid:
        return geom
    explanation = explain_validity(geom)
    m = _REASON_AT.match(explanation)
    reason_en = m.group("reason") if m else explanation
    reason_vi = _VALIDITY_VI.get(reason_en.strip().lower(), reason_en)
    where_vi = where_en = ""
    coordinate: tuple[float, float] | None = None
    if m:
        try:
            coordinate = (float(m.group("x")), float(m.group("y")))
        except ValueError:
            coordinate = None
    if coordinate is not None:
        where_vi = f" tại [{_num(coordinate[0])}, {_num(coordinate[1])}]"
        where_en = f" at [{_num(coordinate[0])}, {_num(coordinate[1])}]"
    raise GeoError(
        f"Hình học không hợp lệ: {reason_vi}{where_vi} (GEOS: {explanation}). Hãy vẽ lại ranh "
        "giới.",
        f"Invalid geometry: {reason_en}{where_en} (GEOS: {explanation}). Redraw the boundary.",
        reason="invalid-topology",
        coordinate=coordinate,
    )


def _too_many_vertices(limit: int) -> GeoError:
    return GeoError(
        f"Hình học có quá nhiều điểm (tối đa {limit}).",
        f"The geometry has too many positions (at most {limit}).",
        reason="too-many-vertices",
    )


def _bad(path: str, vi: str, en: str) -> GeoError:
    return GeoError(
        f"{_at_vi(path)}{vi}.", f"{_at_en(path)}{en}.", reason="bad-coordinates", path=path
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _at_vi(path: str) -> str:
    return f"Hình học, «{path}»: " if path else "Hình học: "


def _at_en(path: str) -> str:
    return f"Geometry, '{path}': " if path else "Geometry: "


def _num(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if math.isfinite(x) else str(x)


# ------------------------------------------------------------------------------------------
# Measures


@lru_cache(maxsize=16)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


@lru_cache(maxsize=16)
def _checked_metric_crs(crs: str) -> str:
    try:
        parsed = CRS.from_user_input(crs)
    except Exception as exc:
        raise GeoError(
            f"Hệ tọa độ «{crs}» không hợp lệ.", f"Invalid CRS '{crs}'.", reason="bad-crs"
        ) from exc
    units = {axis.unit_name for axis in parsed.axis_info}
    if not parsed.is_projected or not units <= {"metre", "meter"}:
        raise GeoError(
            f"Hệ tọa độ «{crs}» phải là hệ phẳng tính bằng mét (ví dụ {AREA_CRS}).",
            f"CRS '{crs}' must be projected in metres (e.g. {AREA_CRS}).",
            reason="bad-crs",
        )
    return crs


def project(geom: BaseGeometry, crs: str = AREA_CRS) -> BaseGeometry:
    """The geometry (lon/lat WGS 84) in a projected metric CRS; altitudes are dropped."""
    transformer = _transformer("EPSG:4326", _checked_metric_crs(crs))

    def forward(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, forward)


def area_ha(geom: BaseGeometry, *, crs: str = AREA_CRS) -> float:
    """Area in hectares measured on ``crs`` (0 for points and lines)."""
    if geom.is_empty:
        return 0.0
    return float(project(geom, crs).area) / 10_000.0


def length_m(geom: BaseGeometry, *, crs: str = AREA_CRS) -> float:
    """Length in metres on ``crs``: of a line, or the perimeter of a polygon (0 for points)."""
    if geom.is_empty:
        return 0.0
    return float(project(geom, crs).length)


def centroid(geom: BaseGeometry, *, crs: str = AREA_CRS) -> Point:
    """The centroid (lon/lat), computed on ``crs`` so that it is not skewed by degrees.

    It may lie outside a concave polygon; use ``geom.representative_point()`` for a label.
    """
    if geom.is_empty:
        raise GeoError("Hình học rỗng.", "The geometry is empty.", reason="empty")
    c = project(geom, crs).centroid
    lon, lat = _transformer(_checked_metric_crs(crs), "EPSG:4326").transform(c.x, c.y)
    return Point(float(lon), float(lat))


def bbox(geom: BaseGeometry) -> BBox:
    """The bounding box ``(min_lon, min_lat, max_lon, max_lat)``."""
    if geom.is_empty:
        raise GeoError("Hình học rỗng.", "The geometry is empty.", reason="empty")
    minx, miny, maxx, maxy = geom.bounds
    return BBox(float(minx), float(miny), float(maxx), float(maxy))


@dataclass(frozen=True)
class Flag:
    """A data-quality warning about a production unit, to show to the person who entered it."""

    code: str
    message_vi: str
    message_en: str
    computed_ha: float
    declared_ha: float
    relative_difference: float
    """(declared − computed) / computed: positive when more was declared than mapped."""
    tolerance: float


def compare_declared_area(
    computed_ha: float, declared_ha: float | None, tolerance: float = 0.10
) -> Flag | None:
    """Flag a declared area that differs from the mapped one by more than ``tolerance``.

    The difference is relative to the computed (mapped) area. Nothing is flagged when no area
    was declared or when the geometry has no area (a point or a line).
    """
    for name, value in (("computed_ha", computed_ha), ("declared_ha", declared_ha)):
        if value is not None and (not math.isfinite(value) or value < 0):
            raise GeoError(
                f"Diện tích «{name}» phải là số không âm (nhận {value}).",
                f"Area '{name}' must be a non-negative number (got {value}).",
                reason="bad-area",
            )
    if not math.isfinite(tolerance) or tolerance < 0:
        raise GeoError(
            f"Ngưỡng sai lệch phải là số không âm (nhận {tolerance}).",
            f"The tolerance must be a non-negative number (got {tolerance}).",
            reason="bad-area",
        )
    if declared_ha is None or computed_ha <= 0:
        return None
    relative = (declared_ha - computed_ha) / computed_ha
    if abs(relative) <= tolerance + 1e-9:  # inclusive, despite 1.1 - 1.0 > 0.1 in floats
        return None
    more_vi, more_en = ("lớn hơn", "larger") if relative > 0 else ("nhỏ hơn", "smaller")
    return Flag(
        code="declared_area_mismatch",
        message_vi=(
            f"Diện tích kê khai {ha_vi(declared_ha)} ha {more_vi} {_pct_vi(abs(relative))} so "
            f"với diện tích đo trên bản đồ {ha_vi(computed_ha)} ha (ngưỡng cho phép "
            f"{_pct_vi(tolerance)})."
        ),
        message_en=(
            f"The declared area {declared_ha:.2f} ha is {abs(relative) * 100:.0f} % {more_en} "
            f"than the mapped area {computed_ha:.2f} ha (tolerance {tolerance * 100:.0f} %)."
        ),
        computed_ha=computed_ha,
        declared_ha=declared_ha,
        relative_difference=relative,
        tolerance=tolerance,
    )


def ha_vi(x: float) -> str:
    """Hectares in the Vietnamese messages: 1,25 (two decimals, decimal comma)."""
    return f"{x:.2f}".replace(".", ",")


def _pct_vi(x: float) -> str:
    return f"{x * 100:.0f} %"


# ------------------------------------------------------------------------------------------
# Conversions


def geometry_to_wkt(geom: BaseGeometry, *, precision: int | None = None) -> str:
    """WKT text; full precision unless ``precision`` (decimal places) is given."""
    return shapely.to_wkt(geom, rounding_precision=-1 if precision is None else precision)


def geometry_from_wkt(
    text: str, *, validate: bool = True, check_extent: bool = True
) -> BaseGeometry:
    """Parse WKT; with ``validate`` the result goes through :func:`validate_geometry`."""
    try:
        geom = shapely.from_wkt(text.strip())
    except (GEOSException, ValueError, TypeError) as exc:
        raise GeoError(
            f"WKT không hợp lệ ({exc}).", f"Invalid WKT ({exc}).", reason="bad-wkt"
        ) from exc
    if geom is None:
        raise GeoError("WKT rỗng.", "Empty WKT.", reason="bad-wkt")
    return validate_geometry(geom, check_extent=check_extent) if validate else geom


def geometry_to_wkb(geom: BaseGeometry) -> bytes:
    """ISO WKB bytes (little-endian, no SRID)."""
    return shapely.to_wkb(geom, hex=False, flavor="iso")


def geometry_from_wkb(
    data: bytes, *, validate: bool = True, check_extent: bool = True
) -> BaseGeometry:
    """Parse WKB bytes; with ``validate`` the result goes through :func:`validate_geometry`."""
    try:
        geom = shapely.from_wkb(bytes(data))
    except (GEOSException, ValueError, TypeError) as exc:
        raise GeoError(
            f"WKB không hợp lệ ({exc}).", f"Invalid WKB ({exc}).", reason="bad-wkb"
        ) from exc
    if geom is None:
        raise GeoError("WKB rỗng.", "Empty WKB.", reason="bad-wkb")
    return validate_geometry(geom, check_extent=check_extent) if validate else geom


def to_geojson(geom: BaseGeometry, *, precision: int | None = None) -> dict[str, Any]:
    """The GeoJSON geometry object (lists, not tuples, so it is JSON- and comparison-friendly).

    ``precision`` rounds coordinates (RFC 7946 suggests 6 decimals, ≈ 10 cm).
    """
    return _listify(mapping(geom), precision)  # type: ignore[no-any-return]


def _listify(value: Any, precision: int | None) -> Any:
    if isinstance(value, Mapping):
        return {k: _listify(v, precision) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listify(v, precision) for v in value]
    if isinstance(value, float) and precision is not None:
        return round(value, precision)
    return value
