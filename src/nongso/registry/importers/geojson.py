"""GeoJSON: a FeatureCollection (or one Feature), any ``crs`` pyproj knows."""

from __future__ import annotations

import json
from typing import Any, Final

import shapely
from pyproj import Transformer

from nongso.registry.geo import (
    GeoError,
    parse_geojson_geometry,
)
from nongso.registry.importers._common import (
    _FEATURE,
    DEFAULT_MAX_ROWS,
    ImportedFeature,
    ImportFileError,
    ImportResult,
    RowError,
    _corrupt,
    _json_safe_dict,
    _reprojected,
    _too_many_rows,
    _transformer_to_wgs84,
)

_CRS84_NAMES: Final = {
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "urn:ogc:def:crs:epsg::4326",
    "epsg:4326",
    "http://www.opengis.net/def/crs/epsg/0/4326",
}


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
