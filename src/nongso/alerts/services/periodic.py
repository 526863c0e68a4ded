"""The scheduled run: every datastream's rules, silent stations, escalation of the alerts
nobody acknowledged, deliveries stuck in "sending" put back in line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select, update

from nongso.alerts import engine
from nongso.alerts.models import Alert, Delivery
from nongso.alerts.schemas import EvaluationReport
from nongso.alerts.services._common import _lock_evaluation, _notify
from nongso.alerts.services.evaluation import _apply, _Evaluator, evaluate_datastreams
from nongso.core import clock
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.monitor import services as monitor
from nongso.monitor.services import RuleStream


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
