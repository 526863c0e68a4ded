"""Soil map units (soil type, pH, organic matter, salinity class): what the writer needs to
know about them and the use cases that read and write them."""

from __future__ import annotations

from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect

from nongso.core.errors import Conflict, FieldError
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal
from nongso.core.uow import UnitOfWork
from nongso.registry import geo, rules
from nongso.registry.models import SoilUnit
from nongso.registry.schemas import SoilUnitCreate, SoilUnitPublic, SoilUnitUpdate, VersionPublic
from nongso.registry.services import writer
from nongso.registry.services._common import feature_fields, feature_filters, officer_only


def _public(p: Principal, row: SoilUnit) -> SoilUnitPublic:
    data = {c.key: getattr(row, c.key) for c in sa_inspect(row).mapper.column_attrs}
    data.update(feature_fields(row))
    return SoilUnitPublic.model_validate(data)


def _measure(row: SoilUnit, geom: BaseGeometry) -> None:
    row.area_ha = rules.area_ha(geom)


def _check(uow: UnitOfWork, row: SoilUnit) -> None:
    rules.check_validity(row.valid_from, row.valid_to)
    rules.check_code(row.code, required=False, label_vi="Đơn vị đất", label_en="soil map unit")
    if row.code is not None:
        clash = uow.session.scalar(select(SoilUnit.id).where(
            SoilUnit.code == row.code, SoilUnit.id != (row.id if row.id is not None else -1)))
        if clash is not None:
            raise Conflict(f"Mã đơn vị đất «{row.code}» đã có (#{clash}).",
                           f"Soil unit code '{row.code}' already exists (#{clash}).",
                           [FieldError("code", "Đã tồn tại", "Already exists")])


SOIL_UNIT: writer.FeatureKind[SoilUnit, SoilUnitPublic] = writer.FeatureKind(
    collection="soil_units", model=SoilUnit, noun=("đơn vị đất", "soil map unit"),
    public=_public, may_write=officer_only, geometry_kind=lambda x: "soil_unit",
    measure=_measure, check=_check,
)


# --- use cases ----------------------------------------------------------------------------------

def list_soil_units(
    uow: UnitOfWork, page: PageRequest, soil_type: str | None = None,
    salinity_class: str | None = None, commune_code: str | None = None, q: str | None = None,
    bbox: geo.BBox | None = None,
) -> Page[SoilUnitPublic]:
    with uow:
        s = uow.session
        stmt = select(SoilUnit).where(SoilUnit.status != "deleted")
        stmt = feature_filters(s, stmt, SoilUnit, kind=None, commune_code=commune_code,
                               status=None, q=q, bbox=bbox)
        if soil_type:
            stmt = stmt.where(SoilUnit.soil_type == soil_type)
        if salinity_class:
            stmt = stmt.where(SoilUnit.salinity_class == salinity_class)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(SoilUnit.id).limit(page.limit).offset(page.offset)).all()
        return Page(items=[_public(uow.principal, r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_soil_unit(uow: UnitOfWork, soil_id: int) -> SoilUnitPublic:
    with uow:
        return _public(uow.principal, writer.load(uow.session, SOIL_UNIT, soil_id))


def create_soil_unit(uow: UnitOfWork, data: SoilUnitCreate) -> SoilUnitPublic:
    return writer.create(uow, SOIL_UNIT, data)


def update_soil_unit(uow: UnitOfWork, soil_id: int, data: SoilUnitUpdate) -> SoilUnitPublic:
    return writer.update(uow, SOIL_UNIT, soil_id, data)


def delete_soil_unit(uow: UnitOfWork, soil_id: int) -> None:
    writer.delete(uow, SOIL_UNIT, soil_id)


def soil_unit_history(uow: UnitOfWork, soil_id: int) -> list[VersionPublic]:
    return writer.history(uow, SOIL_UNIT, soil_id)
