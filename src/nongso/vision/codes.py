"""What a scanned code is, before anything is looked up (pure).

A phone camera or zxing-cpp gives the text of a code and its format. It may be:

* a GS1 Digital Link URI (a QR code on a lot: ``https://…/01/{GTIN}/10/{lot}``);
* a GS1 element string, as zxing shows a GS1 DataMatrix, GS1-128 or GS1 QR code, in human
  readable form ``(01)…(10)…(17)…``, or raw with GS (ASCII 29) separators;
* a bare GTIN from an EAN-13, EAN-8, UPC-A or ITF-14 barcode;
* a planting-area code (mã số vùng trồng), e.g. ``VN-DTOR-0123``;
* anything else (a web address, a Code 128 with a shop's own number…): not a GS1 code.

This module only sorts and splits; the GS1 rules themselves (check digits, the character set
of lots) are the traceability domain's, asked through its services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# GS1 Application Identifiers of fixed length met on product labels (value length).
FIXED_AIS: dict[str, int] = {"00": 18, "01": 14, "02": 14, "11": 6, "12": 6, "13": 6, "15": 6,
                             "16": 6, "17": 6, "20": 2}
AI_NAMES: dict[str, tuple[str, str]] = {
    "11": ("Ngày sản xuất (yymmdd)", "Production date (yymmdd)"),
    "13": ("Ngày đóng gói (yymmdd)", "Packaging date (yymmdd)"),
    "15": ("Sử dụng tốt nhất trước (yymmdd)", "Best before (yymmdd)"),
    "17": ("Hạn sử dụng (yymmdd)", "Expiry date (yymmdd)"),
    "30": ("Số lượng", "Count"),
    "37": ("Số lượng", "Count"),
}
GS = "\x1d"
_HRI = re.compile(r"\((\d{2,4})\)")
_PLANTING_AREA = re.compile(r"^VN-[A-Z0-9]{2,10}-[A-Z0-9][A-Z0-9./_-]{0,39}$")
_SYMBOLOGY = re.compile(r"^\][A-Za-z]\d")


@dataclass(frozen=True)
class Sorted:
    kind: str  # digital_link | element_string | gtin | planting_area | other
    text: str  # the code's text, symbology identifier removed
    gs1: str | None = None  # what to hand to the GS1 parser (a URI, "(01)…", or digits)
    other_fields: dict[str, str] = field(default_factory=dict)  # AIs other than 01, 10, 21


def _elements_hri(text: str) -> list[tuple[str, str]] | None:
    parts = _HRI.split(text)
    if parts[0] != "" or len(parts) < 3:
        return None
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _elements_raw(text: str) -> list[tuple[str, str]] | None:
    """Raw GS1 data: fixed-length AIs run on, variable ones end with GS (or the end)."""
    body = text.lstrip(GS)
    out: list[tuple[str, str]] = []
    while body:
        ai = body[:2]
        if not ai.isdigit():
            return None
        if ai in FIXED_AIS:
            n = FIXED_AIS[ai]
            value, body = body[2 : 2 + n], body[2 + n :]
            if len(value) != n:
                return None
        else:
            # Variable length: AIs 10 and 21 (two digits); 3- and 4-digit AIs are kept whole.
            if ai not in ("10", "21", "22", "30", "37", "90", "91", "92", "93", "94"):
                return None
            end = body.find(GS)
            value, body = (body[2:], "") if end < 0 else (body[2:end], body[end + 1 :])
        out.append((ai, value))
        body = body.lstrip(GS)
    return out or None


def _from_elements(text: str, elements: list[tuple[str, str]]) -> Sorted:
    found = dict(elements)
    if "01" not in found:
        return Sorted("other", text)
    gs1 = f"(01){found['01']}"
    if "10" in found:
        gs1 += f"(10){found['10']}"
    if "21" in found:
        gs1 += f"(21){found['21']}"
    others = {ai: value for ai, value in elements if ai not in ("01", "10", "21")}
    return Sorted("element_string", text, gs1, others)


def sort_code(text: str) -> Sorted:
    """Sort the text of a scanned code (see the module's docstring)."""
    text = text.strip()
    symbology = _SYMBOLOGY.match(text)
    if symbology:  # ]C1, ]d2, ]Q3, ]e0 …: a reader that prefixes the symbology identifier
        text = text[3:]
    if re.match(r"^https?://", text, re.IGNORECASE):
        path = text.split("?", 1)[0].split("#", 1)[0]
        if re.search(r"/01/\d{8,14}(/|$)", path):
            return Sorted("digital_link", text, text)
        return Sorted("other", text)
    if text.startswith("("):
        elements = _elements_hri(text)
        return _from_elements(text, elements) if elements else Sorted("other", text)
    if GS in text or (text.startswith("01") and len(text) > 16 and text[:16].isdigit()):
        elements = _elements_raw(text)
        if elements:
            return _from_elements(text.replace(GS, "<GS>"), elements)
    if text.isascii() and text.isdigit():
        if len(text) in (8, 12, 13, 14):
            return Sorted("gtin", text, text)
        return Sorted("other", text)
    if _PLANTING_AREA.match(text.upper()):
        return Sorted("planting_area", text.upper())
    return Sorted("other", text)
