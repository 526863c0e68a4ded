"""GS1 identifiers: check digits, GTIN and GLN, lot and serial numbers, EPC URIs.

Pure functions over strings. Every function that rejects its input raises :class:`GS1Error`
with a stable ``code`` and a message in English and in Vietnamese.

References: GS1 General Specifications (check digit §7.9, AI encodable character set 82 §7.11,
AIs 10, 21 and 254), GS1 EPC Tag Data Standard (SGTIN, LGTIN, SGLN URIs and their escaping).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

__all__ = [
    "AI82_CHARACTERS",
    "GS1Error",
    "Lgtin",
    "Sgln",
    "Sgtin",
    "SgtinPattern",
    "check_digit",
    "epc_escape",
    "epc_unescape",
    "has_valid_check_digit",
    "is_valid_gln",
    "is_valid_gtin",
    "lgtin_uri",
    "make_gtin",
    "make_lot_code",
    "normalise_gtin",
    "parse_lgtin_uri",
    "parse_sgln_uri",
    "parse_sgtin_pattern_uri",
    "parse_sgtin_uri",
    "sgln_uri",
    "sgtin_pattern_uri",
    "sgtin_uri",
    "validate_gln",
    "validate_gln_extension",
    "validate_lot",
    "validate_serial",
]

AI82_CHARACTERS: Final = (
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
"""The GS1 "AI encodable character set 82" (GS1 General Specifications, figure 7.11-1)."""

_AI82: Final = frozenset(AI82_CHARACTERS)
_AI_TEXT_MAX: Final = 20
_GTIN_LENGTHS: Final = (8, 12, 13, 14)
_EPC_ESCAPED: Final = {char: f"%{ord(char):02X}" for char in '"%&/<>?'}
_HEX_ESCAPE: Final = re.compile(r"%([0-9A-Fa-f]{2})")


class GS1Error(ValueError):
    """A GS1 identifier or attribute that is not valid; ``str()`` is the English message."""

    def __init__(self, code: str, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_vi = message_vi

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("vi" or "en")."""
        return self.message_vi if lang == "vi" else self.message_en


# ------------------------------------------------------------------------------------------
# Check digits


def _require_digits(value: str, code: str, what_en: str, what_vi: str) -> None:
    if not value or not value.isascii() or not value.isdigit():
        raise GS1Error(
            code,
            f"{what_en} must contain only the digits 0-9, got {value!r}.",
            f"{what_vi} chỉ được chứa chữ số 0–9 (nhận được «{value}»).",
        )


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of ``digits`` (a key without its check digit)."""
    _require_digits(digits, "check-digit-input", "The number", "Dãy số")
    total = 0
    for position, char in enumerate(reversed(digits)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def has_valid_check_digit(code: str) -> bool:
    """Whether the last digit of ``code`` is the GS1 check digit of the others."""
    if len(code) < 2 or not code.isascii() or not code.isdigit():
        return False
    return check_digit(code[:-1]) == code[-1]


# ------------------------------------------------------------------------------------------
# GTIN and GLN


def normalise_gtin(gtin: str) -> str:
    """Validate a GTIN-8, -12, -13 or -14 and return it as a 14-digit GTIN."""
    _require_digits(gtin, "gtin-not-digits", "A GTIN", "GTIN")
    if len(gtin) not in _GTIN_LENGTHS:
        raise GS1Error(
            "gtin-length",
            f"A GTIN has 8, 12, 13 or 14 digits; {gtin!r} has {len(gtin)}.",
            f"GTIN phải có 8, 12, 13 hoặc 14 chữ số; «{gtin}» có {len(gtin)} chữ số.",
        )
    expected = check_digit(gtin[:-1])
    if gtin[-1] != expected:
        raise GS1Error(
            "gtin-check-digit",
            f"The check digit of GTIN {gtin} is wrong: it should be {expected}, not {gtin[-1]}.",
            f"Số kiểm tra của GTIN {gtin} sai: phải là {expected}, không phải {gtin[-1]}.",
        )
    return gtin.zfill(14)


def is_valid_gtin(gtin: str) -> bool:
    """Whether ``gtin`` is a valid GTIN-8, -12, -13 or -14."""
    try:
        normalise_gtin(gtin)
    except GS1Error:
        return False
    return True


DEMO_PREFIX = "952"
"""The GS1 prefix GS1 keeps for demonstrations and examples: a GTIN under it identifies no
real product (the platform's default company prefix, ``settings.gs1_company_prefix``)."""


def is_demo_gtin(gtin: str | None) -> bool:
    """Whether ``gtin`` (GTIN-12, -13 or -14, digits) lies under the demonstration prefix
    952, so that pages can say it is demo data."""
    if not gtin or not gtin.isdigit() or len(gtin) not in (12, 13, 14):
        return False
    return gtin.zfill(14)[1:4] == DEMO_PREFIX


def validate_gln(gln: str) -> str:
    """Validate a 13-digit GLN (Global Location Number) and return it."""
    _require_digits(gln, "gln-not-digits", "A GLN", "GLN")
    if len(gln) != 13:
        raise GS1Error(
            "gln-length",
            f"A GLN has 13 digits; {gln!r} has {len(gln)}.",
            f"GLN phải có đúng 13 chữ số; «{gln}» có {len(gln)} chữ số.",
        )
    expected = check_digit(gln[:-1])
    if gln[-1] != expected:
        raise GS1Error(
            "gln-check-digit",
            f"The check digit of GLN {gln} is wrong: it should be {expected}, not {gln[-1]}.",
            f"Số kiểm tra của GLN {gln} sai: phải là {expected}, không phải {gln[-1]}.",
        )
    return gln


def is_valid_gln(gln: str) -> bool:
    """Whether ``gln`` is a valid 13-digit GLN."""
    try:
        validate_gln(gln)
    except GS1Error:
        return False
    return True


def _validate_company_prefix(company_prefix: str, capacity: int) -> None:
    _require_digits(company_prefix, "company-prefix-not-digits", "A GS1 company prefix",
                    "Mã doanh nghiệp GS1")
    if not 6 <= len(company_prefix) <= capacity:
        raise GS1Error(
            "company-prefix-length",
            f"A GS1 company prefix has 6 to {capacity} digits; {company_prefix!r} has "
            f"{len(company_prefix)}.",
            f"Mã doanh nghiệp GS1 phải có từ 6 đến {capacity} chữ số; «{company_prefix}» có "
            f"{len(company_prefix)} chữ số.",
        )


def make_gtin(company_prefix: str, item_reference: str, indicator: str = "0") -> str:
    """The GTIN-14 of an item: ``indicator`` + company prefix + item reference + check digit.

    ``company_prefix`` is the GS1 company prefix (in Viet Nam "893" followed by the number GS1
    Viet Nam assigned, 6 to 12 digits in all); ``item_reference`` is zero-padded on the left to
    fill the 12 digits. With indicator "0" the last 13 digits are the GTIN-13 of an EAN-13.
    """
    _validate_company_prefix(company_prefix, 12)
    room = 12 - len(company_prefix)
    if item_reference or room:
        _require_digits(item_reference, "item-reference-not-digits", "The item reference",
                        "Mã mặt hàng")
    if len(item_reference) > room:
        raise GS1Error(
            "item-reference-length",
            f"With a {len(company_prefix)}-digit company prefix the item reference has at most "
            f"{room} digits; {item_reference!r} has {len(item_reference)}.",
            f"Với mã doanh nghiệp {len(company_prefix)} chữ số, mã mặt hàng chỉ có tối đa {room} "
            f"chữ số; «{item_reference}» có {len(item_reference)} chữ số.",
        )
    if len(indicator) != 1 or not indicator.isascii() or not indicator.isdigit():
        raise GS1Error(
            "indicator-digit",
            f"The GTIN-14 indicator is one digit 0-9, got {indicator!r}.",
            f"Số chỉ thị của GTIN-14 là một chữ số 0–9 (nhận được «{indicator}»).",
        )
    body = indicator + company_prefix + item_reference.zfill(room)
    return body + check_digit(body)


# ------------------------------------------------------------------------------------------
# Lot (AI 10), serial (AI 21), GLN extension (AI 254)


def _is_accented(char: str) -> bool:
    """A Vietnamese letter with diacritics (or đ), any accented Latin letter, or a lone mark."""
    if char in "đĐ" or unicodedata.combining(char):
        return True
    decomposed = unicodedata.normalize("NFD", char)
    return len(decomposed) > 1 and decomposed[0].isascii() and decomposed[0].isalpha()


def _validate_ai_text(value: str, code_prefix: str, what_en: str, what_vi: str) -> str:
    if not value:
        raise GS1Error(
            f"{code_prefix}-empty",
            f"The {what_en} must not be empty.",
            f"{what_vi} không được để trống.",
        )
    if len(value) > _AI_TEXT_MAX:
        raise GS1Error(
            f"{code_prefix}-too-long",
            f"The {what_en} has at most {_AI_TEXT_MAX} characters; {value!r} has {len(value)}.",
            f"{what_vi} dài tối đa {_AI_TEXT_MAX} ký tự; «{value}» có {len(value)} ký tự.",
        )
    for position, char in enumerate(value, start=1):
        if char in _AI82:
            continue
        if char.isspace():
            raise GS1Error(
                f"{code_prefix}-space",
                f"The {what_en} {value!r} contains a space at position {position}; GS1 does "
                "not allow spaces (use '-' instead).",
                f"{what_vi} «{value}» có khoảng trắng ở vị trí {position}; GS1 không cho phép "
                "khoảng trắng (hãy dùng dấu '-').",
            )
        if _is_accented(char):
            raise GS1Error(
                f"{code_prefix}-diacritic",
                f"The {what_en} {value!r} contains the accented letter {char!r} at position "
                f"{position}; GS1 allows only unaccented letters (write it without diacritics).",
                f"{what_vi} «{value}» có chữ có dấu «{char}» ở vị trí {position}; GS1 chỉ cho "
                "phép chữ không dấu (hãy viết không dấu).",
            )
        raise GS1Error(
            f"{code_prefix}-invalid-char",
            f"The {what_en} {value!r} contains {char!r} at position {position}, which is not in "
            "the GS1 character set (A-Z, a-z, 0-9 and !\"%&'()*+,-./:;<=>?_).",
            f"{what_vi} «{value}» có ký tự «{char}» ở vị trí {position}, không thuộc bộ ký tự "
            "GS1 (A–Z, a–z, 0–9 và !\"%&'()*+,-./:;<=>?_).",
        )
    return value


def validate_lot(lot: str) -> str:
    """Validate a batch/lot number (GS1 AI 10): 1 to 20 characters of the 82-character set."""
    return _validate_ai_text(lot, "lot", "lot number", "Số lô")


def validate_serial(serial: str) -> str:
    """Validate a serial number (GS1 AI 21): 1 to 20 characters of the 82-character set."""
    return _validate_ai_text(serial, "serial", "serial number", "Số sê-ri")


def validate_gln_extension(extension: str) -> str:
    """Validate a GLN extension component (GS1 AI 254): 1 to 20 characters."""
    return _validate_ai_text(extension, "gln-extension", "GLN extension", "Phần mở rộng GLN")


def make_lot_code(label: str) -> str:
    """A GS1-safe lot code made from a human label.

    Diacritics are removed (đ → d), letters upper-cased, every run of other characters becomes
    one "-", and the result is cut to 20 characters:
    "Lúa ST25 vụ Đông Xuân" → "LUA-ST25-VU-DONG-XUA".
    """
    text = unicodedata.normalize("NFC", label).replace("đ", "d").replace("Đ", "D")
    text = "".join(
        char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char)
    ).upper()
    code = re.sub(r"[^A-Z0-9]+", "-", text).strip("-")
    code = code[:_AI_TEXT_MAX].rstrip("-")
    if not code:
        raise GS1Error(
            "lot-label-empty",
            f"The label {label!r} has no letter or digit to make a lot code from.",
            f"Nhãn «{label}» không có chữ cái hay chữ số nào để tạo số lô.",
        )
    return code


# ------------------------------------------------------------------------------------------
# EPC URIs (EPC Tag Data Standard)


@dataclass(frozen=True)
class Sgtin:
    """A serialised GTIN: ``urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial``."""

    gtin: str
    serial: str
    company_prefix_length: int


@dataclass(frozen=True)
class Lgtin:
    """A GTIN with a lot: ``urn:epc:class:lgtin:CompanyPrefix.IndicatorItemRef.Lot``."""

    gtin: str
    lot: str
    company_prefix_length: int


@dataclass(frozen=True)
class SgtinPattern:
    """All instances of a GTIN: ``urn:epc:idpat:sgtin:CompanyPrefix.IndicatorItemRef.*``."""

    gtin: str
    company_prefix_length: int


@dataclass(frozen=True)
class Sgln:
    """A GLN with an optional extension: ``urn:epc:id:sgln:CompanyPrefix.LocationRef.Ext``."""

    gln: str
    extension: str | None
    company_prefix_length: int


def epc_escape(text: str) -> str:
    """Escape the characters ``"%&/<>?`` of a GS1 text value for an EPC URI (e.g. "/" → "%2F")."""
    return "".join(_EPC_ESCAPED.get(char, char) for char in text)


def epc_unescape(text: str) -> str:
    """Undo :func:`epc_escape` (and any other ``%XX`` escape of an ASCII character)."""
    return _HEX_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def _check_prefix_length(company_prefix_length: int) -> None:
    if not 6 <= company_prefix_length <= 12:
        raise GS1Error(
            "company-prefix-length",
            f"A GS1 company prefix has 6 to 12 digits, not {company_prefix_length}.",
            f"Mã doanh nghiệp GS1 có từ 6 đến 12 chữ số, không phải {company_prefix_length}.",
        )


def _gtin_parts(gtin: str, company_prefix_length: int) -> tuple[str, str]:
    gtin14 = normalise_gtin(gtin)
    _check_prefix_length(company_prefix_length)
    prefix = gtin14[1 : 1 + company_prefix_length]
    return prefix, gtin14[0] + gtin14[1 + company_prefix_length : 13]


def sgtin_uri(gtin: str, serial: str, company_prefix_length: int) -> str:
    """The SGTIN EPC URI of item ``serial`` of ``gtin`` (company prefix of the given length)."""
    prefix, item = _gtin_parts(gtin, company_prefix_length)
    return f"urn:epc:id:sgtin:{prefix}.{item}.{epc_escape(validate_serial(serial))}"


def lgtin_uri(gtin: str, lot: str, company_prefix_length: int) -> str:
    """The LGTIN EPC class URI of lot ``lot`` of ``gtin``."""
    prefix, item = _gtin_parts(gtin, company_prefix_length)
    return f"urn:epc:class:lgtin:{prefix}.{item}.{epc_escape(validate_lot(lot))}"


def sgtin_pattern_uri(gtin: str, company_prefix_length: int) -> str:
    """The EPC pattern URI matching every SGTIN of ``gtin`` (used as a class in EPCIS)."""
    prefix, item = _gtin_parts(gtin, company_prefix_length)
    return f"urn:epc:idpat:sgtin:{prefix}.{item}.*"


def sgln_uri(gln: str, company_prefix_length: int, extension: str | None = None) -> str:
    """The SGLN EPC URI of ``gln``; without an extension the URI ends in ".0"."""
    validate_gln(gln)
    _check_prefix_length(company_prefix_length)
    ext = "0" if extension is None else epc_escape(validate_gln_extension(extension))
    return f"urn:epc:id:sgln:{gln[:company_prefix_length]}.{gln[company_prefix_length:12]}.{ext}"


def _bad_uri(kind: str, uri: str, why_en: str, why_vi: str) -> GS1Error:
    return GS1Error(
        f"{kind}-uri",
        f"{uri!r} is not a valid {kind.upper()} EPC URI: {why_en}.",
        f"«{uri}» không phải URI EPC {kind.upper()} hợp lệ: {why_vi}.",
    )


def _split_uri(uri: str, kind: str, scheme: str) -> list[str]:
    if not uri.startswith(scheme):
        raise _bad_uri(kind, uri, f"it must start with {scheme!r}", f"phải bắt đầu bằng «{scheme}»")
    parts = uri[len(scheme) :].split(".", 2)
    if len(parts) != 3:
        raise _bad_uri(kind, uri, "it needs three parts separated by '.'",
                       "cần ba phần cách nhau bởi dấu '.'")
    return parts


def _gtin_from_parts(uri: str, kind: str, prefix: str, item: str) -> str:
    if not (prefix.isascii() and prefix.isdigit() and item.isascii() and item.isdigit()):
        raise _bad_uri(kind, uri, "the company prefix and item reference must be digits",
                       "mã doanh nghiệp và mã mặt hàng phải là chữ số")
    if not 6 <= len(prefix) <= 12 or len(prefix) + len(item) != 13:
        raise _bad_uri(kind, uri, "the company prefix (6 to 12 digits) and the item reference "
                       "must have 13 digits together",
                       "mã doanh nghiệp (6 đến 12 chữ số) và mã mặt hàng phải có tổng cộng 13 "
                       "chữ số")
    body = item[0] + prefix + item[1:]
    return body + check_digit(body)


def _unescape_component(uri: str, kind: str, text: str) -> str:
    if any(char in '"&/<>?' for char in text) or re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise _bad_uri(kind, uri, 'the characters "%&/<>? must be written as %XX escapes',
                       'các ký tự "%&/<>? phải được viết dạng %XX')
    return epc_unescape(text)


def parse_sgtin_uri(uri: str) -> Sgtin:
    """Parse ``urn:epc:id:sgtin:…`` into its GTIN-14, serial and company prefix length."""
    prefix, item, serial = _split_uri(uri, "sgtin", "urn:epc:id:sgtin:")
    gtin = _gtin_from_parts(uri, "sgtin", prefix, item)
    return Sgtin(gtin, validate_serial(_unescape_component(uri, "sgtin", serial)), len(prefix))


def parse_lgtin_uri(uri: str) -> Lgtin:
    """Parse ``urn:epc:class:lgtin:…`` into its GTIN-14, lot and company prefix length."""
    prefix, item, lot = _split_uri(uri, "lgtin", "urn:epc:class:lgtin:")
    gtin = _gtin_from_parts(uri, "lgtin", prefix, item)
    return Lgtin(gtin, validate_lot(_unescape_component(uri, "lgtin", lot)), len(prefix))


def parse_sgtin_pattern_uri(uri: str) -> SgtinPattern:
    """Parse ``urn:epc:idpat:sgtin:CompanyPrefix.IndicatorItemRef.*``."""
    prefix, item, star = _split_uri(uri, "sgtin", "urn:epc:idpat:sgtin:")
    if star != "*":
        raise _bad_uri(
            "sgtin", uri, "a pattern URI ends in '.*'", "URI mẫu phải kết thúc bằng '.*'"
        )
    return SgtinPattern(_gtin_from_parts(uri, "sgtin", prefix, item), len(prefix))


def parse_sgln_uri(uri: str) -> Sgln:
    """Parse ``urn:epc:id:sgln:…``; the extension "0" means no extension (``None``)."""
    prefix, location, extension = _split_uri(uri, "sgln", "urn:epc:id:sgln:")
    digits = prefix + location
    if not (digits.isascii() and digits.isdigit() and prefix):
        raise _bad_uri("sgln", uri, "the company prefix and location reference must be digits",
                       "mã doanh nghiệp và mã địa điểm phải là chữ số")
    if not 6 <= len(prefix) <= 12 or len(digits) != 12:
        raise _bad_uri("sgln", uri, "the company prefix (6 to 12 digits) and the location "
                       "reference must have 12 digits together",
                       "mã doanh nghiệp (6 đến 12 chữ số) và mã địa điểm phải có tổng cộng 12 "
                       "chữ số")
    ext = None if extension == "0" else validate_gln_extension(
        _unescape_component(uri, "sgln", extension)
    )
    return Sgln(digits + check_digit(digits), ext, len(prefix))
