"""Data of the statistics benchmarks: fresh SQLite and PostgreSQL databases, and diary rows
written fast (raw ``executemany`` on SQLite, ``COPY`` on PostgreSQL) — the benchmark measures
the statistics, not the diary's own write path."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from _common import fresh_platform
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nongso.core.platform import Platform
from nongso.diary.models import Plot, Season
from nongso.stats import periods
from nongso.units import services as units

PG_ADMIN = os.environ.get("NONGSO_TEST_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
VN = dt.timezone(dt.timedelta(hours=7))
KINDS = ("land_prep", "sowing", "spraying", "fertilising", "fertilising", "scouting",
         "fertilising", "spraying", "irrigation", "spraying", "irrigation", "spraying",
         "harvest", "drying", "sale", "irrigation")  # 16 activities a season
MEAN_YIELD = {"dong_xuan": 7.07, "he_thu": 5.65, "thu_dong": 5.42}


@contextmanager
def database(kind: str) -> Iterator[Platform]:
    """A migrated database with the reference units: SQLite in a temporary folder, or a
    fresh PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield fresh_platform()
        return
    admin = make_url(PG_ADMIN)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    name = f"nongso_bench_{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    try:
        platform = fresh_platform(admin.set(database=name).render_as_string(
            hide_password=False))
        yield platform
        platform.engine.dispose()
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def seasons_back(today: dt.date, n: int) -> list[periods.Period]:
    """The last ``n`` rice seasons begun by today, oldest first."""
    return periods.relative(f"LAST_{n}_SEASONS", today)


@dataclass
class Built:
    activity_rows: int
    seasons: int
    plots: int
    season_keys: list[str]
    seconds: float


def build_diary(platform: Platform, target_activities: int, today: dt.date,
                seed: int = 2026, n_seasons: int = 15) -> Built:
    """Plots in every commune of province 82, one season of each of the last ``n_seasons``
    rice seasons on each, 16 activities a season (one harvest with its moisture)."""
    start = time.perf_counter()
    rng = random.Random(seed)
    communes = [c.code for c in units.communes_of_province(platform.uow(), "82")]
    keys = seasons_back(today, n_seasons)
    n_plots = max(len(communes), target_activities // (len(KINDS) * len(keys)))
    now = dt.datetime.now(dt.UTC)
    plots, seasons, acts = [], [], []
    totals = [0, 0, 0]

    def flush() -> None:
        _write(platform, plots, seasons, acts)
        totals[0] += len(acts)
        totals[1] += len(seasons)
        totals[2] += len(plots)
        plots.clear()
        seasons.clear()
        acts.clear()

    sid = aid = 0
    commune_level = {c: rng.uniform(0.85, 1.15) for c in communes}
    for pid in range(1, n_plots + 1):
        commune = communes[pid % len(communes)]
        area = round(rng.uniform(0.5, 3.0), 2)
        plots.append(dict(id=pid, production_unit_id=None, farmer_id=None,
                          organisation_id=None, commune_code=commune, province_code="82",
                          code=f"B-{pid}", name=f"Thửa {pid}", crop="rice", area_ha=area,
                          planting_area_code=None, certifications=[], created_at=now))
        for p in keys:
            assert p.kind is not None and p.year_start is not None
            sid += 1
            sowing = p.start + dt.timedelta(days=rng.randint(5, 40))
            harvest_day = sowing + dt.timedelta(days=rng.randint(88, 98))
            done = harvest_day <= today
            moisture = round(rng.uniform(20, 27), 1)
            kg = round(max(3.0, rng.gauss(MEAN_YIELD[p.kind] * commune_level[commune], 0.4))
                       * 1000 * area * (100 - 14) / (100 - moisture), 1) if done else 0.0
            year_end = int(p.id.rsplit("-", 1)[1]) if "-" in p.id else p.year_start
            seasons.append(dict(
                id=sid, plot_id=pid, farmer_id=None, organisation_id=None,
                commune_code=commune, province_code="82", season_kind=p.kind,
                year_start=p.year_start, year_end=year_end, season_key=p.id, crop="rice",
                variety="OM5451", sowing_date=sowing, expected_harvest_date=harvest_day,
                area_ha=area, template_code=None, status="closed" if done else "open",
                certified_at=None, certified_by_user_id=None, activities_count=16,
                sprays_count=4, fertilising_count=3, harvest_kg=kg,
                first_harvest_date=harvest_day if done else None, n_kg=area * 110,
                p2o5_kg=area * 40, k2o_kg=area * 30, flags_count=0, safe_harvest_date=None,
                last_activity_at=now, created_at=now))
            for i, kind in enumerate(KINDS):
                aid += 1
                day = sowing + dt.timedelta(days=int(i * 6.2))
                harvest = kind == "harvest"
                acts.append((aid, str(uuid.UUID(int=(0xB5 << 120) | aid)), sid, pid, commune,
                             kind, "done" if (harvest and done) or not harvest else "planned",
                             dt.datetime.combine(harvest_day if harvest else day, dt.time(8),
                                                 VN).astimezone(dt.UTC),
                             kg if harvest else None, "kg" if harvest else None,
                             moisture if harvest else None, now))
        if len(acts) >= 300_000:
            flush()
    flush()
    _analyze(platform)
    return Built(totals[0], totals[1], totals[2], [p.id for p in keys],
                 time.perf_counter() - start)


ACT_COLUMNS = ("id", "client_uuid", "version", "season_id", "plot_id", "commune_code",
               "province_code", "kind", "status", "at", "quantity", "unit", "quantity_base",
               "base_unit", "moisture_pct", "created_at", "updated_at")


def _act_row(a: tuple[Any, ...]) -> tuple[Any, ...]:
    aid, uid, sid, pid, commune, kind, status, at, kg, unit, moisture, now = a
    return (aid, uid, 1, sid, pid, commune, "82", kind, status, at, kg, unit, kg, unit,
            moisture, now, now)


def _write(platform: Platform, plots: list[dict[str, Any]], seasons: list[dict[str, Any]],
           acts: list[tuple[Any, ...]]) -> None:
    with platform.engine.begin() as conn:
        conn.execute(Plot.__table__.insert(), plots)
        for i in range(0, len(seasons), 20000):
            conn.execute(Season.__table__.insert(), seasons[i:i + 20000])
        raw = conn.connection.driver_connection
        cols = ", ".join(ACT_COLUMNS)
        if platform.dialect == "sqlite":
            marks = ", ".join("?" for _ in ACT_COLUMNS)
            cur = raw.cursor()  # type: ignore[union-attr]
            sql = f"INSERT INTO diary_activities ({cols}) VALUES ({marks})"
            for i in range(0, len(acts), 100_000):
                cur.executemany(sql, [_iso(_act_row(a)) for a in acts[i:i + 100_000]])
        else:
            with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                    f"COPY diary_activities ({cols}) FROM STDIN") as copy:
                for a in acts:
                    copy.write_row(_act_row(a))


def _analyze(platform: Platform) -> None:
    with platform.engine.begin() as conn:
        if platform.dialect == "postgresql":
            for table in ("diary_plots", "diary_seasons", "diary_activities"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {table}))"))
        conn.execute(text("ANALYZE"))


def _iso(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite stores the UTC date-times as the ORM does (ISO text without the zone)."""
    return tuple(v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                 if isinstance(v, dt.datetime) else v for v in row)
