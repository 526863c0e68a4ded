"""OGC API – Features query parameters: CQL2-text ``filter`` (Part 3), ``bbox``, ``datetime``.

:func:`compile_filter` parses a CQL2-text filter (:mod:`~nongso.registry.cql.parse`: the
``cql2`` package's parser, then pygeofilter's AST classes) and compiles the tree
(:mod:`~nongso.registry.cql.compile`) into a SQLAlchemy boolean expression over the
collection's queryables (a mapping ``name → column expression``), SQLite first and portable to
PostgreSQL. The ``bbox`` and ``datetime`` parameters are read by
:mod:`~nongso.registry.cql.params`; bounding-box conditions are in
:mod:`~nongso.registry.cql.boxes`, ``LIKE`` in :mod:`~nongso.registry.cql.like`; the errors
(HTTP 400) in :mod:`~nongso.registry.cql.errors`.

Supported: ``=`` ``<>`` ``<`` ``<=`` ``>`` ``>=``, ``AND`` ``OR`` ``NOT``, ``[NOT] LIKE``,
``[NOT] IN (…)``, ``[NOT] BETWEEN … AND …``, ``IS [NOT] NULL``, ``INCLUDE``/``EXCLUDE``, literal
strings, numbers, booleans, ``DATE('…')`` and ``TIMESTAMP('…')``; spatial predicates
``S_INTERSECTS`` (also ``BBOX(geometry, …)``), ``S_WITHIN``, ``S_CONTAINS`` and ``S_DISJOINT``
between the geometry queryable and a WKT, ``BBOX(minx, miny, maxx, maxy)`` or ``ENVELOPE``
literal. Everything else (temporal ``T_*`` and array ``A_*`` operators, functions such as
``CASEI``, arithmetic, ``S_DWITHIN``…) is refused with :class:`FilterError`: no part of a filter
is ever silently ignored.

Spatial predicates are compiled in two stages. The SQL expression only *prefilters* on the
bounding-box columns of the rows (``minx``/``miny``/``maxx``/``maxy``, which an ordinary
B-tree index or a spatial index serves); it keeps every row that may match. The exact test is
done in Python by :meth:`CompiledFilter.refine` with shapely on the rows the query returned.
Spatial predicates may appear anywhere in the filter (under ``OR``, inside ``NOT (…)``): a
top-level conjunct that mixes spatial and other predicates is compiled into

* an SQL *over-approximation* kept in ``where`` (every row for which the conjunct is TRUE
  satisfies it: a spatial atom is replaced by its bounding-box prefilter where it counts
  positively and by FALSE where it counts negatively, NOT swapping the two), and
* a *residual* tree evaluated in Python on each candidate row, in SQL's three-valued logic,
  whose non-spatial leaves are computed by the database itself (selected as boolean columns,
  :attr:`CompiledFilter.columns`) so that their semantics are exactly SQL's, and whose spatial
  leaves are computed with shapely.

A row is kept when the whole filter is TRUE (UNKNOWN, e.g. a row without geometry, is not).

The grammar is the standard's (the ``cql2`` parser): ``AND`` binds tighter than ``OR``,
``NOT`` applies to any parenthesised group, strings escape a quote by doubling it. ``LIKE``
follows CQL2: ``%`` any sequence, ``_`` one character, ``\\`` escapes, case-sensitive on both
databases (``GLOB`` on SQLite, whose ``LIKE`` ignores ASCII case). Property names are
case-sensitive. Also accepted, as before: ``BBOX(geometry, minx, miny, maxx, maxy)``,
``ENVELOPE(w e n s)``, ``INCLUDE``/``EXCLUDE`` and the EWKT prefix ``SRID=4326;``.
"""

from __future__ import annotations

from nongso.registry.cql.boxes import BBoxColumns, bbox_condition, bbox_geometry
from nongso.registry.cql.compile import (
    CompiledFilter,
    Queryables,
    SpatialCondition,
    compile_ast,
    compile_filter,
)
from nongso.registry.cql.errors import MAX_DEPTH, MAX_FILTER_LENGTH, FilterError, ParameterError
from nongso.registry.cql.params import parse_bbox, parse_datetime_interval
from nongso.registry.cql.parse import parse_cql2_text

__all__ = [
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "BBoxColumns",
    "CompiledFilter",
    "FilterError",
    "ParameterError",
    "Queryables",
    "SpatialCondition",
    "bbox_condition",
    "bbox_geometry",
    "compile_ast",
    "compile_filter",
    "parse_bbox",
    "parse_cql2_text",
    "parse_datetime_interval",
]
