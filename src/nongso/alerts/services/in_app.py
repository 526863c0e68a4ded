"""The in-app inbox: the caller's notifications, marking one read."""

from __future__ import annotations

from sqlalchemy import func, select

from nongso.alerts.models import Alert, Delivery
from nongso.alerts.schemas import InboxItem
from nongso.core import clock
from nongso.core.errors import not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import require_login
from nongso.core.uow import UnitOfWork


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
