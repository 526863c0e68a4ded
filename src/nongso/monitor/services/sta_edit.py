"""SensorThings ``PATCH`` (merge or RFC 6902 JSON Patch), ``PUT`` and ``DELETE`` of one
entity: who may change it, an observation re-checked as ingestion would, the roll-ups and
the datastream's summary refreshed after a change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from nongso.core import clock
from nongso.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from nongso.core.permissions import require_login
from nongso.core.uow import UnitOfWork
from nongso.monitor import ingest as ingestion
from nongso.monitor import odata, payloads, sta, store
from nongso.monitor.ingest import SeriesIn
from nongso.monitor.models import (
    Datastream,
    Location,
    Observation,
    ObservedProperty,
    Thing,
    ThingLocation,
    to_epoch_us,
)
from nongso.monitor.services._common import StaAnswer, _communes, _context, _raise_for, can_write
from nongso.monitor.sta_write import (
    NAV_KEYS,
    Writer,
    apply_json_patch,
    can_manage_thing,
    editable,
    parse_body,
    require_catalogue_editor,
    require_manage,
    require_officer,
)


def _require_write(uow: UnitOfWork, es: sta.EntitySet, obj: Any) -> None:
    p = uow.principal
    s = uow.session
    match es.name:
        case "Things":
            require_manage(p, obj)
        case "Datastreams" | "HistoricalLocations":
            owner = s.get(Thing, obj.thing_id)
            assert owner is not None
            require_manage(p, owner)
        case "Locations":
            require_officer(p)
            for thing in s.scalars(select(Thing).join(
                    ThingLocation, ThingLocation.thing_id == Thing.id)
                    .where(ThingLocation.location_id == obj.id)):
                require_manage(p, thing)
        case "Observations":
            ds = s.get(Datastream, obj.datastream_id)
            assert ds is not None
            station = s.get(Thing, ds.thing_id)
            assert station is not None
            if not (can_manage_thing(p, station) or (
                    p.role == "device" and p.device_id == station.device_id)):
                require_manage(p, station)
        case _:
            require_catalogue_editor(p)


def sta_update(uow: UnitOfWork, path: str, body: Any, base: str, *, content_type: str = "",
               replace_all: bool = False) -> StaAnswer:
    """PATCH (merge, or RFC 6902 JSON Patch by content type) or PUT (replace)."""
    require_login(uow.principal)
    resource = sta.parse_path(path)
    with uow:
        s = uow.session
        target = sta.resolve_target(s, resource, uow.principal)
        if not target.single or resource.property is not None or resource.ref:
            raise ValidationFailed("Chỉ sửa được một thực thể.", "Only one entity can be updated.")
        es = target.es
        obj = s.get(es.model, target.key)
        if obj is None:
            raise NotFound(f"Không tìm thấy {es.singular}.", f"{es.singular} not found.")
        _require_write(uow, es, obj)
        if es.name == "Observations":
            _update_observation(uow, obj, body, content_type, replace_all)
        else:
            _update_entity(uow, es, obj, body, content_type, replace_all)
        uow.commit()
        ctx = _context(uow, base)
        _, doc = sta.read_entity(s, sta.Target(es, es.model.id == obj.id, True, obj.id),
                                 odata.QueryOptions(), ctx)
    return StaAnswer(doc)


def _merged(current: dict[str, Any], body: Any, content_type: str,
            replace_all: bool) -> dict[str, Any]:
    if "json-patch" in content_type:
        return apply_json_patch(current, body)
    if not isinstance(body, Mapping):
        raise ValidationFailed("Nội dung phải là một đối tượng JSON.", "The body must be a JSON "
                               "object.")
    if replace_all:
        return dict(body)
    return {**current, **body}


def _update_entity(uow: UnitOfWork, es: sta.EntitySet, obj: Any, body: Any, content_type: str,
                   replace_all: bool) -> None:
    from nongso.monitor.schemas import CREATE_MODELS, EntityRef

    s = uow.session
    writer = Writer(uow, clock.now(), _communes(uow))
    current = editable(es, obj)
    merged = _merged(current, body, content_type, replace_all)
    navs = {k: merged.pop(k) for k in NAV_KEYS.get(es.name, ()) if k in merged}
    for key in list(merged):
        if key not in current and key in sta.ENTITY_SETS.get(es.name, es).navs:
            raise ValidationFailed(f"Không sửa được liên kết «{key}» ở đây.",
                                   f"The link '{key}' cannot be changed here.",
                                   [FieldError(f"/{key}", "Không được phép", "Not allowed")])
    data = parse_body(CREATE_MODELS[es.name], merged)
    match es.name:
        case "Things":
            props = dict(data.properties or {})
            writer._apply_thing_extensions(obj, props, "")
            obj.name, obj.description, obj.properties = data.name, data.description, props or None
            require_manage(uow.principal, obj)
            writer._link_fields(obj)
            if "Locations" in navs:
                refs = [EntityRef.model_validate(r) for r in navs["Locations"]]
                locations = [writer._load(Location, r, f"/Locations/{i}")
                             for i, r in enumerate(refs)]
                writer._link_locations(obj, locations)
        case "Locations":
            lon = lat = None
            if data.encodingType in ("application/geo+json", "application/vnd.geo+json"):
                from nongso.monitor.sta_write import point_of

                lon, lat = point_of(data.location, "/location")
            obj.name, obj.description, obj.encoding_type = (data.name, data.description,
                                                            data.encodingType)
            obj.location, obj.lon, obj.lat, obj.properties = (data.location, lon, lat,
                                                              data.properties)
        case "HistoricalLocations":
            obj.time = data.time
        case "Datastreams":
            props = dict(data.properties or {})
            unit = props.pop("inputUnit", None)
            props.pop("conversion", None)
            obj.name, obj.description = data.name, data.description
            obj.unit_name = data.unitOfMeasurement.name
            obj.unit_symbol = data.unitOfMeasurement.symbol
            obj.unit_definition = data.unitOfMeasurement.definition
            obj.observation_type, obj.properties, obj.input_unit = (data.observationType,
                                                                    props or None, unit)
            for nav, column, model in (("Thing", "thing_id", Thing),
                                       ("Sensor", "sensor_id", sta.ENTITY_SETS["Sensors"].model),
                                       ("ObservedProperty", "observed_property_id",
                                        ObservedProperty)):
                if nav in navs:
                    ref = EntityRef.model_validate(navs[nav])
                    linked = writer._load(model, ref, f"/{nav}")
                    if nav == "Thing":
                        require_manage(uow.principal, linked)
                    setattr(obj, column, linked.id)
        case "Sensors":
            obj.name, obj.description, obj.encoding_type = (data.name, data.description,
                                                            data.encodingType)
            obj.sensor_metadata, obj.properties = data.metadata, data.properties
        case "ObservedProperties":
            props = dict(data.properties or {})
            obj.code = props.pop("code", obj.code)
            obj.name, obj.definition, obj.description = (data.name, data.definition,
                                                         data.description)
            obj.properties = props or None
        case "FeaturesOfInterest":
            obj.name, obj.description, obj.encoding_type = (data.name, data.description,
                                                            data.encodingType)
            obj.feature, obj.properties = data.feature, data.properties
    s.flush()


def _observation_doc(obj: Observation) -> dict[str, Any]:
    def iso_interval(a: dt.datetime | None, b: dt.datetime | None) -> str | None:
        if a is None:
            return None
        return sta.iso(a) if b is None else f"{sta.iso(a)}/{sta.iso(b)}"

    doc: dict[str, Any] = {
        "phenomenonTime": iso_interval(obj.phenomenon_time, obj.phenomenon_time_end),
        "result": obj.raw_result if obj.raw_result is not None else (
            obj.result if obj.result is not None else obj.result_json),
        "resultTime": sta.iso(obj.result_time),
        "parameters": obj.parameters,
        "Datastream": {"@iot.id": obj.datastream_id},
    }
    if obj.valid_time_start is not None:
        doc["validTime"] = iso_interval(obj.valid_time_start, obj.valid_time_end)
    if obj.feature_id is not None:
        doc["FeatureOfInterest"] = {"@iot.id": obj.feature_id}
    return {k: v for k, v in doc.items() if v is not None}


def _update_observation(uow: UnitOfWork, obj: Observation, body: Any, content_type: str,
                        replace_all: bool) -> None:
    """Re-check the changed observation as ingestion would; roll-ups follow."""
    s = uow.session
    merged = _merged(_observation_doc(obj), body, content_type, replace_all)
    now = clock.now()
    ds, start, result, extras, new_feature = payloads.parse_observation(merged, "", None, now)
    if new_feature is not None:
        raise ValidationFailed("Hãy liên kết FeatureOfInterest có sẵn bằng @iot.id.",
                               "Link an existing FeatureOfInterest by @iot.id.")
    infos = store.datastream_infos(s, [ds])
    info = infos.get(ds)
    if info is None or not can_write(uow.principal, info):
        raise PermissionDenied("Không được chuyển quan trắc sang Datastream này.",
                               "You may not move the observation to this Datastream.")
    to_db = store.time_converter(store.dialect_of(s))
    p = ingestion.prepare(SeriesIn(ds, [start], [result], [extras]), info, now, to_db)
    if p.rejected:
        _raise_for(p.rejected)
    old_ds, old_time = obj.datastream_id, obj.phenomenon_time
    row = p.rows[0]
    obj.datastream_id = ds
    obj.phenomenon_time = start
    obj.phenomenon_time_end = extras.phenomenon_end
    obj.result_time = extras.result_time
    obj.result, obj.result_json, obj.raw_result, obj.quality = row[4], row[5], row[6], row[7]
    obj.feature_id = row[8]
    obj.parameters = extras.parameters
    obj.valid_time_start, obj.valid_time_end = extras.valid_start, extras.valid_end
    try:
        s.flush()
    except IntegrityError:
        raise Conflict("Datastream đã có quan trắc tại thời điểm này.",
                       "The Datastream already has an observation at this time.") from None
    _refresh_after_change(uow, old_ds, old_time)
    _refresh_after_change(uow, ds, start)


def _refresh_after_change(uow: UnitOfWork, datastream_id: int, at: dt.datetime) -> None:
    s = uow.session
    hour = to_epoch_us(at) // ingestion.HOUR_US * ingestion.HOUR_US
    store.recompute_hours(s, datastream_id, hour, hour + ingestion.HOUR_US)
    vn, day = ingestion.VN_OFFSET_US, ingestion.DAY_US
    day0 = (hour + vn) // day * day - vn
    store.recompute_days(s, datastream_id, day0, day0 + day)
    o = Observation
    first, last, n = s.execute(
        select(func.min(o.phenomenon_time), func.max(o.phenomenon_time), func.count())
        .where(o.datastream_id == datastream_id)).one()
    latest = s.execute(
        select(o.phenomenon_time, o.result).where(
            o.datastream_id == datastream_id, o.quality == 0, o.result.is_not(None))
        .order_by(o.phenomenon_time.desc()).limit(1)).first()
    s.execute(update(Datastream).where(Datastream.id == datastream_id).values(
        phenomenon_time_start=first, phenomenon_time_end=last, observation_count=n,
        last_time=latest[0] if latest else None, last_result=latest[1] if latest else None))


def sta_delete(uow: UnitOfWork, path: str) -> None:
    require_login(uow.principal)
    resource = sta.parse_path(path)
    with uow:
        s = uow.session
        target = sta.resolve_target(s, resource, uow.principal)
        if not target.single or resource.property is not None or resource.ref:
            raise ValidationFailed("Chỉ xoá được một thực thể.", "Only one entity can be deleted.")
        es = target.es
        obj = s.get(es.model, target.key)
        if obj is None:
            raise NotFound(f"Không tìm thấy {es.singular}.", f"{es.singular} not found.")
        _require_write(uow, es, obj)
        if es.name == "Observations":
            ds, at = obj.datastream_id, obj.phenomenon_time
            s.delete(obj)
            s.flush()
            _refresh_after_change(uow, ds, at)
        else:
            s.delete(obj)
            s.flush()
        uow.commit()
