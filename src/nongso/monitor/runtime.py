"""Process-wide state of monitoring: the device rate limiter and the running MQTT bridge.

The bridge is started by ``nongso serve`` (when ``NONGSO_MQTT_URL`` is set), ``nongso mqtt
run`` and ``nongso demo``; pages and the API ask here for its status.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nongso.monitor.config import monitor_settings
from nongso.monitor.ratelimit import RateLimiter
from nongso.monitor.schemas import BridgeStatus

if TYPE_CHECKING:
    from nongso.core.platform import Platform
    from nongso.monitor.bridge import MqttBridge

_lock = threading.Lock()
_limiter: RateLimiter | None = None
_bridge: MqttBridge | None = None
_hooks: list[Callable[[Any], None]] = []
log = logging.getLogger("nongso.monitor")


def on_flush(hook: Callable[[Any], None]) -> None:
    """Run ``hook(outcome)`` after every MQTT batch is stored (e.g. to send alerts now)."""
    if hook not in _hooks:
        _hooks.append(hook)


def after_flush(outcome: Any) -> None:
    for hook in list(_hooks):
        try:
            hook(outcome)
        except Exception:
            log.exception("after-flush hook failed")


def limiter() -> RateLimiter:
    global _limiter
    with _lock:
        if _limiter is None:
            s = monitor_settings()
            _limiter = RateLimiter(s.device_rate_per_s, s.device_burst)
        return _limiter


def use_limiter(value: RateLimiter | None) -> RateLimiter | None:
    """Install a limiter (tests); returns the previous one."""
    global _limiter
    with _lock:
        previous, _limiter = _limiter, value
        return previous


def set_bridge(bridge: MqttBridge | None) -> None:
    global _bridge
    with _lock:
        _bridge = bridge


def start_bridge(platform: Platform, url: str, *, client_id: str | None = None,
                 prefix: str | None = None) -> MqttBridge:
    """Start the bridge in the background and register it as this process's bridge."""
    from nongso.monitor.bridge import MqttBridge

    ms = monitor_settings()
    bridge = MqttBridge(
        platform, url, client_id=client_id or ms.mqtt_client_id,
        prefix=ms.mqtt_topic_prefix if prefix is None else prefix,
        limiter=limiter(), flush_ms=ms.mqtt_flush_ms, max_batch=ms.mqtt_max_batch,
        keepalive=ms.mqtt_keepalive_s, after_flush=after_flush,
    )
    bridge.start()
    set_bridge(bridge)
    return bridge


def bridge() -> MqttBridge | None:
    return _bridge


def bridge_status() -> BridgeStatus:
    current = _bridge
    if current is None:
        return BridgeStatus(
            state="off",
            reason_vi="Cầu nối MQTT không chạy (chưa đặt NONGSO_MQTT_URL); dữ liệu vẫn nhận "
                      "qua HTTP.",
            reason_en="The MQTT bridge is not running (NONGSO_MQTT_URL not set); data is still "
                      "accepted over HTTP.",
        )
    return current.status()
