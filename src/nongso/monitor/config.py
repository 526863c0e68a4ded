"""Settings of monitoring (environment variables ``NONGSO_MONITOR_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class MonitorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NONGSO_MONITOR_", extra="ignore")

    # Per device: messages (HTTP requests or MQTT messages) a second, and the burst allowed.
    device_rate_per_s: float = 20.0
    device_burst: float = 200.0
    # The MQTT bridge: its client id (a persistent session is kept under it by the broker),
    # a topic prefix (empty in production; tests use one each), batching.
    mqtt_client_id: str = "nongso-platform"
    mqtt_topic_prefix: str = ""
    mqtt_flush_ms: int = 100
    mqtt_max_batch: int = 50_000
    mqtt_keepalive_s: int = 30
    # SensorThings paging: default and largest $top.
    sta_default_top: int = 100
    sta_max_top: int = 10_000


@lru_cache
def monitor_settings() -> MonitorSettings:
    return MonitorSettings()
