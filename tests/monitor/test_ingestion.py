"""Ingestion through the service and over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from nongso.core import clock
from nongso.core.permissions import SYSTEM, Principal
from nongso.core.platform import Platform
from nongso.monitor import runtime, services
from nongso.monitor.ingest import SeriesIn
from nongso.monitor.models import Observation, ObservationDaily, ObservationHourly
from nongso.monitor.ratelimit import RateLimiter
from tests.helpers import Actors, assert_problem
from tests.monitor.conftest import Station, make_station

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _count(platform: Platform, model: Any = Observation) -> int:
    with platform.engine.connect() as c:
        return int(c.scalar(select(func.count()).select_from(model)) or 0)


def _device(st: Station, platform: Platform) -> Principal:
    from nongso.accounts import services as accounts

    return accounts.authenticate(platform.uow(), api_key=st.api_key)


def _minutes(ds: int, n: int, start: dt.datetime = T0, value: float = 1.0,
             step: float = 0.001) -> SeriesIn:
    return SeriesIn(ds, [start + dt.timedelta(minutes=i) for i in range(n)],
                    [value + step * i for i in range(n)])


def test_batch_is_stored_with_hourly_and_daily_rollups(platform: Platform, station: Station,
                                                       fixed_now: clock.FixedClock) -> None:
    report = services.ingest(platform.uow(SYSTEM), [_minutes(station.salinity, 180)])
    assert (report.received, report.stored, report.duplicates, report.bad_quality) == (
        180, 180, 0, 0)
    hourly = services.hourly_values(platform.uow(SYSTEM), station.salinity, T0)
    assert [n for _, n, *_ in hourly] == [60, 60, 60]
    first_hour = [1.0 + 0.001 * i for i in range(60)]
    assert hourly[0][2] == __import__("pytest").approx(sum(first_hour))
    assert hourly[0][3] == min(first_hour) and hourly[0][4] == max(first_hour)
    # 1 March 00:00-03:00 UTC is 07:00-10:00 in Vietnam: one local day.
    daily = services.daily_values(platform.uow(SYSTEM), station.salinity, dt.date(2026, 3, 1))
    assert [(d, n) for d, n, *_ in daily] == [(dt.date(2026, 3, 1), 180)]


def test_duplicates_are_idempotent_and_rollups_stay_exact(
        platform: Platform, station: Station, fixed_now: clock.FixedClock) -> None:
    services.ingest(platform.uow(SYSTEM), [_minutes(station.salinity, 90)])
    # The same 90 readings again plus 30 new ones (a device resending after a timeout).
    again = services.ingest(platform.uow(SYSTEM), [_minutes(station.salinity, 120)])
    assert (again.stored, again.duplicates) == (30, 90)
    assert _count(platform) == 120
    hourly = services.hourly_values(platform.uow(SYSTEM), station.salinity, T0)
    assert [n for _, n, *_ in hourly] == [60, 60]
    assert sum(total for _, _, total, *_ in hourly) == __import__("pytest").approx(
        sum(1.0 + 0.001 * i for i in range(120)))
    # Duplicates inside one batch too.
    same = SeriesIn(station.water, [T0, T0, T0 + dt.timedelta(minutes=1)], [2.0, 9.0, 2.1])
    r = services.ingest(platform.uow(SYSTEM), [same])
    assert (r.stored, r.duplicates) == (2, 1)
    rows = services.readings(platform.uow(SYSTEM), station.water, T0)
    assert [v for _, v, _ in rows] == [2.0, 2.1]  # the first one is kept


def test_out_of_range_values_are_stored_flagged_and_left_out_of_rollups(
        platform: Platform, station: Station, fixed_now: clock.FixedClock) -> None:
    times = [T0 + dt.timedelta(minutes=i) for i in range(4)]
    r = services.ingest(platform.uow(SYSTEM), [
        SeriesIn(station.salinity, times, [1.0, -0.5, 55.0, 2.0]),
        SeriesIn(station.water, times[:2], [3.2, 16.0]),
    ])
    assert (r.stored, r.bad_quality) == (6, 3)
    flags = [q for _, _, q in services.readings(platform.uow(SYSTEM), station.salinity, T0)]
    assert flags == ["good", "bad_range", "bad_range", "good"]
    ((_, n, total, lo, hi),) = services.hourly_values(platform.uow(SYSTEM), station.salinity, T0)
    assert (n, total, lo, hi) == (2, 3.0, 1.0, 2.0)
    st = services.stations(platform.uow(SYSTEM))[0]
    latest = {v.datastream_id: v.value for v in st.latest}
    assert latest[station.water] == 3.2  # the flagged 16 m is not "the latest value"


def test_a_bad_reading_refuses_the_whole_batch(platform: Platform, station: Station,
                                               fixed_now: clock.FixedClock) -> None:
    import pytest

    from nongso.core.errors import ValidationFailed

    before = _count(platform)
    future = fixed_now.now() + dt.timedelta(hours=2)
    bad = SeriesIn(station.salinity, [T0, future, T0 + dt.timedelta(minutes=1)],
                   [1.0, 1.1, "mặn"], loc="/obs")
    with pytest.raises(ValidationFailed) as err:
        services.ingest(platform.uow(SYSTEM), [_minutes(station.water, 10), bad])
    locs = [e.loc for e in err.value.errors]
    assert locs == ["/obs/1", "/obs/2"]
    assert "tương lai" in err.value.errors[0].message_vi
    assert _count(platform) == before
    assert _count(platform, ObservationHourly) == 0


def test_a_device_writes_only_its_own_datastreams(platform: Platform, station: Station,
                                                  fixed_now: clock.FixedClock) -> None:
    import pytest

    from nongso.core.errors import PermissionDenied

    other = make_station(platform, "Trạm B", lon=106.3, lat=10.3)
    device = _device(station, platform)
    mine = services.ingest(platform.uow(device), [_minutes(station.salinity, 5)])
    assert mine.stored == 5
    with pytest.raises(PermissionDenied) as err:
        services.ingest(platform.uow(device), [_minutes(station.water, 5),
                                               _minutes(other.salinity, 5)])
    assert "thiết bị khác" in err.value.message_vi
    assert _count(platform) == 5


def test_ec_is_converted_to_salinity_with_the_stated_factor(
        platform: Platform, actors: Actors, fixed_now: clock.FixedClock) -> None:
    st = make_station(platform, "Trạm EC")
    r = actors.client.patch(f"/sta/v1.1/Datastreams({st.salinity})",
                            json={"properties": {"inputUnit": "mS/cm"}},
                            headers=actors.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["conversion"].startswith("‰ = mS/cm ÷ 1.56")
    services.ingest(platform.uow(SYSTEM), [SeriesIn(st.salinity, [T0], [3.12])])
    obs = actors.client.get(f"/sta/v1.1/Datastreams({st.salinity})/Observations").json()
    (o,) = obs["value"]
    assert o["result"] == __import__("pytest").approx(2.0)
    assert o["parameters"] == {"rawResult": 3.12, "rawUnit": "mS/cm"}


def test_http_compact_batch_with_the_device_key(client: Any, platform: Platform,
                                                station: Station,
                                                fixed_now: clock.FixedClock) -> None:
    body = {"obs": [[station.salinity, "2026-03-01T07:00:00+07:00", 0.4],
                    [station.water, 1772323200, 2.8]]}
    r = client.post("/api/v1/monitor/observations", json=body,
                    headers={"X-API-Key": station.api_key})
    assert r.status_code == 200, r.text
    assert r.json() == {"received": 2, "stored": 2, "duplicates": 0, "bad_quality": 0,
                        "rejected": []}
    times = [t for t, _, _ in services.readings(platform.uow(SYSTEM), station.salinity, T0)]
    assert times == [T0]


def test_http_bad_input_is_refused_in_vietnamese_and_stores_nothing(
        client: Any, platform: Platform, station: Station,
        fixed_now: clock.FixedClock) -> None:
    headers = {"X-API-Key": station.api_key, "Content-Type": "application/json"}
    cases = [
        (b"{not json", 400, "JSON"),
        (b'{"obs": "x"}', 400, "obs"),
        (b'{"obs": [[1, "2026-03-01T00:00:00Z"]]}', 400, "/obs/0"),
        (b'{"obs": [[99999, "2026-03-01T00:00:00Z", 1]]}', 422, "99999"),
        (f'{{"obs": [[{station.salinity}, "2026-03-01T00:00:00", 1]]}}'.encode(), 422,
         "múi giờ"),
        (f'{{"obs": [[{station.salinity}, "2099-01-01T00:00:00Z", 1]]}}'.encode(), 422,
         "tương lai"),
        (f'{{"obs": [[{station.salinity}, "2026-03-01T00:00:00Z", true]]}}'.encode(), 422,
         "phải là một số"),
        (f'{{"obs": [[{station.salinity}, "2026-03-01T00:00:00Z", NaN]]}}'.encode(), 400,
         "JSON"),
    ]
    for payload, code, needle in cases:
        r = client.post("/api/v1/monitor/observations", content=payload, headers=headers)
        body = assert_problem(r, code)
        assert needle in body["detail"], (payload, r.text)
    r = client.post("/api/v1/monitor/observations", content=cases[3][0],
                    headers={**headers, "Accept-Language": "en"})
    assert "There is no Datastream 99999" in r.text
    assert _count(platform) == 0
    r = client.post("/api/v1/monitor/observations", json={"obs": []},
                    headers={"X-API-Key": "nsd_wrong-key"})
    assert_problem(r, 401)


def test_a_flooding_device_gets_429_and_others_go_on(client: Any, platform: Platform,
                                                     station: Station,
                                                     fixed_now: clock.FixedClock) -> None:
    ticks = [0.0]
    runtime.use_limiter(RateLimiter(rate=1, burst=3, clock=lambda: ticks[0]))
    other = make_station(platform, "Trạm C", lon=106.2, lat=10.4)

    def post(st: Station, minute: int) -> Any:
        t = (T0 + dt.timedelta(minutes=minute)).isoformat()
        return client.post("/api/v1/monitor/observations", json={"obs": [[st.salinity, t, 1]]},
                           headers={"X-API-Key": st.api_key})

    codes = [post(station, i).status_code for i in range(6)]
    assert codes == [200, 200, 200, 429, 429, 429]
    r = post(station, 99)
    assert_problem(r, 429)
    assert r.headers["Retry-After"] == "1"
    assert post(other, 0).status_code == 200  # another device is not held back
    ticks[0] = 2.0
    assert post(station, 100).status_code == 200
    assert _count(platform) == 5


def test_sta_single_observation_posts_and_duplicate_answers_the_same(
        client: Any, platform: Platform, station: Station,
        fixed_now: clock.FixedClock) -> None:
    headers = {"X-API-Key": station.api_key}
    body = {"phenomenonTime": "2026-03-01T00:00:00Z", "result": 0.7,
            "resultTime": "2026-03-01T00:00:05Z", "parameters": {"battery": 3.9}}
    r1 = client.post(f"/sta/v1.1/Datastreams({station.salinity})/Observations", json=body,
                     headers=headers)
    assert r1.status_code == 201, r1.text
    assert r1.headers["Location"].endswith(f"/Observations({r1.json()['@iot.id']})")
    assert r1.json()["parameters"] == {"battery": 3.9}
    r2 = client.post("/sta/v1.1/Observations",
                     json={**body, "Datastream": {"@iot.id": station.salinity}}, headers=headers)
    assert r2.status_code == 201
    assert r2.headers["Location"] == r1.headers["Location"]
    assert _count(platform) == 1
    r = client.post(f"/sta/v1.1/Datastreams({station.water})/Observations",
                    json={"phenomenonTime": "2026-03-01T00:00:00Z"}, headers=headers)
    body_err = assert_problem(r, 400)
    assert body_err["errors"][0]["loc"] == "/result"


def test_create_observations_reports_each_row(client: Any, platform: Platform,
                                              station: Station,
                                              fixed_now: clock.FixedClock) -> None:
    body = [{"Datastream": {"@iot.id": station.salinity},
             "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
             "dataArray": [["2026-03-01T00:00:00Z", 1.0, None],
                           ["2099-03-01T00:00:00Z", 1.0, None],
                           ["2026-03-01T00:10:00Z", "x", None]]},
            {"Datastream": {"@iot.id": station.water}, "components": ["phenomenonTime", "result"],
             "dataArray": [["2026-03-01T00:00:00Z", 3.1], ["2026-03-01T00:00:00Z", 3.1]]}]
    r = client.post("/sta/v1.1/CreateObservations", json=body,
                    headers={"X-API-Key": station.api_key})
    assert r.status_code == 201, r.text
    links = r.json()
    assert [link == "error" for link in links] == [False, True, True, False, False]
    assert links[3] == links[4]  # the duplicate points at the stored observation
    assert _count(platform) == 2
    other = make_station(platform, "Trạm D", lon=106.1, lat=10.2)
    body[0]["Datastream"] = {"@iot.id": other.salinity}
    r = client.post("/sta/v1.1/CreateObservations", json=body,
                    headers={"X-API-Key": station.api_key})
    assert_problem(r, 403)
    assert _count(platform) == 2


def test_recompute_matches_incremental_rollups(platform: Platform, station: Station,
                                               fixed_now: clock.FixedClock) -> None:
    """Increments (all new) and recomputation (duplicates) give the same roll-ups."""
    import random

    rng = random.Random(7)
    times = [T0 + dt.timedelta(seconds=rng.randrange(0, 3 * 24 * 3600)) for _ in range(500)]
    values = [rng.uniform(0, 5) for _ in times]
    services.ingest(platform.uow(SYSTEM), [SeriesIn(station.salinity, times, values)])
    incremental = services.hourly_values(platform.uow(SYSTEM), station.salinity, T0)
    daily_inc = services.daily_values(platform.uow(SYSTEM), station.salinity, T0.date())
    services.ingest(platform.uow(SYSTEM), [SeriesIn(station.salinity, times[:10], values[:10])])
    recomputed = services.hourly_values(platform.uow(SYSTEM), station.salinity, T0)
    assert [(h, n) for h, n, *_ in incremental] == [(h, n) for h, n, *_ in recomputed]
    for a, b in zip(incremental, recomputed, strict=True):
        assert a[2] == __import__("pytest").approx(b[2])
    unique = {t: v for t, v in reversed(list(zip(times, values, strict=True)))}
    assert sum(n for _, n, *_ in recomputed) == len(unique)
    assert sum(n for _, n, *_ in daily_inc) == len(unique)
    assert _count(platform, ObservationDaily) == len(daily_inc)
