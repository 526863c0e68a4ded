"""Product listings: co-operative and OCOP product pages with their price and traceability
link, the public catalogue, the feed for e-commerce platforms, the share of OCOP products
listed (a province target)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.market import catalogue
from nongso.market.models import Listing
from nongso.market.schemas import ListingCreate, ListingPublic, ListingUpdate, OcopListedShare
from nongso.market.services.common import (
    acting_organisation,
    invalid,
    product_of,
    province_code,
    sees_organisation,
)
from nongso.market.texts import find_phones, mask_phones
from nongso.registry import services as registry
from nongso.trace import services as trace

ROLES = ("coop_manager", "province_officer", "commune_officer")
FEED_FIELDS = ("id", "title", "title_en", "description", "price_vnd", "currency", "price_unit",
               "product_code", "gtin", "trace_link", "ocop_stars", "seller", "commune_code",
               "url", "updated_at")


def _no_phones(fields: dict[str, str | None]) -> None:
    errors = []
    for name, text in fields.items():
        found = find_phones(text)
        if found:
            errors.append(FieldError(
                name, f"Không ghi số điện thoại trong tin đăng («{found[0]}»): người mua liên hệ "
                "qua nền tảng.", f"No phone number in a listing ('{found[0]}'): buyers "
                "contact the seller through the platform."))
    if errors:
        raise ValidationFailed("Tin đăng có số điện thoại.", "The listing has a phone number.",
                               errors)


def _ocop_stars(uow: UnitOfWork, ids: Sequence[int | None]) -> dict[int, tuple[int, int, str]]:
    """(stars, organisation, status) of OCOP products, by id (one query per 500)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    out = {}
    offset = 0
    while True:
        page = trace.list_ocop_products(uow, PageRequest(500, offset))
        for o in page.items:
            if o.id in wanted:
                out[o.id] = (o.stars, o.organisation_id, o.status)
        offset += 500
        if offset >= page.total or len(out) == len(wanted):
            return out


def _public(row: Listing, names: dict[int, str], stars: dict[int, tuple[int, int, str]]
            ) -> ListingPublic:
    return ListingPublic(
        id=row.id, organisation_id=row.organisation_id,
        organisation_name=names.get(row.organisation_id, ""), commune_code=row.commune_code,
        title=row.title, title_en=row.title_en, description=mask_phones(row.description),
        product_code=row.product_code, price_vnd=row.price_vnd, price_unit=row.price_unit,
        gtin=row.gtin, lot_id=row.lot_id, trace_link=row.trace_link,
        ocop_product_id=row.ocop_product_id,
        ocop_stars=stars[row.ocop_product_id][0] if row.ocop_product_id in stars else None,
        published=row.published, updated_at=row.updated_at)


def create_listing(uow: UnitOfWork, data: ListingCreate) -> ListingPublic:
    require_role(uow.principal, *ROLES)
    _no_phones({"title": data.title, "title_en": data.title_en,
                "description": data.description})
    with uow:
        org = acting_organisation(uow, data.organisation_id, ROLES)
        product = product_of(data.product).code if data.product else None
        gtin, link = data.gtin, None
        if data.lot_id is not None:
            lot = trace.get_lot(uow, data.lot_id)
            if lot.organisation_id != org.id:
                raise invalid("lot_id", f"Lô {lot.lot_code} không thuộc {org.name}.",
                              f"Lot {lot.lot_code} does not belong to {org.name}.")
            gtin, link = lot.gtin, lot.digital_link or trace.digital_link(lot.gtin, lot.lot_code)
        elif gtin:
            try:
                link = trace.digital_link(gtin)
            except ValueError as exc:
                raise invalid("gtin", f"GTIN «{gtin}» không hợp lệ (sai số kiểm tra?).",
                              f"GTIN '{gtin}' is not valid (check digit?).") from exc
        stars = {}
        if data.ocop_product_id is not None:
            ocop = trace.get_ocop_product(uow, data.ocop_product_id)
            if ocop.organisation_id != org.id:
                raise invalid("ocop_product_id", f"Sản phẩm OCOP «{ocop.name}» không thuộc "
                              f"{org.name}.", f"OCOP product '{ocop.name}' does not belong to "
                              f"{org.name}.")
            stars = {ocop.id: (ocop.stars, ocop.organisation_id, ocop.status)}
        row = Listing(
            organisation_id=org.id, province_code=org.province_code,
            commune_code=org.commune_code, title=data.title, title_en=data.title_en,
            description=data.description, product_code=product, price_vnd=data.price_vnd,
            price_unit=data.price_unit, gtin=gtin, lot_id=data.lot_id, trace_link=link,
            ocop_product_id=data.ocop_product_id, published=data.published)
        uow.session.add(row)
        uow.commit()
        return _public(row, {org.id: org.name}, stars)


def _load(uow: UnitOfWork, listing_id: int, write: bool = False) -> Listing:
    row = uow.session.get(Listing, listing_id)
    p = uow.principal
    if row is None:
        raise not_found("tin đăng", "listing", listing_id)
    mine = sees_organisation(p, row.organisation_id, row.commune_code, row.province_code)
    if write and not (mine and p.role in (*ROLES, "admin")):
        raise not_found("tin đăng", "listing", listing_id)
    if not row.published and not mine:
        raise not_found("tin đăng", "listing", listing_id)
    return row


def update_listing(uow: UnitOfWork, listing_id: int, data: ListingUpdate) -> ListingPublic:
    require_role(uow.principal, *ROLES)
    changes = data.model_dump(exclude_unset=True)
    _no_phones({k: v for k, v in changes.items() if k in ("title", "title_en", "description")})
    with uow:
        row = _load(uow, listing_id, write=True)
        for key, value in changes.items():
            if key in ("title", "price_vnd", "price_unit", "published") and value is None:
                raise invalid(key, "Không được để trống.", "Must not be empty.")
            setattr(row, key, value)
        row.updated_at = clock.now()
        uow.commit()
        names = registry.organisation_names(uow, [row.organisation_id])
        return _public(row, names, _ocop_stars(uow, [row.ocop_product_id]))


def delete_listing(uow: UnitOfWork, listing_id: int) -> None:
    require_role(uow.principal, *ROLES)
    with uow:
        uow.session.delete(_load(uow, listing_id, write=True))
        uow.commit()


def get_listing(uow: UnitOfWork, listing_id: int) -> ListingPublic:
    with uow:
        row = _load(uow, listing_id)
        names = registry.organisation_names(uow, [row.organisation_id])
        return _public(row, names, _ocop_stars(uow, [row.ocop_product_id]))


def list_listings(uow: UnitOfWork, page: PageRequest, q: str | None = None,
                  product: str | None = None, organisation_id: int | None = None,
                  ocop: bool | None = None) -> Page[ListingPublic]:
    """The public catalogue (published listings of the province)."""
    with uow:
        s = uow.session
        stmt = select(Listing).where(Listing.province_code == province_code(),
                                     Listing.published.is_(True))
        if q:
            like = f"%{q.lower()}%"
            stmt = stmt.where(or_(func.lower(Listing.title).like(like),
                                  func.lower(Listing.description).like(like)))
        if product:
            stmt = stmt.where(Listing.product_code == product_of(product).code)
        if organisation_id is not None:
            stmt = stmt.where(Listing.organisation_id == organisation_id)
        if ocop is not None:
            stmt = stmt.where(Listing.ocop_product_id.is_not(None) if ocop
                              else Listing.ocop_product_id.is_(None))
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(s.scalars(stmt.order_by(Listing.updated_at.desc(), Listing.id.desc())
                              .limit(page.limit).offset(page.offset)))
        names = registry.organisation_names(uow, [r.organisation_id for r in rows])
        stars = _ocop_stars(uow, [r.ocop_product_id for r in rows])
        return Page(items=[_public(r, names, stars) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def _feed_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    base = get_settings().base_url.rstrip("/")
    out: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = list_listings(uow, PageRequest(500, offset))
        for item in page.items:
            out.append({
                "id": item.id, "title": item.title, "title_en": item.title_en or "",
                "description": item.description or "", "price_vnd": item.price_vnd,
                "currency": "VND", "price_unit": item.price_unit,
                "product_code": item.product_code or "", "gtin": item.gtin or "",
                "trace_link": item.trace_link or "", "ocop_stars": item.ocop_stars or "",
                "seller": item.organisation_name, "commune_code": item.commune_code,
                "url": f"{base}/market/listings/{item.id}",
                "updated_at": item.updated_at.isoformat()})
        offset += 500
        if offset >= page.total:
            return out


def catalogue_feed(uow: UnitOfWork, fmt: str) -> bytes:
    """The catalogue as CSV (UTF-8 with BOM, for spreadsheets) or JSON, for e-commerce
    platforms to import. Texts never carry a phone number."""
    rows = _feed_rows(uow)
    if fmt == "json":
        return json.dumps({"generated": clock.now().isoformat(), "items": rows},
                          ensure_ascii=False).encode()
    if fmt != "csv":
        raise invalid("format", "Định dạng phải là csv hoặc json.", "The format must be csv "
                      "or json.")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(FEED_FIELDS))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode()


def ocop_listed_share(uow: UnitOfWork, province: str | None = None) -> OcopListedShare:
    """How many of the province's active OCOP products have a published listing (the target:
    all of them). For the statistics domain's province targets."""
    province = province or province_code()
    with uow:
        active: set[int] = set()
        offset = 0
        while True:
            page = trace.list_ocop_products(uow, PageRequest(500, offset), status="active")
            active.update(o.id for o in page.items if o.province_code == province)
            offset += 500
            if offset >= page.total:
                break
        listed = set(uow.session.scalars(select(Listing.ocop_product_id).where(
            Listing.published.is_(True), Listing.ocop_product_id.is_not(None)).distinct()))
        n = len(active & listed)
    return OcopListedShare(province_code=province, ocop_products=len(active), listed=n,
                           share=round(n / len(active), 4) if active else None)


def products() -> list[catalogue.Product]:
    return list(catalogue.products().values())
