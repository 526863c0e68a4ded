"""CQL2 text → the tree the compiler reads.

The text is parsed by the ``cql2`` package (cql2-rs: a maintained parser of the OGC standard's
grammar, precedence included — ``AND`` binds tighter than ``OR``, ``NOT`` applies to any
group), which gives CQL2 JSON; :func:`parse_cql2_text` turns that JSON into pygeofilter's AST
classes (the compiler's input since the first version). Nothing is patched in either library.

Before the parser sees the text, one pass over it (that skips strings and quoted names and keeps
every character's position, so that syntax errors still name the right column):

* refuses nesting deeper than :data:`~nongso.registry.cql.errors.MAX_DEPTH` (plus the
  parentheses of geometry literals): the parser recurses in native code and a pathological
  filter must not exhaust its stack;
* accepts two forms the API accepted before that are not CQL2 text: ``ENVELOPE(w e n s)``
  (space-separated, WKT style; read like the standard's ``BBOX`` of the same box) and the
  EWKT prefix ``SRID=4326;`` (another SRID is refused: geometries are WGS 84 lon/lat).

A syntax error names its 1-based character position; the infix temporal syntax some parsers
accept (``updated_at T_AFTER TIMESTAMP(…)``) is reported as the unsupported operator it names.
Numbers that do not fit a double (``1e400``) are refused. CQL2 JSON gives every number as a
double: an integral one is read as an integer (exact up to 2⁵³).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Final

import cql2
from pygeofilter import ast, values

from nongso.registry.cql.errors import MAX_DEPTH, MAX_FILTER_LENGTH, FilterError

__all__ = ["Unsupported", "parse_cql2_text"]

_NESTING_LIMIT: Final = MAX_DEPTH + 20
"""Parentheses and prefix operators (NOT, unary minus) nested in the text: beyond the
compiler's limit plus room for geometry literals' parentheses, refused before parsing."""

_WORD: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_:.]*")
_NUMBER: Final = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ENVELOPE_BODY: Final = re.compile(
    r"\(\s*([-+]?[0-9.eE+-]+)(\s+)([-+]?[0-9.eE+-]+)(\s+)([-+]?[0-9.eE+-]+)(\s+)"
    r"([-+]?[0-9.eE+-]+)\s*\)")
_SRID: Final = re.compile(r"SRID\s*=\s*(\d{1,9})\s*;", re.IGNORECASE)
_INFIX_OPERATOR: Final = re.compile(r"[Tt]_[A-Za-z]+\b")

_COMPARISONS: Final[dict[str, type[ast.Comparison]]] = {
    "=": ast.Equal, "<>": ast.NotEqual, "<": ast.LessThan, "<=": ast.LessEqual,
    ">": ast.GreaterThan, ">=": ast.GreaterEqual,
}
_SPATIAL: Final[dict[str, type[ast.SpatialComparisonPredicate]]] = {
    "s_intersects": ast.GeometryIntersects, "s_within": ast.GeometryWithin,
    "s_contains": ast.GeometryContains, "s_disjoint": ast.GeometryDisjoint,
}
_ARITHMETIC: Final = frozenset({"+", "-", "*", "/", "%", "^", "div"})
_GEOMETRY_TYPES: Final = frozenset({"Point", "LineString", "Polygon", "MultiPoint",
                                    "MultiLineString", "MultiPolygon", "GeometryCollection"})
_EXACT_INTEGERS: Final = 2.0 ** 53


@dataclass(eq=False)
class Unsupported(ast.Node):  # type: ignore[misc]
    """An operator or function of CQL2 that the compiler does not support (named as written:
    ``T_AFTER``, ``CASEI``, ``+``…): compiling it is an error that names it."""

    name: str


def parse_cql2_text(text: str) -> ast.Node:
    """Parse CQL2 text into pygeofilter's AST; syntax errors → :class:`FilterError`."""
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterError(
            f"Bộ lọc quá dài (tối đa {MAX_FILTER_LENGTH} ký tự).",
            f"The filter is too long (at most {MAX_FILTER_LENGTH} characters).",
        )
    if not text.strip():
        raise FilterError("Bộ lọc rỗng.", "The filter is empty.")
    prepared = _prepare(text)
    try:
        tree = cql2.parse_text(prepared).to_json()
    except cql2.ParseError as exc:
        raise _syntax_error(prepared, str(exc)) from None
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, TypeError) as exc:  # a literal the parser refuses
        raise FilterError(
            f"Giá trị không hợp lệ trong bộ lọc: {exc}.", f"Invalid value in the filter: {exc}."
        ) from exc
    return _condition(tree)


# --- the pass before parsing ----------------------------------------------------------------------

def _too_deep() -> FilterError:
    return FilterError(
        f"Bộ lọc lồng nhau quá sâu (tối đa {MAX_DEPTH} mức).",
        f"The filter is nested too deeply (at most {MAX_DEPTH} levels).",
    )


def _skip_quoted(text: str, i: int) -> int:
    """The index after the quoted string or name starting at ``i`` (doubled quote = quote)."""
    quote = text[i]
    j = i + 1
    while j < len(text):
        if text[j] == quote:
            if j + 1 < len(text) and text[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return j


def _prepare(text: str) -> str:
    """Check the nesting and rewrite ENVELOPE/SRID (see the module docstring); the result has
    the same length as ``text``."""
    out = list(text)
    functions: list[tuple[str | None, int]] = []  # (name before "(", nesting it added)
    depth = 0
    run = 0  # consecutive prefix operators (NOT, -, +)
    previous_word: str | None = None
    i = 0
    while i < len(text):
        c = text[i]
        if c in "'\"":
            i = _skip_quoted(text, i)
            run, previous_word = 0, None
            continue
        if c.isspace():
            i += 1
            continue
        if c == "(":
            depth += run + 1
            functions.append((previous_word, run + 1))
            run, previous_word = 0, None
            if depth > _NESTING_LIMIT:
                raise _too_deep()
            i += 1
            continue
        if c == ")":
            if functions:
                depth -= functions.pop()[1]
            run, previous_word = 0, None
            i += 1
            continue
        if c in "+-":
            run += 1
            if depth + run > _NESTING_LIMIT:
                raise _too_deep()
            previous_word = None
            i += 1
            continue
        word = _WORD.match(text, i)
        if word is not None:
            name = word.group().upper()
            if name == "NOT":
                run += 1
                if depth + run > _NESTING_LIMIT:
                    raise _too_deep()
            else:
                run = 0
            if name == "ENVELOPE":
                _envelope_commas(text, word.end(), out)
            elif name == "SRID":
                srid = _SRID.match(text, i)
                if srid is not None:
                    _check_srid(int(srid.group(1)), functions)
                    out[i:srid.end()] = " " * (srid.end() - i)
                    i = srid.end()
                    previous_word = None
                    continue
            previous_word = word.group()
            i = word.end()
            continue
        number = _NUMBER.match(text, i)
        i = number.end() if number is not None else i + 1
        run, previous_word = 0, None
    return "".join(out)


def _envelope_commas(text: str, start: int, out: list[str]) -> None:
    """``ENVELOPE(w e n s)`` → ``ENVELOPE(w,e,n,s)``: the parser reads a function call."""
    body = _ENVELOPE_BODY.match(text, start)
    if body is None:
        return
    for group in (2, 4, 6):
        out[body.start(group)] = ","


def _check_srid(srid: int, functions: list[tuple[str | None, int]]) -> None:
    if srid == 4326:
        return
    op = next((name.upper() for name, _ in reversed(functions) if name), "SRID")
    crs = f"urn:ogc:def:crs:EPSG::{srid}"
    raise FilterError(
        f"Hệ tọa độ «{crs}» của hình học trong bộ lọc không được hỗ trợ (chỉ WGS 84 "
        "kinh độ/vĩ độ).",
        f"The filter geometry's CRS '{crs}' is not supported (only WGS 84 lon/lat).",
        operator=op,
    )


_POSITION: Final = re.compile(r"-->\s*(\d+):(\d+)")


def _syntax_error(text: str, message: str) -> FilterError:
    found = _POSITION.search(message)
    position: int | None = None
    if found is not None:
        line, column = int(found.group(1)), int(found.group(2))
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        if 1 <= line <= len(starts):
            position = starts[line - 1] + column
    if position is not None and position <= len(text):
        infix = _INFIX_OPERATOR.match(text, position - 1)
        if infix is not None:
            name = infix.group().upper()
            return FilterError(
                f"Phép «{name}» chưa được hỗ trợ trong bộ lọc.",
                f"The operator '{name}' is not supported in filters.",
                operator=name, position=position,
            )
    if position is None:
        found_vi, found_en = "cú pháp sai", "syntax error"
    elif position > len(text.rstrip()):
        found_vi, found_en = "bộ lọc kết thúc quá sớm", "the filter ends too early"
        position = len(text) + 1
    else:
        snippet = text[position - 1: position + 19]
        found_vi, found_en = f"không hiểu «{snippet}»", f"cannot read '{snippet}'"
    where_vi = f" tại vị trí {position}" if position else ""
    where_en = f" at position {position}" if position else ""
    return FilterError(
        f"Lỗi cú pháp CQL2 trong bộ lọc{where_vi}: {found_vi}.",
        f"CQL2 syntax error in the filter{where_en}: {found_en}.",
        position=position,
    )


# --- CQL2 JSON → AST ---------------------------------------------------------------------------

def _not_a_condition() -> FilterError:
    return FilterError(
        "Bộ lọc phải là một điều kiện (ví dụ crop = 'lúa'), không phải một giá trị.",
        "The filter must be a condition (e.g. crop = 'rice'), not a value.",
    )


def _condition(node: Any) -> ast.Node:
    """A node in a boolean position (the filter, an operand of AND / OR / NOT)."""
    if isinstance(node, bool):
        return ast.Include(not_=not node)
    if isinstance(node, dict):
        if "op" in node:
            return _operation(node)
        if "bbox" in node:
            return _bbox_predicate(node["bbox"])
        name = node.get("property")
        if isinstance(name, str) and name.upper() in ("INCLUDE", "EXCLUDE"):
            return ast.Include(not_=name.upper() == "EXCLUDE")
    raise _not_a_condition()


def _args(node: dict[str, Any]) -> list[Any]:
    args = node.get("args", [])
    return list(args) if isinstance(args, list) else [args]


def _operation(node: dict[str, Any]) -> ast.Node:
    op = str(node["op"])
    key = op.lower()
    args = _args(node)
    if key in ("and", "or"):
        parts = [_condition(a) for a in args]
        if not parts:
            raise _not_a_condition()
        combine = ast.And if key == "and" else ast.Or
        result = parts[0]
        for part in parts[1:]:
            result = combine(result, part)
        return result
    if key == "not" and len(args) == 1:
        return ast.Not(_condition(args[0]))
    if key in _COMPARISONS and len(args) == 2:
        return _COMPARISONS[key](_operand(args[0]), _operand(args[1]))
    if key == "like" and len(args) == 2:
        return ast.Like(_operand(args[0]), _operand(args[1]), nocase=False, wildcard="%",
                        singlechar="_", escapechar="\\", not_=False)
    if key == "in" and len(args) == 2 and isinstance(args[1], list):
        return ast.In(_operand(args[0]), [_operand(a) for a in args[1]], not_=False)
    if key == "between" and len(args) == 3:
        return ast.Between(_operand(args[0]), _operand(args[1]), _operand(args[2]), not_=False)
    if key == "isnull" and len(args) == 1:
        return ast.IsNull(_operand(args[0]), not_=False)
    if key in _SPATIAL:
        if len(args) != 2:
            name = op.upper()
            raise FilterError(
                f"«{name}» so sánh đúng hai hình học.", f"'{name}' compares two geometries.",
                operator=name,
            )
        return _SPATIAL[key](_operand(args[0]), _operand(args[1]))
    return Unsupported(op if key in _ARITHMETIC else op.upper())


def _bbox_predicate(items: Any) -> ast.Node:
    """``BBOX(geometry, minx, miny, maxx, maxy)``: the bbox test of a property."""
    parts = list(items) if isinstance(items, list) else []
    numbers = parts[1:]
    if not parts or not isinstance(parts[0], dict) or "property" not in parts[0]:
        raise _not_a_condition()
    if len(numbers) != 4 or not all(_is_number(n) for n in numbers):
        raise FilterError(
            "BBOX(thuộc tính, …) cần 4 số: minx, miny, maxx, maxy.",
            "BBOX(property, …) needs 4 numbers: minx, miny, maxx, maxy.",
            operator="BBOX",
        )
    minx, miny, maxx, maxy = (float(_number(n)) for n in numbers)
    return ast.BBox(ast.Attribute(parts[0]["property"]), minx, miny, maxx, maxy)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: float) -> int | float:
    if not math.isfinite(value):
        raise FilterError(
            "Bộ lọc có một số quá lớn (vượt giới hạn số thực).",
            "The filter has a number too large to represent.",
        )
    if isinstance(value, float) and value.is_integer() and abs(value) <= _EXACT_INTEGERS:
        return int(value)
    return value


def _operand(node: Any) -> Any:
    """A value, a property, a geometry, or an operation used as a value."""
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return node
    if _is_number(node):
        return _number(node)
    if isinstance(node, list):
        return [_operand(item) for item in node]
    if not isinstance(node, dict):
        raise _not_a_condition()
    if "property" in node:
        return ast.Attribute(str(node["property"]))
    if "date" in node:
        return _date(str(node["date"]))
    if "timestamp" in node:
        return _timestamp(str(node["timestamp"]))
    if node.get("type") in _GEOMETRY_TYPES:
        return values.Geometry(node)
    if "bbox" in node:
        items = node["bbox"] if isinstance(node["bbox"], list) else []
        if items and all(_is_number(n) for n in items):
            return ast.Function("bbox", [_number(n) for n in items])
        return Unsupported("BBOX")
    if "op" in node:
        args = _args(node)
        if str(node["op"]).lower() == "envelope" and len(args) == 4 \
                and all(_is_number(a) for a in args):
            return values.Envelope(*(float(_number(a)) for a in args))
        return _operation(node)
    if "interval" in node:
        return Unsupported("INTERVAL")
    raise _not_a_condition()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"Ngày «{text[:40]}» không hợp lệ.",
                          f"Invalid date '{text[:40]}'.") from None


def _timestamp(text: str) -> dt.datetime:
    try:
        if "T" not in text.upper():
            raise ValueError(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(f"Thời điểm «{text[:40]}» không hợp lệ.",
                          f"Invalid timestamp '{text[:40]}'.") from None
