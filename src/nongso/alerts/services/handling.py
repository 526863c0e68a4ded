"""An officer handles an alert: acknowledge it (escalation stops) or clear it by hand."""

from __future__ import annotations

from sqlalchemy import select

from nongso.alerts.models import Alert, AlertCommune
from nongso.alerts.schemas import AlertPublic
from nongso.alerts.services._common import _load, _notify, _public
from nongso.core import clock
from nongso.core.errors import Conflict, PermissionDenied
from nongso.core.permissions import require_login
from nongso.core.uow import UnitOfWork


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
