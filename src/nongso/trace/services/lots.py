"""Use case: lots and serialised items — commissioning by hand, status (recall, withdrawal),
listing; each commissioning or recall is captured as an EPCIS event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from nongso.core import audit, clock, events
from nongso.core.errors import (
    Conflict,
    FieldError,
    PermissionDenied,
    ValidationFailed,
    not_found,
)
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import deny, require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.trace import store
from nongso.trace.gs1 import (
    GS1Error,
    lgtin_uri,
    make_lot_code,
    sgtin_uri,
    validate_lot,
    validate_serial,
)
from nongso.trace.models import Item, Location, Lot, Product
from nongso.trace.schemas import ItemCreate, ItemPublic, LotCreate, LotPublic, LotStatusUpdate
from nongso.trace.services._common import MANAGE_ROLES, READ_ROLES, _event, _require_manage
from nongso.trace.services._tenancy import (
    item_clause,
    location_clause,
    lot_clause,
    may_manage,
    reach,
)
from nongso.trace.services.epcis_capture import _record
from nongso.trace.services.identifiers import _canonical, _gs1_field_error, digital_link
from nongso.trace.services.locations import _org_location
from nongso.trace.services.products import _load_product
from nongso.trace.services.recall import _downstream_receivers


def _lot_public(lot: Lot) -> LotPublic:
    out = LotPublic.model_validate(lot)
    out.digital_link = digital_link(lot.gtin, lot.lot_code)
    return out


def _item_public(item: Item) -> ItemPublic:
    out = ItemPublic.model_validate(item)
    out.digital_link = digital_link(item.gtin, serial=item.serial)
    return out


def _unique_lot_code(session: Session, gtin: str, wanted: str) -> str:
    code = wanted
    n = 1
    while session.scalar(select(Lot.id).where(Lot.gtin == gtin, Lot.lot_code == code)):
        n += 1
        suffix = f"-{n}"
        code = wanted[: 20 - len(suffix)] + suffix
    return code


@dataclass
class _NewLot:
    product: Product
    label: str
    lot_code: str
    quantity: float | None
    organisation_id: int | None = None
    location: Location | None = None
    production_unit_id: int | None = None
    planting_area_code: str | None = None
    season_id: int | None = None
    crop: str | None = None
    variety: str | None = None
    harvest_date: dt.date | None = None
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None
    certifications: Sequence[str] = ()
    source: str | None = None
    harvest_end_date: dt.date | None = None  # several harvests: the last day
    varieties: Sequence[str] | None = None  # several varieties: all of them


def _create_lot(session: Session, new: _NewLot) -> Lot:
    product = new.product
    try:
        code = validate_lot(new.lot_code)
    except GS1Error as exc:
        raise _gs1_field_error(exc, "lot_code") from exc
    code = _unique_lot_code(session, product.gtin, code)
    expiry = new.expiry_date
    base_date = new.production_date or new.harvest_date
    if expiry is None and product.shelf_life_days and base_date is not None:
        expiry = base_date + dt.timedelta(days=product.shelf_life_days)
    lot = Lot(
        product_id=product.id, gtin=product.gtin, lot_code=code, label=new.label,
        epc_class=lgtin_uri(product.gtin, code, len(product.company_prefix)),
        canonical=_canonical(lgtin_uri(product.gtin, code, len(product.company_prefix))),
        quantity=new.quantity, unit=product.unit,
        status="active", organisation_id=new.organisation_id,
        location_id=new.location.id if new.location else None,
        production_unit_id=new.production_unit_id,
        planting_area_code=new.planting_area_code, season_id=new.season_id,
        crop=new.crop or product.crop, variety=new.variety, harvest_date=new.harvest_date,
        harvest_end_date=new.harvest_end_date,
        varieties=list(new.varieties) if new.varieties else None,
        production_date=new.production_date, expiry_date=expiry,
        certifications=list(new.certifications), source=new.source,
    )
    session.add(lot)
    session.flush()
    return lot


def _load_lot(session: Session, lot_id: int) -> Lot:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise not_found("lô hàng", "lot", lot_id)
    return lot


def _visible_lot(uow: UnitOfWork, lot_id: int) -> Lot:
    """A lot the principal may see (its organisation's, in its unit, or received); another
    organisation's lot is reported as not found (no probing)."""
    r = reach(uow)
    lot = uow.session.scalar(select(Lot).where(Lot.id == lot_id, lot_clause(r)))
    if lot is None:
        raise not_found("lô hàng", "lot", lot_id)
    return lot


def list_lots(
    uow: UnitOfWork, page: PageRequest, organisation_id: int | None = None,
    status: str | None = None, q: str | None = None,
) -> Page[LotPublic]:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        stmt = select(Lot).where(lot_clause(reach(uow)))
    if organisation_id is not None:
        stmt = stmt.where(Lot.organisation_id == organisation_id)
    if status:
        stmt = stmt.where(Lot.status == status)
    if q:
        stmt = stmt.where(or_(Lot.lot_code == q, func.lower(Lot.label).contains(q.lower())))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Lot.id.desc()).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[_lot_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def get_lot(uow: UnitOfWork, lot_id: int) -> LotPublic:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        return _lot_public(_visible_lot(uow, lot_id))


def commission_lot(uow: UnitOfWork, data: LotCreate) -> LotPublic:
    """Create a lot by hand and capture its commissioning event (ObjectEvent ADD)."""
    with uow:
        s = uow.session
        product = _load_product(s, data.product_id)
        _require_manage(uow, product.organisation_id)
        location = None
        if data.location_id is not None:
            location = s.scalar(select(Location).where(
                Location.id == data.location_id, location_clause(reach(uow))))
            if location is None:
                raise ValidationFailed("Địa điểm không tồn tại.", "The location does not exist.",
                                       [FieldError("location_id", "Không tồn tại",
                                                   "Does not exist")])
        elif product.organisation_id is not None:
            location = _org_location(uow, product.organisation_id)
        try:
            code = data.lot_code or make_lot_code(data.label)
            validate_lot(code)
        except GS1Error as exc:
            raise _gs1_field_error(exc, "lot_code") from exc
        lot = _create_lot(s, _NewLot(
            product=product, label=data.label, lot_code=code, quantity=data.quantity,
            organisation_id=product.organisation_id, location=location,
            production_unit_id=data.production_unit_id,
            planting_area_code=data.planting_area_code or (
                location.planting_area_code if location else None),
            harvest_date=data.harvest_date, production_date=data.production_date,
            expiry_date=data.expiry_date, certifications=data.certifications,
        ))
        at = data.commissioned_at or clock.now()
        _record(uow, [_commissioning_event(lot, location, at)], source="api")
        uow.commit()
        return _lot_public(lot)


def set_lot_status(uow: UnitOfWork, lot_id: int, data: LotStatusUpdate) -> LotPublic:
    """Recall, withdraw, hold or re-activate a lot, captured as an EPCIS event with its CBV
    disposition and in the audit log. A held lot (a violation in its backward trace) is
    released or withdrawn by an inspector only."""
    with uow:
        require_login(uow.principal)
        p = uow.principal
        if not (p.is_admin or p.role in (*MANAGE_ROLES, "inspector")):
            raise deny()  # a farmer never sets a lot's status: 403 whatever the lot
        lot = _visible_lot(uow, lot_id)
        # The lot's organisation, or an officer/inspector whose unit covers it.
        if not may_manage(uow, lot.organisation_id, inspector=True):
            raise deny()
        before = lot.status
        if before == "held" and data.status != "held" and not (
                p.is_admin or p.role == "inspector"):
            raise PermissionDenied(
                "Lô hàng đang chờ kiểm tra; chỉ cán bộ kiểm tra mới cho lưu hành hoặc rút lại.",
                "The lot is held for inspection; only an inspector may release or withdraw it.")
        lot.status = data.status
        lot.status_reason = data.reason
        step_disposition = {
            "recalled": ("removing", "recalled"),
            "withdrawn": ("inspecting" if before == "held" else "holding", "non_sellable_other"),
            "held": ("holding", "non_sellable_other"),
        }.get(data.status)
        if data.status == "active" and before == "held":
            step_disposition = ("inspecting", "conformant")  # released after inspection
        if step_disposition is not None:
            biz_step, disposition = step_disposition
            event = _event("ObjectEvent", clock.now(), action="OBSERVE", bizStep=biz_step,
                           disposition=disposition,
                           quantityList=[{"epcClass": lot.epc_class}],
                           **{"nongso:reason": data.reason})
            _record(uow, [event], source="api")
        audit.record(uow.session, "lot_status", "trace_lots", str(lot.id),
                     {"from": before, "to": data.status, "reason": data.reason,
                      "lot_code": lot.lot_code})
        if data.status in ("recalled", "withdrawn") and before != data.status:
            receivers = _downstream_receivers(uow.session, lot)
            if receivers:
                events.publish(uow, events.LotRecalled(
                    lot_id=lot.id, lot_code=lot.lot_code, label=lot.label, status=data.status,
                    reason=data.reason, receiver_organisation_ids=tuple(receivers),
                    path=f"/trace/lots/{lot.id}"))
        uow.commit()
        return _lot_public(lot)


def create_item(uow: UnitOfWork, data: ItemCreate) -> ItemPublic:
    """A serialised item (a tree, a box) and its commissioning event."""
    with uow:
        s = uow.session
        product = _load_product(s, data.product_id)
        _require_manage(uow, product.organisation_id)
        if data.serial is None:
            (n,) = store.next_values(s, f"serial:{product.gtin}")
            serial = str(n)
        else:
            serial = data.serial
        try:
            validate_serial(serial)
        except GS1Error as exc:
            raise _gs1_field_error(exc, "serial") from exc
        if s.scalar(select(Item.id).where(Item.gtin == product.gtin, Item.serial == serial)):
            raise Conflict(f"Số sê-ri {serial} đã có.", f"Serial {serial} already exists.",
                           [FieldError("serial", "Đã có", "Already exists")])
        lot = _visible_lot(uow, data.lot_id) if data.lot_id is not None else None
        item = Item(
            product_id=product.id, lot_id=lot.id if lot else None, gtin=product.gtin,
            serial=serial, epc=sgtin_uri(product.gtin, serial, len(product.company_prefix)),
            canonical=_canonical(sgtin_uri(product.gtin, serial, len(product.company_prefix))),
            kind=data.kind, label=data.label,
            production_unit_id=data.production_unit_id, planted_year=data.planted_year,
        )
        s.add(item)
        s.flush()
        location = None
        if data.production_unit_id is not None:
            location = s.scalar(select(Location).where(
                Location.production_unit_id == data.production_unit_id))
        if location is None and product.organisation_id is not None:
            location = _org_location(uow, product.organisation_id)
        fields: dict[str, Any] = {"epcList": [item.epc]}
        if location is not None:
            fields["readPoint"] = {"id": location.sgln}
            fields["bizLocation"] = {"id": location.sgln}
        if data.planted_year:
            fields["ilmd"] = {"nongso:plantedYear": data.planted_year}
        _record(uow, [_event("ObjectEvent", clock.now(), action="ADD", bizStep="commissioning",
                             disposition="active", **fields)], source="api")
        uow.commit()
        return _item_public(item)


def list_items(uow: UnitOfWork, page: PageRequest, lot_id: int | None = None,
               product_id: int | None = None) -> Page[ItemPublic]:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        stmt = select(Item).where(item_clause(reach(uow)))
    if lot_id is not None:
        stmt = stmt.where(Item.lot_id == lot_id)
    if product_id is not None:
        stmt = stmt.where(Item.product_id == product_id)
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Item.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[_item_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def _commissioning_event(lot: Lot, location: Location | None, at: dt.datetime) -> dict[str, Any]:
    ilmd: dict[str, Any] = {"cbvmda:lotNumber": lot.lot_code, "cbvmda:countryOfOrigin": "VN"}
    if lot.harvest_date:
        ilmd["cbvmda:harvestStartDate"] = lot.harvest_date.isoformat()
        ilmd["cbvmda:harvestEndDate"] = (lot.harvest_end_date or lot.harvest_date).isoformat()
    if lot.expiry_date:
        ilmd["cbvmda:itemExpirationDate"] = lot.expiry_date.isoformat()
    if lot.planting_area_code:
        ilmd["nongso:plantingAreaCode"] = lot.planting_area_code
    if location is not None:
        ilmd["nongso:farm"] = location.sgln
    if lot.crop:
        ilmd["nongso:crop"] = lot.crop
    if lot.variety:
        ilmd["nongso:variety"] = lot.variety
    if lot.certifications:
        ilmd["nongso:certifications"] = list(lot.certifications)
    quantity: dict[str, Any] = {"epcClass": lot.epc_class}
    if lot.quantity is not None:
        quantity.update(quantity=lot.quantity, uom=lot.unit)
    place = {"id": location.sgln} if location is not None else None
    return _event("ObjectEvent", at, action="ADD", bizStep="commissioning",
                  disposition="active", quantityList=[quantity], readPoint=place,
                  bizLocation=place, ilmd=ilmd)
