"""Import of production units / businesses / infrastructure from an uploaded file.

:func:`import_file` turns the bytes of one uploaded file into features (geometry in WGS 84
lon/lat + properties) and per-row errors, so that a file with a few bad rows is reported row by
row instead of being refused as a whole. The file as a whole is refused (an exception) only when
it cannot be read at all: unknown type, corrupt content, too big, too many rows, no coordinate
columns.

Formats, chosen by the file name's extension:

=================  =========================================================================
``.geojson``       a FeatureCollection (or one Feature); row = index of the feature + 1.
``.json``
``.kml`` ``.kmz``  every Placemark with Point, LineString, LinearRing (as a line), Polygon or
                   MultiGeometry; properties from name, description and ExtendedData
                   (Data/value and SchemaData/SimpleData); row = Placemark index + 1.
``.zip``           a zipped Shapefile (.shp + .dbf, .shx/.prj/.cpg optional); the .prj may be
                   any CRS pyproj knows (VN-2000, UTM…): the geometry is reprojected to WGS 84;
                   attributes decoded per the .cpg, else UTF-8 with a cp1258 (Windows
                   Vietnamese) fallback; row = record index + 1.
``.csv``           a header row then one point per row: "vĩ độ"/"lat"/"latitude" and "kinh
                   độ"/"lon"/"lng"/"longitude" (decimal comma accepted) or a "geometry"/"wkt"
                   column (WKT or GeoJSON text); separator ``,`` ``;`` tab or ``|``; UTF-8 (with
                   or without BOM) or cp1258; row = line number in the file (header = 1).
``.xlsx``          the same columns in the first sheet that has them; row = the sheet's row.
=================  =========================================================================

Every geometry goes through :func:`nongso.registry.geo.parse_geojson_geometry` /
:func:`~nongso.registry.geo.validate_geometry` (Vietnam extent, swapped coordinates, topology);
altitudes are dropped (geometries are 2D). Properties are JSON-safe (str, int, float, bool,
None; dates as ISO 8601 text) and Unicode-normalised (NFC).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import re
import struct
import unicodedata
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import numpy as np
import shapefile
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from nongso.core.errors import TooLarge, ValidationFailed
from nongso.registry.geo import (
    GeoError,
    geometry_from_wkt,
    parse_geojson_geometry,
    validate_geometry,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "SUPPORTED_EXTENSIONS",
    "ImportFileError",
    "ImportResult",
    "ImportTooLarge",
    "ImportedFeature",
    "RowError",
    "import_csv",
    "import_file",
    "import_geojson",
    "import_kml",
    "import_kmz",
    "import_shapefile_zip",
    "import_xlsx",
]

DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024
DEFAULT_MAX_ROWS: Final = 10_000
_UNZIP_FACTOR: Final = 10
"""Uncompressed content of a zip (Shapefile, KMZ, XLSX) may be this many times max_bytes."""

SUPPORTED_EXTENSIONS: Final = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".kml": "kml",
    ".kmz": "kmz",
    ".zip": "shapefile",
    ".csv": "csv",
    ".xlsx": "xlsx",
}


# ------------------------------------------------------------------------------------------
# Results and errors


@dataclass(frozen=True)
class ImportedFeature:
    """One feature read from the file: its row (see the module docstring), geometry, properties."""

    row: int
    geometry: BaseGeometry
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported. ``field`` is the column / member concerned, if any."""

    row: int
    field: str | None
    message_vi: str
    message_en: str


@dataclass(frozen=True)
class ImportResult:
    features: list[ImportedFeature]
    errors: list[RowError]
    format: str = ""
    """``geojson``, ``kml``, ``kmz``, ``shapefile``, ``csv`` or ``xlsx``."""
    source_crs: str | None = None
    """The CRS the file declared (Shapefile .prj, GeoJSON ``crs``) when it was not WGS 84."""


class ImportFileError(ValidationFailed, ValueError):
    """The file as a whole cannot be imported. ``reason``: ``unknown-type``, ``corrupt``,
    ``empty``, ``no-coordinates``, ``bad-header``, ``bad-crs``, ``bad-encoding``."""

    code = "import-failed"

    def __init__(self, message_vi: str, message_en: str, *, reason: str) -> None:
        super().__init__(message_vi, message_en, extra={"reason": reason})
        self.reason = reason


class ImportTooLarge(TooLarge, ValueError):
    """The file has more bytes or rows than allowed. ``reason``: ``too-many-bytes``,
    ``too-many-rows``."""

    def __init__(self, message_vi: str, message_en: str, *, reason: str, limit: int) -> None:
        super().__init__(message_vi, message_en, extra={"reason": reason, "limit": limit})
        self.reason = reason
        self.limit = limit


# ------------------------------------------------------------------------------------------
# Entry point


def import_file(
    filename: str,
    data: bytes,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read an uploaded file (format chosen by ``filename``'s extension) into features.

    Raises :class:`ImportFileError` (unknown type, corrupt file, no usable column…) or
    :class:`ImportTooLarge` (more than ``max_bytes`` bytes or ``max_rows`` rows); otherwise
    problems are reported per row in :attr:`ImportResult.errors`.
    """
    if len(data) > max_bytes:
        raise ImportTooLarge(
            f"Tệp «{filename}» quá lớn: {_mb(len(data))} (tối đa {_mb(max_bytes)}).",
            f"File '{filename}' is too large: {_mb(len(data))} (at most {_mb(max_bytes)}).",
            reason="too-many-bytes",
            limit=max_bytes,
        )
    ext = _extension(filename)
    kind = SUPPORTED_EXTENSIONS.get(ext)
    if kind is None:
        raise _unknown_type(filename, ext)
    if not data.strip():
        raise ImportFileError(
            f"Tệp «{filename}» rỗng.", f"File '{filename}' is empty.", reason="empty"
        )
    unzipped = max_bytes * _UNZIP_FACTOR
    if kind == "geojson":
        return import_geojson(data, max_rows=max_rows)
    if kind == "kml":
        return import_kml(data, max_rows=max_rows)
    if kind == "kmz":
        return import_kmz(data, max_rows=max_rows, max_bytes=unzipped)
    if kind == "shapefile":
        return import_shapefile_zip(data, max_rows=max_rows, max_bytes=unzipped)
    if kind == "csv":
        return import_csv(data, max_rows=max_rows)
    return import_xlsx(data, max_rows=max_rows, max_bytes=unzipped)


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    return "." + name.rsplit(".", 1)[1] if "." in name else ""


def _unknown_type(filename: str, ext: str) -> ImportFileError:
    supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
    if ext in (".shp", ".shx", ".dbf", ".prj"):
        return ImportFileError(
            f"Tệp «{filename}» chỉ là một phần của Shapefile: hãy nén các tệp .shp, .shx, .dbf "
            "và .prj vào một tệp .zip rồi tải lên tệp .zip đó.",
            f"File '{filename}' is only one part of a Shapefile: zip the .shp, .shx, .dbf and "
            ".prj files together and upload the .zip.",
            reason="unknown-type",
        )
    if ext == ".xls":
        return ImportFileError(
            f"Tệp «{filename}» là Excel cũ (.xls): hãy lưu lại dưới dạng .xlsx.",
            f"File '{filename}' is an old Excel file (.xls): save it as .xlsx.",
            reason="unknown-type",
        )
    return ImportFileError(
        f"Không hỗ trợ loại tệp «{ext or filename}» (hỗ trợ: {supported}).",
        f"Unsupported file type '{ext or filename}' (supported: {supported}).",
        reason="unknown-type",
    )


def _corrupt(kind: str, detail: str) -> ImportFileError:
    return ImportFileError(
        f"Tệp {kind} bị hỏng hoặc không đúng định dạng: {detail}.",
        f"The {kind} file is corrupt or not in the expected format: {detail}.",
        reason="corrupt",
    )


def _too_many_rows(max_rows: int) -> ImportTooLarge:
    return ImportTooLarge(
        f"Tệp có quá nhiều dòng (tối đa {max_rows}): hãy chia thành nhiều tệp nhỏ hơn.",
        f"The file has too many rows (at most {max_rows}): split it into smaller files.",
        reason="too-many-rows",
        limit=max_rows,
    )


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 100 * 1024 else f"{n} B"


@dataclass(frozen=True)
class _RowLabel:
    vi: str
    en: str

    def error(self, row: int, fld: str | None, vi: str, en: str) -> RowError:
        return RowError(row, fld, f"{self.vi} {row}: {vi}", f"{self.en} {row}: {en}")

    def geo_error(self, row: int, fld: str | None, exc: GeoError) -> RowError:
        return self.error(row, fld, exc.message_vi, exc.message_en)


_FEATURE = _RowLabel("Đối tượng", "Feature")
_PLACEMARK = _RowLabel("Placemark", "Placemark")
_RECORD = _RowLabel("Bản ghi", "Record")
_LINE = _RowLabel("Dòng", "Row")


# ------------------------------------------------------------------------------------------
# GeoJSON


def import_geojson(data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS) -> ImportResult:
    """A GeoJSON FeatureCollection (or a single Feature) in UTF-8."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _corrupt("GeoJSON", f"không phải UTF-8 / not UTF-8 ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise _corrupt(
            "GeoJSON", f"JSON lỗi ở dòng {exc.lineno} cột {exc.colno} / {exc.msg}"
        ) from exc
    if not isinstance(doc, dict):
        raise _corrupt("GeoJSON", "không phải một đối tượng JSON / not a JSON object")
    kind = doc.get("type")
    if kind == "FeatureCollection":
        items = doc.get("features")
        if not isinstance(items, list):
            raise _corrupt("GeoJSON", "thiếu mảng «features» / missing the 'features' array")
    elif kind == "Feature":
        items = [doc]
    else:
        raise ImportFileError(
            f"Tệp GeoJSON phải là một FeatureCollection (nhận «{kind}»).",
            f"The GeoJSON file must be a FeatureCollection (got '{kind}').",
            reason="corrupt",
        )
    if len(items) > max_rows:
        raise _too_many_rows(max_rows)
    transformer, source_crs = _geojson_crs(doc.get("crs"))
    features: list[ImportedFeature] = []
    errors: list[RowError] = []
    for i, item in enumerate(items):
        row = i + 1
        if not isinstance(item, dict) or item.get("type") != "Feature":
            errors.append(
                _FEATURE.error(
                    row, None, "không phải một Feature GeoJSON.", "not a GeoJSON Feature."
                )
            )
            continue
        props = item.get("properties")
        if props is not None and not isinstance(props, dict):
            errors.append(
                _FEATURE.error(
                    row,
                    "properties",
                    "«properties» phải là một đối tượng hoặc null.",
                    "'properties' must be an object or null.",
                )
            )
            continue
        geometry = item.get("geometry")
        if geometry is None:
            errors.append(_FEATURE.error(row, "geometry", "không có hình học.", "has no geometry."))
            continue
        try:
            if transformer is None:
                geom = parse_geojson_geometry(geometry)
            else:
                geom = _reprojected(geometry, transformer)
        except GeoError as exc:
            errors.append(_FEATURE.geo_error(row, "geometry", exc))
            continue
        features.append(ImportedFeature(row, shapely.force_2d(geom), _json_safe_dict(props or {})))
    return ImportResult(features, errors, "geojson", source_crs)


_CRS84_NAMES: Final = {
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "urn:ogc:def:crs:epsg::4326",
    "epsg:4326",
    "http://www.opengis.net/def/crs/epsg/0/4326",
}


def _geojson_crs(member: Any) -> tuple[Transformer | None, str | None]:
    """The (2008 GeoJSON) ``crs`` member: None or WGS 84 → no reprojection."""
    if member is None:
        return None, None
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not isinstance(name, str):
        raise ImportFileError(
            "Thành phần «crs» của tệp GeoJSON không đọc được.",
            "The 'crs' member of the GeoJSON file cannot be read.",
            reason="bad-crs",
        )
    if name.strip().lower() in _CRS84_NAMES:
        return None, None
    return _transformer_to_wgs84(name), name


def _transformer_to_wgs84(crs_text: str) -> Transformer:
    try:
        crs = CRS.from_user_input(crs_text)
    except Exception as exc:
        raise ImportFileError(
            f"Không nhận ra hệ tọa độ của tệp ({str(exc)[:200]}).",
            f"The file's coordinate reference system is not recognised ({str(exc)[:200]}).",
            reason="bad-crs",
        ) from exc
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _is_wgs84(crs: CRS) -> bool:
    return crs.is_geographic and (
        crs.to_epsg(min_confidence=70) == 4326
        or crs.equals(CRS.from_epsg(4326), ignore_axis_order=True)
    )


def _reprojected(geometry: Any, transformer: Transformer) -> BaseGeometry:
    """A GeoJSON-like geometry in another CRS → validated WGS 84 shapely geometry."""
    try:
        geom = shape(geometry)
    except Exception as exc:
        raise GeoError(
            f"Không đọc được hình học ({str(exc)[:200]}).",
            f"Cannot read the geometry ({str(exc)[:200]}).",
            reason="bad-coordinates",
        ) from exc

    def to_wgs84(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return validate_geometry(shapely.transform(geom, to_wgs84))


# ------------------------------------------------------------------------------------------
# KML / KMZ

_XML_DANGER: Final = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def import_kml(data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS) -> ImportResult:
    """Placemarks of a KML document (any KML namespace, or none)."""
    return _import_kml(data, max_rows, "kml")


def import_kmz(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImportResult:
    """A KMZ: the zip's ``doc.kml`` (or its first ``.kml``)."""
    zf = _open_zip(data, "KMZ")
    with zf:
        names = [i for i in zf.infolist() if i.filename.lower().endswith(".kml")]
        if not names:
            raise _corrupt("KMZ", "không có tệp .kml bên trong / no .kml file inside")
        chosen = next((i for i in names if i.filename.lower() == "doc.kml"), names[0])
        if chosen.file_size > max_bytes:
            raise _unzipped_too_large(max_bytes)
        return _import_kml(zf.read(chosen), max_rows, "kmz")


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


_KML_GEOMETRIES: Final = {"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"}
_KML_UNSUPPORTED: Final = {"Model", "Track", "MultiTrack"}


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


_COMMA_SPACES: Final = re.compile(r"\s*,\s*")


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


# ------------------------------------------------------------------------------------------
# Shapefile (zipped)


def import_shapefile_zip(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImportResult:
    """A zip holding one Shapefile layer (``max_bytes`` bounds its uncompressed size)."""
    zf = _open_zip(data, "Shapefile (.zip)")
    with zf:
        members = {
            i.filename: i
            for i in zf.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not i.filename.rsplit("/", 1)[-1].startswith("._")
        }
        shps = [n for n in members if n.lower().endswith(".shp")]
        if not shps:
            raise _corrupt("Shapefile (.zip)", "không có tệp .shp trong tệp zip / no .shp file")
        if len(shps) > 1:
            listed = ", ".join(sorted(shps))
            raise ImportFileError(
                f"Tệp zip chứa nhiều lớp Shapefile ({listed}): mỗi lần chỉ nhập một lớp.",
                f"The zip holds several Shapefile layers ({listed}): import one at a time.",
                reason="corrupt",
            )
        stem = shps[0][:-4]
        parts: dict[str, zipfile.ZipInfo] = {}
        for name, info in members.items():
            if name[: len(stem)] == stem and name[len(stem) :].lower() in (
                ".shp",
                ".shx",
                ".dbf",
                ".prj",
                ".cpg",
            ):
                parts[name[len(stem) :].lower()] = info
        if ".dbf" not in parts:
            raise _corrupt("Shapefile (.zip)", f"thiếu tệp {stem}.dbf / missing {stem}.dbf")
        if sum(i.file_size for i in parts.values()) > max_bytes:
            raise _unzipped_too_large(max_bytes)
        try:
            blobs = {ext: zf.read(info) for ext, info in parts.items()}
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise _corrupt("Shapefile (.zip)", str(exc)[:200]) from exc

    transformer: Transformer | None = None
    source_crs: str | None = None
    if ".prj" in blobs:
        prj = blobs[".prj"].decode("latin-1").strip()
        if prj:
            try:
                crs = CRS.from_user_input(prj)
            except Exception as exc:
                raise ImportFileError(
                    f"Không đọc được hệ tọa độ trong tệp .prj ({str(exc)[:200]}).",
                    f"The .prj file's coordinate reference system cannot be read "
                    f"({str(exc)[:200]}).",
                    reason="bad-crs",
                ) from exc
            if not _is_wgs84(crs):
                transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
                source_crs = crs.name
    encodings = [_codec_from_cpg(blobs[".cpg"])] if ".cpg" in blobs else ["utf-8", "cp1258"]
    last_error: Exception | None = None
    for encoding in encodings:
        try:
            features, errors = _read_shapefile(blobs, encoding, transformer, max_rows)
        except UnicodeDecodeError as exc:
            last_error = exc
            continue
        except shapefile.ShapefileException as exc:
            if "decode" in str(exc).lower():
                last_error = exc
                continue
            raise _corrupt("Shapefile", str(exc)[:200]) from exc
        return ImportResult(features, errors, "shapefile", source_crs)
    raise ImportFileError(
        f"Không giải mã được thuộc tính (.dbf) với bảng mã {', '.join(encodings)}: hãy thêm tệp "
        f".cpg ghi bảng mã (ví dụ UTF-8 hoặc 1258).",
        f"The attributes (.dbf) cannot be decoded with {', '.join(encodings)}: add a .cpg file "
        f"naming the encoding (e.g. UTF-8 or 1258). ({last_error})",
        reason="bad-encoding",
    )


def _codec_from_cpg(blob: bytes) -> str:
    text = blob.decode("ascii", errors="replace").strip().lower()
    candidates = [text, text.replace(" ", "")]
    digits = re.findall(r"\d+", text)
    if digits:
        number = digits[-1]
        candidates += ["utf-8" if number == "65001" else f"cp{number}"]
    for candidate in candidates:
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    raise ImportFileError(
        f"Tệp .cpg ghi bảng mã «{text[:40]}» không được hỗ trợ.",
        f"The .cpg file names an unsupported encoding '{text[:40]}'.",
        reason="bad-encoding",
    )


def _read_shapefile(
    blobs: Mapping[str, bytes],
    encoding: str,
    transformer: Transformer | None,
    max_rows: int,
) -> tuple[list[ImportedFeature], list[RowError]]:
    features: list[ImportedFeature] = []
    errors: list[RowError] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = shapefile.Reader(
                shp=io.BytesIO(blobs[".shp"]),
                shx=io.BytesIO(blobs[".shx"]) if ".shx" in blobs else None,
                dbf=io.BytesIO(blobs[".dbf"]),
                encoding=encoding,
            )
        except (shapefile.ShapefileException, struct.error, ValueError, IndexError) as exc:
            raise shapefile.ShapefileException(str(exc)) from exc
        with reader:
            if len(reader) > max_rows:
                raise _too_many_rows(max_rows)
            try:
                for i, item in enumerate(reader.iterShapeRecords()):
                    row = i + 1
                    props = _json_safe_dict(item.record.as_dict())
                    shp = item.shape
                    if shp is None or shp.shapeType == shapefile.NULL or not shp.points:
                        errors.append(
                            _RECORD.error(row, "geometry", "không có hình học.", "has no geometry.")
                        )
                        continue
                    try:
                        geo_interface = shp.__geo_interface__
                    except Exception:  # e.g. MultiPatch: no GeoJSON equivalent
                        errors.append(
                            _RECORD.error(
                                row,
                                "geometry",
                                f"không hỗ trợ kiểu hình {shp.shapeTypeName}.",
                                f"shape type {shp.shapeTypeName} is not supported.",
                            )
                        )
                        continue
                    try:
                        if transformer is None:
                            geom = parse_geojson_geometry(_plain(geo_interface))
                        else:
                            geom = _reprojected(geo_interface, transformer)
                    except GeoError as exc:
                        errors.append(_RECORD.geo_error(row, "geometry", exc))
                        continue
                    features.append(ImportedFeature(row, shapely.force_2d(geom), props))
            except UnicodeDecodeError:
                raise
            except (struct.error, ValueError, IndexError, EOFError) as exc:
                raise shapefile.ShapefileException(str(exc)) from exc
    return features, errors


def _plain(value: Any) -> Any:
    """pyshp's geo interface (tuples) → plain lists, as parse_geojson_geometry expects JSON."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# ------------------------------------------------------------------------------------------
# Tables: CSV and XLSX


def _fold(name: str) -> str:
    """Column name → comparable key: no accents, lower case, single spaces."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[_\-.]+", " ", text).split())


_LAT_NAMES: Final = {"vi do", "vido", "lat", "latitude"}
_LON_NAMES: Final = {"kinh do", "kinhdo", "lon", "lng", "long", "longitude"}
_GEOMETRY_NAMES: Final = {"geometry", "wkt", "geom", "hinh hoc"}


@dataclass(frozen=True)
class _Columns:
    names: list[str]
    lat: int | None
    lon: int | None
    geometry: int | None

    @classmethod
    def from_header(cls, cells: list[Any]) -> _Columns | None:
        names: list[str] = []
        for j, cell in enumerate(cells):
            text = _nfc(str(cell).strip()) if cell is not None else ""
            names.append(text or f"column_{j + 1}")
        folded = [_fold(n) for n in names]

        def find(aliases: set[str]) -> int | None:
            return next((j for j, f in enumerate(folded) if f in aliases), None)

        lat, lon, geometry = find(_LAT_NAMES), find(_LON_NAMES), find(_GEOMETRY_NAMES)
        if geometry is None and (lat is None or lon is None):
            return None
        seen: set[str] = set()
        for n in names:
            if n in seen:
                raise ImportFileError(
                    f"Cột «{n}» xuất hiện nhiều lần ở dòng tiêu đề.",
                    f"Column '{n}' appears more than once in the header row.",
                    reason="bad-header",
                )
            seen.add(n)
        return cls(names, lat, lon, geometry)


def _no_coordinate_columns(kind: str) -> ImportFileError:
    return ImportFileError(
        f"Tệp {kind} không có cột tọa độ: cần hai cột «vĩ độ» (lat) và «kinh độ» (lon), hoặc "
        "một cột «geometry»/«wkt».",
        f"The {kind} file has no coordinate columns: it needs a 'latitude' (vĩ độ, lat) and a "
        "'longitude' (kinh độ, lon) column, or a 'geometry'/'wkt' column.",
        reason="no-coordinates",
    )


class _CellError(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en


_MINUS_SIGNS: Final = str.maketrans({"\u2212": "-", "\u2013": "-"})


def _number(value: Any) -> float:
    """A cell → float: numbers as they are, text with a decimal point or comma."""
    if isinstance(value, bool):
        raise _CellError("giá trị không phải số", "the value is not a number")
    if isinstance(value, int | float | Decimal):
        result = float(value)
    else:
        text = str(value).strip().translate(_MINUS_SIGNS).replace(" ", "").replace("\u00a0", "")
        if "," in text and "." in text:
            raise _CellError(
                f"giá trị không phải số («{text[:30]}»: có cả dấu phẩy và dấu chấm)",
                f"the value is not a number ('{text[:30]}': both a comma and a point)",
            )
        try:
            result = float(text.replace(",", "."))
        except ValueError:
            raise _CellError(
                f"giá trị không phải số («{text[:30]}»)",
                f"the value is not a number ('{text[:30]}')",
            ) from None
    if not math.isfinite(result):
        raise _CellError("giá trị không phải số hữu hạn", "the value is not a finite number")
    return result


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _import_table(
    rows: Iterable[tuple[int, list[Any]]], kind: str, fmt: str, max_rows: int
) -> ImportResult:
    """Rows (row number, cells) of a CSV or a sheet; the first non-empty row is the header."""
    columns: _Columns | None = None
    features: list[ImportedFeature] = []
    errors: list[RowError] = []
    count = 0
    for row, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        if columns is None:
            columns = _Columns.from_header(cells)
            if columns is None:
                raise _no_coordinate_columns(kind)
            continue
        count += 1
        if count > max_rows:
            raise _too_many_rows(max_rows)
        result = _table_row(row, cells, columns)
        if isinstance(result, RowError):
            errors.append(result)
        else:
            features.append(result)
    if columns is None:
        raise ImportFileError(
            f"Tệp {kind} không có dữ liệu.", f"The {kind} file has no data.", reason="empty"
        )
    return ImportResult(features, errors, fmt)


def _column_label(columns: _Columns, j: int) -> tuple[str, str]:
    header = columns.names[j]
    canonical = {columns.lat: ("vĩ độ", "latitude"), columns.lon: ("kinh độ", "longitude")}
    vi, en = canonical.get(j, (header, header))
    if _fold(header) != _fold(vi):
        vi = f"{vi} ({header})"
    if _fold(header) != _fold(en):
        en = f"{en} ({header})"
    return vi, en


def _table_row(row: int, cells: list[Any], columns: _Columns) -> ImportedFeature | RowError:
    n = len(columns.names)
    extra = [c for c in cells[n:] if not _blank(c)]
    if extra:
        return _LINE.error(
            row,
            None,
            f"có {len(extra)} giá trị nằm ngoài các cột có tiêu đề.",
            f"{len(extra)} value(s) lie outside the columns that have a header.",
        )
    cells = list(cells[:n]) + [None] * (n - len(cells))

    def cell_error(j: int, vi: str, en: str) -> RowError:
        col_vi, col_en = _column_label(columns, j)
        return RowError(
            row,
            columns.names[j],
            f"{_LINE.vi} {row}, cột {col_vi}: {vi}",
            f"{_LINE.en} {row}, column {col_en}: {en}",
        )

    geom: BaseGeometry
    if columns.geometry is not None and not _blank(cells[columns.geometry]):
        j = columns.geometry
        try:
            geom = _geometry_cell(cells[j])
        except GeoError as exc:
            return cell_error(j, exc.message_vi, exc.message_en)
    else:
        lat_j, lon_j = columns.lat, columns.lon
        if lat_j is None or lon_j is None:
            assert columns.geometry is not None
            return cell_error(columns.geometry, "ô trống.", "the cell is empty.")
        coords: dict[int, float] = {}
        for j in (lon_j, lat_j):
            if _blank(cells[j]):
                return cell_error(j, "ô trống.", "the cell is empty.")
            try:
                coords[j] = _number(cells[j])
            except _CellError as exc:
                return cell_error(j, exc.vi, exc.en)
        try:
            geom = parse_geojson_geometry(
                {"type": "Point", "coordinates": [coords[lon_j], coords[lat_j]]}
            )
        except GeoError as exc:
            fld = f"{columns.names[lat_j]}, {columns.names[lon_j]}"
            if exc.reason == "swapped-coordinates":
                lat_vi, lat_en = _column_label(columns, lat_j)
                lon_vi, lon_en = _column_label(columns, lon_j)
                return _LINE.error(
                    row,
                    fld,
                    f"vĩ độ {_num_vi(coords[lat_j])} và kinh độ {_num_vi(coords[lon_j])} nằm "
                    f"ngoài Việt Nam nhưng sẽ nằm trong nếu đổi chỗ: có vẻ giá trị của cột "
                    f"{lat_vi} và cột {lon_vi} bị đổi chỗ cho nhau.",
                    f"latitude {coords[lat_j]:g} and longitude {coords[lon_j]:g} are outside "
                    f"Vietnam but would be inside if swapped: the values of the {lat_en} and "
                    f"{lon_en} columns look swapped.",
                )
            return _LINE.geo_error(row, fld, exc)
    used = {columns.lat, columns.lon, columns.geometry}
    props = {
        columns.names[j]: _json_safe(None if _blank(v) else v)
        for j, v in enumerate(cells)
        if j not in used
    }
    return ImportedFeature(row, shapely.force_2d(geom), props)


def _num_vi(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _geometry_cell(value: Any) -> BaseGeometry:
    text = str(value).strip()
    if text.startswith("{"):
        return parse_geojson_geometry(text)
    return geometry_from_wkt(text)


# CSV


_DELIMITERS: Final = (",", ";", "\t", "|")


def import_csv(data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS) -> ImportResult:
    """A CSV with a header row (see the module docstring)."""
    text = _decode_text(data)
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(_DELIMITERS, key=lambda d: (_count_outside_quotes(header_line, d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        start = 1
        try:
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
        except csv.Error as exc:
            raise _corrupt(
                "CSV", f"dòng {reader.line_num} / line {reader.line_num}: {exc}"
            ) from exc

    return _import_table(rows(), "CSV", "csv", max_rows)


def _decode_text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1258")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                "Không đọc được bảng mã của tệp: hãy lưu tệp dưới dạng CSV UTF-8.",
                "The file's encoding cannot be read: save it as CSV UTF-8.",
                reason="bad-encoding",
            ) from exc
    if "\x00" in text:
        raise _corrupt("CSV", "có ký tự NUL, có thể là tệp nhị phân / NUL bytes (binary file?)")
    return unicodedata.normalize("NFC", text)


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


# XLSX


def import_xlsx(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImportResult:
    """The first sheet of an Excel workbook whose header has coordinate columns."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    zf = _open_zip(data, "Excel (.xlsx)")
    with zf:
        if sum(i.file_size for i in zf.infolist()) > max_bytes:
            raise _unzipped_too_large(max_bytes)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _corrupt("Excel (.xlsx)", str(exc)[:200]) from exc
    try:
        for sheet in workbook.worksheets:
            rows = _sheet_rows(sheet)
            first = next(((r, c) for r, c in rows if not all(_blank(x) for x in c)), None)
            if first is None:
                continue
            if _Columns.from_header(first[1]) is None:
                continue

            def chained(
                first: tuple[int, list[Any]] = first, rest: Iterator[tuple[int, list[Any]]] = rows
            ) -> Iterator[tuple[int, list[Any]]]:
                yield first
                yield from rest

            return _import_table(chained(), "Excel", "xlsx", max_rows)
    except (ImportFileError, ImportTooLarge):
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged sheets
        raise _corrupt("Excel (.xlsx)", str(exc)[:200]) from exc
    finally:
        workbook.close()
    raise _no_coordinate_columns("Excel")


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield row_number, list(values)


# ------------------------------------------------------------------------------------------
# Shared helpers


def _open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _corrupt(kind, f"không phải tệp zip hợp lệ / not a valid zip ({exc})") from exc


def _unzipped_too_large(max_bytes: int) -> ImportTooLarge:
    return ImportTooLarge(
        f"Nội dung giải nén quá lớn (tối đa {_mb(max_bytes)}).",
        f"The uncompressed content is too large (at most {_mb(max_bytes)}).",
        reason="too-many-bytes",
        limit=max_bytes,
    )


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return _nfc(value.decode("utf-8", errors="replace"))
    if isinstance(value, Mapping):
        return _json_safe_dict(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return _nfc(str(value))


def _json_safe_dict(props: Mapping[Any, Any]) -> dict[str, Any]:
    return {_nfc(str(k)): _json_safe(v) for k, v in props.items()}
