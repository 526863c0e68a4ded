"""Commune and province boundaries for the map: synthetic ones for the demo, and matching of
real boundaries read from a file to the official commune codes (pure functions).

No open polygons of the post-2025 communes exist. :func:`synthesize` builds *plausible* ones
from what is official — each commune's centre point and area (``units/data/communes.csv``):

1. around every centre a disc whose area is about 1.6 × the official area (radius
   1.25 · √(A/π)); the union of the discs, closed by ±1.5 km buffers and without holes, is the
   synthetic province outline;
2. the Voronoi cell of each centre, clipped to that outline, is the synthetic commune.

Every synthetic boundary says so (``synthetic=True``, source text) and the UI labels it; the
derived commune of a record never comes from a synthetic boundary (see the services). The ratio
of each synthetic area to the official one is kept so anyone can judge the approximation.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from nongso.core.i18n import fold
from nongso.registry import geo

SYNTHETIC_SOURCE: Final = (
    "synthetic: Voronoi cells of the official commune centre points (units/data/communes.csv) "
    "clipped to a province outline built from discs of the official areas — not a legal boundary"
)
_METRIC: Final = geo.WGS84_UTM48N


@dataclass(frozen=True)
class CommunePoint:
    code: str
    name: str
    lon: float
    lat: float
    area_km2: float | None


@dataclass(frozen=True)
class BoundaryShape:
    level: str  # province or commune
    code: str
    name: str
    geometry: BaseGeometry  # lon/lat
    area_km2: float
    official_area_km2: float | None


def _to_metric(geom: BaseGeometry) -> BaseGeometry:
    return geo.project(geom, _METRIC)


def _to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    from pyproj import Transformer

    transformer = Transformer.from_crs(_METRIC, "EPSG:4326", always_xy=True)

    def back(xy: Any) -> Any:
        import numpy as np

        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([np.round(x, 6), np.round(y, 6)])

    return shapely.transform(geom, back)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts (intersections may add slivers of lines or points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    return unary_union(parts) if parts else Polygon()


def _fill_holes(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, Polygon):
        return Polygon(geom.exterior)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([Polygon(p.exterior) for p in geom.geoms])
    return geom


def synthesize(
    province_code: str, province_name: str, communes: Sequence[CommunePoint]
) -> list[BoundaryShape]:
    """Synthetic commune boundaries and the province outline (the last item)."""
    if len(communes) < 2:
        raise ValueError("at least two communes are needed to synthesise boundaries")
    known = [c.area_km2 for c in communes if c.area_km2]
    default_area = statistics.median(known) if known else 50.0
    centres: list[Point] = [_to_metric(Point(c.lon, c.lat)) for c in communes]  # type: ignore[misc]
    discs = []
    for c, centre in zip(communes, centres, strict=True):
        area_m2 = (c.area_km2 or default_area) * 1e6
        discs.append(centre.buffer(1.25 * math.sqrt(area_m2 / math.pi), quad_segs=16))
    outline = _fill_holes(unary_union(discs).buffer(1500).buffer(-1500).simplify(50))
    cells = shapely.voronoi_polygons(MultiPoint([(p.x, p.y) for p in centres]),
                                     extend_to=outline.envelope.buffer(5000))
    out: list[BoundaryShape] = []
    for c, centre in zip(communes, centres, strict=True):
        cell = next(g for g in cells.geoms if g.contains(centre) or g.touches(centre))
        shape = _polygonal(cell.intersection(outline))
        if shape.is_empty:  # pragma: no cover - a centre always lies in its own disc
            continue
        lonlat = shapely.make_valid(_to_lonlat(shape))
        out.append(BoundaryShape("commune", c.code, c.name, _polygonal(lonlat),
                                 round(shape.area / 1e6, 2), c.area_km2))
    province = shapely.make_valid(_to_lonlat(outline))
    out.append(BoundaryShape("province", province_code, province_name, _polygonal(province),
                             round(outline.area / 1e6, 1), None))
    return out


# --- real boundaries from a file --------------------------------------------------------------

_CODE_KEYS: Final = ("code", "ma", "ma xa", "ma dvhc", "ma don vi", "commune code", "ward code",
                     "ma phuong xa", "maxa", "madvhc", "wardcode")
_NAME_KEYS: Final = ("name", "ten", "ten xa", "ten dvhc", "ten don vi", "commune", "ward",
                     "tenxa", "ten phuong xa")


def _key(name: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", fold(name)).split())


def _strip_type(name: str) -> str:
    folded = fold(name)
    for prefix in ("xa ", "phuong ", "thi tran ", "dac khu "):
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def match_commune(
    properties: Mapping[str, Any], by_code: Mapping[str, str], by_name: Mapping[str, str]
) -> str | None:
    """The official commune code a boundary feature stands for: by a code attribute (5 digits),
    else by its name (accents, case and the type word "Xã"/"Phường" ignored).

    ``by_code``: code → name of the province's communes; ``by_name``: folded short name → code.
    """
    keyed = {_key(str(k)): v for k, v in properties.items()}
    for k in _CODE_KEYS:
        value = keyed.get(k)
        if value is None:
            continue
        text = str(value).strip()
        if text.isdigit() and text.zfill(5) in by_code:
            return text.zfill(5)
    for k in _NAME_KEYS:
        value = keyed.get(k)
        if isinstance(value, str) and value.strip():
            code = by_name.get(_strip_type(value))
            if code is not None:
                return code
    return None
