"""Progress of a long demo build: one line per step, with its counts and the time taken."""

from __future__ import annotations

import time
from collections.abc import Callable

Echo = Callable[[str], None]


class Progress:
    """Reports each finished step as ``[step s / total s] text`` to ``echo`` (or nowhere)."""

    def __init__(self, echo: Echo | None = None) -> None:
        self.echo = echo
        self.started = self.last = time.perf_counter()

    def __call__(self, text: str) -> None:
        now = time.perf_counter()
        if self.echo is not None:
            self.echo(f"  [{now - self.last:6.1f} s | {now - self.started:6.1f} s] {text}")
        self.last = now

    @property
    def total_s(self) -> float:
        return time.perf_counter() - self.started
