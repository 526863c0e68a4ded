"""Pure parts of ingestion: payload parsing, batch preparation, rate limiting, time storage."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nongso.monitor import ingest, payloads
from nongso.monitor.ingest import OM_COUNT, OM_MEASUREMENT, DatastreamInfo, SeriesIn
from nongso.monitor.models import from_epoch_us, to_epoch_us
from nongso.monitor.ratelimit import RateLimiter

NOW = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def info(code: str | None = "salinity", obs_type: str = OM_MEASUREMENT,
         unit: str | None = None) -> DatastreamInfo:
    return DatastreamInfo(5, 1, None, None, None, None, obs_type, code, unit, 9)


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
                    timezones=st.just(dt.UTC)))
def test_epoch_microseconds_round_trip(moment: dt.datetime) -> None:
    assert from_epoch_us(to_epoch_us(moment)) == moment


def test_fast_and_row_paths_agree() -> None:
    times = [T0 + dt.timedelta(minutes=7 * i) for i in range(200)]
    values = [0.01 * i for i in range(200)]
    fast = ingest.prepare(SeriesIn(5, times, values), info(), NOW, ingest.sqlite_time)
    slow = ingest.prepare(SeriesIn(5, times, values, [None] * 200), info(), NOW,
                          ingest.sqlite_time)
    assert fast.narrow and not slow.narrow
    assert [r[1] for r in fast.rows] == [r[1] for r in slow.rows]
    assert fast.hours == slow.hours
    assert sum(a.n for a in fast.hours.values()) == 200
    assert fast.last_good_value == values[-1]


def test_quality_flags_and_conversion() -> None:
    times = [T0 + dt.timedelta(minutes=i) for i in range(4)]
    p = ingest.prepare(SeriesIn(5, times, [1.0, -0.2, 51.0, 49.9]), info(), NOW,
                       ingest.sqlite_time)
    assert [r[3] for r in p.rows] == [0, 1, 1, 0] and p.bad_quality == 2 and p.good == 2
    ec = ingest.prepare(SeriesIn(5, times[:1], [3.12]), info(unit="mS/cm"), NOW,
                        ingest.sqlite_time)
    (row,) = ec.rows
    assert row[4] == pytest.approx(2.0) and row[6] == 3.12  # result, raw_result
    micro = ingest.prepare(SeriesIn(5, times[:1], [3120]), info(unit="µS/cm"), NOW,
                           ingest.sqlite_time)
    assert micro.rows[0][4] == pytest.approx(2.0)
    assert ingest.conversion_factor(info(code="water_level", unit="mS/cm")) is None


def test_rejections_say_where_and_why() -> None:
    times: list[Any] = [T0, NOW + dt.timedelta(minutes=6), dt.datetime(2026, 3, 1), T0]
    p = ingest.prepare(SeriesIn(5, times, [1.0, 1.0, 1.0, "x"], loc="/obs"), info(), NOW,
                       ingest.sqlite_time)
    assert [(r.loc, r.code) for r in p.rejected] == [
        ("/obs/1", "future_time"), ("/obs/2", "naive_time"), ("/obs/3", "wrong_type")]
    assert len(p.rows) == 1
    within = ingest.prepare(SeriesIn(5, [NOW + dt.timedelta(minutes=4)], [1.0]), info(), NOW,
                            ingest.sqlite_time)
    assert within.rejected == []  # device clocks drift: 5 minutes are tolerated
    counts = ingest.prepare(SeriesIn(5, [T0, T0 + dt.timedelta(days=1)], [12, 1.5]),
                            info("light_trap_count", OM_COUNT), NOW, ingest.sqlite_time)
    assert [r.code for r in counts.rejected] == ["wrong_type"]
    nan = ingest.prepare(SeriesIn(5, [T0], [math.nan]), info(), NOW, ingest.sqlite_time)
    assert [r.code for r in nan.rejected] == ["not_finite"]


def test_compact_payload() -> None:
    series, problems = payloads.parse_compact({"obs": [
        [1, "2026-03-01T07:00:00+07:00", 0.5], [2, 1772323200, 3], [1, "2026-03-01T01:00:00Z", 1],
        ["1", "2026-03-01T00:00:00Z", 1], [1, "hôm nay", 1], [1, 2], "x"]})
    assert [(s.datastream_id, len(s.times)) for s in series] == [(1, 2), (2, 1)]
    assert series[0].times[0] == T0 and series[1].times[0] == T0
    assert series[0].positions == [0, 2]
    assert [p.loc for p in problems] == ["/obs/3", "/obs/4", "/obs/5", "/obs/6"]
    with pytest.raises(payloads.PayloadError):
        payloads.parse_compact({"obs": [], "extra": 1})
    with pytest.raises(payloads.PayloadError):
        payloads.parse_compact("obs")


@settings(max_examples=300)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.text(max_size=5), children, max_size=4), max_leaves=20))
def test_garbage_never_crashes_the_parsers(value: Any) -> None:
    """Whatever a device sends, parsing answers rows or a PayloadError, nothing else."""
    raw = json.dumps(value).encode()
    for parse in (lambda v: payloads.parse_compact(v),
                  lambda v: payloads.parse_data_array(v),
                  lambda v: payloads.parse_observation(v, "", 1, NOW)):
        try:
            parse(payloads.decode_json(raw))
        except payloads.PayloadError as exc:
            assert exc.problems and all(p.message_vi and p.message_en for p in exc.problems)


@given(st.binary(max_size=64))
def test_decode_json_refuses_bytes_cleanly(data: bytes) -> None:
    try:
        payloads.decode_json(data)
    except payloads.PayloadError as exc:
        assert exc.reason in ("not_utf8", "malformed_json")


def test_data_array_components_and_intervals() -> None:
    (s,) = payloads.parse_data_array([{
        "Datastream": {"@iot.id": 3},
        "components": ["phenomenonTime", "result", "resultTime", "FeatureOfInterest/id"],
        "dataArray": [["2026-03-01T00:00:00Z/2026-03-01T01:00:00Z", 1.5,
                       "2026-03-01T01:00:05Z", 7]]}])
    assert s.extras is not None and s.extras[0] is not None
    extra = s.extras[0]
    assert extra.phenomenon_end == T0 + dt.timedelta(hours=1) and extra.feature_id == 7
    with pytest.raises(payloads.PayloadError) as err:
        payloads.parse_data_array([{"Datastream": {"@iot.id": 3}, "components": ["nope"],
                                    "dataArray": []}])
    assert err.value.problems[0].loc == "/0/components"


def test_rate_limiter_is_per_key_and_refills() -> None:
    clock = [0.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: clock[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    assert limiter.retry_after("a") == 1
    clock[0] = 0.5
    assert limiter.allow("a") and not limiter.allow("a")
    with pytest.raises(ValueError):
        RateLimiter(rate=0, burst=1)
