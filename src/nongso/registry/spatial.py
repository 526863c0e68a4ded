"""The spatial index of the registry's map tables, as SQL conditions.

Each spatial table stores its rows' bounding boxes in plain columns. The migration builds:

* on SQLite an R*Tree virtual table ``rtree_<table>(id, min_lon, max_lon, min_lat, max_lat)``
  kept equal to the table by triggers (insert, update of the box or the status, delete), so
  every writer — the ORM, bulk ``insert()``, another domain — maintains it without knowing;
  soft-deleted rows (``status = 'deleted'``) are not in it;
* on PostgreSQL a GiST index ``gix_<table>_bbox`` on the built-in geometric expression
  ``box(point(min_lon, min_lat), point(max_lon, max_lat))`` (PostGIS is not needed).

:func:`index_condition` returns the condition that lets the database use that index for "box
overlaps box"; callers AND it with the exact column test (:func:`nongso.registry.cql.
bbox_condition`), because the R*Tree stores 32-bit floats (rounded outwards) and because the
exact geometry test comes after (shapely).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Column, Float, Integer, MetaData, Table, and_, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from nongso.registry.geo import BBox


@dataclass(frozen=True)
class SpatialTable:
    """A table with a bounding box: the names of its four box columns."""

    name: str
    min_lon: str
    min_lat: str
    max_lon: str
    max_lat: str


SPATIAL_TABLES: Final = {
    t.name: t
    for t in (
        SpatialTable("production_units", "min_lon", "min_lat", "max_lon", "max_lat"),
        SpatialTable("organisations", "lon", "lat", "lon", "lat"),
        SpatialTable("infrastructure", "min_lon", "min_lat", "max_lon", "max_lat"),
        SpatialTable("soil_units", "min_lon", "min_lat", "max_lon", "max_lat"),
        SpatialTable("registry_versions", "min_lon", "min_lat", "max_lon", "max_lat"),
    )
}

_rtree_metadata = MetaData()


def rtree(table_name: str) -> Table:
    """The R*Tree virtual table of a spatial table (SQLite only; not in the ORM metadata)."""
    name = f"rtree_{table_name}"
    existing = _rtree_metadata.tables.get(name)
    if existing is not None:
        return existing
    return Table(
        name, _rtree_metadata,
        Column("id", Integer, primary_key=True),
        Column("min_lon", Float), Column("max_lon", Float),
        Column("min_lat", Float), Column("max_lat", Float),
    )


def index_condition(table: Table, dialect: str, b: BBox) -> ColumnElement[bool]:
    """Rows of ``table`` whose box may overlap ``b``, through the spatial index."""
    spec = SPATIAL_TABLES[table.name]
    if b.min_lon > b.max_lon:  # crossing the antimeridian: not in Vietnam; columns only
        return true()
    if dialect == "sqlite":
        r = rtree(table.name)
        ids = select(r.c.id).where(
            r.c.min_lon <= b.max_lon, r.c.max_lon >= b.min_lon,
            r.c.min_lat <= b.max_lat, r.c.max_lat >= b.min_lat,
        )
        return table.c.id.in_(ids)
    if dialect == "postgresql":
        c = table.c
        row_box = func.box(func.point(c[spec.min_lon], c[spec.min_lat]),
                           func.point(c[spec.max_lon], c[spec.max_lat]))
        query_box = func.box(func.point(b.min_lon, b.min_lat), func.point(b.max_lon, b.max_lat))
        result: ColumnElement[bool] = row_box.op("&&", is_comparison=True)(query_box)
        return result
    return true()


def columns_condition(table: Table, b: BBox) -> ColumnElement[bool]:
    """The exact "box overlaps box" test on the plain columns."""
    spec = SPATIAL_TABLES[table.name]
    c = table.c
    lat = and_(c[spec.min_lat] <= b.max_lat, c[spec.max_lat] >= b.min_lat)
    if b.min_lon <= b.max_lon:
        return and_(c[spec.min_lon] <= b.max_lon, c[spec.max_lon] >= b.min_lon, lat)
    return and_(or_(c[spec.max_lon] >= b.min_lon, c[spec.min_lon] <= b.max_lon), lat)


def bbox_filter(table: Table, dialect: str, b: BBox) -> ColumnElement[bool]:
    """Index condition AND exact column test."""
    return and_(index_condition(table, dialect, b), columns_condition(table, b))


def is_index_object(name: str | None, type_: str) -> bool:
    """Objects of the spatial index that Alembic's comparison must ignore."""
    if not name:
        return False
    if type_ == "table":
        return name.startswith("rtree_")
    if type_ == "index":
        return name.startswith("gix_")
    return False
