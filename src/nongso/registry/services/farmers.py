"""Farmers (households; personal data): register, change, remove, each seen only by those
who may."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from nongso.core.errors import FieldError, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login
from nongso.core.references import ensure_unreferenced
from nongso.core.uow import UnitOfWork
from nongso.registry.models import Farmer
from nongso.registry.schemas import FarmerCreate, FarmerPublic, FarmerUpdate, Scope
from nongso.registry.services._common import can_manage_unit, can_see_farmer
from nongso.registry.services.organisations import organisation_scope
from nongso.units import services as units


def farmer_scope(uow: UnitOfWork, farmer_id: int) -> Scope:
    with uow:
        farmer = uow.session.get(Farmer, farmer_id)
        if farmer is None:
            raise ValidationFailed(
                f"Nông hộ #{farmer_id} không tồn tại.", f"Farmer #{farmer_id} does not exist.",
                [FieldError("farmer_id", "Không tồn tại", "Does not exist")],
            )
        return Scope(commune_code=farmer.commune_code, province_code=farmer.province_code,
                     organisation_id=farmer.organisation_id)


def _visible_farmers(p: Principal) -> Any:
    stmt = select(Farmer)
    if p.is_admin:
        return stmt
    if p.role in ("province_officer", "inspector"):
        return stmt.where(Farmer.province_code == p.unit_code)
    if p.role == "commune_officer":
        return stmt.where(Farmer.commune_code == p.unit_code)
    if p.role == "coop_manager":
        return stmt.where(Farmer.organisation_id == p.organisation_id)
    if p.role == "farmer":
        return stmt.where(Farmer.id == p.farmer_id)
    raise deny()


def list_farmers(
    uow: UnitOfWork, page: PageRequest, commune_code: str | None = None,
    organisation_id: int | None = None,
) -> Page[FarmerPublic]:
    require_login(uow.principal)
    stmt = _visible_farmers(uow.principal)
    if commune_code:
        stmt = stmt.where(Farmer.commune_code == commune_code)
    if organisation_id is not None:
        stmt = stmt.where(Farmer.organisation_id == organisation_id)
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Farmer.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[FarmerPublic.model_validate(f) for f in rows], total=total,
                    limit=page.limit, offset=page.offset)


def load_farmer(uow: UnitOfWork, farmer_id: int) -> Farmer:
    """A farmer the principal may see (inside ``with uow``)."""
    farmer = uow.session.get(Farmer, farmer_id)
    # Someone who may not see it is told it does not exist (no probing of other units).
    if farmer is None or not can_see_farmer(uow.principal, farmer):
        raise not_found("nông hộ", "farmer", farmer_id)
    return farmer


def get_farmer(uow: UnitOfWork, farmer_id: int) -> FarmerPublic:
    require_login(uow.principal)
    with uow:
        return FarmerPublic.model_validate(load_farmer(uow, farmer_id))


def create_farmer(uow: UnitOfWork, data: FarmerCreate) -> FarmerPublic:
    require_login(uow.principal)
    with uow:
        commune = units.require_commune(uow, data.commune_code)
        p = uow.principal
        allowed = can_manage_unit(p, commune.code, commune.province_code) or (
            p.role == "coop_manager" and data.organisation_id == p.organisation_id
        )
        if not allowed:
            raise deny()
        if data.organisation_id is not None:
            organisation_scope(uow, data.organisation_id)
        farmer = Farmer(**data.model_dump(), province_code=commune.province_code)
        uow.session.add(farmer)
        uow.commit()
        return FarmerPublic.model_validate(farmer)


def update_farmer(uow: UnitOfWork, farmer_id: int, data: FarmerUpdate) -> FarmerPublic:
    require_login(uow.principal)
    with uow:
        farmer = load_farmer(uow, farmer_id)
        p = uow.principal
        if p.role not in ("admin", "province_officer", "commune_officer", "coop_manager") and not (
            p.role == "farmer" and p.farmer_id == farmer.id
        ):
            raise deny()
        changes = data.model_dump(exclude_unset=True)
        if "organisation_id" in changes and changes["organisation_id"] != farmer.organisation_id:
            _check_move(uow, farmer, changes["organisation_id"])
        for key, value in changes.items():
            setattr(farmer, key, value)
        uow.commit()
        return FarmerPublic.model_validate(farmer)


def _may_manage_org(p: Principal, organisation_id: int, commune_code: str,
                    province_code: str) -> bool:
    if p.role == "coop_manager":
        return p.organisation_id == organisation_id
    return can_manage_unit(p, commune_code, province_code)


def _check_move(uow: UnitOfWork, farmer: Farmer, organisation_id: int | None) -> None:
    """Moving a farmer between co-operatives: the caller must manage the co-operative he
    leaves and the one he joins (a co-operative manager his own; an officer those of his
    unit). A farmer cannot move himself (he asks the co-operative)."""
    p = uow.principal
    if p.role == "farmer":
        raise deny()
    if farmer.organisation_id is not None:
        old = organisation_scope(uow, farmer.organisation_id)
        if not _may_manage_org(p, farmer.organisation_id, old.commune_code, old.province_code):
            raise deny()
    if organisation_id is not None:
        new = organisation_scope(uow, organisation_id)
        if not _may_manage_org(p, organisation_id, new.commune_code, new.province_code):
            raise deny()


def delete_farmer(uow: UnitOfWork, farmer_id: int) -> None:
    require_login(uow.principal)
    with uow:
        farmer = load_farmer(uow, farmer_id)
        if not can_manage_unit(uow.principal, farmer.commune_code, farmer.province_code):
            raise deny()
        ensure_unreferenced(uow.session, farmer, "nông hộ", "farmer")
        uow.session.delete(farmer)
        uow.commit()
