"""The inputs catalogue: fertilisers and pesticides (with their active ingredients,
pre-harvest interval and label dose), shared by the province or a co-operative's own.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, true

from nongso.core.errors import Conflict, FieldError, not_found
from nongso.core.i18n import fold
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import deny, require_login, require_role
from nongso.core.references import ensure_unreferenced
from nongso.core.uow import UnitOfWork
from nongso.diary import rules
from nongso.diary.models import ActivityInput, Input, Purchase
from nongso.diary.quantities import QuantityError, parse_unit
from nongso.diary.schemas import BanPublic, InputCreate, InputPublic, InputUpdate
from nongso.diary.services._common import _invalid, _organisation, _page
from nongso.registry import services as registry


def _input_visibility(uow: UnitOfWork) -> ColumnElement[bool]:
    p = uow.principal
    if p.is_admin or p.role in ("province_officer", "inspector", "commune_officer"):
        return true()
    org = p.organisation_id
    if p.role == "farmer" and p.farmer_id is not None:
        org = registry.farmer_organisation(uow, p.farmer_id)
    if org is not None:
        return Input.organisation_id.is_(None) | (Input.organisation_id == org)
    return Input.organisation_id.is_(None)


def _input_public(i: Input) -> InputPublic:
    public = InputPublic.model_validate(i)
    entries = [e for a in i.active_ingredients
               if (e := rules.match_banned(str(a.get("name", "")))) is not None]
    public.banned_ingredients = [e.name for e in entries]
    public.bans = [BanPublic(ingredient=e.name, banned_from=e.banned_from, decision=e.decision)
                   for e in entries]
    return public


def _check_input_data(data: InputCreate | InputUpdate) -> None:
    if data.label_dose_unit is not None:
        try:
            unit = parse_unit(data.label_dose_unit)
        except QuantityError as exc:
            raise _invalid("label_dose_unit", exc.message_vi, exc.message_en) from exc
        if unit.dimension not in ("mass", "volume"):
            raise _invalid("label_dose_unit", "Liều trên nhãn tính theo khối lượng hoặc thể tích "
                           "mỗi ha (kg, g, L, mL).", "A label dose is a mass or volume per ha "
                           "(kg, g, L, mL).")
        data.label_dose_unit = unit.symbol
    if isinstance(data, InputCreate):
        if data.kind == "pesticide" and not data.active_ingredients:
            raise _invalid("active_ingredients", "Thuốc BVTV cần ít nhất một hoạt chất.",
                           "A pesticide needs at least one active ingredient.")
        if data.kind != "pesticide" and (data.phi_days is not None):
            raise _invalid("phi_days", "Thời gian cách ly chỉ dành cho thuốc BVTV.",
                           "A pre-harvest interval is for pesticides only.")


def create_input(uow: UnitOfWork, data: InputCreate) -> InputPublic:
    require_role(uow.principal, "province_officer", "coop_manager")
    p = uow.principal
    if p.role == "coop_manager":
        if data.organisation_id not in (None, p.organisation_id):
            raise deny()
        data.organisation_id = p.organisation_id
    _check_input_data(data)
    with uow:
        s = uow.session
        key = fold(data.name)
        dup = s.scalar(select(Input.id).where(Input.name_key == key, (
            Input.organisation_id.is_(None) if data.organisation_id is None
            else Input.organisation_id == data.organisation_id)))
        if dup:
            raise Conflict(f"Vật tư «{data.name}» đã có trong danh mục.",
                           f"Input '{data.name}' is already in the catalogue.",
                           [FieldError("name", "Đã tồn tại", "Already exists")])
        if data.organisation_id is not None:
            _organisation(uow, data.organisation_id, "organisation_id")
        values = data.model_dump()
        values["active_ingredients"] = [a.model_dump() for a in data.active_ingredients]
        item = Input(**values, name_key=key)
        s.add(item)
        uow.commit()
        return _input_public(item)


def _load_input(uow: UnitOfWork, input_id: int) -> Input:
    item = uow.session.scalar(select(Input).where(Input.id == input_id,
                                                  _input_visibility(uow)))
    if item is None:
        raise not_found("vật tư", "input", input_id)
    return item


def get_input(uow: UnitOfWork, input_id: int) -> InputPublic:
    require_login(uow.principal)
    with uow:
        return _input_public(_load_input(uow, input_id))


def list_inputs(uow: UnitOfWork, page: PageRequest, kind: str | None = None,
                q: str | None = None) -> Page[InputPublic]:
    require_login(uow.principal)
    with uow:
        stmt = select(Input).where(_input_visibility(uow))
        if kind:
            stmt = stmt.where(Input.kind == kind)
        if q:
            stmt = stmt.where(Input.name_key.contains(fold(q)))
        return _page(uow.session, stmt, (Input.kind, Input.name), page,
                     lambda rows: [_input_public(i) for i in rows])


def update_input(uow: UnitOfWork, input_id: int, data: InputUpdate) -> InputPublic:
    require_role(uow.principal, "province_officer", "coop_manager")
    _check_input_data(data)
    with uow:
        item = _load_input(uow, input_id)
        p = uow.principal
        if not p.is_admin and (item.organisation_id is None) != (p.role == "province_officer"):
            raise deny()
        if p.role == "coop_manager" and item.organisation_id != p.organisation_id:
            raise deny()
        for key, value in data.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(item, key, value)
        if data.name:
            item.name_key = fold(data.name)
        uow.commit()
        return _input_public(item)


def delete_input(uow: UnitOfWork, input_id: int) -> None:
    require_role(uow.principal, "province_officer", "coop_manager")
    with uow:
        item = _load_input(uow, input_id)
        p = uow.principal
        if p.role == "coop_manager" and item.organisation_id != p.organisation_id:
            raise deny()
        if p.role == "province_officer" and item.organisation_id is not None:
            raise deny()
        used = uow.session.scalar(select(func.count()).select_from(ActivityInput).where(
            ActivityInput.input_id == item.id)) or 0
        used += uow.session.scalar(select(func.count()).select_from(Purchase).where(
            Purchase.input_id == item.id)) or 0
        if used:
            raise Conflict("Vật tư đã được dùng trong nhật ký; không xoá được.",
                           "The input is used in diaries; it cannot be deleted.")
        ensure_unreferenced(uow.session, item, "vật tư", "input")
        uow.session.delete(item)
        uow.commit()


def farmer_inputs(uow: UnitOfWork) -> list[InputPublic]:
    """The inputs catalogue the caller may use (for forms)."""
    require_login(uow.principal)
    with uow:
        rows = uow.session.scalars(select(Input).where(_input_visibility(uow))
                                   .order_by(Input.kind, Input.name).limit(500)).all()
        return [_input_public(i) for i in rows]
