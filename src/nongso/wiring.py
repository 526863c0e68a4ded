"""Which domain listens to which domain event, which domain answers another's questions about
its records, and which domains publish collections at ``/ogcapi``: the one place these
subscriptions are made.

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
