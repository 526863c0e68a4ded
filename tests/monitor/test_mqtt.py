"""The MQTT bridge against the real Mosquitto broker (127.0.0.1:1883).

Each test uses its own topic prefix and client ids, so parallel runs do not meet; the
persistent sessions they create are removed at the end.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from nongso.core import clock
from nongso.core.platform import Platform
from nongso.monitor.bridge import MqttBridge, parse_url, public_url
from nongso.monitor.models import Observation
from nongso.monitor.ratelimit import RateLimiter
from tests.helpers import Actors
from tests.monitor.conftest import Station, make_station, wait_for

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _count(platform: Platform, ds: int | None = None) -> int:
    stmt = select(func.count()).select_from(Observation)
    if ds is not None:
        stmt = stmt.where(Observation.datastream_id == ds)
    with platform.engine.connect() as c:
        return int(c.scalar(stmt) or 0)


def _forget_session(client_id: str, host: str = "127.0.0.1", port: int = 1883) -> None:
    """Connect once with a clean session: the broker drops the persistent one."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    try:
        c.connect(host, port)
        c.loop_start()
        c.disconnect()
        c.loop_stop()
    except OSError:
        pass


BridgeFactory = Callable[..., MqttBridge]


@pytest.fixture
def bridges(platform: Platform, broker: tuple[str, int], unique: str
            ) -> Iterator[BridgeFactory]:
    started: list[MqttBridge] = []

    def start(limiter: RateLimiter | None = None, suffix: str = "bridge") -> MqttBridge:
        b = MqttBridge(platform, f"mqtt://{broker[0]}:{broker[1]}",
                       client_id=f"{unique}-{suffix}", prefix=f"{unique}/", limiter=limiter)
        b.start()
        assert b.wait_subscribed(20), "the bridge did not subscribe"
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()
    for client_id in {b.client_id for b in started}:
        _forget_session(client_id)


@pytest.fixture
def publisher(broker: tuple[str, int], unique: str) -> Iterator[mqtt.Client]:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{unique}-pub")
    c.connect(*broker)
    c.loop_start()
    yield c
    c.loop_stop()
    c.disconnect()


def _publish(pub: mqtt.Client, topic: str, payload: Any) -> None:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    info = pub.publish(topic, data, qos=1)
    info.wait_for_publish(10)
    assert info.is_published()


def _obs(ds: int, minute: int, value: float) -> list[Any]:
    return [ds, (T0 + dt.timedelta(minutes=minute)).isoformat(), value]


def test_compact_and_sensorthings_topics(platform: Platform, bridges: BridgeFactory,
                                         publisher: mqtt.Client, unique: str,
                                         station: Station, fixed_now: clock.FixedClock) -> None:
    bridge = bridges()
    _publish(publisher, f"{unique}/nongso/{station.device_name}/obs",
             {"obs": [_obs(station.salinity, 0, 0.6), _obs(station.water, 0, 3.1),
                      _obs(station.salinity, 1, 0.7)]})
    _publish(publisher, f"{unique}/v1.1/Datastreams({station.water})/Observations",
             {"phenomenonTime": "2026-03-01T00:01:00Z", "result": 3.15})
    wait_for(lambda: _count(platform) == 4, what="4 stored observations")
    wait_for(lambda: bridge.status().stored == 4)
    st = bridge.status()
    assert st.state == "connected" and st.received == 2
    assert st.topics == [f"{unique}/nongso/+/obs", f"{unique}/v1.1/+/Observations"]
    # Sent again (a device that did not see the PUBACK): stored once.
    _publish(publisher, f"{unique}/nongso/{station.device_name}/obs",
             {"obs": [_obs(station.salinity, 0, 0.6)]})
    wait_for(lambda: bridge.status().duplicates == 1)
    assert _count(platform) == 4


def test_garbage_is_counted_and_never_stops_the_consumer(
        platform: Platform, bridges: BridgeFactory, publisher: mqtt.Client, unique: str,
        station: Station, fixed_now: clock.FixedClock, caplog: pytest.LogCaptureFixture) -> None:
    bridge = bridges()
    topic = f"{unique}/nongso/{station.device_name}/obs"
    for garbage in (b"\xff\xfe\x00", b"{", b'{"obs": "x"}', b"[1, 2",
                    json.dumps({"obs": [[station.salinity, "hôm qua", 1]]}).encode(),
                    json.dumps({"obs": [[station.salinity, "2099-01-01T00:00:00Z", 1]]}).encode()):
        _publish(publisher, topic, garbage)
    _publish(publisher, f"{unique}/v1.1/Datastreams({station.water})/Observations",
             {"result": "không phải số", "phenomenonTime": "2026-03-01T00:00:00Z"})
    _publish(publisher, f"{unique}/v1.1/Datastreams(abc)/Observations", {"result": 1})
    _publish(publisher, topic, {"obs": [_obs(station.salinity, 5, 0.9)]})
    wait_for(lambda: _count(platform) == 1, what="the good message")
    wait_for(lambda: bridge.status().received == 9)
    wait_for(lambda: bridge.status().malformed == 5)
    st = bridge.status()
    assert st.rejected == {"bad_row": 1, "future_time": 1, "wrong_type": 1}
    assert st.state == "connected"
    text = caplog.text
    assert station.device_name in text and "future_time" in text


def test_a_device_cannot_post_to_another_devices_datastream(
        platform: Platform, bridges: BridgeFactory, publisher: mqtt.Client, unique: str,
        station: Station, fixed_now: clock.FixedClock) -> None:
    other = make_station(platform, "Trạm B", lon=106.3, lat=10.3)
    bridge = bridges()
    _publish(publisher, f"{unique}/nongso/{station.device_name}/obs",
             {"obs": [_obs(other.salinity, 0, 9.9), _obs(station.salinity, 0, 0.5)]})
    _publish(publisher, f"{unique}/nongso/no-such-device/obs",
             {"obs": [_obs(station.salinity, 1, 0.5)]})
    wait_for(lambda: bridge.status().rejected.get("unknown_device") == 1)
    wait_for(lambda: bridge.status().rejected.get("forbidden") == 1)
    assert _count(platform, other.salinity) == 0
    assert _count(platform, station.salinity) == 1


def test_a_flooding_device_is_limited_and_others_are_not(
        platform: Platform, bridges: BridgeFactory, publisher: mqtt.Client, unique: str,
        station: Station, fixed_now: clock.FixedClock) -> None:
    other = make_station(platform, "Trạm C", lon=106.2, lat=10.4)
    bridge = bridges(limiter=RateLimiter(rate=0.001, burst=20, clock=lambda: 0.0))
    for i in range(60):
        _publish(publisher, f"{unique}/nongso/{station.device_name}/obs",
                 {"obs": [_obs(station.salinity, i, 0.5)]})
    _publish(publisher, f"{unique}/nongso/{other.device_name}/obs",
             {"obs": [_obs(other.salinity, 0, 0.5)]})
    wait_for(lambda: bridge.status().received == 61)
    wait_for(lambda: _count(platform, other.salinity) == 1)
    wait_for(lambda: bridge.status().rejected.get("rate_limited") == 40)
    assert _count(platform, station.salinity) == 20


def test_messages_sent_while_the_platform_is_down_are_not_lost(
        platform: Platform, bridges: BridgeFactory, publisher: mqtt.Client, unique: str,
        station: Station, fixed_now: clock.FixedClock) -> None:
    first = bridges()
    first.stop()  # the persistent session stays in the broker
    for i in range(120):
        _publish(publisher, f"{unique}/nongso/{station.device_name}/obs",
                 {"obs": [_obs(station.salinity, i, 0.5), _obs(station.water, i, 3.0)]})
    assert _count(platform) == 0
    again = bridges()  # same client id: the broker delivers what it kept
    wait_for(lambda: _count(platform) == 240, what="the 240 queued readings")
    wait_for(lambda: again.status().received == 120)
    # Written in batches, not one transaction per message.
    assert again.status().flushes < 120


def test_a_broker_that_is_down_leaves_the_app_running(platform: Platform, client: Any,
                                                       actors: Actors) -> None:
    # The broker's address and client id are for signed-in staff only.
    assert client.get("/api/v1/monitor/bridge").status_code == 401
    assert client.get("/api/v1/monitor/bridge",
                      headers=actors.headers("farmer_a")).status_code == 403
    r = client.get("/api/v1/monitor/bridge", headers=actors.headers("commune_a"))
    assert r.json()["state"] == "off"
    assert "NONGSO_MQTT_URL" in r.json()["reason_vi"]
    b = MqttBridge(platform, "mqtt://nongso:secret@127.0.0.1:9", client_id="unused")
    b.start()
    try:
        wait_for(lambda: b.status().state == "disconnected", 20)
        st = b.status()
        assert st.broker == "mqtt://nongso:***@127.0.0.1:9"
        assert "thử lại" in (st.reason_vi or "")
        assert client.get("/healthz").status_code == 200
    finally:
        b.stop()


def test_broker_urls() -> None:
    u = parse_url("mqtts://dev%40a:p%3Ass@broker.example:8884")
    assert (u.host, u.port, u.username, u.password, u.tls) == (
        "broker.example", 8884, "dev@a", "p:ss", True)
    assert parse_url("mqtt://127.0.0.1").port == 1883
    assert public_url("mqtt://u:pw@h:1") == "mqtt://u:***@h:1"
    with pytest.raises(ValueError):
        parse_url("http://h")
