"""The generated Mosquitto configuration, loaded by a real ``mosquitto`` process.

The shared broker on 1883 lets anyone in (a development set-up), so this test starts its own
broker with the files ``nongso mqtt config`` writes and checks that a device gets in with
its API key only, may publish only on its own topics, and that the platform user reads them.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import mqtt_config, services
from nongso.monitor.local_broker import LocalBroker, mosquitto_binary, start_local_broker
from tests.monitor.conftest import Station, make_station, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_password_hash_is_mosquittos_format(tmp_path: Path) -> None:
    stored = mqtt_config.mosquitto_hash("nsd_secret", salt=b"0123456789ab")
    assert stored.startswith("$7$101$MDEyMzQ1Njc4OWFi$")
    assert mqtt_config.verify_mosquitto_hash(stored, "nsd_secret")
    assert not mqtt_config.verify_mosquitto_hash(stored, "nsd_other")
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        pytest.fail("mosquitto_passwd is not installed (apt-get install mosquitto)")
    pw = tmp_path / "pw"
    subprocess.run([tool, "-b", "-c", str(pw), "dev", "nsd_secret"], check=True)
    written = pw.read_text().strip().split(":", 1)[1]
    assert mqtt_config.verify_mosquitto_hash(written, "nsd_secret")  # same algorithm


@pytest.fixture
def own_broker(platform: Platform, tmp_path: Path) -> Iterator[tuple[int, object, object]]:
    a = make_station(platform, "Trạm A")
    b = make_station(platform, "Trạm B", lon=106.3, lat=10.3)
    port = _free_port()
    files = services.mqtt_configuration(platform.uow(SYSTEM), "platform-pass", str(tmp_path),
                                        port)
    assert files.devices_without_password == []
    conf = files.conf.replace(f"listener {port} 0.0.0.0", f"listener {port} 127.0.0.1")
    conf = conf.replace("persistence_location /var/lib/mosquitto/",
                        f"persistence_location {tmp_path}/")
    import getpass

    # As root, mosquitto would switch to the "mosquitto" user, who cannot read tmp_path.
    conf += f"log_dest file {tmp_path}/log\nuser {getpass.getuser()}\n"
    (tmp_path / "mosquitto.conf").write_text(conf)
    (tmp_path / "passwd").write_text(files.passwd)
    (tmp_path / "passwd").chmod(0o600)
    (tmp_path / "acl").write_text(files.acl)
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen([binary, "-c", str(tmp_path / "mosquitto.conf")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return proc.poll() is not None

    wait_for(up, 15, "the test broker")
    if proc.poll() is not None:
        out = proc.stdout.read().decode() if proc.stdout else ""
        pytest.fail(f"mosquitto refused the generated configuration:\n{out}\n{conf}")
    yield port, a, b
    proc.terminate()
    proc.wait(10)


def _client(port: int, user: str, password: str) -> tuple[mqtt.Client, list[object]]:
    results: list[object] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{user}-{time.monotonic_ns()}")
    c.username_pw_set(user, password)
    c.on_connect = lambda cl, ud, flags, rc, props: results.append(rc)
    c.connect("127.0.0.1", port)
    c.loop_start()
    wait_for(lambda: bool(results), 10, f"CONNACK for {user}")
    return c, results


def test_devices_log_in_with_their_key_and_publish_only_their_topics(
        own_broker: tuple[int, object, object]) -> None:
    port, a, b = own_broker
    received: list[tuple[str, bytes]] = []
    platform_client, rc = _client(port, mqtt_config.PLATFORM_USER, "platform-pass")
    assert not rc[0].is_failure  # type: ignore[attr-defined]
    platform_client.on_message = lambda cl, ud, m: received.append((m.topic, m.payload))
    subscribed: list[object] = []
    platform_client.on_subscribe = lambda *args: subscribed.append(args)
    platform_client.subscribe([(t, 1) for t in mqtt_config.subscriptions()])
    wait_for(lambda: bool(subscribed), 10)

    _, bad = _client(port, a.device_name, "nsd_wrong")  # type: ignore[attr-defined]
    assert bad[0].is_failure  # type: ignore[attr-defined]

    device, ok = _client(port, a.device_name, a.api_key)  # type: ignore[attr-defined]
    assert not ok[0].is_failure  # type: ignore[attr-defined]
    mine = mqtt_config.device_topic(a.device_name)  # type: ignore[attr-defined]
    theirs = mqtt_config.device_topic(b.device_name)  # type: ignore[attr-defined]
    their_ds = mqtt_config.datastream_topic(b.salinity)  # type: ignore[attr-defined]
    my_ds = mqtt_config.datastream_topic(a.water)  # type: ignore[attr-defined]
    body = b'{"obs": []}'
    for topic in (theirs, their_ds, mine, my_ds):
        device.publish(topic, body, qos=1).wait_for_publish(5)
    # Then a sentinel on the device's own topic: the broker routes one client's messages in
    # the order they came, so a wrongly allowed message would arrive before the sentinel.
    device.publish(mine, b"sentinel", qos=1).wait_for_publish(5)
    wait_for(lambda: (mine, b"sentinel") in received, 10, "the sentinel")
    assert received[-1] == (mine, b"sentinel")
    assert sorted(received[:-1]) == sorted([(mine, body), (my_ds, body)])
    for c in (device, platform_client):
        c.loop_stop()
        c.disconnect()


def test_cli_writes_the_files(platform: Platform, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from nongso.cli import app

    make_station(platform, "Trạm A")
    monkeypatch.setenv("NONGSO_DATABASE_URL", str(platform.engine.url.render_as_string(
        hide_password=False)))
    from nongso.core.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["mqtt", "config", "--out", str(tmp_path),
                                          "--platform-password", "pw-123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    acl = (tmp_path / "acl").read_text()
    assert "user nongso-platform" in acl and "topic read nongso/+/obs" in acl
    assert "max_queued_messages 1000000" in (tmp_path / "mosquitto.conf").read_text()
    assert (tmp_path / "passwd").stat().st_mode & 0o777 == 0o600


@pytest.fixture
def demo_broker(platform: Platform, tmp_path: Path) -> Iterator[tuple[LocalBroker, Station]]:
    """The broker ``make run`` starts (``nongso.monitor.local_broker``), with one station."""
    if mosquitto_binary() is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)", pytrace=False)
    a = make_station(platform, "Trạm A")
    broker = start_local_broker(platform, tmp_path / "mqtt")
    yield broker, a
    broker.stop()


def test_anonymous_clients_and_old_keys_are_refused(
        demo_broker: tuple[LocalBroker, Station]) -> None:
    broker, a = demo_broker
    port = broker.port
    conf = (broker.directory / "mosquitto.conf").read_text()
    assert "allow_anonymous false" in conf and "max_queued_messages 1000000" in conf
    assert "persistence true" in conf and f"listener {port} 127.0.0.1" in conf
    _, old = _client(port, a.device_name, a.api_key)
    assert old[0].is_failure  # type: ignore[attr-defined]
    _, ok = _client(port, a.device_name, broker.device_passwords[a.device_name])
    assert not ok[0].is_failure  # type: ignore[attr-defined]
    results: list[object] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"anon-{time.monotonic_ns()}")
    c.on_connect = lambda cl, ud, flags, rc, props: results.append(rc)
    c.connect("127.0.0.1", port)
    c.loop_start()
    wait_for(lambda: bool(results), 10, "CONNACK for an anonymous client")
    c.loop_stop()
    assert results[0].is_failure  # type: ignore[attr-defined]


def test_nothing_acknowledged_is_lost_while_the_platform_is_down(
        platform: Platform, demo_broker: tuple[LocalBroker, Station], fixed_now: object
) -> None:
    """With the production configuration, more than Mosquitto's default queue (1,000) of QoS 1
    messages published while the platform's bridge is stopped are all stored after it comes
    back (its persistent session is kept by the broker)."""
    import datetime as dt
    import json

    from sqlalchemy import func, select

    from nongso.monitor.bridge import MqttBridge
    from nongso.monitor.models import Observation

    broker, a = demo_broker
    port, url = broker.port, broker.url

    def count() -> int:
        with platform.engine.connect() as c:
            return int(c.scalar(select(func.count()).select_from(Observation).where(
                Observation.datastream_id == a.salinity)) or 0)

    bridge = MqttBridge(platform, url, client_id="nongso-platform-outage")
    bridge.start()
    assert bridge.wait_subscribed(20), "the bridge did not subscribe"
    bridge.stop()  # the platform goes down; its session stays on the broker

    n = 1_200
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    device, ok = _client(port, a.device_name, broker.device_passwords[a.device_name])
    assert not ok[0].is_failure  # type: ignore[attr-defined]
    topic = mqtt_config.device_topic(a.device_name)
    infos = []
    for i in range(n):
        body = {"obs": [[a.salinity,
                         (t0 + dt.timedelta(minutes=i)).isoformat(), 0.5 + i / 10_000]]}
        infos.append(device.publish(topic, json.dumps(body).encode(), qos=1))
    for info in infos:
        info.wait_for_publish(10)
        assert info.is_published()  # acknowledged by the broker (PUBACK)
    device.loop_stop()
    device.disconnect()
    assert count() == 0

    again = MqttBridge(platform, url, client_id="nongso-platform-outage")
    again.start()
    try:
        wait_for(lambda: count() == n, 120, f"{n} stored observations")
        assert again.status().stored == n
    finally:
        again.stop()
