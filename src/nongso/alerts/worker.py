"""The alerts worker: a background thread of ``nongso serve`` / ``nongso demo`` (started with
the MQTT bridge by ``nongso.wiring.start_background``).

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
