"""The clock as a boundary: services ask ``clock.now()``, tests replace it with a fixed one."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware time")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta


_clock: Clock = SystemClock()


def now() -> dt.datetime:
    return _clock.now()


def today_vn() -> dt.date:
    """Today's date in Vietnam (UTC+7), the date farmers write in their diaries."""
    return (now() + dt.timedelta(hours=7)).date()


def use(clock: Clock) -> Clock:
    """Install a clock; returns the previous one so tests can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous
