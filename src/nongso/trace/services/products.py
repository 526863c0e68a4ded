"""Use case: products (trade items, each with its GTIN) — public master data, managed by their
organisation.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from nongso.core.errors import Conflict, FieldError, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.references import ensure_unreferenced
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.trace.gs1 import GS1Error, normalise_gtin
from nongso.trace.models import Lot, Product
from nongso.trace.schemas import ProductCreate, ProductPublic, ProductUpdate
from nongso.trace.services._common import _require_manage
from nongso.trace.services.identifiers import _allocate_gtin, _gs1_field_error, _prefix


def _ensure_product(
    session: Session, organisation_id: int | None, kind: str, name: str, *,
    name_en: str | None = None, crop: str | None = None, by_product: bool = False,
    shelf_life_days: int | None = None,
) -> Product:
    product = session.scalar(select(Product).where(
        Product.organisation_id.is_(None) if organisation_id is None
        else Product.organisation_id == organisation_id,
        Product.kind == kind, Product.name == name,
    ).limit(1))
    if product is not None:
        return product
    prefix = _prefix(session, organisation_id)
    product = Product(
        gtin=_allocate_gtin(session, prefix), company_prefix=prefix, name=name, name_en=name_en,
        kind=kind, crop=crop, organisation_id=organisation_id, unit="KGM",
        shelf_life_days=shelf_life_days, by_product=by_product,
    )
    session.add(product)
    session.flush()
    return product


def create_product(uow: UnitOfWork, data: ProductCreate) -> ProductPublic:
    with uow:
        _require_manage(uow, data.organisation_id)
        s = uow.session
        if data.organisation_id is not None:
            registry.organisation_scope(uow, data.organisation_id)
        prefix = _prefix(s, data.organisation_id)
        if data.gtin is not None:
            try:
                gtin = normalise_gtin(data.gtin)
            except GS1Error as exc:
                raise _gs1_field_error(exc, "gtin") from exc
            if s.scalar(select(Product.id).where(Product.gtin == gtin)) is not None:
                raise Conflict(f"GTIN {gtin} đã được dùng.", f"GTIN {gtin} is already used.",
                               [FieldError("gtin", "Đã được dùng", "Already used")])
            if not gtin[1:].startswith(prefix):
                prefix = gtin[1:8]  # a GTIN of another company: assume a 7-digit prefix
        else:
            gtin = _allocate_gtin(s, prefix)
        product = Product(**data.model_dump(exclude={"gtin"}), gtin=gtin, company_prefix=prefix)
        s.add(product)
        uow.commit()
        return ProductPublic.model_validate(product)


def list_products(uow: UnitOfWork, page: PageRequest, organisation_id: int | None = None,
                  q: str | None = None) -> Page[ProductPublic]:
    """Products (trade items) are public master data."""
    stmt = select(Product)
    if organisation_id is not None:
        stmt = stmt.where(Product.organisation_id == organisation_id)
    if q:
        stmt = stmt.where(or_(func.lower(Product.name).contains(q.lower()), Product.gtin == q))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Product.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[ProductPublic.model_validate(r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def _load_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise not_found("sản phẩm", "product", product_id)
    return product


def get_product(uow: UnitOfWork, product_id: int) -> ProductPublic:
    with uow:
        return ProductPublic.model_validate(_load_product(uow.session, product_id))


def update_product(uow: UnitOfWork, product_id: int, data: ProductUpdate) -> ProductPublic:
    with uow:
        product = _load_product(uow.session, product_id)
        _require_manage(uow, product.organisation_id)
        for key, value in data.model_dump(exclude_unset=True).items():
            setattr(product, key, value)
        uow.commit()
        return ProductPublic.model_validate(product)


def delete_product(uow: UnitOfWork, product_id: int) -> None:
    with uow:
        product = _load_product(uow.session, product_id)
        _require_manage(uow, product.organisation_id)
        used = uow.session.scalar(select(func.count()).select_from(Lot)
                                  .where(Lot.product_id == product_id))
        if used:
            raise Conflict(f"Sản phẩm còn {used} lô hàng; không xoá được.",
                           f"The product still has {used} lots; it cannot be deleted.")
        ensure_unreferenced(uow.session, product, "sản phẩm", "product")
        uow.session.delete(product)
        uow.commit()
