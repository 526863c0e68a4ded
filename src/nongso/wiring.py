"""Which domain listens to which domain event: the one place subscriptions are made."""

from __future__ import annotations

_done = False


def register_handlers() -> None:
    """Subscribe every domain's handlers to the bus (idempotent)."""
    global _done
    if _done:
        return
    _done = True
    # Domains add their subscriptions here as they land, e.g.:
    #   from nongso.trace import handlers as trace_handlers
    #   events.subscribe(events.HarvestRecorded, trace_handlers.on_harvest)
