"""Use case: QR codes of lots and items and printable A4 label sheets (the PDF is written by
``trace/exports.py``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nongso.core.errors import FieldError, ValidationFailed, not_found
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.trace import exports, qr
from nongso.trace.models import Item, Lot, Product
from nongso.trace.schemas import LabelSheetRequest
from nongso.trace.services._common import READ_ROLES, harvest_period
from nongso.trace.services._tenancy import item_clause, reach
from nongso.trace.services.identifiers import digital_link
from nongso.trace.services.lots import _visible_lot


def _lot_label(s: Session, lot: Lot) -> exports.Label:
    product = s.get(Product, lot.product_id)
    assert product is not None
    lines = [f"Lô: {lot.lot_code}"]
    if lot.varieties:
        lines.append("Giống: " + ", ".join(lot.varieties))
    period = harvest_period(lot.harvest_date, lot.harvest_end_date)
    if period is not None and lot.harvest_end_date:
        # "Thu hoạch từ 02/03" / "đến 15/03/2026": two lines, the label is narrow.
        since, until = period[0].split(" đến ", 1)
        lines += [since[0].upper() + since[1:], f"đến {until}"]
    elif lot.harvest_date:
        lines.append(f"Thu hoạch: {lot.harvest_date:%d/%m/%Y}")
    if lot.expiry_date:
        lines.append(f"HSD: {lot.expiry_date:%d/%m/%Y}")
    if lot.planting_area_code:
        lines.append(f"Mã vùng trồng: {lot.planting_area_code}")
    if lot.certifications:
        lines.append(", ".join(lot.certifications))
    return exports.Label(digital_link(lot.gtin, lot.lot_code), product.name, lines,
                    f"(01){lot.gtin}(10){lot.lot_code}")


def _item_label(s: Session, item: Item) -> exports.Label:
    product = s.get(Product, item.product_id)
    assert product is not None
    lines = [item.label]
    if item.planted_year:
        lines.append(f"Trồng năm {item.planted_year}")
    return exports.Label(digital_link(item.gtin, serial=item.serial), product.name, lines,
                    f"(01){item.gtin}(21){item.serial}")


def lot_qr(uow: UnitOfWork, lot_id: int, kind: str) -> bytes:
    """The QR code of a lot's Digital Link URI, as PNG or SVG."""
    require_role(uow.principal, *READ_ROLES)
    with uow:
        lot = _visible_lot(uow, lot_id)
        uri = digital_link(lot.gtin, lot.lot_code)
    return qr.qr_png(uri) if kind == "png" else qr.qr_svg(uri).encode()


def item_qr(uow: UnitOfWork, item_id: int, kind: str) -> bytes:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        item = uow.session.scalar(select(Item).where(Item.id == item_id,
                                                     item_clause(reach(uow))))
        if item is None:
            raise not_found("đối tượng", "item", item_id)
        uri = digital_link(item.gtin, serial=item.serial)
    return qr.qr_png(uri) if kind == "png" else qr.qr_svg(uri).encode()


def label_sheet(uow: UnitOfWork, data: LabelSheetRequest) -> bytes:
    """A printable A4 sheet (PDF) of QR labels for lots and items, ``copies`` of each."""
    require_role(uow.principal, *READ_ROLES)
    if not data.lot_ids and not data.item_ids:
        raise ValidationFailed("Chọn ít nhất một lô hoặc một đối tượng.",
                               "Choose at least one lot or item.",
                               [FieldError("lot_ids", "Trống", "Empty")])
    with uow:
        s = uow.session
        labels: list[exports.Label] = []
        for lot_id in data.lot_ids:
            labels.extend([_lot_label(s, _visible_lot(uow, lot_id))] * data.copies)
        for item_id in data.item_ids:
            item = s.scalar(select(Item).where(Item.id == item_id, item_clause(reach(uow))))
            if item is None:
                raise not_found("đối tượng", "item", item_id)
            labels.extend([_item_label(s, item)] * data.copies)
    if len(labels) > 2400:
        raise ValidationFailed("Tối đa 2400 nhãn (100 trang) mỗi lần in.",
                               "At most 2400 labels (100 pages) per sheet.",
                               [FieldError("copies", "Quá nhiều", "Too many")])
    return exports.label_sheet_pdf(labels)
