"""Demo statistics: five years of seasonal figures for the demo province (deterministic).

- The recent seasons are counted from the demo diaries by the statistics' own refresher (only
  the communes whose co-operatives keep a diary have them: the others are "incomplete").
- The earlier seasons are "historic reports" imported as the communes sent them: before
  1 July 2025 by the legacy communes (re-aggregated to the 2025 communes by the analytics),
  from Hè Thu 2025 by the 2025 communes. Their level follows each commune's diary-era area
  and the old Đồng Tháp province's yields (Đông Xuân 7.07, Hè Thu 5.65, Thu Đông 5.42 t/ha).
- Approval: history accepted, the latest seasons part approved, part accepted, one returned
  with a comment, the rest pending. Livestock for the last quarters, typed by communes.
- A few slips to find: a yield typed ×10, an area with its decimal comma read as a
  thousands separator, a harvested area larger than the sown one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections import defaultdict
from typing import Any

from sqlalchemy import insert, select

from nongso.core import audit
from nongso.core.db import utcnow
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.stats import periods
from nongso.stats import services as stats
from nongso.stats.models import DataValue, Import, Report
from nongso.units import services as units

YIELD = {"dong_xuan": 7.07, "he_thu": 5.65, "thu_dong": 5.42}
AREA_SHARE = {"dong_xuan": 1.0, "he_thu": 0.95, "thu_dong": 0.62}
FIRST_YEAR_BACK = 5


def _history_seasons(today: dt.date, covered: set[str]) -> list[periods.Period]:
    out = []
    for year in range(today.year - FIRST_YEAR_BACK, today.year + 1):
        for kind in periods.RICE_SEASONS:
            p = periods.season(kind, year)
            if p.end < today and p.id not in covered:
                out.append(p)
    return sorted(out, key=lambda p: p.start)


def _row(p: periods.Period, element: str, org_unit: str, generation: str, value: float,
         import_id: int, now: dt.datetime, source: str = "import") -> dict[str, Any]:
    return dict(data_element=element, period=p.id, period_type=p.type, year=p.year,
                start_date=p.start, end_date=p.end, province_code="82", org_unit=org_unit,
                generation=generation, coc="rice", value=round(value, 3), source=source,
                source_ref=f"/api/v1/stats/imports/{import_id}", source_count=1,
                import_id=import_id, created_at=now, updated_at=now)


def load(uow: UnitOfWork, province_code: str, today: dt.date, seed: int = 2026
         ) -> dict[str, int]:
    """Write the demo statistics inside the caller's unit of work (admin)."""
    s = uow.session
    rng = random.Random(seed * 7 + 17)
    stats.install_reference_data(uow)
    stats.rebuild(uow)  # the recent seasons, counted from the demo diaries
    now = utcnow()
    diary_area: dict[str, dict[str, float]] = defaultdict(dict)
    for v in s.scalars(select(DataValue).where(
            DataValue.province_code == province_code, DataValue.source == "diary",
            DataValue.data_element == "sown_area", DataValue.coc == "rice")):
        diary_area[v.org_unit][v.period] = v.value
    covered = {p for by in diary_area.values() for p in by}
    rice = {t.commune_code: t.area_ha for t in registry.commune_unit_totals(uow, province_code)
            if t.crop == "rice" and t.kind == "plot"}
    communes = [c.code for c in units.communes_of_province(uow, province_code)]
    base: dict[str, float] = {}
    for code in communes:
        dx = [a for k, a in diary_area.get(code, {}).items() if k.startswith("dong_xuan")]
        if dx:
            base[code] = max(dx)
        elif rice.get(code):
            base[code] = rice[code] * 0.5
    # The legacy communes' share of their successors' areas (whole ones share equally).
    lineage = units.lineage_of_province(uow, province_code)
    predecessors: dict[str, list[str]] = defaultdict(list)
    for pair in lineage:
        predecessors[pair.new_code].append(pair.old_code)
    legacy_base: dict[str, float] = defaultdict(float)
    for pair in lineage:
        if pair.new_code in base:
            legacy_base[pair.old_code] += base[pair.new_code] / len(predecessors[pair.new_code])
    seasons = _history_seasons(today, covered)
    record = Import(filename="bao-cao-giay-2021-2025-mo-phong.xlsx",
                    sha256=hashlib.sha256(f"demo-stats-{seed}".encode()).hexdigest(),
                    encoding="xlsx", rows=0, values=0, created_by=None, created_at=now,
                    summary={"demo": True})
    s.add(record)
    s.flush()
    rows: list[dict[str, Any]] = []
    for p in seasons:
        assert p.kind is not None
        legacy = p.end < periods.REFORM_DATE
        pool = legacy_base if legacy else base
        trend = 1 + 0.012 * (p.year - today.year + FIRST_YEAR_BACK)
        for code, area0 in sorted(pool.items()):
            if area0 <= 0:
                continue
            sown = area0 * AREA_SHARE[p.kind] * math.exp(rng.gauss(0, 0.05))
            harvested = sown * rng.uniform(0.97, 1.0)
            yield_t = max(3.0, rng.gauss(YIELD[p.kind] * trend, 0.3))
            gen = "legacy" if legacy else "2025"
            rows += [_row(p, "sown_area", code, gen, sown, record.id, now),
                     _row(p, "harvested_area", code, gen, harvested, record.id, now),
                     _row(p, "output", code, gen, harvested * yield_t, record.id, now),
                     _row(p, "yield_reported", code, gen, yield_t, record.id, now)]
    slips = _slips(rows, rng)
    for start in range(0, len(rows), 5000):
        s.execute(insert(DataValue), rows[start:start + 5000])
    record.rows = record.values = len(rows)
    # The history of the legacy communes goes to the 2025 ones by stored default weights,
    # as an import of legacy figures stores them (the analytics then read them).
    stats.store_default_allocations(uow, province_code)
    reports = _reports(s, rows, diary_area, province_code, rng, now)
    livestock = _livestock(uow, province_code, today, rng, now)
    audit.record(s, "demo", "stats", province_code, {"values": len(rows), "slips": slips,
                                                     "reports": reports})
    return {"values": len(rows) + livestock, "reports": reports, "slips": slips}


def _slips(rows: list[dict[str, Any]], rng: random.Random) -> int:
    """Typing slips to be found by the outlier checks (deterministic)."""
    yields = [r for r in rows if r["data_element"] == "yield_reported"
              and r["generation"] == "2025"] or [r for r in rows
                                                 if r["data_element"] == "yield_reported"]
    areas = [r for r in rows if r["data_element"] == "sown_area" and r["generation"] == "2025"]
    n = 0
    if yields:
        r = rng.choice(yields)
        r["value"] = round(r["value"] * 10, 3)  # 70.5 typed for 7.05
        n += 1
    if areas:
        r = rng.choice(areas)
        r["value"] = round(r["value"] * 1000, 3)  # "812,4" read as 812400
        n += 1
        harvested = next(x for x in rows if x["data_element"] == "harvested_area"
                         and x["org_unit"] == areas[0]["org_unit"]
                         and x["period"] == areas[0]["period"])
        sown = next(x for x in rows if x["data_element"] == "sown_area"
                    and x["org_unit"] == areas[0]["org_unit"]
                    and x["period"] == areas[0]["period"])
        harvested["value"] = round(sown["value"] * 1.15, 3)  # harvested more than sown
        n += 1
    return n


def _reports(s: Any, rows: list[dict[str, Any]], diary_area: dict[str, dict[str, float]],
             province: str, rng: random.Random, now: dt.datetime) -> int:
    units_by_period: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        units_by_period[r["period"]].add(r["org_unit"])
    periods_sorted = sorted(units_by_period, key=lambda pid: periods.parse(pid).start)
    out: list[dict[str, Any]] = []
    for pid in periods_sorted[:-1]:  # history: accepted on paper, the province approved
        for code in sorted(units_by_period[pid]):
            out.append(dict(dataset="crop_season", period=pid, org_unit=code, level="commune",
                            province_code=province, status="accepted", completed_at=now,
                            on_time=True, approved_at=now, accepted_at=now,
                            comment="Báo cáo giấy (mô phỏng)", updated_at=now))
        out.append(dict(dataset="crop_season", period=pid, org_unit=province, level="province",
                        province_code=province, status="approved", completed_at=now,
                        on_time=True, approved_at=now, updated_at=now))
    recent: dict[str, set[str]] = defaultdict(set)
    for code, by in diary_area.items():
        for pid in by:
            recent[pid].add(code)
    latest = periods_sorted[-1:]
    for pid in latest:
        recent[pid] |= units_by_period[pid]
    for pid in sorted(recent, key=lambda x: periods.parse(x).start)[:-1]:
        p = periods.parse(pid)
        due = p.end + dt.timedelta(days=15)
        for code in sorted(recent[pid]):
            roll = rng.random()
            status = "accepted" if roll < 0.3 else "approved" if roll < 0.6 else \
                "returned" if roll < 0.65 else None
            if status is None:
                continue  # pending
            late = rng.random() < 0.2
            done = dt.datetime.combine(due + dt.timedelta(days=5 if late else -3), dt.time(9),
                                       dt.UTC)
            out.append(dict(dataset="crop_season", period=pid, org_unit=code, level="commune",
                            province_code=province, status=status, completed_at=done,
                            on_time=not late, approved_at=done,
                            accepted_at=done if status == "accepted" else None,
                            comment="Diện tích thu hoạch chưa khớp số liệu thống kê xã; đề "
                                    "nghị rà soát." if status == "returned" else None,
                            updated_at=now))
    for start in range(0, len(out), 5000):
        s.execute(insert(Report), out[start:start + 5000])
    return len(out)


def _livestock(uow: UnitOfWork, province: str, today: dt.date, rng: random.Random,
               now: dt.datetime) -> int:
    farms = {t.commune_code for t in registry.commune_unit_totals(uow, province)
             if t.kind == "livestock_farm"}
    quarter = periods.of_type(today, "quarter")
    quarters = []
    q = quarter
    for _ in range(4):
        q = periods.of_type(q.start - dt.timedelta(days=1), "quarter")
        quarters.append(q)
    rows = []
    for code in sorted(farms):
        pigs, cattle, poultry = rng.randint(800, 6000), rng.randint(50, 600), \
            rng.randint(5000, 60000)
        for q in quarters:
            for coc, n in (("pig", pigs), ("cattle", cattle), ("poultry", poultry)):
                rows.append(dict(data_element="livestock_heads", period=q.id,
                                 period_type=q.type, year=q.year, start_date=q.start,
                                 end_date=q.end, province_code=province, org_unit=code,
                                 generation="2025", coc=coc,
                                 value=float(round(n * rng.uniform(0.92, 1.08))),
                                 source="manual", created_at=now, updated_at=now))
    if rows:
        uow.session.execute(insert(DataValue), rows)
    return len(rows)
