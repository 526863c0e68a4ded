"""Reconciliation: remote sensing against the diaries and the registry, the officer's
decisions, and the checked values offered to the statistics."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from nongso.core import clock
from nongso.core.errors import not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import deny, require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import services as diary
from nongso.remote import reconcile
from nongso.remote.messages import KIND_LABELS, label
from nongso.remote.models import DetectedSeason, Discrepancy, FieldPhenology
from nongso.remote.schemas import (
    AcceptedValue,
    DecisionIn,
    DiscrepancyPublic,
    ReconcileReport,
)
from nongso.remote.services._common import province_of, require_read, require_run

DIARY_PAGE = 500


def _declared(uow: UnitOfWork, commune: str) -> dict[int, list[reconcile.Declared]]:
    out: dict[int, list[reconcile.Declared]] = defaultdict(list)
    offset = 0
    while True:
        page = diary.list_seasons(uow, PageRequest(DIARY_PAGE, offset), commune_code=commune)
        for x in page.items:
            if x.production_unit_id is None:
                continue
            out[x.production_unit_id].append(reconcile.Declared(
                diary_season_id=x.id, season_key=x.season_key, crop=x.crop,
                sowing=x.sowing_date, harvest=x.harvest_date, area_ha=x.area_ha))
        offset += DIARY_PAGE
        if offset >= page.total:
            return out


def reconcile_province(uow: UnitOfWork, province_code: str | None = None) -> ReconcileReport:
    """Compare every field's phenology with its declarations; new differences are opened,
    those that no longer arise and were not decided are closed, decisions already taken are
    kept (one transaction)."""
    province = province_of(uow.principal, province_code)
    require_run(uow.principal, province)
    with uow:
        s = uow.session
        fields = s.scalars(select(FieldPhenology).where(
            FieldPhenology.province_code == province)).all()
        seasons: dict[int, list[DetectedSeason]] = defaultdict(list)
        for seen in s.scalars(select(DetectedSeason).join(
                FieldPhenology, FieldPhenology.field_id == DetectedSeason.field_id).where(
                FieldPhenology.province_code == province)):
            seasons[seen.field_id].append(seen)
        declared: dict[int, list[reconcile.Declared]] = {}
        for commune in sorted({f.commune_code for f in fields}):
            declared.update(_declared(uow, commune))
        found: dict[tuple[int, str, str], reconcile.Difference] = {}
        for f in fields:
            if f.first_date is None or f.last_date is None:
                continue
            facts = reconcile.FieldFacts(
                field_id=f.field_id, commune_code=f.commune_code,
                registry_crop=f.declared_crop, mapped_ha=f.area_ha,
                first_date=f.first_date, last_date=f.last_date,
                declared=tuple(declared.get(f.field_id, ())),
                observed=tuple(reconcile.Observed(x.season_key, x.sowing, x.harvest)
                               for x in sorted(seasons[f.field_id], key=lambda x: x.idx)))
            for d in reconcile.differences(facts):
                found[(d.field_id, d.season_key, d.kind)] = d
        existing = {(r.field_id, r.season_key, r.kind): r for r in s.scalars(
            select(Discrepancy).where(Discrepancy.province_code == province))}
        new = kept = 0
        now = clock.now()
        for key, d in found.items():
            row = existing.get(key)
            values = dict(commune_code=d.commune_code, diary_season_id=d.diary_season_id,
                          declared_date=d.declared_date, observed_date=d.observed_date,
                          declared_ha=d.declared_ha, observed_ha=d.observed_ha,
                          difference=d.difference, details=dict(d.details))
            if row is None:
                s.add(Discrepancy(field_id=d.field_id, province_code=province,
                                  season_key=d.season_key, kind=d.kind, status="open",
                                  created_at=now, **values))
                new += 1
                continue
            kept += row.status != "open"
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            for k, v in changed.items():
                setattr(row, k, v)
            if changed:
                row.updated_at = now
        for key, old in existing.items():
            if key not in found and old.status == "open":
                s.delete(old)
        uow.commit()
        open_count = s.scalar(select(func.count()).select_from(Discrepancy).where(
            Discrepancy.province_code == province, Discrepancy.status == "open")) or 0
    return ReconcileReport(fields=len(fields), differences=len(found), new=new,
                           open=open_count, kept_decisions=kept)


def _public(row: Discrepancy, lang: str) -> DiscrepancyPublic:
    out = DiscrepancyPublic.model_validate(row)
    out.kind_label = label(KIND_LABELS, row.kind, lang)
    return out


def list_discrepancies(uow: UnitOfWork, commune_code: str, page: PageRequest,
                       status: str | None = None, lang: str = "vi"
                       ) -> Page[DiscrepancyPublic]:
    """A commune's differences (officers whose unit covers the commune)."""
    province = commune_code[:2] if len(commune_code) == 2 else None
    with uow:
        if province is None:
            ref = _commune_province(uow, commune_code)
            require_read(uow.principal, commune_code, ref)
            cond = Discrepancy.commune_code == commune_code
        else:
            require_read(uow.principal, "", province)
            cond = Discrepancy.province_code == province
        stmt = select(Discrepancy).where(cond)
        if status:
            stmt = stmt.where(Discrepancy.status == status)
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Discrepancy.status.desc(), Discrepancy.kind,
                                                 Discrepancy.field_id, Discrepancy.id)
                                   .limit(page.limit).offset(page.offset)).all()
        return Page(items=[_public(r, lang) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def _commune_province(uow: UnitOfWork, commune_code: str) -> str:
    from nongso.units import services as units

    return units.require_commune(uow, commune_code).province_code


def decide(uow: UnitOfWork, discrepancy_id: int, data: DecisionIn,
           lang: str = "vi") -> DiscrepancyPublic:
    """The commune officer (or a province officer) accepts the remote-sensing value, keeps the
    declared one (rejected), or reopens the difference."""
    require_role(uow.principal, "commune_officer", "province_officer")
    with uow:
        row = uow.session.get(Discrepancy, discrepancy_id)
        if row is None or not uow.principal.covers_unit(row.commune_code, row.province_code):
            if row is not None and uow.principal.is_authenticated:
                raise deny()
            raise not_found("chênh lệch", "difference", discrepancy_id)
        row.status = data.decision
        row.note = data.note
        row.decided_by = None if data.decision == "open" else uow.principal.label()
        row.decided_at = None if data.decision == "open" else clock.now()
        row.updated_at = clock.now()
        uow.commit()
        return _public(row, lang)


@dataclass(frozen=True)
class _Diff:
    field_id: int
    season_key: str
    commune_code: str
    kind: str
    status: str
    declared_ha: float | None


def accepted_values(uow: UnitOfWork, unit_code: str, season_key: str | None = None
                    ) -> list[AcceptedValue]:
    """Remote-sensing values for the statistics of a commune (5 digits) or a province
    (2 digits), per season: the rice area sown and the number of rice fields. A field counts
    when remote sensing agrees with the declarations or the officer accepted its value; a
    field with an open difference is left out and counted in ``pending``; a rejected
    "rice not declared" is left out, a rejected "declared but bare" counts the declared area.
    """
    require_login(uow.principal)
    with uow:
        s = uow.session
        where = ([FieldPhenology.province_code == unit_code] if len(unit_code) == 2
                 else [FieldPhenology.commune_code == unit_code])
        stmt = (select(DetectedSeason.field_id, DetectedSeason.season_key,
                       FieldPhenology.commune_code, FieldPhenology.area_ha)
                .join(FieldPhenology, FieldPhenology.field_id == DetectedSeason.field_id)
                .where(*where))
        if season_key:
            stmt = stmt.where(DetectedSeason.season_key == season_key)
        seen = s.execute(stmt).all()
        dwhere = ([Discrepancy.province_code == unit_code] if len(unit_code) == 2
                  else [Discrepancy.commune_code == unit_code])
        diffs = [_Diff(*r) for r in s.execute(
            select(Discrepancy.field_id, Discrepancy.season_key, Discrepancy.commune_code,
                   Discrepancy.kind, Discrepancy.status, Discrepancy.declared_ha)
            .where(*dwhere)).all()]
    by_field: dict[tuple[int, str], list[_Diff]] = defaultdict(list)
    for d in diffs:
        by_field[(d.field_id, d.season_key)].append(d)
    area: dict[tuple[str, str], float] = defaultdict(float)
    count: dict[tuple[str, str], int] = defaultdict(int)
    pending: dict[tuple[str, str], int] = defaultdict(int)
    for fid, skey, commune, ha in seen:
        ds = by_field.get((fid, skey), [])
        if any(d.status == "open" for d in ds):
            pending[(commune, skey)] += 1
            continue
        if any(d.kind == "rice_not_declared" and d.status == "rejected" for d in ds):
            continue
        sown = next((d.declared_ha for d in ds if d.kind == "sown_area"
                     and d.status == "rejected" and d.declared_ha is not None), ha)
        area[(commune, skey)] += sown
        count[(commune, skey)] += 1
    for d in diffs:
        if d.kind == "declared_rice_bare" and d.status == "rejected" and (
                season_key is None or d.season_key == season_key):
            area[(d.commune_code, d.season_key)] += d.declared_ha or 0.0
            count[(d.commune_code, d.season_key)] += 1
        elif d.kind == "declared_rice_bare" and d.status == "open" and (
                season_key is None or d.season_key == season_key):
            pending[(d.commune_code, d.season_key)] += 1
    out = []
    for commune, skey in sorted(set(area) | set(pending) | set(count)):
        key: tuple[str, str] = (commune, skey)
        out.append(AcceptedValue(commune_code=commune, season_key=skey,
                                 indicator="rice_area_sown_ha", value=round(area[key], 4),
                                 unit="ha", pending=pending[key]))
        out.append(AcceptedValue(commune_code=commune, season_key=skey,
                                 indicator="rice_fields", value=float(count[key]),
                                 unit="fields", pending=pending[key]))
    return out
