"""Production units (field blocks, plots, orchards, planting-area codes, farms, aquaculture
areas, raw-material areas): what the writer needs to know about them, their overlaps, and the
use cases that read and write them."""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from nongso.core.errors import Conflict, FieldError, ValidationFailed
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, require_login
from nongso.core.uow import UnitOfWork
from nongso.registry import features, geo, rules, spatial
from nongso.registry.messages import CROP_LABELS
from nongso.registry.models import ProductionUnit
from nongso.registry.schemas import (
    ProductionUnitCreate,
    ProductionUnitPublic,
    ProductionUnitUpdate,
    Scope,
    VersionPublic,
)
from nongso.registry.services import writer
from nongso.registry.services._common import (
    can_write_unit,
    feature_fields,
    feature_filters,
    kind_label,
)
from nongso.registry.services.area_rules import area_rules
from nongso.registry.services.farmers import farmer_scope, load_farmer
from nongso.registry.services.organisations import organisation_scope


def _public(p: Principal, unit: ProductionUnit) -> ProductionUnitPublic:
    data = {c.key: getattr(unit, c.key) for c in sa_inspect(unit).mapper.column_attrs}
    data.update(feature_fields(unit))
    if not features.may_see_attributes(p, data):
        data["attributes"] = {}  # not public (personal data may hide in them)
    if not features.may_see_owner(p, data):
        data["farmer_id"] = None
    return ProductionUnitPublic.model_validate(data)


def _measure(unit: ProductionUnit, geom: BaseGeometry) -> None:
    unit.area_ha = rules.area_ha(geom)


def _declared_area_flag(unit: ProductionUnit) -> list[dict[str, Any]]:
    found = rules.declared_area_flag(unit.area_ha, unit.declared_area_ha)
    return [found] if found else []


def _check_refs(uow: UnitOfWork, unit: ProductionUnit) -> None:
    p = uow.principal
    if unit.organisation_id is not None:
        organisation_scope(uow, unit.organisation_id)
    if unit.farmer_id is not None:
        scope = farmer_scope(uow, unit.farmer_id)
        if p.role == "coop_manager" and scope.organisation_id != p.organisation_id:
            raise ValidationFailed(
                f"Nông hộ #{unit.farmer_id} không thuộc hợp tác xã của bạn.",
                f"Farmer #{unit.farmer_id} is not a member of your co-operative.",
                [FieldError("farmer_id", "Không thuộc HTX", "Not a member")],
            )
    if unit.parent_id is not None:
        parent = uow.session.get(ProductionUnit, unit.parent_id)
        if parent is None or parent.status == "deleted" or parent.id == unit.id:
            raise ValidationFailed(
                f"Vùng cha #{unit.parent_id} không tồn tại.",
                f"Parent unit #{unit.parent_id} does not exist.",
                [FieldError("parent_id", "Không tồn tại", "Does not exist")],
            )


def _check_rules(uow: UnitOfWork, unit: ProductionUnit) -> None:
    label = kind_label(unit.kind)
    rules.check_validity(unit.valid_from, unit.valid_to)
    rules.check_code(unit.code, required=unit.kind == "planting_area",
                     label_vi=label[0], label_en=label[1])
    if unit.kind != "planting_area":
        return
    rules.check_planting_area(unit.crop, unit.area_ha, area_rules(uow.session), CROP_LABELS)
    clash = uow.session.scalar(
        select(ProductionUnit.id).where(
            ProductionUnit.kind == "planting_area", ProductionUnit.code == unit.code,
            ProductionUnit.status != "deleted",
            ProductionUnit.id != (unit.id if unit.id is not None else -1))
    )
    if clash is not None:
        raise Conflict(
            f"Mã số vùng trồng «{unit.code}» đã được cấp cho vùng #{clash}.",
            f"Planting-area code '{unit.code}' is already given to unit #{clash}.",
            [FieldError("code", "Đã tồn tại", "Already exists")],
        )


def _planting_neighbours(s: Session, unit: ProductionUnit) -> list[rules.Neighbour]:
    if unit.min_lon is None:
        return []
    box = geo.BBox(unit.min_lon, unit.min_lat or 0, unit.max_lon or 0, unit.max_lat or 0)
    table = ProductionUnit.__table__
    rows = s.execute(
        select(ProductionUnit.id, ProductionUnit.code, ProductionUnit.geometry).where(
            spatial.bbox_filter(table, features.dialect_of(s), box),  # type: ignore[arg-type]
            ProductionUnit.kind == "planting_area", ProductionUnit.status != "deleted",
            ProductionUnit.id != unit.id)
    ).all()
    return [rules.Neighbour(r.id, r.code, shape(json.loads(r.geometry)))
            for r in rows if r.geometry]


def refresh_overlaps(s: Session, unit_ids: set[int]) -> None:
    """Recompute the overlap flags of these planting areas (and of what they overlap)."""
    todo = set(unit_ids)
    done: set[int] = set()
    while todo:
        unit_id = todo.pop()
        done.add(unit_id)
        unit = s.get(ProductionUnit, unit_id)
        if unit is None:
            continue
        previous = {int(f["other_id"]) for f in unit.flags or []
                    if f.get("code") == "overlap" and f.get("other_id") is not None}
        new: list[dict[str, Any]] = []
        if unit.kind == "planting_area" and unit.status != "deleted" and unit.geometry:
            geom = shape(json.loads(unit.geometry))
            for other, m2 in rules.overlaps(geom, _planting_neighbours(s, unit)):
                new.append(rules.overlap_flag(other.id, other.code, m2))
        unit.flags = rules.replace_flags(unit.flags, {"overlap"}, new)
        current = {int(f["other_id"]) for f in new}
        todo |= (previous | current) - done
    s.flush()


def _after_write(s: Session, unit: ProductionUnit, created: bool) -> None:
    if not created or unit.kind == "planting_area":
        refresh_overlaps(s, {unit.id})


def _hide_owner(p: Principal) -> writer.Hide:
    def hide(props: dict[str, Any]) -> dict[str, Any]:
        if not features.may_see_attributes(p, props):
            props.pop("attributes", None)
        if not features.may_see_owner(p, props):
            props.pop("farmer_id", None)
        return props

    return hide


PRODUCTION_UNIT: writer.FeatureKind[ProductionUnit, ProductionUnitPublic] = writer.FeatureKind(
    collection="production_units", model=ProductionUnit,
    noun=("vùng sản xuất", "production unit"), public=_public, may_write=can_write_unit,
    geometry_kind=lambda x: str(x.kind), measure=_measure, check=_check_refs,
    rules=_check_rules, derived_flags=_declared_area_flag,
    derived_flag_codes=frozenset({"declared_area_mismatch"}), after_write=_after_write,
    hide=_hide_owner,
)


# --- use cases ----------------------------------------------------------------------------------

def production_unit_scope(uow: UnitOfWork, unit_id: int) -> Scope:
    """Where a production unit lies (for other domains' permission checks)."""
    with uow:
        unit = uow.session.get(ProductionUnit, unit_id)
        if unit is None or unit.status == "deleted":
            raise ValidationFailed(
                f"Vùng sản xuất #{unit_id} không tồn tại.",
                f"Production unit #{unit_id} does not exist.",
                [FieldError("production_unit_id", "Không tồn tại", "Does not exist")],
            )
        return Scope(commune_code=unit.commune_code, province_code=unit.province_code,
                     organisation_id=unit.organisation_id)


def list_production_units(
    uow: UnitOfWork, page: PageRequest, kind: str | None = None, commune_code: str | None = None,
    crop: str | None = None, status: str | None = None, q: str | None = None,
    bbox: geo.BBox | None = None, organisation_id: int | None = None,
    farmer_id: int | None = None,
) -> Page[ProductionUnitPublic]:
    """Production units (public facts; the farmer only for those who may see him)."""
    with uow:
        s = uow.session
        if farmer_id is not None:
            require_login(uow.principal)
            load_farmer(uow, farmer_id)  # 404 for those who may not see the farmer
        stmt = select(ProductionUnit).where(ProductionUnit.status != "deleted")
        stmt = feature_filters(s, stmt, ProductionUnit, kind=kind, commune_code=commune_code,
                               status=status, q=q, bbox=bbox)
        if crop:
            stmt = stmt.where(ProductionUnit.crop == crop)
        if organisation_id is not None:
            stmt = stmt.where(ProductionUnit.organisation_id == organisation_id)
        if farmer_id is not None:
            stmt = stmt.where(ProductionUnit.farmer_id == farmer_id)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(ProductionUnit.id).limit(page.limit)
                         .offset(page.offset)).all()
        return Page(items=[_public(uow.principal, u) for u in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_production_unit(uow: UnitOfWork, unit_id: int) -> ProductionUnitPublic:
    with uow:
        return _public(uow.principal, writer.load(uow.session, PRODUCTION_UNIT, unit_id))


def create_production_unit(uow: UnitOfWork, data: ProductionUnitCreate) -> ProductionUnitPublic:
    return writer.create(uow, PRODUCTION_UNIT, data)


def update_production_unit(
    uow: UnitOfWork, unit_id: int, data: ProductionUnitUpdate
) -> ProductionUnitPublic:
    return writer.update(uow, PRODUCTION_UNIT, unit_id, data)


def delete_production_unit(uow: UnitOfWork, unit_id: int) -> None:
    """Retire a unit from the current map (its id and history stay: other domains keep their
    references; "as of" an earlier date it is still shown)."""
    writer.delete(uow, PRODUCTION_UNIT, unit_id)


def production_unit_history(uow: UnitOfWork, unit_id: int) -> list[VersionPublic]:
    """Every version of a unit, oldest first (public; the farmer only for those allowed)."""
    return writer.history(uow, PRODUCTION_UNIT, unit_id)
