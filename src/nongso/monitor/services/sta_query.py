"""SensorThings reads: the service document and ``GET`` on any resource path with its
query options (``$filter``, ``$expand``, ``$select``, ``$orderby``, ``$top``, ``$skip``,
``$count``, ``$ref``, ``$value``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nongso.core.uow import UnitOfWork
from nongso.monitor import odata, sta
from nongso.monitor.services._common import StaAnswer, _context


def service_root(base: str, mqtt_endpoint: str | None) -> dict[str, Any]:
    """The SensorThings service document (1.1: with ``serverSettings``)."""
    conformance = [
        "http://www.opengis.net/spec/iot_sensing/1.1/req/core",
        "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
        "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
        "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
    ]
    settings: dict[str, Any] = {"conformance": conformance}
    if mqtt_endpoint:
        conformance.append(
            "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/"
            "observations-creation")
        settings["http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-"
                 "mqtt/observations-creation"] = {"endpoints": [mqtt_endpoint]}
    return {
        "value": [{"name": name, "url": f"{base}/{name}"} for name in sta.ENTITY_SETS],
        "serverSettings": settings,
    }


def sta_read(uow: UnitOfWork, path: str, params: Mapping[str, str], base: str) -> StaAnswer:
    """GET any SensorThings resource path with its query options."""
    resource = sta.parse_path(path)
    opts = odata.parse_options(params)
    with uow:
        s = uow.session
        ctx = _context(uow, base)
        target = sta.resolve_target(s, resource, uow.principal)
        if resource.ref:
            if target.single:
                return StaAnswer({"@iot.selfLink": ctx.link(target.es, target.key or 0)})
            ids, count, more = sta.entity_ids(s, target, opts, ctx)
            body: dict[str, Any] = {}
            if count is not None:
                body["@iot.count"] = count
            body["value"] = [{"@iot.selfLink": ctx.link(target.es, i)} for i in ids]
            if more:
                body["@iot.nextLink"] = _next_link(base, path, opts, ctx)
            return StaAnswer(body)
        if target.single:
            if resource.property is not None:
                _, doc = sta.read_entity(s, target, odata.QueryOptions(), ctx)
                value = doc.get(resource.property)
                if resource.value:
                    text = value if isinstance(value, str) else _json_text(value)
                    return StaAnswer(text, media_type="text/plain; charset=utf-8")
                return StaAnswer({resource.property: value})
            _, doc = sta.read_entity(s, target, opts, ctx)
            return StaAnswer(doc)
        docs, count, more = sta.read_collection(s, target, opts, ctx)
        body = {}
        if count is not None:
            body["@iot.count"] = count
        if more:
            body["@iot.nextLink"] = _next_link(base, path, opts, ctx)
        body["value"] = docs
        return StaAnswer(body)


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _next_link(base: str, path: str, opts: odata.QueryOptions, ctx: sta.RenderContext) -> str:
    top = sta.top_of(opts, ctx)
    query = sta.options_text(opts, top=top, skip=(opts.skip or 0) + top)
    return f"{base}/{path.strip('/')}?{query}"
