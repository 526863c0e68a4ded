"""EPCIS 2.0 JSON(-LD): validation of captured events, the fields a repository indexes and the
lineage of a transformation or aggregation.

Pure functions over parsed JSON. The rules are those of EPCIS 2.0 (GS1, 2022) §7 for the five
event types and of CBV 2.0 for the vocabularies (business steps, dispositions, business
transaction types, source/destination types). Errors name the event (its position in
``eventList``) and the field as a JSON pointer, in Vietnamese and English, with the EPCIS
exception type. The query language of the REST bindings (``GE_eventTime``, ``MATCH_epc``…,
paging) is in ``trace/query_language.py``.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from nongso.trace.gs1 import (
    GS1Error,
    has_valid_check_digit,
    parse_lgtin_uri,
    parse_sgln_uri,
    parse_sgtin_pattern_uri,
    parse_sgtin_uri,
)
from nongso.trace.gs1_canonical import canonical_gs1_uri

__all__ = [
    "ACTIONS",
    "BIZ_STEPS",
    "DISPOSITIONS",
    "EPCIS_CONTEXT",
    "EVENT_TYPES",
    "EpcisError",
    "IndexedEvent",
    "Issue",
    "cbv_short",
    "document_events",
    "document_namespaces",
    "index_event",
    "lineage_edges",
    "normalise_id",
    "validate_document",
    "validate_event",
]

EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT_TYPES: Final = (
    "ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
    "AssociationEvent",
)
ACTIONS: Final = ("ADD", "OBSERVE", "DELETE")

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BIZ_STEPS: Final = _words(
    "accepting arriving assembling collecting commissioning consigning creating_class_instance "
    "cycle_counting decommissioning departing destroying disassembling dispensing encoding "
    "entering_exiting holding inspecting installing killing loading other packing picking "
    "receiving removing repackaging repairing replacing reserving retail_selling sampling "
    "sensor_reporting shipping staging_outbound stock_taking stocking storing transporting "
    "unloading unpacking void_shipping"
)
DISPOSITIONS: Final = _words(
    "active available completeness_verified completeness_inferred conformant container_closed "
    "container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit "
    "inactive mismatch_instance mismatch_class mismatch_quantity needs_replacement "
    "no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved "
    "retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable unknown"
)
BIZ_TRANSACTION_TYPES: Final = _words(
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt"
)
SOURCE_DESTINATION_TYPES: Final = _words("owning_party possessing_party location")
ERROR_REASONS: Final = _words("did_not_occur incorrect_data")

# The CBV vocabulary each field draws from: its Web URI stem, its old URN stem, its terms.
_VOCABULARIES: Final[dict[str, tuple[str, str, frozenset[str]]]] = {
    "BizStep": ("https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:", BIZ_STEPS),
    "Disp": ("https://ref.gs1.org/cbv/Disp-", "urn:epcglobal:cbv:disp:", DISPOSITIONS),
    "BTT": ("https://ref.gs1.org/cbv/BTT-", "urn:epcglobal:cbv:btt:", BIZ_TRANSACTION_TYPES),
    "SDT": ("https://ref.gs1.org/cbv/SDT-", "urn:epcglobal:cbv:sdt:", SOURCE_DESTINATION_TYPES),
    "ER": ("https://ref.gs1.org/cbv/ER-", "urn:epcglobal:cbv:er:", ERROR_REASONS),
}

_COMMON_FIELDS: Final = _words(
    "type eventTime eventTimeZoneOffset recordTime eventID errorDeclaration certificationInfo "
    "readPoint bizLocation bizStep disposition persistentDisposition bizTransactionList "
    "sourceList destinationList sensorElementList @context"
)
_TYPE_FIELDS: Final[dict[str, frozenset[str]]] = {
    "ObjectEvent": _words("action epcList quantityList ilmd"),
    "AggregationEvent": _words("action parentID childEPCs childQuantityList"),
    "TransactionEvent": _words("action parentID epcList quantityList"),
    "TransformationEvent": _words(
        "inputEPCList inputQuantityList outputEPCList outputQuantityList transformationID ilmd"
    ),
    "AssociationEvent": _words("action parentID childEPCs childQuantityList"),
}
_EPC_LISTS: Final = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QUANTITY_LISTS: Final = (
    "quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"
)
_OFFSET: Final = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")
_UOM: Final = re.compile(r"^[A-Z0-9]{2,3}$")
_URI: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_DL_KEY: Final = re.compile(r"^https?://[^/?#]+(?:/[^?#]*)?/(00|01|414|417)/(\d+)(?:[/?#]|$)")
_DL_KEY_LENGTHS: Final = {"00": 18, "01": 14, "414": 13, "417": 13}


# ------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a captured document: where (a JSON pointer) and why."""

    pointer: str
    message_vi: str
    message_en: str


class EpcisError(ValueError):
    """An EPCIS exception: its type (``epcisException:…``), HTTP status and the issues."""

    def __init__(
        self, exception: str, status: int, message_vi: str, message_en: str,
        issues: Sequence[Issue] = (),
    ) -> None:
        super().__init__(message_en)
        self.exception = exception
        self.status = status
        self.message_vi = message_vi
        self.message_en = message_en
        self.issues = list(issues)

    def message(self, lang: str) -> str:
        return self.message_vi if lang == "vi" else self.message_en


def validation_error(issues: Sequence[Issue], events: int | None = None) -> EpcisError:
    first = issues[0]
    where_vi = where_en = first.pointer
    more_vi = f" (và {len(issues) - 1} lỗi khác)" if len(issues) > 1 else ""
    more_en = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
    return EpcisError(
        "ValidationException", 400,
        f"Tài liệu EPCIS không hợp lệ, không sự kiện nào được lưu: {where_vi}: "
        f"{first.message_vi}{more_vi}",
        f"The EPCIS document is invalid and nothing was stored: {where_en}: "
        f"{first.message_en}{more_en}",
        issues,
    )


# ------------------------------------------------------------------------------------------
# Vocabulary and identifier normalisation


def cbv_short(value: str, vocabulary: str) -> str:
    """The CBV short name of a vocabulary value given in any of its three forms, else the value.

    "shipping", "https://ref.gs1.org/cbv/BizStep-shipping", "cbv:BizStep-shipping" and
    "urn:epcglobal:cbv:bizstep:shipping" all become "shipping"; a private URI stays as is.
    """
    web, urn, terms = _VOCABULARIES[vocabulary]
    for stem in (web, urn, f"cbv:{vocabulary}-"):
        if value.startswith(stem) and value[len(stem):] in terms:
            return value[len(stem):]
    return value


def normalise_id(value: str) -> str:
    """The form an identifier is indexed and matched in: the constrained canonical GS1 Digital
    Link URI of a GS1 key (EPC URI or Digital Link, on any resolver host), else the value."""
    return canonical_gs1_uri(value) or value


def _vocabulary_ok(value: Any, vocabulary: str) -> bool:
    if not isinstance(value, str) or not value:
        return False
    short = cbv_short(value, vocabulary)
    if short in _VOCABULARIES[vocabulary][2]:
        return True
    # A private vocabulary is written as a URI (a CURIE of the document's @context included).
    return ":" in value and not value.startswith(("urn:epcglobal:cbv:", "https://ref.gs1.org/cbv/"))


# ------------------------------------------------------------------------------------------
# Validation


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 date-time with a time zone, or ``None``."""
    if not isinstance(value, str) or "T" not in value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python reads at most 6 fractional digits; EPCIS allows more (they are dropped).
    match = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", text)
    if match and len(match.group(2)) > 6:
        text = f"{match.group(1)}.{match.group(2)[:6]}{match.group(3)}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class _Checker:
    def __init__(self, base: str) -> None:
        self.base = base
        self.issues: list[Issue] = []

    def add(self, path: str, vi: str, en: str) -> None:
        self.issues.append(Issue(f"{self.base}/{path}" if path else self.base, vi, en))

    def uri(self, path: str, value: Any, what_vi: str, what_en: str) -> bool:
        if not isinstance(value, str) or not _URI.match(value):
            self.add(path, f"{what_vi} phải là một URI (ví dụ urn:epc:… hoặc https://…).",
                     f"{what_en} must be a URI (e.g. urn:epc:… or https://…).")
            return False
        return True

    def identifier(self, path: str, value: Any, what_vi: str, what_en: str) -> None:
        if not self.uri(path, value, what_vi, what_en):
            return
        problem = _identifier_problem(value)
        if problem is not None:
            self.add(path, f"{what_vi} «{value}» sai: {problem[0]}",
                     f"{what_en} '{value}' is wrong: {problem[1]}")

    def time(self, path: str, value: Any, required: bool = True) -> dt.datetime | None:
        if value is None and not required:
            return None
        parsed = parse_time(value)
        if parsed is None:
            self.add(path, "Phải là thời điểm ISO 8601 có múi giờ, ví dụ "
                     "2026-03-12T08:30:00+07:00.",
                     "Must be an ISO 8601 date-time with a time zone, e.g. "
                     "2026-03-12T08:30:00+07:00.")
        return parsed

    def number(self, path: str, value: Any, minimum: float | None = None) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value
        ):
            self.add(path, "Phải là một số.", "Must be a number.")
        elif minimum is not None and value < minimum:
            self.add(path, f"Không được nhỏ hơn {minimum:g}.", f"Must not be below {minimum:g}.")


def _identifier_problem(value: str) -> tuple[str, str] | None:
    """Why a GS1 identifier URI is malformed (EPC URIs we can parse, Digital Link check digits)."""
    parsers = (
        ("urn:epc:id:sgtin:", parse_sgtin_uri),
        ("urn:epc:class:lgtin:", parse_lgtin_uri),
        ("urn:epc:idpat:sgtin:", parse_sgtin_pattern_uri),
        ("urn:epc:id:sgln:", parse_sgln_uri),
    )
    for prefix, parser in parsers:
        if value.startswith(prefix):
            try:
                parser(value)
            except GS1Error as exc:
                return exc.message_vi, exc.message_en
            return None
    match = _DL_KEY.match(value)
    if match:
        ai, key = match.group(1), match.group(2)
        lengths = (8, 12, 13, 14) if ai == "01" else (_DL_KEY_LENGTHS[ai],)
        if len(key) not in lengths:
            return (f"mã khoá GS1 (AI {ai}) phải có {'/'.join(map(str, lengths))} chữ số",
                    f"the GS1 key (AI {ai}) must have {'/'.join(map(str, lengths))} digits")
        if not has_valid_check_digit(key):
            return (f"số kiểm tra của mã {key} (AI {ai}) sai",
                    f"the check digit of {key} (AI {ai}) is wrong")
    return None


def validate_event(event: Any, pointer: str = "") -> list[Issue]:
    """Everything wrong with one EPCIS 2.0 event (an empty list when it is valid)."""
    c = _Checker(pointer)
    if not isinstance(event, Mapping):
        c.add("", "Mỗi sự kiện phải là một đối tượng JSON.", "Each event must be a JSON object.")
        return c.issues
    event_type = event.get("type")
    if event_type not in EVENT_TYPES:
        c.add("type", "Loại sự kiện phải là một trong " + ", ".join(EVENT_TYPES) + ".",
              "The event type must be one of " + ", ".join(EVENT_TYPES) + ".")
        return c.issues
    allowed = _COMMON_FIELDS | _TYPE_FIELDS[event_type]
    for key in event:
        if key not in allowed and ":" not in key and key != "comment":
            c.add(key, f"Trường «{key}» không có trong {event_type} (trường mở rộng phải có "
                  "tiền tố không gian tên, ví dụ «ex:field»).",
                  f"'{key}' is not a field of {event_type} (an extension field needs a "
                  "namespace prefix, e.g. 'ex:field').")
    c.time("eventTime", event.get("eventTime"))
    offset = event.get("eventTimeZoneOffset")
    if not isinstance(offset, str) or not _OFFSET.match(offset):
        c.add("eventTimeZoneOffset", "Phải có dạng ±HH:MM, ví dụ +07:00.",
              "Must be ±HH:MM, e.g. +07:00.")
    if "eventID" in event:
        c.uri("eventID", event["eventID"], "eventID", "The eventID")
    action = event.get("action")
    if event_type == "TransformationEvent":
        pass  # a transformation has no action (the field is not allowed, checked above)
    elif action not in ACTIONS:
        c.add("action", "action phải là ADD, OBSERVE hoặc DELETE.",
              "action must be ADD, OBSERVE or DELETE.")
    for name in ("bizStep", "disposition"):
        if name in event and not _vocabulary_ok(
            event[name], "BizStep" if name == "bizStep" else "Disp"
        ):
            c.add(name, f"«{event[name]}» không phải giá trị CBV 2.0 của {name} (hoặc URI "
                  "riêng).", f"'{event[name]}' is not a CBV 2.0 {name} (nor a private URI).")
    for name in ("readPoint", "bizLocation"):
        if name in event:
            place = event[name]
            if not isinstance(place, Mapping) or "id" not in place:
                c.add(name, "Phải là đối tượng có trường «id».", "Must be an object with 'id'.")
            else:
                c.identifier(f"{name}/id", place["id"], name, name)
    _check_epc_lists(c, event)
    _check_quantity_lists(c, event)
    if "parentID" in event:
        c.identifier("parentID", event["parentID"], "parentID", "The parentID")
    _check_type_rules(c, event, event_type, action)
    _check_transactions(c, event.get("bizTransactionList"))
    for list_name, member in (("sourceList", "source"), ("destinationList", "destination")):
        _check_parties(c, event.get(list_name), list_name, member)
    if "ilmd" in event and not isinstance(event["ilmd"], Mapping):
        c.add("ilmd", "ilmd phải là một đối tượng JSON.", "ilmd must be a JSON object.")
    elif "ilmd" in event:
        _check_extensions(c, "ilmd", event["ilmd"], frozenset(), deep=True)
    if "persistentDisposition" in event:
        _check_persistent_disposition(c, event["persistentDisposition"])
    if "errorDeclaration" in event:
        _check_error_declaration(c, event["errorDeclaration"])
    if "sensorElementList" in event:
        _check_sensors(c, event["sensorElementList"])
    info = event.get("certificationInfo")
    if info is not None and not (
        isinstance(info, str) or (isinstance(info, list) and all(isinstance(i, str) for i in info))
    ):
        c.add("certificationInfo", "Phải là URI hoặc danh sách URI.",
              "Must be a URI or a list of URIs.")
    return c.issues


def _check_epc_lists(c: _Checker, event: Mapping[str, Any]) -> None:
    for name in _EPC_LISTS:
        if name not in event:
            continue
        values = event[name]
        if not isinstance(values, list):
            c.add(name, "Phải là danh sách các URI.", "Must be a list of URIs.")
            continue
        for n, value in enumerate(values):
            c.identifier(f"{name}/{n}", value, "Mã EPC", "The EPC")


def _check_quantity_lists(c: _Checker, event: Mapping[str, Any]) -> None:
    for name in _QUANTITY_LISTS:
        if name not in event:
            continue
        values = event[name]
        if not isinstance(values, list):
            c.add(name, "Phải là danh sách.", "Must be a list.")
            continue
        for n, element in enumerate(values):
            where = f"{name}/{n}"
            if not isinstance(element, Mapping):
                c.add(where, "Mỗi phần tử số lượng phải là đối tượng {epcClass, quantity, uom}.",
                      "Each quantity element must be an object {epcClass, quantity, uom}.")
                continue
            if "epcClass" not in element:
                c.add(f"{where}/epcClass", "Thiếu epcClass.", "epcClass is required.")
            else:
                c.identifier(f"{where}/epcClass", element["epcClass"], "epcClass", "epcClass")
            if "quantity" in element:
                c.number(f"{where}/quantity", element["quantity"], minimum=0)
            if "uom" in element:
                uom = element["uom"]
                if not isinstance(uom, str) or not _UOM.match(uom):
                    c.add(f"{where}/uom", "Đơn vị phải là mã UN/CEFACT Rec. 20, ví dụ KGM (kg), "
                          "TNE (tấn), LTR (lít).",
                          "The unit must be a UN/CEFACT Rec. 20 code, e.g. KGM (kg), TNE (t), "
                          "LTR (litre).")
                elif "quantity" not in element:
                    c.add(f"{where}/uom", "Có đơn vị thì phải có quantity.",
                          "A unit needs a quantity.")
            for key in element:
                if key not in ("epcClass", "quantity", "uom") and ":" not in key:
                    c.add(f"{where}/{key}", f"Trường «{key}» không hợp lệ trong phần tử số lượng.",
                          f"'{key}' is not a field of a quantity element.")


def _nonempty(event: Mapping[str, Any], *names: str) -> bool:
    return any(isinstance(event.get(n), list) and event.get(n) for n in names)


def _check_type_rules(
    c: _Checker, event: Mapping[str, Any], event_type: str, action: Any
) -> None:
    if event_type == "ObjectEvent":
        # What was observed may be only the sensor data (GS1's "WithSensorData" examples).
        if not _nonempty(event, "epcList", "quantityList", "sensorElementList"):
            c.add("epcList", "ObjectEvent cần ít nhất một mã EPC (epcList), một phần tử số "
                  "lượng (quantityList) hoặc dữ liệu cảm biến (sensorElementList).",
                  "An ObjectEvent needs at least one EPC (epcList), quantity element "
                  "(quantityList) or sensor element (sensorElementList).")
        if "ilmd" in event and action != "ADD":
            c.add("ilmd", "ilmd (dữ liệu chủ của lô) chỉ dùng với action ADD.",
                  "ilmd (lot master data) is only allowed with action ADD.")
    elif event_type in ("AggregationEvent", "AssociationEvent"):
        needs_parent = event_type == "AssociationEvent" or action in ("ADD", "DELETE")
        if needs_parent and "parentID" not in event:
            c.add("parentID", f"{event_type} với action {action} cần parentID.",
                  f"An {event_type} with action {action} needs a parentID.")
        if action == "ADD" and not _nonempty(event, "childEPCs", "childQuantityList"):
            c.add("childEPCs", "Cần ít nhất một đối tượng con (childEPCs hoặc childQuantityList).",
                  "At least one child is needed (childEPCs or childQuantityList).")
    elif event_type == "TransactionEvent":
        if not _nonempty(event, "bizTransactionList"):
            c.add("bizTransactionList", "TransactionEvent cần ít nhất một giao dịch.",
                  "A TransactionEvent needs at least one business transaction.")
    elif event_type == "TransformationEvent" and not (
        _nonempty(event, "inputEPCList", "inputQuantityList", "outputEPCList",
                  "outputQuantityList") or "transformationID" in event
    ):
        c.add("inputQuantityList", "TransformationEvent cần đầu vào hoặc đầu ra (hoặc "
              "transformationID).",
              "A TransformationEvent needs inputs or outputs (or a transformationID).")
    if "transformationID" in event:
        c.uri("transformationID", event["transformationID"], "transformationID",
              "The transformationID")


def _check_transactions(c: _Checker, values: Any) -> None:
    if values is None:
        return
    if not isinstance(values, list):
        c.add("bizTransactionList", "Phải là danh sách.", "Must be a list.")
        return
    for n, item in enumerate(values):
        where = f"bizTransactionList/{n}"
        if not isinstance(item, Mapping) or "bizTransaction" not in item:
            c.add(where, "Mỗi giao dịch cần trường «bizTransaction» (một URI).",
                  "Each business transaction needs 'bizTransaction' (a URI).")
            continue
        c.uri(f"{where}/bizTransaction", item["bizTransaction"], "bizTransaction",
              "bizTransaction")
        if "type" in item and not _vocabulary_ok(item["type"], "BTT"):
            c.add(f"{where}/type", f"«{item['type']}» không phải loại giao dịch CBV (po, inv, "
                  "desadv…).", f"'{item['type']}' is not a CBV transaction type (po, inv, "
                  "desadv…).")


def _check_parties(c: _Checker, values: Any, list_name: str, member: str) -> None:
    if values is None:
        return
    if not isinstance(values, list):
        c.add(list_name, "Phải là danh sách.", "Must be a list.")
        return
    for n, item in enumerate(values):
        where = f"{list_name}/{n}"
        if not isinstance(item, Mapping) or member not in item or "type" not in item:
            c.add(where, f"Mỗi phần tử cần «type» và «{member}».",
                  f"Each element needs 'type' and '{member}'.")
            continue
        c.identifier(f"{where}/{member}", item[member], member, member)
        if not _vocabulary_ok(item["type"], "SDT"):
            c.add(f"{where}/type", "type phải là owning_party, possessing_party, location hoặc "
                  "một URI riêng.",
                  "type must be owning_party, possessing_party, location or a private URI.")


def _check_persistent_disposition(c: _Checker, value: Any) -> None:
    if not isinstance(value, Mapping):
        c.add("persistentDisposition", "Phải là đối tượng {set, unset}.",
              "Must be an object {set, unset}.")
        return
    for key, items in value.items():
        if key not in ("set", "unset"):
            c.add(f"persistentDisposition/{key}", "Chỉ có «set» và «unset».",
                  "Only 'set' and 'unset' are allowed.")
        elif not isinstance(items, list) or not all(_vocabulary_ok(i, "Disp") for i in items):
            c.add(f"persistentDisposition/{key}", "Phải là danh sách disposition CBV.",
                  "Must be a list of CBV dispositions.")


def _check_error_declaration(c: _Checker, value: Any) -> None:
    if not isinstance(value, Mapping):
        c.add("errorDeclaration", "Phải là một đối tượng.", "Must be an object.")
        return
    c.time("errorDeclaration/declarationTime", value.get("declarationTime"))
    if "reason" in value and not _vocabulary_ok(value["reason"], "ER"):
        c.add("errorDeclaration/reason", "reason phải là did_not_occur, incorrect_data hoặc URI.",
              "reason must be did_not_occur, incorrect_data or a URI.")
    ids = value.get("correctiveEventIDs")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        c.add("errorDeclaration/correctiveEventIDs", "Phải là danh sách eventID.",
              "Must be a list of eventIDs.")


_SENSOR_ELEMENT_FIELDS: Final = _words("type sensorMetadata sensorReport")
_SENSOR_METADATA_FIELDS: Final = _words(
    "time startTime endTime deviceID deviceMetadata rawData dataProcessingMethod bizRules")
_SENSOR_REPORT_FIELDS: Final = _words(
    "type exception deviceID deviceMetadata rawData dataProcessingMethod time microorganism "
    "chemicalSubstance value component stringValue booleanValue hexBinaryValue uriValue "
    "minValue maxValue meanValue sDev percRank percValue uom coordinateReferenceSystem")


def _check_extensions(c: _Checker, where: str, value: Mapping[str, Any],
                      allowed: frozenset[str], deep: bool = False) -> None:
    """Fields other than the standard's are user extensions and need a namespace prefix
    ("ex:field"); ``deep`` checks the members of nested objects too (inside ilmd, every
    field is a user's)."""
    for key, member in value.items():
        if key in allowed or key.startswith("@"):
            continue
        if ":" not in key:
            c.add(f"{where}/{key}", f"Trường mở rộng «{key}» thiếu tiền tố không gian tên "
                  "(ví dụ «ex:" + key + "» với «ex» khai báo trong @context).",
                  f"The extension field '{key}' has no namespace prefix (e.g. 'ex:{key}' "
                  "with 'ex' declared in the @context).")
        elif deep and isinstance(member, Mapping):
            _check_extensions(c, f"{where}/{key}", member, frozenset(), deep=True)
        elif deep and isinstance(member, list):
            for n, item in enumerate(member):
                if isinstance(item, Mapping):
                    _check_extensions(c, f"{where}/{key}/{n}", item, frozenset(), deep=True)


def _check_sensors(c: _Checker, value: Any) -> None:
    if not isinstance(value, list):
        c.add("sensorElementList", "Phải là danh sách.", "Must be a list.")
        return
    for n, element in enumerate(value):
        where = f"sensorElementList/{n}"
        if not isinstance(element, Mapping):
            c.add(where, "Phải là một đối tượng.", "Must be an object.")
            continue
        _check_extensions(c, where, element, _SENSOR_ELEMENT_FIELDS)
        reports = element.get("sensorReport")
        if not isinstance(reports, list) or not reports:
            c.add(f"{where}/sensorReport", "Cần danh sách sensorReport không rỗng.",
                  "A non-empty sensorReport list is required.")
            continue
        metadata = element.get("sensorMetadata")
        if metadata is not None:
            if not isinstance(metadata, Mapping):
                c.add(f"{where}/sensorMetadata", "Phải là một đối tượng.", "Must be an object.")
            else:
                _check_extensions(c, f"{where}/sensorMetadata", metadata,
                                  _SENSOR_METADATA_FIELDS)
                for key in ("time", "startTime", "endTime"):
                    if key in metadata:
                        c.time(f"{where}/sensorMetadata/{key}", metadata[key])
        for m, report in enumerate(reports):
            at = f"{where}/sensorReport/{m}"
            if not isinstance(report, Mapping):
                c.add(at, "Phải là một đối tượng.", "Must be an object.")
                continue
            _check_extensions(c, at, report, _SENSOR_REPORT_FIELDS)
            for key in ("value", "minValue", "maxValue", "meanValue", "sDev", "percRank",
                        "percValue"):
                if key in report:
                    c.number(f"{at}/{key}", report[key])
            if "time" in report:
                c.time(f"{at}/time", report["time"])
            if "uom" in report and (not isinstance(report["uom"], str) or not _UOM.match(
                report["uom"]
            )):
                c.add(f"{at}/uom", "Đơn vị phải là mã UN/CEFACT, ví dụ CEL (°C).",
                      "The unit must be a UN/CEFACT code, e.g. CEL (°C).")


def document_events(document: Any) -> list[Any]:
    """The events of an EPCISDocument or EPCISQueryDocument; raises on a malformed document."""
    if not isinstance(document, Mapping):
        raise validation_error([Issue("", "Tài liệu EPCIS phải là một đối tượng JSON.",
                                      "An EPCIS document must be a JSON object.")])
    kind = document.get("type")
    if kind not in ("EPCISDocument", "EPCISQueryDocument"):
        raise validation_error([Issue("/type", "type phải là EPCISDocument hoặc "
                                      "EPCISQueryDocument.",
                                      "type must be EPCISDocument or EPCISQueryDocument.")])
    body = document.get("epcisBody")
    events: Any = None
    if isinstance(body, Mapping):
        if kind == "EPCISDocument":
            events = body.get("eventList")
            if events is None and "event" in body:
                events = [body["event"]]
        else:
            results = body.get("queryResults")
            if isinstance(results, Mapping) and isinstance(results.get("resultsBody"), Mapping):
                events = results["resultsBody"].get("eventList")
    if not isinstance(events, list):
        raise validation_error([Issue("/epcisBody/eventList", "Thiếu danh sách sự kiện "
                                      "epcisBody.eventList.",
                                      "epcisBody.eventList (the list of events) is missing.")])
    return events


def event_list_pointer(document: Mapping[str, Any]) -> str:
    if document.get("type") == "EPCISQueryDocument":
        return "/epcisBody/queryResults/resultsBody/eventList"
    body = document.get("epcisBody")
    if isinstance(body, Mapping) and "eventList" not in body and "event" in body:
        return "/epcisBody/event"
    return "/epcisBody/eventList"


def validate_document(document: Any) -> list[Any]:
    """The events of a valid document; raises :class:`EpcisError` naming every wrong field."""
    events = document_events(document)
    context = document.get("@context")
    issues: list[Issue] = []
    if context is None:
        issues.append(Issue("/@context", "Thiếu @context (ngữ cảnh JSON-LD của EPCIS 2.0).",
                            "@context (the EPCIS 2.0 JSON-LD context) is missing."))
    base = event_list_pointer(document)
    for n, event in enumerate(events):
        pointer = base if base.endswith("/event") else f"{base}/{n}"
        issues.extend(validate_event(event, pointer))
    if issues:
        raise validation_error(issues)
    return events


def document_namespaces(context: Any) -> dict[str, str]:
    """The namespace prefixes a document's ``@context`` defines (``{"ex": "https://…/"}``)."""
    out: dict[str, str] = {}
    items = context if isinstance(context, list) else [context]
    for item in items:
        if isinstance(item, Mapping):
            for key, value in item.items():
                if isinstance(value, str) and not key.startswith("@") and ":" not in key:
                    out[key] = value
    return out


# ------------------------------------------------------------------------------------------
# What a repository indexes


@dataclass
class IndexedEvent:
    """The queryable fields of one valid event (identifiers normalised, CBV names short)."""

    event_type: str
    event_time: dt.datetime
    offset: str
    action: str | None
    biz_step: str | None
    disposition: str | None
    read_point: str | None
    biz_location: str | None
    transformation_id: str | None
    has_error_declaration: bool
    # (field, value, kind): field is epc, parentID, childEPC, inputEPC, outputEPC, epcClass,
    # childEPCClass, inputEPCClass, outputEPCClass, bizTransaction, source or destination;
    # kind is the transaction or source/destination type.
    refs: list[tuple[str, str, str | None]] = field(default_factory=list)


_REF_FIELDS: Final = {
    "epcList": "epc", "childEPCs": "childEPC", "inputEPCList": "inputEPC",
    "outputEPCList": "outputEPC", "quantityList": "epcClass",
    "childQuantityList": "childEPCClass", "inputQuantityList": "inputEPCClass",
    "outputQuantityList": "outputEPCClass",
}


def index_event(event: Mapping[str, Any]) -> IndexedEvent:
    """The fields of a valid event that queries filter on."""
    time = parse_time(event["eventTime"])
    assert time is not None
    refs: list[tuple[str, str, str | None]] = []
    seen: set[tuple[str, str, str | None]] = set()

    def add(name: str, value: str, kind: str | None = None) -> None:
        ref = (name, normalise_id(value), kind)
        if ref not in seen:
            seen.add(ref)
            refs.append(ref)

    for list_name, name in _REF_FIELDS.items():
        for item in event.get(list_name) or ():
            add(name, item["epcClass"] if isinstance(item, Mapping) else item)
    if "parentID" in event:
        add("parentID", event["parentID"])
    for tx in event.get("bizTransactionList") or ():
        kind = cbv_short(tx["type"], "BTT") if "type" in tx else None
        add("bizTransaction", tx["bizTransaction"], kind)
    for list_name, member in (("sourceList", "source"), ("destinationList", "destination")):
        for item in event.get(list_name) or ():
            add(member, item[member], cbv_short(item["type"], "SDT"))

    def place(name: str) -> str | None:
        value = event.get(name)
        return normalise_id(value["id"]) if isinstance(value, Mapping) else None

    return IndexedEvent(
        event_type=event["type"],
        event_time=time.astimezone(dt.UTC),
        offset=event["eventTimeZoneOffset"],
        action=event.get("action"),
        biz_step=cbv_short(event["bizStep"], "BizStep") if "bizStep" in event else None,
        disposition=cbv_short(event["disposition"], "Disp") if "disposition" in event else None,
        read_point=place("readPoint"),
        biz_location=place("bizLocation"),
        transformation_id=event.get("transformationID"),
        has_error_declaration="errorDeclaration" in event,
        refs=refs,
    )


def lineage_edges(event: Mapping[str, Any], event_key: str) -> list[tuple[str, str, str]]:
    """The (upstream, downstream, kind) edges an event adds to the lineage graph.

    A transformation links every input to a node standing for the transformation (its
    transformationID, or the event itself) and that node to every output, so that many inputs
    and many outputs cost n + m edges and events sharing a transformationID form one
    transformation. An aggregation or association ADD links each child to its parent (the
    contents travel with the container). Object and transaction events move or observe the
    same objects and add no edge.
    """
    edges: list[tuple[str, str, str]] = []
    kind = event.get("type")
    if kind == "TransformationEvent":
        node = "tx:" + (event.get("transformationID") or event_key)
        inputs = [*(event.get("inputEPCList") or ()),
                  *(q["epcClass"] for q in event.get("inputQuantityList") or ())]
        outputs = [*(event.get("outputEPCList") or ()),
                   *(q["epcClass"] for q in event.get("outputQuantityList") or ())]
        edges.extend((normalise_id(i), node, "input") for i in dict.fromkeys(inputs))
        edges.extend((node, normalise_id(o), "output") for o in dict.fromkeys(outputs))
    elif kind in ("AggregationEvent", "AssociationEvent") and event.get("action") == "ADD":
        parent = event.get("parentID")
        if parent:
            children = [*(event.get("childEPCs") or ()),
                        *(q["epcClass"] for q in event.get("childQuantityList") or ())]
            label = "aggregation" if kind == "AggregationEvent" else "association"
            edges.extend((normalise_id(c), normalise_id(parent), label)
                         for c in dict.fromkeys(children))
    return edges


def canonical_json(value: Any) -> str:
    """The stored text of an event: sorted keys, no spaces, UTF-8 (the Merkle leaf data)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
