"""The diary's figures for the statistics domain (aggregates by commune × season × crop)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, func, select, tuple_

from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Activity, Plot, Season
from nongso.diary.schemas import SeasonFigure, SeasonFigures


def season_figures(uow: UnitOfWork, *, keys: Sequence[tuple[str, str]] | None = None,
                   season_keys: Sequence[str] | None = None, province_code: str | None = None,
                   after_season_id: int | None = None) -> SeasonFigures:
    """The diary's figures by commune × season × crop for the statistics (admin or the
    system): sown area, harvested area (seasons with a harvest), harvest weight and its
    measured moisture, nutrients applied, sprays, households, VietGAP-certified area.

    For the (commune, season key) pairs in ``keys``; or for ``season_keys`` (and a province);
    or for the pairs that have a season newer than ``after_season_id`` — how new seasons are
    found without an event. Reads the seasons' kept figures and, for the moisture, the
    harvest activities of those seasons (indexed by season)."""
    require_role(uow.principal, "admin")
    with uow:
        s = uow.session
        newest = int(s.scalar(select(func.max(Season.id))) or 0)
        if after_season_id is not None:
            keys = [(c, k) for c, k in s.execute(
                select(Season.commune_code, Season.season_key).distinct()
                .where(Season.id > after_season_id)).all()]
        filters: list[list[ColumnElement[bool]]] = []
        if keys is not None:
            pairs = sorted(set(keys))
            filters = [[tuple_(Season.commune_code, Season.season_key).in_(pairs[i:i + 200])]
                       for i in range(0, len(pairs), 200)]
        else:
            where: list[ColumnElement[bool]] = []
            if season_keys is not None:
                where.append(Season.season_key.in_(sorted(set(season_keys))))
            if province_code is not None:
                where.append(Season.province_code == province_code)
            filters = [where]
        group = (Season.commune_code, Season.season_key, Season.crop)
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        for where in filters:
            for row in s.execute(
                select(*group, Season.province_code, func.count(),
                       func.count(Season.farmer_id.distinct()), func.sum(Season.area_ha),
                       func.sum(case((Season.harvest_kg > 0, Season.area_ha), else_=0.0)),
                       func.sum(Season.harvest_kg), func.sum(Season.n_kg),
                       func.sum(Season.p2o5_kg), func.sum(Season.k2o_kg),
                       func.sum(Season.sprays_count))
                .where(*where).group_by(*group, Season.province_code)).all():
                out[(row[0], row[1], row[2])] = dict(
                    commune_code=row[0], season_key=row[1], crop=row[2], province_code=row[3],
                    seasons=int(row[4]), farmers=int(row[5]), sown_ha=float(row[6] or 0),
                    harvested_ha=float(row[7] or 0), harvest_kg=float(row[8] or 0),
                    n_kg=float(row[9] or 0), p2o5_kg=float(row[10] or 0),
                    k2o_kg=float(row[11] or 0), sprays=int(row[12] or 0), moisture_kg=0.0,
                    kg_times_moisture=0.0, vietgap_ha=0.0)
            for c, k, crop, kg, kgm in s.execute(
                select(*group, func.sum(Activity.quantity_base),
                       func.sum(Activity.quantity_base * Activity.moisture_pct))
                .join(Activity, Activity.season_id == Season.id)
                .where(*where, Activity.kind == "harvest", Activity.status != "planned",
                       Activity.moisture_pct.is_not(None)).group_by(*group)).all():
                if (c, k, crop) in out:
                    out[(c, k, crop)].update(moisture_kg=float(kg or 0),
                                             kg_times_moisture=float(kgm or 0))
            for c, k, crop, ha in s.execute(
                select(*group, func.sum(Season.area_ha))
                .join(Plot, Plot.id == Season.plot_id)
                .where(*where, cast(Plot.certifications, String).like("%VietGAP%"))
                .group_by(*group)).all():
                if (c, k, crop) in out:
                    out[(c, k, crop)]["vietgap_ha"] = float(ha or 0)
        return SeasonFigures(rows=[SeasonFigure(**v) for _, v in sorted(out.items())],
                             max_season_id=newest)
