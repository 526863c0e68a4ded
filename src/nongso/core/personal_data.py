"""Columns of an import file that look like personal data (Decree 13/2023/NĐ-CP).

Imports refuse them (422 naming the column) instead of keeping them among a record's free
attributes: a person's name, phone, national ID, address, e-mail or date of birth belongs in
the farmer register (``farmers``), where it can be exported and erased on request, never in
attributes copied into versions, exports and caches. A column is refused by its header
(Vietnamese or English, with or without diacritics) or by its values (a phone number, a 9- or
12-digit ID, an e-mail address)."""

from __future__ import annotations

import re
from typing import Any

from nongso.core.i18n import fold

# What each kind is called in a message (vi, en).
KINDS: dict[str, tuple[str, str]] = {
    "name": ("họ tên người", "a person's name"),
    "phone": ("số điện thoại", "a phone number"),
    "national_id": ("số CCCD/CMND", "a national ID number"),
    "address": ("địa chỉ", "an address"),
    "email": ("thư điện tử", "an e-mail address"),
    "birth": ("ngày sinh", "a date of birth"),
}

# Folded header words (whole words inside the header) → kind.
_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "name": ("chu ho", "ten chu", "chu so huu", "chu vuon", "chu trang trai", "ho ten",
             "ho va ten", "nguoi dai dien", "nguoi lien he", "nong dan", "ten nong ho",
             "owner", "full name", "fullname", "person", "farmer name", "contact name",
             "first name", "last name", "surname"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "so dt", "dtdd", "phone", "mobile",
              "telephone", "tel", "zalo"),
    "national_id": ("cccd", "cmnd", "can cuoc", "chung minh", "so dinh danh", "ma dinh danh",
                    "national id", "id card", "id number", "identity", "passport", "ho chieu"),
    "address": ("dia chi", "address", "noi o", "cho o", "thuong tru", "tam tru", "que quan",
                "residence"),
    "email": ("email", "e mail", "thu dien tu"),
    "birth": ("ngay sinh", "nam sinh", "sinh ngay", "date of birth", "birth date",
              "birthday", "dob"),
}

_PHONE = re.compile(r"^(?:\+?84|0)[35789]\d{8}$|^(?:\+?84|0)2\d{9}$")
_ID = re.compile(r"^\d{9}$|^\d{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


def _words(text: str) -> str:
    return " " + " ".join(re.sub(r"[^0-9a-z]+", " ", fold(text)).split()) + " "


def header_kind(header: str) -> str | None:
    """The kind of personal data a column's header names, or None."""
    words = _words(header)
    for kind, needles in _HEADER_WORDS.items():
        if any(f" {n} " in words for n in needles):
            return kind
    return None


def value_kind(value: Any) -> str | None:
    """The kind of personal data a value looks like (phone, ID, e-mail), or None."""
    if value is None or isinstance(value, bool | float):
        return None
    text = str(value).strip()
    if not text or len(text) > 60:
        return None
    if _EMAIL.match(text):
        return "email"
    compact = re.sub(r"[\s.\-()]", "", text)
    if _PHONE.match(compact):
        return "phone"
    if _ID.match(compact):
        return "national_id"
    return None


def refusal(column: str, kind: str) -> tuple[str, str]:
    """The message (vi, en) refusing a column."""
    vi, en = KINDS[kind]
    return (
        f"Cột «{column}» có vẻ chứa dữ liệu cá nhân ({vi}); không nhập dữ liệu cá nhân vào đây "
        "(Nghị định 13/2023/NĐ-CP). Bỏ cột này khỏi tệp; thông tin của nông hộ được quản lý "
        "trong sổ nông hộ.",
        f"Column '{column}' seems to hold personal data ({en}); personal data is not imported "
        "here (Decree 13/2023/NĐ-CP). Remove the column; a farmer's details are kept in the "
        "farmer register.",
    )
