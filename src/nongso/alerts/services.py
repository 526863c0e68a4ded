"""Use cases of alerts: evaluate the rules over stored series, the alert lifecycle (raised,
acknowledged, cleared, escalated), subscriptions, the in-app inbox, sending, CAP export.

Evaluation reads the monitoring domain only through ``monitor.services`` (series, stations,
the fields around a station). It runs inside the ingestion's transaction (an
``ObservationsIngested`` handler) and on a schedule (silence, escalation, advisories that
expire). Notifications are written as pending deliveries in the same transaction (an outbox)
and sent afterwards by :func:`dispatch`, never while a database transaction is open.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, func, select, text, update

from nongso.accounts import services as accounts
from nongso.alerts import cap, channels, engine, rules
from nongso.alerts.engine import Decision, Finding, OpenAlert, RuleSettings
from nongso.alerts.models import Alert, AlertCommune, AlertCrop, Delivery, Subscription
from nongso.alerts.schemas import (
    AlertPublic,
    EvaluationReport,
    ExternalFinding,
    InboxItem,
    StationStatusPublic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    Threshold,
    TriggerValuePublic,
)
from nongso.core import clock
from nongso.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed, not_found
from nongso.core.i18n import format_number
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import SYSTEM, Principal, require_login, require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.monitor import services as monitor
from nongso.monitor.services import RuleStream
from nongso.units import services as units

log = logging.getLogger("nongso.alerts")

VN = dt.timezone(dt.timedelta(hours=7))


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(VN).date()


def _vn_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=VN).astimezone(dt.UTC)


def _as_datetime(value: dt.date | dt.datetime | None, end_of_day: bool = False
                 ) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    moment = _vn_midnight(value)
    return moment + dt.timedelta(days=1, seconds=-1) if end_of_day else moment


def _prop(stream: RuleStream, name: str, default: float) -> float:
    value = stream.thing_properties.get(name, stream.datastream_properties.get(name))
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return default


# --------------------------------------------------------------------------------------------
# Evaluation: the rules over stored series


@dataclass
class _Scoped:
    scope: str
    findings: list[Finding]
    stream: RuleStream
    # Keep the open alert as is, only storing this state (flood: nothing changed).
    keep_state: dict[str, Any] | None = None


class _Evaluator:
    def __init__(self, uow: UnitOfWork, now: dt.datetime) -> None:
        self.uow = uow
        self.now = now
        self.settings: RuleSettings = engine.rule_settings()
        self.thresholds = rules.load_salinity_thresholds()
        self.flood_stations = rules.load_flood_stations()
        self._province_communes: dict[str, tuple[str, ...]] = {}

    def province_communes(self, code: str | None) -> tuple[str, ...]:
        code = code or get_settings().province_code
        if code not in self._province_communes:
            self._province_communes[code] = tuple(
                c.code for c in units.communes_of_province(self.uow, code))
        return self._province_communes[code]

    def open_alert(self, key: str) -> Alert | None:
        return self.uow.session.scalar(
            select(Alert).where(Alert.key == key, Alert.status != "cleared"))

    def stream(self, st: RuleStream) -> list[_Scoped]:
        code = st.property_code
        try:
            if code == "salinity":
                return [self.salinity(st)]
            if code == "water_level":
                out = [self.rate(st)]
                flood = self.flood(st)
                if flood is not None:
                    out.append(flood)
                return out
            if code == "light_trap_count":
                return [self.light_trap(st)]
        except rules.RuleError:
            log.exception("rule data of datastream %s is wrong", st.datastream_id)
        return []

    # --- salinity ---------------------------------------------------------------------

    def salinity(self, st: RuleStream) -> _Scoped:
        scope = f"{rules.RULE_SALINITY}|ds{st.datastream_id}|"
        radius = _prop(st, "alertRadiusKm", self.settings.salinity_radius_km)
        fields = monitor.fields_around(self.uow, st, radius * 1000)
        communes_by_crop: dict[str, set[str]] = defaultdict(set)
        for f in fields:
            if f.crop:
                communes_by_crop[f.crop].add(f.commune_code)
        confirm = int(_prop(st, "salinityConfirm", self.settings.salinity_confirm))
        readings = monitor.latest_readings(self.uow, st.datastream_id, max(10, confirm * 5))
        results = rules.salinity_risk(st.thing_name, readings, sorted(communes_by_crop),
                                      self.thresholds, confirm=confirm)
        findings = [
            Finding(scope + r.subject, r, tuple(sorted(communes_by_crop[r.subject])),
                    (r.subject,))
            for r in results
        ]
        return _Scoped(scope, findings, st)

    # --- floods -----------------------------------------------------------------------

    def flood(self, st: RuleStream) -> _Scoped | None:
        name = st.thing_properties.get("floodStation")
        station = self.flood_stations.get(name) if isinstance(name, str) else None
        if station is None:
            return None
        key = f"{rules.RULE_FLOOD_LEVEL}|ds{st.datastream_id}"
        alert = self.open_alert(key)
        previous = alert.level if alert is not None else 0
        until = (alert.state or {}).get("until") if alert is not None else None
        if until:
            since = dt.datetime.fromisoformat(until) + dt.timedelta(microseconds=1)
            readings = monitor.readings(self.uow, st.datastream_id, since)
        else:
            readings = monitor.latest_readings(self.uow, st.datastream_id, 1)
        if not readings:
            return _Scoped(key, [], st, keep_state=alert.state if alert else None) \
                if alert is not None else _Scoped(key, [], st)
        hysteresis = self.settings.flood_hysteresis_m
        assessment = rules.flood_alarm(station, readings, previous, hysteresis)
        state = {"until": readings[-1][0].isoformat()}
        communes = self.province_communes(
            str(st.thing_properties.get("alertProvinceCode") or "") or None)
        if assessment.level == 0:
            return _Scoped(key, [], st)
        if not assessment.changes:
            return _Scoped(key, [], st, keep_state=state)
        result = assessment.changes[-1]
        return _Scoped(key, [Finding(key, result, communes, (), assessment.level, state)], st)

    def rate(self, st: RuleStream) -> _Scoped:
        key = f"{rules.RULE_RATE_OF_RISE}|ds{st.datastream_id}"
        window = dt.timedelta(hours=_prop(st, "riseWindowHours", self.settings.rise_window_h))
        threshold = _prop(st, "riseThresholdMPerDay", self.settings.rise_threshold_m_per_day)
        last = st.last_time or self.now
        readings = monitor.readings(self.uow, st.datastream_id, last - window)
        result = rules.rate_of_rise(st.thing_name, readings, window=window,
                                    threshold_m_per_day=threshold)
        if result is None:
            return _Scoped(key, [], st)
        communes = self.province_communes(
            str(st.thing_properties.get("alertProvinceCode") or "") or None) \
            if st.thing_properties.get("floodStation") else tuple(
                c for c in (st.commune_code,) if c)
        return _Scoped(key, [Finding(key, result, communes)], st)

    # --- pests and disease ------------------------------------------------------------

    def _rice_communes(self, st: RuleStream, radius_km: float) -> tuple[str, ...]:
        fields = monitor.fields_around(self.uow, st, radius_km * 1000)
        communes = {f.commune_code for f in fields if f.crop == "rice"}
        if st.commune_code:
            communes.add(st.commune_code)
        return tuple(sorted(communes))

    def light_trap(self, st: RuleStream) -> _Scoped:
        scope = f"{rules.RULE_BPH_LIGHT_TRAP}|ds{st.datastream_id}|"
        today = _today(self.now)
        daily = monitor.daily_values(self.uow, st.datastream_id, today - dt.timedelta(days=90))
        counts = [(day, total) for day, _n, total, _lo, _hi in daily]
        peaks = [p for p in rules.bph_light_trap_peaks(counts) if p.sowing_end >= today]
        results = rules.bph_sowing_advice(st.thing_name, peaks)
        communes = self._rice_communes(st, _prop(st, "alertRadiusKm",
                                                 self.settings.trap_radius_km))
        findings = [Finding(scope + p.day.isoformat(), r, communes, ("rice",))
                    for p, r in zip(peaks, results, strict=True)]
        return _Scoped(scope, findings, st)

    def blast(self, thing_streams: Sequence[RuleStream]) -> _Scoped | None:
        temps = [s for s in thing_streams if s.property_code == "air_temperature"]
        hums = [s for s in thing_streams if s.property_code == "relative_humidity"]
        if not temps or not hums:
            return None
        st = temps[0]
        scope = f"{rules.RULE_RICE_BLAST}|thing{st.thing_id}|"
        since = self.now - dt.timedelta(days=21)
        nights = night_weather(monitor.hourly_values(self.uow, temps[0].datastream_id, since),
                               monitor.hourly_values(self.uow, hums[0].datastream_id, since))
        today = _today(self.now)
        runs = [r for r in rules.rice_blast_weather(st.thing_name, nights)
                if r.expires is not None and r.expires >= today - dt.timedelta(days=1)]
        communes = self._rice_communes(st, _prop(st, "alertRadiusKm",
                                                 self.settings.blast_radius_km))
        findings = [Finding(scope + (r.onset.isoformat() if r.onset else "run"), r, communes,
                            ("rice",)) for r in runs]
        return _Scoped(scope, findings, st)

    def silence(self, thing_streams: Sequence[RuleStream]) -> _Scoped:
        st = thing_streams[0]
        key = f"{rules.RULE_SILENCE}|thing{st.thing_id}"
        hours = max(_prop(s, "silenceHours", self.settings.silence_hours) for s in thing_streams)
        times = [(s.last_time, 0.0) for s in thing_streams if s.last_time is not None]
        result = rules.station_silence(st.thing_name, times, self.now,
                                       dt.timedelta(hours=hours))
        if result is None:
            return _Scoped(key, [], st)
        return _Scoped(key, [Finding(key, result, tuple(c for c in (st.commune_code,) if c))],
                       st)


def night_weather(temps: Sequence[tuple[dt.datetime, int, float, float, float]],
                  hums: Sequence[tuple[dt.datetime, int, float, float, float]]
                  ) -> list[rules.WeatherDay]:
    """Per night (18:00 to 06:00, Vietnam time), the minimum temperature and the mean
    relative humidity, from hourly roll-ups; the night is dated by its morning."""
    def night_of(hour: dt.datetime) -> dt.date | None:
        local = hour.astimezone(VN)
        if local.hour >= 18:
            return local.date() + dt.timedelta(days=1)
        if local.hour < 6:
            return local.date()
        return None

    t_min: dict[dt.date, float] = {}
    rh: dict[dt.date, list[float]] = defaultdict(list)
    for hour, _n, _total, lo, _hi in temps:
        night = night_of(hour)
        if night is not None:
            t_min[night] = min(t_min.get(night, lo), lo)
    for hour, n, total, _lo, _hi in hums:
        night = night_of(hour)
        if night is not None and n:
            rh[night].append(total / n)
    days = sorted(set(t_min) & set(rh))
    return [rules.WeatherDay(d, t_min[d], sum(rh[d]) / len(rh[d])) for d in days
            if len(rh[d]) >= 6]


def _lock_evaluation(uow: UnitOfWork) -> None:
    """One evaluation at a time (PostgreSQL advisory lock; SQLite serialises writers)."""
    s = uow.session
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(7207)"))


def evaluate_datastreams(uow: UnitOfWork, datastream_ids: Iterable[int],
                         now: dt.datetime | None = None, *,
                         data_arrived: bool = False) -> EvaluationReport:
    """Run the rules of these datastreams (inside the caller's transaction: the ingestion's,
    or the periodic run's) and apply the lifecycle decisions. ``data_arrived``: these
    datastreams just got readings, so their stations are not silent any more."""
    now = now or clock.now()
    with uow:
        system = uow if uow.principal.is_admin else _system_view(uow)
        streams = monitor.rule_streams(system, list(datastream_ids))
        if not streams:
            return EvaluationReport()
        _lock_evaluation(uow)
        ev = _Evaluator(system, now)
        scoped: list[_Scoped] = []
        weather_things: dict[int, list[RuleStream]] = {}
        for st in streams:
            scoped.extend(ev.stream(st))
            if st.property_code in ("air_temperature", "relative_humidity"):
                weather_things[st.thing_id] = []
        if weather_things:
            for st in monitor.rule_streams(system):
                if st.thing_id in weather_things:
                    weather_things[st.thing_id].append(st)
            for thing_streams in weather_things.values():
                blast = ev.blast(thing_streams)
                if blast is not None:
                    scoped.append(blast)
        report = _apply(uow, scoped, now)
        if not data_arrived:
            return report
        # Data arrived: a station reported silent is not silent any more.
        things = {st.thing_id: st for st in streams}
        for thing_id in things:
            key = f"{rules.RULE_SILENCE}|thing{thing_id}"
            if ev.open_alert(key) is not None:
                _apply(uow, [_Scoped(key, [], things[thing_id])], now, report)
        return report


class _SystemUow(UnitOfWork):
    """The caller's open transaction seen with administrator rights (the rules read every
    station, whoever sent the data)."""

    def __init__(self, inner: UnitOfWork) -> None:
        self.principal = SYSTEM
        self._inner = inner

    @property
    def session(self) -> Any:
        return self._inner.session

    def __enter__(self) -> _SystemUow:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    def commit(self) -> None:
        self._inner.commit()


def _system_view(uow: UnitOfWork) -> UnitOfWork:
    return _SystemUow(uow)


def _apply(uow: UnitOfWork, scoped: Sequence[_Scoped], now: dt.datetime,
           report: EvaluationReport | None = None) -> EvaluationReport:
    report = report or EvaluationReport()
    s = uow.session
    for item in scoped:
        open_rows = list(s.scalars(select(Alert).where(
            Alert.key.startswith(item.scope, autoescape=True), Alert.status != "cleared")))
        by_id = {a.id: a for a in open_rows}
        if item.keep_state is not None:
            for a in open_rows:
                a.state, a.evaluated_at = item.keep_state, now
            continue
        decisions = engine.reconcile(
            [OpenAlert(a.id, a.key, a.status, a.severity, a.level)  # type: ignore[arg-type]
             for a in open_rows], item.findings, item.scope, _held(uow, item.scope, now))
        for d in decisions:
            _decide(uow, d, by_id.get(d.alert_id or 0), item.stream, now, report)
    s.flush()
    return report


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


def _decide(uow: UnitOfWork, d: Decision, alert: Alert | None, st: RuleStream,
            now: dt.datetime, report: EvaluationReport) -> None:
    s = uow.session
    if d.kind == "clear":
        assert alert is not None
        alert.status, alert.cleared_at, alert.clear_reason = "cleared", now, "resolved"
        alert.sequence += 1
        alert.updated_at = now
        report.cleared += 1
        report.deliveries += _notify(uow, alert, f"cleared-{alert.sequence}")
        return
    f = d.finding
    assert f is not None
    r = f.result
    values = [{"at": v.at.isoformat(), "value": v.value, "quantity": v.quantity}
              for v in r.values[-50:]]
    if d.kind == "raise":
        radius = None
        if r.rule_id == rules.RULE_SALINITY:
            radius = _prop(st, "alertRadiusKm", engine.rule_settings().salinity_radius_km)
        elif r.rule_id in (rules.RULE_BPH_LIGHT_TRAP, rules.RULE_RICE_BLAST):
            radius = _prop(st, "alertRadiusKm", engine.rule_settings().trap_radius_km)
        alert = Alert(
            rule_id=r.rule_id, key=d.key, status="raised", severity=r.severity, level=f.level,
            state=dict(f.state) or None, subject=r.subject, headline_vi=r.headline_vi[:300],
            headline_en=r.headline_en[:300], description_vi=r.description_vi,
            description_en=r.description_en, source=r.source, values=values,
            thing_id=st.thing_id, datastream_id=st.datastream_id, station_name=st.thing_name,
            province_code=st.province_code or get_settings().province_code,
            lon=st.lon, lat=st.lat, radius_km=radius,
            onset=_as_datetime(r.onset), expires=_as_datetime(r.expires, end_of_day=True),
            is_exercise=bool(st.thing_properties.get("demo")), raised_at=now, updated_at=now,
            evaluated_at=now, sequence=1,
        )
        s.add(alert)
        s.flush()
        _set_area(uow, alert, f.communes, f.crops)
        report.raised += 1
        report.deliveries += _notify(uow, alert, "raised-1", urgent=d.worse)
        return
    assert alert is not None
    alert.values, alert.evaluated_at = values, now
    alert.headline_vi, alert.headline_en = r.headline_vi[:300], r.headline_en[:300]
    alert.description_vi, alert.description_en = r.description_vi, r.description_en
    if f.state:
        alert.state = dict(f.state)
    if not d.changed:
        return
    alert.severity, alert.level = r.severity, f.level
    alert.sequence += 1
    alert.updated_at = now
    if d.worse and alert.status == "acknowledged":
        alert.status, alert.acknowledged_at, alert.acknowledged_by = "raised", None, None
        alert.escalation_level, alert.escalated_at = 0, None
    _set_area(uow, alert, f.communes, f.crops)
    report.updated += 1
    report.deliveries += _notify(uow, alert, f"updated-{alert.sequence}", urgent=d.worse)


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


def evaluate_periodic(uow: UnitOfWork, now: dt.datetime | None = None) -> EvaluationReport:
    """The scheduled run: every datastream's rules, silent stations, escalation."""
    require_role(uow.principal, "admin")
    now = now or clock.now()
    with uow:
        streams = monitor.rule_streams(uow)
        report = evaluate_datastreams(uow, [s.datastream_id for s in streams], now)
        _lock_evaluation(uow)
        ev = _Evaluator(uow, now)
        by_thing: dict[int, list[RuleStream]] = defaultdict(list)
        for st in streams:
            by_thing[st.thing_id].append(st)
        _apply(uow, [ev.silence(v) for v in by_thing.values()], now, report)
        report.escalated = _escalate(uow, now, report)
        # Deliveries stuck in "sending" (a process stopped while sending) go back in line.
        uow.session.execute(update(Delivery).where(
            Delivery.status == "sending",
            Delivery.next_attempt_at < now - dt.timedelta(minutes=10)).values(status="pending"))
        uow.commit()
    return report


def _escalate(uow: UnitOfWork, now: dt.datetime, report: EvaluationReport) -> int:
    settings = engine.rule_settings()
    n = 0
    for alert in uow.session.scalars(select(Alert).where(Alert.status == "raised")):
        if engine.escalation_due(alert.severity, alert.status, alert.raised_at,
                                 alert.escalation_level, alert.escalated_at, now, settings):
            alert.escalation_level += 1
            alert.escalated_at = now
            n += 1
            report.deliveries += _notify(uow, alert, f"escalated-{alert.escalation_level}",
                                         escalation=alert.escalation_level)
    return n


# --------------------------------------------------------------------------------------------
# Who is told


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


# --------------------------------------------------------------------------------------------
# Sending


def _fernet() -> Fernet:
    key = hashlib.sha256(
        (get_settings().resolved_secret_key() + ":alerts-webhook").encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _decrypt(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("a webhook secret cannot be decrypted (was the secret key changed?)")
        return None


@dataclass(frozen=True)
class DispatchReport:
    sent: int
    failed: int
    retried: int


def _cap_context(uow: UnitOfWork) -> cap.CapContext:
    settings = get_settings()
    names = {c.code: c.name for c in units.communes_of_province(uow, settings.province_code)}
    host = settings.base_url.split("//")[-1].split("/")[0].split(":")[0] or "localhost"
    return cap.CapContext(
        sender=f"nongso@{host}",
        sender_name_vi="Nông Số — Sở Nông nghiệp và Môi trường",
        sender_name_en="Nông Số — Department of Agriculture and Environment",
        web_base=settings.base_url.rstrip("/"), commune_names=names)


def dispatch(uow: UnitOfWork, registry: Mapping[str, channels.Channel] | None = None,
             limit: int = 200) -> DispatchReport:
    """Send the pending notifications that are due, outside any database transaction:
    claim them, send, record the outcome (with retries and back-off)."""
    require_role(uow.principal, "admin")
    registry = registry or channels.registry()
    now = clock.now()
    with uow:
        s = uow.session
        rows = list(s.scalars(select(Delivery).where(
            Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.id).limit(limit)))
        if not rows:
            return DispatchReport(0, 0, 0)
        ctx = _cap_context(uow)
        alerts = {a.id: a for a in s.scalars(select(Alert).where(
            Alert.id.in_({d.alert_id for d in rows})))}
        publics = {i: _public(uow, a) for i, a in alerts.items()}
        secrets_by_sub = {x.id: _decrypt(x.secret) for x in s.scalars(select(Subscription).where(
            Subscription.id.in_({d.subscription_id for d in rows if d.subscription_id})))}
        jobs = []
        for d in rows:
            a = publics[d.alert_id]
            jobs.append((d.id, d.channel, _notification(a, d, ctx, secrets_by_sub.get(
                d.subscription_id or 0))))
            d.status = "sending"
        uow.commit()
    outcomes: list[tuple[int, str | None, bool]] = []
    for delivery_id, channel_name, note in jobs:
        channel = registry.get(channel_name)
        try:
            if channel is None:
                raise channels.DeliveryError(f"no channel {channel_name!r}", permanent=True)
            channel.send(note)
            outcomes.append((delivery_id, None, False))
        except channels.DeliveryError as exc:
            outcomes.append((delivery_id, str(exc), exc.permanent))
        except Exception as exc:  # a channel bug must not stop the others
            log.exception("channel %s failed", channel_name)
            outcomes.append((delivery_id, f"{exc.__class__.__name__}: {exc}", False))
    sent = failed = retried = 0
    max_attempts = channels.alert_settings().max_attempts
    with uow:
        s = uow.session
        for delivery_id, error, permanent in outcomes:
            found = s.get(Delivery, delivery_id)
            if found is None:
                continue
            d = found
            d.attempts += 1
            if error is None:
                d.status, d.sent_at, d.last_error = "sent", clock.now(), None
                sent += 1
            elif permanent or d.attempts >= max_attempts:
                d.status, d.last_error = "failed", error[:2000]
                failed += 1
                log.warning("alert %s: %s delivery to %s failed: %s", d.alert_id, d.channel,
                            d.recipient, error)
            else:
                d.status, d.last_error = "pending", error[:2000]
                d.next_attempt_at = clock.now() + dt.timedelta(seconds=30 * 2 ** d.attempts)
                retried += 1
        uow.commit()
    return DispatchReport(sent, failed, retried)


_EVENT_WORDS = {
    "raised": ("CẢNH BÁO", "ALERT"), "updated": ("CẬP NHẬT", "UPDATE"),
    "cleared": ("HẾT CẢNH BÁO", "ALL CLEAR"), "escalated": ("CHƯA XỬ LÝ", "NOT ACKNOWLEDGED"),
}


def _notification(a: AlertPublic, d: Delivery, ctx: cap.CapContext,
                  secret: str | None) -> channels.Notification:
    vi = d.language != "en"
    kind = d.event.split("-")[0]
    word = _EVENT_WORDS.get(kind, (kind, kind))[0 if vi else 1]
    headline = a.headline_vi if vi else a.headline_en
    description = a.description_vi if vi else a.description_en
    link = f"{ctx.web_base}/alerts/{a.id}"
    text_body = (f"{word}: {headline}\n\n{description}\n\n"
                 f"{'Xem' if vi else 'See'}: {link}\nCAP: {ctx.web_base}/api/v1/alerts/{a.id}"
                 "/cap.xml\n")
    short = f"[Nong So] {word}: {headline}"[:300] + f" {link}"
    return channels.Notification(
        alert_id=a.id, event=d.event, language=d.language, address=d.address,
        subject=f"[Nông Số] {word}: {headline}"[:200], text=text_body, short=short[:320],
        payload={"event": d.event, **cap.to_json(a, ctx)}, secret=secret,
    )


# --------------------------------------------------------------------------------------------
# Reading alerts


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
        description_en=a.description_en, source=a.source,
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


def _mine(uow: UnitOfWork) -> tuple[set[str] | None, set[str] | None]:
    """The communes and crops that concern the caller (None: no restriction)."""
    p = uow.principal
    if p.role in ("admin", "province_officer", "inspector"):
        return None, None
    if p.role == "commune_officer":
        return {p.unit_code} if p.unit_code else set(), None
    if p.role == "farmer" and p.farmer_id is not None:
        fields = monitor.fields_of(uow, farmer_id=p.farmer_id)
        communes = {f.commune_code for f in fields} | ({p.unit_code} if p.unit_code else set())
        return communes, {f.crop for f in fields if f.crop}
    if p.role == "coop_manager" and p.organisation_id is not None:
        fields = monitor.fields_of(uow, organisation_id=p.organisation_id)
        communes = {f.commune_code for f in fields} | ({p.unit_code} if p.unit_code else set())
        return communes, {f.crop for f in fields if f.crop} or None
    return None, None


def list_alerts(uow: UnitOfWork, page: PageRequest, *, status: str | None = None,
                commune_code: str | None = None, crop: str | None = None,
                rule: str | None = None, mine: bool = False,
                thing_id: int | None = None) -> Page[AlertPublic]:
    """Alerts, open ones first then newest (public: warnings are public information)."""
    with uow:
        stmt = select(Alert)
        if status == "open":
            stmt = stmt.where(Alert.status != "cleared")
        elif status:
            stmt = stmt.where(Alert.status == status)
        if rule:
            stmt = stmt.where(Alert.rule_id.startswith(rule, autoescape=True))
        if thing_id is not None:
            stmt = stmt.where(Alert.thing_id == thing_id)
        communes: set[str] | None = {commune_code} if commune_code else None
        crops: set[str] | None = {crop} if crop else None
        if mine:
            my_communes, my_crops = _mine(uow)
            communes = my_communes if communes is None else (
                communes & my_communes if my_communes is not None else communes)
            crops = my_crops if crops is None else crops
        if communes is not None:
            stmt = stmt.where(Alert.id.in_(select(AlertCommune.alert_id).where(
                AlertCommune.commune_code.in_(sorted(communes)))))
        if crops is not None:
            with_crops = select(AlertCrop.alert_id)
            stmt = stmt.where(Alert.id.in_(select(AlertCrop.alert_id).where(
                AlertCrop.crop.in_(sorted(crops)))) | Alert.id.not_in(with_crops))
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        order = (Alert.status == "cleared").asc()
        rows = list(uow.session.scalars(stmt.order_by(order, Alert.updated_at.desc(),
                                                      Alert.id.desc())
                                        .limit(page.limit).offset(page.offset)))
        return Page(items=_publics(uow, rows), total=total, limit=page.limit,
                    offset=page.offset)


def _load(uow: UnitOfWork, alert_id: int) -> Alert:
    alert = uow.session.get(Alert, alert_id)
    if alert is None:
        raise not_found("cảnh báo", "alert", alert_id)
    return alert


def get_alert(uow: UnitOfWork, alert_id: int) -> AlertPublic:
    with uow:
        return _public(uow, _load(uow, alert_id))


def _require_handler(uow: UnitOfWork, alert: Alert) -> None:
    p = uow.principal
    require_login(p)
    if p.is_admin:
        return
    communes = set(uow.session.scalars(select(AlertCommune.commune_code)
                                       .where(AlertCommune.alert_id == alert.id)))
    if p.role == "province_officer" and p.unit_code and alert.province_code == p.unit_code:
        return
    if p.role == "commune_officer" and p.unit_code in communes:
        return
    raise PermissionDenied(
        "Chỉ cán bộ xã, tỉnh phụ trách vùng bị ảnh hưởng mới xác nhận, kết thúc được cảnh báo.",
        "Only the officers of the communes or province concerned may acknowledge or clear it.")


def acknowledge(uow: UnitOfWork, alert_id: int) -> AlertPublic:
    """The officer has seen it: escalation stops (until it gets worse)."""
    with uow:
        alert = _load(uow, alert_id)
        _require_handler(uow, alert)
        if alert.status == "cleared":
            raise Conflict("Cảnh báo đã kết thúc.", "The alert is already cleared.")
        if alert.status == "raised":
            alert.status = "acknowledged"
            alert.acknowledged_at, alert.acknowledged_by = clock.now(), uow.principal.user_id
        uow.commit()
        return _public(uow, alert)


def clear(uow: UnitOfWork, alert_id: int) -> AlertPublic:
    """End an alert by hand (if the condition goes on, the rules raise a new one)."""
    with uow:
        alert = _load(uow, alert_id)
        _require_handler(uow, alert)
        if alert.status == "cleared":
            raise Conflict("Cảnh báo đã kết thúc.", "The alert is already cleared.")
        now = clock.now()
        alert.status, alert.cleared_at, alert.cleared_by = "cleared", now, uow.principal.user_id
        alert.clear_reason, alert.sequence, alert.updated_at = "manual", alert.sequence + 1, now
        _notify(uow, alert, f"cleared-{alert.sequence}")
        uow.commit()
        return _public(uow, alert)


def cap_xml(uow: UnitOfWork, alert_id: int) -> str:
    with uow:
        return cap.to_xml(_public(uow, _load(uow, alert_id)), _cap_context(uow))


def cap_json(uow: UnitOfWork, alert_id: int) -> dict[str, Any]:
    with uow:
        return cap.to_json(_public(uow, _load(uow, alert_id)), _cap_context(uow))


def cap_feed(uow: UnitOfWork, feed_url: str) -> str:
    """Atom feed of the open alerts and those cleared in the last 7 days."""
    with uow:
        since = clock.now() - dt.timedelta(days=7)
        rows = list(uow.session.scalars(select(Alert).where(
            (Alert.status != "cleared") | (Alert.cleared_at >= since))
            .order_by(Alert.updated_at.desc()).limit(500)))
        publics = _publics(uow, rows)
        updated = max((a.updated_at for a in publics), default=clock.now())
        return cap.to_atom(publics, _cap_context(uow), updated, feed_url)


# --------------------------------------------------------------------------------------------
# Subscriptions and the inbox

_ADDRESS = {
    "email": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "Địa chỉ e-mail không hợp lệ.",
              "Invalid e-mail address."),
    "sms": (r"^\+?[0-9 ]{8,20}$", "Số điện thoại không hợp lệ.", "Invalid phone number."),
    "webhook": (r"^https?://[^\s]+$", "URL webhook phải bắt đầu bằng http:// hoặc https://.",
                "A webhook URL must start with http:// or https://."),
}


def create_subscription(uow: UnitOfWork, data: SubscriptionCreate) -> SubscriptionCreated:
    import re

    p = uow.principal
    require_login(p)
    if p.role == "device":
        raise PermissionDenied("Thiết bị không đăng ký nhận cảnh báo.",
                               "Devices do not subscribe to alerts.")
    if data.role is not None:
        require_role(p, "province_officer")
        if data.channel == "webhook":
            raise ValidationFailed("Đăng ký theo vai trò không dùng webhook.",
                                   "A role subscription cannot use a webhook.",
                                   [FieldError("channel", "Không hợp lệ", "Not allowed")])
    address = data.address
    if data.role is None and data.channel in _ADDRESS:
        if address is None and data.channel in ("email", "sms") and p.user_id is not None:
            user = accounts.get_user(uow, p.user_id)
            address = user.email if data.channel == "email" else user.phone
        pattern, vi, en = _ADDRESS[data.channel]
        if not address or not re.match(pattern, address):
            raise ValidationFailed(vi, en, [FieldError("address", vi, en)])
        if data.channel == "webhook" and channels.webhook_refusal(
                address, channels.alert_settings().webhook_allow_private) is not None:
            vi = ("Webhook không được gửi tới địa chỉ nội bộ (loopback, mạng riêng, "
                  "link-local); quản trị viên có thể cho phép bằng "
                  "NONGSO_ALERTS_WEBHOOK_ALLOW_PRIVATE.")
            en = ("A webhook may not target an internal address (loopback, private, "
                  "link-local); an administrator may allow it with "
                  "NONGSO_ALERTS_WEBHOOK_ALLOW_PRIVATE.")
            raise ValidationFailed(vi, en, [FieldError("address", vi, en)])
    elif data.channel == "inapp":
        address = None
    if data.commune_code:
        units.require_commune(uow, data.commune_code)
    secret = secrets.token_urlsafe(32) if data.channel == "webhook" else None
    with uow:
        sub = Subscription(
            user_id=None if data.role else p.user_id, role=data.role, channel=data.channel,
            address=address if data.role is None else None,
            secret=_fernet().encrypt(secret.encode()).decode() if secret else None,
            commune_code=data.commune_code, crop=data.crop, rule_prefix=data.rule_prefix,
            min_severity=data.min_severity, language=data.language, created_by=p.user_id,
        )
        uow.session.add(sub)
        uow.commit()
        return SubscriptionCreated(**SubscriptionPublic.model_validate(sub).model_dump(),
                                   secret=secret)


def subscribe_user(uow: UnitOfWork, user_id: int, data: SubscriptionCreate) -> int:
    """Give a user an in-app subscription unless they have one (administrators; the demo)."""
    require_role(uow.principal, "admin")
    with uow:
        found = uow.session.scalar(select(Subscription.id).where(
            Subscription.user_id == user_id, Subscription.channel == data.channel))
        if found is not None:
            return int(found)
        sub = Subscription(user_id=user_id, channel=data.channel, address=data.address,
                           commune_code=data.commune_code, crop=data.crop,
                           rule_prefix=data.rule_prefix, min_severity=data.min_severity,
                           language=data.language, created_by=uow.principal.user_id)
        uow.session.add(sub)
        uow.commit()
        return sub.id


def _my_subscriptions(p: Principal) -> Any:
    stmt = select(Subscription)
    if p.is_admin:
        return stmt
    if p.role == "province_officer":
        return stmt.where((Subscription.user_id == p.user_id)
                          | (Subscription.created_by == p.user_id))
    return stmt.where(Subscription.user_id == p.user_id)


def list_subscriptions(uow: UnitOfWork, page: PageRequest) -> Page[SubscriptionPublic]:
    require_login(uow.principal)
    with uow:
        stmt = _my_subscriptions(uow.principal)
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Subscription.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[SubscriptionPublic.model_validate(r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def delete_subscription(uow: UnitOfWork, subscription_id: int) -> None:
    require_login(uow.principal)
    with uow:
        sub = uow.session.scalar(_my_subscriptions(uow.principal).where(
            Subscription.id == subscription_id))
        if sub is None:
            raise not_found("đăng ký nhận tin", "subscription", subscription_id)
        uow.session.delete(sub)
        uow.commit()


def inbox(uow: UnitOfWork, page: PageRequest, lang: str = "vi") -> Page[InboxItem]:
    """The caller's in-app notifications, newest first."""
    p = uow.principal
    require_login(p)
    with uow:
        stmt = (select(Delivery, Alert).join(Alert, Alert.id == Delivery.alert_id)
                .where(Delivery.user_id == p.user_id, Delivery.channel == "inapp"))
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.execute(stmt.order_by(Delivery.id.desc()).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[InboxItem(
            id=d.id, alert_id=a.id, event=d.event, severity=a.severity,
            headline=a.headline_vi if lang == "vi" else a.headline_en, status=a.status,
            created_at=d.created_at, read_at=d.read_at) for d, a in rows],
            total=total, limit=page.limit, offset=page.offset)


def mark_read(uow: UnitOfWork, delivery_id: int) -> None:
    require_login(uow.principal)
    with uow:
        d = uow.session.get(Delivery, delivery_id)
        if d is None or d.user_id != uow.principal.user_id:
            raise not_found("thông báo", "notification", delivery_id)
        d.read_at = d.read_at or clock.now()
        uow.commit()


# --------------------------------------------------------------------------------------------
# Stations on the map, thresholds on the charts


def stations_with_status(uow: UnitOfWork) -> list[StationStatusPublic]:
    """Monitoring stations with their data status and their worst open alert."""
    base = monitor.stations(uow)
    with uow:
        worst: dict[int, str] = {}
        counts: dict[int, int] = defaultdict(int)
        silent: set[int] = set()
        for thing_id, severity, rule_id in uow.session.execute(
            select(Alert.thing_id, Alert.severity, Alert.rule_id)
            .where(Alert.status != "cleared", Alert.thing_id.is_not(None))):
            if thing_id is None:
                continue
            counts[thing_id] += 1
            if rule_id == rules.RULE_SILENCE:
                silent.add(thing_id)
            if engine.rank(severity) >= engine.rank(worst.get(thing_id, "info")):
                worst[thing_id] = severity
    out = []
    for st in base:
        status = st.status
        sev = worst.get(st.id)
        if st.id in silent:
            status = "silent"
        elif status not in ("silent", "no_data") and sev is not None:
            status = "alarm" if engine.rank(sev) >= engine.rank("severe") else "warning"
        out.append(StationStatusPublic(
            id=st.id, name=st.name, kind=st.kind, commune_code=st.commune_code, lon=st.lon,
            lat=st.lat, status=status,
            last_time=st.last_time,
            latest=[v.model_dump(mode="json") for v in st.latest], alerts=counts.get(st.id, 0),
            worst_severity=sev, registry_feature_id=st.registry_feature_id,
        ))
    return out


def _limit(value: float, lang: str) -> str:
    """A threshold as the chart labels it: 1,5 ‰ in Vietnamese, 1.5 ‰ in English."""
    return format_number(value, lang, 2, trim=True)


def thresholds(uow: UnitOfWork, datastream_id: int) -> list[Threshold]:
    """The lines a station's chart draws: crop salinity limits around it, flood alarm
    levels, the light-trap minimum."""
    streams = monitor.rule_streams(uow, [datastream_id])
    if not streams:
        raise not_found("luồng dữ liệu", "datastream", datastream_id)
    st = streams[0]
    settings = engine.rule_settings()
    out: list[Threshold] = []
    if st.property_code == "salinity":
        crops = {f.crop for f in monitor.fields_around(
            uow, st, _prop(st, "alertRadiusKm", settings.salinity_radius_km) * 1000) if f.crop}
        for crop, t in sorted(rules.load_salinity_thresholds().items(),
                              key=lambda kv: kv[1].max_safe_per_mille):
            if crop in crops:
                out.append(Threshold(value=t.max_safe_per_mille,
                                     label_vi=f"{t.name_vi} {_limit(t.max_safe_per_mille, 'vi')} ‰",
                                     label_en=f"{t.name_en} {_limit(t.max_safe_per_mille, 'en')} ‰",
                                     kind="crop"))
    elif st.property_code == "water_level":
        name = st.thing_properties.get("floodStation")
        station = rules.load_flood_stations().get(name) if isinstance(name, str) else None
        if station is not None:
            for roman, level in zip(("I", "II", "III"), station.alarm_levels, strict=True):
                out.append(Threshold(value=level,
                                     label_vi=f"Báo động {roman} {_limit(level, 'vi')} m",
                                     label_en=f"Alarm {roman} {_limit(level, 'en')} m",
                                     kind="alarm"))
    elif st.property_code == "light_trap_count":
        out.append(Threshold(value=100, label_vi="Ngưỡng đỉnh 100 con/đêm",
                             label_en="Peak threshold 100 a night", kind="trap"))
    return out


__all__ = [
    "DispatchReport",
    "acknowledge",
    "cap_feed",
    "cap_json",
    "cap_xml",
    "clear",
    "create_subscription",
    "delete_subscription",
    "dispatch",
    "evaluate_datastreams",
    "evaluate_periodic",
    "get_alert",
    "inbox",
    "list_alerts",
    "list_subscriptions",
    "mark_read",
    "night_weather",
    "stations_with_status",
    "thresholds",
]


# --------------------------------------------------------------------------------------------
# Alerts found by other domains (the market's price anomalies)


def reconcile_findings(uow: UnitOfWork, scope: str,
                       findings: Sequence[ExternalFinding]) -> EvaluationReport:
    """Raise, update or clear the alerts whose key starts with ``scope`` so that they are
    exactly ``findings`` (inside the caller's unit of work; notifications are queued as for
    the rules' alerts and sent by :func:`dispatch`)."""
    require_role(uow.principal, "admin", "province_officer")
    now = clock.now()
    report = EvaluationReport()
    with uow:
        s = uow.session
        _lock_evaluation(uow)
        open_rows = list(s.scalars(select(Alert).where(
            Alert.key.startswith(scope, autoescape=True), Alert.status != "cleared")))
        by_id = {a.id: a for a in open_rows}
        found = {f.key: f for f in findings}
        results = {k: rules.RuleResult(
            rule_id=f.rule_id, severity=f.severity, subject=f.subject,
            headline_vi=f.headline_vi, headline_en=f.headline_en,
            description_vi=f.description_vi, description_en=f.description_en, values=(),
            source=f.source) for k, f in found.items()}
        decisions = engine.reconcile(
            [OpenAlert(a.id, a.key, a.status, a.severity, a.level)  # type: ignore[arg-type]
             for a in open_rows],
            [Finding(k, results[k], tuple(f.communes), tuple(f.crops), f.level)
             for k, f in found.items()], scope, _held(uow, scope, now))
        for d in decisions:
            alert = by_id.get(d.alert_id or 0)
            if d.kind == "clear":
                assert alert is not None
                alert.status, alert.cleared_at, alert.clear_reason = "cleared", now, "resolved"
                alert.sequence += 1
                alert.updated_at = now
                report.cleared += 1
                report.deliveries += _notify(uow, alert, f"cleared-{alert.sequence}")
                continue
            f = found[d.key]
            values = [v.model_dump() for v in f.values]
            if d.kind == "raise":
                alert = Alert(
                    rule_id=f.rule_id, key=f.key, status="raised", severity=f.severity,
                    level=f.level, subject=f.subject, headline_vi=f.headline_vi,
                    headline_en=f.headline_en, description_vi=f.description_vi,
                    description_en=f.description_en, source=f.source, values=values,
                    station_name=f.station_name, province_code=f.province_code
                    or get_settings().province_code, raised_at=now, updated_at=now,
                    evaluated_at=now, sequence=1)
                s.add(alert)
                s.flush()
                _set_area(uow, alert, f.communes, f.crops)
                report.raised += 1
                report.deliveries += _notify(uow, alert, "raised-1", urgent=d.worse)
                continue
            assert alert is not None
            alert.values, alert.evaluated_at = values, now
            alert.headline_vi, alert.headline_en = f.headline_vi, f.headline_en
            alert.description_vi, alert.description_en = f.description_vi, f.description_en
            if not d.changed:
                continue
            alert.severity, alert.level = f.severity, f.level
            alert.sequence += 1
            alert.updated_at = now
            if d.worse and alert.status == "acknowledged":
                alert.status, alert.acknowledged_at, alert.acknowledged_by = "raised", None, None
                alert.escalation_level, alert.escalated_at = 0, None
            _set_area(uow, alert, f.communes, f.crops)
            report.updated += 1
            report.deliveries += _notify(uow, alert, f"updated-{alert.sequence}",
                                         urgent=d.worse)
        s.flush()
    return report
