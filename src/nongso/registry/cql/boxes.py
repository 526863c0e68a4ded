"""Bounding boxes: the columns holding each row's box, the SQL condition "overlaps this box"
and the box as a geometry (both handle boxes crossing the antimeridian)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shapely.geometry import MultiPolygon, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, or_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from nongso.registry.cql.errors import FilterError, ParameterError
from nongso.registry.geo import BBox

ColumnLike = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class BBoxColumns:
    """The four columns holding each row's bounding box (lon/lat degrees)."""

    minx: ColumnLike
    miny: ColumnLike
    maxx: ColumnLike
    maxy: ColumnLike



def columns_tuple(
    columns: BBoxColumns,
) -> tuple[ColumnLike, ColumnLike, ColumnLike, ColumnLike]:
    return columns.minx, columns.miny, columns.maxx, columns.maxy


def clause(column: ColumnLike) -> ColumnElement[Any]:
    if isinstance(column, QueryableAttribute):
        return column.__clause_element__()
    return column


def bbox_from_numbers(numbers: Sequence[float], parameter: str) -> BBox:
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    minx, miny, maxx, maxy = numbers
    problem: tuple[str, str] | None = None
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        problem = ("kinh độ phải trong −180…180", "longitudes must be within −180…180")
    elif not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        problem = ("vĩ độ phải trong −90…90", "latitudes must be within −90…90")
    elif miny > maxy:
        problem = ("miny phải nhỏ hơn hoặc bằng maxy", "miny must not exceed maxy")
    if problem is not None:
        message = (f"{parameter}: {problem[0]}.", f"{parameter}: {problem[1]}.")
        if parameter == "filter":
            raise FilterError(*message, operator="BBOX")
        raise ParameterError(*message, parameter=parameter)
    return BBox(minx, miny, maxx, maxy)


def bbox_condition(columns: BBoxColumns, b: BBox) -> ColumnElement[bool]:
    """Rows whose bounding box overlaps ``b`` (antimeridian-crossing boxes handled)."""
    minx, miny, maxx, maxy = (clause(c) for c in columns_tuple(columns))
    lat = and_(miny <= b.max_lat, maxy >= b.min_lat)
    if b.min_lon <= b.max_lon:
        return and_(minx <= b.max_lon, maxx >= b.min_lon, lat)
    return and_(or_(maxx >= b.min_lon, minx <= b.max_lon), lat)


def bbox_geometry(b: BBox) -> BaseGeometry:
    """The box as a polygon (two, for a box crossing the antimeridian)."""
    if b.min_lon <= b.max_lon:
        return box(b.min_lon, b.min_lat, b.max_lon, b.max_lat)
    return MultiPolygon(
        [box(b.min_lon, b.min_lat, 180, b.max_lat), box(-180, b.min_lat, b.max_lon, b.max_lat)]
    )
