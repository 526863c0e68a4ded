"""Phenology of every field with a time series: rice or not, seasons, written per field."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select

from nongso.core import clock
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.remote import phenology, reconcile
from nongso.remote.models import DetectedSeason, FieldPhenology, FieldStat
from nongso.remote.schemas import PhenologyReport
from nongso.remote.services._common import province_of, require_run
from nongso.units import services as units

MIN_VALID_SHARE = 0.5
BATCH = 5000


def _series(rows: Sequence[Any]) -> dict[int, dict[str, tuple[list[float], list[float]]]]:
    out: dict[int, dict[str, tuple[list[float], list[float]]]] = defaultdict(
        lambda: {"vh": ([], []), "ndvi": ([], [])})
    for field_id, band, day, median, share in rows:
        if band not in ("vh", "ndvi"):
            continue
        days, values = out[field_id][band]
        days.append(float(day.toordinal()))
        values.append(median if median is not None and share >= MIN_VALID_SHARE
                      else float("nan"))
    return out


def detect_all(rows: Sequence[Any]) -> dict[int, phenology.Phenology]:
    """Phenology of every field in rows of (field_id, band, date, median, valid_share)."""
    out = {}
    for fid, bands in _series(rows).items():
        vd, vv = bands["vh"]
        nd, nv = bands["ndvi"]
        out[fid] = phenology.detect(phenology.FieldSeries(
            fid, np.array(vd), np.array(vv, dtype=float), np.array(nd),
            np.array(nv, dtype=float)))
    return out


def compute_phenology(uow: UnitOfWork, province_code: str | None = None) -> PhenologyReport:
    """Detect the seasons of every field of the province that has statistics, replacing the
    previous results (one transaction; the series are read one commune at a time)."""
    province = province_of(uow.principal, province_code)
    require_run(uow.principal, province)
    n_fields = n_rice = n_seasons = 0
    with uow:
        s = uow.session
        now = clock.now()
        for commune in [c.code for c in units.communes_of_province(uow, province)]:
            rows = s.execute(
                select(FieldStat.field_id, FieldStat.band, FieldStat.acquired_on,
                       FieldStat.median, FieldStat.valid_share)
                .where(FieldStat.commune_code == commune, FieldStat.band.in_(("vh", "ndvi")))
                .order_by(FieldStat.field_id, FieldStat.band, FieldStat.acquired_on)).all()
            if not rows:
                continue
            field_rows, season_rows = _results(uow, province, rows, now)
            ids = [r["field_id"] for r in field_rows]
            for i in range(0, len(ids), BATCH):
                part = ids[i:i + BATCH]
                s.execute(delete(DetectedSeason).where(DetectedSeason.field_id.in_(part)))
                s.execute(delete(FieldPhenology).where(FieldPhenology.field_id.in_(part)))
            for i in range(0, len(field_rows), BATCH):
                s.execute(insert(FieldPhenology), field_rows[i:i + BATCH])
            for i in range(0, len(season_rows), BATCH):
                s.execute(insert(DetectedSeason), season_rows[i:i + BATCH])
            n_fields += len(field_rows)
            n_rice += sum(1 for r in field_rows if r["is_rice"])
            n_seasons += len(season_rows)
        uow.commit()
    return PhenologyReport(fields=n_fields, rice_fields=n_rice, seasons=n_seasons)


def _results(uow: UnitOfWork, province: str, rows: Sequence[Any], now: Any
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``remote_fields`` and ``remote_seasons`` for these series."""
    spans: dict[int, list[Any]] = defaultdict(list)
    for fid, band, day, _m, _v in rows:
        spans[fid].append((band, day))
    found = detect_all(rows)
    refs = {r.id: r for r in registry.production_units_by_id(uow, list(found))}
    field_rows, season_rows = [], []
    for fid in found:
        if fid not in refs:
            continue
        ph, ref = found[fid], refs[fid]
        days = [d for _, d in spans[fid]]
        field_rows.append(dict(
            field_id=fid, commune_code=ref.commune_code, province_code=province,
            area_ha=float(ref.area_ha or 0.0), declared_crop=ref.crop, is_rice=ph.is_rice,
            n_seasons=ph.n_seasons, note=ph.note, first_date=min(days), last_date=max(days),
            radar_dates=sum(b == "vh" for b, _ in spans[fid]),
            optical_dates=sum(b == "ndvi" for b, _ in spans[fid]), computed_at=now))
        for k, season in enumerate(ph.seasons):
            season_rows.append(dict(
                field_id=fid, idx=k, season_key=reconcile.season_key_of(season.sowing),
                commune_code=ref.commune_code, sowing=season.sowing, heading=season.heading,
                harvest=season.harvest))
    return field_rows, season_rows
