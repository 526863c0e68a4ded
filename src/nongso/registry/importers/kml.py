"""KML and KMZ: every Placemark's geometry and its name, description and ExtendedData."""

from __future__ import annotations

import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any, Final

import shapely

from nongso.registry.geo import (
    GeoError,
    parse_geojson_geometry,
)
from nongso.registry.importers._common import (
    _PLACEMARK,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    ImportedFeature,
    ImportResult,
    RowError,
    _archive_limits,
    _corrupt,
    _nfc,
    _open_zip,
    _read_member,
    _too_many_rows,
)

_XML_DANGER: Final = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


_KML_GEOMETRIES: Final = {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"}


_KML_UNSUPPORTED: Final = {"Model", "Track", "MultiTrack"}


_COMMA_SPACES: Final = re.compile(r"\s*,\s*")


def import_kml(data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS) -> ImportResult:
    """Placemarks of a KML document (any KML namespace, or none)."""
    return _import_kml(data, max_rows, "kml")


def import_kmz(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImportResult:
    """A KMZ: the zip's ``doc.kml`` (or its first ``.kml``)."""
    limits = _archive_limits(max_bytes)
    zf = _open_zip(data, "KMZ", limits)
    with zf:
        names = [i for i in zf.infolist() if i.filename.lower().endswith(".kml")]
        if not names:
            raise _corrupt("KMZ", "không có tệp .kml bên trong / no .kml file inside")
        chosen = next((i for i in names if i.filename.lower() == "doc.kml"), names[0])
        content = _read_member(zf, chosen, limits.max_entry_bytes, "KMZ")
    return _import_kml(content, max_rows, "kmz")


def _import_kml(data: bytes, max_rows: int, fmt: str) -> ImportResult:
    if _XML_DANGER.search(data):
        raise _corrupt("KML", "có khai báo DOCTYPE/ENTITY không được phép / DOCTYPE or ENTITY")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        raise _corrupt("KML", f"XML lỗi ở dòng {line} cột {col} / XML error ({exc})") from exc
    if _local(root.tag) != "kml":
        raise _corrupt("KML", f"phần tử gốc là «{_local(root.tag)}» / root is not <kml>")
    placemarks = [el for el in root.iter() if _local(el.tag) == "Placemark"]
    if len(placemarks) > max_rows:
        raise _too_many_rows(max_rows)
    features: list[ImportedFeature] = []
    errors: list[RowError] = []
    for i, pm in enumerate(placemarks):
        row = i + 1
        props = _kml_properties(pm)
        geometry_els = [c for c in pm if _local(c.tag) in _KML_GEOMETRIES]
        if not geometry_els:
            unsupported = [_local(c.tag) for c in pm if _local(c.tag) in _KML_UNSUPPORTED]
            if unsupported:
                errors.append(
                    _PLACEMARK.error(
                        row,
                        "geometry",
                        f"không hỗ trợ hình học «{unsupported[0]}».",
                        f"geometry '{unsupported[0]}' is not supported.",
                    )
                )
            else:
                errors.append(
                    _PLACEMARK.error(row, "geometry", "không có hình học.", "has no geometry.")
                )
            continue
        if len(geometry_els) > 1:
            errors.append(
                _PLACEMARK.error(
                    row,
                    "geometry",
                    "có nhiều hình học: hãy gộp chúng trong một MultiGeometry.",
                    "has several geometries: group them in a MultiGeometry.",
                )
            )
            continue
        try:
            geojson = _kml_geometry(geometry_els[0])
            geom = parse_geojson_geometry(geojson)
        except _KmlError as exc:
            errors.append(_PLACEMARK.error(row, "geometry", exc.vi, exc.en))
            continue
        except GeoError as exc:
            errors.append(_PLACEMARK.geo_error(row, "geometry", exc))
            continue
        features.append(ImportedFeature(row, shapely.force_2d(geom), props))
    return ImportResult(features, errors, fmt)


class _KmlError(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: ET.Element | None) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return unicodedata.normalize("NFC", text) if text else None


def _kml_properties(pm: ET.Element) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for key in ("name", "description"):
        value = _text(_child(pm, key))
        if value is not None:
            props[key] = value
    extended = _child(pm, "ExtendedData")
    if extended is not None:
        for data in _children(extended, "Data"):
            data_name = data.get("name")
            if data_name:
                props[_nfc(data_name)] = _text(_child(data, "value"))
        for schema_data in _children(extended, "SchemaData"):
            for simple in _children(schema_data, "SimpleData"):
                simple_name = simple.get("name")
                if simple_name:
                    props[_nfc(simple_name)] = _text(simple)
    return props


def _kml_geometry(el: ET.Element) -> dict[str, Any]:
    kind = _local(el.tag)
    if kind == "Point":
        coords = _kml_coordinates(el)
        if len(coords) != 1:
            raise _KmlError(
                f"một Point phải có đúng 1 tọa độ (có {len(coords)}).",
                f"a Point needs exactly 1 coordinate (got {len(coords)}).",
            )
        return {"type": "Point", "coordinates": coords[0]}
    if kind in ("LineString", "LinearRing"):
        return {"type": "LineString", "coordinates": _kml_coordinates(el)}
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": _kml_polygon_rings(el)}
    # MultiGeometry: homogeneous → Multi*, mixed → GeometryCollection (nested ones flattened).
    members = [_kml_geometry(c) for c in _flatten_multigeometry(el)]
    if not members:
        raise _KmlError("MultiGeometry rỗng.", "empty MultiGeometry.")
    kinds = {m["type"] for m in members}
    if kinds == {"Point"}:
        return {"type": "MultiPoint", "coordinates": [m["coordinates"] for m in members]}
    if kinds == {"LineString"}:
        return {"type": "MultiLineString", "coordinates": [m["coordinates"] for m in members]}
    if kinds == {"Polygon"}:
        return {"type": "MultiPolygon", "coordinates": [m["coordinates"] for m in members]}
    return {"type": "GeometryCollection", "geometries": members}


def _flatten_multigeometry(el: ET.Element) -> Iterator[ET.Element]:
    for c in el:
        name = _local(c.tag)
        if name == "MultiGeometry":
            yield from _flatten_multigeometry(c)
        elif name in _KML_GEOMETRIES:
            yield c
        elif name in _KML_UNSUPPORTED:
            raise _KmlError(
                f"không hỗ trợ hình học «{name}».", f"geometry '{name}' is not supported."
            )


def _kml_polygon_rings(el: ET.Element) -> list[list[list[float]]]:
    outer = _child(el, "outerBoundaryIs")
    outer_ring = _child(outer, "LinearRing") if outer is not None else None
    if outer_ring is None:
        raise _KmlError(
            "Polygon thiếu outerBoundaryIs/LinearRing.",
            "Polygon without outerBoundaryIs/LinearRing.",
        )
    rings = [_kml_coordinates(outer_ring)]
    for inner in _children(el, "innerBoundaryIs"):
        rings.extend(_kml_coordinates(r) for r in _children(inner, "LinearRing"))
    return rings


def _kml_coordinates(el: ET.Element) -> list[list[float]]:
    text = _text(_child(el, "coordinates"))
    if text is None:
        raise _KmlError(
            f"{_local(el.tag)} không có <coordinates>.", f"{_local(el.tag)} has no <coordinates>."
        )
    result: list[list[float]] = []
    for token in _COMMA_SPACES.sub(",", text).split():
        parts = token.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if not 2 <= len(values) <= 3 or not all(math.isfinite(v) for v in values):
            raise _KmlError(
                f"tọa độ «{token[:40]}» không hợp lệ (cần kinh độ,vĩ độ[,độ cao]).",
                f"invalid coordinate '{token[:40]}' (expected lon,lat[,alt]).",
            )
        result.append(values)
    return result
