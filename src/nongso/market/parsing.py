"""Reading prices, units and products as people write them (pure functions, no I/O).

Prices: ``7.500đ``, ``7.500 đ/kg``, ``7,5k``, ``7k5``, ``7 ngàn rưỡi``, ``7 nghìn 2``,
``150.000 đồng/giạ``, ``7,5 triệu/tấn``, ``1 triệu rưỡi/tạ``, ``480 USD/t``. Numbers follow the
Vietnamese habit (``.`` groups thousands, ``,`` is the decimal comma) and understand the English
one where it is not ambiguous: one separator followed by exactly three digits groups thousands
(``7.500`` and ``7,500`` are both 7500: no price is written to a thousandth of a đồng), any
other single separator is decimal (``7,5`` and ``7.5``), and with both kinds the last one is
decimal (``1.234,5``, ``1,234.5``).

Then :func:`check_plausible` compares the price per kg with the product's range and explains
the usual mistakes: ``7,5`` meant as 7.500 đ, a price per giạ or tạ entered per kg, milled rice
entered as paddy (or the other way round).

Products: :func:`parse_product` reads ``lúa ST 25``, ``Lúa thơm``, ``gạo st-25``, ``lúa khô
IR 50404``, ``xoài cát Hòa Lộc``…; paddy and milled rice in the same text is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from nongso.core.i18n import fold, format_number
from nongso.market import catalogue

Currency = Literal["vnd", "usd"]


class PriceParseError(ValueError):
    """A text that is not a price (``message_vi`` / ``message_en`` say why)."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class ParsedPrice:
    """A price as written: the amount in its currency per trade unit."""

    value: float
    currency: Currency
    unit: str  # a code of data/units.csv: kg, yen, gia, ta, tan
    text: str
    # A multiplier was written (k, ngàn, triệu…): the value is not a bare small number.
    scaled: bool = False

    @property
    def unit_label(self) -> str:
        return f"{self.currency}/{self.unit}"


# --- numbers --------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def parse_number(text: str) -> float:
    """A number written the Vietnamese or the English way (see the module docstring)."""
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if not _NUMBER.fullmatch(t):
        raise PriceParseError(f"«{text}» không phải là một số.", f"'{text}' is not a number.")
    dots, commas = t.count("."), t.count(",")
    if dots and commas:
        decimal = "." if t.rfind(".") > t.rfind(",") else ","
        group = "," if decimal == "." else "."
        if t.count(decimal) > 1:
            raise PriceParseError(f"«{text}» có nhiều dấu thập phân.",
                                  f"'{text}' has more than one decimal separator.")
        whole, _, frac = t.partition(decimal)
        _check_groups(whole, group, text)
        return float(whole.replace(group, "") + "." + frac)
    sep = "." if dots else ("," if commas else "")
    if not sep:
        return float(t)
    parts = t.split(sep)
    if len(parts) > 2 or len(parts[1]) == 3:
        _check_groups(t, sep, text)
        return float(t.replace(sep, ""))
    return float(parts[0] + "." + parts[1])


def _check_groups(whole: str, sep: str, text: str) -> None:
    parts = whole.split(sep)
    if len(parts) > 1 and (not 1 <= len(parts[0]) <= 3 or any(len(p) != 3 for p in parts[1:])):
        raise PriceParseError(f"«{text}»: nhóm hàng nghìn không đúng.",
                              f"'{text}': wrong thousands grouping.")


# --- prices ---------------------------------------------------------------------------------

_MULTIPLIERS = {"k": 1e3, "ngan": 1e3, "nghin": 1e3, "ngin": 1e3, "tr": 1e6, "trieu": 1e6,
                "cu": 1e6, "tram": 1e2}
_HALF = {"ruoi", "ruou"}  # "rưỡi" (and its common misspelling "rượu" without accents)
_DIGIT_WORDS = {"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
                "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10}
_VND = {"d", "dong", "vnd", "vnđ", "₫", "vn"}
_USD = {"usd", "$", "us$", "dola", "do"}
_FILLER = {"gia", "la", "khoang", "con", "moi", "per"}
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z_]+|\$|₫")


def _unit_code(word: str) -> str | None:
    w = fold(word).replace(" ", "")
    for unit in catalogue.trade_units().values():
        if w == unit.code or w in {fold(a).replace(" ", "") for a in unit.aliases}:
            return unit.code
    return None


def _split_unit(text: str) -> tuple[str, str | None]:
    """``7.500đ/kg`` -> (``7.500đ``, ``kg``); ``150 ngàn một giạ`` -> (``150 ngàn``, ``gia``)."""
    if "/" in text:
        amount, _, unit = text.partition("/")
        code = _unit_code(unit)
        if code is None:
            raise PriceParseError(
                f"Đơn vị «{unit.strip()}» không rõ (kg, yến, giạ, tạ, tấn).",
                f"Unknown unit '{unit.strip()}' (kg, yến, giạ, tạ, tấn).")
        return amount, code
    words = text.split()
    if len(words) >= 3 and fold(words[-2]) in ("mot", "moi", "1"):
        code = _unit_code(words[-1])
        if code is not None:
            return " ".join(words[:-2]), code
    return text, None


def parse_price(text: str, unit: str | None = None) -> ParsedPrice:
    """Read a price (see the module docstring). ``unit``: the unit given apart (an import
    column), used when the text names none; đ/kg when neither does."""
    raw = text.strip()
    if not raw:
        raise PriceParseError("Chưa nhập giá.", "The price is empty.")
    if len(raw) > 100:
        raise PriceParseError("Giá quá dài (tối đa 100 ký tự).", "The price is too long.")
    if raw.startswith("-") or "âm" in raw.lower():
        raise PriceParseError("Giá không được âm.", "A price cannot be negative.")
    amount_text, unit_code = _split_unit(raw)
    if unit_code is None and unit:
        unit_code = _unit_code(unit)
        if unit_code is None:
            raise PriceParseError(f"Đơn vị «{unit}» không rõ (kg, yến, giạ, tạ, tấn).",
                                  f"Unknown unit '{unit}' (kg, yến, giạ, tạ, tấn).")
    lowered = amount_text.lower().replace("₫", " ₫ ").replace("$", " $ ")
    lowered = re.sub(r"(\d)\s*(k|tr|ng[aà]n|ngh[iì]n)\s*(\d)(?![\d.,])", r"\1 \2 \3", lowered)
    folded = fold(lowered).replace("vnđ", "vnd")
    currency: Currency = "vnd"
    tokens: list[str] = []
    for tok in _TOKEN.findall(folded):
        if tok in _VND:
            continue
        if tok in _USD:
            currency = "usd"
            continue
        tokens.append(tok)
    leftovers = re.sub(r"[\d.,\s$₫a-z_]", "", folded)
    if leftovers:
        raise PriceParseError(f"«{raw}» có ký tự lạ: «{leftovers[:10]}».",
                              f"'{raw}' has unexpected characters: '{leftovers[:10]}'.")
    value, scaled = _evaluate(tokens, raw)
    if not math.isfinite(value) or value <= 0:
        raise PriceParseError(f"«{raw}»: giá phải lớn hơn 0.", f"'{raw}': the price must be > 0.")
    return ParsedPrice(value=value, currency=currency, unit=unit_code or "kg", text=raw,
                       scaled=scaled)


def _evaluate(tokens: list[str], raw: str) -> tuple[float, bool]:
    total = 0.0
    current: float | None = None
    current_digits = 0
    last_mult: float | None = None
    scaled = False
    seen = False
    for tok in tokens:
        if tok[0].isdigit() or tok in _DIGIT_WORDS:
            if current is not None:
                raise PriceParseError(f"«{raw}»: hai số liền nhau, không hiểu được.",
                                      f"'{raw}': two numbers in a row.")
            if tok in _DIGIT_WORDS:
                current, current_digits = float(_DIGIT_WORDS[tok]), 1
            else:
                current = parse_number(tok)
                current_digits = len(re.sub(r"\D", "", tok))
            seen = True
        elif tok in _MULTIPLIERS:
            mult = _MULTIPLIERS[tok]
            if current is None:
                raise PriceParseError(f"«{raw}»: thiếu số trước «{tok}».",
                                      f"'{raw}': a number is missing before '{tok}'.")
            if last_mult is not None and mult >= last_mult:
                raise PriceParseError(f"«{raw}»: thứ tự đơn vị số không đúng.",
                                      f"'{raw}': the number words are out of order.")
            total += current * mult
            last_mult, current, scaled = mult, None, True
        elif tok in _HALF:
            if last_mult is None or current is not None:
                raise PriceParseError(f"«{raw}»: «rưỡi» phải theo sau ngàn/triệu.",
                                      f"'{raw}': 'rưỡi' must follow ngàn/triệu.")
            total += last_mult / 2
            last_mult = last_mult / 10  # nothing smaller than the half may follow
        elif tok in _FILLER:
            continue
        else:
            raise PriceParseError(f"«{raw}»: không hiểu «{tok}».", f"'{raw}': cannot read '{tok}'.")
    if not seen:
        raise PriceParseError(f"«{raw}» không có con số nào.", f"'{raw}' has no number.")
    if current is not None:
        if last_mult is None:
            total = current
        else:
            # "7 ngàn 2" = 7.200, "7 ngàn 25" = 7.250, "7 ngàn 250" = 7.250, "7k5" = 7.500.
            if current_digits > len(str(int(last_mult))) - 1:
                raise PriceParseError(f"«{raw}»: phần lẻ sau ngàn/triệu quá dài.",
                                      f"'{raw}': too many digits after ngàn/triệu.")
            total += current * last_mult / 10 ** current_digits
    return total, scaled


# --- normalisation --------------------------------------------------------------------------

def unit_kg(unit: str) -> float:
    return catalogue.trade_units()[unit].kg


def to_vnd_per_kg(price: ParsedPrice, usd_vnd: float | None = None) -> float:
    """The price in đ/kg (a USD price needs the day's USD→VND rate)."""
    value = price.value
    if price.currency == "usd":
        if usd_vnd is None or usd_vnd <= 0:
            raise PriceParseError("Giá bằng USD cần tỷ giá USD/VND của ngày đó.",
                                  "A price in USD needs that day's USD/VND rate.")
        value *= usd_vnd
    return value / unit_kg(price.unit)


@dataclass(frozen=True)
class Implausible:
    """Why a price is not believable for a product, with what it probably meant."""

    code: str  # thousands | per_gia | per_ta | sibling | range
    message_vi: str
    message_en: str
    suggestion_vnd_per_kg: float | None = None


def _vi(value: float) -> str:
    return format_number(value, "vi", 2, trim=True)


def _en(value: float) -> str:
    return format_number(value, "en", 2, trim=True)


def check_plausible(product: catalogue.Product, vnd_per_kg: float,
                    price: ParsedPrice | None = None) -> Implausible | None:
    """None when the price lies in the product's range, else the likely mistake."""
    lo, hi = product.min_vnd_kg, product.max_vnd_kg
    if lo <= vnd_per_kg <= hi:
        return None
    name_vi, name_en = product.name_vi, product.name_en
    rng_vi, rng_en = f"{_vi(lo)}–{_vi(hi)} đ/kg", f"{_en(lo)}–{_en(hi)} VND/kg"
    if vnd_per_kg < lo and lo <= vnd_per_kg * 1000 <= hi and (price is None or not price.scaled):
        meant = vnd_per_kg * 1000
        return Implausible(
            "thousands",
            f"{_vi(vnd_per_kg)} đ/kg quá thấp cho {name_vi} (thường {rng_vi}). Có phải "
            f"{_vi(meant)} đ/kg? Hãy ghi {_vi(meant)} hoặc {_vi(vnd_per_kg)}k.",
            f"{_en(vnd_per_kg)} VND/kg is too low for {name_en} (usually {rng_en}). Did you "
            f"mean {_en(meant)} VND/kg? Write {_vi(meant)} or {_vi(vnd_per_kg)}k.", meant)
    if vnd_per_kg > hi and (price is None or price.unit == "kg"):
        units = [(code, vi_name, unit_kg(code)) for code, vi_name in
                 (("gia", "giạ"), ("ta", "tạ"), ("yen", "yến"))]
        fits = [(code, vi_name, kg) for code, vi_name, kg in units
                if lo <= vnd_per_kg / kg <= hi]
        if fits:
            # The reading nearest the middle of the range (geometric mean) comes first.
            middle = math.sqrt(lo * hi)
            fits.sort(key=lambda f: abs(math.log(vnd_per_kg / f[2] / middle)))
            code = fits[0][0]
            readings_vi = "; ".join(
                f"nếu là giá một {vi_name} ({_vi(kg)} kg) thì bằng {_vi(vnd_per_kg / kg)} đ/kg"
                for _, vi_name, kg in fits)
            readings_en = "; ".join(
                f"if it is the price of one {vi_name} ({_en(kg)} kg), that is "
                f"{_en(vnd_per_kg / kg)} VND/kg" for _, vi_name, kg in fits)
            unit_vi = fits[0][1]
            return Implausible(
                f"per_{code}",
                f"{_vi(vnd_per_kg)} đ/kg quá cao cho {name_vi} (thường {rng_vi}): "
                f"{readings_vi}. Hãy ghi rõ đơn vị, ví dụ «{_vi(vnd_per_kg)} đ/{unit_vi}».",
                f"{_en(vnd_per_kg)} VND/kg is too high for {name_en} (usually {rng_en}): "
                f"{readings_en}. Write the unit, e.g. '{_vi(vnd_per_kg)} đ/{unit_vi}'.",
                vnd_per_kg / fits[0][2])
    sibling = catalogue.product(product.sibling) if product.sibling else None
    if sibling is not None and sibling.min_vnd_kg <= vnd_per_kg <= sibling.max_vnd_kg:
        return Implausible(
            "sibling",
            f"{_vi(vnd_per_kg)} đ/kg không hợp với {name_vi} (thường {rng_vi}) nhưng hợp với "
            f"{sibling.name_vi}: có nhầm lúa với gạo không?",
            f"{_en(vnd_per_kg)} VND/kg does not fit {name_en} (usually {rng_en}) but fits "
            f"{sibling.name_en}: were paddy and milled rice mixed up?")
    return Implausible(
        "range",
        f"{_vi(vnd_per_kg)} đ/kg nằm ngoài khoảng hợp lý của {name_vi} ({rng_vi}).",
        f"{_en(vnd_per_kg)} VND/kg is outside the plausible range of {name_en} ({rng_en}).")


# --- products and varieties -----------------------------------------------------------------

_VARIETY = re.compile(r"\b(st|om|ir|dt|jasmine|rvt|nang hoa|dai thom)\s*-?\s*(\d+)?\b")
_FRAGRANT = ("thom", "jasmine", "om18", "dai thom", "dt8", "nang hoa", "rvt", "om4900")
_ORDINARY = ("ir50404", "om5451", "om380", "thuong", "504")


def normalise_variety(text: str) -> str:
    """``ST 25``, ``st-25``, ``St25`` -> ``ST25``; ``Đài Thơm 8`` -> ``DAI THOM 8``."""
    t = fold(text).replace("-", " ").replace("_", " ")
    t = re.sub(r"\b([a-z]{2,3})\s+(\d+)\b", r"\1\2", t)
    return " ".join(t.split()).upper()


def variety_group(text: str) -> str | None:
    """``st`` (ST24, ST25), ``fragrant`` (lúa thơm, OM 18, Đài Thơm 8, Jasmine), ``ordinary``
    (IR 50404, OM 5451, "thường"), or None."""
    norm = normalise_variety(text).lower()
    squashed = norm.replace(" ", "")
    if re.search(r"st\d{2}\b", norm) or re.search(r"\bst\b", norm):
        return "st"
    if any(k.replace(" ", "") in squashed for k in _ORDINARY):
        return "ordinary"
    if any(k.replace(" ", "") in squashed for k in _FRAGRANT):
        return "fragrant"
    return None


_FRUIT = [
    ("xoai_cat_hoa_loc", ("hoa loc",)),
    ("xoai_cat_chu", ("cat chu",)),
    ("sau_rieng_ri6", ("ri6", "ri 6")),
    ("sau_rieng_monthong", ("monthong", "mon thong", "dona")),
    ("buoi_da_xanh", ("da xanh",)),
    ("nhan", ("nhan",)),
    ("ca_tra", ("ca tra", "pangasius")),
    ("tom_cang_xanh", ("tom cang", "giant river prawn")),
    ("tom_the", ("tom the", "chan trang", "whiteleg")),
]


def parse_product(text: str) -> str:
    """The product code of a product name as typed (see the module docstring)."""
    raw = text.strip()
    if raw in catalogue.products():
        return raw
    t = fold(raw).replace("-", " ")
    words = set(t.split())
    rice_paddy = bool(words & {"lua", "paddy"})
    rice_milled = bool(words & {"gao", "milled"}) or ("rice" in words and not rice_paddy)
    if rice_paddy and rice_milled:
        raise PriceParseError(
            f"«{raw}» vừa là lúa vừa là gạo: lúa (chưa xay) và gạo (đã xay) là hai mặt hàng "
            "khác nhau, hãy ghi một trong hai.",
            f"'{raw}' is both paddy and milled rice: paddy (lúa) and milled rice (gạo) are "
            "different products, write one of them.")
    if rice_paddy or rice_milled:
        group = variety_group(raw) or "ordinary"
        if rice_milled:
            return {"st": "gao_st", "fragrant": "gao_thom"}.get(group, "gao_thuong")
        form = "kho" if words & {"kho", "dry"} else "tuoi"
        return f"lua_{form}_" + {"st": "st", "fragrant": "thom"}.get(group, "thuong")
    if variety_group(raw) == "st" and not words & {"xoai", "sau", "buoi"}:
        raise PriceParseError(
            f"«{raw}»: hãy ghi rõ lúa hay gạo (ví dụ «lúa ST25» hoặc «gạo ST25»).",
            f"'{raw}': say whether it is paddy or milled rice ('lúa ST25' or 'gạo ST25').")
    for code, keys in _FRUIT:
        if any(k in t for k in keys):
            return code
    raise PriceParseError(f"Không nhận ra mặt hàng «{raw}».", f"Unknown product '{raw}'.")
