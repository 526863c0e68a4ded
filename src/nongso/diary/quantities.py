"""Quantities with units, converted consistently (pure functions, no I/O).

Mass is kept in kg, volume in L, area in ha, water in m³. Units are accepted as farmers write
them ("lít", "cc", "tấn", "m2", "công"…) and always stored by their canonical symbol.
Numbers are accepted with a Vietnamese decimal comma ("1,5") or a point ("1.5"); a point
followed by groups of three digits is a thousands separator as written in Vietnamese ("7.050"
is 7050, "0.375" is 0.375); with both signs the last one is the decimal one ("1.234,5",
"1,234.5").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from nongso.core.i18n import fold


@dataclass(frozen=True)
class Unit:
    symbol: str
    dimension: str  # mass | volume | area | water | count
    factor: float  # multiply to get the dimension's base unit
    label_vi: str
    label_en: str


BASE_UNIT = {"mass": "kg", "volume": "L", "area": "ha", "water": "m3", "count": "count"}

UNITS: dict[str, Unit] = {u.symbol: u for u in (
    Unit("g", "mass", 0.001, "gam", "gram"),
    Unit("kg", "mass", 1.0, "ki-lô-gam", "kilogram"),
    Unit("yen", "mass", 10.0, "yến (10 kg)", "yến (10 kg)"),
    Unit("ta", "mass", 100.0, "tạ (100 kg)", "tạ (100 kg)"),
    Unit("t", "mass", 1000.0, "tấn", "tonne"),
    Unit("mL", "volume", 0.001, "mi-li-lít", "millilitre"),
    Unit("L", "volume", 1.0, "lít", "litre"),
    Unit("m2", "area", 0.0001, "mét vuông", "square metre"),
    Unit("cong", "area", 0.1, "công (1.000 m²)", "công (1,000 m²)"),
    Unit("ha", "area", 1.0, "héc-ta", "hectare"),
    Unit("m3", "water", 1.0, "mét khối", "cubic metre"),
    Unit("count", "count", 1.0, "cái/cây", "items"),
)}

# What people write -> canonical symbol (compared after fold(): lower-case, no accents).
ALIASES: dict[str, str] = {
    "g": "g", "gr": "g", "gam": "g", "gram": "g", "grams": "g",
    "kg": "kg", "kgs": "kg", "ki lo": "kg", "kilo": "kg", "kilogram": "kg", "ky": "kg",
    "yen": "yen", "ta": "ta",
    "t": "t", "tan": "t", "tonne": "t", "ton": "t", "tons": "t",
    "ml": "mL", "cc": "mL", "mililit": "mL", "mi li lit": "mL", "millilitre": "mL",
    "milliliter": "mL",
    "l": "L", "lit": "L", "litre": "L", "liter": "L", "lits": "L",
    "m2": "m2", "m²": "m2", "met vuong": "m2", "sqm": "m2",
    "cong": "cong", "ha": "ha", "hecta": "ha", "hec ta": "ha", "hectare": "ha",
    "m3": "m3", "m³": "m3", "khoi": "m3", "met khoi": "m3",
    "cay": "count", "con": "count", "cai": "count", "goi": "count", "bao": "count",
}


class QuantityError(ValueError):
    """A number or a unit that cannot be read; carries vi and en messages."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


def accepted_units(dimension: str | None = None) -> list[str]:
    return [u.symbol for u in UNITS.values() if dimension is None or u.dimension == dimension]


def parse_unit(text: str) -> Unit:
    key = fold(text.strip().replace("/", " ")).replace("-", " ").replace(".", "")
    symbol = ALIASES.get(key) or ALIASES.get(key.replace(" ", ""))
    if symbol is None:
        shown = ", ".join(accepted_units())
        raise QuantityError(
            f"Đơn vị «{text}» không được hỗ trợ (dùng một trong: {shown}).",
            f"Unit '{text}' is not supported (use one of: {shown}).",
        )
    return UNITS[symbol]


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)*|[.,]\d+)$")


def parse_number(value: object) -> float:
    """A number from a cell or a form: 1,5 / 1.5 / 1.234,5 / 1,234.5 / 12 500."""
    if isinstance(value, bool):
        raise QuantityError("Không phải là số.", "Not a number.")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "")
        if not text or not _NUMBER.match(text):
            raise QuantityError(f"«{value}» không phải là số.", f"'{value}' is not a number.")
        commas, points = text.count(","), text.count(".")
        if commas and points:
            # The separator that comes last is the decimal one.
            if text.rfind(",") > text.rfind("."):
                text = text.replace(".", "").replace(",", ".")
            else:
                text = text.replace(",", "")
        elif commas:
            parts = text.split(",")
            # "1,5" decimal; "12,500,000" thousands (several commas with 3-digit groups).
            if commas > 1 and all(len(p) == 3 for p in parts[1:]):
                text = text.replace(",", "")
            elif commas > 1:
                raise QuantityError(f"«{value}» không phải là số.", f"'{value}' is not a number.")
            else:
                text = text.replace(",", ".")
        elif points:
            parts = text.split(".")
            head = parts[0].lstrip("+-")
            thousands = all(len(p) == 3 for p in parts[1:]) and head not in ("", "0")
            if thousands:  # "7.050" and "12.500.000" as written in Vietnamese
                text = text.replace(".", "")
            elif points > 1:
                raise QuantityError(f"«{value}» không phải là số.", f"'{value}' is not a number.")
        number = float(text)
    if not math.isfinite(number):
        raise QuantityError("Số không hợp lệ.", "Invalid number.")
    return number


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: Unit

    @property
    def base(self) -> float:
        return self.value * self.unit.factor

    @property
    def base_unit(self) -> str:
        return BASE_UNIT[self.unit.dimension]


def quantity(value: object, unit: str, *, allow_zero: bool = True) -> Quantity:
    """Parse a non-negative quantity with its unit."""
    number = parse_number(value)
    if number < 0 or (number == 0 and not allow_zero):
        raise QuantityError("Số lượng không được âm.", "A quantity cannot be negative.") \
            if number < 0 else QuantityError("Số lượng phải lớn hơn 0.", "Quantity must be > 0.")
    return Quantity(number, parse_unit(unit))


def to_base(value: float, unit: str) -> float:
    return value * parse_unit(unit).factor


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert between units of the same dimension (kg <-> t, mL <-> L, m² <-> ha)."""
    a, b = parse_unit(from_unit), parse_unit(to_unit)
    if a.dimension != b.dimension:
        raise QuantityError(
            f"Không đổi được {a.symbol} sang {b.symbol} (khác loại đại lượng).",
            f"Cannot convert {a.symbol} to {b.symbol} (different dimensions).",
        )
    return value * a.factor / b.factor


def dose_per_ha(amount: Quantity, area_ha: float) -> float:
    """Base units (kg or L) per hectare."""
    if area_ha <= 0:
        raise QuantityError("Diện tích phải lớn hơn 0.", "Area must be > 0.")
    return amount.base / area_ha
