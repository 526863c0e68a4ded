"""The analytics request's dimensions, DHIS2-like (pure): ``dx``, ``pe``, ``ou``.

- ``dx``: data elements and indicators, ``;``-separated. ``sown_area`` is the element with all
  its disaggregations added up, ``sown_area.rice`` one of them, ``sown_area.*`` each of them,
  ``rice_yield`` an indicator.
- ``pe``: period identifiers (``dong_xuan:2025-2026;2026Q1``) or relative periods
  (``LAST_15_SEASONS``, ``LAST_5_YEARS``, ``THIS_YEAR``).
- ``ou``: a province (``82``: its total) or communes (``29305``); ``LEVEL-2`` (or
  ``LEVEL-commune``) with a province: every commune of it, as in DHIS2's
  ``ou=LEVEL-2;82``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ITEMS = 50
MAX_PERIODS = 60
MAX_UNITS = 500

_DX = re.compile(r"^([a-z][a-z0-9_]*)((?:\.[a-z0-9_]+)*)(\.\*)?$")
_UNIT = re.compile(r"^\d{2}$|^\d{5}$")


class DimensionError(ValueError):
    def __init__(self, parameter: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.parameter = parameter
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class DxItem:
    code: str
    coc: str = ""  # one disaggregation, or "" for all added up
    expand: bool = False  # ``.*``: one row per disaggregation

    @property
    def id(self) -> str:
        return self.code + (f".{self.coc}" if self.coc else "") + (".*" if self.expand else "")


@dataclass(frozen=True)
class OuSpec:
    provinces: tuple[str, ...]  # provinces asked for as one total each
    communes: tuple[str, ...]  # communes asked for one by one
    level_communes_of: tuple[str, ...]  # LEVEL-2 within these provinces


def _split(text: str | None, parameter: str) -> list[str]:
    if text is None or not text.strip():
        raise DimensionError(parameter, f"Thiếu tham số «{parameter}».",
                             f"The '{parameter}' parameter is missing.")
    parts = [p.strip() for p in text.replace(",", ";").split(";")]
    if any(not p for p in parts):
        raise DimensionError(parameter, f"Tham số «{parameter}» có mục trống.",
                             f"The '{parameter}' parameter has an empty item.")
    return parts


def _strip_prefix(text: str | None, name: str) -> str | None:
    """Accept DHIS2's ``dimension=dx:a;b`` spelling too."""
    if text is not None and text.startswith(f"{name}:"):
        return text[len(name) + 1:]
    return text


def parse_dx(text: str | None) -> list[DxItem]:
    items = []
    for part in _split(_strip_prefix(text, "dx"), "dx"):
        m = _DX.match(part)
        if m is None:
            raise DimensionError("dx", f"Mục «{part}» của dx không hợp lệ (ví dụ: sown_area, "
                                 "sown_area.rice, sown_area.*, rice_yield).",
                                 f"Item '{part}' of dx is invalid (e.g. sown_area, "
                                 "sown_area.rice, sown_area.*, rice_yield).")
        item = DxItem(m.group(1), m.group(2)[1:] if m.group(2) else "", bool(m.group(3)))
        if item.expand and item.coc:
            raise DimensionError("dx", f"«{part}»: dùng .* ngay sau mã chỉ tiêu.",
                                 f"'{part}': put .* right after the element's code.")
        if item not in items:
            items.append(item)
    if len(items) > MAX_ITEMS:
        raise DimensionError("dx", f"Tối đa {MAX_ITEMS} mục trong dx.",
                             f"At most {MAX_ITEMS} items in dx.")
    return items


def parse_pe(text: str | None) -> list[str]:
    parts = _split(_strip_prefix(text, "pe"), "pe")
    out: list[str] = []
    for p in parts:
        if p not in out:
            out.append(p)
    return out


def parse_ou(text: str | None, default_province: str) -> OuSpec:
    provinces: list[str] = []
    communes: list[str] = []
    level = False
    for part in _split(_strip_prefix(text, "ou"), "ou"):
        up = part.upper()
        if up in ("LEVEL-2", "LEVEL-COMMUNE"):
            level = True
        elif up in ("LEVEL-1", "LEVEL-PROVINCE"):
            continue
        elif _UNIT.match(part):
            (provinces if len(part) == 2 else communes).append(part)
        else:
            raise DimensionError("ou", f"Mục «{part}» của ou không hợp lệ (mã tỉnh 2 số, mã "
                                 "xã 5 số, LEVEL-2).", f"Item '{part}' of ou is invalid "
                                 "(a 2-digit province, a 5-digit commune, LEVEL-2).")
    if level:
        boundary = tuple(provinces or [default_province])
        return OuSpec((), tuple(dict.fromkeys(communes)), boundary)
    if len(communes) > MAX_UNITS:
        raise DimensionError("ou", f"Tối đa {MAX_UNITS} đơn vị trong ou.",
                             f"At most {MAX_UNITS} units in ou.")
    return OuSpec(tuple(dict.fromkeys(provinces)), tuple(dict.fromkeys(communes)), ())
