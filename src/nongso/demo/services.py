"""Build the synthetic demo province (deterministic for a seed and a scale)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select

from nongso.accounts import services as accounts
from nongso.accounts.schemas import UserCreate
from nongso.core import audit, clock
from nongso.core import progress as demo_progress
from nongso.core.db import analyze, sync_sequences
from nongso.core.permissions import SYSTEM, require_role
from nongso.core.uow import UnitOfWork
from nongso.demo import diary as demo_diary
from nongso.demo import market as demo_market
from nongso.demo import monitor as demo_monitor
from nongso.demo import opendata as demo_opendata
from nongso.demo import registry as demo_registry
from nongso.demo import remote as demo_remote
from nongso.demo import stats as demo_stats
from nongso.demo import trace as demo_trace
from nongso.demo import vision as demo_vision
from nongso.registry import services as registry_services
from nongso.registry import versioning
from nongso.registry.models import Farmer, Infrastructure, Organisation, ProductionUnit, SoilUnit
from nongso.units import services as units


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str


@dataclass(frozen=True)
class DemoResult:
    built: bool
    organisations: int
    farmers: int
    fields: int
    accounts: list[DemoAccount]
    stations: int = 0
    observations: int = 0
    alerts: int = 0
    trace_links: list[str] = field(default_factory=list)
    remote: demo_remote.RemoteDemo | None = None
    opendata_version: int | None = None
    opendata_datasets: int = 0
    market: demo_market.MarketDemo | None = None


def _shift(rows: list[dict[str, object]], offset: int, *keys: str) -> None:
    for row in rows:
        for key in keys:
            value = row.get(key)
            if isinstance(value, int):
                row[key] = value + offset


def build_demo(
    uow: UnitOfWork, province_code: str, password: str, seed: int = 2026, scale: float = 1.0,
    scenario: str = "auto", progress: demo_progress.Echo | None = None,
) -> DemoResult:
    """Generate the province's demo registry and one account per role (skipped if present);
    ``scenario`` is what the simulated stations play (``demo.monitor.scenario_for``) and
    ``progress`` gets one line per finished step."""
    require_role(uow.principal, "admin")
    step = demo_progress.Progress(progress)
    with uow:
        s = uow.session
        units.load_reference_data(uow)
        step("Danh mục đơn vị hành chính / administrative units")
        already = s.scalar(
            select(func.count()).select_from(Organisation)
            .where(Organisation.province_code == province_code)
        )
        built = False
        trace_links: list[str] = []
        market_demo = None
        if not already:
            province = units.get_unit(uow, province_code)
            data = demo_registry.build(units.communes_of_province(uow, province_code), seed, scale,
                                       province_name=province.name)
            step(f"Sinh sổ đăng ký / registry generated: {len(data.organisations)} tổ chức, "
                 f"{len(data.farmers)} nông hộ, {len(data.units)} vùng sản xuất")
            org_off = s.scalar(select(func.max(Organisation.id))) or 0
            farmer_off = s.scalar(select(func.max(Farmer.id))) or 0
            unit_off = s.scalar(select(func.max(ProductionUnit.id))) or 0
            _shift(data.organisations, org_off, "id", "parent_id")
            _shift(data.farmers, farmer_off, "id")
            _shift(data.farmers, org_off, "organisation_id")
            _shift(data.units, unit_off, "id", "parent_id")
            _shift(data.units, org_off, "organisation_id")
            _shift(data.units, farmer_off, "farmer_id")
            infra_off = s.scalar(select(func.max(Infrastructure.id))) or 0
            soil_off = s.scalar(select(func.max(SoilUnit.id))) or 0
            _shift(data.infrastructure, infra_off, "id")
            _shift(data.infrastructure, org_off, "organisation_id")
            _shift(data.soil_units, soil_off, "id")
            # Co-operatives before their groups (self-referencing parent_id).
            s.execute(insert(Organisation), [o for o in data.organisations if not o["parent_id"]])
            s.execute(insert(Organisation), [o for o in data.organisations if o["parent_id"]])
            s.execute(insert(Farmer), data.farmers)
            for start in range(0, len(data.units), 5000):
                s.execute(insert(ProductionUnit), data.units[start:start + 5000])
            s.execute(insert(Infrastructure), data.infrastructure)
            s.execute(insert(SoilUnit), data.soil_units)
            sync_sequences(s.connection(), ["organisations", "farmers", "production_units",
                                            "infrastructure", "soil_units"])
            step(f"Ghi sổ đăng ký / registry written: {len(data.infrastructure)} công trình, "
                 f"{len(data.soil_units)} đơn vị đất")
            _demo_versions(s, data, unit_off)
            registry_services.synthesize_boundaries(uow, province_code)
            step("Lịch sử phiên bản, ranh giới xã / versions, commune boundaries")
            audit.record(s, "demo", "province", province_code,
                         {"seed": seed, "scale": scale, "organisations": len(data.organisations),
                          "farmers": len(data.farmers), "fields": len(data.units)})
            built = True
            # Farm diaries of the demo plots (seasons, activities, a few flagged violations).
            diaries = demo_diary.load(uow, province_code, clock.today_vn(), seed, share=0.4,
                                      years=1)
            step(f"Nhật ký / diaries: {diaries['plots']} thửa, {diaries['seasons']} vụ, "
                 f"{diaries['activities']} công việc, {diaries['flags']} vi phạm")
            # Lots, QR codes and journeys from the field to the shop; OCOP products.
            trace_demo = demo_trace.load(uow, province_code, clock.today_vn(), seed, scale)
            trace_links = trace_demo.links
            step(f"Truy xuất / traceability: {trace_demo.lots} lô, {trace_demo.journeys} hành "
                 f"trình, {trace_demo.events} sự kiện EPCIS")
            # Seven years of prices with anomalies, harvests and demand, listings, machines.
            market_demo = demo_market.load(uow, province_code, clock.today_vn(), clock.now(),
                                           seed)
            step(f"Thị trường / market: {market_demo.series} chuỗi giá")
            # Five years of statistics: recent seasons counted from the diaries, history
            # imported, some approved, some pending, a few slips to find.
            demo_stats.load(uow, province_code, clock.today_vn(), seed)
            step("Thống kê / statistics: 5 năm")
        demo_accounts = _demo_accounts(uow, province_code, password)
        step(f"Tài khoản mẫu / demo accounts: {len(demo_accounts)}")
        if built:
            # Photo diagnosis: synthetic photos with scouting records, staff labels, a model.
            demo_vision.load(uow, seed, scale)
            step("Chẩn đoán ảnh / photo diagnosis: ảnh mẫu, nhãn, mô hình")
        now = clock.now()
        monitoring = demo_monitor.build(uow, now, seed,
                                        demo_monitor.scenario_for(now, scenario))
        step(f"Quan trắc / monitoring: {monitoring.stations} trạm, {monitoring.observations} "
             f"quan trắc, {monitoring.alerts} cảnh báo")
        counts = [
            s.scalar(select(func.count()).select_from(m).where(m.province_code == province_code))
            or 0 for m in (Organisation, Farmer, ProductionUnit)
        ]
        if built:
            analyze(s)  # a bulk load: PostgreSQL's planner statistics of what was just stored
        uow.commit()
        step("Lưu / committed")
    # A season of synthetic rasters over the demo commune, reduced and reconciled with the
    # diaries (its own transactions, once the registry and the diaries are stored).
    remote_demo = demo_remote.load(uow, province_code, clock.today_vn(), seed) if built else None
    if remote_demo is not None:
        step(f"Viễn thám / remote sensing: {remote_demo.scenes} ảnh, {remote_demo.fields} thửa")
    # The open-data catalogue of what was just built (after the commit: it reads it back).
    opendata = demo_opendata.publish(uow)
    step(f"Dữ liệu mở / open data: {opendata.datasets} tập dữ liệu")
    step(f"Tổng / total {step.total_s:.1f} s")
    return DemoResult(built, counts[0], counts[1], counts[2], demo_accounts,
                      monitoring.stations, monitoring.observations, monitoring.alerts,
                      trace_links, remote=remote_demo, opendata_version=opendata.version,
                      opendata_datasets=opendata.datasets, market=market_demo)


def _demo_versions(s: Any, data: demo_registry.DemoRegistry, unit_off: int) -> None:
    """The history of the demo registry: everything as of 1 July 2025 (planting areas from
    their code's date), some planting areas redrawn on 1 March 2026."""
    start = demo_registry.REGISTRY_START
    earlier = {fid + unit_off: (before, when) for _, fid, before, when in data.history}

    def since(row: Mapping[str, Any]) -> dt.datetime:
        if row.get("kind") == "planting_area" and row.get("valid_from"):
            day = row["valid_from"]
            return min(start, dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
                       - dt.timedelta(hours=7))
        return start

    current = [u for u in data.units if u["id"] not in earlier]
    versioning.bulk_versions(s, "production_units", current, since)
    for unit_id, (before, when) in earlier.items():
        after = next(u for u in data.units if u["id"] == unit_id)
        before = {**before, "id": unit_id, "organisation_id": after["organisation_id"]}
        versioning.bulk_versions(s, "production_units", [before], since, valid_to=when)
        versioning.bulk_versions(s, "production_units", [after], when)
    versioning.bulk_versions(s, "organisations", data.organisations, since)
    versioning.bulk_versions(s, "infrastructure", data.infrastructure, since)
    versioning.bulk_versions(s, "soil_units", data.soil_units, since)


def _demo_accounts(uow: UnitOfWork, province_code: str, password: str) -> list[DemoAccount]:
    s = uow.session
    coop = s.scalar(
        select(Organisation).where(Organisation.province_code == province_code,
                                   Organisation.kind == "cooperative").order_by(Organisation.id)
    )
    buyer = s.scalar(
        select(Organisation).where(Organisation.province_code == province_code,
                                   Organisation.kind == "buyer").order_by(Organisation.id)
    )
    assert coop is not None and buyer is not None
    farmer = s.scalar(select(Farmer).where(Farmer.organisation_id == coop.id)
                      .order_by(Farmer.id))
    assert farmer is not None
    wanted = [
        UserCreate(username="admin", full_name="Quản trị hệ thống", password=password,
                   role="admin"),
        UserCreate(username="canbo.tinh", full_name="Cán bộ Sở Nông nghiệp (demo)",
                   password=password, role="province_officer", unit_code=province_code),
        UserCreate(username="canbo.xa", full_name="Cán bộ xã (demo)", password=password,
                   role="commune_officer", unit_code=coop.commune_code),
        UserCreate(username="quanly.htx", full_name="Quản lý HTX (demo)", password=password,
                   role="coop_manager", organisation_id=coop.id),
        UserCreate(username="nongdan", full_name=farmer.full_name, password=password,
                   role="farmer", farmer_id=farmer.id),
        UserCreate(username="thumua", full_name="Nhân viên thu mua (demo)", password=password,
                   role="buyer", organisation_id=buyer.id),
        UserCreate(username="thanhtra", full_name="Thanh tra (demo)", password=password,
                   role="inspector", unit_code=province_code),
    ]
    admin_uow = uow if uow.principal.is_admin else uow.as_principal(SYSTEM)
    out = []
    for data in wanted:
        user = accounts.ensure_user(admin_uow, data)
        out.append(DemoAccount(user.username, user.role, user.unit_code or "-"))
    return out


def build_diary_demo(uow: UnitOfWork, province_code: str, seed: int = 2026, share: float = 1.0,
                     years: int = 1, max_activities: int | None = None) -> dict[str, int]:
    """More demo diaries on the plots that have none yet (benchmarks: ``years`` of history)."""
    require_role(uow.principal, "admin")
    with uow:
        totals = demo_diary.load(uow, province_code, clock.today_vn(), seed, share=share,
                                 years=years, max_activities=max_activities)
        uow.commit()
        return totals
