"""Which domain listens to which domain event, and which domain answers another's questions
about its records: the one place these subscriptions are made."""

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
    from nongso.monitor import services as monitor
    from nongso.registry import services as registry
    from nongso.stats import handlers as stats_handlers
    from nongso.stats import services as stats
    from nongso.stats.targets import register_target_provider
    from nongso.trace import handlers as trace_handlers

    # Monitoring -> alerts: every stored batch of observations is evaluated by the rules.
    events.subscribe(events.ObservationsIngested, alert_handlers.on_observations_ingested)

    # Registry <- monitoring: a monitoring station's record lists the sensors (Things) linked
    # to it, without the registry reading or importing the monitoring domain.
    registry.register_sensor_finder(monitor.things_of_registry_feature)

    # The farm diary's records become lots and EPCIS events (traceability).
    events.subscribe(events.HarvestRecorded, trace_handlers.on_harvest)
    events.subscribe(events.ProcessingRecorded, trace_handlers.on_processing)
    events.subscribe(events.SaleRecorded, trace_handlers.on_sale)
    events.subscribe(events.HarvestCorrected, trace_handlers.on_harvest_corrected)
    events.subscribe(events.ActivityDeleted, trace_handlers.on_activity_deleted)

    # The farm diary's harvests are recounted in the statistics within seconds (the handler
    # only queues the commune x season; the refresher recounts it).
    events.subscribe(events.HarvestRecorded, stats_handlers.on_harvest)
    events.subscribe(events.HarvestCorrected, stats_handlers.on_harvest_corrected)
    events.subscribe(events.ActivityDeleted, stats_handlers.on_activity_deleted)

    # The province's targets measured from the domains that exist; the market's and the open
    # data catalogue's providers ("market_online_sellers", "market_ocop_online",
    # "opendata_published") are registered here when those domains are built.
    for name, provider in stats.BUILTIN_TARGET_PROVIDERS.items():
        register_target_provider(name, provider)
