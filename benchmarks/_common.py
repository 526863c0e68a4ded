"""Helpers of the benchmarks: a fresh database, timing, one JSON line per benchmark."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nongso.core import migrate
from nongso.core.platform import Platform
from nongso.core.settings import Settings
from nongso.units import services as units
from nongso.wiring import register_handlers


def fresh_platform(url: str | None = None) -> Platform:
    """A migrated SQLite database in a temporary folder (or the given URL)."""
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='nongso-bench-')) / 'bench.db'}"
    migrate.upgrade(url)
    register_handlers()
    platform = Platform.create(Settings(database_url=url))
    units.load_reference_data(platform.uow())
    return platform


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100) if len(ordered) > 1 else ordered * 99
    return {"p50_ms": round(q[49] * 1000, 3), "p95_ms": round(q[94] * 1000, 3),
            "p99_ms": round(q[98] * 1000, 3)}


def emit(name: str, **figures: Any) -> None:
    print(json.dumps({"benchmark": name, **figures}, ensure_ascii=False), flush=True)
