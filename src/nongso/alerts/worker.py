"""The alerts worker: a background thread of ``nongso serve`` / ``nongso demo``.

Every ``dispatch_s`` it sends the pending notifications; every ``evaluate_s`` it runs the
periodic rules (silent stations, escalation of unacknowledged alerts, advisories that
expire). An MQTT batch wakes it at once, so a new alert goes out within seconds.
"""

from __future__ import annotations

import logging
import threading
import time

from nongso.alerts import services
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform

log = logging.getLogger("nongso.alerts")


class AlertsWorker:
    def __init__(self, platform: Platform, *, evaluate_s: float = 60.0,
                 dispatch_s: float = 2.0) -> None:
        self.platform = platform
        self.evaluate_s = evaluate_s
        self.dispatch_s = dispatch_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alerts-worker", daemon=True)
        self._thread.start()

    def wake(self, *_: object) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        next_evaluation = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_evaluation:
                try:
                    services.evaluate_periodic(self.platform.uow(SYSTEM))
                except Exception:
                    log.exception("periodic alert evaluation failed")
                next_evaluation = now + self.evaluate_s
            try:
                services.dispatch(self.platform.uow(SYSTEM))
            except Exception:
                log.exception("sending alerts failed")
            self.runs += 1
            self._wake.wait(self.dispatch_s)
            self._wake.clear()


class Background:
    """The background services of a serving process: the alerts worker, and the MQTT bridge
    when a broker URL is given."""

    def __init__(self, worker: AlertsWorker, bridge: object | None) -> None:
        self.worker = worker
        self.bridge = bridge

    def stop(self) -> None:
        from nongso.monitor import runtime

        if self.bridge is not None:
            self.bridge.stop()  # type: ignore[attr-defined]
            runtime.set_bridge(None)
        self.worker.stop()


def start_background(platform: Platform, mqtt_url: str | None, *,
                     evaluate_s: float | None = None, client_id: str | None = None,
                     prefix: str | None = None) -> Background:
    """Start the alerts worker and, with ``mqtt_url``, the MQTT bridge (which wakes the worker
    after every stored batch). The app does not wait for the broker."""
    from nongso.alerts.channels import alert_settings
    from nongso.monitor import runtime
    from nongso.monitor.cli import start_bridge

    worker = AlertsWorker(platform, evaluate_s=evaluate_s or alert_settings().worker_interval_s)
    worker.start()
    runtime.on_flush(worker.wake)
    bridge = start_bridge(platform, mqtt_url, client_id=client_id, prefix=prefix) \
        if mqtt_url else None
    return Background(worker, bridge)
