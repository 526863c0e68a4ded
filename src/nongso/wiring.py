"""Which domain listens to which domain event: the one place subscriptions are made."""

from __future__ import annotations

_done = False


def register_handlers() -> None:
    """Subscribe every domain's handlers to the bus (idempotent)."""
    global _done
    if _done:
        return
    _done = True
    from nongso.alerts import handlers as alert_handlers
    from nongso.core import events

    # Monitoring -> alerts: every stored batch of observations is evaluated by the rules.
    events.subscribe(events.ObservationsIngested, alert_handlers.on_observations_ingested)
