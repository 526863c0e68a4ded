"""Remote sensing against what was declared (pure): the differences a commune officer checks.

Per field, the declared side is the registry (its crop and mapped area) and the farm diary (its
seasons: sowing, harvest, sown area); the observed side is the phenology of the field's time
series. Differences:

- ``sowing_date`` / ``harvest_date``: a declared and a detected season match (sowing within
  ``MATCH_DAYS``) but their dates differ by more than ``DATE_TOLERANCE_DAYS`` (well above the
  method's error, about 2–4 days on the synthetic truth);
- ``declared_rice_bare``: a rice season is declared inside the observed period but the field
  shows no rice season then;
- ``rice_not_declared``: a rice season is seen on a field whose diary declares none then (or
  whose registry crop is not rice);
- ``sown_area``: the diary's sown area differs from the mapped field by more than
  ``AREA_TOLERANCE`` while the whole field is seen sown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

MATCH_DAYS = 30
DATE_TOLERANCE_DAYS = 10
AREA_TOLERANCE = 0.10
# A declared season is checked only if the series covers it: from 20 days before its sowing to
# 30 days after (enough to see the flood and the canopy).
COVER_BEFORE, COVER_AFTER = 20, 30


@dataclass(frozen=True)
class Declared:
    """A season declared in the diary for a field."""

    diary_season_id: int
    season_key: str
    crop: str
    sowing: dt.date | None
    harvest: dt.date | None
    area_ha: float


@dataclass(frozen=True)
class Observed:
    season_key: str
    sowing: dt.date
    harvest: dt.date | None


@dataclass(frozen=True)
class FieldFacts:
    field_id: int
    commune_code: str
    registry_crop: str | None
    mapped_ha: float
    first_date: dt.date
    last_date: dt.date
    declared: tuple[Declared, ...] = ()
    observed: tuple[Observed, ...] = ()


@dataclass(frozen=True)
class Difference:
    field_id: int
    commune_code: str
    season_key: str
    kind: str
    diary_season_id: int | None = None
    declared_date: dt.date | None = None
    observed_date: dt.date | None = None
    declared_ha: float | None = None
    observed_ha: float | None = None
    difference: float | None = None
    details: dict[str, str] = field(default_factory=dict)


def season_key_of(sowing: dt.date) -> str:
    """The season a rice crop sown on this day belongs to (Mekong Delta calendar)."""
    m, y = sowing.month, sowing.year
    if m >= 10 or m == 1:
        start = y if m >= 10 else y - 1
        return f"dong_xuan:{start}-{start + 1}"
    if m in (2, 3):
        return f"xuan_he:{y}"
    if m in (4, 5, 6):
        return f"he_thu:{y}"
    return f"thu_dong:{y}"


def _pairs(declared: Sequence[Declared], observed: Sequence[Observed]
           ) -> list[tuple[int, int]]:
    candidates = sorted(
        (abs((o.sowing - d.sowing).days), i, j)
        for i, d in enumerate(declared) for j, o in enumerate(observed)
        if d.sowing is not None and abs((o.sowing - d.sowing).days) <= MATCH_DAYS)
    used_i: set[int] = set()
    used_j: set[int] = set()
    out = []
    for _, i, j in candidates:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.append((i, j))
    return out


def _diff(f: FieldFacts, **values: Any) -> Difference:
    return Difference(field_id=f.field_id, commune_code=f.commune_code, **values)


def differences(f: FieldFacts) -> list[Difference]:
    """Every difference of one field (none when remote sensing agrees with the declarations)."""
    rice = [d for d in f.declared if d.crop == "rice"]
    pairs = _pairs(rice, f.observed)
    matched_d = {i for i, _ in pairs}
    matched_o = {j for _, j in pairs}
    out: list[Difference] = []
    for i, j in pairs:
        d, o = rice[i], f.observed[j]
        assert d.sowing is not None
        gap = (o.sowing - d.sowing).days
        if abs(gap) > DATE_TOLERANCE_DAYS:
            out.append(_diff(f, season_key=d.season_key, kind="sowing_date",
                                  diary_season_id=d.diary_season_id, declared_date=d.sowing,
                                  observed_date=o.sowing, difference=float(gap)))
        if d.harvest is not None and o.harvest is not None:
            gap = (o.harvest - d.harvest).days
            if abs(gap) > DATE_TOLERANCE_DAYS:
                out.append(_diff(f, season_key=d.season_key, kind="harvest_date",
                                      diary_season_id=d.diary_season_id,
                                      declared_date=d.harvest, observed_date=o.harvest,
                                      difference=float(gap)))
        if f.mapped_ha > 0 and abs(d.area_ha - f.mapped_ha) > AREA_TOLERANCE * f.mapped_ha:
            out.append(_diff(f, season_key=d.season_key, kind="sown_area",
                                  diary_season_id=d.diary_season_id, declared_ha=d.area_ha,
                                  observed_ha=round(f.mapped_ha, 4),
                                  difference=round(f.mapped_ha - d.area_ha, 4)))
    for i, d in enumerate(rice):
        if i in matched_d or d.sowing is None:
            continue
        covered = (f.first_date + dt.timedelta(days=COVER_BEFORE) <= d.sowing
                   <= f.last_date - dt.timedelta(days=COVER_AFTER))
        if covered:
            out.append(_diff(f, season_key=d.season_key, kind="declared_rice_bare",
                                  diary_season_id=d.diary_season_id, declared_date=d.sowing,
                                  declared_ha=d.area_ha, observed_ha=0.0,
                                  difference=-d.area_ha))
    period = (f.last_date - f.first_date).days
    if not rice and not f.observed and f.registry_crop == "rice" and period >= 120:
        # Mapped as a rice field, no season declared, none seen in four months or more.
        out.append(_diff(f, season_key=f"period:{f.first_date}/{f.last_date}",
                              kind="declared_rice_bare", declared_ha=round(f.mapped_ha, 4),
                              observed_ha=0.0, difference=-round(f.mapped_ha, 4),
                              details={"registry_crop": "rice"}))
    has_diary = bool(f.declared)
    for j, o in enumerate(f.observed):
        if j in matched_o:
            continue
        if has_diary or (f.registry_crop or "") != "rice":
            out.append(_diff(f, season_key=o.season_key, kind="rice_not_declared",
                                  observed_date=o.sowing, declared_ha=0.0,
                                  observed_ha=round(f.mapped_ha, 4),
                                  difference=round(f.mapped_ha, 4),
                                  details={"registry_crop": f.registry_crop or ""}))
    return out
