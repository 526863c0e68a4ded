"""EPCIS events for the analytics lake (the open-data domain exports them to Parquet)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.trace.models import EpcisEvent

EVENT_ROW_COLUMNS = ("id", "event_id", "event_type", "event_time", "record_time", "action",
                     "biz_step", "disposition", "read_point", "biz_location")


def event_rows(uow: UnitOfWork, *, after_id: int = 0, limit: int = 100_000
               ) -> list[tuple[Any, ...]]:
    """EPCIS events for the analytics lake (columns ``EVENT_ROW_COLUMNS``) in id order after
    ``after_id`` (the repository only appends: the id is the watermark). Administrators only."""
    require_role(uow.principal, "admin")
    e = EpcisEvent
    stmt = (select(e.id, e.event_id, e.event_type, e.event_time, e.record_time, e.action,
                   e.biz_step, e.disposition, e.read_point, e.biz_location)
            .where(e.id > after_id).order_by(e.id).limit(max(1, min(limit, 1_000_000))))
    with uow:
        return [tuple(r) for r in uow.session.execute(stmt)]
