"""The query language of the EPCIS 2.0 REST bindings: URL parameters (``eventType``,
``GE_eventTime``, ``EQ_bizStep``, ``MATCH_epc``, ``EQ_bizTransaction_po``…, ``orderBy``,
``perPage``) → an :class:`EventQuery`, the page tokens of ``nextPageToken``, and the
EPCISQueryDocument that carries the results.

Pure functions; the repository runs the query (``trace/services/epcis_query.py``). Values are
normalised as the repository indexes them (``trace/epcis.py``): CBV short names, canonical
identifiers, EPC pattern URIs as prefixes. Errors are ``QueryParameterException`` in
Vietnamese and English, naming the parameter.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from nongso.trace.epcis import (
    ACTIONS,
    EPCIS_CONTEXT,
    EVENT_TYPES,
    EpcisError,
    Issue,
    cbv_short,
    normalise_id,
    parse_time,
)
from nongso.trace.gs1_canonical import canonical_gs1_uri

__all__ = ["EventQuery", "Match", "PageToken", "parse_query", "query_document"]


_LIST_PARAMS: Final = {
    "EQ_action": "action", "EQ_bizStep": "biz_step", "EQ_disposition": "disposition",
    "EQ_readPoint": "read_point", "EQ_bizLocation": "biz_location",
    "EQ_transformationID": "transformation_id", "EQ_eventID": "event_id",
}
_MATCH_PARAMS: Final[dict[str, tuple[str, ...]]] = {
    "MATCH_epc": ("epc", "childEPC"),
    "MATCH_parentID": ("parentID",),
    "MATCH_inputEPC": ("inputEPC",),
    "MATCH_outputEPC": ("outputEPC",),
    "MATCH_anyEPC": ("epc", "childEPC", "inputEPC", "outputEPC", "parentID"),
    "MATCH_epcClass": ("epcClass", "childEPCClass"),
    "MATCH_inputEPCClass": ("inputEPCClass",),
    "MATCH_outputEPCClass": ("outputEPCClass",),
    "MATCH_anyEPCClass": ("epcClass", "childEPCClass", "inputEPCClass", "outputEPCClass"),
}
_TIME_PARAMS: Final = ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime")
_OTHER_PARAMS: Final = frozenset((
    "eventType", "orderBy", "orderDirection", "eventCountLimit", "perPage", "nextPageToken",
    "EXISTS_errorDeclaration", "lang",
))


@dataclass(frozen=True)
class Match:
    """One MATCH_ or EQ_ reference filter: fields, the exact values and the value prefixes."""

    fields: tuple[str, ...]
    values: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    kind: str | None = None


@dataclass(frozen=True)
class EventQuery:
    event_types: tuple[str, ...] = ()
    times: tuple[tuple[str, dt.datetime], ...] = ()  # ("GE_eventTime", t), ...
    equals: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, values)
    matches: tuple[Match, ...] = ()
    exists_error_declaration: bool | None = None
    order_by: str | None = None  # "eventTime" | "recordTime"
    descending: bool = False
    event_count_limit: int | None = None
    per_page: int = 30

    def fingerprint(self) -> str:
        """A short hash of the filters, tying a page token to the query it came from."""
        text = repr((self.event_types, self.times, self.equals, self.matches,
                     self.exists_error_declaration, self.order_by, self.descending,
                     self.event_count_limit))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _query_error(name: str, vi: str, en: str) -> EpcisError:
    return EpcisError("QueryParameterException", 400,
                      f"Tham số truy vấn «{name}» không hợp lệ: {vi}",
                      f"The query parameter '{name}' is invalid: {en}",
                      [Issue(name, vi, en)])


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in (part.strip() for part in value.split("|")) if v)


def _match_values(values: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    exact: list[str] = []
    prefixes: list[str] = []
    for value in values:
        if value.startswith("urn:epc:idpat:"):
            canonical = canonical_gs1_uri(value)
            if canonical is None:  # a pattern we cannot normalise: match it as written
                prefixes.append(value.rstrip("*"))
            else:
                exact.append(canonical)
                prefixes.append(canonical + "/")
        elif value.endswith("*"):
            prefixes.append(normalise_id(value[:-1]) if value[:-1] else "")
        else:
            exact.append(normalise_id(value))
    return tuple(exact), tuple(p for p in prefixes if p)


def parse_query(
    params: Sequence[tuple[str, str]], *, max_per_page: int = 500,
    path_event_type: str | None = None,
) -> EventQuery:
    """An :class:`EventQuery` from the URL parameters (repeated parameters are OR-ed)."""
    merged: dict[str, list[str]] = {}
    for name, value in params:
        merged.setdefault(name, []).append(value)

    def values(name: str) -> tuple[str, ...]:
        out: list[str] = []
        for v in merged.get(name, []):
            out.extend(_split(v))
        return tuple(out)

    def single(name: str) -> str | None:
        found = merged.get(name)
        if not found:
            return None
        if len(found) > 1:
            raise _query_error(name, "chỉ được có một giá trị.", "it takes one value.")
        return found[0]

    event_types = values("eventType")
    for t in event_types:
        if t not in EVENT_TYPES:
            raise _query_error("eventType", f"«{t}» không phải loại sự kiện EPCIS.",
                               f"'{t}' is not an EPCIS event type.")
    if path_event_type is not None:
        if event_types and path_event_type not in event_types:
            raise EpcisError("QueryParameterException", 412,
                             "eventType trong truy vấn mâu thuẫn với loại sự kiện trên đường dẫn.",
                             "The eventType of the query contradicts the one in the path.")
        event_types = (path_event_type,)
    times: list[tuple[str, dt.datetime]] = []
    for name in _TIME_PARAMS:
        raw = single(name)
        if raw is not None:
            parsed = parse_time(raw)
            if parsed is None:
                raise _query_error(name, "phải là thời điểm ISO 8601 có múi giờ.",
                                   "it must be an ISO 8601 date-time with a time zone.")
            times.append((name, parsed.astimezone(dt.UTC)))
    equals: list[tuple[str, tuple[str, ...]]] = []
    for name, column in _LIST_PARAMS.items():
        wanted = values(name)
        if not wanted:
            continue
        if name == "EQ_bizStep":
            wanted = tuple(cbv_short(v, "BizStep") for v in wanted)
        elif name == "EQ_disposition":
            wanted = tuple(cbv_short(v, "Disp") for v in wanted)
        elif name in ("EQ_readPoint", "EQ_bizLocation"):
            wanted = tuple(normalise_id(v) for v in wanted)
        elif name == "EQ_action":
            for v in wanted:
                if v not in ACTIONS:
                    raise _query_error(name, "action là ADD, OBSERVE hoặc DELETE.",
                                       "action is ADD, OBSERVE or DELETE.")
        equals.append((column, wanted))
    matches: list[Match] = []
    for name, fields_ in _MATCH_PARAMS.items():
        wanted = values(name)
        if wanted:
            exact, prefixes = _match_values(wanted)
            matches.append(Match(fields_, exact, prefixes))
    for name in merged:
        for stem, field_name, vocabulary in (
            ("EQ_bizTransaction_", "bizTransaction", "BTT"),
            ("EQ_source_", "source", "SDT"),
            ("EQ_destination_", "destination", "SDT"),
        ):
            if name.startswith(stem) and len(name) > len(stem):
                kind = cbv_short(name[len(stem):], vocabulary)
                matches.append(Match((field_name,), tuple(normalise_id(v) for v in values(name)),
                                     (), kind))
    known = set(_LIST_PARAMS) | set(_MATCH_PARAMS) | set(_TIME_PARAMS) | _OTHER_PARAMS
    for name in merged:
        if name not in known and not name.startswith(
            ("EQ_bizTransaction_", "EQ_source_", "EQ_destination_")
        ):
            raise _query_error(name, "tham số này không được hỗ trợ.",
                               "this parameter is not supported.")
    exists = single("EXISTS_errorDeclaration")
    order_by = single("orderBy")
    if order_by is not None and order_by not in ("eventTime", "recordTime"):
        raise _query_error("orderBy", "chỉ sắp xếp theo eventTime hoặc recordTime.",
                           "only eventTime and recordTime are supported.")
    direction = (single("orderDirection") or "DESC").upper()
    if direction not in ("ASC", "DESC"):
        raise _query_error("orderDirection", "là ASC hoặc DESC.", "it is ASC or DESC.")

    def positive(name: str, default: int | None, maximum: int | None = None) -> int | None:
        raw = single(name)
        if raw is None:
            return default
        if not raw.isdigit() or int(raw) < 1:
            raise _query_error(name, "phải là số nguyên dương.", "it must be a positive integer.")
        if maximum is not None and int(raw) > maximum:
            raise _query_error(name, f"tối đa {maximum}.", f"the maximum is {maximum}.")
        return int(raw)

    per_page = positive("perPage", 30, max_per_page)
    assert per_page is not None
    return EventQuery(
        event_types=event_types,
        times=tuple(times),
        equals=tuple(equals),
        matches=tuple(matches),
        exists_error_declaration=None if exists is None else exists.lower() != "false",
        order_by=order_by,
        # EPCIS: without orderBy the order is unspecified (we use capture order); with it the
        # default direction is descending.
        descending=order_by is not None and direction == "DESC",
        event_count_limit=positive("eventCountLimit", None),
        per_page=per_page,
    )


@dataclass(frozen=True)
class PageToken:
    """Where the next page starts: the sort key of the last event returned and its row id."""

    fingerprint: str
    after_time: dt.datetime | None
    after_id: int
    returned: int

    def encode(self) -> str:
        text = json.dumps([self.fingerprint,
                           self.after_time.isoformat() if self.after_time else None,
                           self.after_id, self.returned], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, query: EventQuery) -> PageToken:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            fingerprint, after, after_id, returned = raw
            parsed = cls(str(fingerprint), dt.datetime.fromisoformat(after) if after else None,
                         int(after_id), int(returned))
        except (ValueError, TypeError) as exc:
            raise _query_error("nextPageToken", "mã trang không hợp lệ.",
                               "the page token is not valid.") from exc
        if parsed.fingerprint != query.fingerprint():
            raise _query_error("nextPageToken", "mã trang thuộc về một truy vấn khác.",
                               "the page token belongs to another query.")
        return parsed


def query_document(
    events: Sequence[Mapping[str, Any]], namespaces: Mapping[str, str],
    created: dt.datetime, query_name: str = "SimpleEventQuery",
) -> dict[str, Any]:
    """An EPCISQueryDocument (JSON-LD) holding ``events``."""
    context: list[Any] = [EPCIS_CONTEXT]
    if namespaces:
        context.append(dict(sorted(namespaces.items())))
    return {
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "epcisBody": {
            "queryResults": {
                "queryName": query_name,
                "resultsBody": {"eventList": list(events)},
            }
        },
    }
