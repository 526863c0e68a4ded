"""The statistics refresher: a background thread of ``nongso serve`` / ``nongso demo``.

Every ``interval_s`` seconds it recounts what the domain events queued and looks for new
seasons (see :mod:`nongso.stats.services.refresh`): a harvest saved in a diary is in the
analytics a few seconds later, with no nightly job.
"""

from __future__ import annotations

import logging
import threading

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.stats import services

log = logging.getLogger("nongso.stats")


class StatsWorker:
    def __init__(self, platform: Platform, interval_s: float = 2.0) -> None:
        self.platform = platform
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> StatsWorker:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stats-refresher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> None:
        services.refresh(self.platform.uow(SYSTEM))
        self.runs += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("statistics refresh failed")
            self._stop.wait(self.interval_s)
