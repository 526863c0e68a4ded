"""Inputs bought from a registered input dealer, with their lot and invoice: what a
spraying or fertilising can name as the origin of what it used.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from nongso.core import clock
from nongso.core.errors import Conflict
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import deny, require_role
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Input, Purchase
from nongso.diary.quantities import QuantityError, quantity
from nongso.diary.schemas import PurchaseCreate, PurchasePublic
from nongso.diary.services._common import (
    _can_read,
    _can_write,
    _invalid,
    _organisation,
    _page,
    _scope_clause,
)
from nongso.diary.services.inputs import _load_input
from nongso.registry import services as registry


def _purchase_publics(uow: UnitOfWork, rows: Sequence[Purchase]) -> list[PurchasePublic]:
    inputs = dict(uow.session.execute(select(Input.id, Input.name).where(
        Input.id.in_({r.input_id for r in rows}))).all()) if rows else {}
    dealers = registry.organisation_names(uow, (r.dealer_organisation_id for r in rows))
    return [PurchasePublic(
        id=r.id, client_uuid=r.client_uuid, input_id=r.input_id, input_name=inputs[r.input_id],
        dealer_organisation_id=r.dealer_organisation_id,
        dealer_name=dealers.get(r.dealer_organisation_id, ""), farmer_id=r.farmer_id,
        organisation_id=r.organisation_id, purchased_on=r.purchased_on, quantity=r.quantity,
        unit=r.unit, quantity_base=r.quantity_base, base_unit=r.base_unit, lot=r.lot,
        invoice_no=r.invoice_no, price_vnd=r.price_vnd) for r in rows]


def create_purchase(uow: UnitOfWork, data: PurchaseCreate) -> PurchasePublic:
    require_role(uow.principal, "farmer", "coop_manager")
    with uow:
        s, p = uow.session, uow.principal
        client_uuid = str(data.client_uuid or uuid.uuid4())
        existing = s.scalar(select(Purchase).where(Purchase.client_uuid == client_uuid))
        if existing is not None:
            if not _can_read(p, existing):
                raise Conflict("Mã UUID đã được dùng.", "This UUID is already used.")
            return _purchase_publics(uow, [existing])[0]
        item = _load_input(uow, data.input_id)
        dealer = _organisation(uow, data.dealer_organisation_id, "dealer_organisation_id")
        if dealer.kind != "input_dealer":
            raise _invalid("dealer_organisation_id",
                           f"«{dealer.name}» không phải là đại lý vật tư nông nghiệp.",
                           f"'{dealer.name}' is not an input dealer.")
        if data.purchased_on > clock.today_vn() + dt.timedelta(days=1):
            raise _invalid("purchased_on", "Ngày mua ở tương lai.", "Purchase date in the future.")
        try:
            amount = quantity(data.quantity, data.unit, allow_zero=False)
        except QuantityError as exc:
            raise _invalid("unit", exc.message_vi, exc.message_en) from exc
        if amount.unit.dimension not in ("mass", "volume", "count"):
            raise _invalid("unit", "Đơn vị mua phải là khối lượng, thể tích hoặc số lượng.",
                           "A purchase is a mass, a volume or a count.")
        farmer_id = data.farmer_id if data.farmer_id is not None else p.farmer_id
        farmer = registry.farmer_ref(uow, farmer_id) if farmer_id is not None else None
        if farmer_id is not None and farmer is None:
            raise _invalid("farmer_id", f"Nông hộ #{farmer_id} không tồn tại.",
                           f"Farmer #{farmer_id} does not exist.")
        if farmer is not None:
            scope = Purchase(farmer_id=farmer.id, organisation_id=farmer.organisation_id,
                             commune_code=farmer.commune_code, province_code=farmer.province_code)
        else:
            org = _organisation(uow, p.organisation_id or 0, "organisation_id")
            scope = Purchase(farmer_id=None, organisation_id=org.id,
                             commune_code=org.commune_code, province_code=org.province_code)
        if not _can_write(p, scope):
            raise deny()
        purchase = Purchase(
            client_uuid=client_uuid, input_id=item.id, dealer_organisation_id=dealer.id,
            farmer_id=scope.farmer_id, organisation_id=scope.organisation_id,
            commune_code=scope.commune_code, province_code=scope.province_code,
            purchased_on=data.purchased_on, quantity=amount.value, unit=amount.unit.symbol,
            quantity_base=amount.base, base_unit=amount.base_unit, lot=data.lot,
            invoice_no=data.invoice_no, price_vnd=data.price_vnd,
        )
        s.add(purchase)
        uow.commit()
        return _purchase_publics(uow, [purchase])[0]


def list_purchases(uow: UnitOfWork, page: PageRequest, input_id: int | None = None
                   ) -> Page[PurchasePublic]:
    with uow:
        stmt = select(Purchase).where(_scope_clause(uow.principal, Purchase))
        if input_id is not None:
            stmt = stmt.where(Purchase.input_id == input_id)
        return _page(uow.session, stmt, (Purchase.purchased_on.desc(), Purchase.id), page,
                     lambda rows: _purchase_publics(uow, rows))


def input_dealers(uow: UnitOfWork, province_code: str) -> list[tuple[int, str]]:
    """The input dealers of the registry (public business information), for forms."""
    page = registry.list_organisations(uow, PageRequest(500, 0), kind="input_dealer",
                                       province_code=province_code)
    return [(o.id, o.name) for o in page.items]
