"""Infrastructure (pumping stations, sluices, dyke segments, monitoring stations): what the
writer needs to know about it, the use cases that read and write it, and the sensors other
domains link to it."""

from __future__ import annotations

from collections.abc import Callable

from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect

from nongso.core.errors import Conflict, FieldError, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal
from nongso.core.uow import UnitOfWork
from nongso.registry import geo, rules
from nongso.registry.models import Infrastructure
from nongso.registry.schemas import (
    InfrastructureCreate,
    InfrastructureDetail,
    InfrastructurePublic,
    InfrastructureUpdate,
    LinkedRecord,
    VersionPublic,
)
from nongso.registry.services import writer
from nongso.registry.services._common import (
    feature_fields,
    feature_filters,
    kind_label,
    officer_only,
)
from nongso.registry.services.organisations import organisation_scope


def infrastructure_public(row: Infrastructure) -> InfrastructurePublic:
    data = {c.key: getattr(row, c.key) for c in sa_inspect(row).mapper.column_attrs}
    data.update(feature_fields(row))
    return InfrastructurePublic.model_validate(data)


def _measure(row: Infrastructure, geom: BaseGeometry) -> None:
    row.length_m = rules.length_m(geom)


def _check(uow: UnitOfWork, row: Infrastructure) -> None:
    label = kind_label(row.kind)
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


def _public(p: Principal, row: Infrastructure) -> InfrastructurePublic:
    return infrastructure_public(row)


INFRASTRUCTURE: writer.FeatureKind[Infrastructure, InfrastructurePublic] = writer.FeatureKind(
    collection="infrastructure", model=Infrastructure, noun=("công trình", "infrastructure"),
    public=_public, may_write=officer_only, geometry_kind=lambda x: str(x.kind),
    measure=_measure, check=_check,
)


# --- use cases ----------------------------------------------------------------------------------

def list_infrastructure(
    uow: UnitOfWork, page: PageRequest, kind: str | None = None, subtype: str | None = None,
    commune_code: str | None = None, status: str | None = None, q: str | None = None,
    bbox: geo.BBox | None = None,
) -> Page[InfrastructurePublic]:
    with uow:
        s = uow.session
        stmt = select(Infrastructure).where(Infrastructure.status != "deleted")
        stmt = feature_filters(s, stmt, Infrastructure, kind=kind, commune_code=commune_code,
                               status=status, q=q, bbox=bbox)
        if subtype:
            stmt = stmt.where(Infrastructure.subtype == subtype)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(Infrastructure.id).limit(page.limit)
                         .offset(page.offset)).all()
        return Page(items=[infrastructure_public(r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_infrastructure(uow: UnitOfWork, infra_id: int) -> InfrastructurePublic:
    with uow:
        return infrastructure_public(writer.load(uow.session, INFRASTRUCTURE, infra_id))


def get_station(uow: UnitOfWork, code: str) -> InfrastructurePublic:
    """A monitoring station by its station code (e.g. TV-TANCHAU)."""
    with uow:
        row = uow.session.scalar(select(Infrastructure).where(
            Infrastructure.code == code, Infrastructure.kind == "monitoring_station",
            Infrastructure.status != "deleted"))
        if row is None:
            raise not_found("trạm quan trắc", "monitoring station", code)
        return infrastructure_public(row)


def create_infrastructure(uow: UnitOfWork, data: InfrastructureCreate) -> InfrastructurePublic:
    return writer.create(uow, INFRASTRUCTURE, data)


def update_infrastructure(
    uow: UnitOfWork, infra_id: int, data: InfrastructureUpdate
) -> InfrastructurePublic:
    return writer.update(uow, INFRASTRUCTURE, infra_id, data)


def delete_infrastructure(uow: UnitOfWork, infra_id: int) -> None:
    writer.delete(uow, INFRASTRUCTURE, infra_id)


def infrastructure_history(uow: UnitOfWork, infra_id: int) -> list[VersionPublic]:
    return writer.history(uow, INFRASTRUCTURE, infra_id)


# --- sensors linked by other domains ------------------------------------------------------------

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
