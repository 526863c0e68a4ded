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

The canonicalisation rules and the normaliser's patterns follow the reference implementation,
Copyright 2019-2023 Ralph Troeger and Sebastian Schmittner, MIT licence.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final

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

EPCIS_CONTEXT_URL: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
"""The EPCIS 2.0 JSON-LD context; an event without ``@context`` is read against it."""

_EPCIS_CONTEXT_URLS: Final = frozenset(
    {
        EPCIS_CONTEXT_URL,
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    }
)

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
    document = _replace_bare_strings(document, _expanded_vocabulary_values(document))
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
# The EPCIS 2.0 JSON-LD context (ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld)


def _words(text: str) -> list[str]:
    return text.split()


def _terms(prefix: str, names: str) -> dict[str, str]:
    return {name: prefix + name for name in _words(names)}


_BIZ_STEPS: Final = _terms(
    "cbv:BizStep-",
    "accepting arriving assembling collecting commissioning consigning creating_class_instance "
    "cycle_counting decommissioning departing destroying disassembling dispensing encoding "
    "entering_exiting holding inspecting installing killing loading other packing picking "
    "receiving removing repackaging repairing replacing reserving retail_selling sampling "
    "sensor_reporting shipping staging_outbound stock_taking stocking storing transporting "
    "unloading unpacking void_shipping",
)
_DISPOSITIONS: Final = _terms(
    "cbv:Disp-",
    "active available completeness_verified completeness_inferred conformant container_closed "
    "container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit "
    "inactive mismatch_instance mismatch_class mismatch_quantity needs_replacement "
    "no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved "
    "retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable unknown",
)
_SOURCE_DESTINATION_TYPES: Final = _terms("cbv:SDT-", "owning_party possessing_party location")
_BIZ_TRANSACTION_TYPES: Final = _terms(
    "cbv:BTT-", "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt"
)
_MEASUREMENT_TYPES: Final = _terms(
    "gs1:",
    "AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude "
    "AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum "
    "AngularVelocity Area Capacitance Conductance Conductivity Count Density Dimensionless "
    "DoseEquivalent DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent "
    "ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force Frequency Illuminance "
    "Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance LuminousFlux "
    "LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass "
    "MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy "
    "MolarMass MolarVolume Power Pressure RadiantFlux RadiantIntensity RelativeHumidity "
    "Resistance Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension "
    "Temperature Time Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux "
    "Wavenumber",
)
_COMPONENTS: Final = _terms(
    "cbv:Comp-",
    "x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting "
    "northing latitude longitude altitude",
)


def _typed(iri: str, coercion: str) -> dict[str, str]:
    return {"@id": iri, "@type": coercion}


def _ids(names: str) -> dict[str, dict[str, str]]:
    return {name: _typed(f"epcis:{name}", "@id") for name in names.split()}


def _literals(names: str, coercion: str) -> dict[str, dict[str, str]]:
    return {name: _typed(f"epcis:{name}", coercion) for name in names.split()}


def _vocab(iri: str, terms: dict[str, str]) -> dict[str, Any]:
    return {"@context": terms, "@id": iri, "@type": "@vocab"}


def _scoped(iri: str, context: Any) -> dict[str, Any]:
    return {"@id": iri, "@container": "@set", "@context": context}


_SCOPE_HEAD: Final = {"@protected": True, "epcis": "https://ref.gs1.org/epcis/"}
_SOURCE_DESTINATION_TYPE: Final = {
    "@id": "epcis:sourceOrDestinationType",
    "@type": "@vocab",
    "@context": _SOURCE_DESTINATION_TYPES,
}
_DOUBLE: Final = "xsd:double"

_EPCIS_CONTEXT: Final[dict[str, Any]] = {
    "@protected": True,
    "@version": 1.1,
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "id": "@id",
    "type": "@type",
    "baseURL": "@base",
    **_terms("epcis:", "ObjectEvent AggregationEvent TransformationEvent AssociationEvent"),
    "TransactionEvent": "epcis:TransactionEvent",
    "Collection": "epcis:Collection",
    "member": {"@id": "rdfs:member", "@type": "@id", "@container": "@set"},
    **_literals("eventTime recordTime", "xsd:dateTimeStamp"),
    "eventTimeZoneOffset": "epcis:eventTimeZoneOffset",
    "action": "epcis:action",
    "certificationInfo": {"@id": "epcis:certificationInfo", "@type": "@id", "@container": "@set"},
    "bizStep": _vocab("epcis:bizStep", _BIZ_STEPS),
    "disposition": _vocab("epcis:disposition", _DISPOSITIONS),
    **_ids("bizLocation readPoint transformationID"),
    "epcList": {"@id": "epcis:epcList", "@type": "@id", "@container": "@set"},
    "sourceList": _scoped(
        "epcis:sourceList",
        {**_SCOPE_HEAD, "source": _typed("epcis:sourceOrDestination", "@id"),
         "type": _SOURCE_DESTINATION_TYPE},
    ),
    "destinationList": _scoped(
        "epcis:destinationList",
        {**_SCOPE_HEAD, "destination": _typed("epcis:sourceOrDestination", "@id"),
         "type": _SOURCE_DESTINATION_TYPE},
    ),
    "persistentDisposition": _scoped(
        "epcis:persistentDisposition",
        [
            _DISPOSITIONS,
            {
                **_SCOPE_HEAD,
                "set": {"@id": "epcis:set", "@type": "@vocab", "@container": "@set"},
                "unset": {"@id": "epcis:unset", "@type": "@vocab", "@container": "@set"},
            },
        ],
    ),
    "quantity": _typed("epcis:quantity", _DOUBLE),
    "epcClass": _typed("epcis:epcClass", "@id"),
    "uom": "epcis:uom",
    "quantityList": {"@id": "epcis:quantityList", "@container": "@set"},
    "bizTransactionList": _scoped(
        "epcis:bizTransactionList",
        {
            **_SCOPE_HEAD,
            "bizTransaction": "@id",
            "type": _vocab("epcis:bizTransactionType", _BIZ_TRANSACTION_TYPES),
        },
    ),
    "parentID": _typed("epcis:parentID", "@id"),
    "childEPCs": {"@id": "epcis:childEPCs", "@type": "@id", "@container": "@set"},
    "childQuantityList": {"@id": "epcis:childQuantityList", "@container": "@set"},
    "inputEPCList": {"@id": "epcis:inputEPCList", "@container": "@set", "@type": "@id"},
    "outputEPCList": {"@id": "epcis:outputEPCList", "@container": "@set", "@type": "@id"},
    "inputQuantityList": {"@id": "epcis:inputQuantityList", "@container": "@set"},
    "outputQuantityList": {"@id": "epcis:outputQuantityList", "@container": "@set"},
    "sensorElementList": _scoped(
        "epcis:sensorElementList",
        {
            **_SCOPE_HEAD,
            **_ids("deviceID deviceMetadata rawData dataProcessingMethod"),
            "time": _typed("epcis:time", "xsd:dateTimeStamp"),
            "type": "@type",
            "sensorMetadata": {
                "@id": "epcis:sensorMetadata",
                "@context": {
                    **_SCOPE_HEAD,
                    **_literals("startTime endTime", "xsd:dateTimeStamp"),
                    **_ids("bizRules"),
                },
            },
            "sensorReport": {
                "@id": "epcis:sensorReport",
                "@context": {
                    **_SCOPE_HEAD,
                    "type": _vocab("epcis:measurementType", _MEASUREMENT_TYPES),
                    "exception": _vocab(
                        "epcis:exception", _terms("gs1:", "ALARM_CONDITION ERROR_CONDITION")
                    ),
                    **_ids("coordinateReferenceSystem microorganism chemicalSubstance"),
                    "time": _typed("epcis:time", "xsd:dateTimeStamp"),
                    "value": _typed("epcis:value", _DOUBLE),
                    "component": _vocab("epcis:component", _COMPONENTS),
                    "stringValue": "epcis:stringValue",
                    "booleanValue": _typed("epcis:booleanValue", "xsd:boolean"),
                    "hexBinaryValue": _typed("epcis:hexBinaryValue", "xsd:hexBinary"),
                    **_ids("uriValue"),
                    **_literals("minValue maxValue meanValue sDev percRank percValue", _DOUBLE),
                },
            },
        },
    ),
    "errorDeclaration": {
        "@id": "epcis:errorDeclaration",
        "@context": {
            **_SCOPE_HEAD,
            "reason": _vocab(
                "epcis:reason", _terms("cbv:ER-", "did_not_occur incorrect_data")
            ),
            "correctiveEventIDs": {
                "@id": "epcis:correctiveEventIDs", "@type": "@id", "@container": "@set"
            },
            "declarationTime": _typed("epcis:declarationTime", "xsd:dateTimeStamp"),
        },
    },
    "eventID": "@id",
    "creationDate": _typed("dcterms:created", "xsd:dateTime"),
    "sender": _typed("epcis:sender", "xsd:string"),
    "receiver": _typed("epcis:receiver", "xsd:string"),
    "instanceIdentifier": "epcis:instanceIdentifier",
    "schemaVersion": "owl:versionInfo",
    "ilmd": {"@id": "epcis:ilmd"},
    **_terms(
        "epcis:",
        "EPCISDocument EPCISQueryDocument epcisHeader masterData vocabularyList epcisBody "
        "queryResults subscriptionID queryName resultsBody",
    ),
    "eventList": {"@id": "epcis:eventList"},
    "children": {"@id": "epcis:children", "@container": "@set", "@type": "@id"},
}


# ------------------------------------------------------------------------------------------
# Just enough JSON-LD 1.1 expansion to find the values the reference treats as CBV terms


_KEYWORDS: Final = frozenset(
    _words(
        "@base @container @context @direction @graph @id @import @included @index @json "
        "@language @list @nest @none @prefix @propagate @protected @reverse @set @type @value "
        "@version @vocab"
    )
)
_KEYWORD_LIKE: Final = re.compile(r"^@[a-zA-Z]+$")
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_PREFIX_IRI_END: Final = re.compile(r".*[:/\?#\[\]@]$")
_VOCABULARY_PREFIXES: Final = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")


@dataclass(frozen=True)
class _Term:
    iri: str | None
    coercion: str | None = None
    scoped: Any = None
    prefix: bool = False


@dataclass(frozen=True)
class _Context:
    terms: Mapping[str, _Term]
    vocab: str | None = None
    # Contexts derived from this one, by the identity of the local context applied (a
    # document applies the same scoped contexts once per event; this keeps it linear).
    derived: dict[int, tuple[Any, _Context]] = field(
        default_factory=dict, compare=False, repr=False
    )


def _expand_iri(
    terms: Mapping[str, _Term],
    vocab_iri: str | None,
    value: str,
    *,
    vocab: bool,
    define: Callable[[str], None] | None = None,
) -> str | None:
    """JSON-LD IRI expansion; ``None`` for a value that stays relative (never a CBV value)."""
    if value in _KEYWORDS:
        return value
    if _KEYWORD_LIKE.match(value):
        return None
    if define is not None:
        define(value)
    if vocab and value in terms:
        return terms[value].iri
    colon = value.find(":")
    if colon > 0:
        prefix, suffix = value[:colon], value[colon + 1 :]
        if prefix == "_" or suffix.startswith("//"):
            return value
        if define is not None:
            define(prefix)
        term = terms.get(prefix)
        if term is not None and term.iri is not None and term.prefix:
            return term.iri + suffix
        if _ABSOLUTE_IRI.match(value):
            return value
    if vocab and vocab_iri is not None:
        return vocab_iri + value
    return None


def _apply_context(active: _Context, local: Any) -> _Context:
    cached = active.derived.get(id(local))
    if cached is not None and cached[0] is local:
        return cached[1]
    result = _apply_context_uncached(active, local)
    active.derived[id(local)] = (local, result)
    return result


def _apply_context_uncached(active: _Context, local: Any) -> _Context:
    items = local if isinstance(local, list) else [local]
    context = active
    for item in items:
        if item is None:
            context = _Context({})
        elif isinstance(item, str):
            if item in _EPCIS_CONTEXT_URLS:
                context = _apply_context_object(context, _EPCIS_CONTEXT)
        elif isinstance(item, Mapping):
            context = _apply_context_object(context, item)
    return context


def _apply_context_object(active: _Context, local: Mapping[str, Any]) -> _Context:
    terms = dict(active.terms)
    vocab_iri = active.vocab
    if "@vocab" in local:
        raw = local["@vocab"]
        vocab_iri = (
            _expand_iri(terms, vocab_iri, raw, vocab=True) or raw if isinstance(raw, str) else None
        )
    defined: set[str] = set()

    def define(term: str) -> None:
        if term in defined or term not in local or term.startswith("@"):
            return
        defined.add(term)
        definition = _term_definition(term, local[term], terms, vocab_iri, define)
        if definition is not None:
            terms[term] = definition

    for term in local:
        define(term)
    return _Context(terms, vocab_iri)


def _term_definition(
    term: str,
    value: Any,
    terms: Mapping[str, _Term],
    vocab_iri: str | None,
    define: Callable[[str], None],
) -> _Term | None:
    if value is None:
        return _Term(None)
    simple = isinstance(value, str)
    if simple:
        value = {"@id": value}
    if not isinstance(value, Mapping):
        return None
    iri: str | None
    prefix = False
    raw_id = value.get("@id", term)
    if raw_id is None:
        iri = None
    elif not isinstance(raw_id, str) or (raw_id not in _KEYWORDS and _KEYWORD_LIKE.match(raw_id)):
        return None
    elif raw_id != term:
        iri = _expand_iri(terms, vocab_iri, raw_id, vocab=True, define=define) or raw_id
        prefix = (
            simple
            and ":" not in term
            and (iri.startswith("_:") or _PREFIX_IRI_END.match(iri) is not None)
        )
    elif ":" in term[1:]:
        iri = _expand_iri(terms, vocab_iri, term, vocab=False, define=define)
    else:
        iri = None if vocab_iri is None else vocab_iri + term
    if isinstance(value.get("@prefix"), bool):
        prefix = value["@prefix"]
    coercion = value.get("@type")
    return _Term(
        iri,
        coercion if isinstance(coercion, str) else None,
        value.get("@context"),
        prefix,
    )


def _expanded_vocabulary_values(document: Mapping[str, Any]) -> frozenset[str]:
    """The CBV and GS1 Web Vocabulary IRIs among the values of the expanded document."""
    found: set[str] = set()
    if "@context" in document:
        root = _root_context(document["@context"])
        _collect_node({k: v for k, v in document.items() if k != "@context"}, root, found)
    else:
        _collect_node(document, _Context({}), found)
    return frozenset(value for value in found if value.startswith(_VOCABULARY_PREFIXES))


_ROOT_CONTEXTS: dict[str, _Context] = {}


def _root_context(local: Any) -> _Context:
    """The context of a document's top-level ``@context``, reused across documents.

    Documents of one client repeat the same ``@context``; keeping its processed form (and the
    scoped contexts derived from it) makes hashing a stream of documents linear.
    """
    try:
        key = json.dumps(local, sort_keys=True)
    except (TypeError, ValueError):
        return _apply_context(_Context({}), local)
    context = _ROOT_CONTEXTS.get(key)
    if context is None or len(context.derived) > 512:
        if len(_ROOT_CONTEXTS) > 64:
            _ROOT_CONTEXTS.clear()
        context = _apply_context(_Context({}), local)
        _ROOT_CONTEXTS[key] = context
    return context


def _collect_node(node: Mapping[str, Any], context: _Context, found: set[str]) -> None:
    if "@context" in node:
        context = _apply_context(context, node["@context"])
    for key, value in node.items():
        if key == "@context":
            continue
        term = context.terms.get(key)
        keyword = key if key in _KEYWORDS else None
        if keyword is None and term is not None and term.iri in _KEYWORDS:
            keyword = term.iri
        if keyword is not None:
            _collect_keyword(keyword, value, context, found)
            continue
        iri = _expand_iri(context.terms, context.vocab, key, vocab=True)
        if iri is None or not _ABSOLUTE_IRI.match(iri):
            continue
        if term is not None and term.scoped is not None:
            context_of_value = _apply_context(context, term.scoped)
        else:
            context_of_value = context
        _collect_value(value, context_of_value, context_of_value.terms.get(key), found)


def _collect_keyword(keyword: str, value: Any, context: _Context, found: set[str]) -> None:
    if keyword in ("@id", "@type"):
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                expanded = _expand_iri(
                    context.terms, context.vocab, item, vocab=keyword == "@type"
                )
                if expanded is not None:
                    found.add(expanded)
    elif keyword == "@value" and isinstance(value, str):
        found.add(value)
    elif keyword in ("@graph", "@included", "@list", "@set"):
        _collect_value(value, context, None, found)
    elif keyword == "@nest" and isinstance(value, Mapping):
        _collect_node(value, context, found)


def _collect_value(value: Any, context: _Context, term: _Term | None, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect_value(item, context, term, found)
    elif isinstance(value, dict | Mapping):
        if "@value" in value:
            _collect_keyword("@value", value["@value"], context, found)
        elif "@list" in value or "@set" in value:
            for key in ("@list", "@set"):
                _collect_value(value.get(key), context, term, found)
        else:
            _collect_node(value, context, found)
    elif isinstance(value, str):
        coercion = term.coercion if term is not None else None
        if coercion in ("@id", "@vocab"):
            expanded = _expand_iri(context.terms, context.vocab, value, vocab=coercion == "@vocab")
        else:
            expanded = value
        if expanded is not None:
            found.add(expanded)


def _replace_bare_strings(value: Any, vocabulary: frozenset[str]) -> Any:
    """Replace each string that ends exactly one vocabulary IRI after "-" or "/" by that IRI."""
    if isinstance(value, str):
        matches = [iri for iri in vocabulary if iri.endswith(("-" + value, "/" + value))]
        return matches[0] if len(matches) == 1 else value
    if isinstance(value, list):
        return [_replace_bare_strings(item, vocabulary) for item in value]
    if isinstance(value, dict | Mapping):
        return {key: _replace_bare_strings(item, vocabulary) for key, item in value.items()}
    return value


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


# ------------------------------------------------------------------------------------------
# GS1 identifiers → constrained canonical GS1 Digital Link URIs (the reference's normaliser)


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
