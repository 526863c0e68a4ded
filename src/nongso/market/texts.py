"""Rules for the text of product listings (pure): no phone numbers.

A listing is public: a phone number in its text would publish personal data (Decree
13/2023/NĐ-CP) and route buyers around the platform. Vietnamese numbers are found however they
are spaced (``0912 345 678``, ``0912.345.678``, ``+84 912-345-678``, ``(028) 3829 1234``,
``0 9 1 2 3 4 5 6 7 8``): a run of 9–11 digits beginning with 0 or the country code 84,
digits separated by at most two spaces, dots, hyphens or brackets. Prices (``150.000 đ/kg``,
``1.250.000``) do not begin with 0 and are left alone.
"""

from __future__ import annotations

import re

_RUN = re.compile(r"(?<![\w])\(?(?:\+?84|0)(?:[\s.\-()]{0,2}\d){8,10}(?![\d])")


def find_phones(text: str | None) -> list[str]:
    if not text:
        return []
    out = []
    for m in _RUN.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if digits.startswith("84"):
            digits = "0" + digits[2:]
        if 10 <= len(digits) <= 11 and digits.startswith("0"):
            out.append(m.group(0).strip())
    return out


def mask_phones(text: str | None) -> str | None:
    """The text with every phone number replaced by ``[số điện thoại đã ẩn]``."""
    if not text:
        return text
    out = text
    for phone in find_phones(text):
        out = out.replace(phone, "[số điện thoại đã ẩn]")
    return out
