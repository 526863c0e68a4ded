"""GS1 Digital Link URIs for a GTIN with an optional lot and serial number.

``https://{resolver}/01/{gtin14}[/10/{lot}][/21/{serial}]`` as in the GS1 Digital Link
standard (URI syntax 1.x): the key qualifiers follow the GTIN in the order 22, 10, 21; a lot or
serial keeps A-Z, a-z, 0-9, "-", "." and "_" and percent-encodes every other character of the
GS1 82-character set; a parser accepts a GTIN-8, -12 or -13 in the path and pads it to 14
digits, the short names ``gtin``, ``lot`` and ``ser``, a path prefix before the GTIN, and
ignores the query string (data attributes) and fragment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

from nongso.trace.gs1 import (
    GS1Error,
    lgtin_uri,
    normalise_gtin,
    parse_lgtin_uri,
    parse_sgtin_pattern_uri,
    parse_sgtin_uri,
    sgtin_pattern_uri,
    sgtin_uri,
    validate_lot,
    validate_serial,
)

__all__ = [
    "DEFAULT_RESOLVER",
    "DigitalLink",
    "DigitalLinkError",
    "build_digital_link",
    "decode_value",
    "encode_value",
    "from_epc_uri",
    "parse_digital_link",
    "parse_element_string",
    "to_element_string",
    "to_epc_uri",
]

DEFAULT_RESOLVER: Final = "id.gs1.org"
"""GS1's global resolver; the platform passes its own host."""

_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._")
_PCHAR: Final = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$")
_RESOLVER: Final = re.compile(
    r"^(?=.{1,253}(?::|/|$))[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::\d{1,5})?"
    r"(?:/[A-Za-z0-9\-._~!$&'()*+,;=:@%]+)*$"
)
_PRIMARY: Final = {"01": "01", "gtin": "01"}
_QUALIFIERS: Final = {"22": "22", "cpv": "22", "10": "10", "lot": "10", "21": "21", "ser": "21"}
_ORDER: Final = ("22", "10", "21")
_AI_OPEN: Final = re.compile(r"\((\d{2,4})\)")


class DigitalLinkError(GS1Error):
    """A GS1 Digital Link URI or element string that cannot be built or parsed."""


@dataclass(frozen=True)
class DigitalLink:
    """A GTIN (normalised to 14 digits) with an optional lot (AI 10) and serial (AI 21)."""

    gtin: str
    lot: str | None = None
    serial: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "gtin", normalise_gtin(self.gtin))
        if self.lot is not None:
            validate_lot(self.lot)
        if self.serial is not None:
            validate_serial(self.serial)

    def uri(self, resolver: str = DEFAULT_RESOLVER) -> str:
        """This link as a URI on ``resolver`` (see :func:`build_digital_link`)."""
        return build_digital_link(self.gtin, lot=self.lot, serial=self.serial, resolver=resolver)


def encode_value(value: str) -> str:
    """Percent-encode a lot or serial for a Digital Link path (e.g. "A/B 1" → "A%2FB%201")."""
    return "".join(
        char if char in _UNRESERVED else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in value
    )


def decode_value(segment: str) -> str:
    """Decode a percent-encoded path segment (the inverse of :func:`encode_value`)."""
    if not _PCHAR.match(segment):
        raise DigitalLinkError(
            "dl-segment",
            f"The path segment {segment!r} has characters that a URI must percent-encode.",
            f"Đoạn đường dẫn «{segment}» có ký tự phải được mã hoá phần trăm trong URI.",
        )
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError as exc:
        raise DigitalLinkError(
            "dl-segment",
            f"The path segment {segment!r} is not valid percent-encoded UTF-8.",
            f"Đoạn đường dẫn «{segment}» không phải UTF-8 mã hoá phần trăm hợp lệ.",
        ) from exc


def build_digital_link(
    gtin: str,
    *,
    lot: str | None = None,
    serial: str | None = None,
    resolver: str = DEFAULT_RESOLVER,
) -> str:
    """``https://{resolver}/01/{gtin14}[/10/{lot}][/21/{serial}]``.

    ``resolver`` is a host name with an optional port and path prefix, without the scheme,
    e.g. "truyxuat.example.vn" or "example.vn/dl".
    """
    if not _RESOLVER.match(resolver):
        raise DigitalLinkError(
            "dl-resolver",
            f"The resolver {resolver!r} must be a host name with an optional port and path, "
            "without 'https://' and without a trailing '/'.",
            f"Máy chủ phân giải «{resolver}» phải là tên máy chủ (có thể kèm cổng và đường dẫn), "
            "không có 'https://' và không kết thúc bằng '/'.",
        )
    path = f"/01/{normalise_gtin(gtin)}"
    if lot is not None:
        path += f"/10/{encode_value(validate_lot(lot))}"
    if serial is not None:
        path += f"/21/{encode_value(validate_serial(serial))}"
    return f"https://{resolver}{path}"


def _dl_error(uri: str, code: str, why_en: str, why_vi: str) -> DigitalLinkError:
    return DigitalLinkError(
        code,
        f"{uri!r} is not a GS1 Digital Link URI for a GTIN: {why_en}.",
        f"«{uri}» không phải URI GS1 Digital Link của một GTIN: {why_vi}.",
    )


def parse_digital_link(uri: str) -> DigitalLink:
    """Parse a GS1 Digital Link URI with a GTIN and optional lot and serial."""
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise _dl_error(uri, "dl-scheme", "it must be an http or https URI with a host",
                        "phải là URI http hoặc https có tên máy chủ")
    segments = parts.path.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()
    # The rightmost "01" followed by pairs: a path prefix of the resolver may contain "01" too.
    start = next(
        (
            index
            for index in range(len(segments) - 2, -1, -1)
            if segments[index] in _PRIMARY and (len(segments) - index) % 2 == 0
        ),
        None,
    )
    if start is None:
        raise _dl_error(uri, "dl-no-gtin", "its path has no '/01/{GTIN}'",
                        "đường dẫn không có '/01/{GTIN}'")
    gtin = segments[start + 1]
    if not (gtin.isascii() and gtin.isdigit() and len(gtin) in (8, 12, 13, 14)):
        raise _dl_error(uri, "dl-gtin", "the GTIN must have 8, 12, 13 or 14 digits",
                        "GTIN phải có 8, 12, 13 hoặc 14 chữ số")
    values: dict[str, str] = {}
    last = -1
    for code, segment in zip(segments[start + 2 :: 2], segments[start + 3 :: 2], strict=True):
        ai = _QUALIFIERS.get(code)
        if ai is None:
            raise _dl_error(uri, "dl-qualifier", f"'{code}' is not a key qualifier of a GTIN",
                            f"'{code}' không phải là thuộc tính định danh của GTIN")
        if ai == "22":
            raise _dl_error(uri, "dl-unsupported",
                            "a consumer product variant (AI 22) is not supported",
                            "không hỗ trợ biến thể sản phẩm (AI 22)")
        if _ORDER.index(ai) <= last:
            raise _dl_error(uri, "dl-order", "the lot (10) must come before the serial (21), "
                            "each at most once", "số lô (10) phải đứng trước số sê-ri (21), mỗi "
                            "loại tối đa một lần")
        last = _ORDER.index(ai)
        values[ai] = decode_value(segment)
    return DigitalLink(gtin, lot=values.get("10"), serial=values.get("21"))


def to_element_string(link: DigitalLink) -> str:
    """The bracketed GS1 element string, e.g. "(01)08930000123459(10)LOT1(21)7".

    A "(" inside a lot or serial is written "\\(" as in the GS1 Barcode Syntax Engine, so the
    string parses back unambiguously.
    """
    text = f"(01){link.gtin}"
    if link.lot is not None:
        text += "(10)" + link.lot.replace("(", "\\(")
    if link.serial is not None:
        text += "(21)" + link.serial.replace("(", "\\(")
    return text


def _bad_element_string(text: str) -> DigitalLinkError:
    return DigitalLinkError(
        "element-string",
        f"{text!r} is not a GS1 element string '(01)…[(10)…][(21)…]' (write '(' in a value "
        "as '\\(').",
        f"«{text}» không phải chuỗi phần tử GS1 dạng '(01)…[(10)…][(21)…]' (ký tự '(' trong giá "
        "trị phải viết là '\\(').",
    )


def parse_element_string(text: str) -> DigitalLink:
    """Parse "(01)…[(10)…][(21)…]" (the inverse of :func:`to_element_string`)."""
    elements: list[tuple[str, str]] = []
    index = 0
    while index < len(text):
        match = _AI_OPEN.match(text, index)
        if match is None:
            raise _bad_element_string(text)
        value: list[str] = []
        index = match.end()
        while index < len(text) and text[index] != "(":
            if text.startswith("\\(", index):
                index += 1
            value.append(text[index])
            index += 1
        elements.append((match.group(1), "".join(value)))
    found = dict(elements)
    if (
        not elements
        or elements[0][0] != "01"
        or len(found) != len(elements)
        or set(found) - {"01", "10", "21"}
        or [ai for ai, _ in elements] not in (["01"], ["01", "10"], ["01", "21"],
                                              ["01", "10", "21"])
    ):
        raise _bad_element_string(text)
    return DigitalLink(found["01"], lot=found.get("10"), serial=found.get("21"))


def to_epc_uri(link: DigitalLink, company_prefix_length: int) -> str:
    """The EPC URI: an SGTIN with a serial, else an LGTIN with a lot, else an SGTIN pattern."""
    if link.serial is not None:
        return sgtin_uri(link.gtin, link.serial, company_prefix_length)
    if link.lot is not None:
        return lgtin_uri(link.gtin, link.lot, company_prefix_length)
    return sgtin_pattern_uri(link.gtin, company_prefix_length)


def from_epc_uri(uri: str) -> DigitalLink:
    """The link of an SGTIN, LGTIN or SGTIN pattern EPC URI (the inverse of :func:`to_epc_uri`)."""
    if uri.startswith("urn:epc:id:sgtin:"):
        sgtin = parse_sgtin_uri(uri)
        return DigitalLink(sgtin.gtin, serial=sgtin.serial)
    if uri.startswith("urn:epc:class:lgtin:"):
        lgtin = parse_lgtin_uri(uri)
        return DigitalLink(lgtin.gtin, lot=lgtin.lot)
    if uri.startswith("urn:epc:idpat:sgtin:"):
        return DigitalLink(parse_sgtin_pattern_uri(uri).gtin)
    raise DigitalLinkError(
        "epc-uri",
        f"{uri!r} is not an SGTIN, LGTIN or SGTIN pattern EPC URI.",
        f"«{uri}» không phải URI EPC SGTIN, LGTIN hoặc mẫu SGTIN.",
    )
