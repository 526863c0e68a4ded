"""GS1 identifiers → constrained canonical GS1 Digital Link URIs: the normaliser of the CBV 2.0
event hash's reference implementation (``epcis-event-hash-generator``), pattern for pattern.

EPC URIs (``urn:epc:id:sgtin:…``), EPC class URIs (``urn:epc:class:lgtin:…``), EPC pattern URIs
(``urn:epc:idpat:…``) and GS1 Digital Link URIs (any host, short names such as ``/gtin/``)
become ``https://id.gs1.org/…`` with the finest identification level and no query string (CBV
2.0 §8.9). The event hash hashes identifiers in this form; the EPCIS repository indexes and
matches them in it (``trace/epcis.py``).

The normaliser's patterns follow the reference implementation, Copyright 2019-2023 Ralph
Troeger and Sebastian Schmittner, MIT licence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Final

__all__ = ["canonical_gs1_uri"]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_EPC_CHAR: Final = (
    r"(\%2[125-9A-Fa-f]|\%3[0-9A-Fa-f]|\%4[1-9A-Fa-f]|\%5[0-9AaFf]|\%6[1-9A-Fa-f]|\%7[0-9Aa]"
    r"|[!\')(*+,.0-9:;=A-Za-z_-])"
)
_CPI_CHAR: Final = r"(\%2[3dfDF]|\%3[0-9]|\%4[1-9A-Fa-f]|\%5[0-9Aa]|[0-9A-Z-])"
_DL_CHAR: Final = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"

_SGTIN: Final = _rx(
    r"^urn:epc:id:sgtin:((\d{6}\.\d{7})|(\d{7}\.\d{6})|(\d{8}\.\d{5})|(\d{9}\.\d{4})|"
    + r"(\d{10}\.\d{3})|(\d{11}\.\d{2})|(\d{12}\.\d{1}))\."
    + _EPC_CHAR
    + r"{1,20}$"
)
_SSCC: Final = _rx(
    r"^urn:epc:id:sscc:((\d{6}\.\d{11}$)|(\d{7}\.\d{10}$)|(\d{8}\.\d{9}$)|(\d{9}\.\d{8}$)|"
    + r"(\d{10}\.\d{7}$)|(\d{11}\.\d{6}$)|(\d{12}\.\d{5}$))"
)
_SGLN: Final = _rx(
    r"^urn:epc:id:sgln:((\d{6}\.\d{6})|(\d{7}\.\d{5})|(\d{8}\.\d{4})|(\d{9}\.\d{3})|"
    + r"(\d{10}\.\d{2})|(\d{11}\.\d{1})|(\d{12}\.))\."
    + _EPC_CHAR
    + r"{1,20}$"
)
_GRAI: Final = _rx(
    r"^urn:epc:id:grai:(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\."
    + r"[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.\.))\."
    + _EPC_CHAR
    + r"{1,16}$"
)
_GIAI: Final = _rx(
    r"^urn:epc:id:giai:(([\d]{6}\."
    + _EPC_CHAR
    + r"{1,24})|([\d]{7}\."
    + _EPC_CHAR
    + r"{1,23})|([\d]{8}\."
    + _EPC_CHAR
    + r"{1,22})|([\d]{9}\."
    + _EPC_CHAR
    + r"{1,21})|([\d]{10}\."
    + _EPC_CHAR
    + r"{1,20})|([\d]{11}\."
    + _EPC_CHAR
    + r"{1,19})|([\d]{12}\."
    + _EPC_CHAR
    + r"{1,18}))$"
)
_GSRN: Final = _rx(
    r"^urn:epc:id:gsrn:(([\d]{6}\.[\d]{11}$)|([\d]{7}\.[\d]{10}$)|([\d]{8}\.[\d]{9}$)|("
    + r"[\d]{9}\.[\d]{8}$)|([\d]{10}\.[\d]{7}$)|([\d]{11}\.[\d]{6}$)|([\d]{12}\.[\d]{5}$))"
)
_GSRNP: Final = _rx(
    r"^urn:epc:id:gsrnp:(([\d]{6}\.[\d]{11}$)|([\d]{7}\.[\d]{10}$)|([\d]{8}\.[\d]{9}$)|("
    + r"[\d]{9}\.[\d]{8}$)|([\d]{10}\.[\d]{7}$)|([\d]{11}\.[\d]{6}$)|([\d]{12}\.[\d]{5}$))"
)
_GDTI: Final = _rx(
    r"^urn:epc:id:gdti:(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\."
    + r"[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.\.))"
    + _EPC_CHAR
    + r"{1,20}$"
)
_CPI: Final = _rx(
    r"^urn:epc:id:cpi:((\d{6}\."
    + _CPI_CHAR
    + r"{1,24})|(\d{7}\."
    + _CPI_CHAR
    + r"{1,23})|(\d{8}\."
    + _CPI_CHAR
    + r"{1,22})|(\d{9}\."
    + _CPI_CHAR
    + r"{1,21})|(\d{10}\."
    + _CPI_CHAR
    + r"{1,20})|(\d{11}\."
    + _CPI_CHAR
    + r"{1,19})|(\d{12}\."
    + _CPI_CHAR
    + r"{1,18}))\.[\d]{1,12}$"
)
_SGCN: Final = _rx(
    r"^urn:epc:id:sgcn:(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\."
    + r"[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.))\.[\d]{1,12}$"
)
_GINC: Final = _rx(
    r"^urn:epc:id:ginc:([\d]{6}\."
    + _EPC_CHAR
    + r"{1,24}|[\d]{7}\."
    + _EPC_CHAR
    + r"{1,23}|[\d]{8}\."
    + _EPC_CHAR
    + r"{1,22}|[\d]{9}\."
    + _EPC_CHAR
    + r"{1,21}|[\d]{10}\."
    + _EPC_CHAR
    + r"{1,20}|[\d]{11}\."
    + _EPC_CHAR
    + r"{1,19}|[\d]{12}\."
    + _EPC_CHAR
    + r"{1,18})$"
)
_GSIN: Final = _rx(
    r"^urn:epc:id:gsin:(([\d]{6}\.[\d]{10}$)|([\d]{7}\.[\d]{9}$)|([\d]{8}\.[\d]{8}$)|("
    + r"[\d]{9}\.[\d]{7}$)|([\d]{10}\.[\d]{6}$)|([\d]{11}\.[\d]{5}$)|([\d]{12}\.[\d]{4}$))"
)
_ITIP: Final = _rx(
    r"^urn:epc:id:itip:(([\d]{6}\.[\d]{7})|([\d]{7}\.[\d]{6})|([\d]{8}\.[\d]{5})|([\d]{9}\."
    + r"[\d]{4})|([\d]{10}\.[\d]{3})|([\d]{11}\.[\d]{2})|([\d]{12}\.[\d]{1}))\.[\d]{2}\."
    + r"[\d]{2}\."
    + _EPC_CHAR
    + r"{1,20}$"
)
_UPUI: Final = _rx(
    r"^urn:epc:id:upui:((\d{6}\.\d{7})|(\d{7}\.\d{6})|(\d{8}\.\d{5})|(\d{9}\.\d{4})|"
    + r"(\d{10}\.\d{3})|(\d{11}\.\d{2})|(\d{12}\.\d{1}))\."
    + _EPC_CHAR
    + r"{1,28}$"
)
_PGLN: Final = _rx(
    r"^urn:epc:id:pgln:(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\."
    + r"[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.))$"
)
_LGTIN: Final = _rx(
    r"^urn:epc:class:lgtin:(([\d]{6}\.[\d]{7})|([\d]{7}\.[\d]{6})|([\d]{8}\.[\d]{5})|("
    + r"[\d]{9}\.[\d]{4})|([\d]{10}\.[\d]{3})|([\d]{11}\.[\d]{2})|([\d]{12}\.[\d]{1}))\."
    + _EPC_CHAR
    + r"{1,20}$"
)
_IDPAT_SGTIN: Final = _rx(
    r"^urn:epc:idpat:sgtin:((\d{6}\.\d{7})|(\d{7}\.\d{6})|(\d{8}\.\d{5})|(\d{9}\.\d{4})|"
    + r"(\d{10}\.\d{3})|(\d{11}\.\d{2})|(\d{12}\.\d{1}))\.\*$"
)
_IDPAT_GRAI: Final = _rx(
    r"^urn:epc:idpat:grai:(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\."
    + r"[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.\.))\.\*$"
)
_IDPAT_GDTI: Final = _rx(
    r"^urn:epc:idpat:gdti:(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\."
    + r"[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.\.))\.\*$"
)
_IDPAT_SGCN: Final = _rx(
    r"^urn:epc:idpat:sgcn:(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\."
    + r"[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.\.))\.\*$"
)
_IDPAT_CPI: Final = _rx(
    r"^urn:epc:idpat:cpi:((\d{6}\."
    + _CPI_CHAR
    + r"{1,24})|(\d{7}\."
    + _CPI_CHAR
    + r"{1,23})|(\d{8}\."
    + _CPI_CHAR
    + r"{1,22})|(\d{9}\."
    + _CPI_CHAR
    + r"{1,21})|(\d{10}\."
    + _CPI_CHAR
    + r"{1,20})|(\d{11}\."
    + _CPI_CHAR
    + r"{1,19})|(\d{12}\."
    + _CPI_CHAR
    + r"{1,18}))\.\*$"
)
_IDPAT_ITIP: Final = _rx(
    r"^urn:epc:idpat:itip:(([\d]{6}\.[\d]{7})|([\d]{7}\.[\d]{6})|([\d]{8}\.[\d]{5})|([\d]{9}\."
    + r"[\d]{4})|([\d]{10}\.[\d]{3})|([\d]{11}\.[\d]{2})|([\d]{12}\.[\d]{1}))\.[\d]{2}\."
    + r"[\d]{2}\.\*$"
)
_IDPAT_UPUI: Final = _rx(
    r"^urn:epc:idpat:upui:((\d{6}\.\d{7})|(\d{7}\.\d{6})|(\d{8}\.\d{5})|(\d{9}\.\d{4})|"
    + r"(\d{10}\.\d{3})|(\d{11}\.\d{2})|(\d{12}\.\d{1}))\.\*$"
)
_DL_URI: Final = _rx(
    r"^https?:(\/\/((([^\/?#]*)@)?([^\/?#:]*)(:([^\/?#]*))?))?((([^?#]*)(\/(01|gtin|8006|itip"
    + r"|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402"
    + r"|gsin|8003|grai|8004|giai)\/)(\d{4}[^\/]+)(\/[^/]+\/[^/]+)?[/]?(\?([^?\n]*))?(#("
    + r"[^\n]*))?)|(\/[A-Za-z_-]{10}$))"
)
_DL_CANONICAL: Final = _rx(
    r"^https:\/\/id.gs1.org\/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)\/"
    + r"(\d{4}[^\/]+)(\/[^\/]+\/[^\/]+)?[\/]?(\?([^?\n]*))?(#([^\n]*))?|(\/[A-Za-z_-]{10}$)"
)
_GTIN_14: Final = _rx(r"^https:\/\/id.gs1.org\/01\/\d{14}")
_GTIN_13: Final = _rx(r"^https:\/\/id.gs1.org\/01\/\d{13}")
_GTIN_12: Final = _rx(r"^https:\/\/id.gs1.org\/01\/\d{12}")
_GTIN_8: Final = _rx(r"^https:\/\/id.gs1.org\/01\/\d{8}")
_CPV_8006: Final = _rx(
    r"https:\/\/id.gs1.org\/8006\/\d{18}\/22\/("
    + _DL_CHAR
    + r"{0,20})$"
)
_CPV_01: Final = _rx(
    r"https:\/\/id.gs1.org\/01\/\d{14}\/22\/("
    + _DL_CHAR
    + r"{0,20})$"
)
_CPV_8006_NEXT: Final = _rx(
    r"https:\/\/id.gs1.org\/8006\/\d{18}\/22\/("
    + r"[\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]{0,20})$"
)
_CPV_01_NEXT: Final = _rx(
    r"https:\/\/id.gs1.org\/01\/\d{14}\/22\/("
    + r"[\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]{0,20})$"
)
_LOT_SERIAL_8006: Final = _rx(
    r"https:\/\/id.gs1.org\/8006\/\d{18}\/10\/("
    + _DL_CHAR
    + r"{0,20})\/21\/("
    + _DL_CHAR
    + r"{0,20})$"
)
_LOT_SERIAL_01: Final = _rx(
    r"https:\/\/id.gs1.org\/01\/(\d{14})\/10\/("
    + _DL_CHAR
    + r"{0,20})\/21\/("
    + _DL_CHAR
    + r"{0,20})$"
)
_CANONICAL_FORMS: Final = tuple(
    _rx(r"https:\/\/id.gs1.org\/" + form)
    for form in (
        r"00\/(\d{18})$",
        r"01\/(\d{14})\/21\/(" + _DL_CHAR + r"{0,20})$",
        r"01\/(\d{14})\/10\/(" + _DL_CHAR + r"{0,20})$",
        r"01\/(\d{14})$",
        r"01\/(\d{14})\/235\/(" + _DL_CHAR + r"{0,28})$",
        r"253\/(\d{13})(" + _DL_CHAR + r"{0,17})$",
        r"255\/(\d{13})(\d{0,12})$",
        r"401\/(" + _DL_CHAR + r"{0,30})$",
        r"402\/(\d{17})$",
        r"414\/(\d{13})$",
        r"414\/(\d{13})\/254\/(" + _DL_CHAR + r"{0,20})$",
        r"417\/(\d{13})$",
        r"8003\/(\d{14})(" + _DL_CHAR + r"{0,16})$",
        r"8004\/(" + _DL_CHAR + r"{0,30})$",
        r"8006\/(\d{18})\/21\/(" + _DL_CHAR + r"{0,20})$",
        r"8006\/(\d{18})\/10\/(" + _DL_CHAR + r"{0,20})$",
        r"8006\/(\d{18})$",
        r"8010\/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30})\/8011/(\d{0,12})$",
        r"8010\/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30})$",
        r"8017\/(\d{18})$",
        r"8018\/(\d{18})$",
    )
)
_ID: Final = "https://id.gs1.org"
_SHORT_NAMES: Final = (
    ("/gtin/", "/01/"), ("/itip/", "/8006/"), ("/cpid/", "/8010/"), ("/gln/", "/414/"),
    ("/party/", "/417/"), ("/gsrnp/", "/8017/"), ("/gsrn/", "/8018/"), ("/gcn/", "/255/"),
    ("/sscc/", "/00/"), ("/gdti/", "/253/"), ("/ginc/", "/401/"), ("/gsin/", "/402/"),
    ("/grai/", "/8003/"), ("/giai/", "/8004/"), ("/cpv/", "/22/"), ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)
_PRIMARY_KEYS: Final = (
    "/00/", "/01/", "/253/", "/255/", "/401/", "/402/", "/414/", "/417/", "/8003/", "/8004/",
    "/8006/", "/8010/", "/8017/", "/8018/",
)


def _keyed(raw: str) -> str:
    return raw + _check(raw)


def _check(key: str) -> str:
    total = sum(int(digit) * (3 if index % 2 == 0 else 1)
                for index, digit in enumerate(reversed(key)))
    return str(-total % 10)


def _web(text: str) -> str:
    for char in "!()*+,:":
        text = text.replace(char, f"%{ord(char):02X}")
    return text


def _gtin_key(uri: str, start: int, partition: int) -> str:
    prefix = uri[start:partition]
    item = uri[partition + 1 : partition + 1 + 13 - len(prefix)]
    return _keyed(item[:1] + prefix + item[1:])


def _twelve(uri: str, start: int, partition: int, lead: str = "") -> str:
    prefix = uri[start:partition]
    return _keyed(lead + prefix + uri[partition + 1 : partition + 1 + 12 - len(prefix)])


def _sgln(uri: str, p: int) -> str:
    gln, extension = _twelve(uri, 16, p), uri[30:]
    return f"{_ID}/414/{gln}" + ("" if extension == "0" else f"/254/{_web(extension)}")


def _cpi(uri: str, p: int, start: int, serial: bool) -> str:
    separator = uri.rfind(".")
    text = f"{_ID}/8010/{_web(uri[start:p] + uri[p + 1 : separator])}"
    return text + f"/8011/{uri[separator + 1 :]}" if serial else text


_EPC_CONVERSIONS: Final[tuple[tuple[re.Pattern[str], Callable[[str, int], str]], ...]] = (
    (_SGTIN, lambda u, p: f"{_ID}/01/{_gtin_key(u, 17, p)}/21/{_web(u[32:])}"),
    (_SSCC, lambda u, p: f"{_ID}/00/{_keyed(u[p + 1 : p + 2] + u[16:p] + u[p + 2 :])}"),
    (_SGLN, _sgln),
    (_GRAI, lambda u, p: f"{_ID}/8003/{_twelve(u, 16, p, '0')}{_web(u[30:])}"),
    (_GIAI, lambda u, p: f"{_ID}/8004/{u[16:p]}{_web(u[p + 1 :])}"),
    (_GSRN, lambda u, p: f"{_ID}/8018/{_keyed(u[16:p] + u[p + 1 :])}"),
    (_GSRNP, lambda u, p: f"{_ID}/8017/{_keyed(u[17:p] + u[p + 1 :])}"),
    (_GDTI, lambda u, p: f"{_ID}/253/{_twelve(u, 16, p)}{_web(u[30:])}"),
    (_CPI, lambda u, p: _cpi(u, p, 15, serial=True)),
    (_SGCN, lambda u, p: f"{_ID}/255/{_twelve(u, 16, p)}{u[30:]}"),
    (_GINC, lambda u, p: f"{_ID}/401/{u[16:p]}{_web(u[p + 1 :])}"),
    (_GSIN, lambda u, p: f"{_ID}/402/{_keyed(u[16:p] + u[p + 1 :])}"),
    (_ITIP, lambda u, p: f"{_ID}/8006/{_gtin_key(u, 16, p)}{u[31:33]}{u[34:36]}/21/"
                         f"{_web(u[37:])}"),
    (_UPUI, lambda u, p: f"{_ID}/01/{_gtin_key(u, 16, p)}/235/{_web(u[31:])}"),
    (_PGLN, lambda u, p: f"{_ID}/417/{_twelve(u, 16, p)}"),
    (_LGTIN, lambda u, p: f"{_ID}/01/{_gtin_key(u, 20, p)}/10/{_web(u[35:])}"),
    (_IDPAT_SGTIN, lambda u, p: f"{_ID}/01/{_gtin_key(u, 20, p)}"),
    (_IDPAT_GRAI, lambda u, p: f"{_ID}/8003/{_twelve(u, 19, p, '0')}"),
    (_IDPAT_GDTI, lambda u, p: f"{_ID}/253/{_twelve(u, 19, p)}"),
    (_IDPAT_SGCN, lambda u, p: f"{_ID}/255/{_twelve(u, 19, p)}"),
    (_IDPAT_CPI, lambda u, p: _cpi(u, p, 18, serial=False)),
    (_IDPAT_ITIP, lambda u, p: f"{_ID}/8006/{_gtin_key(u, 19, p)}{u[34:36]}{u[37:39]}"),
    (_IDPAT_UPUI, lambda u, p: f"{_ID}/01/{_gtin_key(u, 19, p)}"),
)

_NORMALISER_PATTERNS: Final = (
    *(pattern for pattern, _ in _EPC_CONVERSIONS),
    _DL_URI, _DL_CANONICAL, _GTIN_14, _GTIN_13, _GTIN_12, _GTIN_8, _CPV_8006, _CPV_01,
    _CPV_8006_NEXT, _CPV_01_NEXT, _LOT_SERIAL_8006, _LOT_SERIAL_01, *_CANONICAL_FORMS,
)
"""Every pattern of the normaliser, in the reference's order (checked against it in tests)."""


def canonical_gs1_uri(uri: str) -> str | None:
    """The constrained canonical GS1 Digital Link URI of a GS1 identifier URI, else ``None``.

    Accepts EPC URIs, EPC class URIs, EPC pattern URIs and GS1 Digital Link URIs, e.g.
    ``urn:epc:id:sgtin:8930000.012345.7`` → ``https://id.gs1.org/01/08930000123459/21/7``;
    keeps only the finest identification level and drops the query string (CBV 2.0 §8.9).
    """
    if not isinstance(uri, str) or "." not in uri or not uri.startswith(_GS1_URI_STARTS):
        return None  # every pattern below starts so: nothing else can match
    return _canonical_gs1_uri(uri)


_GS1_URI_STARTS: Final = ("urn:epc:", "http:", "https:")


@lru_cache(maxsize=65536)
def _canonical_gs1_uri(uri: str) -> str | None:
    partition = uri.index(".")
    for pattern, convert in _EPC_CONVERSIONS:
        if pattern.match(uri):
            return convert(uri, partition)
    return _canonical_digital_link(uri)


def _canonical_digital_link(uri: str) -> str | None:
    if _DL_URI.match(uri) is None:
        return None
    if "?" in uri:
        uri = uri[: uri.index("?")]
    for short, ai in _SHORT_NAMES:
        uri = uri.replace(short, ai)
    if _DL_CANONICAL.match(uri) is None:
        for key in _PRIMARY_KEYS:
            if key in uri:
                uri = _ID + uri[uri.find(key) :]
                break
    if _GTIN_14.match(uri) is None:
        if _GTIN_13.match(uri):
            uri = uri.replace("/01/", "/01/0")
        elif _GTIN_12.match(uri):
            uri = uri.replace("/01/", "/01/00")
        elif _GTIN_8.match(uri):
            uri = uri.replace("/01/", "/01/000000")
    after_cpv = uri[uri.find("/22/") + 4 :]
    if _CPV_8006.match(uri) or _CPV_01.match(uri):
        uri = uri[: uri.find("/22/")] + after_cpv[after_cpv.find("/") : -1]
    if _CPV_8006_NEXT.match(uri) or _CPV_01_NEXT.match(uri):
        uri = uri[: uri.find("/22/")] + after_cpv[after_cpv.find("/") :]
    if _LOT_SERIAL_8006.match(uri) or _LOT_SERIAL_01.match(uri):
        after_lot = uri[uri.find("/10/") + 4 :]
        uri = uri[: uri.find("/10/")] + after_lot[after_lot.find("/") :]
    if any(form.match(uri) for form in _CANONICAL_FORMS):
        return uri
    return None
