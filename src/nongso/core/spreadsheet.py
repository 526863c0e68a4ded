"""Cells of the CSV and Excel files the platform writes: user text is never a live formula.

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in CSV,
one that begins with a tab or a carriage return) as a formula: a farmer's name written as
``=HYPERLINK("http://…")`` would become a link in an officer's copy of the record book.
Following OWASP's guidance on CSV injection, such text is written with a leading apostrophe
(``'=HYPERLINK(…)``), which every spreadsheet shows as text; numbers stay numbers (an
``int``/``float`` is untouched, and so is text that is just a signed number such as
``-12,5``). Every writer of an export passes its rows through :func:`safe_row`.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

_SIGNED_NUMBER: Final = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell: text that a spreadsheet would run as a formula gets a leading
    apostrophe; anything else (numbers, dates, ``None``, plain text) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not (
            _SIGNED_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """:func:`safe_cell` of every value of a row."""
    return [safe_cell(v) for v in values]
