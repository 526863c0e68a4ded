"""Indicator formulas (pure): arithmetic over data element values, stored as data.

A formula references values as DHIS2 does, ``#{element}`` (all disaggregations together) or
``#{element.option}`` / ``#{element.option1.option2}`` (one disaggregation)::

    #{output.rice} / #{harvested_area.rice}
    100 * (#{output.rice} / #{harvested_area.rice})
        / previous(#{output.rice} / #{harvested_area.rice}) - 100

Allowed: numbers, ``+ - * /``, unary minus, parentheses and the functions ``previous(x)``
(``x`` in the same period one year earlier: the same season of the previous year),
``abs``, ``min``, ``max`` and ``coalesce(x, y)``. The text is parsed with Python's ``ast``
module into a tree whose every node is checked against that short list; nothing is ever
passed to ``eval``. A missing value makes the result missing (``coalesce`` chooses another);
a division by zero too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_LENGTH = 1000
MAX_NODES = 300
FUNCTIONS = ("previous", "abs", "min", "max", "coalesce")
REF = re.compile(r"#\{\s*([a-z][a-z0-9_]*)((?:\.[a-z0-9_]+)*)\s*\}")


class FormulaError(ValueError):
    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class Ref:
    element: str
    coc: str = ""  # "" = every disaggregation of the element added up

    @property
    def text(self) -> str:
        return f"#{{{self.element}{'.' + self.coc if self.coc else ''}}}"


Resolver = Callable[["Ref", int], float | None]  # (reference, year offset 0 or -1)
Compiled = Callable[[Resolver, int], float | None]


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.Expression
    refs: tuple[Ref, ...]
    # The checked tree turned into nested closures once (evaluated thousands of times).
    run: Compiled

    @property
    def uses_previous(self) -> bool:
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                   and n.func.id == "previous" for n in ast.walk(self.tree))


def _error(text: str, why_vi: str, why_en: str) -> FormulaError:
    return FormulaError(f"Công thức «{text}» không hợp lệ: {why_vi}",
                        f"Invalid formula '{text}': {why_en}")


def compile_formula(text: str) -> Formula:
    """Parse and check a formula; raises :class:`FormulaError` saying what is wrong."""
    if not text or not text.strip():
        raise _error(text, "công thức trống.", "the formula is empty.")
    if len(text) > MAX_LENGTH:
        raise _error(text[:40] + "…", f"dài quá {MAX_LENGTH} ký tự.",
                     f"longer than {MAX_LENGTH} characters.")
    refs: list[Ref] = []

    def placeholder(m: re.Match[str]) -> str:
        ref = Ref(m.group(1), m.group(2)[1:] if m.group(2) else "")
        if ref not in refs:
            refs.append(ref)
        return f"__r{refs.index(ref)}"

    source = REF.sub(placeholder, text)
    if "#" in source or "{" in source or "}" in source:
        raise _error(text, "tham chiếu phải có dạng #{mã_chỉ_tiêu} hoặc #{mã_chỉ_tiêu.phân_tổ}.",
                     "references look like #{element} or #{element.option}.")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise _error(text, "sai cú pháp.", "syntax error.") from exc
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise _error(text, "quá phức tạp.", "too complex.")
    for node in nodes:
        _check(node, text, len(refs))
    if not refs:
        raise _error(text, "không tham chiếu chỉ tiêu nào.", "it references no data element.")
    frozen = tuple(refs)
    return Formula(text, tree, frozen, _closure(tree.body, frozen))


_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_PLAIN = (ast.Expression, ast.Load, *_BINOPS)


def _check(node: ast.AST, text: str, n_refs: int) -> None:
    if isinstance(node, _PLAIN):
        return
    if isinstance(node, ast.UnaryOp | ast.USub | ast.UAdd):
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd):
            raise _error(text, "phép toán không được phép.", "operator not allowed.")
        return
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, _BINOPS):
            raise _error(text, "chỉ dùng + - * /.", "only + - * / are allowed.")
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _error(text, "chỉ dùng số.", "only numbers are allowed as constants.")
        return
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            return
        m = re.fullmatch(r"__r(\d+)", node.id)
        if m is None or int(m.group(1)) >= n_refs:
            raise _error(text, f"tên «{node.id}» không hợp lệ (tham chiếu viết #{{…}}).",
                         f"unknown name '{node.id}' (references are written #{{…}}).")
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise _error(text, f"chỉ dùng các hàm {', '.join(FUNCTIONS)}.",
                         f"only the functions {', '.join(FUNCTIONS)} are allowed.")
        if node.keywords:
            raise _error(text, "hàm không nhận tham số có tên.", "no keyword arguments.")
        wanted = {"previous": (1, 1), "abs": (1, 1), "min": (2, 10), "max": (2, 10),
                  "coalesce": (2, 10)}[node.func.id]
        if not wanted[0] <= len(node.args) <= wanted[1]:
            raise _error(text, f"số tham số của {node.func.id} không đúng.",
                         f"wrong number of arguments to {node.func.id}.")
        return
    raise _error(text, "có thành phần không được phép.", "it contains something not allowed.")


def evaluate(formula: Formula, resolve: Resolver) -> float | None:
    """The formula's value; ``resolve(ref, offset)`` gives a reference's value in the period
    (offset 0) or in the same period one year earlier (offset -1)."""
    return formula.run(resolve, 0)


def _closure(node: ast.expr, refs: tuple[Ref, ...]) -> Compiled:
    """The checked tree as nested closures ."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)
        constant = float(node.value)
        return lambda resolve, offset: constant
    if isinstance(node, ast.Name):
        ref = refs[int(node.id[3:])]
        return lambda resolve, offset: resolve(ref, offset)
    if isinstance(node, ast.UnaryOp):
        inner = _closure(node.operand, refs)
        negate = isinstance(node.op, ast.USub)

        def unary(resolve: Resolver, offset: int) -> float | None:
            v = inner(resolve, offset)
            return None if v is None else (-v if negate else v)
        return unary
    if isinstance(node, ast.BinOp):
        left, right, op = _closure(node.left, refs), _closure(node.right, refs), node.op

        def binary(resolve: Resolver, offset: int) -> float | None:
            a = left(resolve, offset)
            if a is None:
                return None
            b = right(resolve, offset)
            if b is None:
                return None
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            return None if b == 0 else a / b
        return binary
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    args = [_closure(a, refs) for a in node.args]

    def call(resolve: Resolver, offset: int) -> float | None:
        if name == "previous":
            return args[0](resolve, offset - 1)
        values = [a(resolve, offset) for a in args]
        if name == "coalesce":
            return next((v for v in values if v is not None), None)
        if any(v is None for v in values):
            return None
        present = [v for v in values if v is not None]
        if name == "abs":
            return abs(present[0])
        return min(present) if name == "min" else max(present)
    return call
