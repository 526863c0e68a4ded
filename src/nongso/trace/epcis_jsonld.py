"""The EPCIS 2.0 JSON-LD context, built in, and just enough JSON-LD 1.1 expansion to find the
values the reference implementation of the CBV 2.0 event hash treats as CBV terms.

The event hash (``trace/event_hash.py``) expands a document as ``epcis-event-hash-generator``
does with pyld: every value of the expanded document that is a CBV or GS1 Web Vocabulary IRI
(``https://ref.gs1.org/cbv/BizStep-shipping``…) is collected, and each bare string that is the
tail of exactly one of them ("shipping") is replaced by it. Only what that needs is
implemented: term definitions, prefixes, ``@vocab``, type coercion to ``@id``/``@vocab``,
scoped and protected contexts. Remote contexts are never fetched: the EPCIS 2.0 context
(ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld) is built in, any other context URL
contributes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["EPCIS_CONTEXT_URL", "expanded_vocabulary_values", "replace_bare_strings"]

EPCIS_CONTEXT_URL: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
"""The EPCIS 2.0 JSON-LD context; an event without ``@context`` is read against it."""

_EPCIS_CONTEXT_URLS: Final = frozenset(
    {
        EPCIS_CONTEXT_URL,
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    }
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


def expanded_vocabulary_values(document: Mapping[str, Any]) -> frozenset[str]:
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


def replace_bare_strings(value: Any, vocabulary: frozenset[str]) -> Any:
    """Replace each string that ends exactly one vocabulary IRI after "-" or "/" by that IRI."""
    if isinstance(value, str):
        matches = [iri for iri in vocabulary if iri.endswith(("-" + value, "/" + value))]
        return matches[0] if len(matches) == 1 else value
    if isinstance(value, list):
        return [replace_bare_strings(item, vocabulary) for item in value]
    if isinstance(value, dict | Mapping):
        return {key: replace_bare_strings(item, vocabulary) for key, item in value.items()}
    return value
