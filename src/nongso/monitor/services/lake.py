"""The analytics lake: observations in id order after a watermark (administrators only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.monitor.models import Datastream, Observation, Thing

OBSERVATION_ROW_COLUMNS = ("id", "datastream_id", "thing_id", "commune_code", "province_code",
                           "phenomenon_time", "result", "quality")


def observation_rows(uow: UnitOfWork, *, after_id: int = 0, limit: int = 100_000
                     ) -> list[tuple[Any, ...]]:
    """Observations for the analytics lake (columns ``OBSERVATION_ROW_COLUMNS``) in id order
    after ``after_id`` (observations are only ever added: the id is the watermark).
    Administrators only."""
    require_role(uow.principal, "admin")
    o = Observation
    stmt = (select(o.id, o.datastream_id, Datastream.thing_id, Thing.commune_code,
                   Thing.province_code, o.phenomenon_time, o.result, o.quality)
            .join(Datastream, Datastream.id == o.datastream_id)
            .join(Thing, Thing.id == Datastream.thing_id)
            .where(o.id > after_id).order_by(o.id).limit(max(1, min(limit, 1_000_000))))
    with uow:
        return [tuple(r) for r in uow.session.execute(stmt)]
