"""Use cases of the registry: organisations, farmers, production units, infrastructure, soil
map units, their history, boundaries, imports, exports and the map.

Functions other domains rely on (stable): ``organisation_scope``, ``farmer_scope``,
``production_unit_scope``, ``get_production_unit``, ``get_infrastructure``, ``get_station``,
``get_feature``, ``features_near``, ``features_in_commune``, ``communes_near``,
``production_units_near``, ``production_units_by_id``, ``existing_production_units``,
``production_units_of``, ``infrastructure_by_id``, ``register_sensor_finder``,
``linked_sensors``, and the look-ups ``organisation_ref``, ``organisation_names``,
``farmer_ref``, ``farmer_names``, ``farmer_organisation``, ``count_members``,
``production_unit_ref`` (other domains never read the registry's tables).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import shapely
from pydantic import ValidationError as PydanticValidationError
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from nongso.core import audit, clock
from nongso.core.errors import AppError, Conflict, FieldError, ValidationFailed, not_found
from nongso.core.i18n import fold, format_date
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login, require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import (
    boundaries,
    exports,
    features,
    geo,
    importers,
    rules,
    spatial,
    versioning,
)
from nongso.registry.messages import CROP_LABELS, KIND_LABELS
from nongso.registry.models import (
    AdminBoundary,
    Farmer,
    FeatureVersion,
    Infrastructure,
    Organisation,
    PlantingAreaRule,
    ProductionUnit,
    SoilUnit,
)
from nongso.registry.schemas import (
    AreaRulePublic,
    AreaRuleUpdate,
    BoundarySummary,
    CommuneRef,
    CommuneUnitTotal,
    FarmerCreate,
    FarmerPublic,
    FarmerRef,
    FarmerUpdate,
    FeaturePublic,
    FeatureRef,
    FieldRef,
    FlagPublic,
    ImportReport,
    ImportRowError,
    InfrastructureCreate,
    InfrastructureDetail,
    InfrastructurePublic,
    InfrastructureUpdate,
    LinkedRecord,
    MapCluster,
    MapData,
    MapLayer,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationRef,
    OrganisationUpdate,
    ProductionUnitCreate,
    ProductionUnitPublic,
    ProductionUnitRef,
    ProductionUnitUpdate,
    ProvinceSummary,
    Scope,
    SoilUnitCreate,
    SoilUnitPublic,
    SoilUnitUpdate,
    VersionPublic,
)
from nongso.units import services as units
from nongso.units.schemas import UnitPublic

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


# --- look-ups for other domains -------------------------------------------------------------
# They check no permission: the calling domain applies its own rules to what it shows. Each is
# one query whatever the number of ids (no N+1 when a page of records names its organisations).

def _wanted(ids: Iterable[int | None]) -> set[int]:
    return {i for i in ids if i is not None}


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
                           search_key=_search_key(data.name, data.code))
        versioning.set_effective(uow.session, _effective_for_create(data.valid_from))
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
        changes = data.model_dump(exclude_unset=True)
        effective = _effective_for_update(uow, "organisations", org.id,
                                          changes.pop("effective_date", None))
        versioning.set_effective(uow.session, effective)
        for key, value in changes.items():
            setattr(org, key, value)
        rules.check_validity(org.valid_from, org.valid_to)
        org.search_key = _search_key(org.name, org.code)
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
                       ProductionUnit.status != "deleted",
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


# =============================================================================================
# Map features: production units, infrastructure, soil map units
# =============================================================================================

VN = dt.timedelta(hours=7)


def _today() -> dt.date:
    return (clock.now() + VN).date()


def _search_key(name: str | None, code: str | None) -> str:
    return fold(f"{name or ''} {code or ''}")[:400]


def _vn_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone(VN)).astimezone(dt.UTC)


def _effective_for_create(valid_from: dt.date | None) -> dt.datetime:
    """A record valid since a past date is shown "as of" that date; else from now."""
    now = clock.now()
    if valid_from is not None and valid_from < _today():
        return _vn_midnight(valid_from)
    return now


def _effective_for_update(
    uow: UnitOfWork, collection: str, feature_id: int, effective_date: dt.date | None
) -> dt.datetime:
    """When an update takes effect: today → now; a past date → that day (not before the
    current version); a future date is refused."""
    if effective_date is None or effective_date == _today():
        return clock.now()
    if effective_date > _today():
        raise ValidationFailed(
            "Ngày hiệu lực của thay đổi không được ở tương lai.",
            "The effective date of a change cannot be in the future.",
            [FieldError("effective_date", "Ngày ở tương lai", "Date in the future")],
        )
    when = _vn_midnight(effective_date)
    current = uow.session.scalar(
        select(FeatureVersion.valid_from).where(
            FeatureVersion.collection == collection, FeatureVersion.feature_id == feature_id,
            FeatureVersion.valid_to.is_(None))
    )
    if current is not None and when < current:
        raise ValidationFailed(
            f"Ngày hiệu lực {format_date(effective_date)} trước phiên bản hiện tại (từ "
            f"{format_date((current + VN).date())}).",
            f"The effective date {effective_date.isoformat()} precedes the current version "
            f"(valid since {(current + VN).date().isoformat()}).",
            [FieldError("effective_date", "Trước phiên bản hiện tại",
                        "Before the current version")],
        )
    return when


def _geometry(raw: dict[str, Any], kind: str, label: tuple[str, str]) -> BaseGeometry:
    geom = shapely.force_2d(geo.parse_geojson_geometry(raw))
    rules.check_geometry_kind(kind, geom, label[0], label[1])
    return geom


def _geometry_columns(geom: BaseGeometry) -> dict[str, Any]:
    b = geo.bbox(geom)
    return {"geometry": json.dumps(geo.to_geojson(geom, precision=7)), "min_lon": b.min_lon,
            "min_lat": b.min_lat, "max_lon": b.max_lon, "max_lat": b.max_lat}


def _derive_commune(s: Session, geom: BaseGeometry) -> str | None:
    """The commune whose *real* (imported) boundary holds the geometry's representative point.

    Synthetic boundaries are never used to file a record."""
    point = geom.representative_point()
    rows = s.execute(
        select(AdminBoundary.code, AdminBoundary.geometry).where(
            AdminBoundary.level == "commune", AdminBoundary.synthetic.is_(False),
            AdminBoundary.min_lon <= point.x, AdminBoundary.max_lon >= point.x,
            AdminBoundary.min_lat <= point.y, AdminBoundary.max_lat >= point.y)
    ).all()
    for code, text in rows:
        if shape(json.loads(text)).covers(point):
            return str(code)
    return None


def _place(
    uow: UnitOfWork, geom: BaseGeometry, declared: str | None, fallback: str | None = None
) -> tuple[UnitPublic, dict[str, Any] | None]:
    """The commune of a record (derived where real boundaries are known, else declared, else
    ``fallback`` — the record's current commune) and a flag when the declared one contradicts
    the geometry."""
    derived = _derive_commune(uow.session, geom)
    if declared is None and derived is None and fallback is not None:
        declared = fallback
    declared_unit = units.require_commune(uow, declared) if declared else None
    if derived is None and declared_unit is None:
        raise ValidationFailed(
            "Cần mã xã, phường (commune_code): chưa có ranh giới chính thức để xác định xã từ "
            "vị trí.",
            "commune_code is required: no official boundary is known here to derive it from "
            "the location.",
            [FieldError("commune_code", "Bắt buộc", "Required")],
        )
    unit = units.require_commune(uow, derived) if derived else declared_unit
    assert unit is not None
    names = {unit.code: unit.name}
    if declared_unit is not None:
        names[declared_unit.code] = declared_unit.name
    return unit, rules.commune_flag(declared, derived, names)


def _label(kind: str) -> tuple[str, str]:
    return KIND_LABELS.get(kind, (kind, kind))


def _flags_public(flags: Any) -> list[FlagPublic]:
    return [FlagPublic.model_validate(f) for f in (flags or []) if isinstance(f, dict)]


def _feature_fields(row: Any) -> dict[str, Any]:
    return {
        "geometry": json.loads(row.geometry) if row.geometry else None,
        "flags": _flags_public(row.flags),
        "effective_status": rules.effective_status(row.status, row.valid_to, _today()),
        "attributes": row.attributes or {},
    }


def _unit_public(p: Principal, unit: ProductionUnit) -> ProductionUnitPublic:
    data = {c.key: getattr(unit, c.key) for c in sa_inspect(unit).mapper.column_attrs}
    data.update(_feature_fields(unit))
    if not features.may_see_owner(p, data):
        data["farmer_id"] = None
    return ProductionUnitPublic.model_validate(data)


def _infra_public(row: Infrastructure) -> InfrastructurePublic:
    data = {c.key: getattr(row, c.key) for c in sa_inspect(row).mapper.column_attrs}
    data.update(_feature_fields(row))
    return InfrastructurePublic.model_validate(data)


def _soil_public(row: SoilUnit) -> SoilUnitPublic:
    data = {c.key: getattr(row, c.key) for c in sa_inspect(row).mapper.column_attrs}
    data.update(_feature_fields(row))
    return SoilUnitPublic.model_validate(data)


# --- permissions of map features ---------------------------------------------------------------

def can_write_unit(p: Principal, commune_code: str, province_code: str,
                   organisation_id: int | None) -> bool:
    """Officers in their units; a co-operative manager for his co-operative's units."""
    if can_manage_unit(p, commune_code, province_code):
        return True
    return p.role == "coop_manager" and organisation_id is not None \
        and organisation_id == p.organisation_id


def _require_officer(p: Principal, commune_code: str, province_code: str) -> None:
    if not can_manage_unit(p, commune_code, province_code):
        raise deny()


# --- production units ------------------------------------------------------------------------

def _load_unit(s: Session, unit_id: int) -> ProductionUnit:
    unit = s.get(ProductionUnit, unit_id)
    if unit is None or unit.status == "deleted":
        raise not_found("vùng sản xuất", "production unit", unit_id)
    return unit


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


def _check_unit_refs(uow: UnitOfWork, unit: ProductionUnit) -> None:
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


def _check_unit_rules(uow: UnitOfWork, unit: ProductionUnit, geom: BaseGeometry) -> None:
    label = _label(unit.kind)
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


def _apply_geometry(unit: ProductionUnit, geom: BaseGeometry) -> list[dict[str, Any]]:
    for key, value in _geometry_columns(geom).items():
        setattr(unit, key, value)
    unit.area_ha = rules.area_ha(geom)
    found = rules.declared_area_flag(unit.area_ha, unit.declared_area_ha)
    return [found] if found else []


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


def _refresh_overlaps(s: Session, unit_ids: set[int]) -> None:
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
            _load_farmer(uow, farmer_id)  # 404 for those who may not see the farmer
        stmt = select(ProductionUnit).where(ProductionUnit.status != "deleted")
        stmt = _feature_filters(s, stmt, ProductionUnit, kind=kind, commune_code=commune_code,
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
        return Page(items=[_unit_public(uow.principal, u) for u in rows], total=total,
                    limit=page.limit, offset=page.offset)


def _feature_filters(s: Session, stmt: Any, model: Any, *, kind: str | None,
                     commune_code: str | None, status: str | None, q: str | None,
                     bbox: geo.BBox | None) -> Any:
    if kind:
        stmt = stmt.where(model.kind == kind)
    if commune_code:
        stmt = stmt.where(model.commune_code == commune_code)
    if status:
        today = _today()
        if status == "expired":
            stmt = stmt.where(model.status == "active", model.valid_to < today)
        elif status == "active":
            stmt = stmt.where(model.status == "active",
                              or_(model.valid_to.is_(None), model.valid_to >= today))
        else:
            stmt = stmt.where(model.status == status)
    if q:
        folded = fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(or_(model.search_key.like(f"%{folded}%", escape="\\"),
                              func.lower(model.name).contains(q.lower())))
    if bbox is not None:
        stmt = stmt.where(spatial.bbox_filter(model.__table__, features.dialect_of(s), bbox))
    return stmt


def get_production_unit(uow: UnitOfWork, unit_id: int) -> ProductionUnitPublic:
    with uow:
        return _unit_public(uow.principal, _load_unit(uow.session, unit_id))


def create_production_unit(uow: UnitOfWork, data: ProductionUnitCreate) -> ProductionUnitPublic:
    require_login(uow.principal)
    with uow:
        s = uow.session
        geom = _geometry(data.geometry, data.kind, _label(data.kind))
        commune, commune_flag = _place(uow, geom, data.commune_code)
        if not can_write_unit(uow.principal, commune.code, commune.province_code,
                              data.organisation_id):
            raise deny()
        values = data.model_dump(exclude={"geometry", "commune_code"})
        unit = ProductionUnit(**values, commune_code=commune.code,
                              province_code=commune.province_code,
                              search_key=_search_key(data.name, data.code))
        flags = _apply_geometry(unit, geom) + ([commune_flag] if commune_flag else [])
        unit.flags = flags
        _check_unit_refs(uow, unit)
        _check_unit_rules(uow, unit, geom)
        versioning.set_effective(s, _effective_for_create(data.valid_from))
        s.add(unit)
        s.flush()
        if unit.kind == "planting_area":
            _refresh_overlaps(s, {unit.id})
        uow.commit()
        return _unit_public(uow.principal, unit)


def update_production_unit(
    uow: UnitOfWork, unit_id: int, data: ProductionUnitUpdate
) -> ProductionUnitPublic:
    require_login(uow.principal)
    with uow:
        s = uow.session
        unit = _load_unit(s, unit_id)
        p = uow.principal
        if not can_write_unit(p, unit.commune_code, unit.province_code, unit.organisation_id):
            raise deny()
        changes = data.model_dump(exclude_unset=True)
        effective = _effective_for_update(uow, "production_units", unit.id,
                                          changes.pop("effective_date", None))
        versioning.set_effective(uow.session, effective)
        raw_geometry = changes.pop("geometry", None)
        declared = changes.pop("commune_code", None)
        for key, value in changes.items():
            setattr(unit, key, value)
        geom: BaseGeometry | None = None
        if raw_geometry is not None:
            geom = _geometry(raw_geometry, unit.kind, _label(unit.kind))
        elif unit.geometry:
            geom = shape(json.loads(unit.geometry))
        if geom is not None:
            if raw_geometry is not None:
                area_flags = _apply_geometry(unit, geom)
            else:
                found = rules.declared_area_flag(unit.area_ha, unit.declared_area_ha)
                area_flags = [found] if found else []
            if raw_geometry is not None or declared is not None:
                commune, commune_flag = _place(uow, geom, declared, unit.commune_code)
                unit.commune_code, unit.province_code = commune.code, commune.province_code
                unit.flags = rules.replace_flags(unit.flags, {"commune_mismatch"},
                                                 [commune_flag] if commune_flag else [])
            unit.flags = rules.replace_flags(unit.flags, {"declared_area_mismatch"}, area_flags)
            _check_unit_rules(uow, unit, geom)
        if not can_write_unit(p, unit.commune_code, unit.province_code, unit.organisation_id):
            raise deny()
        _check_unit_refs(uow, unit)
        unit.search_key = _search_key(unit.name, unit.code)
        s.flush()
        _refresh_overlaps(s, {unit.id})
        uow.commit()
        return _unit_public(p, unit)


def delete_production_unit(uow: UnitOfWork, unit_id: int) -> None:
    """Retire a unit from the current map (its id and history stay: other domains keep their
    references; "as of" an earlier date it is still shown)."""
    require_login(uow.principal)
    with uow:
        s = uow.session
        unit = _load_unit(s, unit_id)
        if not can_write_unit(uow.principal, unit.commune_code, unit.province_code,
                              unit.organisation_id):
            raise deny()
        versioning.set_effective(s, clock.now())
        unit.status = "deleted"
        s.flush()
        _refresh_overlaps(s, {unit.id})
        uow.commit()


def _history(uow: UnitOfWork, collection: str, feature_id: int,
             hide: Callable[[dict[str, Any]], dict[str, Any]]) -> list[VersionPublic]:
    rows = uow.session.scalars(
        select(FeatureVersion).where(FeatureVersion.collection == collection,
                                     FeatureVersion.feature_id == feature_id)
        .order_by(FeatureVersion.version)
    ).all()
    if not rows:
        raise not_found("đối tượng", "feature", feature_id)
    return [VersionPublic(
        version=r.version, change=r.change, valid_from=r.valid_from, valid_to=r.valid_to,
        recorded_at=r.recorded_at, actor=r.actor if uow.principal.is_authenticated else "",
        name=r.name, code=r.code, commune_code=r.commune_code, status=r.status,
        geometry=json.loads(r.geometry) if r.geometry else None,
        properties=hide(dict(r.properties or {})),
    ) for r in rows]


def production_unit_history(uow: UnitOfWork, unit_id: int) -> list[VersionPublic]:
    """Every version of a unit, oldest first (public; the farmer only for those allowed)."""
    with uow:
        p = uow.principal

        def hide(props: dict[str, Any]) -> dict[str, Any]:
            if not features.may_see_owner(p, props):
                props.pop("farmer_id", None)
            return props

        return _history(uow, "production_units", unit_id, hide)


def organisation_history(uow: UnitOfWork, org_id: int) -> list[VersionPublic]:
    with uow:
        contact = features.may_see_contact(uow.principal)

        def hide(props: dict[str, Any]) -> dict[str, Any]:
            if not contact:
                props.pop("phone", None)
            return props

        return _history(uow, "organisations", org_id, hide)


# --- area rules ------------------------------------------------------------------------------

def area_rules(s: Session) -> dict[str, rules.AreaRule]:
    """The minimum sizes in force: the shipped defaults overridden by the table."""
    merged = dict(rules.default_area_rules())
    for r in s.scalars(select(PlantingAreaRule)):
        merged[r.crop] = rules.AreaRule(r.crop, r.crop_group, r.min_area_ha, r.source)
    return merged


def list_area_rules(uow: UnitOfWork) -> list[AreaRulePublic]:
    with uow:
        custom = set(uow.session.scalars(select(PlantingAreaRule.crop)))
        return [AreaRulePublic(crop=r.crop, crop_group=r.crop_group, min_area_ha=r.min_area_ha,
                               source=r.source, customised=r.crop in custom)
                for r in sorted(area_rules(uow.session).values(), key=lambda r: r.crop)]


def set_area_rule(uow: UnitOfWork, crop: str, data: AreaRuleUpdate) -> AreaRulePublic:
    require_role(uow.principal, "province_officer")
    if not re.fullmatch(r"[a-z][a-z_]{1,49}", crop):
        raise ValidationFailed(f"Mã cây trồng «{crop}» không hợp lệ.", f"Invalid crop '{crop}'.",
                               [FieldError("crop", "Không hợp lệ", "Invalid")])
    with uow:
        row = uow.session.get(PlantingAreaRule, crop)
        if row is None:
            row = PlantingAreaRule(crop=crop, **data.model_dump())
            uow.session.add(row)
        else:
            for key, value in data.model_dump().items():
                setattr(row, key, value)
            row.updated_at = clock.now()
        uow.commit()
        return AreaRulePublic(crop=crop, crop_group=row.crop_group, min_area_ha=row.min_area_ha,
                              source=row.source, customised=True)


# --- infrastructure --------------------------------------------------------------------------

def _load_infra(s: Session, infra_id: int) -> Infrastructure:
    row = s.get(Infrastructure, infra_id)
    if row is None or row.status == "deleted":
        raise not_found("công trình", "infrastructure", infra_id)
    return row


def _check_infra(uow: UnitOfWork, row: Infrastructure) -> None:
    label = _label(row.kind)
    rules.check_validity(row.valid_from, row.valid_to)
    station = row.kind == "monitoring_station"
    rules.check_code(row.code, required=station, label_vi=label[0], label_en=label[1])
    if station and row.subtype is None:
        raise ValidationFailed(
            "Trạm quan trắc phải ghi loại trạm (subtype: salinity, hydrological, weather…).",
            "A monitoring station needs its type (subtype: salinity, hydrological, weather…).",
            [FieldError("subtype", "Bắt buộc", "Required")],
        )
    if not station and row.subtype is not None:
        raise ValidationFailed(
            "Chỉ trạm quan trắc mới có loại trạm (subtype).",
            "Only monitoring stations have a station type (subtype).",
            [FieldError("subtype", "Không dùng cho loại này", "Not for this kind")],
        )
    if row.organisation_id is not None:
        organisation_scope(uow, row.organisation_id)
    if row.code is not None:
        clash = uow.session.scalar(select(Infrastructure.id).where(
            Infrastructure.code == row.code,
            Infrastructure.id != (row.id if row.id is not None else -1)))
        if clash is not None:
            raise Conflict(f"Mã công trình «{row.code}» đã có (#{clash}).",
                           f"Infrastructure code '{row.code}' already exists (#{clash}).",
                           [FieldError("code", "Đã tồn tại", "Already exists")])


def list_infrastructure(
    uow: UnitOfWork, page: PageRequest, kind: str | None = None, subtype: str | None = None,
    commune_code: str | None = None, status: str | None = None, q: str | None = None,
    bbox: geo.BBox | None = None,
) -> Page[InfrastructurePublic]:
    with uow:
        s = uow.session
        stmt = select(Infrastructure).where(Infrastructure.status != "deleted")
        stmt = _feature_filters(s, stmt, Infrastructure, kind=kind, commune_code=commune_code,
                                status=status, q=q, bbox=bbox)
        if subtype:
            stmt = stmt.where(Infrastructure.subtype == subtype)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(Infrastructure.id).limit(page.limit)
                         .offset(page.offset)).all()
        return Page(items=[_infra_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def get_infrastructure(uow: UnitOfWork, infra_id: int) -> InfrastructurePublic:
    with uow:
        return _infra_public(_load_infra(uow.session, infra_id))


def get_station(uow: UnitOfWork, code: str) -> InfrastructurePublic:
    """A monitoring station by its station code (e.g. TV-TANCHAU)."""
    with uow:
        row = uow.session.scalar(select(Infrastructure).where(
            Infrastructure.code == code, Infrastructure.kind == "monitoring_station",
            Infrastructure.status != "deleted"))
        if row is None:
            raise not_found("trạm quan trắc", "monitoring station", code)
        return _infra_public(row)


def create_infrastructure(uow: UnitOfWork, data: InfrastructureCreate) -> InfrastructurePublic:
    require_login(uow.principal)
    with uow:
        s = uow.session
        geom = _geometry(data.geometry, data.kind, _label(data.kind))
        commune, commune_flag = _place(uow, geom, data.commune_code)
        _require_officer(uow.principal, commune.code, commune.province_code)
        row = Infrastructure(**data.model_dump(exclude={"geometry", "commune_code"}),
                             commune_code=commune.code, province_code=commune.province_code,
                             search_key=_search_key(data.name, data.code),
                             **_geometry_columns(geom), length_m=rules.length_m(geom),
                             flags=[commune_flag] if commune_flag else [])
        _check_infra(uow, row)
        versioning.set_effective(s, _effective_for_create(data.valid_from))
        s.add(row)
        uow.commit()
        return _infra_public(row)


def update_infrastructure(
    uow: UnitOfWork, infra_id: int, data: InfrastructureUpdate
) -> InfrastructurePublic:
    require_login(uow.principal)
    with uow:
        s = uow.session
        row = _load_infra(s, infra_id)
        _require_officer(uow.principal, row.commune_code, row.province_code)
        changes = data.model_dump(exclude_unset=True)
        effective = _effective_for_update(uow, "infrastructure", row.id,
                                          changes.pop("effective_date", None))
        versioning.set_effective(uow.session, effective)
        raw_geometry = changes.pop("geometry", None)
        declared = changes.pop("commune_code", None)
        for key, value in changes.items():
            setattr(row, key, value)
        if raw_geometry is not None or declared is not None:
            geom = _geometry(raw_geometry, row.kind, _label(row.kind)) if raw_geometry \
                else shape(json.loads(row.geometry or "null"))
            if raw_geometry is not None:
                for key, value in _geometry_columns(geom).items():
                    setattr(row, key, value)
                row.length_m = rules.length_m(geom)
            commune, commune_flag = _place(uow, geom, declared, row.commune_code)
            row.commune_code, row.province_code = commune.code, commune.province_code
            row.flags = rules.replace_flags(row.flags, {"commune_mismatch"},
                                            [commune_flag] if commune_flag else [])
            _require_officer(uow.principal, row.commune_code, row.province_code)
        _check_infra(uow, row)
        row.search_key = _search_key(row.name, row.code)
        uow.commit()
        return _infra_public(row)


def delete_infrastructure(uow: UnitOfWork, infra_id: int) -> None:
    require_login(uow.principal)
    with uow:
        row = _load_infra(uow.session, infra_id)
        _require_officer(uow.principal, row.commune_code, row.province_code)
        row.status = "deleted"
        uow.commit()


def infrastructure_history(uow: UnitOfWork, infra_id: int) -> list[VersionPublic]:
    with uow:
        return _history(uow, "infrastructure", infra_id, lambda props: props)


# --- soil map units --------------------------------------------------------------------------

def _load_soil(s: Session, soil_id: int) -> SoilUnit:
    row = s.get(SoilUnit, soil_id)
    if row is None or row.status == "deleted":
        raise not_found("đơn vị đất", "soil map unit", soil_id)
    return row


def _check_soil(uow: UnitOfWork, row: SoilUnit) -> None:
    rules.check_validity(row.valid_from, row.valid_to)
    rules.check_code(row.code, required=False, label_vi="Đơn vị đất", label_en="soil map unit")
    if row.code is not None:
        clash = uow.session.scalar(select(SoilUnit.id).where(
            SoilUnit.code == row.code, SoilUnit.id != (row.id if row.id is not None else -1)))
        if clash is not None:
            raise Conflict(f"Mã đơn vị đất «{row.code}» đã có (#{clash}).",
                           f"Soil unit code '{row.code}' already exists (#{clash}).",
                           [FieldError("code", "Đã tồn tại", "Already exists")])


def list_soil_units(
    uow: UnitOfWork, page: PageRequest, soil_type: str | None = None,
    salinity_class: str | None = None, commune_code: str | None = None, q: str | None = None,
    bbox: geo.BBox | None = None,
) -> Page[SoilUnitPublic]:
    with uow:
        s = uow.session
        stmt = select(SoilUnit).where(SoilUnit.status != "deleted")
        stmt = _feature_filters(s, stmt, SoilUnit, kind=None, commune_code=commune_code,
                                status=None, q=q, bbox=bbox)
        if soil_type:
            stmt = stmt.where(SoilUnit.soil_type == soil_type)
        if salinity_class:
            stmt = stmt.where(SoilUnit.salinity_class == salinity_class)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(SoilUnit.id).limit(page.limit).offset(page.offset)).all()
        return Page(items=[_soil_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def get_soil_unit(uow: UnitOfWork, soil_id: int) -> SoilUnitPublic:
    with uow:
        return _soil_public(_load_soil(uow.session, soil_id))


def create_soil_unit(uow: UnitOfWork, data: SoilUnitCreate) -> SoilUnitPublic:
    require_login(uow.principal)
    with uow:
        s = uow.session
        geom = _geometry(data.geometry, "soil_unit", _label("soil_unit"))
        commune, commune_flag = _place(uow, geom, data.commune_code)
        _require_officer(uow.principal, commune.code, commune.province_code)
        row = SoilUnit(**data.model_dump(exclude={"geometry", "commune_code"}),
                       commune_code=commune.code, province_code=commune.province_code,
                       search_key=_search_key(data.name, data.code), **_geometry_columns(geom),
                       area_ha=rules.area_ha(geom), flags=[commune_flag] if commune_flag else [])
        _check_soil(uow, row)
        versioning.set_effective(s, _effective_for_create(data.valid_from))
        s.add(row)
        uow.commit()
        return _soil_public(row)


def update_soil_unit(uow: UnitOfWork, soil_id: int, data: SoilUnitUpdate) -> SoilUnitPublic:
    require_login(uow.principal)
    with uow:
        s = uow.session
        row = _load_soil(s, soil_id)
        _require_officer(uow.principal, row.commune_code, row.province_code)
        changes = data.model_dump(exclude_unset=True)
        effective = _effective_for_update(uow, "soil_units", row.id,
                                          changes.pop("effective_date", None))
        versioning.set_effective(uow.session, effective)
        raw_geometry = changes.pop("geometry", None)
        declared = changes.pop("commune_code", None)
        for key, value in changes.items():
            setattr(row, key, value)
        if raw_geometry is not None or declared is not None:
            geom = _geometry(raw_geometry, "soil_unit", _label("soil_unit")) if raw_geometry \
                else shape(json.loads(row.geometry or "null"))
            if raw_geometry is not None:
                for key, value in _geometry_columns(geom).items():
                    setattr(row, key, value)
                row.area_ha = rules.area_ha(geom)
            commune, commune_flag = _place(uow, geom, declared, row.commune_code)
            row.commune_code, row.province_code = commune.code, commune.province_code
            row.flags = rules.replace_flags(row.flags, {"commune_mismatch"},
                                            [commune_flag] if commune_flag else [])
            _require_officer(uow.principal, row.commune_code, row.province_code)
        _check_soil(uow, row)
        row.search_key = _search_key(row.name, row.code)
        uow.commit()
        return _soil_public(row)


def delete_soil_unit(uow: UnitOfWork, soil_id: int) -> None:
    require_login(uow.principal)
    with uow:
        row = _load_soil(uow.session, soil_id)
        _require_officer(uow.principal, row.commune_code, row.province_code)
        row.status = "deleted"
        uow.commit()


def soil_unit_history(uow: UnitOfWork, soil_id: int) -> list[VersionPublic]:
    with uow:
        return _history(uow, "soil_units", soil_id, lambda props: props)


# --- features for other domains, the OGC API and the map ------------------------------------

def get_feature(uow: UnitOfWork, collection: str, feature_id: int,
                as_of: dt.datetime | None = None) -> FeaturePublic:
    """One feature of a collection, public properties (``as_of``: as it was then)."""
    coll = features.get_collection(collection)
    with uow:
        found = features.get(uow, coll, feature_id, as_of)
        if found is None:
            raise not_found("đối tượng", "feature", feature_id)
        return _feature_public(coll.id, found)


def _feature_public(collection: str, f: features.FeatureRecord) -> FeaturePublic:
    return FeaturePublic(id=f.id, collection=collection, geometry=f.geometry,
                         properties=f.properties, bbox=list(f.bbox) if f.bbox else None)


def query_features(uow: UnitOfWork, collection: str,
                   q: features.FeatureQuery) -> features.FeaturePage:
    """A page of a collection's features (the OGC API items and the exports)."""
    coll = features.get_collection(collection)
    with uow:
        return features.query(uow, coll, q)


def collection_extent(
    uow: UnitOfWork, collection: str
) -> tuple[geo.BBox | None, tuple[dt.date | None, dt.date | None]]:
    coll = features.get_collection(collection)
    with uow:
        return features.extent(uow, coll)


def _box_around(lon: float, lat: float, radius_m: float) -> geo.BBox:
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return geo.BBox(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def _check_point(lon: float, lat: float, radius_m: float) -> None:
    if not geo.in_vietnam_extent(lon, lat):
        raise ValidationFailed(
            f"Điểm [{lon}, {lat}] nằm ngoài Việt Nam (thứ tự: kinh độ, vĩ độ).",
            f"Point [{lon}, {lat}] is outside Vietnam (order: longitude, latitude).",
            [FieldError("lon", "Ngoài Việt Nam", "Outside Vietnam")],
        )
    if not 0 < radius_m <= 100_000:
        raise ValidationFailed(
            "Bán kính phải từ 1 m đến 100 km.", "The radius must be between 1 m and 100 km.",
            [FieldError("radius_m", "Ngoài khoảng cho phép", "Out of range")],
        )


def _distance_m(origin: BaseGeometry, geometry: dict[str, Any] | None) -> float | None:
    if geometry is None:
        return None
    projected = geo.project(shape(geometry), rules.AREA_CRS)
    return float(origin.distance(projected))


def _ref(collection: str, f: features.FeatureRecord, distance: float | None) -> FeatureRef:
    point = shape(f.geometry).representative_point() if f.geometry else None
    props = f.properties
    return FeatureRef(
        collection=collection, id=f.id, kind=props.get("kind") or props.get("soil_type"),
        name=props.get("name"), code=props.get("code"), commune_code=props.get("commune_code"),
        crop=props.get("crop"), lon=round(point.x, 7) if point else None,
        lat=round(point.y, 7) if point else None,
        distance_m=round(distance, 1) if distance is not None else None,
    )


def _scan(uow: UnitOfWork, coll: features.Collection, q: features.FeatureQuery,
          limit: int) -> list[features.FeatureRecord]:
    found: list[features.FeatureRecord] = []
    after = None
    while len(found) < limit:
        page = features.query(uow, coll, replace(q, after=after, limit=min(500, limit)))
        found.extend(page.features)
        if page.next_after is None:
            break
        after = page.next_after
    return found[:limit]


def features_near(
    uow: UnitOfWork, lon: float, lat: float, radius_m: float,
    collections: Sequence[str] = ("production_units",), kinds: Sequence[str] = (),
    limit: int = 1000,
) -> list[FeatureRef]:
    """Features within ``radius_m`` metres of a point (lon/lat), nearest first."""
    _check_point(lon, lat, radius_m)
    origin = geo.project(Point(lon, lat), rules.AREA_CRS)
    box = _box_around(lon, lat, radius_m)
    out: list[FeatureRef] = []
    with uow:
        for name in collections:
            coll = features.get_collection(name)
            q = features.FeatureQuery(bbox=box, kinds=tuple(kinds))
            for f in _scan(uow, coll, q, limit * 4):
                distance = _distance_m(origin, f.geometry)
                if distance is not None and distance <= radius_m:
                    out.append(_ref(coll.id, f, distance))
    out.sort(key=lambda r: (r.distance_m or 0.0, r.collection, r.id))
    return out[:limit]


def features_in_commune(
    uow: UnitOfWork, commune_code: str, collections: Sequence[str] = ("production_units",),
    kinds: Sequence[str] = (), limit: int = 10_000,
) -> list[FeatureRef]:
    """The features registered in a commune."""
    units.require_commune(uow, commune_code)
    out: list[FeatureRef] = []
    with uow:
        for name in collections:
            coll = features.get_collection(name)
            q = features.FeatureQuery(commune_code=commune_code, kinds=tuple(kinds))
            out.extend(_ref(coll.id, f, None) for f in _scan(uow, coll, q, limit - len(out)))
            if len(out) >= limit:
                break
    return out


def communes_near(
    uow: UnitOfWork, lon: float, lat: float, radius_m: float,
    province_codes: Sequence[str] | None = None,
) -> list[CommuneRef]:
    """Communes within ``radius_m`` of a point (0 m: the commune it lies in), nearest first.

    Distances are to the boundaries on the map (real ones, else the synthetic demo ones — said
    in ``boundary``); a commune without any boundary is measured from its official centre point.
    ``province_codes``: where to look for communes without boundaries (default: this
    installation's province).
    """
    _check_point(lon, lat, radius_m)
    origin = geo.project(Point(lon, lat), rules.AREA_CRS)
    box = _box_around(lon, lat, radius_m)
    found: dict[str, CommuneRef] = {}
    with uow:
        s = uow.session
        rows = s.scalars(select(AdminBoundary).where(
            AdminBoundary.level == "commune", AdminBoundary.min_lon <= box.max_lon,
            AdminBoundary.max_lon >= box.min_lon, AdminBoundary.min_lat <= box.max_lat,
            AdminBoundary.max_lat >= box.min_lat)).all()
        for b in rows:
            geometry = geo.project(shape(json.loads(b.geometry)), rules.AREA_CRS)
            distance = float(origin.distance(geometry))
            if distance <= radius_m:
                found[b.code] = CommuneRef(
                    code=b.code, name=b.name, province_code=b.province_code,
                    distance_m=round(distance, 1), boundary="synthetic" if b.synthetic else "real")
        provinces = list(province_codes or (get_settings().province_code,))
        with_boundary = set(s.scalars(select(AdminBoundary.code).where(
            AdminBoundary.level == "commune", AdminBoundary.province_code.in_(provinces))))
        for province in provinces:
            for c in units.communes_of_province(uow, province):
                if c.code in with_boundary or c.lon is None or c.lat is None:
                    continue
                centre = geo.project(Point(c.lon, c.lat), rules.AREA_CRS)
                distance = float(origin.distance(centre))
                if distance <= radius_m:
                    found[c.code] = CommuneRef(code=c.code, name=c.name,
                                               province_code=c.province_code,
                                               distance_m=round(distance, 1), boundary="none")
    return sorted(found.values(), key=lambda r: (r.distance_m, r.code))


# --- fields and stations for other domains (monitoring, alerts) -----------------------------

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


LinkFinder = Callable[[UnitOfWork, int], list[LinkedRecord]]
_sensor_finders: list[LinkFinder] = []


def register_sensor_finder(finder: LinkFinder) -> None:
    """How another domain finds its sensors linked to an infrastructure record (monitoring's
    Things with that ``registryFeatureId``). Called by :mod:`nongso.wiring` only, so that the
    registry never reads (nor imports) the monitoring domain."""
    if finder not in _sensor_finders:
        _sensor_finders.append(finder)


def linked_sensors(uow: UnitOfWork, infra_id: int) -> list[LinkedRecord]:
    """The sensor stations linked to this infrastructure record (that the caller may see)."""
    out: list[LinkedRecord] = []
    for finder in _sensor_finders:
        out.extend(finder(uow, infra_id))
    return out


def infrastructure_detail(uow: UnitOfWork, row: InfrastructurePublic) -> InfrastructureDetail:
    """An infrastructure record with its linked sensors (what the API answers for one
    record: read, created or changed)."""
    return InfrastructureDetail(**row.model_dump(), sensors=linked_sensors(uow, row.id))


def get_infrastructure_detail(uow: UnitOfWork, infra_id: int) -> InfrastructureDetail:
    """One infrastructure record with its linked sensors."""
    with uow:
        return infrastructure_detail(uow, get_infrastructure(uow, infra_id))


# --- boundaries --------------------------------------------------------------------------------

def synthesize_boundaries(uow: UnitOfWork, province_code: str) -> BoundarySummary:
    """Create synthetic commune boundaries and a province outline where none exist yet."""
    require_role(uow.principal, "province_officer")
    with uow:
        s = uow.session
        province = units.require_scope_unit(uow, province_code, "province_code")
        if uow.principal.role == "province_officer" and uow.principal.unit_code != province.code:
            raise deny()
        communes = [c for c in units.communes_of_province(uow, province.code)
                    if c.lat is not None and c.lon is not None]
        points = [boundaries.CommunePoint(c.code, c.name, float(c.lon or 0), float(c.lat or 0),
                                          c.area_km2) for c in communes]
        shapes = boundaries.synthesize(province.code, province.name, points)
        existing = set(s.execute(select(AdminBoundary.level, AdminBoundary.code).where(
            AdminBoundary.province_code == province.code)))
        for b in shapes:
            if (b.level, b.code) in existing:
                continue
            s.add(AdminBoundary(level=b.level, code=b.code, name=b.name,
                                province_code=province.code, **_boundary_columns(b.geometry),
                                area_km2=b.area_km2, official_area_km2=b.official_area_km2,
                                synthetic=True, source=boundaries.SYNTHETIC_SOURCE))
        uow.commit()
        return _boundary_summary(s, province.code)


def _boundary_columns(geom: BaseGeometry) -> dict[str, Any]:
    b = geo.bbox(geom)
    return {"geometry": json.dumps(geo.to_geojson(geom, precision=6)), "min_lon": b.min_lon,
            "min_lat": b.min_lat, "max_lon": b.max_lon, "max_lat": b.max_lat}


def _boundary_summary(s: Session, province_code: str) -> BoundarySummary:
    rows = s.execute(select(AdminBoundary.synthetic, func.count()).where(
        AdminBoundary.province_code == province_code, AdminBoundary.level == "commune")
        .group_by(AdminBoundary.synthetic)).all()
    counts = {bool(k): int(n) for k, n in rows}
    return BoundarySummary(province_code=province_code,
                           communes=counts.get(True, 0) + counts.get(False, 0),
                           synthetic=counts.get(True, 0), real=counts.get(False, 0))


def import_boundaries(
    uow: UnitOfWork, province_code: str, filename: str, data: bytes, source: str,
    lang: str = "vi",
) -> ImportReport:
    """Real commune boundaries from a file (GeoJSON, KML, zipped Shapefile…): each feature is
    matched to an official commune by a code attribute or its name; a file with any row that
    cannot be matched or read imports nothing."""
    require_role(uow.principal, "province_officer")
    with uow:
        s = uow.session
        province = units.require_scope_unit(uow, province_code, "province_code")
        if uow.principal.role == "province_officer" and uow.principal.unit_code != province.code:
            raise deny()
        result = importers.import_file(filename, data)
        communes = units.communes_of_province(uow, province.code)
        by_code = {c.code: c.name for c in communes}
        by_name = {boundaries._strip_type(c.name): c.code for c in communes}
        errors = [_row_error(e.row, e.field, e.message_vi, e.message_en) for e in result.errors]
        matched: dict[str, tuple[int, BaseGeometry]] = {}
        for f in result.features:
            code = boundaries.match_commune(f.properties, by_code, by_name)
            if code is None:
                errors.append(_row_error(f.row, None,
                                         "không khớp mã hoặc tên xã nào của tỉnh.",
                                         "matches no commune code or name of the province."))
            elif f.geometry.geom_type not in rules.POLYGONAL:
                errors.append(_row_error(f.row, "geometry", "ranh giới phải là đa giác.",
                                         "a boundary must be a polygon."))
            elif code in matched:
                errors.append(_row_error(f.row, None, f"xã {code} đã có ở dòng "
                                         f"{matched[code][0]}.",
                                         f"commune {code} already given on row "
                                         f"{matched[code][0]}."))
            else:
                matched[code] = (f.row, f.geometry)
        report_errors = [e.as_row(lang) for e in errors]
        if errors:
            raise ImportRefused(report_errors, "admin_boundaries", result.format,
                                len(result.features) + len(result.errors))
        for code, (_, geom) in matched.items():
            row = s.scalar(select(AdminBoundary).where(AdminBoundary.level == "commune",
                                                       AdminBoundary.code == code))
            commune = next(c for c in communes if c.code == code)
            values = dict(name=commune.name, province_code=province.code,
                          **_boundary_columns(geom),
                          area_km2=round(geo.area_ha(geom, crs=rules.AREA_CRS) / 100, 2),
                          official_area_km2=commune.area_km2, synthetic=False,
                          source=source[:300], updated_at=clock.now())
            if row is None:
                s.add(AdminBoundary(level="commune", code=code, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
        audit.record(s, "import", "admin_boundaries", province.code,
                     {"file": filename, "communes": len(matched)})
        uow.commit()
        return ImportReport(format=result.format, collection="admin_boundaries",
                            rows=len(result.features), valid=len(matched),
                            imported=len(matched), errors=[], ids=[], dry_run=False)


def boundaries_geojson(uow: UnitOfWork, province_code: str) -> dict[str, Any]:
    """The province outline and its communes as one GeoJSON FeatureCollection (the basemap)."""
    with uow:
        rows = uow.session.scalars(select(AdminBoundary).where(
            AdminBoundary.province_code == province_code).order_by(AdminBoundary.level.desc(),
                                                                   AdminBoundary.code)).all()
        return {"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": f"{b.level}-{b.code}",
            "geometry": json.loads(b.geometry),
            "properties": {"level": b.level, "code": b.code, "name": b.name,
                           "synthetic": b.synthetic, "area_km2": b.area_km2,
                           "official_area_km2": b.official_area_km2},
        } for b in rows]}


# --- imports -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _RowErr:
    row: int
    field: str | None
    message_vi: str
    message_en: str

    def as_row(self, lang: str) -> ImportRowError:
        prefix_vi = f"Dòng {self.row}: " if not self.message_vi.startswith("Dòng") else ""
        prefix_en = f"Row {self.row}: " if not self.message_en.startswith(("Row", "Line")) \
            else ""
        return ImportRowError(row=self.row, field=self.field,
                              message=(prefix_vi + self.message_vi) if lang == "vi"
                              else (prefix_en + self.message_en))


def _row_error(row: int, field: str | None, vi: str, en: str) -> _RowErr:
    return _RowErr(row, field, vi, en)


class ImportRefused(ValidationFailed):
    """A file with bad rows: nothing was stored; the report lists every row's problem."""

    code = "import-refused"

    def __init__(self, errors: list[ImportRowError], collection: str, fmt: str,
                 rows: int) -> None:
        n = len(errors)
        super().__init__(
            f"Tệp có {n} dòng lỗi nên không nhập gì. Sửa các dòng lỗi, hoặc chọn «chỉ nhập các "
            "dòng hợp lệ».",
            f"The file has {n} row(s) with errors, so nothing was imported. Fix them, or choose "
            "'import only the valid rows'.",
            [FieldError(f"rows/{e.row}" + (f"/{e.field}" if e.field else ""), e.message,
                        e.message) for e in errors],
            extra={"collection": collection, "format": fmt, "rows": rows},
        )


_IMPORT_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "ten", "ten vung", "ten thua", "ten cong trinh", "ten tram", "ten don vi"),
    "code": ("code", "ma", "ma so", "ma so vung trong", "ma vung trong", "msvt", "ma tram",
             "ma cong trinh"),
    "kind": ("kind", "loai", "type"),
    "commune_code": ("commune code", "commune_code", "ma xa", "ma phuong xa", "ma dvhc"),
    "crop": ("crop", "cay trong", "cay trong chinh"),
    "variety": ("variety", "giong"),
    "species": ("species", "loai nuoi", "vat nuoi"),
    "head_count": ("head count", "so con", "quy mo (con)"),
    "water_surface_ha": ("water surface ha", "dien tich mat nuoc", "dien tich mat nuoc (ha)"),
    "declared_area_ha": ("declared area ha", "area ha", "area", "dien tich", "dien tich (ha)",
                         "dien tich ha", "dien tich ke khai"),
    "export_market": ("export market", "thi truong", "thi truong xuat khau"),
    "valid_from": ("valid from", "ngay cap", "hieu luc tu", "tu ngay"),
    "valid_to": ("valid to", "ngay het han", "het han", "hieu luc den", "den ngay"),
    "organisation_code": ("organisation code", "ma htx", "ma to chuc", "ma doanh nghiep"),
    "subtype": ("subtype", "loai tram"),
    "river": ("river", "song", "song kenh"),
    "soil_type": ("soil type", "loai dat"),
    "ph": ("ph",),
    "organic_matter_pct": ("organic matter pct", "om", "chat huu co", "chat huu co (%)"),
    "salinity_class": ("salinity class", "cap man"),
    "source": ("source", "nguon"),
    "status": ("status", "trang thai"),
}
_NUMBER_FIELDS = {"declared_area_ha", "water_surface_ha", "ph", "organic_matter_pct"}
_INT_FIELDS = {"head_count"}
_DATE_FIELDS = {"valid_from", "valid_to"}
_FIELDS_BY_COLLECTION: dict[str, set[str]] = {
    "production_units": {"name", "code", "kind", "commune_code", "crop", "variety", "species",
                         "head_count", "water_surface_ha", "declared_area_ha", "export_market",
                         "valid_from", "valid_to", "organisation_code", "status"},
    "infrastructure": {"name", "code", "kind", "commune_code", "subtype", "river", "valid_from",
                       "valid_to", "organisation_code", "status"},
    "soil_units": {"name", "code", "commune_code", "soil_type", "ph", "organic_matter_pct",
                   "salinity_class", "source", "valid_from", "valid_to", "status"},
}


def _alias_key(name: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", fold(name)).split())


_ALIAS_LOOKUP = {alias: field for field, aliases in _IMPORT_ALIASES.items() for alias in aliases}
_CROP_LOOKUP = {**{fold(vi): code for code, (vi, en) in CROP_LABELS.items()},
                **{fold(en): code for code, (vi, en) in CROP_LABELS.items()},
                **{code: code for code in CROP_LABELS}}
_KIND_LOOKUP = {**{fold(vi): code for code, (vi, en) in KIND_LABELS.items()},
                **{fold(en): code for code, (vi, en) in KIND_LABELS.items()},
                **{code: code for code in KIND_LABELS}}


def _import_value(field: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field in _NUMBER_FIELDS:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return float(str(value).strip().replace(",", "."))
    if field in _INT_FIELDS:
        return int(float(str(value).strip().replace(",", ".")))
    if field in _DATE_FIELDS:
        text = str(value).strip()[:10]
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            d, m, y = (int(x) for x in text.split("/"))
            return dt.date(y, m, d)
        return dt.date.fromisoformat(text)
    if field in ("crop", "species"):
        return _CROP_LOOKUP.get(fold(str(value)), str(value).strip())
    if field == "kind":
        return _KIND_LOOKUP.get(fold(str(value)), str(value).strip())
    if field == "commune_code":
        text = str(value).strip()
        return text.split(".")[0].zfill(5) if text.replace(".", "").isdigit() else text
    return str(value).strip()


def _map_properties(collection: str, props: dict[str, Any]
                    ) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, str]]]:
    """File properties → (schema fields, other attributes, problems (field, vi, en))."""
    allowed = _FIELDS_BY_COLLECTION[collection]
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    problems: list[tuple[str, str, str]] = []
    for key, value in props.items():
        field = _ALIAS_LOOKUP.get(_alias_key(str(key)))
        if field is None or field not in allowed:
            if value is not None and len(extra) < 40:
                extra[str(key)[:60]] = value if isinstance(value, int | float | bool) \
                    else str(value)[:500]
            continue
        try:
            converted = _import_value(field, value)
        except (ValueError, TypeError):
            problems.append((key, f"giá trị «{str(value)[:40]}» không hợp lệ.",
                             f"invalid value '{str(value)[:40]}'."))
            continue
        if converted is not None:
            fields[field] = converted
    return fields, extra, problems


def import_features(
    uow: UnitOfWork, collection: str, filename: str, data: bytes, *, kind: str | None = None,
    only_valid: bool = False, dry_run: bool = False, lang: str = "vi",
) -> ImportReport:
    """Import production units, infrastructure or soil units from a file.

    Every row goes through the same rules as one created through the API. A file with any bad
    row imports nothing (:class:`ImportRefused`, the report lists every bad row) unless
    ``only_valid``; ``dry_run`` checks and reports without storing."""
    require_login(uow.principal)
    if collection not in _FIELDS_BY_COLLECTION:
        raise ValidationFailed(
            f"Không nhập được vào tập «{collection}» (chỉ production_units, infrastructure, "
            "soil_units).",
            f"Cannot import into '{collection}' (only production_units, infrastructure, "
            "soil_units).", [FieldError("collection", "Không hỗ trợ", "Not supported")])
    result = importers.import_file(filename, data)
    errors: list[_RowErr] = [_row_error(e.row, e.field, e.message_vi, e.message_en)
                             for e in result.errors]
    ids: list[int] = []
    valid = 0
    with uow:
        s = uow.session
        org_codes: dict[str, int] = {}
        codes = {str(f.properties.get(k)) for f in result.features for k in f.properties
                 if _ALIAS_LOOKUP.get(_alias_key(str(k))) == "organisation_code"}
        if codes:
            org_codes = dict(s.execute(select(Organisation.code, Organisation.id).where(
                Organisation.code.in_(sorted(codes)))).all())  # type: ignore[arg-type]
        seen_codes: dict[str, int] = {}
        for f in result.features:
            fields, extra, problems = _map_properties(collection, f.properties)
            for field, vi, en in problems:
                errors.append(_row_error(f.row, field, vi, en))
            if problems:
                continue
            if kind is not None and "kind" not in fields:
                fields["kind"] = kind
            if collection == "soil_units":
                fields.pop("kind", None)
            org_code = fields.pop("organisation_code", None)
            if org_code is not None:
                if org_code not in org_codes:
                    errors.append(_row_error(f.row, "organisation_code",
                                             f"không có tổ chức mã «{org_code}».",
                                             f"no organisation has the code '{org_code}'."))
                    continue
                fields["organisation_id"] = org_codes[org_code]
            code = fields.get("code")
            if code and code in seen_codes:
                errors.append(_row_error(f.row, "code", f"mã «{code}» trùng với dòng "
                                         f"{seen_codes[code]}.",
                                         f"code '{code}' repeats row {seen_codes[code]}."))
                continue
            fields["geometry"] = geo.to_geojson(f.geometry)
            fields["attributes"] = extra
            try:
                with s.begin_nested():
                    created = _create_from_import(uow, collection, fields)
                    if dry_run or (errors and not only_valid):
                        raise _Rollback
                    ids.append(created)
            except _Rollback:
                pass
            except PydanticValidationError as exc:
                for err in exc.errors()[:5]:
                    loc = ".".join(str(x) for x in err.get("loc", ()))
                    errors.append(_row_error(f.row, loc or None, f"{loc}: {err.get('msg')}",
                                             f"{loc}: {err.get('msg')}"))
                continue
            except AppError as exc:
                errors.append(_row_error(f.row, exc.errors[0].loc if exc.errors else None,
                                         exc.message_vi, exc.message_en))
                continue
            valid += 1
            if code:
                seen_codes[code] = f.row
        report_errors = sorted((e.as_row(lang) for e in errors), key=lambda e: e.row)
        rows = len(result.features) + len(result.errors)
        if errors and not only_valid and not dry_run:
            raise ImportRefused(report_errors, collection, result.format, rows)
        if dry_run or not ids:
            uow.rollback()
            return ImportReport(format=result.format, collection=collection, rows=rows,
                                valid=valid, imported=0, errors=report_errors, ids=[],
                                dry_run=dry_run)
        audit.record(s, "import", collection, filename[:100],
                     {"rows": rows, "imported": len(ids), "errors": len(errors)})
        uow.commit()
        return ImportReport(format=result.format, collection=collection, rows=rows,
                            valid=valid, imported=len(ids), errors=report_errors, ids=ids,
                            dry_run=False)


class _Rollback(Exception):
    pass


def _create_from_import(uow: UnitOfWork, collection: str, fields: dict[str, Any]) -> int:
    if collection == "production_units":
        return create_production_unit(uow, ProductionUnitCreate.model_validate(fields)).id
    if collection == "infrastructure":
        return create_infrastructure(uow, InfrastructureCreate.model_validate(fields)).id
    return create_soil_unit(uow, SoilUnitCreate.model_validate(fields)).id


# --- exports -----------------------------------------------------------------------------------

EXPORT_LIMIT = 200_000


def export_features(uow: UnitOfWork, collection: str, fmt: str,
                    q: features.FeatureQuery) -> exports.ExportFile:
    """A collection's (filtered) features as GeoJSON, CSV or Excel (public properties)."""
    coll = features.get_collection(collection)
    with uow:
        records = _scan(uow, coll, replace(q, limit=500), EXPORT_LIMIT)
        return exports.features_file(coll.id, fmt, records)


def export_planting_areas(
    uow: UnitOfWork, fmt: str, commune_code: str | None = None, crop: str | None = None,
    status: str | None = None, lang: str = "vi",
) -> exports.ExportFile:
    """The planting-area-code list in the plant protection office's layout."""
    with uow:
        q = features.FeatureQuery(commune_code=commune_code, crop=crop, status=status)
        records = _scan(uow, features.PLANTING_AREAS, replace(q, limit=500), EXPORT_LIMIT)
        farmer_names: dict[int, str] = {}
        ids = {int(r.properties["farmer_id"]) for r in records if r.properties.get("farmer_id")}
        if ids:
            farmer_names = dict(uow.session.execute(select(Farmer.id, Farmer.full_name).where(
                Farmer.id.in_(sorted(ids)))).all())
        return exports.planting_area_list(fmt, records, farmer_names, lang)


# --- the map -----------------------------------------------------------------------------------

MAP_LAYERS = ("production_units", "planting_areas", "organisations", "businesses",
              "infrastructure", "soil_units")
MAP_FEATURE_LIMIT = 1500
MAP_POLYGON_ZOOM = 12
_MAP_KEYS = ("kind", "subtype", "name", "code", "crop", "status", "soil_type", "salinity_class",
             "flags", "commune_code", "licence_status")


def map_data(
    uow: UnitOfWork, bbox: geo.BBox, zoom: int, layers: Sequence[str],
    q: features.FeatureQuery,
) -> MapData:
    """What the map shows in a view: features where few enough, else counts per grid cell."""
    if not 0 <= zoom <= 22:
        raise ValidationFailed("zoom phải từ 0 đến 22.", "zoom must be between 0 and 22.",
                               [FieldError("zoom", "Ngoài khoảng", "Out of range")])
    out: list[MapLayer] = []
    with uow:
        for name in layers:
            coll = features.get_collection(name)
            if name not in MAP_LAYERS:
                raise ValidationFailed(f"Lớp «{name}» không có trên bản đồ.",
                                       f"Layer '{name}' is not on the map.",
                                       [FieldError("layers", "Không có", "Unknown layer")])
            layer_q = replace(q, bbox=bbox, limit=MAP_FEATURE_LIMIT, after=None)
            points = coll.geometry_format == "geometry-point"
            if points or zoom >= MAP_POLYGON_ZOOM:
                page = features.query(uow, coll, layer_q)
                if page.next_after is None:
                    out.append(MapLayer(collection=name, mode="features", total=len(page.features),
                                        features=[_map_feature(name, f) for f in page.features]))
                    continue
            cell = 360.0 / (2 ** zoom) / 4
            found = features.clusters(uow, coll, layer_q, cell)
            out.append(MapLayer(collection=name, mode="clusters", total=sum(c.count for c in found),
                                clusters=[MapCluster(lon=round(c.lon, 6), lat=round(c.lat, 6),
                                                     count=c.count) for c in found]))
    return MapData(bbox=list(bbox), zoom=zoom, as_of=q.as_of, layers=out)


def _map_feature(collection: str, f: features.FeatureRecord) -> FeaturePublic:
    props = {k: f.properties[k] for k in _MAP_KEYS if f.properties.get(k) not in (None, [], "")}
    geometry = geo.to_geojson(shape(f.geometry), precision=6) if f.geometry else None
    return FeaturePublic(id=f.id, collection=collection, geometry=geometry, properties=props)


def commune_unit_totals(uow: UnitOfWork, province_code: str) -> list[CommuneUnitTotal]:
    """The province's active production units (in force today) by commune, kind and crop:
    counts and area (aggregates only, public)."""
    today = _today()
    with uow:
        rows = uow.session.execute(
            select(ProductionUnit.commune_code, ProductionUnit.kind, ProductionUnit.crop,
                   func.count(), func.sum(ProductionUnit.area_ha))
            .where(ProductionUnit.province_code == province_code,
                   ProductionUnit.status == "active",
                   or_(ProductionUnit.valid_to.is_(None), ProductionUnit.valid_to >= today))
            .group_by(ProductionUnit.commune_code, ProductionUnit.kind, ProductionUnit.crop)
            .order_by(ProductionUnit.commune_code, ProductionUnit.kind, ProductionUnit.crop)
        ).all()
    return [CommuneUnitTotal(commune_code=c, kind=k, crop=crop, units=int(n),
                             area_ha=round(float(a or 0), 4)) for c, k, crop, n, a in rows]
