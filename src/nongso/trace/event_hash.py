"""The EPCIS event hash of CBV 2.0: an eventID ``ni:///sha-256;<hex>?ver=CBV2.0`` for an event.

The algorithm (CBV 2.0 §8.9) turns an EPCIS 2.0 event into a *pre-hash string* of ``key=value``
pieces in a canonical order and hashes it. This module computes exactly what the reference
implementation computes — ``epcis-event-hash-generator`` 1.9.x of GS1 Germany and EECC, used
as the oracle in the tests — for an event given in EPCIS 2.0 JSON(-LD), including the
reference's way of

* expanding CBV short names ("shipping" → ``https://ref.gs1.org/cbv/BizStep-shipping``) by
  JSON-LD expansion against the EPCIS 2.0 context, then replacing every bare string that is the
  tail of exactly one expanded CBV or GS1 Web Vocabulary value;
* writing namespaced keys as ``{namespace}local`` from the prefixes of a ``@context`` list;
* normalising timestamps to UTC with millisecond precision (round half to even), numbers
  (26.0 → 26), old ``urn:epcglobal:cbv:…`` values, and EPC URIs or GS1 Digital Link URIs to
  constrained canonical GS1 Digital Link URIs (:func:`canonical_gs1_uri`);
* ordering the properties, list members, sensor elements, ILMD and user extensions, and
  leaving out ``eventID``, ``recordTime`` and ``errorDeclaration``.

The reference's quirks are kept on purpose — the point of the hash is that anyone recomputes
it. Where the reference cannot hash an event (for instance a ``bizTransaction``, ``source`` or
``destination`` without ``type``, a timestamp that overflows when rounded, or "inf" as a
value) this module raises :class:`EventHashError` instead of guessing. Time stamps are read as
ISO 8601 date-times; one without an offset is taken in the process's local time zone as the
reference does (EPCIS requires an offset). Remote JSON-LD contexts are never fetched: the
EPCIS 2.0 context is built in, any other context URL contributes nothing.

Three modules hold the algorithm, along its seams: this one (the public functions, the
reference's tree of an event, the pre-hash string and canonical values),
``trace/epcis_jsonld.py`` (the built-in EPCIS 2.0 context and the JSON-LD expansion that finds
CBV terms) and ``trace/gs1_canonical.py`` (identifiers → canonical Digital Link URIs, also used
by the repository's index).

The canonicalisation rules and the normaliser's patterns follow the reference implementation,
Copyright 2019-2023 Ralph Troeger and Sebastian Schmittner, MIT licence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final

from nongso.trace.epcis_jsonld import (
    EPCIS_CONTEXT_URL,
    expanded_vocabulary_values,
    replace_bare_strings,
)
from nongso.trace.gs1_canonical import canonical_gs1_uri

__all__ = [
    "EPCIS_CONTEXT_URL",
    "HASH_ALGORITHMS",
    "EventHashError",
    "canonical_gs1_uri",
    "canonical_pre_hash_string",
    "document_event_hashes",
    "document_pre_hash_strings",
    "event_hash",
]

HASH_ALGORITHMS: Final = {
    "sha256": ("sha-256", "sha256"),
    "sha3-256": ("sha3-256", "sha3_256"),
    "sha384": ("sha-384", "sha384"),
    "sha512": ("sha-512", "sha512"),
}
"""Hash algorithm name → (name in the ``ni:`` URI, :mod:`hashlib` name)."""


class EventHashError(ValueError):
    """An event that cannot be hashed; ``str()`` is the English message."""

    def __init__(self, code: str, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_vi = message_vi

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("vi" or "en")."""
        return self.message_vi if lang == "vi" else self.message_en


# ------------------------------------------------------------------------------------------
# Public API


def canonical_pre_hash_string(event: Mapping[str, Any], context: Any = None) -> str:
    """The pre-hash string of one EPCIS 2.0 JSON event (a dict as parsed from JSON).

    ``context`` is the JSON-LD ``@context`` of the document the event comes from (a prefix such
    as ``{"ex": "https://ns.example.com/epcis/"}`` only names extensions when the context is a
    list, as in the reference). Without it the event's own ``@context`` is used, else the EPCIS
    2.0 context. The result equals the reference's for a document holding only this event.
    """
    return document_pre_hash_strings(_single_event_document(event, context))[0]


def event_hash(event: Mapping[str, Any], context: Any = None, *, algorithm: str = "sha256") -> str:
    """The event hash ``ni:///sha-256;<hex>?ver=CBV2.0`` of one EPCIS 2.0 JSON event."""
    return _ni_uri(canonical_pre_hash_string(event, context), algorithm)


def document_pre_hash_strings(document: Mapping[str, Any]) -> list[str]:
    """The pre-hash strings of the events of an EPCIS 2.0 JSON(-LD) document, in order.

    As in the reference, bare CBV names are expanded with the help of the whole document, and
    the ``@context`` list of the document names the extension namespaces.
    """
    if not isinstance(document, Mapping):
        raise EventHashError(
            "not-a-document",
            "An EPCIS document must be a JSON object.",
            "Tài liệu EPCIS phải là một đối tượng JSON.",
        )
    document = replace_bare_strings(document, expanded_vocabulary_values(document))
    namespaces = _namespaces_of(document.get("@context"))
    events = _events_of(document)
    pre_hashes = []
    for number, event in enumerate(events, start=1):
        try:
            tree = _deep_structure_correction(_to_tree(event, namespaces))
            pre_hashes.append(_pre_hash_of(tree))
        except EventHashError:
            raise
        except (ArithmeticError, AttributeError, IndexError, KeyError, TypeError,
                ValueError) as exc:
            raise EventHashError(
                "reference-cannot-hash",
                f"Event {number} cannot be hashed the way the reference implementation does "
                f"({type(exc).__name__}: {exc}); a bizTransaction, source or destination "
                "needs a type, and values must be finite.",
                f"Không thể tính mã băm cho sự kiện {number} theo cách của bản cài đặt tham "
                f"chiếu ({type(exc).__name__}: {exc}); bizTransaction, source và destination "
                "cần có type, các giá trị phải hữu hạn.",
            ) from exc
    return pre_hashes


def document_event_hashes(document: Mapping[str, Any], *, algorithm: str = "sha256") -> list[str]:
    """The event hashes of the events of an EPCIS 2.0 JSON(-LD) document, in order."""
    return [_ni_uri(text, algorithm) for text in document_pre_hash_strings(document)]


def _ni_uri(pre_hash: str, algorithm: str) -> str:
    if algorithm not in HASH_ALGORITHMS:
        raise EventHashError(
            "hash-algorithm",
            f"Unsupported hash algorithm {algorithm!r}; use one of {sorted(HASH_ALGORITHMS)}.",
            f"Không hỗ trợ thuật toán băm «{algorithm}»; hãy dùng một trong "
            f"{sorted(HASH_ALGORITHMS)}.",
        )
    ni_name, hashlib_name = HASH_ALGORITHMS[algorithm]
    digest = hashlib.new(hashlib_name, pre_hash.encode("utf-8")).hexdigest()
    return f"ni:///{ni_name};{digest}?ver=CBV2.0"


def _single_event_document(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise EventHashError(
            "not-an-event",
            "An EPCIS event must be a JSON object.",
            "Sự kiện EPCIS phải là một đối tượng JSON.",
        )
    body = {key: value for key, value in event.items() if key != "@context"}
    if context is None:
        context = event.get("@context", [EPCIS_CONTEXT_URL])
    return {"@context": context, "epcisBody": {"eventList": [body]}}


def _events_of(document: Mapping[str, Any]) -> list[Any]:
    body = document.get("epcisBody")
    if isinstance(body, Mapping):
        if "eventList" in body:
            events = body["eventList"]
            return list(events) if isinstance(events, list) else [events]
        if "event" in body:
            return [body["event"]]
        results = body.get("queryResults")
        if isinstance(results, Mapping) and isinstance(results.get("resultsBody"), Mapping):
            events = results["resultsBody"].get("eventList", [])
            return list(events) if isinstance(events, list) else [events]
    raise EventHashError(
        "no-events",
        "The EPCIS document has no epcisBody.eventList or epcisBody.event.",
        "Tài liệu EPCIS không có epcisBody.eventList hoặc epcisBody.event.",
    )


# ------------------------------------------------------------------------------------------
# JSON → the reference's tree of (name, text, children), with its XML-model corrections

# A node is a tuple (name, text, children); the members of bizTransactionList, sourceList and
# destinationList are pairs of nodes. Plain tuples keep Python's ordering, which decides the
# order of the pre-hash pieces exactly as in the reference.
_Node = tuple[Any, ...]
_IGNORED_KEYS: Final = ("#text", "rdfs:comment", "comment")
_TYPED_LISTS: Final = ("sourceList", "destinationList", "bizTransactionList")


def _namespaces_of(context: Any) -> dict[str, str]:
    namespaces: dict[str, str] = {}
    if isinstance(context, list):
        for item in context:
            if isinstance(item, str):
                namespaces[item] = "{" + item + "}"
            elif isinstance(item, Mapping):
                for key, value in item.items():
                    if isinstance(value, str):
                        namespaces[key] = "{" + value + "}"
    return namespaces


def _namespace_replace(text: Any, namespaces: Mapping[str, str], *, is_value: bool = False) -> Any:
    if not isinstance(text, str):
        return text
    prefix, colon, rest = text.partition(":")
    if colon and prefix in namespaces:
        if is_value:
            return namespaces[prefix].replace("{", "").replace("}", "") + rest
        return namespaces[prefix] + rest
    return text


def _to_tree(value: Any, namespaces: dict[str, str]) -> _Node:
    name: Any = ""
    text: Any = ""
    children: list[Any] = []
    if isinstance(value, list):
        children.extend(_to_tree(item, namespaces) for item in value)
    elif isinstance(value, dict | Mapping):
        if "type" in value:
            name = value["type"]
        if "#text" in value:
            text = value["#text"]
        for key, item in value.items():
            if key in _IGNORED_KEYS:
                continue
            if key.startswith("@xmlns"):
                namespaces[key[7:]] = "{" + item + "}"
                name = _namespace_replace(name, namespaces)
                continue
            child = _to_tree(item, namespaces)
            key = _namespace_replace(key, namespaces)
            if isinstance(item, list):
                children.extend((key, element[1], element[2]) for element in child[2])
            else:
                children.append((key, child[1], child[2]))
    else:
        return ("", str(_namespace_replace(value, namespaces, is_value=True)), [])
    if not any(key in value for key in ("bizTransaction", "source", "destination")):
        children.sort()
    return (name, text, children)


def _deep_structure_correction(node: _Node) -> _Node:
    children: list[Any] = node[2]
    lists: dict[str, list[Any]] = {}
    for element in [e for e in children if not isinstance(e[0], tuple) and e[0].endswith("List")]:
        lists.setdefault(element[0], []).append((element[0][:-4], element[1], element[2]))
        children.remove(element)
    for list_name, elements in lists.items():
        if list_name in _TYPED_LISTS:
            children.append((list_name, "", [(e[2][0], e[2][1]) for e in elements]))
        else:
            children.append((list_name, "", elements))
    child_epcs: list[_Node] = []
    for element in [e for e in children if e[0] == "childEPCs"]:
        child_epcs.append(("epc", element[1], []))
        children.remove(element)
    if child_epcs:
        children.append(("childEPCs", "", child_epcs))
    corrected = [
        element if element[0] in _TYPED_LISTS else _deep_structure_correction(element)
        for element in children
    ]
    name, text = node[0], node[1]
    if name in ("inputEPC", "outputEPC"):
        name = "epc"
    elif name in ("inputQuantity", "outputQuantity", "childQuantity") or (
        name == "quantity" and corrected
    ):
        name = "quantityElement"
    return (name, text, corrected)


# ------------------------------------------------------------------------------------------
# The pre-hash string


def _words(text: str) -> list[str]:
    return text.split()


_QUANTITY_ELEMENT: Final = [("quantityElement", [("epcClass", None), ("quantity", None),
                                                 ("uom", None)])]
_TYPED_PAIR: Final = ("type", None)
_PROPERTY_ORDER: Final[list[tuple[Any, Any]]] = [
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", [("epc", None)]),
    ("inputEPCList", [("epc", None)]),
    ("childEPCs", [("epc", None)]),
    ("quantityList", _QUANTITY_ELEMENT),
    ("childQuantityList", _QUANTITY_ELEMENT),
    ("inputQuantityList", _QUANTITY_ELEMENT),
    ("outputEPCList", [("epc", None)]),
    ("outputQuantityList", _QUANTITY_ELEMENT),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]),
    ("bizLocation", [("id", None)]),
    # As in the reference these sub-orders match nothing, so the lists are hashed, in their
    # members' order, with the remaining elements at the end.
    ("bizTransactionList", [(_TYPED_PAIR, ("bizTransaction", None))]),
    ("sourceList", [(_TYPED_PAIR, ("source", None))]),
    ("destinationList", [(_TYPED_PAIR, ("destination", None))]),
    (
        "sensorElementList",
        [
            (
                "sensorElement",
                [
                    (
                        "sensorMetadata",
                        [(name, None) for name in _words(
                            "time startTime endTime deviceID deviceMetadata rawData "
                            "dataProcessingMethod bizRules"
                        )],
                    ),
                    (
                        "sensorReport",
                        [(name, None) for name in _words(
                            "type exception deviceID deviceMetadata rawData dataProcessingMethod "
                            "time microorganism chemicalSubstance value component stringValue "
                            "booleanValue hexBinaryValue uriValue minValue maxValue meanValue sDev "
                            "percRank percValue uom coordinateReferenceSystem"
                        )],
                    ),
                ],
            )
        ],
    ),
]
_NOT_HASHED: Final = ("recordTime", "eventID", "type", "errorDeclaration")
_UNSORTED_MEMBERS: Final = ("bizTransaction", "source", "destination")


def _pre_hash_of(event: _Node) -> str:
    children: list[Any] = event[2]
    ordered = _ordered_pre_hash(children, _PROPERTY_ORDER)
    remaining = [child for child in children if child[0] not in _NOT_HASHED]
    return str("eventType=" + event[0] + ordered) + (
        _generic_pre_hash(remaining) if remaining else ""
    )


def _ordered_pre_hash(children: list[Any], order: Iterable[tuple[Any, Any]]) -> str:
    """Pieces of ``children`` in ``order``; consumes the children it used up completely."""
    pre_hash = ""
    extensions = _take_user_extensions(children)
    by_name: dict[str, list[Any]] = {}
    for child in children:
        if isinstance(child[0], str):
            by_name.setdefault(child[0], []).append(child)
    consumed: set[int] = set()
    for name, sub_order in order:
        if isinstance(name, str):
            matched = by_name.get(name, ())
        else:  # a typed pair of the reference's order: compared as it does
            matched = [child for child in children if child[0] == name]
        values = []
        for child in matched:
            piece = _child_pre_hash(child, sub_order)
            if piece:
                values.append(piece)
            if len(child[2]) == 0:
                consumed.add(id(child))
        values.sort()
        if "".join(values):
            pre_hash += "".join(values)
    if consumed:
        children[:] = [child for child in children if id(child) not in consumed]
    if extensions:
        pre_hash += _generic_pre_hash(extensions)
    return pre_hash


def _take_user_extensions(children: list[Any]) -> list[Any]:
    """The ``{namespace/}name`` children of a standard element, removed from it."""
    if len(children) <= 1:
        return []
    if any("eventTime" in child[0] or "action" in child[0] for child in children):
        return []
    extensions = [
        child for child in children
        if isinstance(child, tuple) and "{" in child[0] and "/}" in child[0]
    ]
    for extension in extensions:
        children.remove(extension)
    return extensions


def _child_pre_hash(child: _Node, sub_order: Any) -> str:
    text = ""
    nested = _ordered_pre_hash(child[2], sub_order) if sub_order else ""
    if child[1]:
        text = child[1].strip()
        lowered = child[0].lower()
        if "time" in lowered and "offset" not in lowered:
            text = _utc_milliseconds(text)
        else:
            text = _canonical_value(text)
        if text:
            text = "=" + text
    if text or nested:
        return str(child[0] + text + nested)
    return ""


def _generic_pre_hash(children: Sequence[Any]) -> str:
    values = []
    for child in children:
        if isinstance(child, tuple) and len(child) == 2 and isinstance(child[0], tuple):
            values.append(_generic_pre_hash(child))
        else:
            text = child[1].strip()
            if text:
                text = "=" + _canonical_value(text)
            values.append(child[0] + text + _generic_pre_hash(child[2]))
    if len(children) > 1 and not any(child[0] in _UNSORTED_MEMBERS for child in children):
        values.sort()
    return "".join(values)


# ------------------------------------------------------------------------------------------
# Canonical values

_TIMESTAMP: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?)?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_OLD_CBV_URNS: Final = (
    ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
    ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
)


def _utc_milliseconds(text: str) -> str:
    """An ISO 8601 date-time in UTC at millisecond precision ("…T10:00:00.000Z")."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise EventHashError(
            "timestamp",
            f"{text!r} is not an ISO 8601 date-time such as 2024-05-01T08:30:00+07:00.",
            f"«{text}» không phải thời điểm ISO 8601 như 2024-05-01T08:30:00+07:00.",
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]), tzinfo=_zone(offset),
        )
    except ValueError:
        return text  # the reference keeps what its date parser rejects
    moment = moment.astimezone(UTC)
    moment = moment.replace(microsecond=round(moment.microsecond, -3))
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def _zone(offset: str | None) -> timezone | None:
    if offset is None:
        return None
    if offset == "Z":
        return UTC
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-delta if offset[0] == "-" else delta)


@lru_cache(maxsize=65536)
def _canonical_value(text: str) -> str:
    for old, new in _OLD_CBV_URNS:
        text = text.replace(old, new)
    try:
        number = float(text)
        text = str(int(number) if int(number) == number else number)
    except ValueError:
        pass
    return canonical_gs1_uri(text) or text
