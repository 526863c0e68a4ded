"""Use cases of alerts, one module each; this package re-exports them all, so callers (the
API, the worker, the event handlers, the web pages, the market and stats domains, the demo)
import only ``nongso.alerts.services``.

| module | use case |
|---|---|
| ``evaluation`` | the rules over stored series and the lifecycle decisions (raise, update, clear) |
| ``periodic`` | the scheduled run: every datastream's rules, silent stations, escalation |
| ``sending`` | sending the pending notifications, with retries and back-off |
| ``reading`` | the list of alerts (filters, "mine"), one alert |
| ``handling`` | an officer acknowledges an alert or clears it by hand |
| ``cap_export`` | CAP 1.2: one alert as XML or JSON, the Atom feed |
| ``subscriptions`` | creating, giving, listing and deleting subscriptions |
| ``in_app`` | the in-app inbox, marking a notification read |
| ``station_status`` | stations on the map with their worst open alert |
| ``chart_lines`` | the thresholds a station's chart draws |
| ``external_findings`` | alerts found by other domains (the market's price anomalies, scouting) |
| ``recall_notices`` | a recalled or withdrawn lot told to the organisations downstream |
| ``_common`` | what they share: the evaluation lock, who is told (the outbox), an alert as shown |

Evaluation reads the monitoring domain only through ``monitor.services`` (series, stations,
the fields around a station). It runs inside the ingestion's transaction (an
``ObservationsIngested`` handler) and on a schedule (silence, escalation, advisories that
expire). Notifications are written as pending deliveries in the same transaction (an outbox)
and sent afterwards by :func:`dispatch`, never while a database transaction is open.
"""

from nongso.alerts.services.cap_export import cap_feed, cap_json, cap_xml
from nongso.alerts.services.chart_lines import salinity_not_covered, thresholds
from nongso.alerts.services.evaluation import evaluate_datastreams, night_weather
from nongso.alerts.services.external_findings import raise_scouting_finding, reconcile_findings
from nongso.alerts.services.handling import acknowledge, clear
from nongso.alerts.services.in_app import inbox, mark_read
from nongso.alerts.services.periodic import evaluate_periodic
from nongso.alerts.services.reading import crops_at_risk, get_alert, list_alerts
from nongso.alerts.services.recall_notices import notify_recall
from nongso.alerts.services.sending import DispatchReport, dispatch
from nongso.alerts.services.station_status import stations_with_status
from nongso.alerts.services.subscriptions import (
    create_subscription,
    delete_subscription,
    forget_addresses,
    list_subscriptions,
    subscribe_user,
)

__all__ = [
    "DispatchReport",
    "acknowledge",
    "cap_feed",
    "cap_json",
    "cap_xml",
    "clear",
    "create_subscription",
    "crops_at_risk",
    "delete_subscription",
    "dispatch",
    "evaluate_datastreams",
    "evaluate_periodic",
    "forget_addresses",
    "get_alert",
    "inbox",
    "list_alerts",
    "list_subscriptions",
    "mark_read",
    "night_weather",
    "notify_recall",
    "raise_scouting_finding",
    "reconcile_findings",
    "salinity_not_covered",
    "stations_with_status",
    "subscribe_user",
    "thresholds",
]
