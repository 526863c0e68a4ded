"""Traceability figures for the statistics domain (which organisations trace their products)."""

from __future__ import annotations

from sqlalchemy import extract, func, select

from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.trace.models import Lot
from nongso.trace.schemas import OrganisationLots


def lots_by_organisation(uow: UnitOfWork) -> list[OrganisationLots]:
    """Lots per organisation and year (of harvest, else production, else creation): which
    co-operatives trace their products, for the statistics (admin or the system)."""
    require_role(uow.principal, "admin")
    dated = func.coalesce(Lot.harvest_date, Lot.production_date)
    counts: dict[tuple[int, int], int] = {}
    with uow:
        s = uow.session
        for org, year, n in s.execute(
                select(Lot.organisation_id, extract("year", dated), func.count())
                .where(Lot.organisation_id.is_not(None), dated.is_not(None))
                .group_by(Lot.organisation_id, extract("year", dated))).all():
            key = (int(org or 0), int(year))
            counts[key] = counts.get(key, 0) + int(n)
        for org, year, n in s.execute(
                select(Lot.organisation_id, extract("year", Lot.created_at), func.count())
                .where(Lot.organisation_id.is_not(None), dated.is_(None))
                .group_by(Lot.organisation_id, extract("year", Lot.created_at))).all():
            key = (int(org or 0), int(year))
            counts[key] = counts.get(key, 0) + int(n)
    return [OrganisationLots(organisation_id=o, year=y, lots=n)
            for (o, y), n in sorted(counts.items())]
