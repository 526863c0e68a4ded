"""Reading data values for analytics, reports and dashboards: periods matched to what is
stored, legacy communes re-aggregated to the 2025 communes, approval per value."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from nongso.core.uow import UnitOfWork
from nongso.stats import formulas, periods
from nongso.stats.models import Allocation, DataValue, Report
from nongso.stats.services._common import Meta
from nongso.units import services as units
from nongso.units.schemas import LineagePair

CALENDAR_TYPES = ("day", "week", "month", "quarter", "year")
FINER = {"month": ("day",), "quarter": ("day", "month"), "year": ("day", "month", "quarter")}


def final_statuses(steps: int) -> tuple[str, ...]:
    """Report statuses that make a commune's values final (approved and, with two steps,
    accepted by the province)."""
    return ("accepted",) if steps >= 2 else ("approved", "accepted")


# --- allocation of legacy communes -------------------------------------------------------------


def default_allocations(uow: UnitOfWork, province_code: str) -> list[dict[str, Any]]:
    """The province's legacy -> 2025 commune weights made from the units' lineage.

    A whole old commune goes with weight 1 to its successor; an old commune split between
    several new ones is shared in proportion to the new communes' official areas (equal
    shares when an area is unknown) — the documented default, which a province officer can
    replace with better shares (e.g. the rice area of each part)."""
    pairs = units.lineage_of_province(uow, province_code)
    by_old: dict[str, list[LineagePair]] = defaultdict(list)
    for pair in pairs:
        by_old[pair.old_code].append(pair)
    rows = []
    for old, links in by_old.items():
        if len(links) == 1:
            rows.append(dict(province_code=province_code, old_code=old,
                             new_code=links[0].new_code, weight=1.0, divided=links[0].divided,
                             method="whole", note=None))
            continue
        areas = [link.new_area_km2 for link in links]
        known = all(a is not None and a > 0 for a in areas)
        total = sum(a or 0.0 for a in areas)
        weights = [(a or 0.0) / total if known and total else 1 / len(links) for a in areas]
        weights[-1] = 1.0 - sum(weights[:-1])  # exactly 1 together
        for link, w in zip(links, weights, strict=True):
            rows.append(dict(
                province_code=province_code, old_code=old, new_code=link.new_code, weight=w,
                divided=True, method="area_share" if known else "equal_share",
                note=("Chia theo tỷ lệ diện tích tự nhiên của các xã mới nhận phần của xã cũ."
                      if known else "Chia đều (thiếu diện tích của xã mới).")))
    return rows


def ensure_allocations(uow: UnitOfWork, s: Session, province_code: str) -> None:
    """Store the province's default weights once (``default_allocations``), in a use case that
    writes and commits: the places that change them or import legacy figures.

    Reads never call this: an insert in a read that is then rolled back was redone by every
    request, and on PostgreSQL each concurrent request waited on the unique index of
    ``stats_allocations`` for the previous one to roll back (``/stats`` one at a time)."""
    if s.scalar(select(func.count()).select_from(Allocation)
                .where(Allocation.province_code == province_code)):
        return
    rows = default_allocations(uow, province_code)
    for start in range(0, len(rows), 2000):
        s.execute(insert(Allocation), rows[start:start + 2000])
    s.flush()


def allocations(uow: UnitOfWork, s: Session, province_code: str
                ) -> dict[str, list[tuple[str, float, bool]]]:
    """Old commune -> [(new commune, weight, divided)]: the stored weights, or the defaults
    computed without writing when none are stored yet (a read writes nothing)."""
    out: dict[str, list[tuple[str, float, bool]]] = defaultdict(list)
    for a in s.scalars(select(Allocation).where(Allocation.province_code == province_code)
                       .order_by(Allocation.old_code, Allocation.new_code)):
        out[a.old_code].append((a.new_code, a.weight, a.divided))
    if not out:
        for row in sorted(default_allocations(uow, province_code),
                          key=lambda r: (r["old_code"], r["new_code"])):
            out[row["old_code"]].append((row["new_code"], row["weight"], row["divided"]))
    return out


# --- the cube -------------------------------------------------------------------------------


@dataclass
class Cell:
    value: float = 0.0
    allocated: bool = False
    approved: bool = True
    sources: set[str] = field(default_factory=set)


@dataclass
class Cube:
    """Values by (element, requested period, 2025 commune) -> {coc: cell}."""

    data: dict[tuple[str, str, str], dict[str, Cell]] = field(default_factory=dict)

    def add(self, element: str, period: str, commune: str, coc: str, value: float,
            allocated: bool, approved: bool, source: str) -> None:
        cells = self.data.setdefault((element, period, commune), {})
        cell = cells.get(coc)
        if cell is None:
            cells[coc] = Cell(value, allocated, approved, {source})
        else:
            cell.value += value
            cell.allocated |= allocated
            cell.approved &= approved
            cell.sources.add(source)

    def total(self, ref: formulas.Ref, period_ids: Iterable[str], communes: Iterable[str]
              ) -> tuple[float | None, bool, bool]:
        """Sum over periods, communes and (for ``coc=""``) disaggregations; also whether
        any part was allocated and whether every part is approved."""
        total: float | None = None
        allocated, approved = False, True
        plist = list(period_ids)
        for commune in communes:
            for pe in plist:
                cells = self.data.get((ref.element, pe, commune))
                if not cells:
                    continue
                chosen = cells.values() if not ref.coc else (
                    [cells[ref.coc]] if ref.coc in cells else [])
                for c in chosen:
                    total = c.value if total is None else total + c.value
                    allocated |= c.allocated
                    approved &= c.approved
        return total, allocated, approved

    def cocs(self, element: str) -> list[str]:
        out: set[str] = set()
        for (e, _p, _c), cells in self.data.items():
            if e == element:
                out.update(cells)
        return sorted(out)


def _period_filter(requested: list[periods.Period], element_types: set[str]) -> list[object]:
    ids = [p.id for p in requested]
    conds: list[object] = [DataValue.period.in_(ids)]
    years = sorted({p.year for p in requested if p.type == "year"})
    if years and "season" in element_types:
        conds.append(and_(DataValue.period_type == "season", DataValue.year.in_(years)))
    for p in requested:
        finer = [t for t in FINER.get(p.type, ()) if t in element_types]
        if finer:
            conds.append(and_(DataValue.period_type.in_(finer), DataValue.start_date >= p.start,
                              DataValue.end_date <= p.end))
    return conds


def load_cube(uow: UnitOfWork, s: Session, m: Meta, province_code: str, elements: set[str],
              requested: list[periods.Period], *, communes: set[str] | None = None,
              approved_only: bool = False, cocs: dict[str, set[str]] | None = None) -> Cube:
    """The values of these elements for these periods, on the 2025 communes of the
    province (legacy communes re-aggregated with their weights). ``cocs`` limits an element
    to some disaggregations."""
    cube = Cube()
    elements = {e for e in elements if e in m.elements}
    if not elements or not requested:
        return cube
    types = {m.elements[e].period_type for e in elements}
    exact: dict[str, list[str]] = {p.id: [p.id] for p in requested}
    by_year: dict[int, list[str]] = defaultdict(list)
    for p in requested:
        if p.type == "year":
            by_year[p.year].append(p.id)
    ranged = [p for p in requested if set(FINER.get(p.type, ())) & types]
    columns = [DataValue.data_element, DataValue.coc, DataValue.period, DataValue.period_type,
               DataValue.year, DataValue.org_unit, DataValue.generation, DataValue.value,
               DataValue.source]
    if ranged:
        columns += [DataValue.start_date, DataValue.end_date]
    where = [DataValue.province_code == province_code,
             DataValue.data_element.in_(sorted(elements)),
             or_(*_period_filter(requested, types))]  # type: ignore[arg-type]
    limited = {e: sorted(c) for e, c in (cocs or {}).items() if e in elements and c}
    if limited and set(limited) == elements:
        where.append(or_(*[and_(DataValue.data_element == e, DataValue.coc.in_(c))
                           for e, c in limited.items()]))
    rows: list[Any] = list(s.execute(select(*columns).where(*where)).all())
    if not rows:
        return cube
    alloc: dict[str, list[tuple[str, float, bool]]] = {}
    if any(r[6] == "legacy" for r in rows):
        alloc = allocations(uow, s, province_code)
    datasets = {e: m.elements[e].dataset for e in elements}
    final = set()
    stored_periods = sorted({r[2] for r in rows})
    for dataset, period, org_unit, status in s.execute(
            select(Report.dataset, Report.period, Report.org_unit, Report.status)
            .where(Report.province_code == province_code, Report.level == "commune",
                   Report.period.in_(stored_periods))):
        steps = m.datasets[dataset].approval_steps if dataset in m.datasets else 2
        if status in final_statuses(steps):
            final.add((dataset, period, org_unit))
    for row in rows:
        element, coc, row_period, ptype, year, unit_code, generation, value, source = row[:9]
        approved = (datasets[element], row_period, unit_code) in final
        if approved_only and not approved:
            continue
        targets = list(exact.get(row_period, ()))
        if ptype == "season" and by_year:
            targets += by_year.get(year, [])
        if ranged and ptype in CALENDAR_TYPES:
            start, end = row[9], row[10]
            targets += [p.id for p in ranged if ptype in FINER[p.type]
                        and p.start <= start <= end <= p.end]
        if not targets:
            continue
        if generation == "legacy":
            if m.elements[element].aggregation == "none":
                continue  # a reported yield is not re-aggregated (the yield indicator is)
            shares = alloc.get(unit_code) or []
            parts = [(new, value * w, divided) for new, w, divided in shares]
        else:
            parts = [(unit_code, value, False)]
        for commune_code, part, allocated in parts:
            if communes is not None and commune_code not in communes:
                continue
            for pe in targets:
                cube.add(element, pe, commune_code, coc, part, allocated, approved, source)
    return cube
