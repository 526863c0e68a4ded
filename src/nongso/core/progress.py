"""Progress of long work on the console (the demo build, imports, exports): a line when it
starts, one per finished step with its counts and the time taken, and what was done."""

from __future__ import annotations

import time
from collections.abc import Callable

Echo = Callable[[str], None]


class Progress:
    """Reports each finished step as ``[step s | total s] text`` to ``echo`` (or nowhere);
    ``start`` is said at once, before the work."""

    def __init__(self, echo: Echo | None = None, start: str | None = None) -> None:
        self.echo = echo
        self.started = self.last = time.perf_counter()
        if start and echo is not None:
            echo(start)

    def __call__(self, text: str) -> None:
        now = time.perf_counter()
        if self.echo is not None:
            self.echo(f"  [{now - self.last:6.1f} s | {now - self.started:6.1f} s] {text}")
        self.last = now

    def done(self, text: str) -> None:
        """The closing line: what was done, and in how long."""
        if self.echo is not None:
            self.echo(f"{text} ({self.total_s:.1f} s)")

    @property
    def total_s(self) -> float:
        return time.perf_counter() - self.started


def size_text(n: int) -> str:
    """A file size for people: 512 B, 3.4 kB, 12.0 MB."""
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"
