"""Use case: the staff's overview of traceability (counts, newest lots, the log's latest
checkpoint) and a lot's page with its journey.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.trace import store
from nongso.trace.models import Lot, Product
from nongso.trace.schemas import CheckpointPublic, LotPublic, MapPoint, TimelineStep
from nongso.trace.services._common import READ_ROLES
from nongso.trace.services._tenancy import lot_clause, reach
from nongso.trace.services.log import _checkpoint_public
from nongso.trace.services.lots import _lot_public, _visible_lot
from nongso.trace.services.resolver import _journey


@dataclass(frozen=True)
class Overview:
    lots: int
    recalled: int
    held: int
    held_lots: list[LotPublic]
    events: int
    products: int
    checkpoint: CheckpointPublic | None
    recent: list[LotPublic]


def overview(uow: UnitOfWork) -> Overview:
    """Counts and the newest lots the caller may see, and the log's latest checkpoint."""
    require_role(uow.principal, *READ_ROLES)
    with uow:
        s = uow.session
        stmt = select(Lot).where(lot_clause(reach(uow)))
        lots = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        recalled = s.scalar(select(func.count()).select_from(
            stmt.where(Lot.status == "recalled").subquery())) or 0
        recent = [_lot_public(x) for x in s.scalars(stmt.order_by(Lot.id.desc()).limit(20))]
        held_stmt = stmt.where(Lot.status == "held")
        held = s.scalar(select(func.count()).select_from(held_stmt.subquery())) or 0
        held_lots = [_lot_public(x) for x in s.scalars(held_stmt.order_by(Lot.id).limit(200))]
        cp = store.checkpoint_for(s)
        return Overview(
            lots=lots, recalled=recalled, held=held, held_lots=held_lots,
            events=store.log_size(s),
            products=s.scalar(select(func.count()).select_from(Product)) or 0,
            checkpoint=_checkpoint_public(cp) if cp else None, recent=recent)


def lot_journey(uow: UnitOfWork, lot_id: int) -> tuple[LotPublic, list[TimelineStep],
                                                        list[MapPoint]]:
    """A lot and its journey for the staff's lot page."""
    require_role(uow.principal, *READ_ROLES)
    with uow:
        lot = _visible_lot(uow, lot_id)
        steps, points = _journey(uow.session, {lot.canonical})
        return _lot_public(lot), steps, points
