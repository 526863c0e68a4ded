"""Which domain listens to which domain event, which domain answers another's questions about
its records, and which domains publish collections at ``/ogcapi``: the one place these
subscriptions are made and which background services run together (core and the
domains import no other domain's internals; see the import contracts in ``pyproject.toml``).

The entry points call :func:`register_handlers` before they do anything else:
``nongso.app.create_app``, the ``nongso`` command (``nongso.cli``) and the test fixtures.

Publishing another domain's records (monitoring stations, lots, open-data layers) as an OGC
API – Features collection needs no change to the OGC code: register a provider here, made of
the domain's service functions (see :mod:`nongso.registry.providers` for the whole interface)::

    registry.register_provider(registry.FunctionProvider(
        id="stations",                               # /ogcapi/collections/stations
        title_vi="Trạm quan trắc", title_en="Monitoring stations",
        description_vi="…", description_en="…",
        queryables=(registry.Queryable("code", "string", "Mã trạm", "Station code"),),
        get_items=monitor.station_features,          # (uow, ItemsQuery) -> FeaturePage
        get_item=monitor.station_feature,            # (uow, id) -> FeatureRecord | None
        get_extent=monitor.stations_extent,          # (uow) -> (BBox | None, (from, to))
        geometry_format="geometry-point", temporal=False,
        record_path="/monitor/stations/{id}",        # the record's web page, if any
    ))

``get_items`` receives the parsed request (``bbox``, ``interval`` from ``datetime``, ``filter``
in CQL2 text, ``equals`` for the queryables used as query parameters, ``limit``, and ``after``
or ``offset`` from the ``cursor`` of a next link) and answers public properties only, for
``uow.principal``. A part it does not support must be refused with
``nongso.registry.cql.ParameterError`` (400), never ignored; ``numberMatched`` only when it
cost nothing. Collections are listed in the order they are registered, after the registry's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol


class Stoppable(Protocol):
    def stop(self) -> None: ...


if TYPE_CHECKING:
    from nongso.alerts.worker import AlertsWorker
    from nongso.core.platform import Platform
    from nongso.monitor.bridge import MqttBridge

_done = False


def register_handlers() -> None:
    """Subscribe every domain's handlers to the bus and install the cross-domain hooks
    (idempotent)."""
    global _done
    if _done:
        return
    _done = True
    from nongso.accounts import services as accounts
    from nongso.alerts import handlers as alert_handlers
    from nongso.core import deps, events
    from nongso.monitor import services as monitor
    from nongso.opendata import providers as opendata_providers
    from nongso.opendata import services as opendata
    from nongso.opendata import sources as opendata_sources
    from nongso.registry import services as registry
    from nongso.stats import handlers as stats_handlers
    from nongso.stats import services as stats
    from nongso.stats.targets import register_target_provider
    from nongso.trace import handlers as trace_handlers

    # Core <- accounts: who is calling (bearer token, device key, web session).
    deps.register_authenticator(accounts.authenticate)

    # Monitoring -> alerts: every stored batch of observations is evaluated by the rules.
    events.subscribe(events.ObservationsIngested, alert_handlers.on_observations_ingested)
    # Farm diary -> alerts: a scouting record at a pest's spray threshold raises the pest alert.
    events.subscribe(events.PestThresholdReached, alert_handlers.on_pest_threshold_reached)
    # Traceability -> alerts: a recalled or withdrawn lot is told to the receivers downstream.
    events.subscribe(events.LotRecalled, alert_handlers.on_lot_recalled)

    # Accounts -> alerts: an erased person's copied contact details are forgotten.
    events.subscribe(events.PersonErased, alert_handlers.on_person_erased)

    # Registry <- monitoring: a monitoring station's record lists the sensors (Things) linked
    # to it, without the registry reading or importing the monitoring domain.
    registry.register_sensor_finder(monitor.things_of_registry_feature)

    # The farm diary's records become lots and EPCIS events (traceability).
    events.subscribe(events.HarvestRecorded, trace_handlers.on_harvest)
    events.subscribe(events.ProcessingRecorded, trace_handlers.on_processing)
    events.subscribe(events.SaleRecorded, trace_handlers.on_sale)
    events.subscribe(events.HarvestCorrected, trace_handlers.on_harvest_corrected)
    events.subscribe(events.ActivityDeleted, trace_handlers.on_activity_deleted)
    events.subscribe(events.ViolationsRecorded, trace_handlers.on_violations_recorded)

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

    # Open data: what is published (named providers; the statistics capability replaces the
    # diary-based "seasonal-statistics" provider with its approved values), and the changes
    # that make the catalogue due for a rebuild (debounced by the regeneration worker).
    for provider in opendata_sources.default_providers():
        opendata_providers.register_provider(provider)
    for event_type in (events.HarvestRecorded, events.ProcessingRecorded, events.SaleRecorded,
                       events.HarvestCorrected, events.ObservationsIngested):
        events.subscribe(event_type, opendata.note_change)
    events.subscribe(events.ActivityDeleted, opendata.note_deletion)


class Background:
    """The background services of a serving process: the alerts worker, the MQTT bridge when a
    broker URL is given, the statistics refresher (harvests in the analytics within seconds)
    and the open-data regeneration worker."""

    def __init__(self, worker: AlertsWorker, bridge: MqttBridge | None,
                 others: list[Stoppable] | None = None) -> None:
        self.worker = worker
        self.bridge = bridge
        self.others = others or []

    def stop(self) -> None:
        from nongso.monitor import runtime

        for other in reversed(self.others):
            other.stop()
        if self.bridge is not None:
            self.bridge.stop()
            runtime.set_bridge(None)
        self.worker.stop()


def start_background(platform: Platform, mqtt_url: str | None, *,
                     evaluate_s: float | None = None, client_id: str | None = None,
                     prefix: str | None = None) -> Background:
    """Start the alerts worker and, with ``mqtt_url``, the MQTT bridge (which wakes the worker
    after every stored batch), the statistics refresher and the open-data regeneration worker.
    The app does not wait for the broker."""
    from nongso.alerts.channels import alert_settings
    from nongso.alerts.worker import AlertsWorker
    from nongso.monitor import runtime
    from nongso.opendata.worker import Worker as OpenDataWorker
    from nongso.stats.worker import StatsWorker

    worker = AlertsWorker(platform, evaluate_s=evaluate_s or alert_settings().worker_interval_s)
    worker.start()
    runtime.on_flush(worker.wake)
    bridge = runtime.start_bridge(platform, mqtt_url, client_id=client_id, prefix=prefix) \
        if mqtt_url else None
    others: list[Stoppable] = [StatsWorker(platform).start(), OpenDataWorker(platform).start()]
    return Background(worker, bridge, others)
