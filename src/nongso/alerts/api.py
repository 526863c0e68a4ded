"""HTTP adapter of alerts: list, acknowledge, clear, CAP 1.2, subscriptions, the inbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from nongso.alerts import services
from nongso.alerts.schemas import (
    AlertPublic,
    EvaluationReport,
    InboxItem,
    SeverityName,
    StationStatusPublic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    Threshold,
)
from nongso.core.deps import LangDep, PageDep, UowDep
from nongso.core.fields import Id
from nongso.core.pagination import Page
from nongso.core.permissions import SYSTEM, require_role

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=Page[AlertPublic])
def list_alerts(
    uow: UowDep, page: PageDep,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|raised|acknowledged|"
                                         "cleared)$")] = None,
    commune_code: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    crop: Annotated[str | None, Query(max_length=50)] = None,
    rule: Annotated[str | None, Query(max_length=80)] = None,
    thing_id: Id | None = None,
    severity: SeverityName | None = None,
    mine: bool = False,
) -> Page[AlertPublic]:
    """Alerts, open first; ``mine=true``: those of the caller's communes and crops."""
    return services.list_alerts(uow, page, status=status_, commune_code=commune_code,
                                crop=crop, rule=rule, mine=mine, thing_id=thing_id,
                                severity=severity)


@router.get("/feed.atom", include_in_schema=True)
def cap_feed(request: Request, uow: UowDep) -> Response:
    """Atom feed of CAP 1.2 alerts (open, and cleared in the last 7 days)."""
    return Response(services.cap_feed(uow, str(request.url)),
                    media_type="application/atom+xml; charset=utf-8")


@router.get("/stations", response_model=list[StationStatusPublic])
def stations(uow: UowDep) -> list[StationStatusPublic]:
    """Stations for the map: data status and worst open alert."""
    return services.stations_with_status(uow)


@router.get("/thresholds/{datastream_id}", response_model=list[Threshold])
def thresholds(datastream_id: Id, uow: UowDep) -> list[Threshold]:
    """Lines to draw on a datastream's chart (crop limits, alarm levels)."""
    return services.thresholds(uow, datastream_id)


@router.get("/subscriptions", response_model=Page[SubscriptionPublic])
def list_subscriptions(uow: UowDep, page: PageDep) -> Page[SubscriptionPublic]:
    return services.list_subscriptions(uow, page)


@router.post("/subscriptions", response_model=SubscriptionCreated,
             status_code=status.HTTP_201_CREATED)
def create_subscription(body: SubscriptionCreate, uow: UowDep) -> SubscriptionCreated:
    """Subscribe by commune, crop, rule and severity (a webhook's secret is shown once)."""
    return services.create_subscription(uow, body)


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(subscription_id: Id, uow: UowDep) -> Response:
    services.delete_subscription(uow, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/inbox", response_model=Page[InboxItem])
def inbox(uow: UowDep, page: PageDep, lang: LangDep) -> Page[InboxItem]:
    """The caller's in-app notifications."""
    return services.inbox(uow, page, lang)


@router.post("/inbox/{delivery_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(delivery_id: Id, uow: UowDep) -> Response:
    services.mark_read(uow, delivery_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/evaluate", response_model=EvaluationReport)
def evaluate(uow: UowDep) -> EvaluationReport:
    """Run the periodic rules now (administrators)."""
    require_role(uow.principal, "admin")
    return services.evaluate_periodic(uow.as_principal(SYSTEM))


@router.get("/{alert_id}", response_model=AlertPublic)
def get_alert(alert_id: Id, uow: UowDep) -> AlertPublic:
    return services.get_alert(uow, alert_id)


@router.post("/{alert_id}/acknowledge", response_model=AlertPublic)
def acknowledge(alert_id: Id, uow: UowDep) -> AlertPublic:
    """An officer has seen the alert: escalation stops."""
    return services.acknowledge(uow, alert_id)


@router.post("/{alert_id}/clear", response_model=AlertPublic)
def clear(alert_id: Id, uow: UowDep) -> AlertPublic:
    return services.clear(uow, alert_id)


@router.get("/{alert_id}/cap.xml")
def cap_xml(alert_id: Id, uow: UowDep) -> Response:
    """The alert as a CAP 1.2 message (XML)."""
    return Response(services.cap_xml(uow, alert_id),
                    media_type="application/cap+xml; charset=utf-8")


@router.get("/{alert_id}/cap.json")
def cap_json(alert_id: Id, uow: UowDep) -> Response:
    """The alert as a CAP 1.2 message in JSON (CAP element names)."""
    body: dict[str, Any] = services.cap_json(uow, alert_id)
    return JSONResponse(body)
