"""Evaluation: the rules over stored series, inside the ingestion's transaction (an
``ObservationsIngested`` handler) or the periodic run's, and the lifecycle decisions they
lead to (raise, update, clear; the notifications queued in the same transaction).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from nongso.alerts import engine, rules
from nongso.alerts.engine import Decision, Finding, OpenAlert, RuleSettings
from nongso.alerts.messages import crop_name
from nongso.alerts.models import Alert
from nongso.alerts.schemas import EvaluationReport
from nongso.alerts.services._common import _held, _lock_evaluation, _notify, _prop, _set_area, log
from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.monitor import services as monitor
from nongso.monitor.services import RuleStream
from nongso.units import services as units

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
        self._commune_names: dict[str, dict[str, str]] = {}

    def province_communes(self, code: str | None) -> tuple[str, ...]:
        code = code or get_settings().province_code
        if code not in self._province_communes:
            self._province_communes[code] = tuple(
                c.code for c in units.communes_of_province(self.uow, code))
        return self._province_communes[code]

    def commune_names(self, code: str | None) -> dict[str, str]:
        code = code or get_settings().province_code
        if code not in self._commune_names:
            self._commune_names[code] = {
                c.code: c.name for c in units.communes_of_province(self.uow, code)}
        return self._commune_names[code]

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
        missing = [(crop_name(c, "vi"), crop_name(c, "en")) for c in
                   rules.crops_not_covered(communes_by_crop, self.thresholds)]
        results = rules.salinity_risk(st.thing_name, readings, sorted(communes_by_crop),
                                      self.thresholds, confirm=confirm, not_covered=missing)
        # One alert per station: the crops at risk, each with its communes and advice.
        names = self.commune_names(st.province_code)
        station = rules.salinity_station_alert(
            st.thing_name, results, self.thresholds,
            {crop: sorted(names.get(c, c) for c in codes)
             for crop, codes in communes_by_crop.items()}, not_covered=missing)
        findings: list[Finding] = []
        if station is not None:
            result, crops = station
            at_risk = [c.crop for c in crops]
            communes = sorted({c for crop in at_risk for c in communes_by_crop[crop]})
            findings.append(Finding(
                scope + rules.SALINITY_STATION_SUBJECT, result, tuple(communes), tuple(at_risk),
                state={"crops": [dataclasses.asdict(c) for c in crops]}))
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
            description_en=r.description_en, source=r.source_vi, source_en=r.source_en,
            values=values,
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
    alert.source, alert.source_en = r.source_vi, r.source_en
    if f.state:
        alert.state = dict(f.state)
    # The crops and communes follow what the rule sees now (a station's salinity alert
    # gains or loses crops without changing its severity).
    _set_area(uow, alert, f.communes, f.crops)
    if not d.changed:
        return
    alert.severity, alert.level = r.severity, f.level
    alert.sequence += 1
    alert.updated_at = now
    if d.worse and alert.status == "acknowledged":
        alert.status, alert.acknowledged_at, alert.acknowledged_by = "raised", None, None
        alert.escalation_level, alert.escalated_at = 0, None
    report.updated += 1
    report.deliveries += _notify(uow, alert, f"updated-{alert.sequence}", urgent=d.worse)
