"""Demo remote sensing: a season of synthetic COGs over one commune's fields, reduced, with
phenology and the reconciliation with the demo diaries.

The truth follows the diaries (what was sown when), except on purpose: about 6 % of the rice
fields were really sown two to three weeks away from the declared date, about 3 % stayed bare
although declared, so that the commune officer has differences to check. Fields without a
diary get a season of the calendar; orchards are orchards. Radar every 12 days, NDVI every 10
days (with clouds), 10 m pixels, about the last nine months; files under ``<var>/remote/demo``.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from nongso.core.permissions import SYSTEM
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Plot, Season
from nongso.registry import services as registry
from nongso.registry.models import Organisation
from nongso.remote import services as remote
from nongso.remote import simulate
from nongso.remote import synthetic as syn

PERIOD_DAYS = 270
PIXEL_M = 10.0


@dataclass(frozen=True)
class RemoteDemo:
    commune_code: str
    fields: int
    scenes: int
    rice_fields: int
    differences: int


def _commune(uow: UnitOfWork, province_code: str) -> str | None:
    """The commune of the first co-operative (the demo commune officer's)."""
    return uow.session.scalar(
        select(Organisation.commune_code).where(Organisation.province_code == province_code,
                                                Organisation.kind == "cooperative")
        .order_by(Organisation.id))


def truths_from_diary(uow: UnitOfWork, fields: list[tuple[int, str | None]], start: dt.date,
                      end: dt.date, seed: int) -> dict[int, syn.FieldTruth]:
    """What really happened on each field, from the diary with a few deliberate departures."""
    ids = [fid for fid, _ in fields]
    declared: dict[int, list[tuple[dt.date, dt.date]]] = {}
    rows = uow.session.execute(
        select(Plot.production_unit_id, Season.sowing_date, Season.expected_harvest_date)
        .join(Plot, Plot.id == Season.plot_id)
        .where(Plot.production_unit_id.in_(ids), Season.crop == "rice",
               Season.sowing_date.is_not(None))).all()
    for fid, sowing, harvest in rows:
        if fid is not None and sowing is not None:
            declared.setdefault(fid, []).append(
                (sowing, harvest or sowing + dt.timedelta(days=95)))
    rng = random.Random(seed * 31 + 7)
    calendar = syn.random_truth(ids, start - dt.timedelta(days=120), end, seed,
                                shares={"rice": 1.0})
    out: dict[int, syn.FieldTruth] = {}
    for fid, crop in fields:
        if crop != "rice":
            out[fid] = syn.FieldTruth(fid, "orchard" if crop else "bare")
            continue
        if fid not in declared:
            seasons = tuple(s for s in calendar[fid].seasons if s.harvest >= start)
            out[fid] = syn.FieldTruth(fid, "rice", seasons)
            continue
        if rng.random() < 0.03:
            out[fid] = syn.FieldTruth(fid, "bare")  # declared rice, left bare
            continue
        seasons_list = []
        for sowing, harvest in sorted(declared[fid]):
            if harvest < start - dt.timedelta(days=30):
                continue
            if rng.random() < 0.06:
                shift = dt.timedelta(days=rng.choice((-1, 1)) * rng.randint(14, 21))
                sowing, harvest = sowing + shift, harvest + shift
            seasons_list.append(syn.SeasonTruth(sowing, syn.heading_of(sowing, harvest),
                                                harvest))
        out[fid] = syn.FieldTruth(fid, "rice", tuple(seasons_list))
    return out


def load(uow: UnitOfWork, province_code: str, today: dt.date, seed: int) -> RemoteDemo | None:
    """Write the demo season, register it and run the reductions (as the system)."""
    with uow:
        commune = _commune(uow, province_code)
        if commune is None:
            return None
        shapes = registry.field_geometries(uow, province_code, commune_code=commune)
        shapes = [f for f in shapes if f.properties.get("kind") in ("plot", "orchard")]
        start = today - dt.timedelta(days=PERIOD_DAYS)
        fields = [(f.id, f.properties.get("crop")) for f in shapes]
        truths = truths_from_diary(uow, fields, start, today, seed)
    folder = (get_settings().var_dir / "remote" / f"demo-{province_code}").resolve()
    shutil.rmtree(folder, ignore_errors=True)
    sim = simulate.write_season(Path(folder), [(f.id, f.geometry or {}) for f in shapes],
                                truths, start, today, seed=seed, pixel=PIXEL_M)
    system = uow.as_principal(SYSTEM)
    remote.ingest(system, "local", str(folder), province_code=province_code)
    remote.reduce_new_scenes(system, province_code)
    ph = remote.compute_phenology(system, province_code)
    rec = remote.reconcile_province(system, province_code)
    return RemoteDemo(commune, len(shapes), len(sim.files), ph.rice_fields, rec.differences)
