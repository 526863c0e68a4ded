"""CQL2 ``LIKE``: ``%`` any sequence, ``_`` one character, ``\\`` escapes, case-sensitive on
both databases (``column LIKE pattern ESCAPE '\\'``; ``GLOB`` on SQLite, whose ``LIKE`` ignores
ASCII case)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Boolean, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from nongso.registry.cql.errors import FilterError


def case_sensitive_like(column: ColumnElement[Any], pattern: str,
                        name: str) -> ColumnElement[bool]:
    """``column LIKE pattern`` as CQL2 means it (``name``: the queryable, for errors)."""
    tokens = _like_tokens(pattern, name)
    return _CaseSensitiveLike(
        column,
        literal(_sql_like_pattern(tokens), String()),
        literal(_glob_pattern(tokens), String()),
    )


_LikeToken = tuple[Literal["any", "one", "char"], str]


def _like_tokens(pattern: str, name: str) -> list[_LikeToken]:
    tokens: list[_LikeToken] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise FilterError(
                    f"Mẫu LIKE cho «{name}» kết thúc bằng ký tự thoát «\\».",
                    f"The LIKE pattern for '{name}' ends with the escape character '\\'.",
                    queryable=name,
                    operator="LIKE",
                )
            tokens.append(("char", escaped))
        elif ch == "%":
            tokens.append(("any", ch))
        elif ch == "_":
            tokens.append(("one", ch))
        else:
            tokens.append(("char", ch))
    return tokens


def _sql_like_pattern(tokens: Sequence[_LikeToken]) -> str:
    out: list[str] = []
    for kind, ch in tokens:
        if kind == "any":
            out.append("%")
        elif kind == "one":
            out.append("_")
        else:
            out.append("\\" + ch if ch in "%_\\" else ch)
    return "".join(out)


def _glob_pattern(tokens: Sequence[_LikeToken]) -> str:
    out: list[str] = []
    for kind, ch in tokens:
        if kind == "any":
            out.append("*")
        elif kind == "one":
            out.append("?")
        else:
            out.append(f"[{ch}]" if ch in "*?[" else ch)
    return "".join(out)


class _CaseSensitiveLike(FunctionElement[bool]):
    """``column LIKE pattern ESCAPE '\\'``; ``column GLOB pattern`` on SQLite."""

    type = Boolean()
    inherit_cache = True
    name = "cql_like"


@compiles(_CaseSensitiveLike)
def _compile_like(element: _CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column, like_pattern, _ = list(element.clauses)
    return (
        f"({compiler.process(column, **kw)} LIKE {compiler.process(like_pattern, **kw)} "
        "ESCAPE '\\')"
    )


@compiles(_CaseSensitiveLike, "sqlite")
def _compile_like_sqlite(element: _CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column, _, glob_pattern = list(element.clauses)
    return f"({compiler.process(column, **kw)} GLOB {compiler.process(glob_pattern, **kw)})"
