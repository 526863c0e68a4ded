"""Look-ups for other domains: names, references, scopes of the registry's records, and the
fields around a point (other domains never read the registry's tables).

They check no permission: the calling domain applies its own rules to what it shows. Each is
one query whatever the number of ids (no N+1 when a page of records names its organisations).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nongso.core.uow import UnitOfWork
from nongso.registry import features, rules, spatial
from nongso.registry.models import Farmer, Infrastructure, Organisation, ProductionUnit
from nongso.registry.schemas import (
    FarmerRef,
    FeaturePublic,
    FieldRef,
    InfrastructurePublic,
    OrganisationRef,
    ProductionUnitRef,
)
from nongso.registry.services._common import today as _today
from nongso.registry.services.infrastructure import infrastructure_public as _infra_public
from nongso.registry.services.queries import box_around as _box_around


def _wanted(ids: Iterable[int | None]) -> set[int]:
    return {i for i in ids if i is not None}


def organisation_ids_in_unit(uow: UnitOfWork, unit_code: str | None) -> list[int]:
    """The ids of the organisations seated in an administrative unit (a province's 2-digit
    code or a commune's code); none for no unit."""
    if not unit_code:
        return []
    column = Organisation.province_code if len(unit_code) <= 2 else Organisation.commune_code
    with uow:
        return list(uow.session.scalars(select(Organisation.id).where(column == unit_code)
                                        .order_by(Organisation.id)))


def organisation_ref(uow: UnitOfWork, org_id: int) -> OrganisationRef | None:
    with uow:
        org = uow.session.get(Organisation, org_id)
        return OrganisationRef.model_validate(org) if org is not None else None


def organisation_names(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = _wanted(ids)
    if not wanted:
        return {}
    with uow:
        return {i: name for i, name in uow.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))).all()}


def farmer_ref(uow: UnitOfWork, farmer_id: int) -> FarmerRef | None:
    with uow:
        farmer = uow.session.get(Farmer, farmer_id)
        return FarmerRef.model_validate(farmer) if farmer is not None else None


def farmer_names(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    """Farmers' names (personal data: the caller shows them only to those allowed)."""
    wanted = _wanted(ids)
    if not wanted:
        return {}
    with uow:
        return {i: name for i, name in uow.session.execute(
            select(Farmer.id, Farmer.full_name).where(Farmer.id.in_(wanted))).all()}


def farmer_organisation(uow: UnitOfWork, farmer_id: int) -> int | None:
    """The organisation (co-operative…) a farmer belongs to, if any."""
    with uow:
        return uow.session.scalar(select(Farmer.organisation_id).where(Farmer.id == farmer_id))


def count_members(uow: UnitOfWork, org_id: int) -> int:
    """How many farmers are members of an organisation."""
    with uow:
        return uow.session.scalar(select(func.count()).select_from(Farmer)
                                  .where(Farmer.organisation_id == org_id)) or 0


def production_unit_ref(uow: UnitOfWork, unit_id: int) -> ProductionUnitRef | None:
    """A production unit, deleted ones included (``status`` says so), or None if it never
    existed."""
    with uow:
        unit = uow.session.get(ProductionUnit, unit_id)
        if unit is None:
            return None
        return ProductionUnitRef(
            id=unit.id, kind=unit.kind, code=unit.code, name=unit.name,
            commune_code=unit.commune_code, province_code=unit.province_code,
            organisation_id=unit.organisation_id, farmer_id=unit.farmer_id, crop=unit.crop,
            area_ha=unit.area_ha, attributes=dict(unit.attributes or {}), status=unit.status,
            effective_status=rules.effective_status(unit.status, unit.valid_to, _today()))


def _unit_refs(s: Session, *conds: Any) -> list[FieldRef]:
    rows = s.execute(
        select(ProductionUnit.id, ProductionUnit.commune_code, ProductionUnit.crop,
               ProductionUnit.area_ha)
        .where(ProductionUnit.status != "deleted", *conds).order_by(ProductionUnit.id)
    ).all()
    return [FieldRef(id=i, commune_code=c, crop=crop, area_ha=a)
            for i, c, crop, a in rows]


def production_units_near(uow: UnitOfWork, lon: float, lat: float,
                          radius_m: float) -> list[FieldRef]:
    """Fields (production units) whose bounding-box centre lies within ``radius_m`` metres of
    the point, nearest first (the spatial index prefilters; deleted fields are left out).

    Cheaper than :func:`features_near` (no geometry is read): what the alert rules use for
    "the crops around a station"."""
    box = _box_around(lon, lat, radius_m)
    kx = 111_320 * math.cos(math.radians(lat))
    out: list[FieldRef] = []
    with uow:
        s = uow.session
        table = ProductionUnit.__table__
        rows = s.execute(
            select(ProductionUnit.id, ProductionUnit.commune_code, ProductionUnit.crop,
                   ProductionUnit.area_ha, ProductionUnit.min_lon, ProductionUnit.min_lat,
                   ProductionUnit.max_lon, ProductionUnit.max_lat)
            .where(ProductionUnit.status != "deleted",
                   spatial.bbox_filter(table, features.dialect_of(s), box))  # type: ignore[arg-type]
        ).all()
    for uid, commune, crop, area, x0, y0, x1, y1 in rows:
        if x0 is None or y0 is None or x1 is None or y1 is None:
            continue
        d = math.hypot(((x0 + x1) / 2 - lon) * kx, ((y0 + y1) / 2 - lat) * 111_320)
        if d <= radius_m:
            out.append(FieldRef(id=uid, commune_code=commune, crop=crop, area_ha=area,
                                distance_m=d))
    out.sort(key=lambda u: (u.distance_m, u.id))
    return out


def production_units_by_id(uow: UnitOfWork, ids: Sequence[int]) -> list[FieldRef]:
    """These fields (those that exist and are not deleted), by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    with uow:
        return _unit_refs(uow.session, ProductionUnit.id.in_(wanted))


def existing_production_units(uow: UnitOfWork, ids: Sequence[int]) -> set[int]:
    """Which of these ids are fields of the registry (not deleted)."""
    return {u.id for u in production_units_by_id(uow, ids)}


def production_units_of(uow: UnitOfWork, *, farmer_id: int | None = None,
                        organisation_id: int | None = None) -> list[FieldRef]:
    """A farmer's or an organisation's fields (communes and crops)."""
    with uow:
        if farmer_id is not None:
            return _unit_refs(uow.session, ProductionUnit.farmer_id == farmer_id)
        if organisation_id is not None:
            return _unit_refs(uow.session, ProductionUnit.organisation_id == organisation_id)
        return []


def infrastructure_by_id(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, InfrastructurePublic]:
    """These infrastructure records (those that exist and are not deleted), by id: what
    monitoring checks a sensor station's ``registryFeatureId`` against."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with uow:
        rows = uow.session.scalars(select(Infrastructure).where(
            Infrastructure.id.in_(wanted), Infrastructure.status != "deleted"))
        return {r.id: _infra_public(r) for r in rows}


def field_geometries(uow: UnitOfWork, province_code: str,
                     bbox: tuple[float, float, float, float] | None = None,
                     commune_code: str | None = None) -> list[FeaturePublic]:
    """The fields (production units with a polygon, not deleted) of a province, optionally
    inside a lon/lat box or one commune: id, GeoJSON geometry and the properties ``kind``,
    ``crop``, ``commune_code``, ``province_code``, ``area_ha``, ``declared_area_ha`` (what
    remote sensing reduces its rasters over; no personal data)."""
    conds: list[Any] = [ProductionUnit.province_code == province_code,
                        ProductionUnit.status != "deleted", ProductionUnit.geometry.is_not(None)]
    if commune_code is not None:
        conds.append(ProductionUnit.commune_code == commune_code)
    if bbox is not None:
        conds += [ProductionUnit.max_lon >= bbox[0], ProductionUnit.min_lon <= bbox[2],
                  ProductionUnit.max_lat >= bbox[1], ProductionUnit.min_lat <= bbox[3]]
    with uow:
        rows = uow.session.execute(
            select(ProductionUnit.id, ProductionUnit.geometry, ProductionUnit.kind,
                   ProductionUnit.crop, ProductionUnit.commune_code, ProductionUnit.area_ha,
                   ProductionUnit.declared_area_ha)
            .where(*conds).order_by(ProductionUnit.id)).all()
    out = []
    for uid, geometry, kind, crop, commune, area, declared in rows:
        geom = json.loads(geometry or "{}")
        if geom.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        out.append(FeaturePublic(id=uid, collection="production_units", geometry=geom,
                                 properties={"kind": kind, "crop": crop,
                                             "commune_code": commune,
                                             "province_code": province_code, "area_ha": area,
                                             "declared_area_ha": declared}))
    return out
