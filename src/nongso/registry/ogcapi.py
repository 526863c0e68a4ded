"""OGC API – Features adapter (``/ogcapi``): Part 1 Core with GeoJSON and HTML, its own OpenAPI
3.0 definition, and Part 3 filtering with CQL2 text.

Only what is really applied is declared in ``/conformance``: ``bbox`` (spatial index, then an
exact intersection test), ``datetime`` (the features' validity interval ``valid_from`` –
``valid_to``), ``limit`` with absolute ``next`` links (``cursor``: keyset paging in id order;
a ``bbox`` query on SQLite pages in the R*Tree's order, so that its first page never waits
for every candidate of a dense box), property
filters (``?crop=mango``: every queryable is a query parameter), ``filter`` in CQL2 text
(comparisons, ``AND``/``OR``/``NOT``, ``LIKE``/``BETWEEN``/``IN``, ``IS NULL``, ``S_INTERSECTS``
and the other basic spatial predicates with any geometry literal, anywhere in the expression).
A parameter the API does not define is refused with 400, never ignored. ``numberMatched`` is
given only when it costs nothing (the whole result fits in the first page).

Anonymous callers get public properties only (no farmer, no phone numbers).

The collections are :class:`~nongso.registry.providers.CollectionProvider` objects from the
provider registry (:mod:`nongso.registry.providers`): the registry's own tables and whatever
other domains publish through :mod:`nongso.wiring`. This module knows no table: it parses and
checks the request, asks the provider, and renders GeoJSON, JSON, HTML and the OpenAPI
definition.
"""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from nongso.core import clock
from nongso.core.deps import UowDep
from nongso.core.http import page_language, request_language
from nongso.registry import cql
from nongso.registry import services as _services  # noqa: F401  (publishes the registry's collections)
from nongso.registry.messages import KIND_LABELS, label, property_rows
from nongso.registry.providers import (
    CollectionProvider,
    FeatureRecord,
    ItemsQuery,
    get_provider,
    providers,
)
from nongso.web.render import render

router = APIRouter(prefix="/ogcapi", include_in_schema=False)

CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON: Final = "application/geo+json"
JSON_TYPE: Final = "application/json"
HTML: Final = "text/html"
OPENAPI_TYPE: Final = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_TYPE: Final = "application/schema+json"
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 10_000

CONFORMANCE: Final = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
]
ITEM_PARAMETERS: Final = frozenset({"f", "lang", "bbox", "datetime", "limit", "cursor", "filter",
                                    "filter-lang", "filter-crs"})
_CRS84_NAMES: Final = {CRS84.lower(), "http://www.opengis.net/def/crs/epsg/0/4326"}


# --- helpers ----------

def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogcapi"


def _wants_html(request: Request) -> bool:
    f = request.query_params.get("f")
    if f is not None:
        if f == "html":
            return True
        if f in ("json", "geojson"):
            return False
        raise cql.ParameterError(
            f"Định dạng f={f[:20]} không hỗ trợ (json, html).",
            f"Format f={f[:20]} is not supported (json, html).", parameter="f")
    return HTML in request.headers.get("accept", "")


def _check_params(request: Request, allowed: frozenset[str]) -> None:
    unknown = sorted(k for k in request.query_params if k not in allowed)
    if unknown:
        raise cql.ParameterError(
            f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
            f"Unsupported query parameter(s): {', '.join(unknown)}.", parameter=unknown[0])


def _link(href: str, rel: str, type_: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def _json(body: Any, media_type: str = JSON_TYPE) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), media_type=media_type)


def _lang(request: Request) -> str:
    """HTML pages are Vietnamese first (like every page); JSON follows Accept-Language."""
    return page_language(request) if _wants_html(request) else request_language(request)


# --- landing, api, conformance ----------

@router.get("")
@router.get("/")
def landing(request: Request) -> Response:
    _check_params(request, frozenset({"f", "lang"}))
    base = _base(request)
    lang = _lang(request)
    from nongso.core.i18n import translate

    body = {
        "title": translate("ogc.title", lang),
        "description": translate("ogc.description", lang),
        "links": [
            _link(f"{base}?f=json", "self", JSON_TYPE, "This document"),
            _link(f"{base}?f=html", "alternate", HTML, "This document as HTML"),
            _link(f"{base}/api", "service-desc", OPENAPI_TYPE, "The API definition"),
            _link(f"{base}/api?f=html", "service-doc", HTML, "The API documentation"),
            _link(f"{base}/conformance", "conformance", JSON_TYPE, "Conformance classes"),
            _link(f"{base}/collections", "data", JSON_TYPE, "Collections"),
        ],
    }
    if _wants_html(request):
        return render(request, "registry/ogc_landing.html", {"doc": body, "base": base})
    return _json(body)


@router.get("/conformance")
def conformance(request: Request) -> Response:
    _check_params(request, frozenset({"f", "lang"}))
    body = {"conformsTo": CONFORMANCE}
    if _wants_html(request):
        return render(request, "registry/ogc_conformance.html", {"classes": CONFORMANCE})
    return _json(body)


@router.get("/api")
def api_definition(request: Request) -> Response:
    _check_params(request, frozenset({"f", "lang"}))
    doc = openapi_document(_base(request))
    if _wants_html(request):
        return render(request, "registry/ogc_api.html", {"doc": doc,
                                                         "text": json.dumps(doc, indent=2,
                                                                            ensure_ascii=False)})
    return _json(doc, OPENAPI_TYPE)


# --- collections ----------

def _collection_doc(request: Request, uow: UowDep, coll: CollectionProvider) -> dict[str, Any]:
    base = _base(request)
    lang = _lang(request)
    box, span = coll.extent(uow)
    extent: dict[str, Any] = {"spatial": {
        "bbox": [[round(box.min_lon, 6), round(box.min_lat, 6), round(box.max_lon, 6),
                  round(box.max_lat, 6)]] if box else [[102.1, 8.1, 117.9, 23.4]],
        "crs": CRS84}}
    if coll.temporal:
        extent["temporal"] = {
            "interval": [[f"{span[0].isoformat()}T00:00:00Z" if span[0] else None,
                          f"{span[1].isoformat()}T23:59:59Z" if span[1] else None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    href = f"{base}/collections/{coll.id}"
    return {
        "id": coll.id,
        "title": coll.title(lang),
        "description": coll.description(lang),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": extent,
        "links": [
            _link(href, "self", JSON_TYPE, coll.title(lang)),
            _link(f"{href}?f=html", "alternate", HTML, coll.title(lang)),
            _link(f"{href}/items", "items", GEOJSON, "Items (GeoJSON)"),
            _link(f"{href}/items?f=html", "items", HTML, "Items (HTML)"),
            _link(f"{href}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                  SCHEMA_TYPE, "Queryables"),
        ],
    }


@router.get("/collections")
def collections(request: Request, uow: UowDep) -> Response:
    _check_params(request, frozenset({"f", "lang"}))
    base = _base(request)
    body = {
        "links": [_link(f"{base}/collections", "self", JSON_TYPE, "Collections"),
                  _link(f"{base}/collections?f=html", "alternate", HTML, "Collections")],
        "collections": [_collection_doc(request, uow, c) for c in providers()],
    }
    if _wants_html(request):
        return render(request, "registry/ogc_collections.html", {"doc": body})
    return _json(body)


@router.get("/collections/{collection_id}")
def collection(collection_id: str, request: Request, uow: UowDep) -> Response:
    _check_params(request, frozenset({"f", "lang"}))
    coll = get_provider(collection_id)
    body = _collection_doc(request, uow, coll)
    if _wants_html(request):
        return render(request, "registry/ogc_collection.html",
                      {"doc": body, "coll": coll, "queryables": coll.queryables})
    return _json(body)


def queryables_schema(base: str, coll: CollectionProvider, lang: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "geometry": {"title": "Hình học" if lang == "vi" else "Geometry",
                     "format": coll.geometry_format,
                     "x-ogc-role": "primary-geometry"},
    }
    for q in coll.queryables:
        schema: dict[str, Any] = {"title": q.title_vi if lang == "vi" else q.title_en}
        if q.type == "date":
            schema.update(type="string", format="date")
        else:
            schema["type"] = q.type
        if q.enum:
            schema["enum"] = list(q.enum)
        properties[q.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{coll.id}/queryables",
        "type": "object",
        "title": coll.title(lang),
        "properties": properties,
        "additionalProperties": False,
    }


@router.get("/collections/{collection_id}/queryables")
def queryables(collection_id: str, request: Request) -> Response:
    _check_params(request, frozenset({"f", "lang"}))
    coll = get_provider(collection_id)
    body = queryables_schema(_base(request), coll, _lang(request))
    if _wants_html(request):
        return render(request, "registry/ogc_queryables.html", {"doc": body, "coll": coll})
    return _json(body, SCHEMA_TYPE)


# --- items ----------

def _int_param(request: Request, name: str, low: int, high: int, default: int | None
               ) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise cql.ParameterError(
            f"{name} phải là số nguyên từ {low} đến {high}.",
            f"{name} must be an integer from {low} to {high}.", parameter=name)
    return value


def _items_query(request: Request, coll: CollectionProvider) -> ItemsQuery:
    names = {q.name for q in coll.queryables}
    _check_params(request, ITEM_PARAMETERS | names)
    params = request.query_params
    lang = params.get("filter-lang")
    if lang is not None and lang != "cql2-text":
        raise cql.ParameterError(
            f"filter-lang={lang[:30]} không hỗ trợ (chỉ cql2-text).",
            f"filter-lang={lang[:30]} is not supported (only cql2-text).",
            parameter="filter-lang")
    crs = params.get("filter-crs")
    if crs is not None and crs.strip().lower() not in _CRS84_NAMES:
        raise cql.ParameterError(
            "filter-crs chỉ hỗ trợ CRS84 (kinh độ, vĩ độ WGS 84).",
            "filter-crs supports only CRS84 (WGS 84 longitude, latitude).",
            parameter="filter-crs")
    raw_datetime = params.get("datetime")
    after, offset = _cursor(params.get("cursor"))
    bbox = cql.parse_bbox(params["bbox"]) if "bbox" in params else None
    return ItemsQuery(
        bbox=bbox,
        interval=cql.parse_datetime_interval(raw_datetime) if raw_datetime else None,
        filter=params.get("filter") or None,
        equals={k: v for k, v in params.items() if k in names},
        limit=_int_param(request, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT) or DEFAULT_LIMIT,
        after=after, offset=offset,
    )


def _cursor(raw: str | None) -> tuple[int | None, int | None]:
    """The paging token of a next link: ``<id>`` (after that id) or ``o<n>`` (from row n)."""
    if raw is None:
        return None, None
    text = raw[1:] if raw.startswith("o") else raw
    if not text.isdigit() or len(text) > 18:
        raise cql.ParameterError(
            "cursor không hợp lệ: hãy dùng đúng liên kết «next».",
            "Invalid cursor: follow the 'next' link as given.", parameter="cursor")
    return (None, int(text)) if raw.startswith("o") else (int(text), None)


def _feature_doc(base: str, coll: CollectionProvider, f: FeatureRecord) -> dict[str, Any]:
    href = f"{base}/collections/{coll.id}/items/{f.id}"
    doc: dict[str, Any] = {
        "type": "Feature", "id": f.id, "geometry": f.geometry, "properties": f.properties,
        "links": [_link(href, "self", GEOJSON, "This feature"),
                  _link(f"{href}?f=html", "alternate", HTML, "This feature as HTML"),
                  _link(f"{base}/collections/{coll.id}", "collection", JSON_TYPE,
                        "The collection")],
    }
    if f.bbox:
        doc["bbox"] = [round(v, 7) for v in f.bbox]
    return doc


@router.get("/collections/{collection_id}/items")
def items(collection_id: str, request: Request, uow: UowDep) -> Response:
    coll = get_provider(collection_id)
    q = _items_query(request, coll)
    html = _wants_html(request)
    page = coll.items(uow, q)
    base = _base(request)
    href = f"{base}/collections/{coll.id}/items"
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "f")]
    own = urlencode(params)
    links = [
        _link(f"{href}?{urlencode([*params, ('f', 'json')])}", "self", GEOJSON, "This page"),
        _link(f"{href}?{urlencode([*params, ('f', 'html')])}", "alternate", HTML,
              "This page as HTML"),
        _link(f"{base}/collections/{coll.id}", "collection", JSON_TYPE, "The collection"),
    ]
    cursor = (f"o{page.next_offset}" if page.next_offset is not None
              else str(page.next_after) if page.next_after is not None else None)
    if cursor is not None:
        nxt = urlencode([*params, ("cursor", cursor)])
        links.append(_link(f"{href}?{nxt}", "next", GEOJSON, "Next page"))
        links.append(_link(f"{href}?{nxt}&f=html", "next", HTML, "Next page (HTML)"))
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [_feature_doc(base, coll, f) for f in page.features],
        "links": links,
        "timeStamp": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberReturned": len(page.features),
    }
    if page.number_matched is not None:
        body["numberMatched"] = page.number_matched
    if html:
        lang = _lang(request)
        return render(request, "registry/ogc_items.html", {
            "doc": body, "coll": coll, "own_query": own, "lang": lang,
            "kind_label": lambda code: label(KIND_LABELS, code, lang),
            "geojson": json.dumps({"type": "FeatureCollection", "features": [
                {"type": "Feature", "id": f.id, "geometry": f.geometry,
                 "properties": {"name": f.properties.get("name")}} for f in page.features]},
                ensure_ascii=False),
        })
    return _json(body, GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id}")
def item(collection_id: str, feature_id: str, request: Request, uow: UowDep) -> Response:
    _check_params(request, frozenset({"f", "lang"}))
    coll = get_provider(collection_id)
    record = coll.item(uow, feature_id)
    doc = _feature_doc(_base(request), coll, record)
    if _wants_html(request):
        lang = _lang(request)
        return render(request, "registry/ogc_item.html", {
            "doc": doc, "coll": coll, "rows": property_rows(doc["properties"], lang),
            "geojson": json.dumps(doc["geometry"], ensure_ascii=False),
            "record_href": coll.record_href(record.id),
        })
    return _json(doc, GEOJSON)


# --- the OpenAPI 3.0 definition -------------------------------------------------------------------

def openapi_document(base: str) -> dict[str, Any]:
    """The OpenAPI 3.0.3 definition of ``/ogcapi`` (what the ``oas30`` class requires)."""
    def param(name: str, schema: dict[str, Any], description: str,
              style: str | None = None, explode: bool | None = None) -> dict[str, Any]:
        p: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema,
                             "description": description}
        if style:
            p["style"] = style
        if explode is not None:
            p["explode"] = explode
        return p

    f_param = param("f", {"type": "string", "enum": ["json", "html"]},
                    "The format of the response (default: JSON, or HTML for browsers)")
    common = [f_param, param("lang", {"type": "string", "enum": ["vi", "en"]}, "Language")]
    ok_json = {"200": {"description": "OK", "content": {JSON_TYPE: {}, HTML: {}}},
               "400": {"description": "Bad request",
                       "content": {"application/problem+json": {}}}}
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage",
                      "parameters": common, "responses": ok_json}},
        "/api": {"get": {"summary": "This API definition", "operationId": "getAPI",
                         "parameters": common,
                         "responses": {"200": {"description": "OK",
                                               "content": {OPENAPI_TYPE: {}, HTML: {}}}}}},
        "/conformance": {"get": {"summary": "Conformance classes",
                                 "operationId": "getConformance", "parameters": common,
                                 "responses": ok_json}},
        "/collections": {"get": {"summary": "Collections", "operationId": "getCollections",
                                 "parameters": common, "responses": ok_json}},
    }
    for coll in providers():
        path = f"/collections/{coll.id}"
        title_en = coll.title("en")
        properties = [
            param(q.name, {"type": "string", "format": "date"} if q.type == "date"
                  else ({"type": q.type, "enum": list(q.enum)} if q.enum else {"type": q.type}),
                  f"Only features whose '{q.name}' equals this value")
            for q in coll.queryables
        ]
        items_params = [
            param("bbox", {"type": "array", "minItems": 4, "maxItems": 6,
                           "items": {"type": "number"}},
                  "minLon,minLat,maxLon,maxLat (CRS84): features whose geometry intersects",
                  style="form", explode=False),
            param("datetime", {"type": "string"},
                  "Instant or interval (RFC 3339, '..' open): features valid then "
                  "(valid_from – valid_to)"),
            param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                            "default": DEFAULT_LIMIT}, "Page size"),
            param("cursor", {"type": "string", "pattern": "^o?[0-9]{1,18}$"},
                  "Opaque paging token taken from a 'next' link"),
            param("filter", {"type": "string"}, "CQL2 text filter"),
            param("filter-lang", {"type": "string", "enum": ["cql2-text"],
                                  "default": "cql2-text"}, "Filter language"),
            param("filter-crs", {"type": "string", "enum": [CRS84], "default": CRS84},
                  "CRS of the geometries in the filter"),
            *common, *properties,
        ]
        paths[path] = {"get": {"summary": title_en, "operationId": f"describe_{coll.id}",
                               "parameters": common, "responses": ok_json}}
        paths[f"{path}/queryables"] = {"get": {
            "summary": f"Queryables of {title_en}", "operationId": f"queryables_{coll.id}",
            "parameters": common,
            "responses": {"200": {"description": "OK", "content": {SCHEMA_TYPE: {}, HTML: {}}}}}}
        paths[f"{path}/items"] = {"get": {
            "summary": f"Features of {title_en}", "operationId": f"items_{coll.id}",
            "parameters": items_params,
            "responses": {"200": {"description": "A page of features",
                                  "content": {GEOJSON: {}, HTML: {}}},
                          "400": {"description": "Bad parameter",
                                  "content": {"application/problem+json": {}}}}}}
        paths[f"{path}/items/{{featureId}}"] = {"get": {
            "summary": f"One feature of {title_en}", "operationId": f"item_{coll.id}",
            "parameters": [{"name": "featureId", "in": "path", "required": True,
                            "schema": {"type": "integer"}}, *common],
            "responses": {"200": {"description": "The feature",
                                  "content": {GEOJSON: {}, HTML: {}}},
                          "404": {"description": "Not found",
                                  "content": {"application/problem+json": {}}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Nông Số — OGC API – Features", "version": "1.0.0",
                 "description": "The registry and digital agriculture map of the province.",
                 "license": {"name": "Apache-2.0"}},
        "servers": [{"url": base}],
        "paths": paths,
    }
