"""What the pages and the API show: a field's curves, the rice area per commune."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from nongso.core.errors import not_found
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.remote.models import DetectedSeason, Discrepancy, FieldPhenology, FieldStat
from nongso.remote.schemas import (
    CommuneRice,
    FieldRemote,
    FieldSummary,
    SeasonPublic,
    SeriesPoint,
)
from nongso.remote.services._common import require_read
from nongso.units import services as units


def field_remote(uow: UnitOfWork, field_id: int) -> FieldRemote:
    """A field's VH and NDVI curves (median per date) and its detected seasons."""
    with uow:
        refs = registry.production_units_by_id(uow, [field_id])
        if not refs:
            raise not_found("thửa", "field", field_id)
        scope = registry.production_unit_scope(uow, field_id)
        require_read(uow.principal, scope.commune_code, scope.province_code)
        s = uow.session
        rows = s.execute(
            select(FieldStat.band, FieldStat.acquired_on, FieldStat.median,
                   FieldStat.valid_share)
            .where(FieldStat.field_id == field_id, FieldStat.band.in_(("vh", "ndvi")))
            .order_by(FieldStat.band, FieldStat.acquired_on)).all()
        series: dict[str, list[SeriesPoint]] = {"vh": [], "ndvi": []}
        for band, day, median, share in rows:
            series[band].append(SeriesPoint(
                date=day, value=round(median, 4) if median is not None else None,
                valid_share=share))
        ph = s.get(FieldPhenology, field_id)
        seasons = s.scalars(select(DetectedSeason).where(DetectedSeason.field_id == field_id)
                            .order_by(DetectedSeason.idx)).all()
        return FieldRemote(
            field_id=field_id, commune_code=refs[0].commune_code,
            is_rice=ph.is_rice if ph else None, n_seasons=ph.n_seasons if ph else 0,
            note=ph.note if ph else "", area_ha=refs[0].area_ha,
            seasons=[SeasonPublic(season_key=x.season_key, sowing=x.sowing,
                                  heading=x.heading, harvest=x.harvest) for x in seasons],
            vh=series["vh"], ndvi=series["ndvi"])


def commune_rice(uow: UnitOfWork, unit_code: str) -> list[CommuneRice]:
    """Rice fields and area seen per commune (and per season) of a province or a commune."""
    with uow:
        if len(unit_code) == 2:
            require_read(uow.principal, "", unit_code)
            names = {c.code: c.name for c in units.communes_of_province(uow, unit_code)}
            fwhere = FieldPhenology.province_code == unit_code
            dwhere = Discrepancy.province_code == unit_code
        else:
            unit = units.require_commune(uow, unit_code)
            require_read(uow.principal, unit_code, unit.province_code)
            names = {unit.code: unit.name}
            fwhere = FieldPhenology.commune_code == unit_code
            dwhere = Discrepancy.commune_code == unit_code
        s = uow.session
        totals = s.execute(
            select(FieldPhenology.commune_code, func.count(),
                   func.sum(func.cast(FieldPhenology.is_rice, type_=_int())),
                   func.sum(FieldPhenology.area_ha * func.cast(FieldPhenology.is_rice,
                                                               type_=_int())))
            .where(fwhere).group_by(FieldPhenology.commune_code)).all()
        by_season = s.execute(
            select(DetectedSeason.commune_code, DetectedSeason.season_key,
                   func.sum(FieldPhenology.area_ha))
            .join(FieldPhenology, FieldPhenology.field_id == DetectedSeason.field_id)
            .where(fwhere).group_by(DetectedSeason.commune_code, DetectedSeason.season_key)
        ).all()
        open_diffs = dict(s.execute(
            select(Discrepancy.commune_code, func.count()).where(
                dwhere, Discrepancy.status == "open").group_by(Discrepancy.commune_code)
        ).tuples().all())
    seasons: dict[str, dict[str, float]] = defaultdict(dict)
    for commune, key, ha in by_season:
        seasons[commune][key] = round(float(ha or 0.0), 3)
    return [CommuneRice(commune_code=c, commune_name=names.get(c, c), fields=int(n),
                        rice_fields=int(r or 0), rice_area_ha=round(float(a or 0.0), 3),
                        seasons=dict(sorted(seasons[c].items())),
                        open_differences=int(open_diffs.get(c, 0)))
            for c, n, r, a in sorted(totals)]


def commune_fields(uow: UnitOfWork, commune_code: str, limit: int = 500
                   ) -> list[FieldSummary]:
    """A commune's fields as remote sensing sees them (rice first, then by id)."""
    with uow:
        unit = units.require_commune(uow, commune_code)
        require_read(uow.principal, commune_code, unit.province_code)
        s = uow.session
        rows = s.scalars(select(FieldPhenology).where(FieldPhenology.commune_code == commune_code)
                         .order_by(FieldPhenology.is_rice.desc(), FieldPhenology.field_id)
                         .limit(limit)).all()
        sowings: dict[int, list[Any]] = defaultdict(list)
        for fid, sowing in s.execute(
                select(DetectedSeason.field_id, DetectedSeason.sowing)
                .where(DetectedSeason.commune_code == commune_code)
                .order_by(DetectedSeason.field_id, DetectedSeason.idx)):
            sowings[fid].append(sowing)
        return [FieldSummary(field_id=r.field_id, area_ha=r.area_ha,
                             declared_crop=r.declared_crop, is_rice=r.is_rice,
                             n_seasons=r.n_seasons, note=r.note, sowings=sowings[r.field_id])
                for r in rows]


def _int() -> type:
    from sqlalchemy import Integer

    return Integer
