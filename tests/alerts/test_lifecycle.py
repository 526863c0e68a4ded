"""Alerts raised from stored series: salinity, floods, rate of rise, silence, planthopper,
rice blast; lifecycle (raised, acknowledged, cleared), no duplicates, escalation; rights."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from nongso.alerts import services
from nongso.alerts.models import Alert, Delivery
from nongso.alerts.schemas import SubscriptionCreate
from nongso.core import clock
from nongso.core.pagination import PageRequest
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import services as monitor
from nongso.monitor.ingest import SeriesIn
from nongso.units import services as units
from tests.alerts.conftest import NOW, add_fields
from tests.helpers import Actors, assert_problem
from tests.monitor.conftest import OM, OM_COUNT, make_station


def _ingest(platform: Platform, ds: int, values: list[float], start: dt.datetime,
            step: dt.timedelta = dt.timedelta(minutes=10)) -> None:
    times = [start + i * step for i in range(len(values))]
    monitor.ingest(platform.uow(SYSTEM), [SeriesIn(ds, times, values)])


def _alerts(platform: Platform, **kw: Any) -> list[Any]:
    return services.list_alerts(platform.uow(SYSTEM), PageRequest(500, 0), **kw).items


def _count(platform: Platform, model: Any) -> int:
    with platform.engine.connect() as c:
        return int(c.scalar(select(func.count()).select_from(model)) or 0)


def test_salinity_raises_one_alert_per_station_listing_each_crop(
        platform: Platform, actors: Actors, now: clock.FixedClock) -> None:
    a, b = actors.commune_a, actors.commune_b
    st = make_station(platform, "Vàm Kênh", lon=106.70, lat=10.27)
    add_fields(platform, 106.70, 10.27, {"durian": a, "rice": b, "coconut": a})
    add_fields(platform, 107.5, 10.9, {"mango": a})  # far away: not around the station
    t = NOW - dt.timedelta(hours=2)
    _ingest(platform, st.salinity, [0.3, 0.4], t)
    assert _alerts(platform) == []
    _ingest(platform, st.salinity, [0.8], t + dt.timedelta(minutes=20))
    (alert,) = _alerts(platform, status="open")
    assert (alert.subject, alert.severity, alert.crops) == ("station", "moderate", ["durian"])
    assert alert.communes == [a] and alert.headline_vi.startswith("Mặn 0,80 ‰ tại Vàm Kênh")
    # The same condition goes on: no second alert, values follow.
    _ingest(platform, st.salinity, [0.82, 0.81], t + dt.timedelta(minutes=30))
    (same,) = _alerts(platform, status="open")
    assert same.id == alert.id and same.sequence == 1
    # Worse: durian extreme, and rice (2 ‰) now at risk too: still one alert, both crops.
    _ingest(platform, st.salinity, [2.4], t + dt.timedelta(minutes=50))
    (worse,) = _alerts(platform, status="open")
    assert worse.id == alert.id and worse.severity == "extreme" and worse.sequence == 2
    assert worse.crops == ["durian", "rice"] and worse.communes == sorted([a, b])
    a_name = units.get_unit(platform.uow(), a).name
    b_name = units.get_unit(platform.uow(), b).name
    assert worse.headline_vi == "Mặn 2,40 ‰ tại Vàm Kênh: nguy hại cho sầu riêng và lúa"
    assert worse.headline_en == "Salinity 2.40 ‰ at Vàm Kênh: durian and rice at risk"
    # Each crop with its communes (by name) and its advice, in both languages.
    assert f"– Sầu riêng (gấp 4,8 lần ngưỡng an toàn 0,50 ‰; {a_name}): Không tưới" \
        in worse.description_vi
    assert f"– Lúa (gấp 1,2 lần ngưỡng an toàn 2,00 ‰; {b_name}): Đóng cống" \
        in worse.description_vi
    assert f"– Rice (1.2 times the safe maximum of 2.00 ‰; {b_name}): Close the sluices" \
        in worse.description_en
    # Fresh water: it clears; coconut (10 ‰) was never at risk.
    _ingest(platform, st.salinity, [0.2], t + dt.timedelta(minutes=60))
    assert _alerts(platform, status="open") == []
    cleared = _alerts(platform, status="cleared")
    assert [x.id for x in cleared] == [alert.id]
    assert all(x.clear_reason == "resolved" for x in cleared)


def test_out_of_range_readings_raise_nothing(platform: Platform, actors: Actors,
                                             now: clock.FixedClock) -> None:
    st = make_station(platform, "Hòa Bình", lon=106.6, lat=10.3)
    add_fields(platform, 106.6, 10.3, {"durian": actors.commune_a})
    _ingest(platform, st.salinity, [0.2, 60.0, -1.0], NOW - dt.timedelta(hours=1))
    assert _alerts(platform) == []


def _flood_station(platform: Platform) -> Any:
    return make_station(platform, "Tân Châu", lon=105.24, lat=10.80,
                        extra_properties={"floodStation": "Tân Châu", "kind": "water_level",
                                          "communeCode": None})


def test_flood_alarm_levels_with_hysteresis(platform: Platform, actors: Actors,
                                            now: clock.FixedClock) -> None:
    st = _flood_station(platform)
    t = NOW - dt.timedelta(hours=20)
    step = dt.timedelta(hours=1)

    def level_after(values: list[float], start: int) -> tuple[int, str, int] | None:
        _ingest(platform, st.water, values, t + start * step, step)
        open_ = _alerts(platform, status="open", rule="flood.")
        if not open_:
            return None
        (x,) = open_
        return x.level, x.severity, x.sequence

    assert level_after([3.30, 3.45], 0) is None
    assert level_after([3.50], 2) == (1, "minor", 1)
    assert level_after([3.52, 3.47], 3) == (1, "minor", 1)  # within 5 cm: still I
    assert level_after([4.02], 5) == (2, "moderate", 2)
    assert level_after([3.97], 6) == (2, "moderate", 2)
    assert level_after([3.94], 7) == (1, "minor", 3)
    assert level_after([4.61], 8) == (3, "severe", 4)
    (alarm,) = _alerts(platform, status="open", rule="flood.")
    assert "báo động III" in alarm.headline_vi
    assert len(alarm.communes) == 102  # the whole province is told
    assert level_after([3.0], 9) is None
    (done,) = _alerts(platform, status="cleared", rule="flood.")
    assert done.id == alarm.id and done.sequence == 5


def test_rate_of_rise(platform: Platform, actors: Actors, now: clock.FixedClock) -> None:
    st = _flood_station(platform)
    start = NOW - dt.timedelta(hours=96)
    hourly = dt.timedelta(hours=1)
    # 25 cm a day for two days (the default: a 48-hour window, 10 cm a day)
    _ingest(platform, st.water, [2.0 + 0.25 * i / 24 for i in range(49)], start, hourly)
    (rise,) = _alerts(platform, status="open", rule="water_level.")
    assert rise.severity == "moderate" and "cm/ngày" in rise.headline_vi
    _ingest(platform, st.water, [2.5] * 48, start + dt.timedelta(hours=49), hourly)  # to now
    assert _alerts(platform, status="open", rule="water_level.") == []


def test_silent_station_is_reported_and_clears_when_data_comes(
        platform: Platform, actors: Actors, now: clock.FixedClock) -> None:
    st = make_station(platform, "Mỹ Tho", commune_code=actors.commune_a)
    _ingest(platform, st.salinity, [0.1], NOW - dt.timedelta(hours=7))
    services.evaluate_periodic(platform.uow(SYSTEM))
    (silent,) = _alerts(platform, status="open", rule="station.")
    assert silent.headline_vi == "Trạm Mỹ Tho mất tín hiệu" and silent.communes == [
        actors.commune_a]
    services.evaluate_periodic(platform.uow(SYSTEM))
    assert len(_alerts(platform, rule="station.")) == 1  # not raised twice
    _ingest(platform, st.water, [3.0], NOW - dt.timedelta(minutes=5))
    assert _alerts(platform, status="open", rule="station.") == []


def _trap(platform: Platform, actors: Actors) -> tuple[Any, int]:
    from nongso.monitor import services as m

    uow = platform.uow(SYSTEM)
    body = {"name": "Bẫy đèn Mỹ Hiệp", "properties": {"kind": "light_trap",
                                                     "communeCode": actors.commune_a},
            "Locations": [{"name": "Bẫy", "location": {"type": "Point",
                                                       "coordinates": [105.8, 10.45]}}],
            "Datastreams": [{"name": "Rầy nâu vào đèn", "unitOfMeasurement": {"symbol": "con"},
                             "observationType": OM_COUNT,
                             "Sensor": {"name": "Bẫy đèn", "encodingType": "text/html",
                                        "metadata": "x"},
                             "ObservedProperty": {"name": "Rầy", "definition": "bph",
                                                  "properties": {"code": "light_trap_count"}}}]}
    thing = m.sta_create(uow, "Things", body, "http://t/sta/v1.1").body["@iot.id"]
    ds = m.sta_read(platform.uow(SYSTEM), f"Things({thing})/Datastreams", {},
                    "http://t/sta/v1.1").body["value"][0]["@iot.id"]
    return thing, ds


def test_planthopper_peak_gives_a_sowing_window_to_the_communes_around(
        platform: Platform, actors: Actors, now: clock.FixedClock) -> None:
    add_fields(platform, 105.8, 10.45, {"rice": actors.commune_b, "mango": actors.commune_a})
    _, ds = _trap(platform, actors)
    today = (NOW + dt.timedelta(hours=7)).date()
    counts = [20.0] * 14 + [60, 150, 900, 400, 200, 120]  # the peak: 3 days before today
    days = [today - dt.timedelta(days=len(counts) - 1 - i) for i in range(len(counts))]
    morning = [dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC) - dt.timedelta(hours=1)
               for d in days]  # 06:00 in Vietnam
    monitor.ingest(platform.uow(SYSTEM), [SeriesIn(ds, morning[:-1], counts[:-1])])
    assert _alerts(platform, rule="pest.") == []  # the top is not confirmed yet
    monitor.ingest(platform.uow(SYSTEM), [SeriesIn(ds, morning[-1:], counts[-1:])])
    (advice,) = _alerts(platform, status="open", rule="pest.")
    assert advice.severity == "info" and advice.crops == ["rice"]
    assert advice.communes == sorted([actors.commune_a, actors.commune_b])
    assert advice.onset is not None and advice.expires is not None
    onset_day = (advice.onset + dt.timedelta(hours=7)).date()
    assert onset_day == today + dt.timedelta(days=1)
    assert "gieo né rầy" in advice.headline_vi
    # When the sowing window is over, the advisory is cleared.
    now.advance(dt.timedelta(days=9))
    services.evaluate_periodic(platform.uow(SYSTEM))
    assert _alerts(platform, status="open", rule="pest.") == []


def test_rice_blast_weather(platform: Platform, actors: Actors, now: clock.FixedClock) -> None:
    uow = platform.uow(SYSTEM)
    body = {"name": "Trạm khí tượng Cao Lãnh", "properties": {"kind": "weather",
                                                             "communeCode": actors.commune_a},
            "Locations": [{"name": "KT", "location": {"type": "Point",
                                                      "coordinates": [105.63, 10.46]}}],
            "Datastreams": [
                {"name": "Nhiệt độ", "unitOfMeasurement": {"symbol": "°C"}, "observationType": OM,
                 "Sensor": {"name": "T", "encodingType": "text/html", "metadata": "x"},
                 "ObservedProperty": {"name": "Nhiệt độ không khí", "definition": "t",
                                      "properties": {"code": "air_temperature"}}},
                {"name": "Độ ẩm", "unitOfMeasurement": {"symbol": "%"}, "observationType": OM,
                 "Sensor": {"name": "RH", "encodingType": "text/html", "metadata": "x"},
                 "ObservedProperty": {"name": "Độ ẩm", "definition": "rh",
                                      "properties": {"code": "relative_humidity"}}}]}
    thing = monitor.sta_create(uow, "Things", body, "http://t").body["@iot.id"]
    temp, rh = (d["@iot.id"] for d in monitor.sta_read(
        platform.uow(SYSTEM), f"Things({thing})/Datastreams", {"$orderby": "id"},
        "http://t").body["value"])
    add_fields(platform, 105.63, 10.46, {"rice": actors.commune_a})
    start = NOW - dt.timedelta(days=6)
    hours = [start + dt.timedelta(hours=h) for h in range(6 * 24)]

    def local_hour(t: dt.datetime) -> int:
        return (t + dt.timedelta(hours=7)).hour

    t_values = [22.0 if local_hour(t) < 6 or local_hour(t) >= 18 else 31.0 for t in hours]
    h_values = [95.0 if local_hour(t) < 6 or local_hour(t) >= 18 else 70.0 for t in hours]
    monitor.ingest(platform.uow(SYSTEM), [SeriesIn(temp, hours, t_values),
                                          SeriesIn(rh, hours, h_values)])
    (blast,) = _alerts(platform, status="open", rule="disease.")
    assert blast.severity == "moderate" and "đạo ôn" in blast.headline_vi
    assert blast.communes == [actors.commune_a] and blast.crops == ["rice"]


def test_acknowledge_escalation_and_rights(platform: Platform, actors: Actors,
                                           now: clock.FixedClock) -> None:
    st = make_station(platform, "Vàm Giồng", lon=106.5, lat=10.33)
    add_fields(platform, 106.5, 10.33, {"durian": actors.commune_a})
    services.create_subscription(platform.uow(actors_principal(actors, "commune_a")),
                                 SubscriptionCreate(channel="inapp"))
    _ingest(platform, st.salinity, [1.8], NOW - dt.timedelta(minutes=1))  # durian: extreme
    (alert,) = _alerts(platform, status="open")
    c = actors.client
    assert_problem(c.post(f"/api/v1/alerts/{alert.id}/acknowledge",
                          headers=actors.headers("commune_b")), 403)
    assert_problem(c.post(f"/api/v1/alerts/{alert.id}/acknowledge",
                          headers=actors.headers("farmer_a")), 403)
    assert_problem(c.post(f"/api/v1/alerts/{alert.id}/acknowledge"), 401)
    # Not acknowledged for 15 minutes (extreme): it goes up to the province.
    now.advance(dt.timedelta(minutes=16))
    report = services.evaluate_periodic(platform.uow(SYSTEM))
    assert report.escalated == 1
    escalated = services.get_alert(platform.uow(SYSTEM), alert.id)
    assert escalated.escalation_level == 1
    with platform.engine.connect() as conn:
        events = sorted(conn.execute(select(Delivery.event, Delivery.recipient)
                                     .where(Delivery.alert_id == alert.id)).all())
    province_user = f"user:{actors.users['province']}"
    assert ("escalated-1", province_user) in events
    assert any(e == "raised-1" for e, _ in events)
    services.evaluate_periodic(platform.uow(SYSTEM))  # no second escalation yet
    assert services.get_alert(platform.uow(SYSTEM), alert.id).escalation_level == 1
    r = c.post(f"/api/v1/alerts/{alert.id}/acknowledge", headers=actors.headers("commune_a"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "acknowledged"
    assert r.json()["acknowledged_by"] == actors.users["commune_a"]
    now.advance(dt.timedelta(hours=2))
    assert services.evaluate_periodic(platform.uow(SYSTEM)).escalated == 0
    r = c.post(f"/api/v1/alerts/{alert.id}/clear", headers=actors.headers("province"))
    assert r.json()["status"] == "cleared" and r.json()["clear_reason"] == "manual"
    assert_problem(c.post(f"/api/v1/alerts/{alert.id}/clear",
                          headers=actors.headers("province")), 409)


def actors_principal(actors: Actors, name: str) -> Any:
    from nongso.accounts import services as accounts

    return accounts.authenticate(actors.platform.uow(), bearer=actors.token(name))


def test_alert_list_for_a_farmer_and_the_public(platform: Platform, actors: Actors,
                                                now: clock.FixedClock) -> None:
    a, b = actors.commune_a, actors.commune_b
    add_fields(platform, 106.7, 10.27, {"durian": a}, farmer_id=actors.farmer_a.id)
    add_fields(platform, 106.8, 10.5, {"rice": b})
    st1 = make_station(platform, "Trạm 1", lon=106.7, lat=10.27)
    st2 = make_station(platform, "Trạm 2", lon=106.8, lat=10.5)
    _ingest(platform, st1.salinity, [1.0], NOW - dt.timedelta(minutes=5))
    _ingest(platform, st2.salinity, [3.0], NOW - dt.timedelta(minutes=5))
    c = actors.client
    public = c.get("/api/v1/alerts", params={"status": "open"}).json()
    assert public["total"] == 2
    mine = c.get("/api/v1/alerts", params={"mine": "true"},
                 headers=actors.headers("farmer_a")).json()
    assert [x["crops"] for x in mine["items"]] == [["durian"]]
    commune_b = c.get("/api/v1/alerts", params={"mine": "true"},
                      headers=actors.headers("commune_b")).json()
    assert [x["crops"] for x in commune_b["items"]] == [["rice"]]
    by_crop = c.get("/api/v1/alerts", params={"crop": "rice"}).json()
    assert [x["crops"] for x in by_crop["items"]] == [["rice"]]
    assert_problem(c.get("/api/v1/alerts", params={"status": "bogus"}), 422)
    assert_problem(c.get("/api/v1/alerts/987654"), 404)


def test_an_alert_rule_failure_rolls_the_ingestion_back_with_it(
        platform: Platform, actors: Actors, now: clock.FixedClock,
        monkeypatch: Any) -> None:
    """The alert and the readings that raise it are written together or not at all."""
    import pytest

    st = make_station(platform, "Trạm X", lon=106.7, lat=10.27)
    add_fields(platform, 106.7, 10.27, {"durian": actors.commune_a})

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("rule engine down")

    monkeypatch.setattr(services.evaluation, "_notify", broken)
    with pytest.raises(RuntimeError):
        _ingest(platform, st.salinity, [3.0], NOW - dt.timedelta(minutes=5))
    assert _count(platform, Alert) == 0
    assert monitor.readings(platform.uow(SYSTEM), st.salinity, NOW - dt.timedelta(days=1)) == []


def test_alert_list_queries_do_not_grow_with_the_page(platform: Platform, actors: Actors,
                                                      now: clock.FixedClock) -> None:
    from tests.helpers import count_queries

    for i in range(6):
        st = make_station(platform, f"Trạm {i}", lon=106.0 + i / 10, lat=10.3)
        add_fields(platform, 106.0 + i / 10, 10.3, {"durian": actors.commune_a})
        _ingest(platform, st.salinity, [1.0], NOW - dt.timedelta(minutes=5))
    c = actors.client
    c.get("/api/v1/alerts", params={"limit": 1})
    with count_queries(platform.engine) as small:
        assert len(c.get("/api/v1/alerts", params={"limit": 2}).json()["items"]) == 2
    with count_queries(platform.engine) as large:
        assert len(c.get("/api/v1/alerts", params={"limit": 6}).json()["items"]) == 6
    assert large.count == small.count, (small.statements, large.statements)


def test_crops_without_a_salinity_threshold_are_said_not_covered(
        platform: Platform, actors: Actors, now: clock.FixedClock) -> None:
    # No published threshold was found for longan, jackfruit, vegetables or fish ponds
    # (../shared/reference/agronomy.md lists rice, durian, rambutan, pomelo, citrus, coconut,
    # mango): the station and alert pages say so instead of staying silent.
    a = actors.commune_a
    st = make_station(platform, "Vàm Kênh", lon=106.70, lat=10.27)
    add_fields(platform, 106.70, 10.27, {"durian": a, "longan": a, "jackfruit": a,
                                         "pangasius": a})
    _ingest(platform, st.salinity, [0.8], NOW - dt.timedelta(minutes=10))
    (durian,) = _alerts(platform, status="open")
    assert "Chưa có ngưỡng mặn cho: Mít, Nhãn, Cá tra (ao nuôi)" in durian.description_vi
    assert "Not covered (no salinity threshold): Jackfruit, Longan, Pangasius" in \
        durian.description_en
    page = actors.client.get(f"/alerts/{durian.id}")
    assert page.status_code == 200 and "Chưa có ngưỡng mặn cho: Mít, Nhãn" in page.text
    with platform.uow(SYSTEM) as uow:
        thing_id = next(s.id for s in services.stations_with_status(uow)
                        if s.name == "Vàm Kênh")
    station = actors.client.get(f"/monitor/stations/{thing_id}")
    assert station.status_code == 200
    note = station.text.split('id="salinity-not-covered"', 1)[1].split("</p>", 1)[0]
    assert "Chưa có ngưỡng mặn" in note and "Nhãn" in note and "Mít" in note
    assert "Sầu riêng" not in note
