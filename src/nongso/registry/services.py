"""Use cases of the registry: organisations, farmers, production units and summaries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nongso.core.errors import Conflict, FieldError, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login
from nongso.core.uow import UnitOfWork
from nongso.registry.models import Farmer, Organisation, ProductionUnit
from nongso.registry.schemas import (
    FarmerCreate,
    FarmerPublic,
    FarmerUpdate,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    ProvinceSummary,
    Scope,
)
from nongso.units import services as units

# --- permissions ------------------------------------------------------------------------------


def can_manage_unit(p: Principal, commune_code: str, province_code: str) -> bool:
    """Officers (and admins) manage the registry of the units they cover."""
    return p.role in ("admin", "province_officer", "commune_officer") and p.covers_unit(
        commune_code, province_code
    )


def can_see_farmer(p: Principal, farmer: Farmer) -> bool:
    if p.covers_unit(farmer.commune_code, farmer.province_code):
        return True
    if p.role == "coop_manager" and farmer.organisation_id == p.organisation_id:
        return True
    return p.role == "farmer" and p.farmer_id == farmer.id


# --- organisations ----------------------------------------------------------------------------

def organisation_scope(uow: UnitOfWork, organisation_id: int) -> Scope:
    with uow:
        org = uow.session.get(Organisation, organisation_id)
        if org is None:
            raise ValidationFailed(
                f"Tổ chức #{organisation_id} không tồn tại.",
                f"Organisation #{organisation_id} does not exist.",
                [FieldError("organisation_id", "Không tồn tại", "Does not exist")],
            )
        return Scope(commune_code=org.commune_code, province_code=org.province_code,
                     organisation_id=org.id)


def _load_org(s: Session, org_id: int) -> Organisation:
    org = s.get(Organisation, org_id)
    if org is None:
        raise not_found("tổ chức", "organisation", org_id)
    return org


def list_organisations(
    uow: UnitOfWork, page: PageRequest, kind: str | None = None,
    commune_code: str | None = None, province_code: str | None = None, q: str | None = None,
) -> Page[OrganisationPublic]:
    """Organisations are public business information (names, kinds, communes)."""
    stmt = select(Organisation)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if commune_code:
        stmt = stmt.where(Organisation.commune_code == commune_code)
    if province_code:
        stmt = stmt.where(Organisation.province_code == province_code)
    if q:
        stmt = stmt.where(func.lower(Organisation.name).contains(q.lower()))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Organisation.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[OrganisationPublic.model_validate(o) for o in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_organisation(uow: UnitOfWork, org_id: int) -> OrganisationPublic:
    with uow:
        return OrganisationPublic.model_validate(_load_org(uow.session, org_id))


def create_organisation(uow: UnitOfWork, data: OrganisationCreate) -> OrganisationPublic:
    require_login(uow.principal)
    with uow:
        commune = units.require_commune(uow, data.commune_code)
        if not can_manage_unit(uow.principal, commune.code, commune.province_code):
            raise deny()
        if data.parent_id is not None:
            _load_org(uow.session, data.parent_id)
        if data.code and uow.session.scalar(
            select(Organisation.id).where(Organisation.code == data.code)
        ):
            raise Conflict(f"Mã tổ chức «{data.code}» đã tồn tại.",
                           f"Organisation code '{data.code}' already exists.",
                           [FieldError("code", "Đã tồn tại", "Already exists")])
        org = Organisation(**data.model_dump(), province_code=commune.province_code)
        uow.session.add(org)
        uow.commit()
        return OrganisationPublic.model_validate(org)


def update_organisation(
    uow: UnitOfWork, org_id: int, data: OrganisationUpdate
) -> OrganisationPublic:
    require_login(uow.principal)
    with uow:
        org = _load_org(uow.session, org_id)
        p = uow.principal
        own = p.role == "coop_manager" and p.organisation_id == org.id
        if not own and not can_manage_unit(p, org.commune_code, org.province_code):
            raise deny()
        for key, value in data.model_dump(exclude_unset=True).items():
            setattr(org, key, value)
        uow.commit()
        return OrganisationPublic.model_validate(org)


def delete_organisation(uow: UnitOfWork, org_id: int) -> None:
    require_login(uow.principal)
    with uow:
        org = _load_org(uow.session, org_id)
        if not can_manage_unit(uow.principal, org.commune_code, org.province_code):
            raise deny()
        in_use = uow.session.scalar(
            select(func.count()).select_from(Farmer).where(Farmer.organisation_id == org.id)
        )
        if in_use:
            raise Conflict(
                f"Tổ chức còn {in_use} nông hộ thành viên; hãy chuyển họ trước khi xoá.",
                f"The organisation still has {in_use} member farmers; move them first.",
            )
        uow.session.delete(org)
        uow.commit()


# --- farmers (personal data: scoped) ----------------------------------------------------------

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


def _load_farmer(uow: UnitOfWork, farmer_id: int) -> Farmer:
    farmer = uow.session.get(Farmer, farmer_id)
    # Someone who may not see it is told it does not exist (no probing of other units).
    if farmer is None or not can_see_farmer(uow.principal, farmer):
        raise not_found("nông hộ", "farmer", farmer_id)
    return farmer


def get_farmer(uow: UnitOfWork, farmer_id: int) -> FarmerPublic:
    require_login(uow.principal)
    with uow:
        return FarmerPublic.model_validate(_load_farmer(uow, farmer_id))


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
        farmer = _load_farmer(uow, farmer_id)
        p = uow.principal
        if p.role not in ("admin", "province_officer", "commune_officer", "coop_manager") and not (
            p.role == "farmer" and p.farmer_id == farmer.id
        ):
            raise deny()
        changes = data.model_dump(exclude_unset=True)
        if changes.get("organisation_id") is not None:
            organisation_scope(uow, changes["organisation_id"])
        for key, value in changes.items():
            setattr(farmer, key, value)
        uow.commit()
        return FarmerPublic.model_validate(farmer)


def delete_farmer(uow: UnitOfWork, farmer_id: int) -> None:
    require_login(uow.principal)
    with uow:
        farmer = _load_farmer(uow, farmer_id)
        if not can_manage_unit(uow.principal, farmer.commune_code, farmer.province_code):
            raise deny()
        uow.session.delete(farmer)
        uow.commit()


# --- summaries --------------------------------------------------------------------------------

def province_summary(uow: UnitOfWork, province_code: str) -> ProvinceSummary:
    """Counts for the province home page (aggregates only: public)."""
    with uow:
        s = uow.session
        communes = units.communes_of_province(uow, province_code)

        def count_by(model: Any, *where: Any) -> dict[str, int]:
            rows = s.execute(
                select(model.commune_code, func.count()).where(
                    model.province_code == province_code, *where
                ).group_by(model.commune_code)
            ).all()
            return {c: n for c, n in rows}

        coops = count_by(Organisation, Organisation.kind == "cooperative")
        groups = count_by(Organisation, Organisation.kind == "coop_group")
        farmers = count_by(Farmer)
        fields = dict(
            (c, (n, a or 0.0)) for c, n, a in s.execute(
                select(ProductionUnit.commune_code, func.count(), func.sum(ProductionUnit.area_ha))
                .where(ProductionUnit.province_code == province_code,
                       ProductionUnit.kind.in_(("plot", "orchard")))
                .group_by(ProductionUnit.commune_code)
            ).all()
        )
        by_commune = []
        for c in communes:
            n_fields, area = fields.get(c.code, (0, 0.0))
            if coops.get(c.code) or farmers.get(c.code) or n_fields:
                by_commune.append({
                    "code": c.code, "name": c.name, "cooperatives": coops.get(c.code, 0),
                    "farmers": farmers.get(c.code, 0), "fields": n_fields,
                    "area_ha": round(area, 1),
                })
        return ProvinceSummary(
            province_code=province_code, communes=len(communes),
            cooperatives=sum(coops.values()), coop_groups=sum(groups.values()),
            farmers=sum(farmers.values()), fields=sum(v[0] for v in fields.values()),
            area_ha=round(sum(v[1] for v in fields.values()), 1), by_commune=by_commune,
        )
