"""The demo serves standard clients unchanged: its MQTT bridge listens on the standard
SensorThings topics (no per-installation prefix), the service root lists the MQTT create
conformance class with the broker, and QR codes, labels and the signed log's origin use the
address actually served (a configured base URL that disagrees is reported at start-up)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from nongso.core.platform import Platform
from nongso.core.settings import Settings, served_base_url
from nongso.demo import cli as demo_cli
from nongso.demo import monitor as demo_monitor
from nongso.monitor.config import monitor_settings
from nongso.trace.services.identifiers import digital_link
from nongso.trace.store import log_origin

MQTT_CREATE = ("http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/"
               "observations-creation")


def test_the_served_address_is_the_base_url_unless_one_is_configured() -> None:
    assert served_base_url(Settings(), "127.0.0.1", 8100) == ("http://127.0.0.1:8100", None)
    assert served_base_url(Settings(), "0.0.0.0", 8100)[0] == "http://127.0.0.1:8100"
    same = Settings(base_url="http://127.0.0.1:8100/")
    assert served_base_url(same, "127.0.0.1", 8100) == ("http://127.0.0.1:8100", None)
    public = Settings(base_url="https://truyxuat.dongthap.example")
    url, warning = served_base_url(public, "127.0.0.1", 8100)
    assert url == "https://truyxuat.dongthap.example"
    assert warning is not None and "http://127.0.0.1:8100" in warning
    assert warning.startswith("Cảnh báo") and "Warning" in warning


def test_qr_links_and_log_origin_follow_the_served_port(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    settings.base_url, _ = served_base_url(settings, "127.0.0.1", 8100)
    monkeypatch.setattr("nongso.trace.services.identifiers.get_settings", lambda: settings)
    assert digital_link("09528200000015", "L1").startswith("http://127.0.0.1:8100/01/")
    assert log_origin(settings).startswith("127.0.0.1:8100/")


def test_the_demo_bridge_uses_standard_topics_and_the_root_lists_the_broker(
        platform: Platform, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def start_background(_platform: Platform, url: str | None, **kw: Any) -> Any:
        seen.update(url=url, **kw)
        return None

    class Simulator:
        def __init__(self, *_a: Any, **_kw: Any) -> None: ...
        def start(self) -> None: ...

    # A configured broker (the system one); without one the demo starts its own broker.
    monkeypatch.setattr(platform.settings, "mqtt_url", "mqtt://127.0.0.1:1883")
    monkeypatch.setattr(monitor_settings(), "mqtt_topic_prefix", "")
    monkeypatch.setattr("nongso.wiring.start_background", start_background)
    monkeypatch.setattr(demo_monitor, "broker_reachable", lambda *_: True)
    monkeypatch.setattr(demo_monitor, "mqtt_sender",
                        lambda host, port, prefix: (seen.update(sender_prefix=prefix), None))
    monkeypatch.setattr(demo_monitor, "Simulator", Simulator)
    demo_cli._start_monitoring(platform, 1, demo_monitor.scenario_for(
        __import__("datetime").datetime(2026, 3, 10, tzinfo=__import__("datetime").UTC)))
    assert seen["prefix"] == "" and seen["sender_prefix"] == ""
    assert seen["url"] == "mqtt://127.0.0.1:1883"
    root = client.get("/sta/v1.1").json()["serverSettings"]
    assert MQTT_CREATE in root["conformance"]
    assert root[MQTT_CREATE] == {"endpoints": ["mqtt://127.0.0.1:1883"]}
