"""Automatic data values: kept up to date from the diary, the registry, the alerts and the
traceability records, with no nightly job.

- A harvest saved in a diary publishes ``HarvestRecorded``; the statistics' handler (run in
  the diary's own transaction) only queues the commune × season it touches. The refresher
  (a thread of the serving process, every couple of seconds) drains the queue, asks the
  diary for that commune × season's figures and writes the values: seconds from the save to
  the analytics.
- New seasons (sowing) have no event: the refresher asks the diary for the commune × season
  pairs that have a season newer than the last one it saw (a watermark on the seasons' ids).
- Corrections and deletions (``HarvestCorrected``, ``ActivityDeleted``) queue a recount of
  the recent seasons; ``nongso stats rebuild`` recounts everything (repair).
- The registry (planting-area codes), the alerts (areas under salinity and flood alerts)
  and the traceability (lots, OCOP products) are counted as they are now, every few minutes
  and when a harvest may have made a lot; past years keep the figure they ended with.

A value the commune has approved is never written over: the recount is kept beside it
(``pending_value``) and shown as "changed after approval". A value imported or typed by an
officer for the same key is the official one and stays.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Table, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from nongso.alerts import services as alerts
from nongso.core import audit, clock
from nongso.core.db import utcnow
from nongso.core.pagination import PageRequest
from nongso.core.permissions import require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.diary import services as diary
from nongso.diary.schemas import SeasonFigure
from nongso.registry import services as registry
from nongso.stats import periods
from nongso.stats.models import DataValue, RefreshQueue, Report, State
from nongso.stats.schemas import RefreshReport
from nongso.stats.services._common import Meta, meta
from nongso.trace import services as trace
from nongso.units import services as units

log = logging.getLogger("nongso.stats")

# Rice is reported as dry paddy at 14 % moisture; a harvest weighed without a moisture
# reading is taken as fresh paddy at 25 % (fresh paddy holds 20–27 %).
STANDARD_MOISTURE = 14.0
DEFAULT_FRESH_MOISTURE = 25.0
SNAPSHOT_EVERY = dt.timedelta(minutes=5)
# A snapshot asked for by an event (a harvest may have made a lot) runs at most this often.
SNAPSHOT_QUEUED_EVERY = dt.timedelta(seconds=30)
RECENT = "recent"
# Report statuses that lock a commune's values (approved by the commune, or accepted).
LOCKING = ("approved", "accepted")


_TABLE: Table = DataValue.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class AutoValue:
    element: str
    period: periods.Period
    org_unit: str
    coc: str
    value: float
    source_ref: str | None
    source_count: int | None


# --- the queue (written by the event handlers) ---------------------------------------------


def enqueue(uow: UnitOfWork, source: str, key: str) -> None:
    """Queue a recount (inside the caller's unit of work; committed with it)."""
    uow.session.add(RefreshQueue(source=source, key=key[:100], enqueued_at=utcnow()))


def season_key_of(season_name: str | None) -> str | None:
    """The diary's season key from the season's name in an event ("Đông Xuân 2025-2026")."""
    if not season_name:
        return None
    try:
        return periods.parse_season_label(season_name).id
    except periods.PeriodError:
        return None


# --- state --------------------------------------------------------------------------------------


def _state(s: Session, key: str) -> str | None:
    row = s.get(State, key)
    return row.value if row is not None else None


def _set_state(s: Session, key: str, value: str) -> None:
    row = s.get(State, key)
    if row is None:
        s.add(State(key=key, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()


# --- writing automatic values ----------------------------------------------------------------


@dataclass
class _Counts:
    written: int = 0
    removed: int = 0
    pending: int = 0


def _write(s: Session, m: Meta, source: str, scope: set[tuple[str, str]],
           values: Iterable[AutoValue], counts: _Counts) -> None:
    """Make the source's values for the (org unit, period) pairs of ``scope`` equal to
    ``values``: insert, update, remove; approved values get a pending recount instead."""
    pairs = sorted(scope)
    if not pairs:
        return
    province = get_settings().province_code
    existing: dict[tuple[str, str, str, str], DataValue] = {}
    for i in range(0, len(pairs), 300):
        for row in s.scalars(select(DataValue).where(
                DataValue.generation == "2025",
                tuple_(DataValue.org_unit, DataValue.period).in_(pairs[i:i + 300]))):
            existing[(row.data_element, row.period, row.org_unit, row.coc)] = row
    locked: set[tuple[str, str, str]] = set()
    periods_in = sorted({p for _, p in pairs})
    for i in range(0, len(periods_in), 300):
        for dataset, period, org_unit, status in s.execute(
                select(Report.dataset, Report.period, Report.org_unit, Report.status)
                .where(Report.period.in_(periods_in[i:i + 300]), Report.level == "commune")):
            if (org_unit, period) in scope and status in LOCKING:
                locked.add((dataset, period, org_unit))
    now = utcnow()
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for v in values:
        key = (v.element, v.period.id, v.org_unit, v.coc)
        seen.add(key)
        value = round(v.value, 6)
        found = existing.get(key)
        is_locked = (m.elements[v.element].dataset, v.period.id, v.org_unit) in locked
        if found is None:
            if is_locked:
                counts.pending += 1  # a new figure after approval: shown, not added
                continue
            inserts.append(dict(
                data_element=v.element, period=v.period.id, period_type=v.period.type,
                year=v.period.year, start_date=v.period.start, end_date=v.period.end,
                province_code=province, org_unit=v.org_unit, generation="2025", coc=v.coc,
                value=value, source=source, source_ref=v.source_ref,
                source_count=v.source_count, created_at=now, updated_at=now))
            continue
        row = found
        if row.source != source:
            continue  # imported or typed by an officer: the official figure stays
        if is_locked:
            pending = None if abs(row.value - value) < 1e-9 else value
            if pending != row.pending_value:
                updates.append(dict(b_id=row.id, value=row.value, pending_value=pending,
                                    source_ref=row.source_ref, source_count=row.source_count,
                                    updated_at=row.updated_at))
                counts.pending += pending is not None
            continue
        if abs(row.value - value) > 1e-9 or row.source_count != v.source_count \
                or row.pending_value is not None:
            updates.append(dict(b_id=row.id, value=value, pending_value=None,
                                source_ref=v.source_ref, source_count=v.source_count,
                                updated_at=now))
    stale = []
    for key, row in existing.items():
        if row.source != source or key in seen:
            continue
        if (m.elements[row.data_element].dataset if row.data_element in m.elements else "",
                row.period, row.org_unit) in locked:
            if row.pending_value != 0.0:
                updates.append(dict(b_id=row.id, value=row.value, pending_value=0.0,
                                    source_ref=row.source_ref, source_count=row.source_count,
                                    updated_at=row.updated_at))
                counts.pending += 1
            continue
        stale.append(row.id)
    if inserts:
        for i in range(0, len(inserts), 2000):
            s.execute(insert(DataValue), inserts[i:i + 2000])
    if updates:
        s.connection().execute(
            update(_TABLE).where(_TABLE.c.id == bindparam("b_id"))
            .values(value=bindparam("value"), pending_value=bindparam("pending_value"),
                    source_ref=bindparam("source_ref"), source_count=bindparam("source_count"),
                    updated_at=bindparam("updated_at")), updates)
    if stale:
        for i in range(0, len(stale), 500):
            s.execute(delete(DataValue).where(DataValue.id.in_(stale[i:i + 500])))
    counts.written += len(inserts) + len(updates)
    counts.removed += len(stale)


# --- the diary ---------------------------------------------------------------------------------


def _crop(m: Meta, crop: str) -> str:
    return crop if crop in m.options.get("crop", {}) else "other"


def dry_tonnes(f: SeasonFigure) -> float:
    """A season's harvest as tonnes of dry paddy (rice) or as weighed (other crops)."""
    if f.crop != "rice":
        return f.harvest_kg / 1000
    measured = (100 * f.moisture_kg - f.kg_times_moisture) / (100 - STANDARD_MOISTURE)
    unmeasured = (f.harvest_kg - f.moisture_kg) * (100 - DEFAULT_FRESH_MOISTURE) \
        / (100 - STANDARD_MOISTURE)
    return (measured + unmeasured) / 1000


def _diary_values(m: Meta, rows: list[SeasonFigure], province: str
                  ) -> tuple[set[tuple[str, str]], list[AutoValue]]:
    cal = m.calendar(province)
    scope: set[tuple[str, str]] = set()
    out: list[AutoValue] = []
    households: dict[tuple[str, str], int] = defaultdict(int)
    by_key: dict[tuple[str, str, str], list[SeasonFigure]] = defaultdict(list)
    for f in rows:
        by_key[(f.commune_code, f.season_key, _crop(m, f.crop))].append(f)
    for (commune, key, crop), figs in sorted(by_key.items()):
        try:
            period = periods.parse(key, cal)
        except periods.PeriodError:
            log.warning("diary season key %r cannot be read; skipped", key)
            continue
        scope.add((commune, period.id))
        ref = f"/api/v1/diary/seasons?commune_code={commune}&season_key={key}"
        n = sum(f.seasons for f in figs)
        households[(commune, period.id)] += sum(f.farmers for f in figs)

        def add(element: str, coc: str, value: float, period: periods.Period = period,
                commune: str = commune, ref: str = ref, n: int = n) -> None:
            out.append(AutoValue(element, period, commune, coc, value, ref, n))

        add("sown_area", crop, sum(f.sown_ha for f in figs))
        add("harvested_area", crop, sum(f.harvested_ha for f in figs))
        if any(f.harvest_kg for f in figs):
            add("output", crop, sum(dry_tonnes(f) for f in figs))
        add("vietgap_area", crop, sum(f.vietgap_ha for f in figs))
        add("spray_applications", crop, float(sum(f.sprays for f in figs)))
        for nutrient, kg in (("n", sum(f.n_kg for f in figs)),
                             ("p2o5", sum(f.p2o5_kg for f in figs)),
                             ("k2o", sum(f.k2o_kg for f in figs))):
            add("nutrient_use", f"{crop}.{nutrient}", kg / 1000)
    for (commune, pid), n_households in households.items():
        period = periods.parse(pid, cal)
        out.append(AutoValue("diary_households", period, commune, "", float(n_households),
                             f"/api/v1/diary/seasons?commune_code={commune}&season_key={pid}",
                             n_households))
    return scope, [v for v in out if v.element in m.elements]


def _recent_season_keys(m: Meta, province: str) -> list[str]:
    today = clock.today_vn()
    cal = m.calendar(province)
    keys = [p.id for p in periods.relative("LAST_4_SEASONS", today, cal)]
    keys += [f"nien_vu:{today.year}", f"nien_vu:{today.year - 1}"]
    return keys


def _refresh_diary(uow: UnitOfWork, s: Session, m: Meta, province: str,
                   keys: set[tuple[str, str]], recent: bool, counts: _Counts,
                   full: bool = False) -> int:
    touched = 0
    watermark_text = _state(s, "diary_season_watermark")
    watermark = int(watermark_text) if watermark_text is not None else 0
    if full:
        figures = diary.season_figures(uow, province_code=province)
        scope, values = _diary_values(m, figures.rows, province)
        old = {(o, p) for o, p in s.execute(
            select(DataValue.org_unit, DataValue.period).distinct()
            .where(DataValue.province_code == province, DataValue.source == "diary")).all()}
        _write(s, m, "diary", scope | old, values, counts)
        _set_state(s, "diary_season_watermark", str(figures.max_season_id))
        return len(scope | old)
    new = diary.season_figures(uow, after_season_id=watermark)
    scope, values = _diary_values(m, [f for f in new.rows if f.province_code == province],
                                  province)
    if scope:
        _write(s, m, "diary", scope, values, counts)
        touched += len(scope)
    if new.max_season_id != watermark:
        _set_state(s, "diary_season_watermark", str(new.max_season_id))
    keys = {k for k in keys if (k[0], k[1]) not in scope}
    if recent:
        figs = diary.season_figures(uow, season_keys=_recent_season_keys(m, province),
                                    province_code=province)
        scope, values = _diary_values(m, figs.rows, province)
        old = {(o, p) for o, p in s.execute(
            select(DataValue.org_unit, DataValue.period).distinct()
            .where(DataValue.province_code == province, DataValue.source == "diary",
                   DataValue.period.in_(_recent_season_keys(m, province)))).all()}
        _write(s, m, "diary", scope | old, values, counts)
        touched += len(scope | old)
    if keys:
        figs = diary.season_figures(uow, keys=sorted(keys))
        scope, values = _diary_values(
            m, [f for f in figs.rows if f.province_code == province], province)
        # A key that has no season left (all deleted) is in ``keys`` but not in ``scope``:
        # its values go.
        _write(s, m, "diary", scope | {(c, k) for c, k in keys}, values, counts)
        touched += len(keys)
    return touched


# --- registry, alerts, traceability (snapshots) ----------------------------------------------


def _refresh_registry(uow: UnitOfWork, s: Session, m: Meta, province: str,
                      counts: _Counts) -> int:
    year = periods.parse(str(clock.today_vn().year))
    totals = registry.commune_unit_totals(uow, province)
    values: dict[tuple[str, str], float] = defaultdict(float)
    n: dict[tuple[str, str], int] = defaultdict(int)
    for t in totals:
        if t.kind == "planting_area":
            key = (t.commune_code, _crop(m, t.crop or "other"))
            values[key] += t.area_ha
            n[key] += t.units
    scope = {(c, year.id) for c, _ in values} | _existing_scope(s, province, "registry", year)
    _write(s, m, "registry", scope, [
        AutoValue("planting_code_area", year, c, crop, v,
                  f"/api/v1/registry/production-units?kind=planting_area&commune_code={c}",
                  n[(c, crop)]) for (c, crop), v in values.items()], counts)
    return len(scope)


def _existing_scope(s: Session, province: str, source: str, period: periods.Period
                    ) -> set[tuple[str, str]]:
    return {(o, p) for o, p in s.execute(
        select(DataValue.org_unit, DataValue.period).distinct()
        .where(DataValue.province_code == province, DataValue.source == source,
               DataValue.period == period.id)).all()}


def _refresh_alerts(uow: UnitOfWork, s: Session, m: Meta, province: str,
                    counts: _Counts) -> int:
    today = clock.today_vn()
    since = today - dt.timedelta(days=400)
    cal = m.calendar(province)
    fields: dict[tuple[str, str, str], dict[int, float]] = defaultdict(dict)
    touched: set[periods.Period] = set()
    for element, prefix in (("salinity_alert_area", "salinity"), ("flood_alert_area", "flood")):
        offset = 0
        while True:
            page = alerts.list_alerts(uow, PageRequest(500, offset), rule=prefix)
            for a in page.items:
                day = (a.raised_at + dt.timedelta(hours=7)).date()
                if day < since or a.lon is None or a.lat is None:
                    continue
                radius_m = (a.radius_km or 5.0) * 1000
                near = registry.production_units_near(uow, a.lon, a.lat, radius_m)
                for season_p in periods.seasons_containing(day, periods.RICE_SEASONS, cal):
                    touched.add(season_p)
                    for f in near:
                        if f.area_ha:
                            fields[(element, f.commune_code, season_p.id)][f.id] = f.area_ha
            offset += 500
            if offset >= page.total:
                break
    by_id = {p.id: p for p in touched}
    scope: set[tuple[str, str]] = set()
    for p in touched:
        scope |= _existing_scope(s, province, "alerts", p)
    values = []
    for (element, commune, pid), areas in fields.items():
        scope.add((commune, pid))
        values.append(AutoValue(element, by_id[pid], commune, "", sum(areas.values()),
                                f"/api/v1/alerts?rule={element.split('_')[0]}", len(areas)))
    communes = {c.code for c in units.communes_of_province(uow, province)}
    scope = {k for k in scope if k[0] in communes}
    _write(s, m, "alerts", scope, [v for v in values if v.org_unit in communes], counts)
    return len(scope)


def organisation_communes(uow: UnitOfWork, province: str, kinds: tuple[str, ...] | None = None
                          ) -> dict[int, tuple[str, str]]:
    """Organisation id -> (commune, kind) for the province (public registry facts)."""
    out: dict[int, tuple[str, str]] = {}
    for kind in kinds or (None,):
        offset = 0
        while True:
            page = registry.list_organisations(uow, PageRequest(500, offset), kind=kind,
                                               province_code=province)
            for o in page.items:
                out[o.id] = (o.commune_code, o.kind)
            offset += 500
            if offset >= page.total:
                break
    return out


def _refresh_trace(uow: UnitOfWork, s: Session, m: Meta, province: str,
                   counts: _Counts) -> int:
    today = clock.today_vn()
    year = periods.parse(str(today.year))
    orgs = organisation_communes(uow, province)
    lots: dict[tuple[str, int], int] = defaultdict(int)
    for row in trace.lots_by_organisation(uow):
        if row.organisation_id in orgs and row.year >= today.year - 1:
            lots[(orgs[row.organisation_id][0], row.year)] += row.lots
    values = [AutoValue("traced_lots", periods.parse(str(y)), c, "", float(n),
                        "/api/v1/trace/lots", n) for (c, y), n in lots.items()]
    ocop: dict[tuple[str, str], int] = defaultdict(int)
    offset = 0
    while True:
        page = trace.list_ocop_products(uow, PageRequest(500, offset))
        for p in page.items:
            if p.province_code == province and p.valid_until >= today \
                    and p.status == "active" and str(p.stars) in ("3", "4", "5"):
                ocop[(p.commune_code, str(p.stars))] += 1
        offset += 500
        if offset >= page.total:
            break
    values += [AutoValue("ocop_products", year, c, stars, float(n), "/trace/ocop", n)
               for (c, stars), n in ocop.items()]
    last = periods.parse(str(today.year - 1))
    scope = {(v.org_unit, v.period.id) for v in values} \
        | _existing_scope(s, province, "trace", year) | _existing_scope(s, province, "trace",
                                                                        last)
    # Last year's OCOP count stays as it ended; only its lots may still change.
    kept = [v for v in values if not (v.element == "ocop_products" and v.period.id == last.id)]
    _write(s, m, "trace", scope, kept, counts)
    return len(scope)


# --- the use cases ------------------------------------------------------------------------------


def refresh(uow: UnitOfWork, *, force_snapshots: bool = False) -> RefreshReport:
    """Drain the queue, find new seasons, and count the snapshots that are due (the
    background refresher's one step; admin or the system)."""
    require_role(uow.principal, "admin")
    province = get_settings().province_code
    counts = _Counts()
    sources: list[str] = []
    with uow:
        s = uow.session
        m = meta(s)
        queued = s.execute(select(RefreshQueue.id, RefreshQueue.source, RefreshQueue.key)
                           .order_by(RefreshQueue.id).limit(20000)).all()
        keys: set[tuple[str, str]] = set()
        recent = False
        snapshot_sources: set[str] = set()
        for _id, source, key in queued:
            if source == "diary":
                if key == RECENT:
                    recent = True
                elif "|" in key:
                    commune, season_key = key.split("|", 1)
                    keys.add((commune, season_key))
            else:
                snapshot_sources.add(source)
        touched = _refresh_diary(uow, s, m, province, keys, recent, counts)
        sources.append("diary")
        now = utcnow()
        for source, run in (("registry", _refresh_registry), ("alerts", _refresh_alerts),
                            ("trace", _refresh_trace)):
            last = _state(s, f"snapshot_at:{source}")
            age = now - dt.datetime.fromisoformat(last) if last is not None else None
            due = age is None or age >= SNAPSHOT_EVERY or (
                source in snapshot_sources and age >= SNAPSHOT_QUEUED_EVERY)
            if force_snapshots or due:
                touched += run(uow, s, m, province, counts)
                _set_state(s, f"snapshot_at:{source}", now.isoformat())
                sources.append(source)
        if queued:
            # What was counted leaves the queue; a snapshot not yet due waits for its turn.
            done = ["diary", *sources]
            s.execute(delete(RefreshQueue).where(RefreshQueue.id <= queued[-1][0],
                                                 RefreshQueue.source.in_(done)))
        uow.commit()
    return RefreshReport(keys=touched, values_written=counts.written,
                         values_removed=counts.removed,
                         pending_after_approval=counts.pending, sources=sources)


def rebuild(uow: UnitOfWork) -> RefreshReport:
    """Recount every automatic value of the province from its sources (repair)."""
    require_role(uow.principal, "admin")
    province = get_settings().province_code
    counts = _Counts()
    with uow:
        s = uow.session
        m = meta(s)
        touched = _refresh_diary(uow, s, m, province, set(), False, counts, full=True)
        for run in (_refresh_registry, _refresh_alerts, _refresh_trace):
            touched += run(uow, s, m, province, counts)
        now = utcnow().isoformat()
        for source in ("registry", "alerts", "trace"):
            _set_state(s, f"snapshot_at:{source}", now)
        s.execute(delete(RefreshQueue))
        audit.record(s, "rebuild", "stats_data_values", province,
                     {"written": counts.written, "removed": counts.removed})
        uow.commit()
    return RefreshReport(keys=touched, values_written=counts.written,
                         values_removed=counts.removed,
                         pending_after_approval=counts.pending,
                         sources=["diary", "registry", "alerts", "trace"])
