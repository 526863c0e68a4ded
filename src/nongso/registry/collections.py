"""The registry's collections: which table (and which kinds in it) each holds, what may be
queried (``queryables``) and how a row becomes the *public* properties of a feature — personal
data (a farmer's id, an organisation's phone) only for principals allowed to see it, never for
anonymous users.

The query engine over them is :mod:`nongso.registry.features`; their publication in the OGC API
is :mod:`nongso.registry.services.ogc`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from nongso.core.permissions import Principal
from nongso.registry import rules
from nongso.registry.models import (
    BUSINESS_KINDS,
    INFRASTRUCTURE_KINDS,
    PRODUCER_ORGANISATION_KINDS,
    SALINITY_CLASSES,
    SOIL_TYPES,
    STATION_TYPES,
    UNIT_KINDS,
    AdminBoundary,
    Infrastructure,
    Organisation,
    ProductionUnit,
    SoilUnit,
)
from nongso.registry.providers import Queryable, QueryableType


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


def as_date(value: Any) -> dt.date | None:
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


def may_see_attributes(p: Principal, values: Mapping[str, Any]) -> bool:
    """Whether the principal may see a production unit's free attributes (the unknown columns
    of an import file: they may hold an owner's name, phone, national ID or address). Not
    public: only the staff of the unit see them (officers and inspectors covering it, the
    co-operative it belongs to, its farmer, administrators)."""
    if not p.is_authenticated:
        return False
    if p.covers_unit(values.get("commune_code"), values.get("province_code")):
        return True
    org = values.get("organisation_id")
    if p.role == "coop_manager" and org is not None and org == p.organisation_id:
        return True
    farmer = values.get("farmer_id")
    return p.role == "farmer" and farmer is not None and p.farmer_id == farmer


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
        "status": rules.effective_status(values.get("status"), as_date(values.get("valid_to")),
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
        "status": rules.effective_status(values.get("status"), as_date(values.get("valid_to")),
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
            values.get("licence_no"), as_date(values.get("licence_expiry")), ctx.today)
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
        "status": rules.effective_status(values.get("status"), as_date(values.get("valid_to")),
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
        "status": rules.effective_status(values.get("status"), as_date(values.get("valid_to")),
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


def get_collection(collection_id: str) -> Collection:
    from nongso.core.errors import not_found

    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise not_found("tập dữ liệu", "collection", collection_id)
    return found
