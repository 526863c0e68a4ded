"""What the alert rules read: datastreams with their station, place and settings, raw
readings and the hourly and daily roll-ups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from nongso.core.uow import UnitOfWork
from nongso.monitor.models import (
    QUALITY_NAMES,
    Datastream,
    Location,
    Observation,
    ObservationDaily,
    ObservationHourly,
    ObservedProperty,
    Thing,
    ThingField,
    ThingLocation,
)
from nongso.monitor.services._common import _visible_thing_ids


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
