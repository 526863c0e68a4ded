"""SensorThings API 1.1 query options: parsers to small immutable trees, and $filter to SQL.

The options are the OData 4.0 subset of OGC 18-088 (SensorThings API Part 1: Sensing 1.1),
section 9.3: ``$filter``, ``$orderby``, ``$select``, ``$expand``, ``$top``, ``$skip`` and
``$count``. Everything here is pure: the parsers take text and return frozen dataclasses, and
:func:`compile_filter` turns a ``$filter`` tree into a SQLAlchemy boolean expression through a
caller-supplied ``resolve`` that maps property paths to columns (the caller owns navigation,
joins and subqueries). The SQL works the same on SQLite and PostgreSQL.

It is one module despite its length because it is one thing, the OData parser and its SQL
compiler: every node the parser builds is compiled here, so a new operator or function changes
the grammar, the tree, the text it prints back and its SQL together.

Choices where the standards leave room (each is tested):

- Operators, ``true``/``false``/``null``, function names and ``asc``/``desc`` are read without
  regard to case (OData 4.01 allows it; ``frost_sta_client`` sends ``ASC``/``DESC``).
  Property names keep their case.
- Precedence is OData's (tightest first): unary ``-``; ``mul div mod``; ``add sub``;
  ``gt ge lt le``; ``eq ne``; ``not``; ``and``; ``or``. A leading ``not`` covers the whole
  comparison after it: ``not a eq 1`` is ``not (a eq 1)``.
- Date-times must carry a zone (``Z`` or ``±hh:mm``) and are compared in UTC. A time interval
  ``start/end`` compares with an instant as FROST-Server does: ``eq`` means the instant is in
  the closed interval, ``ne`` that it is outside, ``lt``/``gt`` that it is before/after the
  whole interval; two intervals are ``eq`` when both ends are, ``lt``/``gt`` when one ends
  before the other starts (``le``/``ge`` between two intervals is refused as ambiguous).
- ``div`` of two integers truncates (OData); otherwise it is true division.
- String functions are case-sensitive and take their arguments literally on both databases
  (no ``LIKE``: SQLite's ``LIKE`` ignores ASCII case, so it would return other rows than
  PostgreSQL). ``tolower``/``toupper`` change only ASCII letters on SQLite.
- Comparisons with a null property follow SQL: such a row matches neither ``x gt 2`` nor
  ``not (x gt 2)``; ``x eq null`` and ``x ne null`` test for null.
- Spatial functions (``geo.*``, ``st_*``) are parsed but :func:`compile_filter` refuses them,
  as are ``fractionalseconds`` and ``totaloffsetminutes``.
"""

from __future__ import annotations

import math
import operator
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, ClassVar, Literal, NamedTuple, cast

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Time,
    and_,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine

from nongso.core.errors import AppError

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_NODES",
    "SPATIAL_FUNCTIONS",
    "Arith",
    "BoolLiteral",
    "BoolOp",
    "Call",
    "Compare",
    "DateLiteral",
    "DateTimeLiteral",
    "Expand",
    "Expr",
    "GeoLiteral",
    "IntervalLiteral",
    "Negate",
    "Not",
    "NullLiteral",
    "NumberLiteral",
    "ODataError",
    "OrderBy",
    "Path",
    "QueryOptions",
    "StringLiteral",
    "TimeLiteral",
    "compile_filter",
    "parse_count",
    "parse_expand",
    "parse_filter",
    "parse_options",
    "parse_orderby",
    "parse_select",
    "parse_skip",
    "parse_top",
    "to_text",
]

MAX_DEPTH = 100
"""Deepest nesting accepted (parentheses, operators, $expand levels): deeper input is refused
with an :class:`ODataError` instead of exhausting the interpreter's stack."""

MAX_NODES = 5000
"""Most terms (operators, operands, literals) a ``$filter`` may hold: a longer one is refused
with an :class:`ODataError` instead of reaching the database as an expression too large for
it. Long ``and``/``or`` chains are compiled as a balanced tree of parenthesised groups (see
:func:`_balanced`): SQLite stops at an expression depth of 1,000 and reads a flat
``a or b or …`` as one level per term."""

_INT64_MAX = 2**63 - 1


class ODataError(AppError, ValueError):
    """A query option that cannot be parsed or compiled.

    ``position`` is the 0-based offset of the offending character in the option's text (None
    when the error is not about one place); ``option`` is the option's name when known.
    """

    status = 400
    code = "bad-query-option"
    title_vi = "Tham số truy vấn không hợp lệ"
    title_en = "Invalid query option"

    def __init__(
        self,
        message_vi: str,
        message_en: str,
        *,
        position: int | None = None,
        option: str | None = None,
    ) -> None:
        extra: dict[str, Any] = {}
        if position is not None:
            extra["position"] = position
        if option is not None:
            extra["option"] = option
        super().__init__(message_vi, message_en, extra=extra)
        self.position = position
        self.option = option


def _syntax_error(text: str, pos: int, vi: str, en: str) -> ODataError:
    snippet = text[pos : pos + 24]
    if pos >= len(text):
        where_vi, where_en = "cuối biểu thức", "end of input"
    else:
        where_vi, where_en = f"«{snippet}»", f"'{snippet}'"
    return ODataError(
        f"{vi} (vị trí {pos}, tại {where_vi}).",
        f"{en} (at position {pos}, at {where_en}).",
        position=pos,
    )


def _compile_error(pos: int, vi: str, en: str) -> ODataError:
    return ODataError(f"{vi} (vị trí {pos}).", f"{en} (at position {pos}).", position=pos)


# --------------------------------------------------------------------------------------------
# The $filter tree. ``pos`` is where the node starts in the text; it is not part of equality.


def _pos() -> Any:
    return field(default=0, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Path:
    """A property path, e.g. ``("Datastream", "id")`` for ``Datastream/id``."""

    segments: tuple[str, ...]
    pos: int = _pos()


@dataclass(frozen=True)
class StringLiteral:
    value: str
    pos: int = _pos()


@dataclass(frozen=True)
class NumberLiteral:
    value: int | float
    pos: int = _pos()


@dataclass(frozen=True)
class BoolLiteral:
    value: bool
    pos: int = _pos()


@dataclass(frozen=True)
class NullLiteral:
    pos: int = _pos()


@dataclass(frozen=True)
class DateTimeLiteral:
    """An instant with a zone, e.g. ``2025-01-01T00:00:00Z``."""

    value: datetime
    pos: int = _pos()


@dataclass(frozen=True)
class DateLiteral:
    value: date
    pos: int = _pos()


@dataclass(frozen=True)
class TimeLiteral:
    """A time of day, e.g. ``06:30:00``."""

    value: time
    pos: int = _pos()


@dataclass(frozen=True)
class IntervalLiteral:
    """An ISO 8601 time interval ``start/end``, as phenomenonTime may be."""

    start: datetime
    end: datetime
    pos: int = _pos()


@dataclass(frozen=True)
class GeoLiteral:
    """``geography'POINT(105.6 10.5)'`` or ``geometry'...'``: parsed, not compiled."""

    kind: Literal["geography", "geometry"]
    wkt: str
    pos: int = _pos()


CompareOp = Literal["eq", "ne", "gt", "ge", "lt", "le"]
ArithOp = Literal["add", "sub", "mul", "div", "mod"]


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    pos: int = _pos()


@dataclass(frozen=True)
class BoolOp:
    """``a and b and c`` (one node per chain of the same operator; at least two operands)."""

    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    pos: int = _pos()


@dataclass(frozen=True)
class Not:
    operand: Expr
    pos: int = _pos()


@dataclass(frozen=True)
class Arith:
    op: ArithOp
    left: Expr
    right: Expr
    pos: int = _pos()


@dataclass(frozen=True)
class Negate:
    """Unary minus of a non-literal (``-5`` is a :class:`NumberLiteral`)."""

    operand: Expr
    pos: int = _pos()


@dataclass(frozen=True)
class Call:
    """A built-in function; ``name`` is lower-case, e.g. ``"startswith"``, ``"geo.distance"``."""

    name: str
    args: tuple[Expr, ...]
    pos: int = _pos()


Expr = (
    Path
    | StringLiteral
    | NumberLiteral
    | BoolLiteral
    | NullLiteral
    | DateTimeLiteral
    | DateLiteral
    | TimeLiteral
    | IntervalLiteral
    | GeoLiteral
    | Compare
    | BoolOp
    | Not
    | Arith
    | Negate
    | Call
)

SPATIAL_FUNCTIONS: Mapping[str, int] = {
    "geo.distance": 2,
    "geo.length": 1,
    "geo.intersects": 2,
    "st_equals": 2,
    "st_disjoint": 2,
    "st_touches": 2,
    "st_within": 2,
    "st_overlaps": 2,
    "st_crosses": 2,
    "st_intersects": 2,
    "st_contains": 2,
    "st_relate": 3,
}
"""Spatial functions of SensorThings 1.1 and their arity: parsed, refused by the compiler."""

FUNCTIONS: Mapping[str, tuple[int, int]] = {
    "substringof": (2, 2),
    "contains": (2, 2),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "length": (1, 1),
    "indexof": (2, 2),
    "substring": (2, 3),
    "tolower": (1, 1),
    "toupper": (1, 1),
    "trim": (1, 1),
    "concat": (2, 2),
    "year": (1, 1),
    "month": (1, 1),
    "day": (1, 1),
    "hour": (1, 1),
    "minute": (1, 1),
    "second": (1, 1),
    "fractionalseconds": (1, 1),
    "date": (1, 1),
    "time": (1, 1),
    "totaloffsetminutes": (1, 1),
    "now": (0, 0),
    "mindatetime": (0, 0),
    "maxdatetime": (0, 0),
    "round": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
    **{name: (n, n) for name, n in SPATIAL_FUNCTIONS.items()},
}
"""Every function name :func:`parse_filter` accepts, with its (minimum, maximum) arity."""


# --------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class _Token:
    kind: str  # ident string number datetime date time interval geo ( ) , / - eof
    text: str
    pos: int
    value: Any = None


_IDENT = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_SEGMENT = re.compile(r"[^\W\d]\w*")
_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[Tt]"
    r"(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?"
    r"(?P<tz>[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
_DATE = re.compile(r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})")
_TIME = re.compile(r"(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_OPERATOR_CHARS = "=<>!&|*+%^~"
_WORD_CHAR = re.compile(r"[\w.]")

_COMPARE_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_ARITH_OPS = frozenset({"add", "sub", "mul", "div", "mod"})
_BINARY_PREC: Mapping[str, int] = {
    "or": 1,
    "and": 2,
    "eq": 4,
    "ne": 4,
    "gt": 5,
    "ge": 5,
    "lt": 5,
    "le": 5,
    "add": 6,
    "sub": 6,
    "mul": 7,
    "div": 7,
    "mod": 7,
}
_NOT_PREC = 3
_KEYWORDS = frozenset({*_BINARY_PREC, "not", "true", "false", "null"})


def _fraction(digits: str | None) -> int:
    return int((digits or "")[:6].ljust(6, "0"))


def _datetime_from(m: re.Match[str], text: str, pos: int) -> datetime:
    tz_text = m.group("tz")
    if tz_text is None:
        raise _syntax_error(
            text,
            pos,
            "Thời điểm phải có múi giờ (Z hoặc ±hh:mm), ví dụ 2025-01-01T00:00:00Z",
            "A date-time needs a time zone (Z or ±hh:mm), e.g. 2025-01-01T00:00:00Z",
        )
    try:
        if tz_text in ("Z", "z"):
            tz: timezone = UTC
        else:
            sign = -1 if tz_text[0] == "-" else 1
            hours, minutes = int(tz_text[1:3]), int(tz_text[4:6])
            if minutes > 59:
                raise ValueError(tz_text)
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        moment = datetime(
            int(m.group("y")),
            int(m.group("mo")),
            int(m.group("d")),
            int(m.group("h")),
            int(m.group("mi")),
            int(m.group("s") or 0),
            _fraction(m.group("f")),
            tzinfo=tz,
        )
        moment.astimezone(UTC)  # in range once in UTC too
        return moment
    except (ValueError, OverflowError):
        raise _syntax_error(text, pos, "Thời điểm không hợp lệ", "Invalid date-time") from None


def _tokenize(text: str, start: int = 0, end: int | None = None) -> list[_Token]:
    """Split ``text[start:end]`` into tokens whose positions are offsets in ``text``."""
    stop = len(text) if end is None else end
    tokens: list[_Token] = []
    i = start
    while i < stop:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "(),/-":
            tokens.append(_Token(c, c, i))
            i += 1
        elif c == "'":
            value, j = _read_string(text, i, stop)
            tokens.append(_Token("string", text[i:j], i, value))
            i = j
        elif "0" <= c <= "9":
            token = _read_number_or_time(text, i, stop)
            tokens.append(token)
            i = token.pos + len(token.text)
        elif m := _IDENT.match(text, i, stop):
            word = m.group()
            i = m.end()
            if i < stop and text[i] == "'":
                kind = word.lower()
                if kind not in ("geography", "geometry"):
                    raise _syntax_error(
                        text,
                        m.start(),
                        f"Kiểu hằng «{word}'…'» không được hỗ trợ",
                        f"Typed literal {word}'…' is not supported",
                    )
                wkt, i = _read_string(text, i, stop)
                tokens.append(_Token("geo", text[m.start() : i], m.start(), (kind, wkt)))
            else:
                tokens.append(_Token("ident", word, m.start()))
        elif c in _OPERATOR_CHARS:
            j = i
            while j < stop and text[j] in _OPERATOR_CHARS:
                j += 1
            raise _syntax_error(
                text,
                i,
                f"Toán tử không hợp lệ «{text[i:j]}»; dùng eq, ne, gt, ge, lt, le, and, or, not, "
                "add, sub, mul, div, mod",
                f"Unknown operator '{text[i:j]}'; use eq, ne, gt, ge, lt, le, and, or, not, "
                "add, sub, mul, div, mod",
            )
        else:
            raise _syntax_error(text, i, f"Ký tự không hợp lệ «{c}»", f"Unexpected character {c!r}")
    tokens.append(_Token("eof", "", stop))
    return tokens


def _read_string(text: str, i: int, stop: int) -> tuple[str, int]:
    """Read a single-quoted string starting at ``text[i] == "'"``; return (value, next index)."""
    parts: list[str] = []
    j = i + 1
    while True:
        k = text.find("'", j, stop)
        if k < 0:
            raise _syntax_error(
                text,
                i,
                "Chuỗi không được đóng bằng dấu nháy đơn '",
                "Unterminated string: missing closing single quote '",
            )
        parts.append(text[j:k])
        if k + 1 < stop and text[k + 1] == "'":
            parts.append("'")
            j = k + 2
            continue
        return "".join(parts), k + 1


def _read_number_or_time(text: str, i: int, stop: int) -> _Token:
    m = _DATETIME.match(text, i, stop)
    if m:
        start = _datetime_from(m, text, i)
        if m.end() < stop and text[m.end()] == "/":
            m2 = _DATETIME.match(text, m.end() + 1, stop)
            if not m2:
                raise _syntax_error(
                    text,
                    m.end() + 1,
                    "Sau dấu / của khoảng thời gian phải là thời điểm kết thúc",
                    "A time interval needs an end date-time after the /",
                )
            end = _datetime_from(m2, text, m.end() + 1)
            _check_word_end(text, m2.end(), stop, i)
            if end < start:
                raise _syntax_error(
                    text,
                    i,
                    "Khoảng thời gian kết thúc trước khi bắt đầu",
                    "The time interval ends before it starts",
                )
            return _Token("interval", text[i : m2.end()], i, (start, end))
        _check_word_end(text, m.end(), stop, i)
        return _Token("datetime", m.group(), i, start)
    m = _DATE.match(text, i, stop)
    if m:
        try:
            d = date(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
        except ValueError:
            raise _syntax_error(text, i, "Ngày không hợp lệ", "Invalid date") from None
        _check_word_end(text, m.end(), stop, i)
        return _Token("date", m.group(), i, d)
    m = _TIME.match(text, i, stop)
    if m:
        try:
            t = time(
                int(m.group("h")),
                int(m.group("mi")),
                int(m.group("s") or 0),
                _fraction(m.group("f")),
            )
        except ValueError:
            raise _syntax_error(text, i, "Giờ không hợp lệ", "Invalid time of day") from None
        _check_word_end(text, m.end(), stop, i)
        return _Token("time", m.group(), i, t)
    m = _NUMBER.match(text, i, stop)
    assert m is not None  # text[i] is a digit
    _check_word_end(text, m.end(), stop, i)
    raw = m.group()
    value: int | float
    if "." in raw or "e" in raw or "E" in raw:
        value = float(raw)
        if not math.isfinite(value):
            raise _syntax_error(text, i, "Số quá lớn", "Number out of range")
    else:
        if len(raw) > 19 or int(raw) > _INT64_MAX:
            raise _syntax_error(text, i, "Số nguyên quá lớn", "Integer out of range")
        value = int(raw)
    return _Token("number", raw, i, value)


def _check_word_end(text: str, j: int, stop: int, start: int) -> None:
    if j < stop and (_WORD_CHAR.match(text[j]) or text[j] in "-:"):
        raise _syntax_error(
            text,
            start,
            "Số, ngày hoặc giờ không hợp lệ",
            "Invalid number, date or time literal",
        )


# --------------------------------------------------------------------------------------------
# $filter parser (recursive descent with precedence climbing)


class _Parser:
    def __init__(self, text: str, start: int = 0, end: int | None = None) -> None:
        self.text = text
        self.tokens = _tokenize(text, start, end)
        self.i = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def error(self, pos: int, vi: str, en: str) -> ODataError:
        return _syntax_error(self.text, pos, vi, en)

    @staticmethod
    def keyword(tok: _Token) -> str | None:
        return tok.text.lower() if tok.kind == "ident" else None

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                pos,
                f"Biểu thức lồng nhau quá sâu (tối đa {MAX_DEPTH} mức)",
                f"Expression nested too deeply (at most {MAX_DEPTH} levels)",
            )

    def parse(self) -> Expr:
        if self.peek().kind == "eof":
            raise self.error(self.peek().pos, "Biểu thức lọc trống", "Empty filter expression")
        expr = self.expr(1)
        self.expect_end()
        _check_depth(expr, self.text)
        return expr

    def expect_end(self) -> None:
        tok = self.peek()
        if tok.kind == "eof":
            return
        if tok.kind == ")":
            raise self.error(
                tok.pos, "Thừa dấu ')' không có '(' tương ứng", "Unbalanced ')' without '('"
            )
        raise self.unexpected_after_operand(tok)

    def unexpected_after_operand(self, tok: _Token) -> ODataError:
        if tok.kind == "-":
            return self.error(
                tok.pos, "Toán tử không hợp lệ «-»; dùng sub", "Unknown operator '-'; use sub"
            )
        if tok.kind == "/":
            return self.error(
                tok.pos,
                "Dấu / chỉ dùng sau tên thuộc tính; phép chia là div",
                "'/' only follows a property name; division is div",
            )
        if tok.kind == "ident":
            return self.error(
                tok.pos,
                f"Toán tử không hợp lệ «{tok.text}»; dùng eq, ne, gt, ge, lt, le, and, or, add, "
                "sub, mul, div, mod",
                f"Unknown operator '{tok.text}'; use eq, ne, gt, ge, lt, le, and, or, add, sub, "
                "mul, div, mod",
            )
        return self.error(
            tok.pos,
            f"Thiếu toán tử trước «{tok.text}»",
            f"Missing operator before '{tok.text}'",
        )

    def expr(self, min_prec: int) -> Expr:
        start = self.peek()
        self.enter(start.pos)
        try:
            left: Expr
            if min_prec <= _NOT_PREC and self.keyword(start) == "not":
                self.advance()
                left = Not(self.expr(_NOT_PREC), pos=start.pos)
            else:
                left = self.unary()
            while True:
                tok = self.peek()
                op = self.keyword(tok)
                prec = _BINARY_PREC.get(op) if op is not None else None
                if prec is None:
                    if tok.kind in ("eof", ")", ","):
                        return left
                    raise self.unexpected_after_operand(tok)
                if prec < min_prec:
                    return left
                self.advance()
                if op == "and" or op == "or":
                    operands = [left, self.expr(prec + 1)]
                    while self.keyword(self.peek()) == op:
                        self.advance()
                        operands.append(self.expr(prec + 1))
                    left = BoolOp(cast(Literal["and", "or"], op), tuple(operands), pos=start.pos)
                elif op in _COMPARE_OPS:
                    left = Compare(cast(CompareOp, op), left, self.expr(prec + 1), pos=start.pos)
                else:
                    left = Arith(cast(ArithOp, op), left, self.expr(prec + 1), pos=start.pos)
        finally:
            self.depth -= 1

    def unary(self) -> Expr:
        tok = self.peek()
        if tok.kind == "-":
            self.advance()
            nxt = self.peek()
            if nxt.kind == "number":
                self.advance()
                return NumberLiteral(-nxt.value, pos=tok.pos)
            self.enter(tok.pos)
            try:
                return Negate(self.unary(), pos=tok.pos)
            finally:
                self.depth -= 1
        if self.keyword(tok) == "not":
            self.advance()
            self.enter(tok.pos)
            try:
                return Not(self.unary(), pos=tok.pos)
            finally:
                self.depth -= 1
        return self.primary()

    def primary(self) -> Expr:
        tok = self.advance()
        match tok.kind:
            case "string":
                return StringLiteral(tok.value, pos=tok.pos)
            case "number":
                return NumberLiteral(tok.value, pos=tok.pos)
            case "datetime":
                return DateTimeLiteral(tok.value, pos=tok.pos)
            case "date":
                return DateLiteral(tok.value, pos=tok.pos)
            case "time":
                return TimeLiteral(tok.value, pos=tok.pos)
            case "interval":
                return IntervalLiteral(tok.value[0], tok.value[1], pos=tok.pos)
            case "geo":
                return GeoLiteral(tok.value[0], tok.value[1], pos=tok.pos)
            case "(":
                inner = self.expr(1)
                if self.peek().kind != ")":
                    nxt = self.peek()
                    if nxt.kind == "eof":
                        raise self.error(
                            tok.pos,
                            "Dấu '(' không được đóng bằng ')'",
                            "Unbalanced '(': missing ')'",
                        )
                    raise self.unexpected_after_operand(nxt)
                self.advance()
                return inner
            case "ident":
                return self.identifier(tok)
            case "eof":
                raise self.error(
                    tok.pos,
                    "Biểu thức kết thúc đột ngột, thiếu một giá trị",
                    "Unexpected end of expression: a value is missing",
                )
            case ")":
                raise self.error(
                    tok.pos,
                    "Thiếu giá trị trước ')' hoặc thừa dấu ')'",
                    "A value is missing before ')', or the ')' is unbalanced",
                )
            case _:
                raise self.error(
                    tok.pos,
                    f"Cần một giá trị nhưng gặp «{tok.text}»",
                    f"Expected a value but found '{tok.text}'",
                )

    def identifier(self, tok: _Token) -> Expr:
        word = tok.text.lower()
        if word in ("true", "false"):
            return BoolLiteral(word == "true", pos=tok.pos)
        if word == "null":
            return NullLiteral(pos=tok.pos)
        if self.peek().kind == "(":
            return self.call(tok)
        if word in _KEYWORDS:
            raise self.error(
                tok.pos,
                f"Cần một giá trị nhưng gặp toán tử «{tok.text}»",
                f"Expected a value but found the operator '{tok.text}'",
            )
        if "." in tok.text:
            raise self.error(
                tok.pos,
                f"Tên thuộc tính không hợp lệ «{tok.text}»",
                f"Invalid property name '{tok.text}'",
            )
        segments = [tok.text]
        while self.peek().kind == "/":
            slash = self.advance()
            seg = self.peek()
            if seg.kind != "ident" or "." in seg.text:
                raise self.error(
                    seg.pos if seg.kind != "eof" else slash.pos,
                    "Sau dấu / phải là tên thuộc tính",
                    "A property name must follow '/'",
                )
            self.advance()
            segments.append(seg.text)
        return Path(tuple(segments), pos=tok.pos)

    def call(self, tok: _Token) -> Expr:
        name = tok.text.lower()
        if name not in FUNCTIONS:
            raise self.error(
                tok.pos, f"Hàm không xác định «{tok.text}»", f"Unknown function '{tok.text}'"
            )
        self.advance()  # (
        args: list[Expr] = []
        if self.peek().kind != ")":
            args.append(self.expr(1))
            while self.peek().kind == ",":
                self.advance()
                args.append(self.expr(1))
        if self.peek().kind != ")":
            nxt = self.peek()
            if nxt.kind == "eof":
                raise self.error(
                    tok.pos,
                    f"Lời gọi hàm {name}( thiếu dấu ')'",
                    f"Call of {name}( is missing its ')'",
                )
            raise self.unexpected_after_operand(nxt)
        self.advance()
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low}–{high}"
            raise self.error(
                tok.pos,
                f"Hàm {name} cần {want} tham số, nhận {len(args)}",
                f"Function {name} takes {want} argument(s), got {len(args)}",
            )
        return Call(name, tuple(args), pos=tok.pos)


def _children(expr: Expr) -> tuple[Expr, ...]:
    match expr:
        case Compare(left=left, right=right) | Arith(left=left, right=right):
            return (left, right)
        case BoolOp(operands=operands):
            return operands
        case Not(operand=operand) | Negate(operand=operand):
            return (operand,)
        case Call(args=args):
            return args
        case _:
            return ()


class _Parenthesised(ColumnElement[bool]):
    """A boolean expression in parentheses that SQLAlchemy does not flatten into its parent
    (``or_(or_(a, b), c)`` and even a ``Grouping`` are rendered ``a OR b OR c``)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("inner", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, inner: ColumnElement[bool]) -> None:
        self.inner = inner


@compiles(_Parenthesised)
def _compile_parenthesised(element: _Parenthesised, compiler: SQLCompiler, **kw: Any) -> str:
    return "(" + compiler.process(element.inner, **kw) + ")"


def _balanced(op: Callable[..., ColumnElement[bool]], parts: list[ColumnElement[bool]]
              ) -> ColumnElement[bool]:
    """``op(*parts)`` nested as parenthesised groups of about sqrt(n) terms, so that the SQL
    expression is about 2·sqrt(n) deep instead of n (SQLite refuses a depth over 1,000)."""
    if len(parts) <= 64:
        return op(*parts)
    size = math.isqrt(len(parts) - 1) + 1
    return op(*(_Parenthesised(op(*parts[i:i + size])) for i in range(0, len(parts), size)))


def _check_depth(expr: Expr, text: str) -> None:
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise _syntax_error(
                text,
                node.pos,
                f"Biểu thức quá dài (tối đa {MAX_NODES} thành phần)",
                f"Expression too long (at most {MAX_NODES} terms)",
            )
        if depth > MAX_DEPTH:
            raise _syntax_error(
                text,
                node.pos,
                f"Biểu thức quá phức tạp (lồng quá {MAX_DEPTH} mức)",
                f"Expression too complex (more than {MAX_DEPTH} levels)",
            )
        stack.extend((child, depth + 1) for child in _children(node))


def parse_filter(text: str) -> Expr:
    """Parse a ``$filter`` expression; raise :class:`ODataError` with the position if invalid."""
    return _Parser(text).parse()


def _parse_filter_at(text: str, start: int, end: int) -> Expr:
    return _Parser(text, start, end).parse()


# --------------------------------------------------------------------------------------------
# Back to text (canonical form; parse_filter(to_text(e)) == e)


def _atom(expr: Expr) -> bool:
    return not isinstance(expr, Compare | BoolOp | Not | Arith | Negate)


def _wrapped(expr: Expr) -> str:
    return to_text(expr) if _atom(expr) else f"({to_text(expr)})"


def _datetime_text(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def to_text(expr: Expr) -> str:
    """Write a ``$filter`` tree back as text that parses to an equal tree."""
    match expr:
        case Path(segments=segments):
            return "/".join(segments)
        case StringLiteral(value=value):
            return "'" + value.replace("'", "''") + "'"
        case BoolLiteral(value=value):
            return "true" if value else "false"
        case NumberLiteral(value=value):
            return repr(value)
        case NullLiteral():
            return "null"
        case DateTimeLiteral(value=value):
            return _datetime_text(value)
        case DateLiteral(value=value) | TimeLiteral(value=value):
            return value.isoformat()
        case IntervalLiteral(start=start, end=end):
            return f"{_datetime_text(start)}/{_datetime_text(end)}"
        case GeoLiteral(kind=kind, wkt=wkt):
            return f"{kind}'" + wkt.replace("'", "''") + "'"
        case Compare(op=op, left=left, right=right) | Arith(op=op, left=left, right=right):
            return f"{_wrapped(left)} {op} {_wrapped(right)}"
        case BoolOp(op=op, operands=operands):
            return f" {op} ".join(_wrapped(o) for o in operands)
        case Not(operand=operand):
            return f"not ({to_text(operand)})"
        case Negate(operand=operand):
            return f"-({to_text(operand)})"
        case Call(name=name, args=args):
            return f"{name}({', '.join(to_text(a) for a in args)})"
    raise TypeError(f"not a $filter node: {expr!r}")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# $orderby, $select, $top, $skip, $count


class OrderBy(NamedTuple):
    """One ``$orderby`` key: a property path and ``"asc"`` or ``"desc"``."""

    path: tuple[str, ...]
    direction: Literal["asc", "desc"] = "asc"


def _read_path(text: str, i: int, stop: int) -> tuple[tuple[str, ...], int]:
    """Read ``seg(/seg)*`` at ``text[i]`` (spaces before it skipped); return (path, next)."""
    i = _skip_spaces(text, i, stop)
    segments: list[str] = []
    while True:
        m = _SEGMENT.match(text, i, stop)
        if not m:
            raise _syntax_error(
                text,
                i,
                "Cần tên thuộc tính" if not segments else "Sau dấu / phải là tên thuộc tính",
                "A property name is expected"
                if not segments
                else "A property name must follow '/'",
            )
        segments.append(m.group())
        i = m.end()
        if i < stop and text[i] == "/":
            i += 1
            continue
        return tuple(segments), i


def _skip_spaces(text: str, i: int, stop: int) -> int:
    while i < stop and text[i].isspace():
        i += 1
    return i


def _expect_comma_or_end(text: str, i: int, stop: int, what_vi: str, what_en: str) -> int:
    """Skip spaces; at a comma return the index after it, at the end return ``stop``."""
    i = _skip_spaces(text, i, stop)
    if i >= stop:
        return stop
    if text[i] != ",":
        raise _syntax_error(
            text,
            i,
            f"Cần dấu phẩy giữa các {what_vi}",
            f"Expected a comma between {what_en}",
        )
    if _skip_spaces(text, i + 1, stop) >= stop:
        raise _syntax_error(
            text, i, "Thừa dấu phẩy ở cuối", "Trailing comma: an item is missing after it"
        )
    return i + 1


def _check_not_empty(text: str, start: int, stop: int, vi: str, en: str) -> None:
    if _skip_spaces(text, start, stop) >= stop:
        raise _syntax_error(text, start, vi, en)


def parse_orderby(text: str) -> list[OrderBy]:
    """Parse ``$orderby``: ``path [asc|desc], ...`` (direction in any case; default asc)."""
    return _parse_orderby_at(text, 0, len(text))


def _parse_orderby_at(text: str, start: int, stop: int) -> list[OrderBy]:
    _check_not_empty(text, start, stop, "$orderby trống", "Empty $orderby")
    items: list[OrderBy] = []
    i = start
    while i < stop:
        path, i = _read_path(text, i, stop)
        j = _skip_spaces(text, i, stop)
        direction: Literal["asc", "desc"] = "asc"
        m = _SEGMENT.match(text, j, stop)
        if m and j > i:
            word = m.group().lower()
            if word not in ("asc", "desc"):
                raise _syntax_error(
                    text,
                    j,
                    f"Chiều sắp xếp không hợp lệ «{m.group()}»; dùng asc hoặc desc",
                    f"Invalid sort direction '{m.group()}'; use asc or desc",
                )
            direction = "desc" if word == "desc" else "asc"
            i = m.end()
        items.append(OrderBy(path, direction))
        i = _expect_comma_or_end(text, i, stop, "khóa sắp xếp", "sort keys")
    return items


def parse_select(text: str) -> list[tuple[str, ...]]:
    """Parse ``$select``: comma-separated property paths, e.g. ``id,name,properties/key``."""
    return _parse_select_at(text, 0, len(text))


def _parse_select_at(text: str, start: int, stop: int) -> list[tuple[str, ...]]:
    _check_not_empty(text, start, stop, "$select trống", "Empty $select")
    paths: list[tuple[str, ...]] = []
    i = start
    while i < stop:
        path, i = _read_path(text, i, stop)
        paths.append(path)
        i = _expect_comma_or_end(text, i, stop, "thuộc tính", "properties")
    return paths


def _parse_int_at(text: str, start: int, stop: int, option: str) -> int:
    raw = text[start:stop].strip()
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise _syntax_error(
            text,
            start,
            f"{option} phải là số nguyên không âm",
            f"{option} must be a non-negative integer",
        )
    return int(raw)


def _parse_count_at(text: str, start: int, stop: int) -> bool:
    raw = text[start:stop].strip().lower()
    if raw not in ("true", "false"):
        raise _syntax_error(
            text, start, "$count phải là true hoặc false", "$count must be true or false"
        )
    return raw == "true"


def parse_top(text: str) -> int:
    """Parse ``$top`` (a non-negative integer)."""
    return _parse_int_at(text, 0, len(text), "$top")


def parse_skip(text: str) -> int:
    """Parse ``$skip`` (a non-negative integer)."""
    return _parse_int_at(text, 0, len(text), "$skip")


def parse_count(text: str) -> bool:
    """Parse ``$count`` (``true`` or ``false``)."""
    return _parse_count_at(text, 0, len(text))


# --------------------------------------------------------------------------------------------
# $expand


@dataclass(frozen=True)
class QueryOptions:
    """The options of one request or of one expanded navigation property.

    ``None`` (or an empty tuple) means the option was not given.
    """

    filter: Expr | None = None
    select: tuple[tuple[str, ...], ...] | None = None
    orderby: tuple[OrderBy, ...] = ()
    top: int | None = None
    skip: int | None = None
    count: bool | None = None
    expand: tuple[Expand, ...] = ()


@dataclass(frozen=True)
class Expand:
    """One expanded navigation property with its own nested options.

    ``Datastreams/Sensor`` becomes ``Expand("Datastreams", QueryOptions(expand=(Expand(
    "Sensor"),)))``; the same property named twice at one level is merged.
    """

    name: str
    options: QueryOptions = field(default_factory=QueryOptions)


_OPTION = re.compile(r"\$([A-Za-z]+)\s*=")
_OPTION_NAMES = ("filter", "select", "expand", "orderby", "top", "skip", "count")


def parse_expand(text: str) -> list[Expand]:
    """Parse ``$expand``, e.g. ``Datastreams($filter=...;$top=3;$expand=Observations(...))``."""
    return list(_parse_expand_at(text, 0, len(text), 0))


def _parse_expand_at(text: str, start: int, stop: int, level: int) -> tuple[Expand, ...]:
    if level >= MAX_DEPTH:
        raise _syntax_error(
            text,
            start,
            f"$expand lồng quá sâu (tối đa {MAX_DEPTH} mức)",
            f"$expand nested too deeply (at most {MAX_DEPTH} levels)",
        )
    _check_not_empty(text, start, stop, "$expand trống", "Empty $expand")
    items: list[Expand] = []
    i = start
    while i < stop:
        path_start = _skip_spaces(text, i, stop)
        path, i = _read_path(text, i, stop)
        options = QueryOptions()
        if i < stop and text[i] == "(":
            options, i = _parse_nested_options(text, i, stop, level)
        item = Expand(path[-1], options)
        for name in reversed(path[:-1]):
            item = Expand(name, QueryOptions(expand=(item,)))
        items = _merge_expands(items, item, text, path_start)
        i = _expect_comma_or_end(text, i, stop, "thuộc tính mở rộng", "expanded properties")
    return tuple(items)


def _value_end(text: str, i: int, stop: int, open_pos: int) -> int:
    """Index of the ``;`` or ``)`` that ends an option value starting at ``i``."""
    depth = 0
    in_string = False
    while i < stop:
        c = text[i]
        if in_string:
            if c == "'":
                in_string = False
        elif c == "'":
            in_string = True
        elif c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return i
            depth -= 1
        elif c == ";" and depth == 0:
            return i
        i += 1
    raise _syntax_error(
        text, open_pos, "Dấu '(' không được đóng bằng ')'", "Unbalanced '(': missing ')'"
    )


def _parse_nested_options(
    text: str, open_pos: int, stop: int, level: int
) -> tuple[QueryOptions, int]:
    """Parse ``($name=value;...)`` starting at ``text[open_pos] == "("``."""
    values: dict[str, Any] = {}
    i = open_pos + 1
    while True:
        i = _skip_spaces(text, i, stop)
        m = _OPTION.match(text, i, stop)
        if not m or m.group(1).lower() not in _OPTION_NAMES:
            raise _syntax_error(
                text,
                i,
                "Cần một tùy chọn $filter, $select, $expand, $orderby, $top, $skip hoặc $count",
                "Expected an option $filter, $select, $expand, $orderby, $top, $skip or $count",
            )
        name = m.group(1).lower()
        if name in values:
            raise _syntax_error(text, i, f"Tùy chọn ${name} lặp lại", f"Option ${name} given twice")
        value_start = m.end()
        value_end = _value_end(text, value_start, stop, open_pos)
        values[name] = _parse_option_value(name, text, value_start, value_end, level)
        i = value_end + 1
        if text[value_end] == ")":
            return QueryOptions(**values), i


def _parse_option_value(name: str, text: str, start: int, stop: int, level: int) -> Any:
    match name:
        case "filter":
            return _parse_filter_at(text, start, stop)
        case "select":
            return tuple(_parse_select_at(text, start, stop))
        case "orderby":
            return tuple(_parse_orderby_at(text, start, stop))
        case "expand":
            return _parse_expand_at(text, start, stop, level + 1)
        case "top" | "skip":
            return _parse_int_at(text, start, stop, f"${name}")
        case _:
            return _parse_count_at(text, start, stop)


def _merge_expands(items: list[Expand], new: Expand, text: str, pos: int) -> list[Expand]:
    for k, old in enumerate(items):
        if old.name == new.name:
            merged = Expand(old.name, _merge_options(old.options, new.options, text, pos))
            return [*items[:k], merged, *items[k + 1 :]]
    return [*items, new]


def _merge_options(a: QueryOptions, b: QueryOptions, text: str, pos: int) -> QueryOptions:
    changes: dict[str, Any] = {}
    for name in ("filter", "select", "orderby", "top", "skip", "count"):
        va, vb = getattr(a, name), getattr(b, name)
        empty = (None, ())
        if va in empty or vb in empty or va == vb:
            changes[name] = vb if va in empty else va
        else:
            raise _syntax_error(
                text,
                pos,
                f"Thuộc tính mở rộng lặp lại với ${name} khác nhau",
                f"The same property is expanded twice with different ${name}",
            )
    expands = list(a.expand)
    for item in b.expand:
        expands = _merge_expands(expands, item, text, pos)
    return replace(a, expand=tuple(expands), **changes)


def parse_options(params: Mapping[str, str]) -> QueryOptions:
    """Parse the ``$``-options of a request's query string (other parameters are ignored).

    Option names are read without regard to case; an unknown ``$`` option is an error (on it,
    ``ODataError.option`` names the option and ``position`` is an offset in its value).
    """
    values: dict[str, Any] = {}
    for key, value in params.items():
        if not key.startswith("$"):
            continue
        name = key[1:].lower()
        if name not in _OPTION_NAMES:
            raise ODataError(
                f"Tùy chọn truy vấn không được hỗ trợ «{key}».",
                f"Unsupported query option '{key}'.",
                option=key,
            )
        if name in values:
            raise ODataError(f"Tùy chọn {key} lặp lại.", f"Option {key} given twice.", option=key)
        try:
            values[name] = _parse_option_value(name, value, 0, len(value), 0)
        except ODataError as exc:
            raise ODataError(
                f"{key}: {exc.message_vi}",
                f"{key}: {exc.message_en}",
                position=exc.position,
                option=key,
            ) from None
    return QueryOptions(**values)


# --------------------------------------------------------------------------------------------
# SQL constructs that differ between SQLite and PostgreSQL


def _base_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


def _is_aware_datetime(type_: TypeEngine[Any]) -> bool:
    base = _base_type(type_)
    return isinstance(base, DateTime) and bool(base.timezone)


def _args(element: FunctionElement[Any]) -> list[ColumnElement[Any]]:
    return list(element.clauses)


def _utc_pg(arg: ColumnElement[Any], compiler: SQLCompiler, kw: Any) -> str:
    sql = compiler.process(arg, **kw)
    return f"timezone('UTC', {sql})" if _is_aware_datetime(arg.type) else sql


def _sqlite_time(arg: ColumnElement[Any], compiler: SQLCompiler, kw: Any) -> str:
    """A date-time argument for SQLite's date functions.

    Columns whose type says ``epoch_us_on_sqlite`` (``monitor.models.Instant``) hold integer
    microseconds since 1970 there; the others hold SQLAlchemy's ISO text.
    """
    sql = compiler.process(arg, **kw)
    if getattr(arg.type, "epoch_us_on_sqlite", False):
        return f"({sql}) / 1000000.0, 'unixepoch'"
    return sql


# The SQL functions whose text differs between the databases, as data: one template per
# dialect ("default" is standard SQL, used by any other dialect). In a template ``{0}`` is the
# first argument; ``{0:utc}`` is it converted to UTC when it is a zone-aware timestamp
# (PostgreSQL); ``{0:time}`` is it as an argument of SQLite's date functions. Each placeholder
# renders its argument again, so bound parameters are repeated as the text needs them.
_PARTS = (("year", "YEAR", "%Y"), ("month", "MONTH", "%m"), ("day", "DAY", "%d"),
          ("hour", "HOUR", "%H"), ("minute", "MINUTE", "%M"), ("second", "SECOND", "%S"))
_DATE_PARTS = tuple(name for name, _, _ in _PARTS)
# SQLite has floor()/ceil() only when built with its math functions: casts instead.
_SQLITE_FLOOR = ("(CASE WHEN {0} IS NULL THEN NULL WHEN {0} %s CAST({0} AS INTEGER) "
                 "THEN CAST({0} AS INTEGER) %s ELSE CAST({0} AS INTEGER) END)")
_SQL_TEMPLATES: Mapping[str, tuple[TypeEngine[Any], Mapping[str, str]]] = {
    # 1-based position of the needle ({1}) in the haystack ({0}), 0 when absent (case-sensitive).
    "strpos": (Integer(), {"default": "POSITION({1} IN {0})", "sqlite": "instr({0}, {1})"}),
    # A field of a date-time, in UTC.
    **{name: (Integer(), {
        "default": f"EXTRACT({field} FROM {{0}})",
        "postgresql": f"CAST(FLOOR(EXTRACT({field} FROM {{0:utc}})) AS INTEGER)",
        "sqlite": f"CAST(strftime('{fmt}', {{0:time}}) AS INTEGER)",
    }) for name, field, fmt in _PARTS},
    "date": (Date(), {"default": "CAST({0} AS DATE)", "postgresql": "CAST({0:utc} AS DATE)",
                      "sqlite": "date({0:time})"}),
    # On SQLite: the text SQLAlchemy stores for a Time, HH:MM:SS.ffffff (milliseconds here).
    "time": (Time(), {"default": "CAST({0} AS TIME)", "postgresql": "CAST({0:utc} AS TIME)",
                      "sqlite": "(strftime('%H:%M:%S', {0:time}) "
                                "|| substr(strftime('%f', {0:time}), 3) || '000')"}),
    # Nearest integer, halves away from zero (OData ``round``); PostgreSQL's round(double
    # precision) rounds halves to even, round(numeric) does not.
    "round": (Float(), {"default": "ROUND({0})", "postgresql": "ROUND(CAST({0} AS NUMERIC))"}),
    "floor": (Float(), {"default": "FLOOR({0})", "sqlite": _SQLITE_FLOOR % ("<", "- 1")}),
    "ceiling": (Float(), {"default": "CEILING({0})", "sqlite": _SQLITE_FLOOR % (">", "+ 1")}),
    # Remainder with the sign of the dividend, also for non-integers (OData ``mod``).
    # PostgreSQL has no % for double precision; SQLite's % truncates both operands first.
    "mod": (Float(), {"default": "MOD({0}, {1})",
                      "postgresql": "MOD(CAST({0} AS NUMERIC), CAST({1} AS NUMERIC))",
                      "sqlite": "({0} - {1} * CAST({0} / {1} AS INTEGER))"}),
}

_ARGUMENT_FORMS: Mapping[str, Callable[[ColumnElement[Any], SQLCompiler, Any], str]] = {
    "": lambda arg, compiler, kw: compiler.process(arg, **kw),
    "utc": _utc_pg,
    "time": _sqlite_time,
}


class _SqlFunction(FunctionElement[Any]):
    """Base of the functions made from :data:`_SQL_TEMPLATES` (one subclass each)."""

    inherit_cache = True
    templates: ClassVar[Mapping[str, str]] = {}


@compiles(_SqlFunction)
def _sql_function(element: _SqlFunction, compiler: SQLCompiler, **kw: Any) -> str:
    template = element.templates.get(compiler.dialect.name, element.templates["default"])
    args = _args(element)
    out: list[str] = []
    for text, index, form, _ in string.Formatter().parse(template):
        out.append(text)
        if index is not None:
            out.append(_ARGUMENT_FORMS[form or ""](args[int(index)], compiler, kw))
    return "".join(out)


_SQL: Mapping[str, type[_SqlFunction]] = {
    name: cast(type[_SqlFunction], type(f"_Sql_{name}", (_SqlFunction,), {
        "type": type_, "templates": templates, "inherit_cache": True}))
    for name, (type_, templates) in _SQL_TEMPLATES.items()
}


# --------------------------------------------------------------------------------------------
# $filter compiler

Kind = Literal[
    "bool", "number", "string", "datetime", "date", "time", "interval", "geo", "null", "unknown"
]
_KIND_NAMES: Mapping[str, tuple[str, str]] = {
    "bool": ("đúng/sai", "boolean"),
    "number": ("số", "number"),
    "string": ("chuỗi", "string"),
    "datetime": ("thời điểm", "date-time"),
    "date": ("ngày", "date"),
    "time": ("giờ trong ngày", "time of day"),
    "interval": ("khoảng thời gian", "time interval"),
    "geo": ("hình học", "geometry"),
    "null": ("null", "null"),
    "unknown": ("không rõ", "unknown"),
}
_NO_VALUE = object()


@dataclass(frozen=True)
class _Val:
    kind: Kind
    sql: ColumnElement[Any]
    end: ColumnElement[Any] | None = None  # the end of an interval (``sql`` is its start)
    value: Any = _NO_VALUE  # the Python value of a literal


def _kind_of(type_: TypeEngine[Any]) -> Kind:
    base = _base_type(type_)
    if isinstance(base, Boolean):
        return "bool"
    if isinstance(base, Integer | Numeric | Float):  # Float is no Numeric in SQLAlchemy 2.1
        return "number"
    if isinstance(base, DateTime):
        return "datetime"
    if isinstance(base, Date):
        return "date"
    if isinstance(base, Time):
        return "time"
    if isinstance(base, String):
        return "string"
    return "unknown"


def _literal_val(kind: Kind, value: Any, type_: TypeEngine[Any]) -> _Val:
    if kind == "interval":
        start, end = value
        return _Val(kind, literal(start, type_), literal(end, type_), value)
    return _Val(kind, literal(value, type_), value=value)


def _retyped(v: _Val, type_: TypeEngine[Any]) -> _Val:
    """A literal bound with the type of the column it meets (e.g. the app's UTCDateTime)."""
    if v.value is _NO_VALUE:
        return v
    return _literal_val(v.kind, v.value, type_)


_SQL_COMPARE: Mapping[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}

Resolve = Callable[[tuple[str, ...]], ColumnElement[Any]]
ResolveInterval = Callable[[tuple[str, ...]], tuple[ColumnElement[Any], ColumnElement[Any]] | None]


class _Compiler:
    def __init__(
        self, resolve: Resolve, resolve_interval: ResolveInterval | None, now: datetime
    ) -> None:
        self.resolve = resolve
        self.resolve_interval = resolve_interval
        self.now = now

    def mismatch(self, pos: int, what_vi: str, what_en: str, *vals: _Val) -> ODataError:
        kinds_vi = ", ".join(_KIND_NAMES[v.kind][0] for v in vals)
        kinds_en = ", ".join(_KIND_NAMES[v.kind][1] for v in vals)
        return _compile_error(
            pos,
            f"{what_vi} không áp dụng được cho kiểu {kinds_vi}",
            f"{what_en} cannot be applied to {kinds_en}",
        )

    def compile(self, expr: Expr) -> _Val:
        match expr:
            case Path():
                return self.path(expr)
            case StringLiteral(value=value):
                return _literal_val("string", value, String())
            case NumberLiteral(value=value):
                return _literal_val(
                    "number", value, Integer() if isinstance(value, int) else Float()
                )
            case BoolLiteral(value=value):
                return _Val("bool", true() if value else false(), value=value)
            case NullLiteral():
                return _Val("null", null())
            case DateTimeLiteral(value=value):
                return _literal_val("datetime", value.astimezone(UTC), DateTime(timezone=True))
            case DateLiteral(value=value):
                return _literal_val("date", value, Date())
            case TimeLiteral(value=value):
                return _literal_val("time", value, Time())
            case IntervalLiteral(start=start, end=end):
                return _literal_val(
                    "interval",
                    (start.astimezone(UTC), end.astimezone(UTC)),
                    DateTime(timezone=True),
                )
            case GeoLiteral(pos=pos):
                raise _compile_error(
                    pos,
                    "Hằng hình học (geography'…') chưa được hỗ trợ trong bộ lọc",
                    "Geometry literals (geography'…') are not supported in filters",
                )
            case Compare():
                return _Val("bool", self.compare(expr))
            case BoolOp(op=op, operands=operands):
                parts = [self.condition(o) for o in operands]
                return _Val("bool", _balanced(and_ if op == "and" else or_, parts))
            case Not(operand=operand):
                return _Val("bool", not_(self.condition(operand)))
            case Arith():
                return self.arith(expr)
            case Negate(operand=operand, pos=pos):
                v = self.compile(operand)
                if v.kind not in ("number", "unknown"):
                    raise self.mismatch(pos, "Dấu trừ", "Unary minus", v)
                return _Val("number", -v.sql)
            case Call():
                return self.call(expr)
        raise TypeError(f"not a $filter node: {expr!r}")  # pragma: no cover

    def path(self, expr: Path) -> _Val:
        try:
            if self.resolve_interval is not None:
                pair = self.resolve_interval(expr.segments)
                if pair is not None:
                    start, end = pair
                    return _Val("interval", start, func.coalesce(end, start))
            column = self.resolve(expr.segments)
        except LookupError:
            name = "/".join(expr.segments)
            raise _compile_error(
                expr.pos,
                f"Thuộc tính không tồn tại «{name}»",
                f"Unknown property '{name}'",
            ) from None
        return _Val(_kind_of(column.type), column)

    def condition(self, expr: Expr) -> ColumnElement[bool]:
        v = self.compile(expr)
        if v.kind == "bool":
            return v.sql
        if v.kind == "unknown":
            return v.sql == true()
        if v.kind == "null":
            return false()
        raise _compile_error(
            expr.pos,
            f"Cần một điều kiện đúng/sai, nhận {_KIND_NAMES[v.kind][0]}",
            f"Expected a true/false condition, got a {_KIND_NAMES[v.kind][1]}",
        )

    def compare(self, expr: Compare) -> ColumnElement[bool]:
        left, right, op = self.compile(expr.left), self.compile(expr.right), expr.op
        kinds = {left.kind, right.kind}
        if "geo" in kinds:
            raise self.mismatch(expr.pos, f"Phép so sánh {op}", f"Comparison {op}", left, right)
        if "null" in kinds:
            if kinds == {"null"}:
                return true() if op in ("eq", "ge", "le") else false()
            other = right if left.kind == "null" else left
            if op == "eq":
                return other.sql.is_(None)
            if op == "ne":
                return other.sql.is_not(None)
            return false()
        if "interval" in kinds:
            return self.temporal(expr, left, right)
        left, right = self.unify(expr, left, right)
        result: ColumnElement[bool] = _SQL_COMPARE[op](left.sql, right.sql)
        return result

    def unify(self, expr: Compare, left: _Val, right: _Val) -> tuple[_Val, _Val]:
        """Check that the two sides can be compared; bind literals with the column's type."""
        if "unknown" in (left.kind, right.kind):
            return left, right
        if left.kind == right.kind:
            if left.kind in ("datetime", "date", "time"):
                if left.value is _NO_VALUE:
                    right = _retyped(right, left.sql.type)
                else:
                    left = _retyped(left, right.sql.type)
            return left, right
        if {left.kind, right.kind} == {"date", "datetime"}:
            # A date literal meets a date-time column: midnight UTC of that day.
            if left.kind == "date" and left.value is not _NO_VALUE:
                return self.midnight(left, right.sql.type), right
            if right.kind == "date" and right.value is not _NO_VALUE:
                return left, self.midnight(right, left.sql.type)
        raise self.mismatch(
            expr.pos, f"Phép so sánh {expr.op}", f"Comparison {expr.op}", left, right
        )

    @staticmethod
    def midnight(v: _Val, type_: TypeEngine[Any]) -> _Val:
        d: date = v.value
        moment = datetime(d.year, d.month, d.day, tzinfo=UTC)
        return _literal_val(
            "datetime", moment, type_ if _kind_of(type_) == "datetime" else DateTime(True)
        )

    def instant_or_interval(self, expr: Compare, v: _Val, other: _Val) -> _Val:
        if v.kind == "date" and v.value is not _NO_VALUE:
            v = self.midnight(v, DateTime(timezone=True))
        if v.kind not in ("datetime", "interval", "unknown"):
            raise self.mismatch(
                expr.pos, f"Phép so sánh {expr.op}", f"Comparison {expr.op}", v, other
            )
        literal_meets_column = v.value is not _NO_VALUE and other.value is _NO_VALUE
        if literal_meets_column and other.kind in ("datetime", "interval"):
            v = _retyped(v, other.sql.type)
        return v

    def temporal(self, expr: Compare, left: _Val, right: _Val) -> ColumnElement[bool]:
        """Compare instants and intervals (see the module's docstring)."""
        left = self.instant_or_interval(expr, left, right)
        right = self.instant_or_interval(expr, right, left)
        ls, le = left.sql, left.end if left.end is not None else left.sql
        rs, re_ = right.sql, right.end if right.end is not None else right.sql
        both = left.kind == right.kind == "interval"
        match expr.op:
            case "eq":
                return and_(ls == rs, le == re_) if both else and_(rs <= le, ls <= re_)
            case "ne":
                return or_(ls != rs, le != re_) if both else or_(le < rs, ls > re_)
            case "lt":
                return le < rs
            case "gt":
                return ls > re_
            case _ if both:
                raise _compile_error(
                    expr.pos,
                    f"Phép {expr.op} giữa hai khoảng thời gian không rõ nghĩa; dùng lt, gt, eq",
                    f"{expr.op} between two time intervals is ambiguous; use lt, gt or eq",
                )
            case "le":
                return ls <= re_
            case _:
                return le >= rs

    def arith(self, expr: Arith) -> _Val:
        left, right = self.compile(expr.left), self.compile(expr.right)
        for v in (left, right):
            if v.kind not in ("number", "unknown"):
                raise self.mismatch(
                    expr.pos, f"Phép toán {expr.op}", f"Operator {expr.op}", left, right
                )
        if expr.op in ("div", "mod") and right.value == 0:
            raise _compile_error(expr.pos, "Chia cho 0", "Division by zero")
        a, b = left.sql, right.sql
        match expr.op:
            case "add":
                return _Val("number", a + b)
            case "sub":
                return _Val("number", a - b)
            case "mul":
                return _Val("number", a * b)
            case "div":
                ints = all(isinstance(_base_type(x.type), Integer) for x in (a, b))
                return _Val("number", a // b if ints else a / b)
            case _:
                return _Val("number", _SQL["mod"](a, b))

    def call(self, expr: Call) -> _Val:
        name, pos = expr.name, expr.pos
        if name in SPATIAL_FUNCTIONS or name in ("fractionalseconds", "totaloffsetminutes"):
            raise _compile_error(
                pos,
                f"Hàm {name} chưa được hỗ trợ",
                f"Function {name} is not supported by this server",
            )
        if name == "now":
            return _literal_val("datetime", self.now, DateTime(timezone=True))
        if name == "mindatetime":
            return _literal_val("datetime", datetime(1, 1, 1, tzinfo=UTC), DateTime(timezone=True))
        if name == "maxdatetime":
            return _literal_val(
                "datetime",
                datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                DateTime(timezone=True),
            )
        args = [self.compile(a) for a in expr.args]
        if name in _DATE_PARTS or name in ("date", "time"):
            # A time interval (phenomenonTime) gives its start, as FROST-Server does.
            args = [_Val("datetime", a.sql) if a.kind == "interval" else a for a in args]
        sql = [a.sql for a in args]

        def need(*kinds: Kind, index: slice = slice(None)) -> None:
            for a in args[index]:
                if a.kind not in (*kinds, "unknown"):
                    raise self.mismatch(pos, f"Hàm {name}", f"Function {name}", *args)

        match name:
            case "substringof" | "contains" | "startswith" | "endswith":
                need("string")
                text, part = (sql[1], sql[0]) if name == "substringof" else (sql[0], sql[1])
                if name in ("substringof", "contains"):
                    return _Val("bool", _SQL["strpos"](text, part) > 0)
                if name == "startswith":
                    return _Val("bool", func.substr(text, 1, func.length(part)) == part)
                start = func.length(text) - func.length(part) + 1
                return _Val("bool", func.substr(text, start) == part)
            case "length":
                need("string")
                return _Val("number", func.length(sql[0], type_=Integer()))
            case "indexof":
                need("string")
                return _Val("number", _SQL["strpos"](sql[0], sql[1]) - 1)
            case "substring":
                need("string", index=slice(0, 1))
                need("number", index=slice(1, None))
                return _Val("string", func.substr(sql[0], sql[1] + 1, *sql[2:]))
            case "tolower" | "toupper" | "trim":
                need("string")
                fn = {"tolower": func.lower, "toupper": func.upper, "trim": func.trim}[name]
                return _Val("string", fn(sql[0], type_=String()))
            case "concat":
                need("string")
                return _Val("string", sql[0].concat(sql[1]))
            case "year" | "month" | "day":
                need("datetime", "date")
                return _Val("number", _SQL[name](sql[0]))
            case "hour" | "minute" | "second":
                need("datetime", "time")
                return _Val("number", _SQL[name](sql[0]))
            case "date":
                need("datetime", "date")
                return _Val("date", _SQL["date"](sql[0]))
            case "time":
                need("datetime", "time")
                return _Val("time", _SQL["time"](sql[0]))
            case "round" | "floor" | "ceiling":
                need("number")
                return _Val("number", _SQL[name](sql[0]))
        raise _compile_error(  # pragma: no cover - FUNCTIONS and this match agree
            pos, f"Hàm {name} chưa được hỗ trợ", f"Function {name} is not supported"
        )


def compile_filter(
    expr: Expr,
    resolve: Resolve,
    *,
    resolve_interval: ResolveInterval | None = None,
    now: datetime | None = None,
) -> ColumnElement[bool]:
    """Compile a ``$filter`` tree to a SQLAlchemy condition.

    ``resolve`` maps a property path such as ``("Datastream", "id")`` to a column expression
    and raises ``KeyError`` (any ``LookupError``) for an unknown path. The column's type
    decides how literals are bound and what may be compared with it (numbers with numbers,
    strings with strings...); a column of another type (JSON...) is taken on trust.
    ``resolve_interval``, when given, may return ``(start, end)`` for a path that is a time
    interval (SensorThings phenomenonTime); a NULL end means an instant. ``now`` is the
    value of ``now()`` (default: the current UTC time). Raises :class:`ODataError` with the
    node's position for comparisons of incompatible types and for unsupported functions.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return _Compiler(resolve, resolve_interval, moment).condition(expr)
