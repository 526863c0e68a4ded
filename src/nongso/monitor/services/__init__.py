"""Use cases of monitoring, one module each; this package re-exports them all, so callers (the
API, the CLI, the MQTT bridge, the web pages, the alerts domain, the demo) import only
``nongso.monitor.services``.

| module | use case |
|---|---|
| ``observations`` | observations over HTTP: the compact batch, ``CreateObservations``; a reset |
| ``mqtt`` | observations over MQTT: a batch of messages the bridge received |
| ``sta_query`` | SensorThings reads: the service document, ``GET`` with query options |
| ``sta_insert`` | SensorThings ``POST`` on a collection, with deep insert |
| ``sta_edit`` | SensorThings ``PATCH``, ``PUT`` and ``DELETE`` of one entity |
| ``devices`` | registering a device, the MQTT bridge's state, the broker's configuration |
| ``streams`` | what the alert rules read: datastreams with their station, readings, roll-ups |
| ``registry_links`` | the fields a station watches, a farmer's fields, stations on a record |
| ``overview`` | the pages: stations with their latest values, a datastream's chart series |
| ``lake`` | observations for the analytics lake |
| ``_common`` | what they share: who may write, the write path, the Things the caller may see |

Every function opens the unit of work and commits; routes, the CLI and the MQTT bridge only
parse, call one of these and render. Ingestion publishes one ``ObservationsIngested`` event
per stored batch (the alerts domain listens), never one per reading.
"""

from nongso.monitor.ingest import RowExtras
from nongso.monitor.services._common import StaAnswer, can_write
from nongso.monitor.services.devices import (
    MqttConfigFiles,
    bridge_details,
    bridge_status,
    issue_mqtt_passwords,
    mqtt_configuration,
    register_device,
)
from nongso.monitor.services.lake import OBSERVATION_ROW_COLUMNS, observation_rows
from nongso.monitor.services.mqtt import InboundMessage, MessagesOutcome, ingest_messages
from nongso.monitor.services.observations import (
    create_observations,
    delete_observations_of,
    ingest,
    ingest_compact,
)
from nongso.monitor.services.overview import series, stations
from nongso.monitor.services.registry_links import (
    fields_around,
    fields_of,
    things_of_registry_feature,
)
from nongso.monitor.services.sta_edit import sta_delete, sta_update
from nongso.monitor.services.sta_insert import sta_create
from nongso.monitor.services.sta_query import service_root, sta_read
from nongso.monitor.services.streams import (
    RuleStream,
    daily_values,
    hourly_values,
    latest_readings,
    readings,
    rule_streams,
)

__all__ = [
    "OBSERVATION_ROW_COLUMNS",
    "InboundMessage",
    "MessagesOutcome",
    "MqttConfigFiles",
    "RowExtras",
    "RuleStream",
    "StaAnswer",
    "bridge_details",
    "bridge_status",
    "can_write",
    "create_observations",
    "daily_values",
    "delete_observations_of",
    "fields_around",
    "fields_of",
    "hourly_values",
    "ingest",
    "ingest_compact",
    "ingest_messages",
    "issue_mqtt_passwords",
    "latest_readings",
    "mqtt_configuration",
    "observation_rows",
    "readings",
    "register_device",
    "rule_streams",
    "series",
    "service_root",
    "sta_create",
    "sta_delete",
    "sta_read",
    "sta_update",
    "stations",
    "things_of_registry_feature",
]
