"""A season's figures and flags (activities, sprays, harvest as weighed and at the statistics'
standard moisture, N-P2O5-K2O, violations,
safe-harvest date), recomputed from its activities by the pure ``diary.rules`` in the unit of
work of every write, so that pages and reports read them without recounting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.diary import moisture, rules
from nongso.diary.models import Activity, ActivityInput, Flag, Input, Season
from nongso.diary.quantities import BASE_UNIT, parse_unit


def _facts(s: Session, season_ids: Sequence[int]) -> dict[int, list[rules.ActivityFact]]:
    acts = s.execute(select(Activity.id, Activity.season_id, Activity.kind, Activity.status,
                            Activity.at, Activity.quantity_base, Activity.pest,
                            Activity.density_per_m2)
                     .where(Activity.season_id.in_(season_ids))).all()
    uses: dict[int, list[rules.InputFact]] = defaultdict(list)
    rows = s.execute(
        select(ActivityInput.activity_id, Input.id, Input.name, Input.kind,
               Input.active_ingredients, Input.phi_days, Input.label_dose_max_per_ha,
               Input.label_dose_unit, ActivityInput.base_unit, ActivityInput.dose_per_ha)
        .join(Input, Input.id == ActivityInput.input_id)
        .join(Activity, Activity.id == ActivityInput.activity_id)
        .where(Activity.season_id.in_(season_ids))
    ).all()
    for aid, iid, name, kind, ais, phi, label_max, label_unit, base_unit, dose in rows:
        label_base = None
        if label_max is not None and label_unit:
            unit = parse_unit(label_unit)
            if rules_base_unit(unit.dimension) == base_unit:
                label_base = label_max * unit.factor
        uses[aid].append(rules.InputFact(
            input_id=iid, name=name, kind=kind,
            ingredients=tuple(str(a.get("name", "")) for a in ais or []),
            phi_days=phi if kind == "pesticide" else None, label_max_per_ha_base=label_base,
            base_unit=base_unit, dose_per_ha_base=dose,
        ))
    out: dict[int, list[rules.ActivityFact]] = defaultdict(list)
    for aid, sid, kind, status, at, kg, pest, density in acts:
        if sid is None:
            continue
        out[sid].append(rules.ActivityFact(aid, kind, status, at, tuple(uses.get(aid, ())),
                                           float(kg) if kg is not None else None, pest,
                                           float(density) if density is not None else None))
    return out


def rules_base_unit(dimension: str) -> str:
    """The base unit of a dimension (kg, L, ha, m3, count), in which doses are compared."""
    return BASE_UNIT[dimension]


def _refresh_seasons(s: Session, season_ids: Iterable[int]) -> None:
    """Recompute the flags and the figures of these seasons from their activities."""
    ids = sorted(set(season_ids))
    for start in range(0, len(ids), 400):
        _refresh_chunk(s, ids[start:start + 400])


def _refresh_chunk(s: Session, ids: list[int]) -> None:
    s.flush()
    facts = _facts(s, ids)
    weights: dict[int, list[tuple[float | None, float | None]]] = defaultdict(list)
    for sid, kg, wet in s.execute(
            select(Activity.season_id, Activity.quantity_base, Activity.moisture_pct)
            .where(Activity.season_id.in_(ids), Activity.kind == "harvest",
                   Activity.status != "planned")).all():
        if sid is not None:
            weights[sid].append((kg, wet))
    nutrients = {sid: (n or 0.0, p or 0.0, k or 0.0) for sid, n, p, k in s.execute(
        select(Activity.season_id,
               func.sum(ActivityInput.quantity_base * func.coalesce(Input.n_pct, 0) / 100),
               func.sum(ActivityInput.quantity_base * func.coalesce(Input.p2o5_pct, 0) / 100),
               func.sum(ActivityInput.quantity_base * func.coalesce(Input.k2o_pct, 0) / 100))
        .join(ActivityInput, ActivityInput.activity_id == Activity.id)
        .join(Input, Input.id == ActivityInput.input_id)
        .where(Activity.season_id.in_(ids), Activity.status != "planned",
               Input.kind == "fertiliser", ActivityInput.base_unit == "kg")
        .group_by(Activity.season_id)).all()}
    s.execute(delete(Flag).where(Flag.season_id.in_(ids)))
    flag_rows: list[dict[str, Any]] = []
    now = clock.now()
    for season in s.scalars(select(Season).where(Season.id.in_(ids))).all():
        acts = facts.get(season.id, [])
        done = [a for a in acts if a.status != "planned"]
        flags = rules.evaluate(acts, rules.SeasonFact(season.crop, season.sowing_date,
                                                      season.area_ha))
        flag_rows += [dict(season_id=season.id, activity_id=f.activity_id, rule_id=f.rule_id,
                           severity=f.severity, message_vi=f.message_vi,
                           message_en=f.message_en, source=f.source, details=f.details,
                           created_at=now) for f in flags]
        harvests = [rules.local_date(a.at) for a in done if a.kind == "harvest"]
        n, p2o5, k2o = nutrients.get(season.id, (0.0, 0.0, 0.0))
        season.activities_count = len(done)
        season.sprays_count = sum(1 for a in done if a.kind == "spraying")
        season.fertilising_count = sum(1 for a in done if a.kind == "fertilising")
        weighed = weights.get(season.id, [])
        season.harvest_kg = float(sum(kg or 0.0 for kg, _ in weighed))
        season.harvest_dry_kg = float(moisture.standard_total(season.crop, weighed))
        season.first_harvest_date = min(harvests) if harvests else None
        season.n_kg, season.p2o5_kg, season.k2o_kg = float(n), float(p2o5), float(k2o)
        season.flags_count = sum(1 for f in flags if f.severity == "violation")
        season.safe_harvest_date = rules.earliest_safe_harvest(done)
        season.last_activity_at = max((a.at for a in done), default=None)
    if flag_rows:
        s.execute(insert(Flag), flag_rows)
