"""What the use cases of monitoring share: who may write to a datastream, the one write
path every ingestion takes (check, prepare, store the batch and publish one
``ObservationsIngested`` event, inside the caller's unit of work), the refusal it raises, the
devices' rate limit; the SensorThings answer, its render context and the communes a write
places Things in; the Things the caller may see.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from nongso.core import events
from nongso.core.errors import (
    AppError,
    FieldError,
    PermissionDenied,
    TooManyRequests,
    ValidationFailed,
)
from nongso.core.permissions import Principal
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.monitor import ingest as ingestion
from nongso.monitor import sta, store
from nongso.monitor.config import monitor_settings
from nongso.monitor.ingest import DatastreamInfo, Prepared, Rejection, SeriesIn
from nongso.monitor.models import Thing
from nongso.monitor.ratelimit import RateLimiter
from nongso.monitor.sta_write import Communes
from nongso.units import services as units

log = logging.getLogger("nongso.monitor")


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


def _visible_thing_ids(uow: UnitOfWork) -> Any:
    cond = sta.visible_things(uow.principal)
    stmt = select(Thing.id)
    return stmt.where(cond) if cond is not None else stmt
