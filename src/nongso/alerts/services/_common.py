"""What the use cases of alerts share: the evaluation lock, the alerts that stay cleared a
while, an alert's area, who is told of an alert event and the pending deliveries it queues (the
outbox :func:`nongso.alerts.services.sending.dispatch` empties), the webhook secrets' key, the
CAP context, an alert as the API shows it, a rule's per-station setting.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import delete, select, text

from nongso.accounts import services as accounts
from nongso.alerts import cap, channels, engine, rules
from nongso.alerts.models import Alert, AlertCommune, AlertCrop, Delivery, Subscription
from nongso.alerts.schemas import AlertPublic, TriggerValuePublic
from nongso.core import clock
from nongso.core.errors import not_found
from nongso.core.permissions import SYSTEM
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.monitor.services import RuleStream
from nongso.units import services as units

log = logging.getLogger("nongso.alerts")


def _prop(stream: RuleStream, name: str, default: float) -> float:
    value = stream.thing_properties.get(name, stream.datastream_properties.get(name))
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return default


def _lock_evaluation(uow: UnitOfWork) -> None:
    """One evaluation at a time (PostgreSQL advisory lock; SQLite serialises writers)."""
    s = uow.session
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(7207)"))


def _held(uow: UnitOfWork, scope: str, now: dt.datetime) -> dict[str, str]:
    """The keys in ``scope`` whose alert cleared less than ``min_clear_s`` ago, with the
    most severe severity they cleared at: they stay cleared a while."""
    since = now - dt.timedelta(seconds=channels.alert_settings().min_clear_s)
    held: dict[str, str] = {}
    for key, severity in uow.session.execute(select(Alert.key, Alert.severity).where(
            Alert.key.startswith(scope, autoescape=True), Alert.status == "cleared",
            Alert.cleared_at > since)):
        if key not in held or engine.rank(severity) > engine.rank(held[key]):
            held[key] = severity
    return held


def _set_area(uow: UnitOfWork, alert: Alert, communes: Iterable[str],
              crops: Iterable[str]) -> None:
    s = uow.session
    s.execute(delete(AlertCommune).where(AlertCommune.alert_id == alert.id))
    s.execute(delete(AlertCrop).where(AlertCrop.alert_id == alert.id))
    for c in sorted(set(communes)):
        s.add(AlertCommune(alert_id=alert.id, commune_code=c))
    for c in sorted(set(crops)):
        s.add(AlertCrop(alert_id=alert.id, crop=c))
    s.flush()


@dataclass(frozen=True)
class _Recipient:
    key: str
    channel: str
    user_id: int | None
    subscription_id: int | None
    address: str | None
    language: str


def _covers(user_role: str, unit_code: str | None, communes: set[str],
            alert_province: str | None) -> bool:
    """Whether a user's own scope covers an alert's area."""
    if user_role == "admin":
        return True
    if user_role in ("province_officer", "inspector"):
        return unit_code is not None and unit_code == alert_province
    return unit_code is not None and unit_code in communes


def _recipients(uow: UnitOfWork, alert: Alert, escalation: int) -> list[_Recipient]:
    s = uow.session
    communes = set(s.scalars(select(AlertCommune.commune_code)
                             .where(AlertCommune.alert_id == alert.id)))
    crops = set(s.scalars(select(AlertCrop.crop).where(AlertCrop.alert_id == alert.id)))
    out: list[_Recipient] = []
    system = uow.as_principal(SYSTEM)
    if escalation:
        roles = ("province_officer",) if escalation == 1 else ("province_officer", "admin")
        for u in accounts.users_with_roles(system, roles):
            if u.role == "admin" or u.unit_code == alert.province_code:
                out.append(_Recipient(f"user:{u.id}", "inapp", u.id, None, None, u.language))
                if u.email:
                    out.append(_Recipient(f"user:{u.id}", "email", u.id, None, u.email,
                                          u.language))
        return out
    severity = engine.rank(alert.severity)
    subs = list(s.scalars(select(Subscription).where(Subscription.is_active.is_(True))))
    role_subs = [x for x in subs if x.role]
    users_by_role: dict[str, list[Any]] = defaultdict(list)
    if role_subs:
        for u in accounts.users_with_roles(system, {x.role for x in role_subs if x.role}):
            users_by_role[u.role].append(u)
    for sub in subs:
        if engine.rank(sub.min_severity) > severity:
            continue
        if sub.rule_prefix and not alert.rule_id.startswith(sub.rule_prefix):
            continue
        if sub.crop and crops and sub.crop not in crops:
            continue
        if sub.commune_code and sub.commune_code not in communes:
            continue
        if sub.role:
            for u in users_by_role.get(sub.role, []):
                if not _covers(u.role, u.unit_code, communes, alert.province_code):
                    continue
                address = {"email": u.email, "sms": u.phone}.get(sub.channel)
                if sub.channel in ("email", "sms") and not address:
                    continue
                out.append(_Recipient(f"user:{u.id}", sub.channel, u.id, sub.id, address,
                                      u.language))
        else:
            out.append(_Recipient(f"subscription:{sub.id}", sub.channel, sub.user_id, sub.id,
                                  sub.address, sub.language))
    unique: dict[tuple[str, str], _Recipient] = {}
    for r in out:
        unique.setdefault((r.key, r.channel), r)
    return list(unique.values())


def _notify(uow: UnitOfWork, alert: Alert, event: str, escalation: int = 0,
            urgent: bool = False) -> int:
    """Queue the notifications of an alert event (sent later by :func:`dispatch`).

    A recipient gets at most one message about the same alert (rule and place, whatever the
    alert row) in ``delivery_min_interval_s``; a clear, an escalation and an ``urgent`` event
    (the situation got worse) always go."""
    s = uow.session
    n = 0
    now = clock.now()
    limited = not urgent and escalation == 0 and not event.startswith("cleared")
    since = now - dt.timedelta(seconds=channels.alert_settings().delivery_min_interval_s)
    for r in _recipients(uow, alert, escalation):
        exists = s.scalar(select(Delivery.id).where(
            Delivery.alert_id == alert.id, Delivery.event == event,
            Delivery.channel == r.channel, Delivery.recipient == r.key))
        if exists:
            continue
        if limited and s.scalar(
                select(Delivery.id).join(Alert, Alert.id == Delivery.alert_id).where(
                    Alert.key == alert.key, Delivery.channel == r.channel,
                    Delivery.recipient == r.key, Delivery.created_at > since).limit(1)):
            continue  # told about this very alert a moment ago
        s.add(Delivery(alert_id=alert.id, event=event, channel=r.channel, recipient=r.key,
                       user_id=r.user_id, subscription_id=r.subscription_id, address=r.address,
                       language=r.language, status="pending", next_attempt_at=now,
                       created_at=now))
        n += 1
    s.flush()
    return n


def _fernet() -> Fernet:
    key = hashlib.sha256(
        (get_settings().resolved_secret_key() + ":alerts-webhook").encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _cap_context(uow: UnitOfWork) -> cap.CapContext:
    settings = get_settings()
    names = {c.code: c.name for c in units.communes_of_province(uow, settings.province_code)}
    host = settings.base_url.split("//")[-1].split("/")[0].split(":")[0] or "localhost"
    return cap.CapContext(
        sender=f"nongso@{host}",
        sender_name_vi="Nông Số — Sở Nông nghiệp và Môi trường",
        sender_name_en="Nông Số — Department of Agriculture and Environment",
        web_base=settings.base_url.rstrip("/"), commune_names=names)


def _public(uow: UnitOfWork, a: Alert, communes: Sequence[str] | None = None,
            crops: Sequence[str] | None = None) -> AlertPublic:
    s = uow.session
    if communes is None:
        communes = list(s.scalars(select(AlertCommune.commune_code)
                                  .where(AlertCommune.alert_id == a.id)
                                  .order_by(AlertCommune.commune_code)))
    if crops is None:
        crops = list(s.scalars(select(AlertCrop.crop).where(AlertCrop.alert_id == a.id)
                               .order_by(AlertCrop.crop)))
    return AlertPublic(
        id=a.id, rule_id=a.rule_id, status=a.status,
        severity=a.severity,
        cap_severity=rules.CAP_SEVERITY.get(a.severity, "Unknown"),  # type: ignore[call-overload]
        level=a.level, subject=a.subject, headline_vi=a.headline_vi,
        headline_en=a.headline_en, description_vi=a.description_vi,
        description_en=a.description_en, source=a.source, source_en=a.source_en,
        values=[TriggerValuePublic(**v) for v in (a.values or [])],
        thing_id=a.thing_id, datastream_id=a.datastream_id, station_name=a.station_name,
        province_code=a.province_code, communes=list(communes), crops=list(crops),
        lon=a.lon, lat=a.lat, radius_km=a.radius_km, onset=a.onset, expires=a.expires,
        is_exercise=a.is_exercise, raised_at=a.raised_at, updated_at=a.updated_at,
        sequence=a.sequence, acknowledged_at=a.acknowledged_at,
        acknowledged_by=a.acknowledged_by, cleared_at=a.cleared_at,
        clear_reason=a.clear_reason, escalation_level=a.escalation_level,
    )


def _publics(uow: UnitOfWork, rows: Sequence[Alert]) -> list[AlertPublic]:
    """Many alerts with their communes and crops in two queries (no N+1)."""
    s = uow.session
    ids = [a.id for a in rows]
    communes: dict[int, list[str]] = defaultdict(list)
    crops: dict[int, list[str]] = defaultdict(list)
    if ids:
        for i, c in s.execute(select(AlertCommune.alert_id, AlertCommune.commune_code)
                              .where(AlertCommune.alert_id.in_(ids))
                              .order_by(AlertCommune.commune_code)):
            communes[i].append(c)
        for i, c in s.execute(select(AlertCrop.alert_id, AlertCrop.crop)
                              .where(AlertCrop.alert_id.in_(ids)).order_by(AlertCrop.crop)):
            crops[i].append(c)
    return [_public(uow, a, communes[a.id], crops[a.id]) for a in rows]


def _load(uow: UnitOfWork, alert_id: int) -> Alert:
    alert = uow.session.get(Alert, alert_id)
    if alert is None:
        raise not_found("cảnh báo", "alert", alert_id)
    return alert
