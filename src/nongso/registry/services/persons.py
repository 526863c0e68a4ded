"""A farmer's personal data: exported and erased on request (Decree 13/2023/NĐ-CP). The
caller (``accounts``) checks who asks and owns the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from nongso.core.errors import not_found
from nongso.core.uow import UnitOfWork
from nongso.registry.models import Farmer, ProductionUnit


def erased_name(farmer_id: int) -> str:
    return f"Nông hộ đã xoá dữ liệu #{farmer_id}"


def farmer_personal_data(uow: UnitOfWork, farmer_id: int) -> dict[str, Any]:
    """What the register holds about a farmer: the record and the production units."""
    with uow:
        s = uow.session
        farmer = s.get(Farmer, farmer_id)
        if farmer is None:
            raise not_found("nông hộ", "farmer", farmer_id)
        units = s.scalars(select(ProductionUnit).where(ProductionUnit.farmer_id == farmer_id)
                          .order_by(ProductionUnit.id)).all()
        return {
            "farmer": {"id": farmer.id, "full_name": farmer.full_name, "phone": farmer.phone,
                       "national_id": farmer.national_id,
                       "commune_code": farmer.commune_code,
                       "province_code": farmer.province_code,
                       "organisation_id": farmer.organisation_id,
                       "created_at": farmer.created_at.isoformat()},
            "production_units": [
                {"id": u.id, "kind": u.kind, "code": u.code, "name": u.name,
                 "commune_code": u.commune_code, "crop": u.crop, "area_ha": u.area_ha,
                 "attributes": dict(u.attributes or {})} for u in units],
        }


def anonymise_farmer(uow: UnitOfWork, farmer_id: int) -> list[str]:
    """Replace the farmer's name, phone and national ID (the row, its id, its commune and its
    links stay, so aggregates and lots are unchanged). Written with one ``UPDATE`` so that no
    audit entry copies the old values; returns them, for the caller to redact the trail."""
    with uow:
        s = uow.session
        farmer = s.get(Farmer, farmer_id)
        if farmer is None:
            raise not_found("nông hộ", "farmer", farmer_id)
        old = [v for v in (farmer.full_name, farmer.phone, farmer.national_id) if v]
        s.execute(update(Farmer).where(Farmer.id == farmer_id).values(
            full_name=erased_name(farmer_id), phone=None, national_id=None))
        s.expire(farmer)
        return [v for v in old if v != erased_name(farmer_id)]
