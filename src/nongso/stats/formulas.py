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


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.Expression
    refs: tuple[Ref, ...]

    @property
    def uses_previous(self) -> bool:
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                   and n.func.id == "previous" for n in ast.walk(self.tree))


Resolver = Callable[[Ref, int], float | None]  # (reference, year offset 0 or -1)


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
    return Formula(text, tree, tuple(refs))


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
    return _eval(formula.tree.body, formula.refs, resolve, 0)


def _eval(node: ast.expr, refs: tuple[Ref, ...], resolve: Resolver, offset: int
          ) -> float | None:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # checked at compile
        return float(node.value)
    if isinstance(node, ast.Name):
        return resolve(refs[int(node.id[3:])], offset)
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, refs, resolve, offset)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp):
        a = _eval(node.left, refs, resolve, offset)
        b = _eval(node.right, refs, resolve, offset)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return None if b == 0 else a / b
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name == "previous":
            return _eval(node.args[0], refs, resolve, offset - 1)
        args = [_eval(a, refs, resolve, offset) for a in node.args]
        if name == "coalesce":
            return next((a for a in args if a is not None), None)
        if any(a is None for a in args):
            return None
        values = [a for a in args if a is not None]
        if name == "abs":
            return abs(values[0])
        return min(values) if name == "min" else max(values)
    raise FormulaError("Công thức không hợp lệ.", "Invalid formula.")  # checked at compile
