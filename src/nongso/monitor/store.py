"""Writing prepared observations and their roll-ups (helpers of ``monitor.services``).

Everything here runs inside the caller's unit of work and never commits. Observations go in
with one ``executemany`` of ``INSERT ... ON CONFLICT (datastream_id, phenomenon_time) DO
NOTHING`` per batch, so a reading sent twice is stored once (idempotent). Hourly roll-ups are
incremented from the batch's own aggregates when every row was new, and recomputed from the
stored rows of the hours concerned when some were duplicates; daily roll-ups (Vietnamese
days) are recomputed from the hourly ones of the days concerned.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from nongso.monitor.ingest import (
    DAY_US,
    HOUR_US,
    VN_OFFSET_US,
    DatastreamInfo,
    Prepared,
    postgres_time,
    sqlite_time,
)
from nongso.monitor.models import (
    EPOCH,
    Datastream,
    FeatureOfInterest,
    Location,
    ObservedProperty,
    Thing,
    ThingLocation,
    from_epoch_us,
)

NARROW_COLUMNS = "datastream_id, phenomenon_time, result, quality, feature_id"
WIDE_COLUMNS = (
    "datastream_id, phenomenon_time, phenomenon_time_end, result_time, result, result_json, "
    "raw_result, quality, feature_id, parameters, valid_time_start, valid_time_end"
)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def time_converter(dialect: str) -> Any:
    return sqlite_time if dialect == "sqlite" else postgres_time


def _placeholders(dialect: str, n: int) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    return ", ".join([mark] * n)


def datastream_infos(session: Session, ids: Iterable[int]) -> dict[int, DatastreamInfo]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(
            Datastream.id, Datastream.thing_id, Thing.device_id, Thing.commune_code,
            Thing.province_code, Thing.organisation_id, Datastream.observation_type,
            ObservedProperty.code, Datastream.input_unit, Datastream.default_foi_id,
            Datastream.unit_symbol,
        )
        .join(Thing, Thing.id == Datastream.thing_id)
        .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
        .where(Datastream.id.in_(wanted))
    ).all()
    return {r[0]: DatastreamInfo(*r) for r in rows}


def ensure_default_feature(session: Session, info: DatastreamInfo) -> DatastreamInfo:
    """The datastream's feature of interest made from its Thing's Location (STA 10.2: an
    observation without one observes the Thing's place). Created once, then reused."""
    if info.default_feature_id is not None:
        return info
    location = session.scalar(
        select(Location).join(ThingLocation, ThingLocation.location_id == Location.id)
        .where(ThingLocation.thing_id == info.thing_id).order_by(Location.id).limit(1)
    )
    feature_id: int | None = None
    if location is not None:
        feature_id = session.scalar(
            select(FeatureOfInterest.id).where(FeatureOfInterest.location_id == location.id)
            .order_by(FeatureOfInterest.id).limit(1)
        )
        if feature_id is None:
            feature = FeatureOfInterest(
                name=location.name, description=location.description or location.name,
                encoding_type=location.encoding_type, feature=location.location,
                location_id=location.id,
            )
            session.add(feature)
            session.flush()
            feature_id = feature.id
    if feature_id is None:
        return info
    session.execute(update(Datastream).where(Datastream.id == info.id)
                    .values(default_foi_id=feature_id))
    return DatastreamInfo(**{**info.__dict__, "default_feature_id": feature_id})


def _json_param(dialect: str, value: Any) -> Any:
    if value is None:
        return None
    if dialect == "postgresql":
        from psycopg.types.json import Json

        return Json(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Written:
    stored: int
    duplicates: int


def write(session: Session, prepared: Sequence[Prepared]) -> Written:
    """Insert the rows of every prepared series and update the roll-ups and datastreams."""
    dialect = dialect_of(session)
    conn = session.connection()
    narrow_sql = (
        f"INSERT INTO sta_observations ({NARROW_COLUMNS}) VALUES ({_placeholders(dialect, 5)}) "
        "ON CONFLICT (datastream_id, phenomenon_time) DO NOTHING"
    )
    wide_sql = (
        f"INSERT INTO sta_observations ({WIDE_COLUMNS}) VALUES ({_placeholders(dialect, 12)}) "
        "ON CONFLICT (datastream_id, phenomenon_time) DO NOTHING"
    )
    stored = duplicates = 0
    for p in prepared:
        if not p.rows:
            continue
        if p.narrow:
            rows = p.rows
            sql = narrow_sql
        else:
            rows = [
                (*r[:5], _json_param(dialect, r[5]), *r[6:9], _json_param(dialect, r[9]), *r[10:])
                for r in p.rows
            ]
            sql = wide_sql
        cursor = conn.exec_driver_sql(sql, rows)
        new = cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 \
            else len(rows)
        stored += new
        duplicates += len(rows) - new
        if p.good or new < len(rows):
            _rollups(session, dialect, p, all_new=new == len(rows))
        _datastream_stats(session, p, new)
    return Written(stored, duplicates)


def _hour_key(dialect: str, hour_us: int) -> Any:
    return hour_us if dialect == "sqlite" else from_epoch_us(hour_us)


def _rollups(session: Session, dialect: str, p: Prepared, all_new: bool) -> None:
    conn = session.connection()
    if not p.times_us:
        return
    ph = _placeholders(dialect, 6)
    if all_new:
        if not p.hours:
            return
        least, greatest = ("min", "max") if dialect == "sqlite" else ("LEAST", "GREATEST")
        t = "sta_observations_hourly"
        sql = (
            f"INSERT INTO {t} (datastream_id, hour, n, total, minimum, maximum) "
            f"VALUES ({ph}) ON CONFLICT (datastream_id, hour) DO UPDATE SET "
            f"n = {t}.n + excluded.n, total = {t}.total + excluded.total, "
            f"minimum = {least}({t}.minimum, excluded.minimum), "
            f"maximum = {greatest}({t}.maximum, excluded.maximum)"
        )
        conn.exec_driver_sql(sql, [
            (p.datastream_id, _hour_key(dialect, h), a.n, a.total, a.minimum, a.maximum)
            for h, a in p.hours.items()
        ])
        hours = list(p.hours)
    else:
        start = min(p.times_us) // HOUR_US * HOUR_US
        end = max(p.times_us) // HOUR_US * HOUR_US + HOUR_US
        recompute_hours(session, p.datastream_id, start, end)
        hours = [start, end - HOUR_US]
    day_start = (min(hours) + VN_OFFSET_US) // DAY_US * DAY_US - VN_OFFSET_US
    day_end = (max(hours) + VN_OFFSET_US) // DAY_US * DAY_US - VN_OFFSET_US + DAY_US
    recompute_days(session, p.datastream_id, day_start, day_end)


def recompute_hours(session: Session, datastream_id: int, start_us: int, end_us: int) -> None:
    """Rebuild the hourly roll-up of ``[start, end)`` from the stored good observations."""
    dialect = dialect_of(session)
    conn = session.connection()
    if dialect == "sqlite":
        hour = f"(phenomenon_time / {HOUR_US}) * {HOUR_US}"
        params: tuple[Any, ...] = (datastream_id, start_us, end_us)
        mark = "?"
        delete_params: tuple[Any, ...] = (datastream_id, start_us, end_us)
    else:
        hour = "date_trunc('hour', phenomenon_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        params = (datastream_id, from_epoch_us(start_us), from_epoch_us(end_us))
        mark = "%s"
        delete_params = params
    conn.exec_driver_sql(
        f"DELETE FROM sta_observations_hourly WHERE datastream_id = {mark} "
        f"AND hour >= {mark} AND hour < {mark}", delete_params,
    )
    conn.exec_driver_sql(
        "INSERT INTO sta_observations_hourly (datastream_id, hour, n, total, minimum, maximum) "
        f"SELECT datastream_id, {hour}, count(*), sum(result), min(result), max(result) "
        f"FROM sta_observations WHERE datastream_id = {mark} AND phenomenon_time >= {mark} "
        f"AND phenomenon_time < {mark} AND quality = 0 AND result IS NOT NULL "
        f"GROUP BY datastream_id, {hour}",
        params,
    )


def recompute_days(session: Session, datastream_id: int, start_us: int, end_us: int) -> None:
    """Rebuild the daily roll-up of the Vietnamese days in ``[start, end)`` (UTC µs)."""
    dialect = dialect_of(session)
    conn = session.connection()
    if dialect == "sqlite":
        day = f"date(hour / 1000000 + {VN_OFFSET_US // 1_000_000}, 'unixepoch')"
        params: tuple[Any, ...] = (datastream_id, start_us, end_us)
        mark = "?"
    else:
        day = "CAST((hour AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS DATE)"
        params = (datastream_id, from_epoch_us(start_us), from_epoch_us(end_us))
        mark = "%s"
    first = (EPOCH + dt.timedelta(microseconds=start_us + VN_OFFSET_US)).date()
    last = (EPOCH + dt.timedelta(microseconds=end_us + VN_OFFSET_US - 1)).date()
    conn.exec_driver_sql(
        f"DELETE FROM sta_observations_daily WHERE datastream_id = {mark} "
        f"AND day >= {mark} AND day <= {mark}",
        (datastream_id, first.isoformat(), last.isoformat()) if dialect == "sqlite"
        else (datastream_id, first, last),
    )
    conn.exec_driver_sql(
        "INSERT INTO sta_observations_daily (datastream_id, day, n, total, minimum, maximum) "
        f"SELECT datastream_id, {day}, sum(n), sum(total), min(minimum), max(maximum) "
        f"FROM sta_observations_hourly WHERE datastream_id = {mark} AND hour >= {mark} "
        f"AND hour < {mark} GROUP BY datastream_id, {day}",
        params,
    )


_STATS_SQL = """UPDATE sta_datastreams SET
 phenomenon_time_start = CASE WHEN phenomenon_time_start IS NULL OR phenomenon_time_start > {p}
   THEN {p} ELSE phenomenon_time_start END,
 phenomenon_time_end = CASE WHEN phenomenon_time_end IS NULL OR phenomenon_time_end < {p}
   THEN {p} ELSE phenomenon_time_end END,
 observation_count = observation_count + {p},
 last_result = CASE WHEN {p} AND (last_time IS NULL OR last_time <= {p}) THEN {p}
   ELSE last_result END,
 last_time = CASE WHEN {p} AND (last_time IS NULL OR last_time <= {p}) THEN {p}
   ELSE last_time END
 WHERE id = {p}"""


def _datastream_stats(session: Session, p: Prepared, new: int) -> None:
    """Keep the datastream's time range, count and latest good value (one statement)."""
    if p.first_us is None or p.last_us is None:
        return
    dialect = dialect_of(session)
    mark = "?" if dialect == "sqlite" else "%s"
    as_db = Datastream.__table__.c.phenomenon_time_start.type.bind_processor(
        session.get_bind().dialect)
    def t(us: int) -> Any:
        moment = from_epoch_us(us)
        return as_db(moment) if as_db is not None else moment
    first, last = t(p.first_us), t(p.last_us)
    has_good = p.last_good_us is not None
    latest = t(p.last_good_us) if p.last_good_us is not None else None
    params = (first, first, last, last, new, has_good, latest, p.last_good_value,
              has_good, latest, latest, p.datastream_id)
    session.connection().exec_driver_sql(_STATS_SQL.format(p=mark), params)
    if p.result_time_min is not None and p.result_time_max is not None:
        d = Datastream
        session.execute(update(d).where(d.id == p.datastream_id).values(
            result_time_start=case(
                (d.result_time_start.is_(None), p.result_time_min),
                (d.result_time_start > p.result_time_min, p.result_time_min),
                else_=d.result_time_start),
            result_time_end=case(
                (d.result_time_end.is_(None), p.result_time_max),
                (d.result_time_end < p.result_time_max, p.result_time_max),
                else_=d.result_time_end)))


def ids_by_time(session: Session, datastream_id: int, times: Sequence[dt.datetime]) -> dict[
        int, int]:
    """Observation ids of a datastream at these times, keyed by µs since the epoch."""
    from nongso.monitor.models import Observation, to_epoch_us

    if not times:
        return {}
    rows = session.execute(
        select(Observation.id, Observation.phenomenon_time).where(
            Observation.datastream_id == datastream_id,
            Observation.phenomenon_time >= min(times),
            Observation.phenomenon_time <= max(times),
        )
    ).all()
    return {to_epoch_us(t): i for i, t in rows}


def latest_values(session: Session, ids: Sequence[int]) -> dict[int, tuple[dt.datetime | None,
                                                                        float | None]]:
    rows = session.execute(
        select(Datastream.id, Datastream.last_time, Datastream.last_result)
        .where(Datastream.id.in_(list(ids)))
    ).all()
    return {i: (t, v) for i, t, v in rows}


__all__ = [
    "Written",
    "datastream_infos",
    "dialect_of",
    "ensure_default_feature",
    "func",
    "ids_by_time",
    "latest_values",
    "recompute_days",
    "recompute_hours",
    "time_converter",
    "write",
]
