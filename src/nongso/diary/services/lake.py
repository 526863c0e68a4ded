"""Rows of the diary for the analytics lake (the open-data domain exports them to Parquet)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Activity, Season

ACTIVITY_ROW_COLUMNS = (
    "id", "season_id", "plot_id", "farmer_id", "organisation_id", "commune_code",
    "province_code", "season_key", "crop", "kind", "status", "at", "quantity_base", "base_unit",
    "area_ha", "updated_at",
)


def activity_rows(uow: UnitOfWork, *, after_id: int = 0, limit: int = 50_000,
                  changed_since: dt.datetime | None = None,
                  season_key: str | None = None, province_code: str | None = None,
                  at_from: dt.datetime | None = None, at_to: dt.datetime | None = None,
                  ) -> list[tuple[Any, ...]]:
    """Activity rows for the analytics lake (columns ``ACTIVITY_ROW_COLUMNS``), in id order
    after ``after_id``: those changed after ``changed_since``, or those of one partition
    (``season_key`` — ``""`` for activities outside a season —, ``province_code``, ``at`` in
    [``at_from``, ``at_to``)). Administrators only: the rows carry internal farmer ids."""
    require_role(uow.principal, "admin")
    a = Activity
    stmt = (select(a.id, a.season_id, a.plot_id, a.farmer_id, a.organisation_id,
                   a.commune_code, a.province_code, Season.season_key, Season.crop, a.kind,
                   a.status, a.at, a.quantity_base, a.base_unit, a.area_ha, a.updated_at)
            .outerjoin(Season, Season.id == a.season_id)
            .where(a.id > after_id).order_by(a.id).limit(max(1, min(limit, 1_000_000))))
    if changed_since is not None:
        stmt = stmt.where(a.updated_at > changed_since)
    if season_key is not None:
        stmt = stmt.where(Season.season_key == season_key if season_key
                          else a.season_id.is_(None))
    if province_code is not None:
        stmt = stmt.where(a.province_code == province_code)
    if at_from is not None:
        stmt = stmt.where(a.at >= at_from)
    if at_to is not None:
        stmt = stmt.where(a.at < at_to)
    with uow:
        return [tuple(r) for r in uow.session.execute(stmt)]
