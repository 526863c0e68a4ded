"""Per-device rate limiting: a token bucket for each device (pure; the clock is injected).

A device may send ``rate`` messages (HTTP requests or MQTT messages) a second on average and
``burst`` at once. A device over its limit gets 429 on HTTP and its MQTT messages are counted
as rejected; other devices are not affected, because every device has its own bucket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens from ``key``'s bucket if it has them."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return True
            return False

    def retry_after(self, key: str, cost: float = 1.0) -> int:
        """Whole seconds until ``cost`` tokens are back (at least 1)."""
        with self._lock:
            bucket = self._buckets.get(key)
            missing = cost - (bucket.tokens if bucket else self.burst)
        return max(1, int(missing / self.rate + 0.999))
