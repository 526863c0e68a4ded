"""The province's registry in figures (the home page): aggregates only, public."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from nongso.core.uow import UnitOfWork
from nongso.registry.models import Farmer, Organisation, ProductionUnit
from nongso.registry.schemas import CommuneUnitTotal, ProvinceSummary
from nongso.registry.services._common import today as _today
from nongso.units import services as units


def province_summary(uow: UnitOfWork, province_code: str) -> ProvinceSummary:
    """Counts for the province home page (aggregates only: public)."""
    with uow:
        s = uow.session
        communes = units.communes_of_province(uow, province_code)

        def count_by(model: Any, *where: Any) -> dict[str, int]:
            rows = s.execute(
                select(model.commune_code, func.count()).where(
                    model.province_code == province_code, *where
                ).group_by(model.commune_code)
            ).all()
            return {c: n for c, n in rows}

        coops = count_by(Organisation, Organisation.kind == "cooperative")
        groups = count_by(Organisation, Organisation.kind == "coop_group")
        farmers = count_by(Farmer)
        fields = dict(
            (c, (n, a or 0.0)) for c, n, a in s.execute(
                select(ProductionUnit.commune_code, func.count(), func.sum(ProductionUnit.area_ha))
                .where(ProductionUnit.province_code == province_code,
                       ProductionUnit.status != "deleted",
                       ProductionUnit.kind.in_(("plot", "orchard")))
                .group_by(ProductionUnit.commune_code)
            ).all()
        )
        by_commune = []
        for c in communes:
            n_fields, area = fields.get(c.code, (0, 0.0))
            if coops.get(c.code) or farmers.get(c.code) or n_fields:
                by_commune.append({
                    "code": c.code, "name": c.name, "cooperatives": coops.get(c.code, 0),
                    "farmers": farmers.get(c.code, 0), "fields": n_fields,
                    "area_ha": round(area, 1),
                })
        return ProvinceSummary(
            province_code=province_code, communes=len(communes),
            cooperatives=sum(coops.values()), coop_groups=sum(groups.values()),
            farmers=sum(farmers.values()), fields=sum(v[0] for v in fields.values()),
            area_ha=round(sum(v[1] for v in fields.values()), 1), by_commune=by_commune,
        )


def commune_unit_totals(uow: UnitOfWork, province_code: str) -> list[CommuneUnitTotal]:
    """The province's active production units (in force today) by commune, kind and crop:
    counts and area (aggregates only, public)."""
    today = _today()
    with uow:
        rows = uow.session.execute(
            select(ProductionUnit.commune_code, ProductionUnit.kind, ProductionUnit.crop,
                   func.count(), func.sum(ProductionUnit.area_ha))
            .where(ProductionUnit.province_code == province_code,
                   ProductionUnit.status == "active",
                   or_(ProductionUnit.valid_to.is_(None), ProductionUnit.valid_to >= today))
            .group_by(ProductionUnit.commune_code, ProductionUnit.kind, ProductionUnit.crop)
            .order_by(ProductionUnit.commune_code, ProductionUnit.kind, ProductionUnit.crop)
        ).all()
    return [CommuneUnitTotal(commune_code=c, kind=k, crop=crop, units=int(n),
                             area_ha=round(float(a or 0), 4)) for c, k, crop, n, a in rows]
