"""Alerts found by other domains (the market's price anomalies, the farm diary's scouting
records at a pest's spray threshold): raise, update or clear them so that they are exactly the
findings given.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from nongso.alerts import engine, rules
from nongso.alerts.cap import VN
from nongso.alerts.engine import Finding, OpenAlert
from nongso.alerts.models import Alert
from nongso.alerts.schemas import EvaluationReport, ExternalFinding, TriggerValuePublic
from nongso.alerts.services._common import _held, _lock_evaluation, _notify, _set_area
from nongso.core import clock, events
from nongso.core.permissions import require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork


def reconcile_findings(uow: UnitOfWork, scope: str,
                       findings: Sequence[ExternalFinding]) -> EvaluationReport:
    """Raise, update or clear the alerts whose key starts with ``scope`` so that they are
    exactly ``findings`` (inside the caller's unit of work; notifications are queued as for
    the rules' alerts and sent by :func:`dispatch`)."""
    require_role(uow.principal, "admin", "province_officer")
    return _reconcile_findings(uow, scope, findings)


SCOUTING_RULE = "pest.scouting_threshold"


def raise_scouting_finding(uow: UnitOfWork, e: events.PestThresholdReached) -> EvaluationReport:
    """A scouting record in a farm diary reports a pest at its spray threshold: the pest alert
    of that commune and pest is raised (or updated) for the crop's growers, inside the diary's
    unit of work. Whoever scouted may raise it: the diary checked who may record."""
    key = f"diary.pest:{e.commune_code}:{e.pest_code}:"
    day = e.at.astimezone(VN).strftime("%d/%m/%Y")
    finding = ExternalFinding(
        key=key, rule_id=SCOUTING_RULE, severity="moderate", subject=e.pest_code[:100],
        headline_vi=f"«{e.pest}» đạt ngưỡng phòng trừ ({e.density_per_m2:g} con/m², "
                    f"ngưỡng {e.threshold_per_m2:g}) ngày {day}"[:300],
        headline_en=f"'{e.pest}' at the spray threshold ({e.density_per_m2:g}/m², "
                    f"threshold {e.threshold_per_m2:g}) on {day}"[:300],
        description_vi=f"Ghi nhận thăm đồng: {e.message_vi}"[:4000],
        description_en=f"Scouting record: {e.message_en}"[:4000],
        source=e.source[:1000], station_name=f"Thăm đồng / scouting — {e.commune_code}",
        communes=[e.commune_code], crops=[e.crop] if e.crop else [],
        values=[TriggerValuePublic(at=e.at.isoformat(), value=float(e.density_per_m2),
                                   quantity="density_per_m2")],
        level=1)
    return _reconcile_findings(uow, key, [finding])


def _reconcile_findings(uow: UnitOfWork, scope: str,
                        findings: Sequence[ExternalFinding]) -> EvaluationReport:
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
            source_vi=f.source, source_en=f.source_en or f.source) for k, f in found.items()}
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
                    description_en=f.description_en, source=f.source,
                    source_en=f.source_en or None, values=values,
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
            alert.source, alert.source_en = f.source, f.source_en or None
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
