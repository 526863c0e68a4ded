"""The demo's monitoring: deterministic scenario, history, and the live replay raising alerts."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from nongso.alerts import services as alerts
from nongso.core import clock
from nongso.core.pagination import PageRequest
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import monitor as demo
from nongso.demo import services
from nongso.monitor import services as monitor
from nongso.registry import services as registry

NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 09:00 in Vietnam


def test_scenario_is_deterministic_and_tells_its_stories() -> None:
    a = {st.key: demo.readings(st, NOW - dt.timedelta(days=7), NOW, NOW, 7) for st in
         demo.STATIONS}
    b = {st.key: demo.readings(st, NOW - dt.timedelta(days=7), NOW, NOW, 7) for st in
         demo.STATIONS}
    assert a == b
    c = demo.readings(demo.STATIONS[0], NOW - dt.timedelta(days=1), NOW, NOW, 8)
    assert c["salinity"][1] != a["tram-vam-kenh"]["salinity"][1][-len(c["salinity"][1]):]
    live_start = NOW - dt.timedelta(hours=6)
    by_key = {st.key: st for st in demo.STATIONS}
    # In March the stations play the dry season: the flood tide of the replay brings the salt
    # up to Mỹ Tho (fresh at low water six hours ago, salty at high water now).
    dry = demo.scenario_for(NOW)
    assert dry.code == "dry" and "mùa khô 2026" in dry.label_vi
    my_tho = by_key["tram-my-tho"]
    assert demo.salinity(my_tho, live_start, NOW, 1) < 0.5 < demo.salinity(my_tho, NOW, NOW, 1)
    tan_chau = by_key["tram-tan-chau"]
    assert demo.water_level(tan_chau, NOW, NOW, 1) < 2.0  # dry-season low water
    # The flood scenario: Tân Châu reaches alarm level I (3.5 m) on the replay's high tide.
    flood = demo.scenario_for(NOW, "flood")
    assert flood.code == "flood" and "mùa lũ 2025" in flood.label_vi
    assert demo.water_level(tan_chau, live_start, NOW, 1, flood) < 3.5
    assert demo.water_level(tan_chau, NOW, NOW, 1, flood) >= 3.5
    assert demo.salinity(my_tho, NOW, NOW, 1, flood) < 0.2  # the rivers are fresh
    # The silent station stops eight hours ago.
    tan_dien = a["tram-tan-dien"]["salinity"][0]
    assert max(tan_dien) <= NOW - dt.timedelta(hours=8)


def test_history_and_replay_raise_the_alerts(platform: Platform) -> None:
    fixed = clock.FixedClock(NOW)
    previous = clock.use(fixed)
    try:
        result = services.build_demo(platform.uow(SYSTEM), "82", "demo-pass", scale=0.05)
        assert result.stations == len(demo.STATIONS) and result.observations > 5000
        # Every simulated station is linked to its monitoring-station record in the registry,
        # and the record lists it back (through monitoring's service).
        by_name = {st.name: st for st in demo.STATIONS}
        things = monitor.stations(platform.uow(SYSTEM))
        assert sorted(t.name for t in things) == sorted(by_name)
        for t in things:
            assert t.registry_feature_id is not None, t.name
            record = registry.get_infrastructure_detail(platform.uow(), t.registry_feature_id)
            assert record.kind == "monitoring_station" and record.code == \
                by_name[t.name].registry_code
            assert t.id in [s.id for s in record.sensors]

        def open_rules() -> Counter[str]:
            page = alerts.list_alerts(platform.uow(SYSTEM), PageRequest(500, 0), status="open")
            return Counter(a.rule_id for a in page.items)

        def crops_at_risk() -> int:
            page = alerts.list_alerts(platform.uow(SYSTEM), PageRequest(500, 0), status="open")
            return sum(len(a.crops) for a in page.items if a.rule_id == "salinity.crop_risk")

        before = open_rules()
        reach = crops_at_risk()
        assert before["salinity.crop_risk"] > 0 and before["disease.rice_blast.weather"] == 1
        assert before["flood.alarm_level"] == 0
        sim = demo.Simulator(lambda: platform.uow(SYSTEM),
                             demo.service_sender(lambda: platform.uow(SYSTEM)), seed=2026,
                             tick_s=0, now=lambda: NOW)
        assert sim.replay() == NOW
        after = open_rules()
        # The dry season: no flood, no rise (the tide is not a flood), more salt at high water.
        assert after["flood.alarm_level"] == 0 and after["water_level.rate_of_rise"] == 0
        assert after["pest.brown_planthopper.light_trap_peak"] == 1
        # One alert per station: high water puts more stations, or more crops, at risk.
        assert (after["salinity.crop_risk"], crops_at_risk()) > (
            before["salinity.crop_risk"], reach)
        alerts.evaluate_periodic(platform.uow(SYSTEM))
        assert open_rules()["station.silence"] == 1  # Tân Điền
    finally:
        clock.use(previous)


def test_flood_scenario_raises_the_flood_alarms(platform: Platform) -> None:
    fixed = clock.FixedClock(NOW)
    previous = clock.use(fixed)
    try:
        services.build_demo(platform.uow(SYSTEM), "82", "demo-pass", scale=0.05,
                            scenario="flood")

        def open_rules() -> Counter[str]:
            page = alerts.list_alerts(platform.uow(SYSTEM), PageRequest(500, 0), status="open")
            return Counter(a.rule_id for a in page.items)

        before = open_rules()
        assert before["flood.alarm_level"] == 0 and before["salinity.crop_risk"] == 0
        flood = demo.scenario_for(NOW, "flood")
        sim = demo.Simulator(lambda: platform.uow(SYSTEM),
                             demo.service_sender(lambda: platform.uow(SYSTEM)), seed=2026,
                             tick_s=0, now=lambda: NOW, scenario=flood)
        assert sim.replay() == NOW
        after = open_rules()
        assert after["flood.alarm_level"] == 2  # Tân Châu and Châu Đốc, alarm level I
        assert after["water_level.rate_of_rise"] >= 1  # 20 cm a day over three days
        assert after["salinity.crop_risk"] == 0
        # The stations say which scenario they play.
        hydrological = {st.key for st in demo.STATIONS if st.kind in ("salinity", "water_level")}
        labels = {s.thing_properties.get("demoScenarioVi")
                  for s in monitor.rule_streams(platform.uow(SYSTEM))
                  if s.thing_properties.get("demoKey") in hydrological}
        assert labels == {flood.label_vi}
    finally:
        clock.use(previous)


def test_demo_accounts_get_alerts_in_their_inbox(platform: Platform) -> None:
    from nongso.accounts import services as accounts
    from nongso.core.permissions import Principal

    fixed = clock.FixedClock(NOW)
    previous = clock.use(fixed)
    try:
        services.build_demo(platform.uow(SYSTEM), "82", "demo-pass", scale=0.05)
        (officer,) = [u for u in accounts.users_with_roles(platform.uow(SYSTEM),
                                                           ["province_officer"])
                      if u.username == "canbo.tinh"]
        me = Principal(role=officer.role, user_id=officer.id, username=officer.username,
                       unit_code=officer.unit_code, province_code=officer.province_code)
        inbox = alerts.inbox(platform.uow(me), PageRequest(100, 0))
        assert inbox.total > 0 and all(i.event.startswith("raised") for i in inbox.items)
    finally:
        clock.use(previous)
