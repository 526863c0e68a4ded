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
    from nongso.trace import handlers as trace_handlers

    # Monitoring -> alerts: every stored batch of observations is evaluated by the rules.
    events.subscribe(events.ObservationsIngested, alert_handlers.on_observations_ingested)

    # The farm diary's records become lots and EPCIS events (traceability).
    events.subscribe(events.HarvestRecorded, trace_handlers.on_harvest)
    events.subscribe(events.ProcessingRecorded, trace_handlers.on_processing)
    events.subscribe(events.SaleRecorded, trace_handlers.on_sale)
    events.subscribe(events.HarvestCorrected, trace_handlers.on_harvest_corrected)
    events.subscribe(events.ActivityDeleted, trace_handlers.on_activity_deleted)
