"""The regeneration worker: rebuilds the catalogue after data changed (debounced) and on the
province's schedule; started by ``nongso serve`` and ``nongso demo``."""

from __future__ import annotations

import logging
import threading

from nongso.core import clock
from nongso.core.errors import Conflict
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.opendata import services

log = logging.getLogger("nongso.opendata")


def tick(platform: Platform) -> str | None:
    """One look: build when due; returns why it built (or None)."""
    uow = platform.uow(SYSTEM)
    reason = services.rebuild_due(services.load_settings(uow), clock.now(),
                                  services.last_build_time())
    if reason is None:
        return None
    started = clock.now()
    try:
        report = services.build_catalogue(uow)
    except Conflict:
        return None
    services.forget_changes(started)
    log.info("open data: catalogue v%s (%s; changed: %s)", report.version, reason,
             ", ".join(report.changed) or "-")
    return reason


class Worker:
    def __init__(self, platform: Platform, interval_s: float = 15.0) -> None:
        self.platform = platform
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="opendata-worker", daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                tick(self.platform)
            except Exception:  # keep serving; the next tick tries again
                log.exception("open-data rebuild failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
