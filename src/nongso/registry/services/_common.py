"""What the registry's use cases share: who may manage what, the effective time of a change,
geometry columns, the commune of a record, and the public fields of a map feature."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.i18n import fold, format_date
from nongso.core.permissions import Principal, deny
from nongso.core.uow import UnitOfWork
from nongso.registry import features, geo, rules, spatial
from nongso.registry.messages import KIND_LABELS
from nongso.registry.models import AdminBoundary, Farmer, FeatureVersion
from nongso.registry.schemas import FlagPublic
from nongso.units import services as units
from nongso.units.schemas import UnitPublic

VN = dt.timedelta(hours=7)


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


def can_write_unit(p: Principal, commune_code: str, province_code: str,
                   organisation_id: int | None) -> bool:
    """Officers in their units; a co-operative manager for his co-operative's units."""
    if can_manage_unit(p, commune_code, province_code):
        return True
    return p.role == "coop_manager" and organisation_id is not None \
        and organisation_id == p.organisation_id


def officer_only(p: Principal, commune_code: str, province_code: str,
                 organisation_id: int | None) -> bool:
    """Only officers covering the unit (the organisation does not matter)."""
    return can_manage_unit(p, commune_code, province_code)


def require_officer(p: Principal, commune_code: str, province_code: str) -> None:
    if not can_manage_unit(p, commune_code, province_code):
        raise deny()


# --- time -------------------------------------------------------------------------------------

def today() -> dt.date:
    return (clock.now() + VN).date()


def vn_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone(VN)).astimezone(dt.UTC)


def effective_for_create(valid_from: dt.date | None) -> dt.datetime:
    """A record valid since a past date is shown "as of" that date; else from now."""
    now = clock.now()
    if valid_from is not None and valid_from < today():
        return vn_midnight(valid_from)
    return now


def effective_for_update(
    uow: UnitOfWork, collection: str, feature_id: int, effective_date: dt.date | None
) -> dt.datetime:
    """When an update takes effect: today → now; a past date → that day (not before the
    current version); a future date is refused."""
    if effective_date is None or effective_date == today():
        return clock.now()
    if effective_date > today():
        raise ValidationFailed(
            "Ngày hiệu lực của thay đổi không được ở tương lai.",
            "The effective date of a change cannot be in the future.",
            [FieldError("effective_date", "Ngày ở tương lai", "Date in the future")],
        )
    when = vn_midnight(effective_date)
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


# --- names, geometry, place ---------------------------------------------------------------------

def search_key(name: str | None, code: str | None) -> str:
    return fold(f"{name or ''} {code or ''}")[:400]


def kind_label(kind: str) -> tuple[str, str]:
    return KIND_LABELS.get(kind, (kind, kind))


def parse_geometry(raw: dict[str, Any], kind: str) -> BaseGeometry:
    """A feature's geometry from GeoJSON (2D, checked, of a shape its kind allows)."""
    geom = shapely.force_2d(geo.parse_geojson_geometry(raw))
    label = kind_label(kind)
    rules.check_geometry_kind(kind, geom, label[0], label[1])
    return geom


def stored_geometry(text: str | None) -> BaseGeometry | None:
    return shape(json.loads(text)) if text else None


def geometry_columns(geom: BaseGeometry, precision: int = 7) -> dict[str, Any]:
    """The geometry text and bounding-box columns of a row."""
    b = geo.bbox(geom)
    return {"geometry": json.dumps(geo.to_geojson(geom, precision=precision)),
            "min_lon": b.min_lon, "min_lat": b.min_lat, "max_lon": b.max_lon,
            "max_lat": b.max_lat}


def derive_commune(s: Session, geom: BaseGeometry) -> str | None:
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


def place(
    uow: UnitOfWork, geom: BaseGeometry, declared: str | None, fallback: str | None = None
) -> tuple[UnitPublic, dict[str, Any] | None]:
    """The commune of a record (derived where real boundaries are known, else declared, else
    ``fallback`` — the record's current commune) and a flag when the declared one contradicts
    the geometry."""
    derived = derive_commune(uow.session, geom)
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


# --- public fields and list filters -------------------------------------------------------------

def flags_public(flags: Any) -> list[FlagPublic]:
    return [FlagPublic.model_validate(f) for f in (flags or []) if isinstance(f, dict)]


def feature_fields(row: Any) -> dict[str, Any]:
    """The fields every feature schema computes from its row."""
    return {
        "geometry": json.loads(row.geometry) if row.geometry else None,
        "flags": flags_public(row.flags),
        "effective_status": rules.effective_status(row.status, row.valid_to, today()),
        "attributes": row.attributes or {},
    }


def feature_filters(s: Session, stmt: Any, model: Any, *, kind: str | None,
                    commune_code: str | None, status: str | None, q: str | None,
                    bbox: geo.BBox | None) -> Any:
    """The filters the list endpoints of every kind of feature share."""
    if kind:
        stmt = stmt.where(model.kind == kind)
    if commune_code:
        stmt = stmt.where(model.commune_code == commune_code)
    if status:
        day = today()
        if status == "expired":
            stmt = stmt.where(model.status == "active", model.valid_to < day)
        elif status == "active":
            stmt = stmt.where(model.status == "active",
                              or_(model.valid_to.is_(None), model.valid_to >= day))
        else:
            stmt = stmt.where(model.status == status)
    if q:
        folded = fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        text_conds = [model.search_key.like(f"%{folded}%", escape="\\"),
                      func.lower(model.name).contains(q.lower())]
        crops = features.crops_matching(q) if hasattr(model, "crop") else []
        if crops:  # "xoài", "xoai" or "mango" finds the mango areas
            text_conds.append(model.crop.in_(crops))
        stmt = stmt.where(or_(*text_conds))
    if bbox is not None:
        stmt = stmt.where(spatial.bbox_filter(model.__table__, features.dialect_of(s), bbox))
    return stmt
