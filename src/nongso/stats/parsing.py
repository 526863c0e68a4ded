"""Reading the cells of imported reports and forms (pure): numbers, dates, units.

**Numbers.** Vietnamese writes "1.234,5" (point for thousands, comma for decimals), English
"1,234.5". A file uses one convention: :func:`number_style` finds it from the cells that can
only be read one way ("1.234,5", "7,25", "1,234.5"); cells that could be read both ways
("7.250") follow the file's convention, and Vietnamese when nothing tells. A blank cell is
*no value* (never zero); "0" is zero.

**Dates.** Excel serial numbers (45658 is 1 January 2025, the 1900 date system), Excel date
cells, ISO 8601, and dd/mm/yyyy — or mm/dd/yyyy when the file shows it (a "13" in the second
place): :func:`date_order` decides for a whole column, and a column mixing both is refused.

**Units.** Area: ha, m², công of 1,000 m² ("công", "công nhỏ"; the size is a file option)
or 1,296 m² ("công lớn", "công tầm cấy"); mass: kg, yến (10 kg), tạ (100 kg), tấn, giạ of
paddy (20 kg by default, a file option); yield: t/ha, tạ/ha, kg/ha, giạ/công.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from nongso.core.i18n import fold


class CellError(ValueError):
    """A cell that cannot be read; carries vi and en messages."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


# --- numbers ------------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^[+-]?(\d{1,3}([.,\s]\d{3})+|\d+)([.,]\d+)?$|^[+-]?[.,]\d+$")
COMMA_DECIMAL = "vi"  # 1.234,5
POINT_DECIMAL = "en"  # 1,234.5


def _clean(text: str) -> str:
    return text.strip().replace("\u00a0", " ").replace("\u202f", " ")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not _clean(value))


def number_style(cells: list[object]) -> str | None:
    """The decimal convention the cells show, or None when none is certain. Raises when the
    same file shows both."""
    seen: set[str] = set()
    for cell in cells:
        if not isinstance(cell, str):
            continue
        text = _clean(cell).replace(" ", "")
        if not _NUMERIC.match(text):
            continue
        comma, point = text.rfind(","), text.rfind(".")
        if comma >= 0 and point >= 0:
            seen.add(COMMA_DECIMAL if comma > point else POINT_DECIMAL)
        elif comma >= 0 and len(text) - comma - 1 != 3:
            seen.add(COMMA_DECIMAL)  # "7,25": only a decimal comma
        elif point >= 0 and len(text) - point - 1 != 3:
            seen.add(POINT_DECIMAL)  # "7.25": only a decimal point
        elif text.count(",") > 1:
            seen.add(POINT_DECIMAL)  # "12,500,000"
        elif text.count(".") > 1:
            seen.add(COMMA_DECIMAL)  # "12.500.000"
    if len(seen) > 1:
        raise CellError(
            "Tệp dùng lẫn hai kiểu số (1.234,5 và 1,234.5); hãy thống nhất một kiểu.",
            "The file mixes two number styles (1.234,5 and 1,234.5); use one.")
    return seen.pop() if seen else None


def parse_number(value: object, style: str | None = None) -> float | None:
    """A cell as a number (None for a blank cell). ``style`` is the file's convention."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("Ô này phải là số.", "This cell must be a number.")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _clean(str(value)).replace(" ", "")
        if not _NUMERIC.match(text):
            raise CellError(f"«{value}» không phải là số.", f"'{value}' is not a number.")
        decimal = "," if (style or COMMA_DECIMAL) == COMMA_DECIMAL else "."
        thousands = "." if decimal == "," else ","
        comma, point = text.rfind(","), text.rfind(".")
        if comma >= 0 and point >= 0:
            decimal = "," if comma > point else "."
            thousands = "." if decimal == "," else ","
        elif text.count(decimal) > 1:
            # "12.500.000" in a file of decimal points: the points group thousands.
            decimal, thousands = thousands, decimal
        text = text.replace(thousands, "").replace(decimal, ".")
        number = float(text)
    if not math.isfinite(number):
        raise CellError("Số không hợp lệ.", "Invalid number.")
    return number


# --- dates --------------------------------------------------------------------------------------

EXCEL_EPOCH = dt.date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
DAY_FIRST = "dmy"
MONTH_FIRST = "mdy"


def date_order(cells: list[object]) -> str:
    """dd/mm (the Vietnamese order, also when nothing tells) or mm/dd for a column."""
    day_first = month_first = False
    for cell in cells:
        if isinstance(cell, str) and (m := _DMY.match(_clean(cell))):
            a, b = int(m.group(1)), int(m.group(2))
            day_first |= a > 12
            month_first |= b > 12
    if day_first and month_first:
        raise CellError(
            "Cột ngày dùng lẫn ngày/tháng và tháng/ngày; hãy ghi theo dd/mm/yyyy.",
            "The date column mixes dd/mm and mm/dd; write dd/mm/yyyy.")
    return MONTH_FIRST if month_first else DAY_FIRST


def parse_date(value: object, order: str = DAY_FIRST) -> dt.date | None:
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        serial = float(value)
        if not 1 <= serial <= 80_000 or serial != int(serial):
            raise CellError(f"«{value}» không phải là ngày.", f"'{value}' is not a date.")
        # Excel's 1900 system counts a 29 February 1900 that never was: serials from 61 on
        # are one day ahead, which the epoch of 30 December 1899 absorbs.
        return EXCEL_EPOCH + dt.timedelta(days=int(serial))
    text = _clean(str(value))
    if text.isdigit() and 20_000 <= int(text) <= 80_000:
        return EXCEL_EPOCH + dt.timedelta(days=int(text))
    try:
        if m := _ISO.match(text):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _DMY.match(text):
            a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            return dt.date(y, b, a) if order == DAY_FIRST else dt.date(y, a, b)
    except ValueError as exc:
        raise CellError(f"Ngày «{value}» không có thật.", f"'{value}' is not a real date.") \
            from exc
    raise CellError(f"«{value}» không phải là ngày (dd/mm/yyyy).",
                    f"'{value}' is not a date (dd/mm/yyyy).")


# --- units --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """Multiply a value in ``unit`` by ``factor`` to get the data element's unit."""

    unit: str
    factor: float


@dataclass(frozen=True)
class LocalUnits:
    """The local units' sizes, which differ by place: a file's options."""

    cong_m2: float = 1000.0  # công nhỏ; 1,296 m² for công lớn (công tầm cấy)
    gia_kg: float = 20.0  # a giạ of paddy


# Base: area in ha, mass in t.
_AREA = {"ha": 1.0, "hecta": 1.0, "hec ta": 1.0, "hectare": 1.0, "m2": 1e-4, "m²": 1e-4,
         "km2": 100.0, "km²": 100.0}
_MASS = {"t": 1.0, "tan": 1.0, "tonne": 1.0, "ton": 1.0, "tons": 1.0, "kg": 1e-3,
         "yen": 1e-2, "ta": 0.1, "quintal": 0.1}


def _area_factor(key: str, local: LocalUnits) -> float | None:
    if key in _AREA:
        return _AREA[key]
    if key in ("cong lon", "cong tam cay", "cong tam lon", "cong 1296"):
        return 1296e-4
    if key in ("cong", "cong nho", "cong tam nho", "cong 1000"):
        return local.cong_m2 * 1e-4
    return None


def _mass_factor(key: str, local: LocalUnits) -> float | None:
    if key in _MASS:
        return _MASS[key]
    if key in ("gia", "gia lua"):
        return local.gia_kg * 1e-3
    return None


def _count_factor(key: str) -> float | None:
    return 1.0 if key in ("con", "head", "heads", "cai", "count", "so", "lo", "lots",
                          "san pham", "products", "lan", "times") else None


def _key(text: str) -> str:
    return " ".join(fold(text).replace("²", "2").replace(".", " ").split())


def conversion(unit_text: str | None, target: str, local: LocalUnits = LocalUnits()
               ) -> Conversion:
    """How to convert from the unit written in a file to the element's unit (``ha``, ``t``,
    ``t/ha``, ``head``, ``count``, ``%``); a blank unit means the element's own unit."""
    if unit_text is None or not _clean(unit_text):
        return Conversion(target, 1.0)
    written = _clean(unit_text)
    key = _key(written)
    t = _key(target)
    factor: float | None = None
    if t in ("ha", "t"):
        measure = _area_factor if t == "ha" else _mass_factor
        f = measure(key, local)
        base = measure(t, local)
        factor = f / base if f is not None and base else None
    elif t == "t/ha":
        num, _, den = key.partition("/")
        fn = _mass_factor(num.strip(), local)
        fd = _area_factor(den.strip(), local)
        factor = fn / fd if fn is not None and fd else None
    elif t in ("head", "count"):
        factor = _count_factor(key)
    if t == key:
        factor = 1.0
    if factor is None:
        raise CellError(
            f"Đơn vị «{written}» không đổi được sang «{target}».",
            f"Unit '{written}' cannot be converted to '{target}'.")
    return Conversion(written, factor)


_HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)\s*$")


def split_header(text: str) -> tuple[str, str | None]:
    """"Năng suất (tạ/ha)" -> ("Năng suất", "tạ/ha")."""
    m = _HEADER_UNIT.match(_clean(text))
    if m is None:
        return _clean(text), None
    return m.group("name").strip(), m.group("unit").strip()
