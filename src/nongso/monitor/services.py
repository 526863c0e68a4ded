"""Use cases of monitoring: SensorThings, ingestion (HTTP, MQTT), devices, stations, series.

Every function opens the unit of work and commits; routes, the CLI and the MQTT bridge only
parse, call one of these and render. Ingestion publishes one ``ObservationsIngested`` event
per stored batch (the alerts domain listens), never one per reading.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from nongso.accounts import services as accounts
from nongso.accounts.schemas import DeviceCreate
from nongso.core import clock, events
from nongso.core.errors import (
    AppError,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    ValidationFailed,
    not_found,
)
from nongso.core.permissions import Principal, require_login, require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.monitor import ingest as ingestion
from nongso.monitor import mqtt_config, odata, payloads, runtime, sta, store
from nongso.monitor.config import monitor_settings
from nongso.monitor.ingest import DatastreamInfo, Prepared, Rejection, RowExtras, SeriesIn
from nongso.monitor.models import (
    QUALITY_NAMES,
    Datastream,
    FeatureOfInterest,
    Location,
    MqttCredential,
    Observation,
    ObservationDaily,
    ObservationHourly,
    ObservedProperty,
    Thing,
    ThingField,
    ThingLocation,
    to_epoch_us,
)
from nongso.monitor.ratelimit import RateLimiter
from nongso.monitor.schemas import (
    BridgeStatus,
    DeviceRegister,
    DeviceRegistered,
    FeatureOfInterestCreate,
    IngestReport,
    LatestValue,
    RejectionPublic,
    SeriesPoint,
    SeriesPublic,
    StationPublic,
)
from nongso.monitor.sta_write import (
    NAV_KEYS,
    Communes,
    Writer,
    apply_json_patch,
    can_manage_thing,
    editable,
    parse_body,
    require_catalogue_editor,
    require_manage,
    require_officer,
)
from nongso.registry import services as registry
from nongso.registry.schemas import FieldRef, LinkedRecord
from nongso.units import services as units

log = logging.getLogger("nongso.monitor")

# --------------------------------------------------------------------------------------------
# Ingestion


def can_write(p: Principal, info: DatastreamInfo) -> bool:
    """Whether the principal may add observations to the datastream."""
    if p.is_admin:
        return True
    if p.role == "device":
        return p.device_id is not None and info.device_id == p.device_id
    if p.role == "province_officer":
        return p.unit_code is not None and info.province_code == p.unit_code
    if p.role == "commune_officer":
        return p.unit_code is not None and info.commune_code == p.unit_code
    return False


@dataclass
class _Outcome:
    stored: int = 0
    duplicates: int = 0
    bad_quality: int = 0
    received: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    prepared: list[tuple[SeriesIn, Prepared]] = field(default_factory=list)


Allowed = Callable[[DatastreamInfo, SeriesIn], Rejection | None]


def _write_series(
    uow: UnitOfWork, series: Sequence[SeriesIn], allowed: Allowed, *, all_or_nothing: bool,
    now: dt.datetime,
) -> _Outcome:
    """Check, prepare and store a batch inside the open unit of work (no commit)."""
    s = uow.session
    out = _Outcome(received=sum(len(x.times) for x in series))
    infos = store.datastream_infos(s, (x.datastream_id for x in series))
    to_db = store.time_converter(store.dialect_of(s))
    ready: list[tuple[SeriesIn, DatastreamInfo]] = []
    for x in series:
        info = infos.get(x.datastream_id)
        if info is None:
            out.rejected.append(Rejection(
                x.loc or "/", "unknown_datastream",
                f"Không có luồng dữ liệu (Datastream) mã {x.datastream_id}.",
                f"There is no Datastream {x.datastream_id}.", x.datastream_id,
                count=len(x.times)))
            continue
        refused = allowed(info, x)
        if refused is not None:
            out.rejected.append(refused)
            continue
        ready.append((x, info))
    if all_or_nothing and out.rejected:
        _raise_for(out.rejected)
    prepared: list[Prepared] = []
    for x, info in ready:
        if info.default_feature_id is None:
            info = store.ensure_default_feature(s, info)
            infos[info.id] = info
        p = ingestion.prepare(x, info, now, to_db)
        out.rejected.extend(p.rejected)
        out.bad_quality += p.bad_quality
        prepared.append(p)
        out.prepared.append((x, p))
    if all_or_nothing and out.rejected:
        _raise_for(out.rejected)
    written = store.write(s, prepared)
    out.stored, out.duplicates = written.stored, written.duplicates
    good = [p for p in prepared if p.good and p.last_good_us is not None and p.first_us is not None]
    if good and written.stored:
        first = min(p.first_us for p in good if p.first_us is not None)
        last = max(p.last_us for p in good if p.last_us is not None)
        from nongso.monitor.models import from_epoch_us

        events.publish(uow, events.ObservationsIngested(
            datastream_ids=tuple(sorted({p.datastream_id for p in good})),
            first_time=from_epoch_us(first), last_time=from_epoch_us(last),
            count=written.stored,
        ))
    return out


def _raise_for(rejected: Sequence[Rejection]) -> None:
    forbidden = [r for r in rejected if r.code == "forbidden"]
    if forbidden:
        r = forbidden[0]
        raise PermissionDenied(r.message_vi, r.message_en,
                               [FieldError(r.loc or "/", r.message_vi, r.message_en)])
    errors = [FieldError(r.loc or "/", r.message_vi, r.message_en) for r in rejected[:100]]
    first = rejected[0]
    total = sum(r.count for r in rejected)
    raise ValidationFailed(
        f"{total} quan trắc bị từ chối, không lưu gì. Lỗi đầu tiên tại {first.loc or '/'}: "
        f"{first.message_vi}",
        f"{total} observation(s) refused; nothing was stored. First error at "
        f"{first.loc or '/'}: {first.message_en}",
        errors,
    )


def _principal_allowed(p: Principal) -> Allowed:
    def allowed(info: DatastreamInfo, x: SeriesIn) -> Rejection | None:
        if can_write(p, info):
            return None
        if p.role == "device":
            vi = (f"Thiết bị {p.username} không được gửi dữ liệu vào Datastream {info.id} "
                  "(luồng của thiết bị khác).")
            en = (f"Device {p.username} may not post to Datastream {info.id} "
                  "(it belongs to another device).")
        else:
            vi = f"Bạn không được ghi dữ liệu vào Datastream {info.id}."
            en = f"You may not write to Datastream {info.id}."
        return Rejection(x.loc or "/", "forbidden", vi, en, info.id, count=len(x.times))
    return allowed


def _rate_limit(p: Principal, limiter: RateLimiter | None) -> None:
    if limiter is None or p.role != "device":
        return
    key = f"device:{p.device_id}"
    if not limiter.allow(key):
        wait = limiter.retry_after(key)
        raise TooManyRequests(
            f"Thiết bị gửi quá nhiều yêu cầu; thử lại sau {wait} giây.",
            f"The device sends too many requests; retry in {wait} s.",
            extra={"retry_after": wait},
        )


def _report(out: _Outcome, lang: str = "vi") -> IngestReport:
    return IngestReport(
        received=out.received, stored=out.stored, duplicates=out.duplicates,
        bad_quality=out.bad_quality,
        rejected=[RejectionPublic(loc=r.loc, code=r.code,
                                  message=r.message_vi if lang == "vi" else r.message_en,
                                  datastream_id=r.datastream_id, device=r.device)
                  for r in out.rejected[:1000]],
    )


def ingest(uow: UnitOfWork, series: Sequence[SeriesIn], *, limiter: RateLimiter | None = None,
           lang: str = "vi") -> IngestReport:
    """Store a batch all or nothing: any refused reading (unknown or foreign datastream,
    future time, wrong type) refuses the batch and nothing is stored."""
    require_login(uow.principal)
    _rate_limit(uow.principal, limiter)
    with uow:
        out = _write_series(uow, series, _principal_allowed(uow.principal),
                            all_or_nothing=True, now=clock.now())
        uow.commit()
    return _report(out, lang)


def ingest_compact(uow: UnitOfWork, body: Any, *, limiter: RateLimiter | None = None,
                   lang: str = "vi") -> IngestReport:
    """``POST /api/v1/monitor/observations``: the compact batch, all or nothing."""
    series, problems = payloads.parse_compact(body)
    if problems:
        raise payloads.PayloadError(problems)
    return ingest(uow, series, limiter=limiter, lang=lang)


def create_observations(uow: UnitOfWork, body: Any, base: str, *,
                        limiter: RateLimiter | None = None) -> list[str]:
    """``POST CreateObservations`` (dataArray): one selfLink per row, or ``"error"`` for a
    row that was refused (a time in the future, a wrong result type); a readings sent again
    answers the selfLink of the one already stored. A body that cannot be read, an unknown
    or a foreign datastream refuses the whole request."""
    require_login(uow.principal)
    series = payloads.parse_data_array(body)
    _rate_limit(uow.principal, limiter)
    with uow:
        s = uow.session
        infos = store.datastream_infos(s, (x.datastream_id for x in series))
        unknown = [x for x in series if x.datastream_id not in infos]
        if unknown:
            raise ValidationFailed(
                f"Không có Datastream mã {unknown[0].datastream_id}.",
                f"There is no Datastream {unknown[0].datastream_id}.",
                [FieldError(x.loc.rsplit('/', 1)[0] + "/Datastream", "Không tồn tại",
                            "Does not exist") for x in unknown])
        out = _write_series(uow, series, _principal_allowed(uow.principal),
                            all_or_nothing=False, now=clock.now())
        forbidden = [r for r in out.rejected if r.code == "forbidden"]
        if forbidden:
            _raise_for(forbidden)
        links: list[str] = []
        for x, p in out.prepared:
            bad = {r.index for r in p.rejected}
            ok_times = [t for i, t in enumerate(x.times) if i not in bad]
            ids = store.ids_by_time(s, x.datastream_id, ok_times)
            for i, t in enumerate(x.times):
                if i in bad:
                    links.append("error")
                else:
                    links.append(f"{base}/Observations({ids[to_epoch_us(t)]})")
        uow.commit()
    return links


def _create_observation(uow: UnitOfWork, writer: Writer, body: Any, datastream_id: int | None,
                        feature_id: int | None, loc: str = "") -> int:
    """One STA Observation through the common ingestion path; returns its id."""
    now = clock.now()
    ds, start, result, extras, new_feature = payloads.parse_observation(
        body, loc, datastream_id, now)
    if feature_id is not None:
        extras = replace(extras, feature_id=feature_id)
    if new_feature is not None:
        feature = writer.feature(
            parse_body(FeatureOfInterestCreate, new_feature, f"{loc}/FeatureOfInterest"),
            f"{loc}/FeatureOfInterest")
        extras = replace(extras, feature_id=feature.id)
    if extras.feature_id is not None and uow.session.get(FeatureOfInterest,
                                                         extras.feature_id) is None:
        raise ValidationFailed("Không có FeatureOfInterest này.", "No such FeatureOfInterest.",
                               [FieldError(f"{loc}/FeatureOfInterest", "Không tồn tại",
                                           "Does not exist")])
    series = SeriesIn(ds, [start], [result], [extras], loc)
    _write_series(uow, [series], _principal_allowed(uow.principal), all_or_nothing=True,
                        now=now)
    ids = store.ids_by_time(uow.session, ds, [start])
    return ids[to_epoch_us(start)]


@dataclass(frozen=True)
class InboundMessage:
    """One MQTT message as the bridge received it."""

    topic: str
    payload: bytes


@dataclass
class MessagesOutcome:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    bad_quality: int = 0
    malformed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    # (device or topic, reason code, message en) of each refusal, for the log.
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def _topic_target(topic: str, prefix: str) -> tuple[str, str] | None:
    """("device", name) for ``nongso/{device}/obs``; ("datastream", id) for the STA topic."""
    if prefix and not topic.startswith(prefix):
        return None
    rest = topic[len(prefix):]
    parts = rest.split("/")
    if len(parts) == 3 and parts[0] == "nongso" and parts[2] == "obs" and parts[1]:
        return "device", parts[1]
    if len(parts) == 3 and parts[0] == "v1.1" and parts[2] == "Observations":
        seg = parts[1]
        if seg.startswith("Datastreams(") and seg.endswith(")") and seg[12:-1].isdigit():
            return "datastream", seg[12:-1]
    return None


def ingest_messages(uow: UnitOfWork, messages: Sequence[InboundMessage], *,
                    limiter: RateLimiter | None = None, prefix: str = "") -> MessagesOutcome:
    """A batch of MQTT messages, written together (one transaction, one event).

    A message that cannot be read is counted as malformed and logged with its device; a
    reading refused (unknown or foreign datastream, future time, wrong type, device over its
    rate) is counted by reason. Neither stops the others. On ``nongso/{device}/obs`` the
    device is the topic's (the broker's ACL lets only that device publish there) and it may
    only write its own datastreams; on ``v1.1/Datastreams({id})/Observations`` the broker's
    ACL decides who publishes, and the datastream's device is charged for the rate.
    """
    require_role(uow.principal, "admin")
    out = MessagesOutcome(received=len(messages))
    now = clock.now()
    with uow:
        s = uow.session
        parsed: list[tuple[str, str, Any]] = []
        for m in messages:
            target = _topic_target(m.topic, prefix)
            if target is None:
                out.malformed += 1
                out.problems.append((m.topic, "bad_topic", "not a platform topic"))
                continue
            try:
                parsed.append((target[0], target[1], payloads.decode_json(m.payload)))
            except payloads.PayloadError as exc:
                out.malformed += 1
                out.problems.append((target[1], exc.reason, exc.message_en))
        names = {name for kind, name, _ in parsed if kind == "device"}
        devices = accounts.devices_by_name(uow, names) if names else {}
        series: list[SeriesIn] = []
        owners: dict[int, int | None] = {}  # series index -> device id allowed (None: any)
        device_of_series: dict[int, str] = {}
        ds_ids = {int(name) for kind, name, _ in parsed if kind == "datastream"}
        ds_devices = dict(s.execute(
            select(Datastream.id, Thing.device_id).join(Thing, Thing.id == Datastream.thing_id)
            .where(Datastream.id.in_(ds_ids))).all()) if ds_ids else {}
        for kind, name, body in parsed:
            if kind == "device":
                device = devices.get(name)
                if device is None or not device.is_active:
                    out.rejected["unknown_device"] += 1
                    out.problems.append((name, "unknown_device", "unknown or inactive device"))
                    continue
                key = f"device:{device.id}"
                if limiter is not None and not limiter.allow(key):
                    out.rejected["rate_limited"] += 1
                    out.problems.append((name, "rate_limited", "over the device's rate"))
                    continue
                try:
                    got, problems = payloads.parse_compact(body)
                except payloads.PayloadError as exc:
                    out.malformed += 1
                    out.problems.append((name, exc.reason, exc.message_en))
                    continue
                for p in problems:
                    out.rejected[p.code] += 1
                    out.problems.append((name, p.code, f"{p.loc}: {p.message_en}"))
                for x in got:
                    owners[len(series)] = device.id
                    device_of_series[len(series)] = name
                    series.append(x)
            else:
                ds = int(name)
                owner = ds_devices.get(ds)
                label = f"datastream {ds}"
                if limiter is not None and not limiter.allow(
                        f"device:{owner}" if owner else f"datastream:{ds}"):
                    out.rejected["rate_limited"] += 1
                    out.problems.append((label, "rate_limited", "over the device's rate"))
                    continue
                try:
                    ds_id, start, result, extras, new_feature = payloads.parse_observation(
                        body, "", ds, now)
                    if new_feature is not None:
                        raise payloads.PayloadError([payloads.Problem(
                            "/FeatureOfInterest", "unsupported",
                            "Tạo FeatureOfInterest qua MQTT chưa được hỗ trợ.",
                            "Creating a FeatureOfInterest over MQTT is not supported.")])
                except payloads.PayloadError as exc:
                    out.malformed += 1
                    out.problems.append((label, exc.reason, exc.message_en))
                    continue
                owners[len(series)] = None
                device_of_series[len(series)] = label
                series.append(SeriesIn(ds_id, [start], [result], [extras], ""))
        index_of = {id(x): i for i, x in enumerate(series)}

        def allowed(info: DatastreamInfo, x: SeriesIn) -> Rejection | None:
            i = index_of[id(x)]
            owner = owners[i]
            if owner is None or info.device_id == owner:
                return None
            return Rejection(x.loc, "forbidden", "Datastream của thiết bị khác.",
                             f"Datastream {info.id} belongs to another device.", info.id,
                             device_of_series[i], count=len(x.times))

        result = _write_series(uow, series, allowed, all_or_nothing=False, now=now)
        label_of = {x.datastream_id: device_of_series[i] for i, x in enumerate(series)}
        for r in result.rejected:
            out.rejected[r.code] += r.count
            who = r.device or label_of.get(r.datastream_id or 0, "?")
            out.problems.append((who, r.code, f"{r.loc}: {r.message_en}"))
        out.stored, out.duplicates = result.stored, result.duplicates
        out.bad_quality = result.bad_quality
        uow.commit()
    return out


# --------------------------------------------------------------------------------------------
# SensorThings API


@dataclass(frozen=True)
class StaAnswer:
    body: Any
    status: int = 200
    location: str | None = None
    media_type: str = "application/json"


def _context(uow: UnitOfWork, base: str) -> sta.RenderContext:
    ms = monitor_settings()
    return sta.RenderContext(base, uow.principal, ms.sta_default_top, ms.sta_max_top)


_COMMUNES: dict[str, Communes] = {}


def _communes(uow: UnitOfWork) -> Communes:
    code = get_settings().province_code
    provinces = {code}
    if uow.principal.province_code:
        provinces.add(uow.principal.province_code)
    key = ",".join(sorted(provinces))
    found = _COMMUNES.get(key)
    if found is None:
        found = Communes()
        for province in sorted(provinces):
            for c in units.communes_of_province(uow, province):
                found.by_code[c.code] = (c.province_code, c.lat, c.lon)
        _COMMUNES[key] = found
    return found


def _all_communes_known(uow: UnitOfWork, code: str) -> Communes:
    found = _communes(uow)
    if code and code not in found.by_code:
        try:
            c = units.require_commune(uow, code)
            found.by_code[c.code] = (c.province_code, c.lat, c.lon)
        except AppError:
            pass
    return found


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


def sta_create(uow: UnitOfWork, path: str, body: Any, base: str) -> StaAnswer:
    """POST on a collection path (with deep insert); answers 201 with ``Location``."""
    require_login(uow.principal)
    resource = sta.parse_path(path)
    if resource.property is not None or resource.ref:
        raise ValidationFailed("Không tạo được thực thể tại đường dẫn này.",
                               "Cannot create an entity at this path.")
    with uow:
        s = uow.session
        target = sta.resolve_target(s, resource, uow.principal)
        if target.single:
            raise ValidationFailed("POST phải gửi vào một tập thực thể, không phải một thực thể.",
                                   "POST goes to a collection, not to one entity.")
        now = clock.now()
        writer = Writer(uow, now, _all_communes_known(uow, _commune_hint(body)))
        es = target.es
        if es.name == "Observations":
            ds_id = feature_id = None
            if target.parent is not None:
                pes, pid, _ = target.parent
                if pes.name == "Datastreams":
                    ds_id = pid
                elif pes.name == "FeaturesOfInterest":
                    feature_id = pid
            new_id = _create_observation(uow, writer, body, ds_id, feature_id)
        else:
            created = writer.create(es.name, body, target.parent)
            new_id = created.id
            for ds_id, observations, loc in created.observations:
                for n, obs in enumerate(observations):
                    _create_observation(uow, writer, obs, ds_id, None, f"{loc}/{n}")
        uow.commit()
        ctx = _context(uow, base)
        _, doc = sta.read_entity(s, sta.Target(es, sta.ENTITY_SETS[es.name].model.id == new_id,
                                               True, new_id), odata.QueryOptions(), ctx)
    return StaAnswer(doc, 201, ctx.link(es, new_id))


def _commune_hint(body: Any) -> str:
    if isinstance(body, Mapping):
        props = body.get("properties")
        if isinstance(props, Mapping) and isinstance(props.get("communeCode"), str):
            return str(props["communeCode"])
    return ""


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


# --------------------------------------------------------------------------------------------
# Devices and the MQTT configuration


def register_device(uow: UnitOfWork, data: DeviceRegister) -> DeviceRegistered:
    """Create a device (its key shown once), store its MQTT password hash and link it to its
    Things; the officer must manage every Thing."""
    require_officer(uow.principal)
    prefix = monitor_settings().mqtt_topic_prefix
    with uow:
        s = uow.session
        things = []
        for thing_id in data.thing_ids:
            thing = s.get(Thing, thing_id)
            if thing is None:
                raise ValidationFailed(
                    f"Không có Thing mã {thing_id}.", f"There is no Thing {thing_id}.",
                    [FieldError("thing_ids", "Không tồn tại", "Does not exist")])
            require_manage(uow.principal, thing)
            things.append(thing)
        device = accounts.create_device(uow, DeviceCreate(
            name=data.name, unit_code=data.unit_code, organisation_id=data.organisation_id))
        s.add(MqttCredential(device_id=device.id, username=device.name,
                             password_hash=mqtt_config.mosquitto_hash(device.api_key)))
        for thing in things:
            thing.device_id = device.id
        s.flush()
        ds_ids = list(s.scalars(select(Datastream.id).where(
            Datastream.thing_id.in_([t.id for t in things])).order_by(Datastream.id)))
        uow.commit()
    topics = [mqtt_config.device_topic(device.name, prefix)] + [
        mqtt_config.datastream_topic(i, prefix) for i in ds_ids]
    return DeviceRegistered(id=device.id, name=device.name, api_key=device.api_key,
                            mqtt_username=device.name, thing_ids=[t.id for t in things],
                            topics=topics)


_BRIDGE_STAFF = ("province_officer", "commune_officer", "inspector")


def bridge_status(principal: Principal) -> BridgeStatus:
    """The state of this process's MQTT bridge (``off`` when none runs), for the pages: the
    broker's address, client id and topics for signed-in staff only, the state for others."""
    status = runtime.bridge_status()
    if principal.is_admin or principal.role in _BRIDGE_STAFF:
        return status
    return BridgeStatus(state=status.state)


def bridge_details(principal: Principal) -> BridgeStatus:
    """The MQTT bridge in full (broker, client id, counters): signed-in staff only."""
    require_role(principal, *_BRIDGE_STAFF)
    return runtime.bridge_status()


@dataclass(frozen=True)
class MqttConfigFiles:
    passwd: str
    acl: str
    conf: str
    devices_without_password: list[str]


def mqtt_configuration(uow: UnitOfWork, platform_password: str, directory: str,
                       port: int = 1883) -> MqttConfigFiles:
    """The broker's password file, ACL and configuration for every registered device."""
    require_role(uow.principal, "admin")
    prefix = monitor_settings().mqtt_topic_prefix
    with uow:
        s = uow.session
        creds = list(s.scalars(select(MqttCredential).order_by(MqttCredential.username)))
        ds_by_device: dict[int, list[int]] = {}
        for device_id, ds_id in s.execute(
            select(Thing.device_id, Datastream.id).join(Datastream,
                                                        Datastream.thing_id == Thing.id)
            .where(Thing.device_id.is_not(None))
        ):
            if device_id is not None:
                ds_by_device.setdefault(device_id, []).append(ds_id)
        with_creds = {c.device_id for c in creds}
        missing = [d.name for d in accounts.all_devices(uow) if d.id not in with_creds]
        devices = [mqtt_config.DeviceTopics(c.username, c.password_hash,
                                            ds_by_device.get(c.device_id, [])) for c in creds]
    return MqttConfigFiles(
        passwd=mqtt_config.render_passwd(mqtt_config.mosquitto_hash(platform_password),
                                         devices),
        acl=mqtt_config.render_acl(devices, prefix),
        conf=mqtt_config.render_conf(directory, port),
        devices_without_password=missing,
    )


# --------------------------------------------------------------------------------------------
# Stations, latest values and series (the pages, and the alerts domain)


@dataclass(frozen=True)
class RuleStream:
    """What the alert rules need to know about a datastream and its station."""

    datastream_id: int
    name: str
    property_code: str | None
    unit: str | None
    thing_id: int
    thing_name: str
    kind: str | None
    commune_code: str | None
    province_code: str | None
    lon: float | None
    lat: float | None
    thing_properties: dict[str, Any]
    datastream_properties: dict[str, Any]
    last_time: dt.datetime | None
    last_result: float | None
    production_unit_ids: tuple[int, ...] = ()


def _visible_thing_ids(uow: UnitOfWork) -> Any:
    cond = sta.visible_things(uow.principal)
    stmt = select(Thing.id)
    return stmt.where(cond) if cond is not None else stmt


def rule_streams(uow: UnitOfWork, ids: Iterable[int] | None = None) -> list[RuleStream]:
    """Datastreams with their station, place and settings (all, or these ids)."""
    with uow:
        s = uow.session
        stmt = (
            select(Datastream, Thing, ObservedProperty.code)
            .join(Thing, Thing.id == Datastream.thing_id)
            .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
            .where(Datastream.thing_id.in_(_visible_thing_ids(uow)))
            .order_by(Datastream.id)
        )
        if ids is not None:
            stmt = stmt.where(Datastream.id.in_(list(ids)))
        rows = s.execute(stmt).all()
        thing_ids = sorted({t.id for _, t, _ in rows})
        points: dict[int, tuple[float | None, float | None]] = {}
        for thing_id, lon, lat in s.execute(
            select(ThingLocation.thing_id, Location.lon, Location.lat)
            .join(Location, Location.id == ThingLocation.location_id)
            .where(ThingLocation.thing_id.in_(thing_ids)).order_by(Location.id)
        ):
            points.setdefault(thing_id, (lon, lat))
        fields: dict[int, list[int]] = {}
        for thing_id, unit_id in s.execute(
            select(ThingField.thing_id, ThingField.production_unit_id)
            .where(ThingField.thing_id.in_(thing_ids))
        ):
            fields.setdefault(thing_id, []).append(unit_id)
        return [
            RuleStream(
                datastream_id=d.id, name=d.name, property_code=code, unit=d.unit_symbol,
                thing_id=t.id, thing_name=t.name, kind=t.kind, commune_code=t.commune_code,
                province_code=t.province_code, lon=points.get(t.id, (None, None))[0],
                lat=points.get(t.id, (None, None))[1], thing_properties=dict(t.properties or {}),
                datastream_properties=dict(d.properties or {}), last_time=d.last_time,
                last_result=d.last_result, production_unit_ids=tuple(sorted(fields.get(t.id, []))),
            )
            for d, t, code in rows
        ]


def readings(uow: UnitOfWork, datastream_id: int, since: dt.datetime,
             until: dt.datetime | None = None, limit: int = 100_000
             ) -> list[tuple[dt.datetime, float | None, str]]:
    """Raw readings (time, value, quality flag) of a datastream, oldest first."""
    with uow:
        o = Observation
        stmt = select(o.phenomenon_time, o.result, o.quality).where(
            o.datastream_id == datastream_id, o.phenomenon_time >= since)
        if until is not None:
            stmt = stmt.where(o.phenomenon_time <= until)
        rows = uow.session.execute(stmt.order_by(o.phenomenon_time.desc()).limit(limit)).all()
        return [(t, v, QUALITY_NAMES.get(q, "bad")) for t, v, q in reversed(rows)]


def latest_readings(uow: UnitOfWork, datastream_id: int, n: int
                    ) -> list[tuple[dt.datetime, float | None, str]]:
    with uow:
        o = Observation
        rows = uow.session.execute(
            select(o.phenomenon_time, o.result, o.quality).where(o.datastream_id == datastream_id)
            .order_by(o.phenomenon_time.desc()).limit(n)).all()
        return [(t, v, QUALITY_NAMES.get(q, "bad")) for t, v, q in reversed(rows)]


def daily_values(uow: UnitOfWork, datastream_id: int, since: dt.date
                 ) -> list[tuple[dt.date, int, float, float, float]]:
    """Daily roll-up (Vietnamese days): (day, n, total, minimum, maximum)."""
    with uow:
        d = ObservationDaily
        rows = uow.session.execute(
            select(d.day, d.n, d.total, d.minimum, d.maximum)
            .where(d.datastream_id == datastream_id, d.day >= since).order_by(d.day)).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


def hourly_values(uow: UnitOfWork, datastream_id: int, since: dt.datetime
                  ) -> list[tuple[dt.datetime, int, float, float, float]]:
    with uow:
        h = ObservationHourly
        rows = uow.session.execute(
            select(h.hour, h.n, h.total, h.minimum, h.maximum)
            .where(h.datastream_id == datastream_id, h.hour >= since).order_by(h.hour)).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


def fields_around(uow: UnitOfWork, stream: RuleStream, radius_m: float
                  ) -> list[FieldRef]:
    """The fields a station watches (its linked production units), else those around it
    (both from the registry's services)."""
    if stream.production_unit_ids:
        return registry.production_units_by_id(uow, stream.production_unit_ids)
    if stream.lon is None or stream.lat is None:
        return []
    return registry.production_units_near(uow, stream.lon, stream.lat, radius_m)


def fields_of(uow: UnitOfWork, *, farmer_id: int | None = None,
              organisation_id: int | None = None) -> list[FieldRef]:
    """A farmer's or an organisation's fields (communes and crops), from the registry."""
    return registry.production_units_of(uow, farmer_id=farmer_id,
                                        organisation_id=organisation_id)


def things_of_registry_feature(uow: UnitOfWork, registry_feature_id: int) -> list[LinkedRecord]:
    """The Things (sensor stations) linked to a registry infrastructure record by their
    ``registryFeatureId``, that the caller may see: for the registry's record (wired in
    :mod:`nongso.wiring`) and the web pages."""
    with uow:
        rows = uow.session.execute(
            select(Thing.id, Thing.name, Thing.kind)
            .where(Thing.registry_feature_id == registry_feature_id,
                   Thing.id.in_(_visible_thing_ids(uow)))
            .order_by(Thing.id)).all()
    return [LinkedRecord(domain="monitor", id=i, name=name, kind=kind,
                         href=f"/monitor/stations/{i}", self_link=f"/sta/v1.1/Things({i})")
            for i, name, kind in rows]


def series(uow: UnitOfWork, datastream_id: int, start: dt.datetime, end: dt.datetime,
           resolution: str = "hour") -> SeriesPublic:
    """A chart series from the roll-ups (hour, day) or the raw readings."""
    if end <= start:
        raise ValidationFailed("Thời điểm kết thúc phải sau thời điểm bắt đầu.",
                               "The end must come after the start.",
                               [FieldError("end", "Phải sau start", "Must be after start")])
    if resolution == "raw" and end - start > dt.timedelta(days=7):
        raise ValidationFailed("Dữ liệu gốc chỉ xem được tối đa 7 ngày; dùng resolution=hour.",
                               "Raw readings are limited to 7 days; use resolution=hour.",
                               [FieldError("resolution", "Tối đa 7 ngày", "At most 7 days")])
    with uow:
        s = uow.session
        row = s.execute(
            select(Datastream, ObservedProperty.code)
            .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
            .where(Datastream.id == datastream_id,
                   Datastream.thing_id.in_(_visible_thing_ids(uow)))).first()
        if row is None:
            raise not_found("luồng dữ liệu", "datastream", datastream_id)
        ds, code = row
        points: list[SeriesPoint] = []
        if resolution == "hour":
            h = ObservationHourly
            for t, n, total, lo, hi in s.execute(
                select(h.hour, h.n, h.total, h.minimum, h.maximum)
                .where(h.datastream_id == datastream_id, h.hour >= start, h.hour < end)
                .order_by(h.hour)):
                points.append(SeriesPoint.model_construct(time=t, mean=total / n, minimum=lo,
                                                          maximum=hi, n=n))
        elif resolution == "day":
            d = ObservationDaily
            first_day = (start + dt.timedelta(hours=7)).date()
            last_day = (end + dt.timedelta(hours=7)).date()
            for day, n, total, lo, hi in s.execute(
                select(d.day, d.n, d.total, d.minimum, d.maximum)
                .where(d.datastream_id == datastream_id, d.day >= first_day, d.day <= last_day)
                .order_by(d.day)):
                moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) \
                    - dt.timedelta(hours=7)
                points.append(SeriesPoint(time=moment, mean=total / n, minimum=lo, maximum=hi,
                                          n=n))
        else:
            o = Observation
            for t, v in s.execute(
                select(o.phenomenon_time, o.result).where(
                    o.datastream_id == datastream_id, o.phenomenon_time >= start,
                    o.phenomenon_time < end, o.quality == 0, o.result.is_not(None))
                .order_by(o.phenomenon_time)):
                points.append(SeriesPoint(time=t, mean=v, minimum=v, maximum=v, n=1))
        return SeriesPublic(datastream_id=ds.id, name=ds.name, property_code=code,
                            unit=ds.unit_symbol, resolution=resolution,
                            points=points)


def stations(uow: UnitOfWork, now: dt.datetime | None = None) -> list[StationPublic]:
    """Stations (Things with a place) with their latest values; status from data only
    (``ok``, ``silent``, ``no_data``): the alerts domain adds warnings and alarms."""
    now = now or clock.now()
    streams = rule_streams(uow)
    by_thing: dict[int, list[RuleStream]] = {}
    for st in streams:
        by_thing.setdefault(st.thing_id, []).append(st)
    with uow:
        s = uow.session
        things = list(s.scalars(select(Thing).where(Thing.id.in_(_visible_thing_ids(uow)))
                                .order_by(Thing.id)))
        points: dict[int, tuple[float | None, float | None]] = {}
        for thing_id, lon, lat in s.execute(
            select(ThingLocation.thing_id, Location.lon, Location.lat)
            .join(Location, Location.id == ThingLocation.location_id).order_by(Location.id)
        ):
            points.setdefault(thing_id, (lon, lat))
        out = []
        for t in things:
            lon, lat = points.get(t.id, (None, None))
            mine = by_thing.get(t.id, [])
            last = max((st.last_time for st in mine if st.last_time), default=None)
            silence_h = float((t.properties or {}).get("silenceHours", 6))
            status = "no_data" if last is None else (
                "silent" if now - last > dt.timedelta(hours=silence_h) else "ok")
            out.append(StationPublic(
                id=t.id, name=t.name, kind=t.kind, commune_code=t.commune_code, lon=lon, lat=lat,
                status=status, last_time=last, registry_feature_id=t.registry_feature_id,
                latest=[LatestValue(datastream_id=st.datastream_id, name=st.name,
                                    property_code=st.property_code, unit=st.unit,
                                    time=st.last_time, value=st.last_result) for st in mine],
            ))
        return out


def delete_observations_of(uow: UnitOfWork, datastream_id: int) -> int:
    """Remove every observation of a datastream (admin; used to reset a sensor)."""
    require_role(uow.principal, "admin")
    with uow:
        s = uow.session
        n = s.execute(delete(Observation).where(Observation.datastream_id == datastream_id))
        s.execute(delete(ObservationHourly).where(
            ObservationHourly.datastream_id == datastream_id))
        s.execute(delete(ObservationDaily).where(ObservationDaily.datastream_id == datastream_id))
        uow.commit()
        return int(getattr(n, "rowcount", 0) or 0)


__all__ = [
    "InboundMessage",
    "MessagesOutcome",
    "RowExtras",
    "RuleStream",
    "StaAnswer",
    "can_write",
    "create_observations",
    "daily_values",
    "fields_around",
    "fields_of",
    "hourly_values",
    "ingest",
    "ingest_compact",
    "ingest_messages",
    "latest_readings",
    "mqtt_configuration",
    "readings",
    "register_device",
    "rule_streams",
    "series",
    "service_root",
    "sta_create",
    "sta_delete",
    "sta_read",
    "sta_update",
    "stations",
    "things_of_registry_feature",
]


# --- the analytics lake ----------------------------------------------------------------------

OBSERVATION_ROW_COLUMNS = ("id", "datastream_id", "thing_id", "commune_code", "province_code",
                           "phenomenon_time", "result", "quality")


def observation_rows(uow: UnitOfWork, *, after_id: int = 0, limit: int = 100_000
                     ) -> list[tuple[Any, ...]]:
    """Observations for the analytics lake (columns ``OBSERVATION_ROW_COLUMNS``) in id order
    after ``after_id`` (observations are only ever added: the id is the watermark).
    Administrators only."""
    require_role(uow.principal, "admin")
    o = Observation
    stmt = (select(o.id, o.datastream_id, Datastream.thing_id, Thing.commune_code,
                   Thing.province_code, o.phenomenon_time, o.result, o.quality)
            .join(Datastream, Datastream.id == o.datastream_id)
            .join(Thing, Thing.id == Datastream.thing_id)
            .where(o.id > after_id).order_by(o.id).limit(max(1, min(limit, 1_000_000))))
    with uow:
        return [tuple(r) for r in uow.session.execute(stmt)]
