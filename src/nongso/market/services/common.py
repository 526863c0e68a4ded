"""Helpers shared by the market's use cases: products, places, who may write what."""

from __future__ import annotations

from dataclasses import dataclass

from nongso.core.errors import FieldError, PermissionDenied, ValidationFailed
from nongso.core.i18n import fold
from nongso.core.permissions import Principal
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.market import catalogue
from nongso.market.parsing import PriceParseError, parse_product
from nongso.registry import services as registry
from nongso.registry.schemas import OrganisationRef
from nongso.units import services as units

OFFICERS = ("province_officer", "commune_officer")


def invalid(loc: str, vi: str, en: str) -> ValidationFailed:
    return ValidationFailed(vi, en, [FieldError(loc, vi, en)])


def product_of(text: str, loc: str = "product") -> catalogue.Product:
    try:
        code = parse_product(text)
    except PriceParseError as exc:
        raise invalid(loc, exc.message_vi, exc.message_en) from exc
    product = catalogue.product(code)
    if product is None:  # pragma: no cover - parse_product only returns catalogue codes
        raise invalid(loc, f"Không có mặt hàng «{text}».", f"Unknown product '{text}'.")
    return product


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    province_code: str
    lon: float | None
    lat: float | None


def place_of(uow: UnitOfWork, code: str, loc: str = "place_code") -> Place:
    unit = units.require_commune(uow, code, loc) if len(code) == 5 else \
        units.require_scope_unit(uow, code, loc)
    return Place(unit.code, unit.name, unit.province_code, unit.lon, unit.lat)


def place_by_name(uow: UnitOfWork, text: str, province_code: str,
                  cache: dict[str, Place]) -> Place | None:
    """A commune of the province by code or by name (accents and case ignored)."""
    key = fold(text).replace("xa ", "").replace("phuong ", "").strip()
    if not cache:
        for c in units.communes_of_province(uow, province_code):
            place = Place(c.code, c.name, c.province_code, c.lon, c.lat)
            cache[c.code] = place
            cache[fold(c.name)] = place
            cache[fold(c.short_name)] = place
        province = units.get_unit(uow, province_code)
        cache[province_code] = Place(province.code, province.name, province_code,
                                     province.lon, province.lat)
    return cache.get(text.strip()) or cache.get(key) or cache.get(fold(text))


def province_code() -> str:
    return get_settings().province_code


def org_ref(uow: UnitOfWork, organisation_id: int, loc: str = "organisation_id"
            ) -> OrganisationRef:
    ref = registry.organisation_ref(uow, organisation_id)
    if ref is None:
        raise invalid(loc, f"Tổ chức #{organisation_id} không tồn tại.",
                      f"Organisation #{organisation_id} does not exist.")
    return ref


def acting_organisation(uow: UnitOfWork, given: int | None, roles: tuple[str, ...],
                        loc: str = "organisation_id") -> OrganisationRef:
    """The organisation a write is made for: the caller's own (co-op manager, buyer), or the
    one named by an administrator or an officer whose unit covers it."""
    p = uow.principal
    if p.role in ("coop_manager", "buyer") and p.role in roles:
        if given is not None and given != p.organisation_id:
            raise PermissionDenied("Bạn chỉ có thể làm việc này cho tổ chức của mình.",
                                   "You may only do this for your own organisation.")
        if p.organisation_id is None:
            raise PermissionDenied("Tài khoản chưa gắn với tổ chức nào.",
                                   "Your account has no organisation.")
        return org_ref(uow, p.organisation_id, loc)
    if p.role == "admin" or (p.role in OFFICERS and p.role in roles):
        if given is None:
            raise invalid(loc, "Cần chọn tổ chức.", "An organisation is required.")
        ref = org_ref(uow, given, loc)
        if not p.covers_unit(ref.commune_code, ref.province_code):
            raise PermissionDenied("Tổ chức này không thuộc địa bàn của bạn.",
                                   "This organisation is outside your area.")
        return ref
    raise PermissionDenied("Vai trò của bạn không được phép thực hiện thao tác này.",
                           "Your role may not do this.")


def sees_organisation(p: Principal, organisation_id: int, commune: str, province: str) -> bool:
    return (p.role == "admin" or p.organisation_id == organisation_id
            or (p.role in (*OFFICERS, "inspector") and p.covers_unit(commune, province)))
