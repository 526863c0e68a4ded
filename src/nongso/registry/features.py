"""Map features: the collections of the registry and the one query engine behind the OGC API,
the map page and the exports.

A :class:`Collection` says which table (and which kinds in it) a collection holds, which
properties may be queried (``queryables``) and how a row becomes the *public* properties of a
feature — personal data (a farmer's id, an organisation's phone) only for principals allowed
to see it, never for anonymous users.

:func:`query` runs one query: the spatial index for ``bbox`` and for the bounding box of
top-level spatial filter predicates, plain SQL for everything else, then the exact geometric
tests in Python (shapely) on the candidates, page by page in id order (keyset paging, so
page *n* costs the same as page 1). With ``as_of`` the same query runs over the versions
table: every feature as it was at that time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Table,
    and_,
    case,
    cast,
    event,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.i18n import fold
from nongso.core.permissions import Principal
from nongso.core.uow import UnitOfWork
from nongso.registry import cql, rules, spatial
from nongso.registry.geo import BBox
from nongso.registry.models import (
    BUSINESS_KINDS,
    INFRASTRUCTURE_KINDS,
    PRODUCER_ORGANISATION_KINDS,
    SALINITY_CLASSES,
    SOIL_TYPES,
    STATION_TYPES,
    UNIT_KINDS,
    AdminBoundary,
    FeatureVersion,
    Infrastructure,
    Organisation,
    ProductionUnit,
    SoilUnit,
)
from nongso.units import services as units

QueryableType = Literal["string", "number", "integer", "boolean", "date"]


@dataclass(frozen=True)
class Queryable:
    name: str
    type: QueryableType
    title_vi: str
    title_en: str
    enum: tuple[str, ...] | None = None
    versioned: bool = False
    """Also available "as of" a date (a column of the versions table)."""


@dataclass(frozen=True)
class ViewContext:
    """What projecting a page of rows needs: who asks, today, names looked up once per page."""

    principal: Principal
    today: dt.date
    commune_names: Mapping[str, str]
    organisation_names: Mapping[int, str]


Projector = Callable[[Mapping[str, Any], ViewContext], dict[str, Any]]


@dataclass(frozen=True)
class Collection:
    id: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    model: type[Any]
    kinds: tuple[str, ...] | None
    geometry_format: str  # OGC Part 3 queryable format: geometry-polygon, geometry-point…
    queryables: tuple[Queryable, ...]
    project: Projector
    kind_column: str | None = "kind"
    temporal: bool = True
    versioned: bool = True
    point_columns: tuple[str, str] | None = None  # (lon, lat) for point tables

    @property
    def table(self) -> Table:
        table: Table = self.model.__table__
        return table

    def title(self, lang: str) -> str:
        return self.title_vi if lang == "vi" else self.title_en

    def description(self, lang: str) -> str:
        return self.description_vi if lang == "vi" else self.description_en

    def queryable(self, name: str) -> Queryable | None:
        return next((q for q in self.queryables if q.name == name), None)


# --- projections (public properties) ---------------------------------------------------------


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _flag_codes(flags: Any) -> list[str]:
    if not isinstance(flags, list):
        return []
    return sorted({str(f.get("code")) for f in flags if isinstance(f, dict) and f.get("code")})


def may_see_owner(p: Principal, values: Mapping[str, Any]) -> bool:
    """Whether the principal may see who farms a unit (the farmer is personal data)."""
    if not p.is_authenticated or values.get("farmer_id") is None:
        return False
    if p.covers_unit(values.get("commune_code"), values.get("province_code")):
        return True
    if p.role == "coop_manager" and values.get("organisation_id") == p.organisation_id:
        return True
    return p.role == "farmer" and p.farmer_id == values.get("farmer_id")


def may_see_contact(p: Principal) -> bool:
    """Whether the principal may see an organisation's contact data (its phone): anyone
    logged in (officers, the co-operatives and dealers, their members), never the anonymous
    public (the same rule for the API, the map and the history)."""
    return p.is_authenticated


def _common(values: Mapping[str, Any], ctx: ViewContext) -> dict[str, Any]:
    commune = values.get("commune_code")
    return {
        "commune_code": commune,
        "commune_name": ctx.commune_names.get(commune) if commune else None,
        "province_code": values.get("province_code"),
    }


def _org(values: Mapping[str, Any], ctx: ViewContext) -> dict[str, Any]:
    org_id = values.get("organisation_id")
    return {"organisation_id": org_id,
            "organisation_name": ctx.organisation_names.get(org_id) if org_id else None}


def _location(values: Mapping[str, Any]) -> str | None:
    """The place name users wrote ("Ấp Mỹ Hưng"), kept in the attributes."""
    attributes = values.get("attributes")
    if isinstance(attributes, dict) and isinstance(attributes.get("location"), str):
        return str(attributes["location"])
    return None


def project_production_unit(values: Mapping[str, Any], ctx: ViewContext) -> dict[str, Any]:
    props: dict[str, Any] = {
        "kind": values.get("kind"),
        "code": values.get("code"),
        "name": values.get("name"),
        "location": _location(values),
        **_common(values, ctx),
        **_org(values, ctx),
        "crop": values.get("crop"),
        "variety": values.get("variety"),
        "species": values.get("species"),
        "head_count": values.get("head_count"),
        "area_ha": values.get("area_ha"),
        "declared_area_ha": values.get("declared_area_ha"),
        "water_surface_ha": values.get("water_surface_ha"),
        "export_market": values.get("export_market"),
        "parent_id": values.get("parent_id"),
        "status": rules.effective_status(values.get("status"), _date(values.get("valid_to")),
                                         ctx.today),
        "valid_from": _iso(values.get("valid_from")),
        "valid_to": _iso(values.get("valid_to")),
        "flags": _flag_codes(values.get("flags")),
        "version": values.get("version"),
        "updated_at": _iso(values.get("updated_at")),
    }
    if may_see_owner(ctx.principal, values):
        props["farmer_id"] = values.get("farmer_id")
    return props


def project_organisation(values: Mapping[str, Any], ctx: ViewContext) -> dict[str, Any]:
    props: dict[str, Any] = {
        "kind": values.get("kind"),
        "code": values.get("code"),
        "name": values.get("name"),
        **_common(values, ctx),
        "parent_id": values.get("parent_id"),
        "address": values.get("address"),
        "tax_code": values.get("tax_code"),
        "status": rules.effective_status(values.get("status"), _date(values.get("valid_to")),
                                         ctx.today),
        "valid_from": _iso(values.get("valid_from")),
        "valid_to": _iso(values.get("valid_to")),
        "version": values.get("version"),
        "updated_at": _iso(values.get("updated_at")),
    }
    if values.get("kind") in BUSINESS_KINDS:
        props["licence_no"] = values.get("licence_no")
        props["licence_expiry"] = _iso(values.get("licence_expiry"))
        props["licence_status"] = rules.licence_status(
            values.get("licence_no"), _date(values.get("licence_expiry")), ctx.today)
    if may_see_contact(ctx.principal):
        props["phone"] = values.get("phone")
    return props


def project_infrastructure(values: Mapping[str, Any], ctx: ViewContext) -> dict[str, Any]:
    attributes = values.get("attributes") or {}
    return {
        "kind": values.get("kind"),
        "subtype": values.get("subtype"),
        "code": values.get("code"),
        "name": values.get("name"),
        **_common(values, ctx),
        **_org(values, ctx),
        "river": values.get("river"),
        "length_m": values.get("length_m"),
        "status": rules.effective_status(values.get("status"), _date(values.get("valid_to")),
                                         ctx.today),
        "valid_from": _iso(values.get("valid_from")),
        "valid_to": _iso(values.get("valid_to")),
        "attributes": attributes if isinstance(attributes, dict) else {},
        "version": values.get("version"),
        "updated_at": _iso(values.get("updated_at")),
    }


def project_soil_unit(values: Mapping[str, Any], ctx: ViewContext) -> dict[str, Any]:
    return {
        "code": values.get("code"),
        "name": values.get("name"),
        "soil_type": values.get("soil_type"),
        "ph": values.get("ph"),
        "organic_matter_pct": values.get("organic_matter_pct"),
        "salinity_class": values.get("salinity_class"),
        "area_ha": values.get("area_ha"),
        "source": values.get("source"),
        **_common(values, ctx),
        "status": rules.effective_status(values.get("status"), _date(values.get("valid_to")),
                                         ctx.today),
        "valid_from": _iso(values.get("valid_from")),
        "valid_to": _iso(values.get("valid_to")),
        "version": values.get("version"),
        "updated_at": _iso(values.get("updated_at")),
    }


def project_boundary(values: Mapping[str, Any], ctx: ViewContext) -> dict[str, Any]:
    return {
        "level": values.get("level"),
        "code": values.get("code"),
        "name": values.get("name"),
        "province_code": values.get("province_code"),
        "area_km2": values.get("area_km2"),
        "official_area_km2": values.get("official_area_km2"),
        "synthetic": bool(values.get("synthetic")),
        "source": values.get("source"),
        "updated_at": _iso(values.get("updated_at")),
    }


# --- the collections ---------------------------------------------------------------------------

def _q(name: str, type_: QueryableType, vi: str, en: str, enum: Sequence[str] | None = None,
       versioned: bool = False) -> Queryable:
    return Queryable(name, type_, vi, en, tuple(enum) if enum else None, versioned)


_COMMON_Q = (
    _q("code", "string", "Mã", "Code", versioned=True),
    _q("name", "string", "Tên", "Name", versioned=True),
    _q("commune_code", "string", "Mã xã, phường", "Commune code", versioned=True),
    _q("province_code", "string", "Mã tỉnh", "Province code", versioned=True),
    _q("status", "string", "Trạng thái (hết hạn: expired)", "Status (past its validity: expired)",
       ("active", "expired", "suspended", "revoked", "retired"), versioned=True),
    _q("valid_from", "date", "Hiệu lực từ ngày", "Valid from"),
    _q("valid_to", "date", "Hiệu lực đến ngày", "Valid until"),
)

_UNIT_Q = (
    _q("kind", "string", "Loại vùng sản xuất", "Kind of production unit", UNIT_KINDS, True),
    *_COMMON_Q,
    _q("organisation_id", "integer", "Mã tổ chức (HTX, doanh nghiệp)", "Organisation id",
       versioned=True),
    _q("crop", "string", "Cây trồng / vật nuôi", "Crop or species", versioned=True),
    _q("variety", "string", "Giống", "Variety"),
    _q("species", "string", "Loài nuôi", "Species"),
    _q("head_count", "integer", "Số con", "Head count"),
    _q("area_ha", "number", "Diện tích đo trên bản đồ (ha)", "Mapped area (ha)"),
    _q("declared_area_ha", "number", "Diện tích kê khai (ha)", "Declared area (ha)"),
    _q("water_surface_ha", "number", "Diện tích mặt nước (ha)", "Water surface (ha)"),
    _q("export_market", "string", "Thị trường xuất khẩu", "Export market"),
    _q("parent_id", "integer", "Thuộc vùng", "Parent unit id"),
)

PRODUCTION_UNITS = Collection(
    id="production_units",
    title_vi="Vùng sản xuất", title_en="Production units",
    description_vi="Cánh đồng lớn, ô bao, thửa ruộng, vườn, mã số vùng trồng, trang trại chăn "
                   "nuôi, vùng nuôi thủy sản và vùng nguyên liệu của doanh nghiệp.",
    description_en="Large field blocks, dyke-ringed areas, plots, orchards, planting-area codes, "
                   "livestock farms, aquaculture areas and companies' raw-material areas.",
    model=ProductionUnit, kinds=UNIT_KINDS, geometry_format="geometry-any",
    queryables=_UNIT_Q, project=project_production_unit,
)
PLANTING_AREAS = Collection(
    id="planting_areas",
    title_vi="Mã số vùng trồng", title_en="Planting-area codes",
    description_vi="Các vùng trồng đã được cấp mã số (cây trồng, giống, diện tích, tổ chức quản "
                   "lý, hiệu lực, thị trường xuất khẩu); mã hết hạn có trạng thái «expired».",
    description_en="Planting areas with a code (crop, variety, area, managing organisation, "
                   "validity, export market); expired codes have the status 'expired'.",
    model=ProductionUnit, kinds=("planting_area",), geometry_format="geometry-polygon",
    queryables=_UNIT_Q, project=project_production_unit,
)
_ORG_Q = (
    *_COMMON_Q,
    _q("parent_id", "integer", "Trực thuộc tổ chức", "Parent organisation id"),
)
ORGANISATIONS = Collection(
    id="organisations",
    title_vi="Hợp tác xã, tổ hợp tác, hội quán", title_en="Co-operatives, groups and clubs",
    description_vi="Hợp tác xã, tổ hợp tác, hội quán nông dân và doanh nghiệp có vùng sản xuất.",
    description_en="Co-operatives, co-operative groups, farmer clubs (Hội quán) and companies "
                   "with production areas.",
    model=Organisation, kinds=PRODUCER_ORGANISATION_KINDS, geometry_format="geometry-point",
    queryables=(_q("kind", "string", "Loại tổ chức", "Kind of organisation",
                   PRODUCER_ORGANISATION_KINDS, True), *_ORG_Q),
    project=project_organisation, point_columns=("lon", "lat"),
)
BUSINESSES = Collection(
    id="businesses",
    title_vi="Doanh nghiệp, đại lý", title_en="Businesses",
    description_vi="Đại lý vật tư nông nghiệp (số giấy phép, hạn giấy phép), cơ sở chế biến, "
                   "doanh nghiệp thu mua, phân phối và xuất khẩu.",
    description_en="Input dealers (licence number and expiry), processors, buyers/distributors "
                   "and exporters.",
    model=Organisation, kinds=BUSINESS_KINDS, geometry_format="geometry-point",
    queryables=(_q("kind", "string", "Loại doanh nghiệp", "Kind of business", BUSINESS_KINDS,
                   True), *_ORG_Q,
                _q("licence_no", "string", "Số giấy phép", "Licence number"),
                _q("licence_expiry", "date", "Hạn giấy phép", "Licence expiry")),
    project=project_organisation, point_columns=("lon", "lat"),
)
INFRASTRUCTURE = Collection(
    id="infrastructure",
    title_vi="Hạ tầng thủy lợi và trạm quan trắc", title_en="Infrastructure",
    description_vi="Trạm bơm, cống, đoạn đê và trạm quan trắc (đo mặn, thủy văn, khí tượng, "
                   "bẫy đèn).",
    description_en="Pumping stations, sluices, dyke segments and monitoring stations (salinity, "
                   "hydrological, weather, light traps).",
    model=Infrastructure, kinds=INFRASTRUCTURE_KINDS, geometry_format="geometry-any",
    queryables=(_q("kind", "string", "Loại công trình", "Kind", INFRASTRUCTURE_KINDS, True),
                _q("subtype", "string", "Loại trạm", "Station type", STATION_TYPES),
                *_COMMON_Q,
                _q("river", "string", "Sông, kênh", "River or canal"),
                _q("organisation_id", "integer", "Đơn vị quản lý", "Operator organisation id",
                   versioned=True),
                _q("length_m", "number", "Chiều dài (m)", "Length (m)")),
    project=project_infrastructure,
)
SOIL_UNITS = Collection(
    id="soil_units",
    title_vi="Bản đồ thổ nhưỡng", title_en="Soil map units",
    description_vi="Đơn vị bản đồ đất: loại đất, pH, chất hữu cơ, cấp mặn.",
    description_en="Soil map units: soil type, pH, organic matter, salinity class.",
    model=SoilUnit, kinds=None, kind_column=None, geometry_format="geometry-polygon",
    queryables=(_q("soil_type", "string", "Loại đất", "Soil type", SOIL_TYPES),
                *_COMMON_Q,
                _q("ph", "number", "pH", "pH"),
                _q("organic_matter_pct", "number", "Chất hữu cơ (%)", "Organic matter (%)"),
                _q("salinity_class", "string", "Cấp mặn", "Salinity class", SALINITY_CLASSES),
                _q("area_ha", "number", "Diện tích (ha)", "Area (ha)")),
    project=project_soil_unit,
)
ADMIN_BOUNDARIES = Collection(
    id="admin_boundaries",
    title_vi="Ranh giới hành chính", title_en="Administrative boundaries",
    description_vi="Ranh giới tỉnh và xã dùng làm bản đồ nền. Khi chưa có ranh giới chính thức, "
                   "ranh giới là MÔ PHỎNG (synthetic = true).",
    description_en="Province and commune boundaries used as the basemap. Where no official "
                   "boundary was imported they are SYNTHETIC (synthetic = true).",
    model=AdminBoundary, kinds=None, kind_column=None, geometry_format="geometry-polygon",
    queryables=(_q("level", "string", "Cấp", "Level", ("province", "commune")),
                _q("code", "string", "Mã đơn vị", "Unit code"),
                _q("name", "string", "Tên", "Name"),
                _q("province_code", "string", "Mã tỉnh", "Province code"),
                _q("synthetic", "boolean", "Mô phỏng", "Synthetic"),
                _q("area_km2", "number", "Diện tích (km²)", "Area (km²)")),
    project=project_boundary, temporal=False, versioned=False,
)

COLLECTIONS: dict[str, Collection] = {
    c.id: c for c in (PRODUCTION_UNITS, PLANTING_AREAS, ORGANISATIONS, BUSINESSES,
                      INFRASTRUCTURE, SOIL_UNITS, ADMIN_BOUNDARIES)
}


_TABLE_COLLECTIONS: dict[str, tuple[str, ...]] = {}
for _c in COLLECTIONS.values():
    _TABLE_COLLECTIONS[_c.table.name] = (*_TABLE_COLLECTIONS.get(_c.table.name, ()), _c.id)


def get_collection(collection_id: str) -> Collection:
    from nongso.core.errors import not_found

    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise not_found("tập dữ liệu", "collection", collection_id)
    return found


# --- the query -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureQuery:
    bbox: BBox | None = None
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filter: str | None = None
    equals: Mapping[str, str] = field(default_factory=dict)
    kinds: Sequence[str] = ()
    commune_code: str | None = None
    crop: str | None = None
    status: str | None = None
    text: str | None = None
    organisation_id: int | None = None
    subtype: str | None = None
    as_of: dt.datetime | None = None
    limit: int = 100
    after: int | None = None
    offset: int | None = None
    spatial_order: bool = False


@dataclass(frozen=True)
class FeatureRecord:
    id: int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]
    bbox: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class FeaturePage:
    features: list[FeatureRecord]
    next_after: int | None
    number_matched: int | None
    next_offset: int | None = None
    """For spatially ordered pages: where the next page starts."""


@dataclass(frozen=True)
class _Source:
    collection: Collection
    table: Table
    id_col: ColumnElement[Any]
    columns: dict[str, ColumnElement[Any]]
    base: list[ColumnElement[bool]]
    bbox_cols: cql.BBoxColumns
    select: list[ColumnElement[Any]]
    versions: bool


def _source(coll: Collection, as_of: dt.datetime | None, today: dt.date) -> _Source:
    if as_of is None:
        t = coll.table
        base: list[ColumnElement[bool]] = []
        if "status" in t.c:
            base.append(t.c.status != "deleted")
        if coll.kinds is not None and coll.kind_column:
            base.append(t.c[coll.kind_column].in_(coll.kinds))
        cols: dict[str, ColumnElement[Any]] = {
            q.name: t.c[q.name] for q in coll.queryables if q.name in t.c}
        if "status" in cols and "valid_to" in t.c:
            # The status users see: "expired" once the validity has ended.
            cols["status"] = case(
                (and_(t.c.status == "active", t.c.valid_to < today), literal("expired")),
                else_=t.c.status,
            )
        if coll.point_columns:
            lon, lat = coll.point_columns
            bbox = cql.BBoxColumns(t.c[lon], t.c[lat], t.c[lon], t.c[lat])
        else:
            bbox = cql.BBoxColumns(t.c.min_lon, t.c.min_lat, t.c.max_lon, t.c.max_lat)
        return _Source(coll, t, t.c.id, cols, base, bbox, [*t.c], versions=False)
    if not coll.versioned:
        raise ValidationFailed(
            f"Tập «{coll.id}» không lưu lịch sử phiên bản: không xem theo ngày được.",
            f"Collection '{coll.id}' keeps no version history: it has no 'as of' view.",
            [FieldError("as_of", "Không hỗ trợ", "Not supported")],
        )
    v: Table = FeatureVersion.__table__  # type: ignore[assignment]
    base = [v.c.collection == coll.model.__versioned_collection__,
            v.c.valid_from <= as_of, or_(v.c.valid_to.is_(None), v.c.valid_to > as_of),
            v.c.change != "delete"]
    if coll.kinds is not None:
        base.append(v.c.kind.in_(coll.kinds))
    cols = {q.name: v.c[q.name] for q in coll.queryables if q.versioned and q.name in v.c}
    vcols: dict[str, ColumnElement[Any]] = dict(cols)
    bbox = cql.BBoxColumns(v.c.min_lon, v.c.min_lat, v.c.max_lon, v.c.max_lat)
    select_cols: list[ColumnElement[Any]] = [
        v.c.id, v.c.feature_id, v.c.version, v.c.geometry, v.c.min_lon, v.c.min_lat, v.c.max_lon,
        v.c.max_lat, v.c.properties]
    return _Source(coll, v, v.c.feature_id, vcols, base, bbox, select_cols, versions=True)


def _convert(q: Queryable, raw: str) -> Any:
    """A property filter value (query parameter text) in the queryable's type."""
    try:
        if q.type == "integer":
            return int(raw)
        if q.type == "number":
            return float(raw)
        if q.type == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if q.type == "date":
            return dt.date.fromisoformat(raw)
    except ValueError:
        raise cql.ParameterError(
            f"Giá trị «{raw[:50]}» của «{q.name}» không đúng kiểu ({q.type}).",
            f"The value '{raw[:50]}' of '{q.name}' is not of type {q.type}.",
            parameter=q.name,
        ) from None
    return raw


def _conditions(src: _Source, q: FeatureQuery, dialect: str, today: dt.date,
                index: bool = True
                ) -> tuple[list[ColumnElement[bool]], cql.CompiledFilter | None]:
    coll, t = src.collection, src.table
    conds = list(src.base)
    for name, raw in q.equals.items():
        if name == "status":
            conds.append(_status_condition(src, raw, today))
            continue
        queryable = coll.queryable(name)
        if queryable is None or name not in src.columns:
            raise cql.ParameterError(
                f"Không lọc được theo «{name}» ở tập này" + (" khi xem theo ngày" if
                                                            src.versions else "") + ".",
                f"'{name}' cannot be used as a filter here" + (" with as_of" if src.versions
                                                              else "") + ".",
                parameter=name,
            )
        conds.append(src.columns[name] == _convert(queryable, raw))
    kind_col = None
    if coll.kind_column:
        kind_col = t.c.kind if src.versions else t.c[coll.kind_column]
    if q.kinds and kind_col is not None:
        conds.append(kind_col.in_(list(q.kinds)))
    if q.commune_code:
        conds.append(t.c.commune_code == q.commune_code)
    if q.crop and "crop" in t.c:
        conds.append(t.c.crop == q.crop)
    if q.subtype and not src.versions and "subtype" in t.c:
        conds.append(t.c.subtype == q.subtype)
    if q.organisation_id is not None and "organisation_id" in t.c:
        conds.append(t.c.organisation_id == q.organisation_id)
    if q.status:
        conds.append(_status_condition(src, q.status, today))
    if q.text:
        folded = fold(q.text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if src.versions:
            conds.append(or_(func.lower(t.c.name).contains(q.text.lower()),
                             func.lower(t.c.code).contains(q.text.lower())))
        else:
            text_conds = [func.lower(t.c.name).contains(q.text.lower())]
            if "search_key" in t.c:
                text_conds.append(t.c.search_key.like(f"%{folded}%", escape="\\"))
            if "code" in t.c:
                text_conds.append(func.lower(t.c.code).contains(q.text.lower()))
            conds.append(or_(*text_conds))
    if q.interval is not None:
        if src.versions or not coll.temporal:
            raise cql.ParameterError(
                "Không dùng được «datetime» ở đây.", "'datetime' cannot be used here.",
                parameter="datetime",
            )
        start, end = q.interval
        vn = dt.timedelta(hours=7)
        if end is not None:
            conds.append(or_(t.c.valid_from.is_(None), t.c.valid_from <= (end + vn).date()))
        if start is not None:
            conds.append(or_(t.c.valid_to.is_(None), t.c.valid_to >= (start + vn).date()))
    if q.bbox is not None:
        if index:
            conds.append(_index(src, dialect, q.bbox))
        conds.append(cql.bbox_condition(src.bbox_cols, q.bbox))
    compiled = None
    if q.filter:
        compiled = cql.compile_filter(q.filter, src.columns, bbox_columns=src.bbox_cols)
        conds.append(compiled.where)
        for condition in compiled.positive_spatial:
            conds.append(_index(src, dialect, BBox(*condition.geometry.bounds)))
    if q.after is not None:
        conds.append(src.id_col > q.after)
    return conds, compiled


def _index(src: _Source, dialect: str, b: BBox) -> ColumnElement[bool]:
    if src.table.name in spatial.SPATIAL_TABLES:
        return spatial.index_condition(src.table, dialect, b)
    return cql.bbox_condition(src.bbox_cols, b)


def _status_condition(src: _Source, status: str, today: dt.date) -> ColumnElement[bool]:
    t = src.table
    if src.versions or "valid_to" not in t.c:
        return t.c.status == status
    if status == "expired":
        return and_(t.c.status == "active", t.c.valid_to < today)
    if status == "active":
        return and_(t.c.status == "active", or_(t.c.valid_to.is_(None), t.c.valid_to >= today))
    return t.c.status == status


def _row_values(src: _Source, row: Any) -> tuple[int, dict[str, Any], str | None]:
    mapping = row._mapping
    if src.versions:
        values = dict(mapping["properties"] or {})
        values["id"] = mapping["feature_id"]
        values["version"] = mapping["version"]
        return int(mapping["feature_id"]), values, mapping["geometry"]
    values = {c.name: mapping[c] for c in src.table.c}
    if src.collection.point_columns:
        lon, lat = (values[c] for c in src.collection.point_columns)
        text = json.dumps({"type": "Point", "coordinates": [lon, lat]}) \
            if lon is not None and lat is not None else None
        return int(values["id"]), values, text
    return int(values["id"]), values, values.get("geometry")


def _row_bbox(src: _Source, row: Any) -> tuple[float, float, float, float] | None:
    m = row._mapping
    b = src.bbox_cols
    values = [m[b.minx], m[b.miny], m[b.maxx], m[b.maxy]]
    if any(v is None for v in values):
        return None
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))


def _inside(inner: tuple[float, float, float, float], outer: BBox) -> bool:
    return (inner[0] >= outer.min_lon and inner[2] <= outer.max_lon
            and inner[1] >= outer.min_lat and inner[3] <= outer.max_lat)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


_COMMUNE_NAMES: dict[tuple[str, str], dict[str, str]] = {}


def _commune_names(uow: UnitOfWork, province: str) -> dict[str, str]:
    """The names of a province's communes (reference data: read once per database)."""
    key = (str(uow.session.get_bind().engine.url), province)
    found = _COMMUNE_NAMES.get(key)
    if found is None:
        found = {c.code: c.name for c in units.communes_of_province(uow, province)}
        if found:
            _COMMUNE_NAMES[key] = found
    return found


def view_context(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> ViewContext:
    """Names of the communes and organisations of a page (two queries at most)."""
    s = uow.session
    provinces = {str(v["province_code"]) for v in rows if v.get("province_code")}
    names: dict[str, str] = {}
    for province in sorted(provinces):
        names.update(_commune_names(uow, province))
    org_ids = {int(v["organisation_id"]) for v in rows if v.get("organisation_id")}
    orgs: dict[int, str] = {}
    if org_ids:
        orgs = dict(s.execute(select(Organisation.id, Organisation.name)
                              .where(Organisation.id.in_(sorted(org_ids)))).all())
    return ViewContext(uow.principal, (clock.now() + dt.timedelta(hours=7)).date(), names, orgs)


def query(uow: UnitOfWork, coll: Collection, q: FeatureQuery) -> FeaturePage:
    """One page of features (see the module docstring). Call inside ``with uow``.

    Pages are in id order with keyset paging (``after``), except a ``bbox`` query with
    ``spatial_order`` on SQLite: its pages come in the R*Tree's order (``offset`` paging), so
    that the first page of a dense box does not need every candidate of the box first.
    """
    s = uow.session
    dialect = dialect_of(s)
    today = (clock.now() + dt.timedelta(hours=7)).date()
    src = _source(coll, q.as_of, today)
    streaming = (q.spatial_order and q.bbox is not None and dialect == "sqlite"
                 and src.table.name in spatial.SPATIAL_TABLES and q.after is None)
    conds, compiled = _conditions(src, q, dialect, today, index=not streaming)
    extra = list(compiled.columns) if compiled is not None else []
    stmt = select(*src.select, *(c.label(f"_cql{i}") for i, c in enumerate(extra)))
    if streaming:
        assert q.bbox is not None
        r = spatial.rtree(src.table.name)
        b = q.bbox
        stmt = stmt.select_from(src.table.join(r, r.c.id == src.table.c.id)).where(
            r.c.min_lon <= b.max_lon, r.c.max_lon >= b.min_lon,
            r.c.min_lat <= b.max_lat, r.c.max_lat >= b.min_lat, *conds)
    else:
        stmt = stmt.where(and_(true(), *conds)).order_by(src.id_col)
    needs_refine = q.bbox is not None or (compiled is not None and not compiled.exact)
    box = cql.bbox_geometry(q.bbox) if q.bbox is not None else None
    wanted = q.limit + 1
    # A bbox alone rejects few candidates (most lie inside the box); a spatial filter may
    # reject many: fetch a little or a lot more than a page.
    if not needs_refine:
        batch = wanted
    elif compiled is None or compiled.exact:
        batch = wanted + max(10, wanted // 5)
    else:
        batch = max(2 * wanted, 200)
    # (feature id, values, geometry text, bbox, position of the row in the SQL results)
    matched: list[tuple[int, dict[str, Any], str | None, Any, int]] = []
    last: int | None = None
    offset = q.offset or 0 if streaming else 0
    exhausted = False
    while len(matched) < wanted:
        if streaming:
            page_stmt = stmt.offset(offset)
        else:
            page_stmt = stmt if last is None else stmt.where(src.id_col > last)
        rows = s.execute(page_stmt.limit(batch)).all()
        for i, row in enumerate(rows):
            fid, values, text = _row_values(src, row)
            geometry: BaseGeometry | None = None
            if needs_refine:
                if q.bbox is not None and box is not None:
                    rb = _row_bbox(src, row)
                    if rb is None:
                        continue
                    if not _inside(rb, q.bbox):
                        geometry = _shape(text)
                        if geometry is None or not geometry.intersects(box):
                            continue
                if compiled is not None and not compiled.exact:
                    if geometry is None:
                        geometry = _shape(text)
                    cql_values = tuple(row._mapping[f"_cql{i}"] for i in range(len(extra)))
                    if not compiled.refine(geometry, cql_values):
                        continue
            matched.append((fid, values, text, _row_bbox(src, row), offset + i))
            if len(matched) == wanted:
                break
        if len(rows) < batch:
            exhausted = len(matched) < wanted
            break
        offset += len(rows)
        last = int(row._mapping[src.id_col.name]) if not src.versions \
            else int(row._mapping["feature_id"])
    has_next = len(matched) == wanted
    page = matched[: q.limit]
    ctx = view_context(uow, [v for _, v, _, _, _ in page])
    features = [
        FeatureRecord(fid, json.loads(text) if text else None, coll.project(values, ctx), rb)
        for fid, values, text, rb, _ in page
    ]
    next_after = page[-1][0] if has_next and page and not streaming else None
    next_offset = matched[q.limit][4] if has_next and streaming else None
    number = len(page) if exhausted and q.after is None and not q.offset else None
    return FeaturePage(features, next_after, number, next_offset)


def _shape(text: str | None) -> BaseGeometry | None:
    if not text:
        return None
    try:
        return shape(json.loads(text))
    except (ValueError, TypeError, KeyError):
        return None


def get(uow: UnitOfWork, coll: Collection, feature_id: int,
        as_of: dt.datetime | None = None) -> FeatureRecord | None:
    """One feature (None when absent, deleted, or of another collection)."""
    src = _source(coll, as_of, (clock.now() + dt.timedelta(hours=7)).date())
    row = uow.session.execute(
        select(*src.select).where(and_(true(), *src.base), src.id_col == feature_id).limit(1)
    ).first()
    if row is None:
        return None
    fid, values, text = _row_values(src, row)
    ctx = view_context(uow, [values])
    return FeatureRecord(fid, json.loads(text) if text else None, coll.project(values, ctx),
                         _row_bbox(src, row))


@dataclass(frozen=True)
class Cluster:
    lon: float
    lat: float
    count: int


def clusters(uow: UnitOfWork, coll: Collection, q: FeatureQuery, cell_deg: float) -> list[Cluster]:
    """Counts of features per grid cell of ``cell_deg`` degrees (for zoomed-out maps)."""
    if q.bbox is None:
        raise ValueError("clusters need a bbox")
    s = uow.session
    dialect = dialect_of(s)
    today = (clock.now() + dt.timedelta(hours=7)).date()
    src = _source(coll, q.as_of, today)
    if dialect == "sqlite" and _rtree_alone(coll, src, q):
        return _rtree_clusters(s, src.table.name, q.bbox, cell_deg)
    conds, _ = _conditions(src, replace(q, filter=None, after=None), dialect, today)
    b = src.bbox_cols
    cx = (b.minx + b.maxx) / 2
    cy = (b.miny + b.maxy) / 2
    gx_raw = (cx - literal(q.bbox.min_lon)) / literal(cell_deg)
    gy_raw = (cy - literal(q.bbox.min_lat)) / literal(cell_deg)
    gx: Any
    gy: Any
    if dialect == "postgresql":
        gx, gy = func.floor(gx_raw), func.floor(gy_raw)
    else:
        gx, gy = cast(gx_raw, Integer), cast(gy_raw, Integer)
    stmt = (select(gx.label("gx"), gy.label("gy"), func.count().label("n"),
                   cast(func.avg(cx), Float).label("lon"), cast(func.avg(cy), Float).label("lat"))
            .where(and_(true(), *conds)).group_by(gx, gy))
    return [Cluster(float(r.lon), float(r.lat), int(r.n)) for r in s.execute(stmt)]


Extent = tuple[BBox | None, tuple[dt.date | None, dt.date | None]]
EXTENT_TTL_SECONDS = 60.0
_EXTENTS: dict[tuple[str, str], tuple[float, Extent]] = {}


def invalidate_extents(table: str) -> None:
    """Forget the cached extents of the collections of a table (called when it changes)."""
    for key in [k for k in _EXTENTS if k[1] in _TABLE_COLLECTIONS.get(table, ())]:
        _EXTENTS.pop(key, None)


@event.listens_for(Session, "after_flush")
def _forget_extents(session: Session, flush_context: Any) -> None:
    if not _EXTENTS:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in _TABLE_COLLECTIONS:
            invalidate_extents(table)


def _rtree_alone(coll: Collection, src: _Source, q: FeatureQuery) -> bool:
    """Whether the R*Tree alone holds the answer: every current row of the table is in the
    collection (no kind subset, soft-deleted rows are not in the index) and only the bbox
    filters."""
    table = src.table.name
    if src.versions or table not in spatial.SPATIAL_TABLES or table == "organisations":
        return False
    all_kinds = coll.kinds is None or coll.kinds == COLLECTIONS[table].kinds
    plain = replace(q, bbox=None, limit=100, after=None, offset=None, spatial_order=False)
    return all_kinds and plain == FeatureQuery()


def _rtree_clusters(s: Session, table: str, b: BBox | None, cell_deg: float) -> list[Cluster]:
    assert b is not None
    r = spatial.rtree(table)
    cx = (r.c.min_lon + r.c.max_lon) / 2
    cy = (r.c.min_lat + r.c.max_lat) / 2
    gx = cast((cx - literal(b.min_lon)) / literal(cell_deg), Integer)
    gy = cast((cy - literal(b.min_lat)) / literal(cell_deg), Integer)
    stmt = (select(gx.label("gx"), gy.label("gy"), func.count().label("n"),
                   cast(func.avg(cx), Float).label("lon"), cast(func.avg(cy), Float).label("lat"))
            .where(r.c.min_lon <= b.max_lon, r.c.max_lon >= b.min_lon,
                   r.c.min_lat <= b.max_lat, r.c.max_lat >= b.min_lat)
            .group_by(gx, gy))
    return [Cluster(float(row.lon), float(row.lat), int(row.n)) for row in s.execute(stmt)]


def extent(uow: UnitOfWork, coll: Collection) -> Extent:
    """The bounding box and the time span of the collection's current features.

    Collection metadata is read far more often than features change: the result is kept for
    a minute (and forgotten as soon as the ORM writes to the table)."""
    import time

    key = (str(uow.session.get_bind().engine.url), coll.id)
    cached = _EXTENTS.get(key)
    if cached is not None and time.monotonic() - cached[0] < EXTENT_TTL_SECONDS:
        return cached[1]
    found = _extent(uow, coll)
    _EXTENTS[key] = (time.monotonic(), found)
    return found


def _extent(uow: UnitOfWork, coll: Collection) -> Extent:
    src = _source(coll, None, (clock.now() + dt.timedelta(hours=7)).date())
    b = src.bbox_cols
    t = src.table
    cols = [func.min(b.minx), func.min(b.miny), func.max(b.maxx), func.max(b.maxy)]
    if coll.temporal:
        cols += [func.min(t.c.valid_from), func.max(t.c.valid_to)]
    row = uow.session.execute(select(*cols).where(and_(true(), *src.base))).one()
    box = BBox(*(float(v) for v in row[:4])) if row[0] is not None else None
    span = (_date(row[4]), _date(row[5])) if coll.temporal else (None, None)
    return box, span


def point_shape(lon: float, lat: float) -> BaseGeometry:
    return Point(lon, lat)
