"""Dashboards: the province overview (a map of communes, trends across seasons, open alerts,
completeness, targets), a commune's page, and each officer's arrangement of the items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from nongso.alerts import services as alerts
from nongso.alerts.schemas import AlertPublic
from nongso.core import clock
from nongso.core.db import utcnow
from nongso.core.pagination import PageRequest
from nongso.core.permissions import require_login
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.stats import periods
from nongso.stats.models import Dashboard, DataValue
from nongso.stats.schemas import (
    AnalyticsResult,
    ApprovalOverview,
    DashboardItem,
    DashboardLayout,
    TargetPublic,
)
from nongso.stats.services import approval
from nongso.stats.services import targets as targets_service
from nongso.stats.services._common import commune, meta
from nongso.stats.services.analytics import analytics as run_analytics

DEFAULT_LAYOUT = DashboardLayout(items=[
    DashboardItem(id="map"), DashboardItem(id="trend"), DashboardItem(id="completeness"),
    DashboardItem(id="alerts"), DashboardItem(id="targets"), DashboardItem(id="outliers")])
MAP_INDICATORS = ("rice_yield", "sown_area.rice", "output.rice", "rice_yield_change_pct",
                  "rice_harvest_progress_pct")


@dataclass
class Overview:
    province_code: str
    season: str | None
    season_label: str | None
    seasons: list[tuple[str, str]]
    indicator: str
    map: AnalyticsResult | None
    trend: AnalyticsResult | None
    completeness: ApprovalOverview | None
    alerts: list[AlertPublic]
    targets: list[TargetPublic]
    layout: DashboardLayout


def seasons_with_data(uow: UnitOfWork, province: str, lang: str = "vi"
                      ) -> list[tuple[str, str]]:
    """The seasons that have statistics, newest first (id, label)."""
    with uow:
        s = uow.session
        m = meta(s)
        ids = s.scalars(select(DataValue.period).distinct().where(
            DataValue.province_code == province, DataValue.period_type == "season")).all()
        cal = m.calendar(province)
        found = []
        for pid in ids:
            try:
                found.append(periods.parse(pid, cal))
            except periods.PeriodError:
                continue
        found.sort(key=lambda p: p.start, reverse=True)
        return [(p.id, p.label(lang)) for p in found if p.kind in periods.RICE_SEASONS]


def get_layout(uow: UnitOfWork) -> DashboardLayout:
    p = uow.principal
    if not p.is_authenticated or p.user_id is None:
        return DEFAULT_LAYOUT
    with uow:
        row = uow.session.scalar(select(Dashboard).where(Dashboard.user_id == p.user_id))
        if row is None:
            return DEFAULT_LAYOUT
        layout = DashboardLayout.model_validate({"items": row.items})
        missing = [i for i in DEFAULT_LAYOUT.items if i.id not in {x.id for x in layout.items}]
        return DashboardLayout(items=[*layout.items, *missing])


def save_layout(uow: UnitOfWork, layout: DashboardLayout) -> DashboardLayout:
    """An officer's order of the dashboard items and which are hidden."""
    require_login(uow.principal)
    ids = [i.id for i in layout.items]
    if len(set(ids)) != len(ids):
        from nongso.stats.services._common import invalid

        raise invalid("items", "Mỗi mục chỉ một lần.", "Each item only once.")
    with uow:
        s = uow.session
        row = s.scalar(select(Dashboard).where(Dashboard.user_id == uow.principal.user_id))
        items: list[dict[str, Any]] = [i.model_dump() for i in layout.items]
        if row is None:
            s.add(Dashboard(user_id=uow.principal.user_id, items=items, updated_at=utcnow()))
        else:
            row.items, row.updated_at = items, utcnow()
        uow.commit()
    return layout


def overview(uow: UnitOfWork, season: str | None = None, indicator: str = "rice_yield",
             lang: str = "vi") -> Overview:
    province = get_settings().province_code
    seasons = seasons_with_data(uow, province, lang)
    if indicator not in MAP_INDICATORS:
        indicator = "rice_yield"
    today = clock.today_vn()
    if season is None:
        started = [s for s in seasons if periods.parse(s[0]).start <= today]
        season = started[0][0] if started else (seasons[0][0] if seasons else None)
    label = dict(seasons).get(season) if season else None
    map_data = trend = None
    completeness = None
    if season is not None:
        map_data = run_analytics(uow, indicator, season, f"LEVEL-2;{province}",
                                               lang=lang)
        completeness = approval.overview(uow, "crop_season", season, province, lang) \
            if uow.principal.is_authenticated else None
    if seasons:
        trend = run_analytics(
            uow, "sown_area.rice;output.rice;rice_yield", "LAST_15_SEASONS", province,
            lang=lang)
    open_alerts = alerts.list_alerts(uow, PageRequest(8, 0), status="open").items
    return Overview(
        province_code=province, season=season, season_label=label, seasons=seasons,
        indicator=indicator, map=map_data, trend=trend, completeness=completeness,
        alerts=list(open_alerts), targets=targets_service.province_targets(uow, province, lang),
        layout=get_layout(uow))


@dataclass
class CommunePage:
    code: str
    name: str
    seasons: AnalyticsResult
    other: AnalyticsResult
    reports: list[tuple[str, str, str]]  # (season id, label, status)
    alerts: list[AlertPublic]


def commune_page(uow: UnitOfWork, code: str, lang: str = "vi") -> CommunePage:
    unit = commune(uow, code, "code")
    seasons = run_analytics(
        uow, "sown_area.rice;harvested_area.rice;output.rice;rice_yield;"
        "rice_yield_change_pct", "LAST_15_SEASONS", code, lang=lang)
    other = run_analytics(
        uow, "livestock_heads.*;aquaculture_area.*;planting_code_area;traced_lots",
        "LAST_3_YEARS;THIS_YEAR", code, lang=lang)
    reports: list[tuple[str, str, str]] = []
    if uow.principal.covers_unit(unit.code, unit.province_code):
        for pid in seasons.dimensions["pe"][-6:]:
            r = approval.overview(uow, "crop_season", pid, unit.province_code, lang)
            mine = next((x for x in r.communes if x.org_unit == unit.code), None)
            reports.append((pid, r.period_label, mine.status if mine else "open"))
    found = alerts.list_alerts(uow, PageRequest(10, 0), status="open",
                               commune_code=unit.code).items
    return CommunePage(code=unit.code, name=unit.name, seasons=seasons, other=other,
                       reports=reports, alerts=list(found))
