"""Monitoring: ingestion rates (service, HTTP dataArray, MQTT end to end) and chart queries.

Figures, each with its baseline measured in the same run:

- ``service``: observations/s through ``monitor.services.ingest`` on SQLite, batches of
  10,000 one-minute readings of a salinity datastream (quality checks, roll-ups, the
  ``ObservationsIngested`` event and the alert rules it triggers included), vs a raw DB-API
  ``executemany`` of the same rows (already in stored form) into the same table of a second
  fresh database, batch by batch, interleaved. Goal: >= 100,000/s and ratio >= 0.5.
- ``http_data_array``: ``POST /sta/v1.1/CreateObservations`` to a real uvicorn server, as
  a device (10,000 rows a request, selfLinks answered).
- ``mqtt``: compact messages of 1,000 readings published at QoS 1 to the real Mosquitto
  broker, until all are stored by the bridge (end to end).
- ``chart``: p95 of a 30-day hourly chart (``monitor.services.series``) over a year of
  one-minute data, vs the same chart computed from the raw readings. Goal: p95 < 50 ms.

``NONGSO_BENCH_SCALE`` (default 1) scales the number of batches and the year of data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit, fresh_platform, percentiles

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import runtime, services
from nongso.monitor.ingest import SeriesIn
from nongso.monitor.models import to_epoch_us
from nongso.monitor.ratelimit import RateLimiter
from nongso.monitor.schemas import DeviceRegister

SCALE = float(os.environ.get("NONGSO_BENCH_SCALE", "1"))
BATCH = 10_000
OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def station(platform: Platform, name: str) -> tuple[int, str, str]:
    """A salinity station with a device; returns (datastream id, device name, key)."""
    body = {"name": name, "properties": {"kind": "salinity", "communeCode": "28261"},
            "Locations": [{"name": name, "location": {"type": "Point",
                                                      "coordinates": [106.375, 10.35]}}],
            "Datastreams": [{"name": "Độ mặn", "unitOfMeasurement": {"symbol": "‰"},
                             "observationType": OM,
                             "Sensor": {"name": "CTD", "encodingType": "text/html",
                                        "metadata": "x"},
                             "ObservedProperty": {"name": "Salinity", "definition": "salinity",
                                                  "properties": {"code": "salinity"}}}]}
    created = services.sta_create(platform.uow(SYSTEM), "Things", body, "http://bench")
    thing = created.body["@iot.id"]
    ds = services.sta_read(platform.uow(SYSTEM), f"Things({thing})/Datastreams", {},
                           "http://bench").body["value"][0]["@iot.id"]
    device = services.register_device(platform.uow(SYSTEM), DeviceRegister(
        name=f"bench-{thing}-{random.randrange(10**6)}", thing_ids=[thing]))
    return ds, device.name, device.api_key


def minutes(start: dt.datetime, n: int, rng: random.Random) -> tuple[list[dt.datetime],
                                                                      list[float]]:
    times = [start + dt.timedelta(minutes=i) for i in range(n)]
    return times, [round(rng.uniform(0.1, 0.45), 3) for _ in range(n)]


def bench_service() -> dict[str, object]:
    platform = fresh_platform()
    raw_platform = fresh_platform()
    ds, _, _ = station(platform, "Trạm bench")
    raw_ds, _, _ = station(raw_platform, "Trạm raw")
    # The same rows: the raw rows point at the feature of interest the service would use.
    first = T0 - dt.timedelta(days=1)
    services.ingest(raw_platform.uow(SYSTEM), [SeriesIn(raw_ds, [first], [0.2])])
    services.ingest(platform.uow(SYSTEM), [SeriesIn(ds, [first], [0.2])])
    with raw_platform.engine.connect() as c:
        from sqlalchemy import text

        feature = c.scalar(text("SELECT default_foi_id FROM sta_datastreams WHERE id = :i"),
                           {"i": raw_ds})
    raw_path = raw_platform.engine.url.database
    raw_platform.engine.dispose()
    raw = sqlite3.connect(str(raw_path))
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA foreign_keys=ON")
    rng = random.Random(1)
    batches = max(2, int(20 * SCALE))
    service_s = raw_s = 0.0
    for b in range(batches):
        times, values = minutes(T0 + dt.timedelta(minutes=b * BATCH), BATCH, rng)
        rows = [(raw_ds, to_epoch_us(t), v, 0, feature) for t, v in zip(times, values,
                                                                         strict=True)]
        start = time.perf_counter()
        report = services.ingest(platform.uow(SYSTEM), [SeriesIn(ds, times, values)])
        service_s += time.perf_counter() - start
        assert report.stored == BATCH, report
        start = time.perf_counter()
        raw.executemany("INSERT INTO sta_observations (datastream_id, phenomenon_time, result, "
                        "quality, feature_id) VALUES (?, ?, ?, ?, ?)", rows)
        raw.commit()
        raw_s += time.perf_counter() - start
    n = batches * BATCH
    return {"observations": n, "batch": BATCH, "obs_per_s": round(n / service_s),
            "raw_executemany_obs_per_s": round(n / raw_s),
            "ratio_to_raw": round(raw_s / service_s, 3)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def bench_http() -> dict[str, object]:
    import httpx
    import uvicorn

    from nongso.app import create_app

    platform = fresh_platform()
    ds, _, key = station(platform, "Trạm HTTP")
    runtime.use_limiter(RateLimiter(1e9, 1e9))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(platform), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    rng = random.Random(2)
    requests_n = max(2, int(10 * SCALE))
    bodies = []
    for r in range(requests_n):
        times, values = minutes(T0 + dt.timedelta(minutes=r * BATCH), BATCH, rng)
        bodies.append(json.dumps([{"Datastream": {"@iot.id": ds},
                                   "components": ["phenomenonTime", "result"],
                                   "dataArray": [[t.isoformat().replace("+00:00", "Z"), v]
                                                 for t, v in zip(times, values,
                                                                 strict=True)]}]))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        start = time.perf_counter()
        for body in bodies:
            r = client.post("/sta/v1.1/CreateObservations", content=body,
                            headers={"X-API-Key": key, "Content-Type": "application/json"})
            assert r.status_code == 201, r.text[:300]
        seconds = time.perf_counter() - start
    server.should_exit = True
    thread.join(10)
    n = requests_n * BATCH
    return {"observations": n, "rows_per_request": BATCH, "obs_per_s": round(n / seconds),
            "requests_per_s": round(requests_n / seconds, 2)}


def bench_mqtt() -> dict[str, object]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from sqlalchemy import func, select

    from nongso.monitor.bridge import MqttBridge
    from nongso.monitor.models import Observation

    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=2).close()
    except OSError as exc:
        return {"error": f"Mosquitto not reachable at 127.0.0.1:1883 ({exc})"}
    platform = fresh_platform()
    ds, device, _ = station(platform, "Trạm MQTT")
    prefix = f"bench{random.randrange(10**8)}/"
    bridge = MqttBridge(platform, "mqtt://127.0.0.1:1883", client_id=f"{prefix}bridge",
                        prefix=prefix, limiter=RateLimiter(1e9, 1e9))
    bridge.start()
    assert bridge.wait_subscribed(20)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}pub")
    pub.connect("127.0.0.1", 1883)
    pub.loop_start()
    per_message = 1000
    messages = max(10, int(200 * SCALE))
    rng = random.Random(3)
    payloads = []
    for m in range(messages):
        times, values = minutes(T0 + dt.timedelta(minutes=m * per_message), per_message, rng)
        payloads.append(json.dumps({"obs": [[ds, t.isoformat().replace("+00:00", "Z"), v]
                                            for t, v in zip(times, values, strict=True)]}))
    topic = f"{prefix}nongso/{device}/obs"
    start = time.perf_counter()
    infos = [pub.publish(topic, p, qos=1) for p in payloads]
    for info in infos:
        info.wait_for_publish(60)
    total = messages * per_message

    def stored() -> int:
        with platform.engine.connect() as c:
            return int(c.scalar(select(func.count()).select_from(Observation)) or 0)

    deadline = time.monotonic() + 600
    while stored() < total and time.monotonic() < deadline:
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    got = stored()
    status = bridge.status()
    bridge.stop()
    pub.loop_stop()
    pub.disconnect()
    cleanup = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}bridge",
                          clean_session=True)
    cleanup.connect("127.0.0.1", 1883)
    cleanup.disconnect()
    return {"messages": messages, "obs_per_message": per_message, "stored": got,
            "obs_per_s": round(got / seconds), "messages_per_s": round(messages / seconds, 1),
            "flushes": status.flushes}


def bench_chart() -> dict[str, object]:
    from sqlalchemy import text

    platform = fresh_platform()
    ds, _, _ = station(platform, "Trạm biểu đồ")
    rng = random.Random(4)
    year = int(365 * 24 * 60 * SCALE)
    start = time.perf_counter()
    for b in range(0, year, 50_000):
        times, values = minutes(T0 + dt.timedelta(minutes=b), min(50_000, year - b), rng)
        services.ingest(platform.uow(SYSTEM), [SeriesIn(ds, times, values)])
    load_s = time.perf_counter() - start
    end_max = T0 + dt.timedelta(minutes=year)
    span = dt.timedelta(days=30)
    ends = [T0 + span + (end_max - T0 - span) * rng.random() for _ in range(200)]
    samples: list[float] = []
    points = 0
    for end in ends:
        t = time.perf_counter()
        s = services.series(platform.uow(SYSTEM), ds, end - span, end, "hour")
        samples.append(time.perf_counter() - t)
        points = len(s.points)
    raw_samples: list[float] = []
    hour = 3600 * 1_000_000
    with platform.engine.connect() as conn:
        for end in ends[:50]:
            t = time.perf_counter()
            conn.execute(text(
                f"SELECT (phenomenon_time / {hour}) * {hour} AS h, avg(result), min(result), "
                "max(result), count(*) FROM sta_observations WHERE datastream_id = :ds AND "
                "phenomenon_time >= :a AND phenomenon_time < :b AND quality = 0 GROUP BY h "
                "ORDER BY h"), {"ds": ds, "a": to_epoch_us(end - span), "b": to_epoch_us(end)}
            ).all()
            raw_samples.append(time.perf_counter() - t)
    p = percentiles(samples)
    raw_p = percentiles(raw_samples)
    return {"observations": year, "load_obs_per_s": round(year / load_s),
            "points_per_chart": points, **p, "raw_group_by_p95_ms": raw_p["p95_ms"],
            "ratio_raw_p95_to_rollup_p95": round(raw_p["p95_ms"] / p["p95_ms"], 1)}


def main() -> None:
    previous = clock.use(clock.FixedClock(dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    try:
        figures = {"scale": SCALE, "service": bench_service(), "http_data_array": bench_http(),
                   "mqtt": bench_mqtt(), "chart_30d_hourly": bench_chart()}
    finally:
        clock.use(previous)
    service = figures["service"]
    chart = figures["chart_30d_hourly"]
    assert isinstance(service, dict) and isinstance(chart, dict)
    figures["goals"] = {
        "service_ge_100k_per_s": service["obs_per_s"] >= 100_000,  # type: ignore[operator]
        "service_ratio_ge_0_5": service["ratio_to_raw"] >= 0.5,  # type: ignore[operator]
        "chart_p95_lt_50ms": chart["p95_ms"] < 50,  # type: ignore[operator]
    }
    emit("monitor", **figures)


if __name__ == "__main__":
    main()
