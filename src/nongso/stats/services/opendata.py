"""What the statistics publish as open data (called by the open-data catalogue): approved
figures by 2025 commune × season × data element, and the province's targets. Aggregates
only; no personal data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.stats import periods
from nongso.stats.models import DataValue, Report
from nongso.stats.schemas import ApprovedValue, TargetPublic
from nongso.stats.services import _store
from nongso.stats.services._common import commune_names, meta
from nongso.stats.services.targets import province_targets


def approved_values(uow: UnitOfWork, province_code: str | None = None,
                    since_year: int | None = None, lang: str = "vi") -> list[ApprovedValue]:
    """Every final (approved, and accepted where the dataset has two steps) seasonal figure
    of the province's communes, history re-aggregated to the 2025 communes (``allocated``
    marks a share of a split legacy commune). Sorted by season, commune, element."""
    province = province_code or get_settings().province_code
    with uow:
        s = uow.session
        m = meta(s)
        cal = m.calendar(province)
        stmt = select(DataValue.period).distinct().where(
            DataValue.province_code == province, DataValue.period_type == "season")
        if since_year is not None:
            stmt = stmt.where(DataValue.year >= since_year)
        season_list = []
        for pid in s.scalars(stmt):
            try:
                season_list.append(periods.parse(pid, cal))
            except periods.PeriodError:
                continue
        season_list.sort(key=lambda p: p.start)
        elements = {e.code for e in m.elements.values()
                    if e.period_type == "season" and e.aggregation == "sum"}
        cube = _store.load_cube(uow, s, m, province, elements, season_list, approved_only=True)
        communes = commune_names(uow, province)
        approved_at: dict[tuple[str, str], dt.datetime | None] = {}
        for period, org_unit, at in s.execute(
                select(Report.period, Report.org_unit, Report.approved_at)
                .where(Report.province_code == province, Report.dataset == "crop_season")):
            approved_at[(period, org_unit)] = at
        labels = {p.id: p.label(lang) for p in season_list}
        order = {p.id: i for i, p in enumerate(season_list)}
        out = []
        for (element, pe, commune), cells in sorted(
                cube.data.items(), key=lambda kv: (order[kv[0][1]], kv[0][2], kv[0][0])):
            if commune not in communes:
                continue
            e = m.elements[element]
            for coc, cell in sorted(cells.items()):
                at = approved_at.get((pe, commune))
                out.append(ApprovedValue(
                    commune_code=commune, commune_name=communes[commune].name, period=pe,
                    period_label=labels[pe], data_element=element,
                    data_element_name=e.name(lang), coc=coc, value=round(cell.value, 6),
                    unit=e.unit, allocated=cell.allocated,
                    approved_at=at))
        return out


def targets_for_open_data(uow: UnitOfWork, province_code: str | None = None,
                          lang: str = "vi") -> list[TargetPublic]:
    """The province's targets with their values now (public aggregates)."""
    return province_targets(uow, province_code, lang)
