"""Demo monitoring: simulated stations, their history, and a live simulator.

Stations stand at the official centroids of real communes (names of real places, invented
data). The demo runs "now", whatever the month, so the hydrological stations play one
**scenario** (:class:`Scenario`), named on the monitoring page:

- ``dry`` — *mùa khô*: salt intrusion up the Tiền river (Cửa Tiểu branch) at a spring tide of
  the dry season's peak (early March). Salinity falls with the distance from the sea (a
  logistic profile from the sea's 32 ‰; its 4 ‰ point reaches 38 km at the spring high
  tide, 1 ‰ about 45 km: a moderate year beside the province's bulletins, 4 g/L at 40–50 km
  on the Tiền in 2022, 4.93 g/L at 42 km and 1.4 g/L at 46 km on 10/02/2023) and moves with
  a semi-diurnal tide (M2 12.42 h, with a diurnal K1 part) over ±3.5–6 km and with the
  spring–neap cycle (14.77 days): a station 32 km inland swings between about 2 and 10 ‰
  over a tide, one 48 km inland stays under 1 ‰ — never 0.05 to 14 ‰ in two hours. The
  water at Tân Châu and Châu Đốc is low, with the dry season's tide.
- ``flood`` — *mùa lũ*: the flood rising at Tân Châu and Châu Đốc (An Giang), the reference
  stations of the upper delta, through alarm level I in early October (about 12, then 25 cm
  a day, a weak tide on top); the rivers are fresh down to the sea.

``auto`` (the default) plays the flood from July to November and the dry season otherwise.
The brown planthopper light traps and the weather follow the real calendar: flights every
25 days (``demo.calendar``), the last peak three nights ago (confirmed by this morning's
count: the "né rầy" sowing window that the demo's Đông Xuân fields follow), warm humid nights
(rice blast weather), and one salinity station that has gone silent.

The history (seven days up to six hours ago; light traps: 460 days) is written through the
ingestion service when the demo is built. The live simulator then replays the last six
hours in 72 seconds (a 10-minute step every 2 s, with real timestamps in the past, so rates
of rise are real): the tide comes in and new alerts fire within the first minute. Afterwards
it sends one reading a minute, the scenario's clock running on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nongso.core.uow import UnitOfWork
from nongso.demo import calendar as demo_calendar

log = logging.getLogger("nongso.demo")

OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
VN = dt.timezone(dt.timedelta(hours=7))
STEP = dt.timedelta(minutes=10)
LIVE_HOURS = 6
LIVE_TICKS = LIVE_HOURS * 6
TICK_S = 2.0
HISTORY_DAYS = 7

# code, name vi, unit symbol, unit name, observation type
STREAMS: dict[str, tuple[str, str, str, str]] = {
    "salinity": ("Độ mặn", "‰", "phần nghìn (g/L)", OM + "OM_Measurement"),
    "water_level": ("Mực nước", "m", "mét (hệ cao độ Hòn Dấu)", OM + "OM_Measurement"),
    "light_trap_count": ("Rầy nâu vào đèn", "con", "con/đêm", OM + "OM_CountObservation"),
    "air_temperature": ("Nhiệt độ không khí", "°C", "độ C", OM + "OM_Measurement"),
    "relative_humidity": ("Độ ẩm không khí", "%", "phần trăm", OM + "OM_Measurement"),
}
# The registry's station type (infrastructure subtype) of each kind of demo station.
REGISTRY_SUBTYPES = {"salinity": "salinity", "water_level": "hydrological",
                     "light_trap": "light_trap", "weather": "weather"}
PROPERTY_NAMES = {"salinity": "Salinity", "water_level": "Water level",
                  "light_trap_count": "Light-trap count", "air_temperature": "Air temperature",
                  "relative_humidity": "Relative humidity"}


@dataclass(frozen=True)
class DemoStation:
    key: str  # also the device name
    name: str
    kind: str
    commune_code: str
    streams: tuple[str, ...]
    distance_km: float = 0.0  # salinity: from the sea along the river
    properties: dict[str, Any] = field(default_factory=dict)
    silent_since_h: float = 0.0  # > 0: stopped reporting this many hours ago
    # The station's record in the registry (its code): the demo registry has it (from the
    # list of real stations, or added by demo.registry at the commune centre).
    registry_code: str = ""


STATIONS: tuple[DemoStation, ...] = (
    DemoStation("tram-vam-kenh", "Trạm đo mặn Vàm Kênh", "salinity", "28696", ("salinity",), 6,
                registry_code="MAN-VAMKENH"),
    DemoStation("tram-hoa-binh", "Trạm đo mặn Hòa Bình", "salinity", "28693", ("salinity",), 18,
                registry_code="MAN-HOABINH"),
    DemoStation("tram-vam-giong", "Trạm đo mặn Vàm Giồng", "salinity", "28648",
                ("salinity",), 32, registry_code="MAN-VAMGIONG"),
    DemoStation("tram-my-tho", "Trạm đo mặn Mỹ Tho", "salinity", "28261", ("salinity",), 48,
                registry_code="MAN-MYTHO"),
    DemoStation("tram-dong-tam", "Trạm đo mặn Đồng Tâm", "salinity", "28270", ("salinity",), 54,
                registry_code="MAN-DONGTAM"),
    DemoStation("tram-tan-dien", "Trạm đo mặn Tân Điền", "salinity", "28738", ("salinity",), 10,
                silent_since_h=8, registry_code="MAN-TANDIEN"),
    DemoStation("tram-tan-chau", "Trạm thủy văn Tân Châu", "water_level", "30376",
                ("water_level",), properties={"floodStation": "Tân Châu",
                                              "alertProvinceCode": "82"},
                registry_code="TV-TANCHAU"),
    DemoStation("tram-chau-doc", "Trạm thủy văn Châu Đốc", "water_level", "30316",
                ("water_level",), properties={"floodStation": "Châu Đốc",
                                              "alertProvinceCode": "82"},
                registry_code="TV-CHAUDOC"),
    DemoStation("bay-den-my-hiep", "Bẫy đèn Mỹ Hiệp", "light_trap", "30112",
                ("light_trap_count",), registry_code="BD-30112"),
    DemoStation("bay-den-phong-hoa", "Bẫy đèn Phong Hòa", "light_trap", "30235",
                ("light_trap_count",), registry_code="BD-30235"),
    DemoStation("kt-cao-lanh", "Trạm khí tượng Cao Lãnh", "weather", "29869",
                ("air_temperature", "relative_humidity"), registry_code="KT-CAOLANH"),
)


# --------------------------------------------------------------------------------------------
# The scenario (pure)

M2_H = 12.42  # principal lunar semi-diurnal tide (hours)
K1_H = 23.93  # luni-solar diurnal tide (hours)
SPRING_NEAP_DAYS = 14.77
TRAP_HISTORY_DAYS = 460
"""Daily light-trap counts go back over the diary's seasons (its Đông Xuân sowing windows)."""


@dataclass(frozen=True)
class Scenario:
    """What the simulated hydrological stations play, named on the monitoring page."""

    code: str  # dry | flood
    year: int
    label_vi: str
    label_en: str
    x4_spring_km: float  # where salinity is 4 ‰ at a spring high tide (km from the sea)
    sea_per_mille: float  # salinity at the mouth
    excursion_km: tuple[float, float]  # tidal excursion of the salt (neap, spring), ±km

    @property
    def key(self) -> str:
        return f"{self.code}-{self.year}"


def scenario_for(now: dt.datetime, code: str = "auto") -> Scenario:
    """The scenario shown at ``now``: ``dry``, ``flood`` or ``auto`` (flood from July to
    November, dry otherwise); its year is the latest dry-season peak (March) or flood (early
    October) on or before ``now``."""
    local = now.astimezone(VN)
    if code == "auto":
        code = "flood" if 7 <= local.month <= 11 else "dry"
    if code == "flood":
        year = local.year if (local.month, local.day) >= (10, 5) else local.year - 1
        return Scenario(
            "flood", year,
            f"Kịch bản mô phỏng: mùa lũ {year} — lũ lên tại Tân Châu, Châu Đốc (như đầu "
            f"tháng 10/{year}); bẫy đèn và thời tiết theo ngày thực",
            f"Simulated scenario: flood season {year} — the flood rising at Tân Châu and "
            f"Châu Đốc (as in early October {year}); light traps and weather follow the real "
            "calendar", -15.0, 18.0, (2.0, 3.0))
    if code != "dry":
        raise ValueError(f"unknown scenario {code!r} (auto, dry or flood)")
    year = local.year if (local.month, local.day) >= (3, 5) else local.year - 1
    return Scenario(
        "dry", year,
        f"Kịch bản mô phỏng: mùa khô {year} — xâm nhập mặn trên sông Tiền, kỳ triều cường "
        f"(như đầu tháng 3/{year}); bẫy đèn và thời tiết theo ngày thực",
        f"Simulated scenario: dry season {year} — salt intrusion up the Tiền river at a "
        f"spring tide (as in early March {year}); light traps and weather follow the real "
        "calendar", 38.0, 32.0, (3.5, 6.0))


def _noise(seed: int, *key: object) -> float:
    """A deterministic number in [-1, 1] for a seed and a key (stable across processes)."""
    return random.Random(zlib.crc32(repr((seed, *key)).encode())).uniform(-1, 1)


def _hours(t: dt.datetime, anchor: dt.datetime) -> float:
    return (t - anchor).total_seconds() / 3600


def tide(t: dt.datetime, anchor: dt.datetime) -> float:
    """The tide's shape in [-1, 1]: semi-diurnal with a diurnal inequality, the higher high
    water at ``anchor`` (the replay ends on the flood tide)."""
    h = _hours(t, anchor)
    return 0.8 * math.cos(2 * math.pi * h / M2_H) + 0.2 * math.cos(2 * math.pi * h / K1_H)


def spring(t: dt.datetime, anchor: dt.datetime) -> float:
    """1 at a spring tide (the anchor), 0 at the neap tide a week before or after."""
    return (1 + math.cos(2 * math.pi * _hours(t, anchor) / 24 / SPRING_NEAP_DAYS)) / 2


def salt_front_km(t: dt.datetime, anchor: dt.datetime, scenario: Scenario) -> float:
    """Where the water is at 4 ‰ (km from the sea): lower at neap tides, moving with the
    tide over its excursion."""
    neap_x, spring_x = scenario.excursion_km
    excursion = neap_x + (spring_x - neap_x) * spring(t, anchor)
    mean = scenario.x4_spring_km - spring_x - 5.0 * (1 - spring(t, anchor))
    return mean + excursion * tide(t, anchor)


def salinity(station: DemoStation, t: dt.datetime, anchor: dt.datetime, seed: int,
             scenario: Scenario | None = None) -> float:
    """‰ at the station: a logistic profile along the river (the sea's salinity at the mouth,
    4 ‰ at the salt front, fresh upstream), the river's own 0.1 ‰, sensor noise."""
    sc = scenario or scenario_for(anchor)
    width = 5.0  # km over which salinity falls by e (the profile's steepness)
    shift = math.log(sc.sea_per_mille / 4 - 1)
    front = salt_front_km(t, anchor, sc)
    value = sc.sea_per_mille / (1 + math.exp((station.distance_km - front) / width + shift))
    river = 0.1 + 0.015 * _noise(seed, station.key, "river", t.timestamp())
    value = value * (1 + 0.02 * _noise(seed, station.key, t.timestamp())) + river
    return round(max(0.05, value), 3)


FLOOD_ALARM_I = {"Tân Châu": 3.5, "Châu Đốc": 3.0}  # Decision 05/2020/QĐ-TTg


def water_level(station: DemoStation, t: dt.datetime, anchor: dt.datetime, seed: int,
                scenario: Scenario | None = None) -> float:
    """m above the national datum. Flood: rising 6 cm a day, 20 cm a day over the last two
    days and the next three (then the crest), crossing alarm level I on the high tide at
    ``anchor``. Dry season: low water with a strong tide."""
    sc = scenario or scenario_for(anchor)
    name = str(station.properties.get("floodStation"))
    h = _hours(t, anchor)
    noise = 0.005 * _noise(seed, station.key, t.timestamp())
    if sc.code == "flood":
        amplitude = 0.08 if name == "Tân Châu" else 0.10
        at_anchor = FLOOD_ALARM_I.get(name, 3.0) + 0.03 - amplitude
        fast = min(max(h, -48.0), 72.0) * 0.20 / 24
        slow = min(h + 48.0, 0.0) * 0.06 / 24
        return round(at_anchor + fast + slow + amplitude * tide(t, anchor) + noise, 3)
    mean, amplitude = (0.55, 0.5) if name == "Tân Châu" else (0.5, 0.45)
    amplitude *= 0.7 + 0.3 * spring(t, anchor)
    return round(mean + amplitude * tide(t - dt.timedelta(hours=4), anchor) + noise, 3)


def trap_count(station: DemoStation, day: dt.date, today: dt.date, seed: int) -> int:
    """Insects in the trap the night before ``day``: a flight every 25 days at Mỹ Hiệp, the
    last one peaking three nights ago (``demo.calendar``); Phong Hòa, off the flights' path,
    catches the background only."""
    noise = _noise(seed, station.key, day.toordinal())
    if station.key == "bay-den-my-hiep":
        peak = demo_calendar.trap_peak(today, round((today - day).days / 25))
        scale = 0.75 + 0.5 * abs(_noise(seed, "flight", peak.toordinal()))
        return demo_calendar.trap_count(today, day, noise, scale)
    return max(0, round(25 + 12 * noise))


def weather(code: str, t: dt.datetime, seed: int) -> float:
    """Warm humid nights (blast weather: minimum 22-24 °C, humidity above 90 %)."""
    hour = t.astimezone(VN).hour
    night = hour >= 18 or hour < 6
    if code == "air_temperature":
        value = (23.0 if night else 31.5) + 0.6 * _noise(seed, code, t.timestamp())
    else:
        value = (94.0 if night else 72.0) + 2.0 * _noise(seed, code, t.timestamp())
    return round(value, 2)


def _grid(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    first = dt.datetime.fromtimestamp(
        math.ceil(start.timestamp() / step.total_seconds()) * step.total_seconds(), dt.UTC)
    out = []
    t = first
    while t <= end:
        out.append(t)
        t += step
    return out


def readings(station: DemoStation, start: dt.datetime, end: dt.datetime, anchor: dt.datetime,
             seed: int, scenario: Scenario | None = None
             ) -> dict[str, tuple[list[dt.datetime], list[float]]]:
    """The station's readings in ``[start, end]`` (10-min data, hourly weather, daily
    traps), by observed property, in ``scenario`` (by default the one of ``anchor``)."""
    sc = scenario or scenario_for(anchor)
    if station.silent_since_h:
        end = min(end, anchor - dt.timedelta(hours=station.silent_since_h))
    out: dict[str, tuple[list[dt.datetime], list[float]]] = {}
    for code in station.streams:
        if code == "light_trap_count":
            today = demo_calendar.count_day(anchor)  # the latest morning count's day
            times, values = [], []
            day = start.astimezone(VN).date()
            while day <= end.astimezone(VN).date():
                morning = dt.datetime(day.year, day.month, day.day, 6, tzinfo=VN)
                moment = morning.astimezone(dt.UTC)
                live_start = anchor - dt.timedelta(hours=LIVE_HOURS)
                if moment > live_start:  # this morning's count: sent at the replay's start
                    moment = min(moment, live_start + dt.timedelta(minutes=5))
                if start <= moment <= end and moment.astimezone(VN).date() == day:
                    times.append(moment)
                    values.append(float(trap_count(station, day, today, seed)))
                day += dt.timedelta(days=1)
            out[code] = (times, values)
        elif code in ("air_temperature", "relative_humidity"):
            times = _grid(start, end, dt.timedelta(hours=1))
            out[code] = (times, [weather(code, t, seed) for t in times])
        else:
            times = _grid(start, end, STEP)
            fn = salinity if code == "salinity" else water_level
            out[code] = (times, [fn(station, t, anchor, seed, sc) for t in times])
    return out


# --------------------------------------------------------------------------------------------
# Building the stations and their history (through the services)


@dataclass(frozen=True)
class DemoMonitoring:
    stations: int
    observations: int
    alerts: int


def scenario_properties(scenario: Scenario) -> dict[str, str]:
    """The Thing properties that name the scenario a simulated station plays (the monitoring
    page shows them)."""
    return {"demoScenario": scenario.key, "demoScenarioVi": scenario.label_vi,
            "demoScenarioEn": scenario.label_en}


RISE_PROPERTIES = {"riseWindowHours": 72.0, "riseThresholdMPerDay": 0.12}
"""The tidal river stations' rate-of-rise rule over three days (six tides, so the tide itself
does not count as a rise), above 12 cm a day: set per station, as the rule expects the
province to."""


def _thing_body(st: DemoStation, lon: float, lat: float, scenario: Scenario,
                registry_id: int | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"kind": st.kind, "communeCode": st.commune_code, "demo": True,
                             "demoKey": st.key, **st.properties}
    if registry_id is not None:
        props["registryFeatureId"] = registry_id  # the station's record in the registry
    if st.kind == "light_trap":
        props["silenceHours"] = 36  # one count a day
    if st.kind in ("salinity", "water_level"):
        props.update(scenario_properties(scenario))
    if st.kind == "water_level":
        props.update(RISE_PROPERTIES)
    return {
        "name": st.name, "description": f"{st.name} (dữ liệu mô phỏng / simulated data)",
        "properties": props,
        "Locations": [{"name": st.name, "description": "Tâm xã/phường (gần đúng)",
                       "encodingType": "application/geo+json",
                       "location": {"type": "Point", "coordinates": [lon, lat]}}],
        "Datastreams": [{
            "name": f"{STREAMS[code][0]} — {st.name}", "description": STREAMS[code][0],
            "unitOfMeasurement": {"name": STREAMS[code][2], "symbol": STREAMS[code][1]},
            "observationType": STREAMS[code][3],
            "Sensor": {"name": f"Cảm biến {STREAMS[code][0].lower()}",
                       "description": "Thiết bị mô phỏng", "encodingType": "text/html",
                       "metadata": "https://nongso.local/demo/sensor"},
            "ObservedProperty": {"name": PROPERTY_NAMES[code], "definition": code,
                                 "description": STREAMS[code][0],
                                 "properties": {"code": code}},
        } for code in st.streams],
    }


def build(uow: UnitOfWork, now: dt.datetime, seed: int = 2026,
          scenario: Scenario | None = None) -> DemoMonitoring:
    """Create the demo stations (once), name the scenario they play (``scenario_for(now)``
    by default) and write their history up to six hours ago (light traps: 460 days)."""
    sc = scenario or scenario_for(now)
    from nongso.accounts import services as accounts
    from nongso.alerts import services as alerts
    from nongso.alerts.schemas import SubscriptionCreate
    from nongso.core.pagination import PageRequest
    from nongso.monitor import services as monitor
    from nongso.monitor.ingest import SeriesIn
    from nongso.monitor.schemas import DeviceRegister
    from nongso.units import services as units

    with uow:
        # The demo officers and the demo farmer get the alerts in the app (their inbox).
        for user in accounts.users_with_roles(uow, ("province_officer", "commune_officer",
                                                    "farmer")):
            if user.username in ("canbo.tinh", "canbo.xa", "nongdan"):
                alerts.subscribe_user(uow, user.id, SubscriptionCreate(
                    channel="inapp", crop="rice" if user.role == "farmer" else None))
        existing = {s.thing_properties.get("demoKey"): s for s in monitor.rule_streams(uow)}
        for st in STATIONS:
            if st.key in existing:
                props = existing[st.key].thing_properties
                if st.kind in ("salinity", "water_level") and \
                        props.get("demoScenario") != sc.key:
                    monitor.sta_update(uow, f"Things({existing[st.key].thing_id})", {
                        "properties": {**props, **scenario_properties(sc)}},
                        "http://demo/sta/v1.1")
                continue
            commune = units.require_commune(uow, st.commune_code)
            assert commune.lon is not None and commune.lat is not None
            created = monitor.sta_create(uow, "Things", _thing_body(
                st, commune.lon, commune.lat, sc, _registry_station(uow, st)),
                "http://demo/sta/v1.1")
            monitor.register_device(uow, DeviceRegister(name=st.key,
                                                        thing_ids=[created.body["@iot.id"]]))
        streams = {(s.thing_properties.get("demoKey"), s.property_code): s.datastream_id
                   for s in monitor.rule_streams(uow)}
        start = now - dt.timedelta(days=HISTORY_DAYS)
        live_start = now - dt.timedelta(hours=LIVE_HOURS)
        total = 0
        for st in STATIONS:
            # Daily trap counts go back over the diary's seasons, so that the flights behind
            # the Đông Xuân sowing windows are on record.
            first = now - dt.timedelta(days=TRAP_HISTORY_DAYS) if st.kind == "light_trap" \
                else start
            series = [SeriesIn(streams[(st.key, code)], times, values)
                      for code, (times, values) in readings(st, first, live_start, now,
                                                            seed, sc).items() if times]
            total += monitor.ingest(uow, series).stored
        n_alerts = alerts.list_alerts(uow, PageRequest(1, 0), status="open").total
        uow.commit()
    return DemoMonitoring(len(STATIONS), total, n_alerts)


def _registry_station(uow: UnitOfWork, st: DemoStation) -> int | None:
    """The id of the station's registry record (by its code), if the registry has it."""
    from nongso.core.errors import NotFound
    from nongso.registry import services as registry

    if not st.registry_code:
        return None
    try:
        return registry.get_station(uow, st.registry_code).id
    except NotFound:
        log.warning("demo station %s: no registry record %s", st.key, st.registry_code)
        return None


# --------------------------------------------------------------------------------------------
# The live simulator


Sender = Callable[[str, list[list[Any]]], None]


class Simulator:
    """Replays the last six hours quickly, then sends one reading a minute per station."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], send: Sender, *,
                 seed: int = 2026, tick_s: float = TICK_S, now: Callable[[], dt.datetime]
                 | None = None, scenario: Scenario | None = None) -> None:
        self.uow_factory = uow_factory
        self.send = send
        self.seed = seed
        self.tick_s = tick_s
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0
        self.anchor = self._now()
        self.scenario = scenario or scenario_for(self.anchor)

    def _streams(self) -> dict[tuple[str, str], int]:
        from nongso.monitor import services as monitor

        return {(str(s.thing_properties.get("demoKey")), s.property_code): s.datastream_id
                for s in monitor.rule_streams(self.uow_factory()) if s.property_code}

    def step(self, start: dt.datetime, end: dt.datetime,
             streams: dict[tuple[str, str], int]) -> int:
        """Send every station's readings in ``(start, end]``; returns how many."""
        n = 0
        for st in STATIONS:
            rows: list[list[Any]] = []
            for code, (times, values) in readings(st, start + dt.timedelta(microseconds=1),
                                                  end, self.anchor, self.seed,
                                                  self.scenario).items():
                ds = streams.get((st.key, code))
                if ds is None:
                    continue
                rows += [[ds, t.isoformat().replace("+00:00", "Z"), v]
                         for t, v in zip(times, values, strict=True)]
            if rows:
                try:
                    self.send(st.key, rows)
                    n += len(rows)
                except Exception:
                    log.exception("demo station %s could not send", st.key)
        return n

    def replay(self) -> dt.datetime | None:
        """The last six hours, a 10-minute step every ``tick_s``; returns where it stopped
        (None if stopped early)."""
        streams = self._streams()
        live_start = self.anchor - dt.timedelta(hours=LIVE_HOURS)
        previous = live_start
        for tick in range(1, LIVE_TICKS + 1):
            if self._stop.wait(self.tick_s if tick > 1 else min(self.tick_s, 0.5)):
                return None
            current = live_start + tick * STEP
            self.step(previous, current, streams)
            previous = current
            self.ticks = tick
        return previous

    def run(self) -> None:
        previous = self.replay()
        if previous is None:
            return
        streams = self._streams()
        while not self._stop.wait(60):  # then: real time, the scenario's clock running on
            current = self._now()
            self.step(previous, current - dt.timedelta(seconds=5), streams)
            previous = current - dt.timedelta(seconds=5)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="demo-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)


def mqtt_sender(host: str, port: int, prefix: str = "") -> tuple[Sender, Callable[[], None]]:
    """Publish each station's readings on its compact topic (QoS 1), as its device would."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="nongso-demo-simulator")
    client.connect(host, port)
    client.loop_start()

    def send(device: str, rows: list[list[Any]]) -> None:
        client.publish(f"{prefix}nongso/{device}/obs", json.dumps({"obs": rows}), qos=1)

    def close() -> None:
        client.loop_stop()
        client.disconnect()

    return send, close


def mqtt_device_sender(host: str, port: int, passwords: dict[str, str], prefix: str = ""
                       ) -> tuple[Sender, Callable[[], None]]:
    """Publish each station's readings as its own device: one MQTT client per device, logged
    in with the device's name and password (the broker's ACL lets it write only its topics)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    clients: dict[str, mqtt.Client] = {}

    def client_of(device: str) -> mqtt.Client:
        if device not in clients:
            c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"nongso-demo-{device}")
            c.username_pw_set(device, passwords.get(device, ""))
            c.connect(host, port)
            c.loop_start()
            clients[device] = c
        return clients[device]

    def send(device: str, rows: list[list[Any]]) -> None:
        client_of(device).publish(f"{prefix}nongso/{device}/obs", json.dumps({"obs": rows}),
                                  qos=1)

    def close() -> None:
        for c in clients.values():
            c.loop_stop()
            c.disconnect()

    return send, close


def service_sender(uow_factory: Callable[[], UnitOfWork]) -> Sender:
    """Without a broker: the same readings through the ingestion service."""
    from nongso.monitor import services as monitor

    def send(device: str, rows: list[list[Any]]) -> None:
        monitor.ingest_compact(uow_factory(), {"obs": rows})

    return send


def broker_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


__all__ = [
    "STATIONS",
    "DemoMonitoring",
    "DemoStation",
    "Scenario",
    "Simulator",
    "broker_reachable",
    "build",
    "mqtt_device_sender",
    "mqtt_sender",
    "readings",
    "salinity",
    "scenario_for",
    "service_sender",
    "water_level",
]
