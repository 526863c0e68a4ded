"""Use case: OCOP products (public information) and the export for the national traceability
portal (the files are written by ``trace/exports.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nongso.core import audit
from nongso.core.errors import Conflict, FieldError, TooLarge, ValidationFailed, not_found
from nongso.core.limits import UnreadableUpload, check_image
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import deny, require_role
from nongso.core.references import ensure_unreferenced
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.trace import exports
from nongso.trace.models import Lot, OcopProduct, Product
from nongso.trace.schemas import OcopProductCreate, OcopProductPublic, OcopProductUpdate
from nongso.trace.services._common import _unit_name
from nongso.trace.services.identifiers import digital_link
from nongso.trace.services.products import _load_product

OCOP_ROLES = ("province_officer", "commune_officer")
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _ocop_public(row: OcopProduct) -> OcopProductPublic:
    out = OcopProductPublic.model_validate(row)
    out.has_image = row.image is not None
    return out


def _load_ocop(session: Session, ocop_id: int) -> OcopProduct:
    row = session.get(OcopProduct, ocop_id)
    if row is None:
        raise not_found("sản phẩm OCOP", "OCOP product", ocop_id)
    return row


def _require_ocop_manager(uow: UnitOfWork, commune_code: str, province_code: str) -> None:
    require_role(uow.principal, *OCOP_ROLES)
    if not uow.principal.is_admin and not uow.principal.covers_unit(commune_code, province_code):
        raise deny()


def create_ocop_product(uow: UnitOfWork, data: OcopProductCreate) -> OcopProductPublic:
    with uow:
        scope = registry.organisation_scope(uow, data.organisation_id)
        _require_ocop_manager(uow, scope.commune_code, scope.province_code)
        s = uow.session
        if data.valid_until <= data.certified_on:
            raise ValidationFailed("Ngày hết hiệu lực phải sau ngày cấp.",
                                   "The validity must end after the certification date.",
                                   [FieldError("valid_until", "Trước ngày cấp",
                                               "Before the certification date")])
        if data.product_id is not None:
            _load_product(s, data.product_id)
        if s.scalar(select(OcopProduct.id).where(
                OcopProduct.certificate_no == data.certificate_no)):
            raise Conflict(f"Giấy chứng nhận {data.certificate_no} đã có.",
                           f"Certificate {data.certificate_no} already exists.",
                           [FieldError("certificate_no", "Đã có", "Already exists")])
        row = OcopProduct(**data.model_dump(), province_code=scope.province_code,
                          commune_code=scope.commune_code)
        s.add(row)
        uow.commit()
        return _ocop_public(row)


def list_ocop_products(uow: UnitOfWork, page: PageRequest, stars: int | None = None,
                       commune_code: str | None = None, q: str | None = None,
                       status: str | None = None) -> Page[OcopProductPublic]:
    """OCOP products are public (a consumer's and a buyer's information)."""
    stmt = select(OcopProduct)
    if stars is not None:
        stmt = stmt.where(OcopProduct.stars == stars)
    if commune_code:
        stmt = stmt.where(OcopProduct.commune_code == commune_code)
    if status:
        stmt = stmt.where(OcopProduct.status == status)
    if q:
        stmt = stmt.where(func.lower(OcopProduct.name).contains(q.lower()))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(OcopProduct.stars.desc(), OcopProduct.id)
                                   .limit(page.limit).offset(page.offset)).all()
        return Page(items=[_ocop_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def get_ocop_product(uow: UnitOfWork, ocop_id: int) -> OcopProductPublic:
    with uow:
        return _ocop_public(_load_ocop(uow.session, ocop_id))


def update_ocop_product(uow: UnitOfWork, ocop_id: int, data: OcopProductUpdate
                        ) -> OcopProductPublic:
    with uow:
        row = _load_ocop(uow.session, ocop_id)
        _require_ocop_manager(uow, row.commune_code, row.province_code)
        for key, value in data.model_dump(exclude_unset=True).items():
            setattr(row, key, value)
        if row.valid_until <= row.certified_on:
            raise ValidationFailed("Ngày hết hiệu lực phải sau ngày cấp.",
                                   "The validity must end after the certification date.",
                                   [FieldError("valid_until", "Trước ngày cấp",
                                               "Before the certification date")])
        uow.commit()
        return _ocop_public(row)


def delete_ocop_product(uow: UnitOfWork, ocop_id: int) -> None:
    with uow:
        row = _load_ocop(uow.session, ocop_id)
        _require_ocop_manager(uow, row.commune_code, row.province_code)
        ensure_unreferenced(uow.session, row, "sản phẩm OCOP", "OCOP product")
        uow.session.delete(row)
        uow.commit()


def set_ocop_image(uow: UnitOfWork, ocop_id: int, content: bytes) -> OcopProductPublic:
    """Keep the product photo (PNG or JPEG up to 2 MB, checked by decoding it)."""
    if len(content) > MAX_IMAGE_BYTES:
        raise TooLarge("Ảnh tối đa 2 MB.", "The image may be at most 2 MB.")
    try:
        # The pixel count is checked from the header, before anything is decoded.
        kind = check_image(content).format.lower()
    except UnreadableUpload as exc:
        raise ValidationFailed("Tệp không phải ảnh PNG hoặc JPEG đọc được.",
                               "The file is not a readable PNG or JPEG image.",
                               [FieldError("image", "Không đọc được", "Unreadable")]) from exc
    if kind not in ("png", "jpeg"):
        raise ValidationFailed("Chỉ nhận ảnh PNG hoặc JPEG.", "Only PNG or JPEG is accepted.",
                               [FieldError("image", f"Định dạng {kind}", f"Format {kind}")])
    with uow:
        row = _load_ocop(uow.session, ocop_id)
        _require_ocop_manager(uow, row.commune_code, row.province_code)
        row.image = content
        row.image_type = f"image/{kind}"
        audit.record(uow.session, "set_image", "trace_ocop_products", str(ocop_id),
                     {"bytes": len(content), "type": row.image_type})
        uow.commit()
        return _ocop_public(row)


def ocop_image(uow: UnitOfWork, ocop_id: int) -> tuple[bytes, str]:
    with uow:
        row = _load_ocop(uow.session, ocop_id)
        if row.image is None or row.image_type is None:
            raise not_found("ảnh sản phẩm OCOP", "OCOP product image", ocop_id)
        return bytes(row.image), row.image_type


def ocop_portal_fields() -> list[dict[str, str]]:
    import csv
    from importlib import resources

    path = resources.files("nongso.trace").joinpath("data", "ocop_portal_fields.csv")
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def ocop_export_rows(uow: UnitOfWork, province_code: str | None = None) -> list[dict[str, Any]]:
    """One row per lot of each active OCOP product (or one per product without lots), with the
    fields the national traceability portal asks for."""
    base = get_settings().base_url.rstrip("/")
    with uow:
        s = uow.session
        stmt = select(OcopProduct).where(OcopProduct.status == "active")
        if province_code:
            stmt = stmt.where(OcopProduct.province_code == province_code)
        products = s.scalars(stmt.order_by(OcopProduct.id)).all()
        org_ids = {p.organisation_id for p in products}
        orgs = {o.id: o for o in (registry.get_organisation(uow, i) for i in org_ids)}
        rows: list[dict[str, Any]] = []
        for ocop in products:
            org = orgs[ocop.organisation_id]
            address = ", ".join(x for x in (org.address, _unit_name(uow, org.commune_code))
                                if x)
            lots = s.scalars(select(Lot).where(Lot.product_id == ocop.product_id,
                                               Lot.status == "active")
                             .order_by(Lot.id.desc()).limit(1000)).all() \
                if ocop.product_id is not None else []
            product = s.get(Product, ocop.product_id) if ocop.product_id else None
            common = {
                "product_name": ocop.name,
                "image": f"{base}/api/v1/trace/ocop/{ocop.id}/image" if ocop.image else "",
                "producer_name": org.name, "producer_address": address,
                "stars": ocop.stars, "certificate_no": ocop.certificate_no,
                "valid_until": f"{ocop.valid_until:%d/%m/%Y}",
            }
            shelf = ocop.shelf_life_days or (product.shelf_life_days if product else None)
            if not lots:
                rows.append({**common, "production_time": "",
                             "code": f"(01){product.gtin}" if product else "",
                             "shelf_life": f"{shelf} ngày / days" if shelf else ""})
            for lot in lots:
                made = lot.production_date or lot.harvest_date
                rows.append({
                    **common,
                    "production_time": f"{made:%d/%m/%Y}" if made else "",
                    "code": f"(01){lot.gtin}(10){lot.lot_code} "
                            f"{digital_link(lot.gtin, lot.lot_code)}",
                    "shelf_life": f"{lot.expiry_date:%d/%m/%Y}" if lot.expiry_date else (
                        f"{shelf} ngày / days" if shelf else ""),
                })
        return rows


def ocop_export(uow: UnitOfWork, kind: str, province_code: str | None = None) -> bytes:
    """The portal export as ``csv`` (UTF-8 with BOM), ``xlsx`` or ``json``."""
    return exports.ocop_portal_file(ocop_export_rows(uow, province_code), ocop_portal_fields(),
                                    kind)
