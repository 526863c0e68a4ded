"""The pages' overview: stations with their latest values and data status, and a
datastream's chart series (hourly, daily roll-ups or raw readings).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed, not_found
from nongso.core.uow import UnitOfWork
from nongso.monitor.models import (
    Datastream,
    Location,
    Observation,
    ObservationDaily,
    ObservationHourly,
    ObservedProperty,
    Thing,
    ThingLocation,
)
from nongso.monitor.schemas import LatestValue, SeriesPoint, SeriesPublic, StationPublic
from nongso.monitor.services._common import _visible_thing_ids
from nongso.monitor.services.streams import RuleStream, rule_streams


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
