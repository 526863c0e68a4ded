"""Preparing a batch of observations for storage: checks, unit conversion, quality, roll-ups.

Pure functions (no database). A batch is a list of :class:`SeriesIn`, one per datastream, in
columns (times, results) because that is how devices send them (SensorThings dataArray, the
compact MQTT topic) and because it lets the common case be checked with a few C-level
passes (``min``, ``max``, ``sum``) instead of a Python loop per reading.

What happens to each reading:

- a time without a zone, or more than :data:`quality.FUTURE_TOLERANCE` ahead of the server's
  clock, is **rejected** (not stored), as is a result of the wrong type for the datastream's
  observation type or a number that is not finite;
- a numeric result outside the observed property's physical range
  (:data:`quality.PHYSICAL_RANGES`) is **stored** with the ``bad_range`` flag and left out of
  roll-ups and alerts, never silently dropped;
- a salinity datastream whose device reports electrical conductivity (``input_unit``
  ``mS/cm`` or ``µS/cm``) is converted to ‰ with 1 ‰ ≈ 1.56 mS/cm
  (:data:`quality.EC_MS_PER_CM_PER_PER_MILLE`); the value as sent is kept as ``raw_result``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Final

from nongso.monitor import quality
from nongso.monitor.models import (
    EPOCH,
    ONE_MICROSECOND,
    QUALITY_BAD_RANGE,
    QUALITY_GOOD,
)

__all__ = [
    "HOUR_US",
    "OM_COUNT",
    "OM_MEASUREMENT",
    "OM_OBSERVATION",
    "OM_TRUTH",
    "DatastreamInfo",
    "HourAggregate",
    "Prepared",
    "Rejection",
    "RowExtras",
    "SeriesIn",
    "conversion_factor",
    "local_day",
    "prepare",
]

OM: Final = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
OM_MEASUREMENT: Final = OM + "OM_Measurement"
OM_COUNT: Final = OM + "OM_CountObservation"
OM_TRUTH: Final = OM + "OM_TruthObservation"
OM_CATEGORY: Final = OM + "OM_CategoryObservation"
OM_OBSERVATION: Final = OM + "OM_Observation"

HOUR_US: Final = 3600 * 1_000_000
DAY_US: Final = 24 * HOUR_US
VN_OFFSET_US: Final = 7 * HOUR_US
"""Days of the daily roll-up are Vietnam's (UTC+7): the day a farmer or an officer means."""

_UTC = dt.UTC


def local_day(hour_us: int) -> dt.date:
    """The Vietnamese calendar day of an instant given in µs since the epoch."""
    return (EPOCH + dt.timedelta(microseconds=hour_us + VN_OFFSET_US)).date()


@dataclass(frozen=True)
class DatastreamInfo:
    """What ingestion needs to know about a datastream (read once per batch)."""

    id: int
    thing_id: int
    device_id: int | None
    commune_code: str | None
    province_code: str | None
    organisation_id: int | None
    observation_type: str
    property_code: str | None
    input_unit: str | None
    default_feature_id: int | None
    unit_symbol: str | None = None


@dataclass(frozen=True)
class RowExtras:
    """The optional parts of an observation (single posts and full dataArray components)."""

    phenomenon_end: dt.datetime | None = None
    result_time: dt.datetime | None = None
    valid_start: dt.datetime | None = None
    valid_end: dt.datetime | None = None
    parameters: dict[str, Any] | None = None
    feature_id: int | None = None


@dataclass(frozen=True)
class SeriesIn:
    """Readings of one datastream: ``times[i]`` and ``results[i]`` (and ``extras[i]``).

    ``loc`` says where the series is in the request or message, for error messages
    (row ``i`` is ``f"{loc}/{i}"``).
    """

    datastream_id: int
    times: Sequence[dt.datetime]
    results: Sequence[Any]
    extras: Sequence[RowExtras | None] | None = None
    loc: str = ""
    # Where each row was in the message (default: its index in this series).
    positions: Sequence[int] | None = None


@dataclass(frozen=True)
class Rejection:
    """A reading (or a whole message) that was not stored, and why."""

    loc: str
    code: str
    message_vi: str
    message_en: str
    datastream_id: int | None = None
    device: str | None = None
    index: int | None = None  # row of its series
    count: int = 1  # readings it stands for (a whole message or series refused at once)


@dataclass
class HourAggregate:
    n: int
    total: float
    minimum: float
    maximum: float


@dataclass
class Prepared:
    """One series ready to write: rows in the column order of the insert statement."""

    datastream_id: int
    narrow: bool  # rows are (datastream_id, time, result, quality, feature_id)
    rows: list[tuple[Any, ...]]
    times_us: list[int]  # of every row, same order as rows
    rejected: list[Rejection] = field(default_factory=list)
    bad_quality: int = 0
    good: int = 0
    # Over good numeric rows: per UTC hour (µs since epoch), and the latest good reading.
    hours: dict[int, HourAggregate] = field(default_factory=dict)
    first_us: int | None = None
    last_us: int | None = None
    last_good_us: int | None = None
    last_good_value: float | None = None
    # Rows of the batch in time order (index into rows) of good readings, for event ranges.
    result_time_min: dt.datetime | None = None
    result_time_max: dt.datetime | None = None


def conversion_factor(info: DatastreamInfo) -> float | None:
    """Divide what the device sends by this to get the datastream's unit (None: as sent).

    Salinity sensors that report electrical conductivity: ‰ = EC (mS/cm) ÷ 1.56, or
    EC (µS/cm) ÷ 1560 (Mekong Delta rule of thumb: 1 ‰ = 1 g/L ≈ 1.56 mS/cm).
    """
    unit = (info.input_unit or "").strip().replace("μ", "µ")
    if not unit or info.property_code != "salinity":
        return None
    if unit == "mS/cm":
        return quality.EC_MS_PER_CM_PER_PER_MILLE
    if unit in ("µS/cm", "uS/cm"):
        return quality.EC_MS_PER_CM_PER_PER_MILLE * 1000
    return None


def _us(t: dt.datetime) -> int:
    return (t - EPOCH) // ONE_MICROSECOND


def _reject(loc: str, code: str, vi: str, en: str, ds: int, index: int) -> Rejection:
    return Rejection(loc, code, vi, en, ds, index=index)


_NUMERIC_TYPES = (OM_MEASUREMENT, OM_COUNT)


def _check_result(value: Any, obs_type: str) -> tuple[str, str, str] | None:
    """None when the result fits the observation type, else (code, vi, en)."""
    if obs_type in _NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ("wrong_type", "Kết quả phải là một số.", "The result must be a number.")
        if not math.isfinite(value):
            return ("not_finite", "Kết quả phải là số hữu hạn.", "The result must be finite.")
        if obs_type == OM_COUNT and value != int(value):
            return ("wrong_type", "Kết quả phải là số nguyên (đếm).",
                    "The result must be a whole number (a count).")
        return None
    if obs_type == OM_TRUTH and not isinstance(value, bool):
        return ("wrong_type", "Kết quả phải là true/false.", "The result must be true or false.")
    if value is None:
        return ("missing", "Thiếu kết quả.", "The result is missing.")
    if isinstance(value, float) and not math.isfinite(value):
        return ("not_finite", "Kết quả phải là số hữu hạn.", "The result must be finite.")
    return None


def prepare(
    series: SeriesIn,
    info: DatastreamInfo,
    now: dt.datetime,
    to_db: Callable[[dt.datetime, int], Any],
) -> Prepared:
    """Check and convert one series. ``to_db(time, us)`` gives the stored form of a time
    (µs on SQLite, the datetime on PostgreSQL)."""
    times, results = series.times, series.results
    if len(times) != len(results):
        raise ValueError("times and results differ in length")
    limit = now + quality.FUTURE_TOLERANCE
    obs_type = info.observation_type
    numeric = obs_type in _NUMERIC_TYPES or (
        obs_type == OM_OBSERVATION and all(
            type(v) is float or type(v) is int for v in results
        )
    )
    if series.extras is None and numeric and _fast_ok(times, results, limit, obs_type):
        return _prepare_fast(series, info, to_db)
    return _prepare_rows(series, info, limit, to_db, numeric)


def _fast_ok(
    times: Sequence[dt.datetime], results: Sequence[Any], limit: dt.datetime, obs_type: str
) -> bool:
    """Whether every row passes the rejection checks (decided with C-level passes)."""
    if not times:
        return True
    if not all(type(v) is float or type(v) is int for v in results):
        return False
    if not math.isfinite(sum(results)):
        return False
    if obs_type == OM_COUNT and not all(v == int(v) for v in results):
        return False
    try:
        latest = max(times)
    except TypeError:  # aware and naive mixed
        return False
    return latest.tzinfo is not None and latest.utcoffset() is not None and latest <= limit


def _range_of(info: DatastreamInfo) -> quality.PhysicalRange | None:
    code = info.property_code
    return quality.PHYSICAL_RANGES.get(code) if code else None


def _prepare_fast(
    series: SeriesIn, info: DatastreamInfo, to_db: Callable[[dt.datetime, int], Any]
) -> Prepared:
    ds = info.id
    times = series.times
    results = series.results
    values: list[float] = list(results) if all(type(v) is float for v in results) \
        else [float(v) for v in results]
    raw: list[float] | None = None
    factor = conversion_factor(info)
    if factor is not None:
        raw = values
        values = [v / factor for v in values]
    epoch, one = EPOCH, ONE_MICROSECOND
    us = [(t - epoch) // one for t in times]
    db_times: list[Any] = us if to_db is sqlite_time else [
        to_db(t, u) for t, u in zip(times, us, strict=True)]
    valid = _range_of(info)
    flags: list[int] | None = None
    if values and valid is not None:
        lo, hi = min(values), max(values)
        out = (valid.minimum is not None and lo < valid.minimum) or (
            valid.maximum is not None and hi > valid.maximum)
        if out or (valid.integer and not all(v == int(v) for v in values)):
            flags = [QUALITY_GOOD if valid.contains(v) else QUALITY_BAD_RANGE for v in values]
    foi = info.default_feature_id
    prepared = Prepared(ds, raw is None, [], us)
    if raw is None:
        quality_col = repeat(QUALITY_GOOD) if flags is None else flags
        prepared.rows = list(zip(repeat(ds), db_times, values, quality_col, repeat(foi)))
    else:
        quality_col2: Sequence[int] = flags if flags is not None else [QUALITY_GOOD] * len(values)
        prepared.rows = [
            (ds, t, None, None, v, None, r, q, foi, None, None, None)
            for t, v, r, q in zip(db_times, values, raw, quality_col2, strict=True)
        ]
    if flags is None:
        good_us, good_values = us, values
    else:
        good_us = [u for u, q in zip(us, flags, strict=True) if q == QUALITY_GOOD]
        good_values = [v for v, q in zip(values, flags, strict=True) if q == QUALITY_GOOD]
        prepared.bad_quality = len(values) - len(good_values)
    _summarise(prepared, us, good_us, good_values)
    return prepared


def _summarise(
    prepared: Prepared, us: list[int], good_us: list[int], good_values: list[float]
) -> None:
    if us:
        prepared.first_us, prepared.last_us = min(us), max(us)
    prepared.good = len(good_values)
    if not good_values:
        return
    if good_us != sorted(good_us):
        order = sorted(range(len(good_us)), key=good_us.__getitem__)
        good_us = [good_us[i] for i in order]
        good_values = [good_values[i] for i in order]
    prepared.last_good_us, prepared.last_good_value = good_us[-1], good_values[-1]
    hours = prepared.hours
    i, n = 0, len(good_us)
    while i < n:
        hour = good_us[i] // HOUR_US * HOUR_US
        j = bisect.bisect_left(good_us, hour + HOUR_US, i)
        chunk = good_values[i:j]
        agg = hours.get(hour)
        if agg is None:
            hours[hour] = HourAggregate(len(chunk), sum(chunk), min(chunk), max(chunk))
        else:  # duplicate times in the batch (the store keeps the first; rollups recomputed)
            agg.n += len(chunk)
            agg.total += sum(chunk)
            agg.minimum = min(agg.minimum, *chunk)
            agg.maximum = max(agg.maximum, *chunk)
        i = j


def _prepare_rows(
    series: SeriesIn,
    info: DatastreamInfo,
    limit: dt.datetime,
    to_db: Callable[[dt.datetime, int], Any],
    numeric: bool,
) -> Prepared:
    """Row by row: any rejection, extras, non-numeric results."""
    ds = info.id
    factor = conversion_factor(info) if numeric else None
    valid = _range_of(info) if numeric else None
    prepared = Prepared(ds, False, [], [])
    extras = series.extras
    all_us: list[int] = []
    good_us: list[int] = []
    good_values: list[float] = []
    rt_min: dt.datetime | None = None
    rt_max: dt.datetime | None = None
    for i, (t, value) in enumerate(zip(series.times, series.results, strict=True)):
        loc = f"{series.loc}/{series.positions[i] if series.positions is not None else i}"
        if not isinstance(t, dt.datetime) or t.tzinfo is None or t.utcoffset() is None:
            prepared.rejected.append(_reject(
                loc, "naive_time", "Thời điểm đo phải có múi giờ (Z hoặc ±hh:mm).",
                "The phenomenon time needs a time zone (Z or ±hh:mm).", ds, i))
            continue
        if t > limit:
            prepared.rejected.append(_reject(
                loc, "future_time",
                f"Thời điểm đo {t.isoformat()} ở tương lai (quá 5 phút so với máy chủ).",
                f"The phenomenon time {t.isoformat()} is in the future (more than 5 minutes "
                "ahead of the server).", ds, i))
            continue
        problem = _check_result(value, info.observation_type)
        if problem is not None:
            code, vi, en = problem
            prepared.rejected.append(_reject(loc, code, vi, en, ds, i))
            continue
        extra = extras[i] if extras is not None else None
        if extra is not None:
            bad = _check_extra(extra, t, limit)
            if bad is not None:
                code, vi, en = bad
                prepared.rejected.append(_reject(loc, code, vi, en, ds, i))
                continue
        u = _us(t)
        all_us.append(u)
        raw: float | None = None
        number: float | None = None
        json_value: Any = None
        flag = QUALITY_GOOD
        if numeric:
            number = float(value)
            if factor is not None:
                raw, number = number, number / factor
            if valid is not None and not valid.contains(number):
                flag = QUALITY_BAD_RANGE
                prepared.bad_quality += 1
            else:
                good_us.append(u)
                good_values.append(number)
        else:
            json_value = value
        end = result_time = valid_start = valid_end = None
        parameters = None
        feature = info.default_feature_id
        if extra is not None:
            end = extra.phenomenon_end
            result_time = extra.result_time
            valid_start, valid_end = extra.valid_start, extra.valid_end
            parameters = extra.parameters
            if extra.feature_id is not None:
                feature = extra.feature_id
            if result_time is not None:
                rt_min = result_time if rt_min is None or result_time < rt_min else rt_min
                rt_max = result_time if rt_max is None or result_time > rt_max else rt_max
        prepared.rows.append((
            ds, to_db(t, u), _db(end, to_db), _db(result_time, to_db), number, json_value,
            raw, flag, feature, parameters, _db(valid_start, to_db), _db(valid_end, to_db),
        ))
    prepared.times_us = all_us
    prepared.result_time_min, prepared.result_time_max = rt_min, rt_max
    _summarise(prepared, all_us, good_us, good_values)
    if not numeric:
        prepared.good = len(prepared.rows)
    return prepared


def _db(value: dt.datetime | None, to_db: Callable[[dt.datetime, int], Any]) -> Any:
    return None if value is None else to_db(value, _us(value))


def _check_extra(
    extra: RowExtras, start: dt.datetime, limit: dt.datetime
) -> tuple[str, str, str] | None:
    for moment in (extra.phenomenon_end, extra.result_time, extra.valid_start, extra.valid_end):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            return ("naive_time", "Thời điểm phải có múi giờ.", "Times need a time zone.")
    if extra.phenomenon_end is not None and extra.phenomenon_end < start:
        return ("bad_interval", "Khoảng thời gian đo kết thúc trước khi bắt đầu.",
                "The phenomenon time interval ends before it starts.")
    if extra.phenomenon_end is not None and extra.phenomenon_end > limit:
        return ("future_time", "Thời điểm đo ở tương lai.", "The phenomenon time is in the "
                "future.")
    if extra.valid_start is not None and extra.valid_end is not None \
            and extra.valid_end < extra.valid_start:
        return ("bad_interval", "validTime kết thúc trước khi bắt đầu.",
                "validTime ends before it starts.")
    return None


def sqlite_time(t: dt.datetime, us: int) -> int:
    """The stored form of a time on SQLite: µs since the epoch."""
    return us


def postgres_time(t: dt.datetime, us: int) -> dt.datetime:
    return t if t.tzinfo is _UTC else t.astimezone(_UTC)
