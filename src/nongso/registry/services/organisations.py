"""Organisations (co-operatives, co-op groups, farmer clubs, businesses): register, change,
remove, and their history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nongso.core.errors import Conflict, FieldError, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login
from nongso.core.references import ensure_unreferenced
from nongso.core.uow import UnitOfWork
from nongso.registry import features, rules, versioning
from nongso.registry.models import Farmer, Organisation
from nongso.registry.schemas import (
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    Scope,
    VersionPublic,
)
from nongso.registry.services import writer
from nongso.registry.services._common import (
    can_manage_unit,
    effective_for_create,
    effective_for_update,
    search_key,
)
from nongso.units import services as units


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


def _load_org(s: Session, org_id: int, for_update: bool = False) -> Organisation:
    org = s.get(Organisation, org_id, with_for_update=for_update)
    if org is None:
        raise not_found("tổ chức", "organisation", org_id)
    return org


def _org_public(p: Principal, org: Organisation) -> OrganisationPublic:
    public = OrganisationPublic.model_validate(org)
    if not features.may_see_contact(p):
        public.phone = None
    return public


def list_organisations(
    uow: UnitOfWork, page: PageRequest, kind: str | None = None,
    commune_code: str | None = None, province_code: str | None = None, q: str | None = None,
) -> Page[OrganisationPublic]:
    """Organisations are public business information (names, kinds, communes); their contact
    data only for those logged in."""
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
        return Page(items=[_org_public(uow.principal, o) for o in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_organisation(uow: UnitOfWork, org_id: int) -> OrganisationPublic:
    with uow:
        return _org_public(uow.principal, _load_org(uow.session, org_id))


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
        rules.check_validity(data.valid_from, data.valid_to)
        org = Organisation(**data.model_dump(), province_code=commune.province_code,
                           search_key=search_key(data.name, data.code))
        versioning.set_effective(uow.session, effective_for_create(data.valid_from))
        uow.session.add(org)
        uow.commit()
        return OrganisationPublic.model_validate(org)


def update_organisation(
    uow: UnitOfWork, org_id: int, data: OrganisationUpdate
) -> OrganisationPublic:
    require_login(uow.principal)
    with uow:
        org = _load_org(uow.session, org_id, for_update=True)  # concurrent edits: one by one
        p = uow.principal
        own = p.role == "coop_manager" and p.organisation_id == org.id
        if not own and not can_manage_unit(p, org.commune_code, org.province_code):
            raise deny()
        changes = data.model_dump(exclude_unset=True)
        effective = effective_for_update(uow, "organisations", org.id,
                                         changes.pop("effective_date", None))
        versioning.set_effective(uow.session, effective)
        for key, value in changes.items():
            setattr(org, key, value)
        rules.check_validity(org.valid_from, org.valid_to)
        org.search_key = search_key(org.name, org.code)
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
        ensure_unreferenced(uow.session, org, "tổ chức", "organisation")
        uow.session.delete(org)
        uow.commit()


def organisation_history(uow: UnitOfWork, org_id: int) -> list[VersionPublic]:
    with uow:
        contact = features.may_see_contact(uow.principal)

        def hide(props: dict[str, Any]) -> dict[str, Any]:
            if not contact:
                props.pop("phone", None)
            return props

        return writer.versions(uow, "organisations", org_id, hide)
