"""The compiler of CQL2 filters into SQLAlchemy conditions, SQLite first (portable to
PostgreSQL), over a collection's queryables (a mapping ``name → column expression``).

The tree comes from :mod:`nongso.registry.cql.parse` (pygeofilter's AST classes). Spatial
predicates are compiled in two stages (see :mod:`nongso.registry.cql`): an SQL prefilter on the
rows' bounding boxes, then the exact test with shapely in :meth:`CompiledFilter.refine`.

One cohesive thing (the compiler: logic, comparisons, spatial predicates and their residual
three-valued evaluation); ``LIKE`` patterns are :mod:`nongso.registry.cql.like`.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal

import shapely
from pygeofilter import ast, values
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ARRAY,
    JSON,
    DateTime,
    and_,
    false,
    not_,
    or_,
    true,
)
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from nongso.registry.cql.boxes import (
    BBoxColumns,
    ColumnLike,
    bbox_condition,
    bbox_from_numbers,
    bbox_geometry,
    clause,
    columns_tuple,
)
from nongso.registry.cql.errors import MAX_DEPTH, FilterError
from nongso.registry.cql.like import case_sensitive_like
from nongso.registry.cql.parse import Unsupported, parse_cql2_text
from nongso.registry.geo import BBox, GeoError, validate_geometry

Queryables = Mapping[str, ColumnLike]


SpatialOp = Literal["intersects", "within", "contains", "disjoint"]


@dataclass(frozen=True)
class SpatialCondition:
    """One spatial predicate ``<row geometry> op <geometry>`` (``negated``: NOT of it)."""

    op: SpatialOp
    geometry: BaseGeometry
    negated: bool = False

    def __post_init__(self) -> None:
        shapely.prepare(self.geometry)

    def matches(self, row_geometry: BaseGeometry | None) -> bool:
        """The exact test; a row without geometry matches nothing (SQL's unknown)."""
        if row_geometry is None or row_geometry.is_empty:
            return False
        test: Callable[[BaseGeometry, BaseGeometry], Any] = _SPATIAL_TESTS[self.op]
        result = bool(test(row_geometry, self.geometry))
        return not result if self.negated else result


_SPATIAL_TESTS: Final[dict[str, Callable[[BaseGeometry, BaseGeometry], Any]]] = {
    "intersects": shapely.intersects,
    "within": shapely.within,
    "contains": shapely.contains,
    "disjoint": shapely.disjoint,
}


Truth = bool | None
"""SQL's three-valued logic: True, False or None (UNKNOWN)."""


@dataclass(frozen=True)
class _RSql:
    """A non-spatial sub-condition computed by the database: ``values[index]``."""

    index: int


@dataclass(frozen=True)
class _RSpatial:
    condition: SpatialCondition


@dataclass(frozen=True)
class _RNot:
    child: _Residual


@dataclass(frozen=True)
class _RAnd:
    children: tuple[_Residual, ...]


@dataclass(frozen=True)
class _ROr:
    children: tuple[_Residual, ...]


_Residual = _RSql | _RSpatial | _RNot | _RAnd | _ROr


def _spatial_truth(condition: SpatialCondition, geometry: BaseGeometry | None) -> Truth:
    if geometry is None or geometry.is_empty:
        return None
    test = _SPATIAL_TESTS[condition.op]
    return bool(test(geometry, condition.geometry))


def _evaluate(node: _Residual, geometry: BaseGeometry | None, values: Sequence[Any]) -> Truth:
    """Kleene's three-valued logic, like SQL's."""
    if isinstance(node, _RSql):
        value = values[node.index]
        return None if value is None else bool(value)
    if isinstance(node, _RSpatial):
        return _spatial_truth(node.condition, geometry)
    if isinstance(node, _RNot):
        inner = _evaluate(node.child, geometry, values)
        return None if inner is None else not inner
    results = [_evaluate(c, geometry, values) for c in node.children]
    if isinstance(node, _RAnd):
        if False in results:
            return False
        return None if None in results else True
    if True in results:
        return True
    return None if None in results else False


@dataclass(frozen=True)
class CompiledFilter:
    """``where`` for the query; then keep the rows that pass :meth:`refine`.

    When :attr:`columns` is not empty, select them with the row (in order) and give their
    values to :meth:`refine`.
    """

    where: ColumnElement[bool]
    spatial: tuple[SpatialCondition, ...] = field(default=())
    residual: tuple[_Residual, ...] = field(default=())
    columns: tuple[ColumnElement[Any], ...] = field(default=())
    _literals: tuple[BaseGeometry, ...] = field(default=())

    @property
    def exact(self) -> bool:
        """True when ``where`` alone is exact (no spatial predicate to refine)."""
        return not self.spatial and not self.residual

    @property
    def geometries(self) -> tuple[BaseGeometry, ...]:
        """The spatial literals of the filter (lon/lat), in order."""
        return self._literals

    @property
    def positive_spatial(self) -> tuple[SpatialCondition, ...]:
        """Top-level spatial conditions every match satisfies (usable with a spatial index)."""
        return tuple(
            c for c in self.spatial if not c.negated and c.op in ("intersects", "within")
        )

    def refine(
        self, row_geometry: BaseGeometry | None, values: Sequence[Any] = ()
    ) -> bool:
        """Exact test of one row returned by ``where`` (True when nothing to refine).

        ``values`` are the row's values of :attr:`columns`, in order.
        """
        if not all(c.matches(row_geometry) for c in self.spatial):
            return False
        if self.residual and len(values) != len(self.columns):
            raise ValueError("refine() needs the values of CompiledFilter.columns")
        return all(_evaluate(r, row_geometry, values) is True for r in self.residual)


# ------------------------------------------------------------------------------------------
# Compilation


def compile_filter(
    text: str,
    queryables: Queryables,
    *,
    bbox_columns: BBoxColumns | None = None,
    geometry_queryable: str = "geometry",
) -> CompiledFilter:
    """Parse and compile a CQL2-text filter (see the module docstring)."""
    return compile_ast(
        parse_cql2_text(text),
        queryables,
        bbox_columns=bbox_columns,
        geometry_queryable=geometry_queryable,
    )


def compile_ast(
    node: ast.Node,
    queryables: Queryables,
    *,
    bbox_columns: BBoxColumns | None = None,
    geometry_queryable: str = "geometry",
) -> CompiledFilter:
    """Compile a pygeofilter AST (from :func:`parse_cql2_text`)."""
    compiler = _Compiler(queryables, bbox_columns, geometry_queryable)
    clauses: list[ColumnElement[bool]] = []
    spatial: list[SpatialCondition] = []
    residual: list[_Residual] = []
    for conjunct in _flatten(node, ast.And):
        negated, inner = False, conjunct
        while isinstance(inner, ast.Not):
            negated, inner = not negated, inner.sub_node
        if _is_spatial(inner):
            condition, prefilter = compiler.spatial(inner, negated)
            spatial.append(condition)
            clauses.append(prefilter)
        elif _contains_spatial(conjunct):
            tree, approx, _ = compiler.residual(conjunct, depth=0)
            residual.append(tree)
            clauses.append(approx)
        else:
            clauses.append(compiler.condition(conjunct, depth=0))
    where = clauses[0] if len(clauses) == 1 else and_(*clauses)
    return CompiledFilter(
        where, tuple(spatial), tuple(residual), tuple(compiler.columns),
        tuple(compiler.literals),
    )


def _contains_spatial(node: Any) -> bool:
    """Whether a spatial predicate occurs in this AND/OR/NOT tree."""
    stack = [node]
    while stack:
        current = stack.pop()
        if _is_spatial(current):
            return True
        if isinstance(current, ast.And | ast.Or):
            stack.extend((current.lhs, current.rhs))
        elif isinstance(current, ast.Not):
            stack.append(current.sub_node)
    return False


def _flatten(node: ast.Node, kind: type[ast.Combination]) -> list[ast.Node]:
    """The operands of a chain of the same AND/OR, iteratively (no recursion limit)."""
    result: list[ast.Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is kind:
            stack.append(current.rhs)
            stack.append(current.lhs)
        else:
            result.append(current)
    return result


_SPATIAL_NODES: Final = (ast.SpatialComparisonPredicate, ast.BBox)


def _is_spatial(node: Any) -> bool:
    return isinstance(node, _SPATIAL_NODES)


_COMPARISONS: Final[dict[type[ast.Comparison], tuple[str, Callable[[Any, Any], Any]]]] = {
    ast.Equal: ("=", operator.eq),
    ast.NotEqual: ("<>", operator.ne),
    ast.LessThan: ("<", operator.lt),
    ast.LessEqual: ("<=", operator.le),
    ast.GreaterThan: (">", operator.gt),
    ast.GreaterEqual: (">=", operator.ge),
}
_FLIPPED: Final = {
    ast.Equal: ast.Equal,
    ast.NotEqual: ast.NotEqual,
    ast.LessThan: ast.GreaterThan,
    ast.LessEqual: ast.GreaterEqual,
    ast.GreaterThan: ast.LessThan,
    ast.GreaterEqual: ast.LessEqual,
}
_LITERAL_TYPES: Final = (str, int, float, bool, dt.date, dt.datetime)


class _Compiler:
    def __init__(
        self, queryables: Queryables, bbox_columns: BBoxColumns | None, geometry_name: str
    ) -> None:
        self.queryables = queryables
        self.bbox_columns = bbox_columns
        self.geometry_name = geometry_name
        self.columns: list[ColumnElement[Any]] = []
        self.literals: list[BaseGeometry] = []

    # -- residual (spatial predicates under OR / NOT) -----------------------------------

    def residual(
        self, node: Any, depth: int
    ) -> tuple[_Residual, ColumnElement[bool], ColumnElement[bool]]:
        """(tree, over, under): ``node`` TRUE ⇒ ``over`` TRUE; ``node`` FALSE ⇒ ``under`` FALSE."""
        if depth > MAX_DEPTH:
            raise FilterError(
                f"Bộ lọc lồng nhau quá sâu (tối đa {MAX_DEPTH} mức).",
                f"The filter is nested too deeply (at most {MAX_DEPTH} levels).",
            )
        if _is_spatial(node):
            condition, over = self.spatial(node, False)
            return _RSpatial(condition), over, _under(self._bbox(), condition)
        if not _contains_spatial(node):
            sql = self.condition(node, depth)
            self.columns.append(sql)
            return _RSql(len(self.columns) - 1), sql, sql
        if isinstance(node, ast.Not):
            tree, over, under = self.residual(node.sub_node, depth + 1)
            return _RNot(tree), not_(under), not_(over)
        kind = ast.And if isinstance(node, ast.And) else ast.Or
        parts = [self.residual(n, depth + 1) for n in _flatten(node, kind)]
        trees = tuple(p[0] for p in parts)
        if kind is ast.And:
            return _RAnd(trees), and_(*(p[1] for p in parts)), and_(*(p[2] for p in parts))
        return _ROr(trees), or_(*(p[1] for p in parts)), or_(*(p[2] for p in parts))

    def _bbox(self) -> BBoxColumns:
        assert self.bbox_columns is not None  # spatial() checked it
        return self.bbox_columns

    # -- conditions ---------------------------------------------------------------------

    def condition(self, node: Any, depth: int) -> ColumnElement[bool]:
        if depth > MAX_DEPTH:
            raise FilterError(
                f"Bộ lọc lồng nhau quá sâu (tối đa {MAX_DEPTH} mức).",
                f"The filter is nested too deeply (at most {MAX_DEPTH} levels).",
            )
        if isinstance(node, ast.And):
            return and_(*(self.condition(n, depth + 1) for n in _flatten(node, ast.And)))
        if isinstance(node, ast.Or):
            return or_(*(self.condition(n, depth + 1) for n in _flatten(node, ast.Or)))
        if isinstance(node, ast.Not):
            return not_(self.condition(node.sub_node, depth + 1))
        if isinstance(node, ast.Comparison):
            return self.comparison(node)
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            return self.in_(node)
        if isinstance(node, ast.Between):
            return self.between(node)
        if isinstance(node, ast.IsNull):
            column = self.column(node.lhs, "IS NULL")
            return column.is_not(None) if node.not_ else column.is_(None)
        if isinstance(node, ast.Include):
            return false() if node.not_ else true()
        raise _unsupported(node)

    def comparison(self, node: ast.Comparison) -> ColumnElement[bool]:
        lhs, rhs, kind = node.lhs, node.rhs, type(node)
        symbol = _COMPARISONS[kind][0]
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs, kind = rhs, lhs, _FLIPPED[kind]
        compare = _COMPARISONS[kind][1]
        if isinstance(lhs, ast.Attribute):
            column = self.column(lhs, symbol)
            if isinstance(rhs, ast.Attribute):
                return compare(column, self.column(rhs, symbol))  # type: ignore[no-any-return]
            value = self.value(lhs.name, column, rhs, symbol)
            return compare(column, value)  # type: ignore[no-any-return]
        left = self.bare_literal(lhs, symbol)
        right = self.bare_literal(rhs, symbol)
        try:
            if _kind(left) != _kind(right):
                raise TypeError
            return true() if compare(left, right) else false()
        except TypeError:
            raise FilterError(
                f"Không so sánh được {left!r} {symbol} {right!r} (khác kiểu).",
                f"Cannot compare {left!r} {symbol} {right!r} (different types).",
                operator=symbol,
            ) from None

    def like(self, node: ast.Like) -> ColumnElement[bool]:
        column = self.column(node.lhs, "LIKE")
        name = node.lhs.name
        if not isinstance(node.pattern, str):
            raise FilterError(
                f"Mẫu của LIKE cho «{name}» phải là một chuỗi.",
                f"The LIKE pattern for '{name}' must be a string.",
                queryable=name,
                operator="LIKE",
            )
        self.value(name, column, node.pattern, "LIKE")
        expression = case_sensitive_like(column, node.pattern, name)
        return not_(expression) if node.not_ else expression

    def in_(self, node: ast.In) -> ColumnElement[bool]:
        column = self.column(node.lhs, "IN")
        name = node.lhs.name
        items = [self.value(name, column, item, "IN") for item in node.sub_nodes]
        return column.not_in(items) if node.not_ else column.in_(items)

    def between(self, node: ast.Between) -> ColumnElement[bool]:
        column = self.column(node.lhs, "BETWEEN")
        name = node.lhs.name
        low = self.value(name, column, node.low, "BETWEEN")
        high = self.value(name, column, node.high, "BETWEEN")
        expression = column.between(low, high)
        return not_(expression) if node.not_ else expression

    # -- operands -----------------------------------------------------------------------

    def column(self, node: Any, symbol: str) -> ColumnElement[Any]:
        if not isinstance(node, ast.Attribute):
            if isinstance(node, ast.Node):
                raise _unsupported(node)
            raise FilterError(
                f"Vế trái của «{symbol}» phải là một thuộc tính (queryable), không phải {node!r}.",
                f"The left side of '{symbol}' must be a property (queryable), not {node!r}.",
                operator=symbol,
            )
        name = str(node.name)
        expression = self.queryables.get(name)
        if expression is None:
            if name == self.geometry_name:
                raise FilterError(
                    f"Thuộc tính hình học «{name}» chỉ dùng được trong các phép không gian "
                    "(S_INTERSECTS…).",
                    f"The geometry property '{name}' can only be used in spatial operators "
                    "(S_INTERSECTS…).",
                    queryable=name,
                )
            known = ", ".join(sorted(self.queryables)) or "—"
            raise FilterError(
                f"Thuộc tính «{name}» không có trong danh sách có thể truy vấn (queryables: "
                f"{known}).",
                f"Unknown property '{name}': it is not a queryable of this collection "
                f"(queryables: {known}).",
                queryable=name,
            )
        if isinstance(expression, QueryableAttribute):
            return expression.__clause_element__()
        return expression

    def bare_literal(self, value: Any, symbol: str) -> Any:
        if isinstance(value, ast.Node):
            raise _unsupported(value)
        if not isinstance(value, _LITERAL_TYPES):
            raise FilterError(
                f"Giá trị {value!r} không dùng được với «{symbol}».",
                f"The value {value!r} cannot be used with '{symbol}'.",
                operator=symbol,
            )
        return value

    def value(self, name: str, column: ColumnElement[Any], value: Any, symbol: str) -> Any:
        """A literal compared with ``column``, checked against (and adapted to) its type."""
        value = self.bare_literal(value, symbol)
        if isinstance(column.type, JSON | ARRAY) or (
            isinstance(column.type, TypeDecorator)
            and isinstance(column.type.impl_instance, JSON | ARRAY)
        ):
            raise FilterError(
                f"«{name}» là dữ liệu có cấu trúc (JSON/mảng): không so sánh được "
                f"(toán tử {symbol}).",
                f"'{name}' holds structured data (JSON/array): it cannot be compared "
                f"(operator {symbol}).",
                queryable=name,
                operator=symbol,
            )
        expected = _python_type(column)
        if expected is None:
            return value
        if issubclass(expected, bool):
            ok = isinstance(value, bool)
        elif issubclass(expected, int | float | Decimal):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif issubclass(expected, str):
            ok = isinstance(value, str)
        elif issubclass(expected, dt.datetime):
            ok = isinstance(value, dt.date)
            if ok:
                value = _datetime_for(column, value)
        elif issubclass(expected, dt.date):
            ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        else:
            ok = False
        if not ok:
            kind_vi, kind_en = _type_names(expected)
            raise FilterError(
                f"«{name}» là {kind_vi}: không so sánh được với {value!r} (toán tử {symbol}).",
                f"'{name}' is {kind_en}: it cannot be compared with {value!r} (operator {symbol}).",
                queryable=name,
                operator=symbol,
            )
        return value

    # -- spatial ------------------------------------------------------------------------

    def spatial(self, node: Any, negated: bool) -> tuple[SpatialCondition, ColumnElement[bool]]:
        name = _operator_name(node)
        if isinstance(node, ast.BBox):
            op: SpatialOp = "intersects"
            target, literal_node = node.lhs, node
        elif isinstance(node, ast.SpatialComparisonPredicate):
            ops: dict[type[Any], SpatialOp] = {
                ast.GeometryIntersects: "intersects",
                ast.GeometryWithin: "within",
                ast.GeometryContains: "contains",
                ast.GeometryDisjoint: "disjoint",
            }
            if type(node) not in ops:
                raise _unsupported(node)
            op = ops[type(node)]
            target, literal_node = node.lhs, node.rhs
            if not isinstance(target, ast.Attribute) and isinstance(literal_node, ast.Attribute):
                target, literal_node = literal_node, target
                swapped: dict[SpatialOp, SpatialOp] = {"within": "contains", "contains": "within"}
                op = swapped.get(op, op)
        else:  # pragma: no cover - _is_spatial guards
            raise _unsupported(node)
        if not isinstance(target, ast.Attribute) or target.name != self.geometry_name:
            raise FilterError(
                f"Phép «{name}» phải so thuộc tính hình học «{self.geometry_name}» với một hình "
                "học cố định (WKT, BBOX(…)).",
                f"'{name}' must compare the geometry property '{self.geometry_name}' with a "
                "geometry literal (WKT, BBOX(…)).",
                operator=name,
                queryable=getattr(target, "name", None),
            )
        if self.bbox_columns is None:
            raise FilterError(
                "Tập dữ liệu này không hỗ trợ lọc không gian.",
                "This collection does not support spatial filtering.",
                operator=name,
            )
        geometry = _spatial_literal(literal_node, name)
        self.literals.append(geometry)
        condition = SpatialCondition(op, geometry, negated)
        return condition, _prefilter(self.bbox_columns, condition)


def _under(columns: BBoxColumns, condition: SpatialCondition) -> ColumnElement[bool]:
    """A condition that is FALSE whenever the (non-negated) spatial predicate is FALSE."""
    if condition.op == "disjoint":
        # Disjoint is surely TRUE when the boxes do not even overlap.
        return not_(bbox_condition(columns, BBox(*condition.geometry.bounds)))
    return false()


def _prefilter(columns: BBoxColumns, condition: SpatialCondition) -> ColumnElement[bool]:
    """A condition on the bounding boxes that every matching row satisfies."""
    minx, miny, maxx, maxy = (clause(c) for c in columns_tuple(columns))
    g = BBox(*condition.geometry.bounds)
    effective = condition.op
    if condition.negated:
        if effective != "disjoint":
            return true()  # NOT intersects/within/contains: any box may match
        effective = "intersects"
    if effective == "intersects":
        return bbox_condition(columns, g)
    if effective == "within":
        return and_(minx >= g.min_lon, maxx <= g.max_lon, miny >= g.min_lat, maxy <= g.max_lat)
    if effective == "contains":
        return and_(minx <= g.min_lon, maxx >= g.max_lon, miny <= g.min_lat, maxy >= g.max_lat)
    return true()  # disjoint: overlapping boxes may still be disjoint





_CRS84: Final = {
    "urn:ogc:def:crs:epsg::4326",
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "http://www.opengis.net/def/crs/epsg/0/4326",
    "epsg:4326",
}


def _spatial_literal(node: Any, op_name: str) -> BaseGeometry:
    crs: str | None = None
    if isinstance(node, ast.BBox):
        crs = node.crs
        geometry = _box(op_name, [node.minx, node.miny, node.maxx, node.maxy])
    elif isinstance(node, values.Geometry):
        data = dict(node.geometry)
        member = data.pop("crs", None)
        if isinstance(member, dict):
            crs = member.get("properties", {}).get("name")
        try:
            geometry = shape(data)
        except Exception as exc:
            raise FilterError(
                f"Hình học trong «{op_name}» không đọc được ({exc}).",
                f"The geometry in '{op_name}' cannot be read ({exc}).",
                operator=op_name,
            ) from exc
    elif isinstance(node, values.Envelope):
        if node.x1 > node.x2:
            raise FilterError(
                "ENVELOPE(tây đông bắc nam) có kinh độ tây lớn hơn đông: hãy dùng "
                "BBOX(minx, miny, maxx, maxy).",
                "ENVELOPE(west east north south) has west > east: use "
                "BBOX(minx, miny, maxx, maxy).",
                operator=op_name,
            )
        geometry = _box(op_name, [node.x1, min(node.y1, node.y2), node.x2, max(node.y1, node.y2)])
    elif isinstance(node, ast.Function) and node.name.lower() == "bbox":
        geometry = _box(op_name, list(node.arguments))
    else:
        raise FilterError(
            f"Vế thứ hai của «{op_name}» phải là một hình học cố định (WKT hoặc BBOX(…)).",
            f"The second operand of '{op_name}' must be a geometry literal (WKT or BBOX(…)).",
            operator=op_name,
        )
    if crs is not None and str(crs).strip().lower() not in _CRS84:
        raise FilterError(
            f"Hệ tọa độ «{crs}» của hình học trong bộ lọc không được hỗ trợ (chỉ WGS 84 "
            "kinh độ/vĩ độ).",
            f"The filter geometry's CRS '{crs}' is not supported (only WGS 84 lon/lat).",
            operator=op_name,
        )
    try:
        return validate_geometry(shapely.force_2d(geometry), check_extent=False)
    except GeoError as exc:
        raise FilterError(
            f"Hình học trong «{op_name}»: {exc.message_vi}",
            f"Geometry in '{op_name}': {exc.message_en}",
            operator=op_name,
        ) from exc


def _box(op_name: str, numbers: Sequence[Any]) -> BaseGeometry:
    ok = len(numbers) in (4, 6) and all(
        isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in numbers
    )
    if not ok:
        raise FilterError(
            f"BBOX trong «{op_name}» cần 4 (hoặc 6) số: minx, miny, maxx, maxy.",
            f"BBOX in '{op_name}' needs 4 (or 6) numbers: minx, miny, maxx, maxy.",
            operator=op_name,
        )
    b = bbox_from_numbers([float(n) for n in numbers], "filter")
    return bbox_geometry(b)


def _python_type(column: ColumnElement[Any]) -> type[Any] | None:
    """The Python type of a column's values (through TypeDecorators), None if unknown."""
    candidates: list[Any] = [column.type]
    if isinstance(column.type, TypeDecorator):
        candidates.append(column.type.impl_instance)
    for candidate in candidates:
        try:
            python_type: type[Any] = candidate.python_type
        except NotImplementedError:
            continue
        if python_type is not object:
            return python_type
    return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.datetime):
        return "timestamp"
    if isinstance(value, dt.date):
        return "date"
    return type(value).__name__


def _datetime_for(column: ColumnElement[Any], value: dt.date) -> dt.datetime:
    """A DATE/TIMESTAMP literal for a datetime column: UTC, naive if the column is naive."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    column_type = column.type
    if (
        isinstance(column_type, DateTime)
        and not isinstance(column_type, TypeDecorator)
        and not column_type.timezone
    ):
        return value.replace(tzinfo=None)
    return value


def _type_names(expected: type[Any]) -> tuple[str, str]:
    if issubclass(expected, bool):
        return "kiểu đúng/sai", "a boolean"
    if issubclass(expected, int | float | Decimal):
        return "kiểu số", "a number"
    if issubclass(expected, str):
        return "kiểu chuỗi", "a string"
    if issubclass(expected, dt.datetime):
        return "kiểu thời điểm (TIMESTAMP)", "a timestamp"
    if issubclass(expected, dt.date):
        return "kiểu ngày (DATE)", "a date"
    return f"kiểu {expected.__name__}", f"of type {expected.__name__}"


def _operator_name(node: Any) -> str:
    if isinstance(node, Unsupported):
        return node.name
    if isinstance(node, ast.BBox):
        return "BBOX"
    if isinstance(node, ast.SpatialComparisonPredicate):
        return f"S_{node.op.name}"
    if isinstance(node, ast.SpatialDistancePredicate):
        return f"S_{node.op.name}"
    if isinstance(node, ast.Relate):
        return "S_RELATE"
    if isinstance(node, ast.TemporalPredicate):
        names = {"TCONTAINS": "CONTAINS", "TEQUALS": "EQUALS", "TOVERLAPS": "OVERLAPS"}
        return f"T_{names.get(node.op.name, node.op.name)}"
    if isinstance(node, ast.ArrayPredicate):
        return f"A_{node.op.name[1:]}"
    if isinstance(node, ast.Arithmetic):
        return str(node.op.value)
    if isinstance(node, ast.Function):
        return "CASEI" if node.name == "lower" else str(node.name).upper()
    if isinstance(node, ast.Exists):
        return "EXISTS"
    if isinstance(node, ast.Attribute):
        return str(node.name)
    return type(node).__name__


def _unsupported(node: Any) -> FilterError:
    name = _operator_name(node)
    return FilterError(
        f"Phép «{name}» chưa được hỗ trợ trong bộ lọc.",
        f"The operator '{name}' is not supported in filters.",
        operator=name,
    )
