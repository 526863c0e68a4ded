"""The statistics' metadata as data: data elements, indicators (formulas), datasets,
validation rules, season calendars and the allocation weights of split communes."""

from __future__ import annotations

import calendar

from sqlalchemy import select

from nongso.core import audit
from nongso.core.errors import Conflict, not_found
from nongso.core.permissions import require_login, require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.stats import formulas
from nongso.stats.models import (
    Allocation,
    DataElement,
    Indicator,
    SeasonCalendar,
)
from nongso.stats.schemas import (
    AllocationPublic,
    AllocationUpdate,
    CalendarPublic,
    CalendarUpdate,
    CategoryOptionPublic,
    DataElementCreate,
    DataElementPublic,
    DatasetPublic,
    IndicatorCreate,
    IndicatorPublic,
    IndicatorUpdate,
    ValidationRulePublic,
)
from nongso.stats.services import _store
from nongso.stats.services._common import (
    Meta,
    bump_meta_version,
    ensure_reference_data,
    invalid,
    load_reference_data,
    meta,
    require_province_officer,
)

EDITORS = ("admin", "province_officer")


def install_reference_data(uow: UnitOfWork) -> int:
    """Load the shipped metadata that is missing (``nongso db upgrade``, the demo)."""
    with uow:
        n = load_reference_data(uow.session)
        uow.commit()
        return n


def list_data_elements(uow: UnitOfWork) -> list[DataElementPublic]:
    with uow:
        ensure_reference_data(uow.session)
        return [DataElementPublic.model_validate(e) for e in uow.session.scalars(
            select(DataElement).order_by(DataElement.dataset, DataElement.id))]


def list_options(uow: UnitOfWork) -> list[CategoryOptionPublic]:
    with uow:
        m = meta(uow.session)
        return [CategoryOptionPublic(category=c, code=code, name_vi=vi, name_en=en)
                for c, opts in m.options.items() for code, (vi, en) in opts.items()]


def create_data_element(uow: UnitOfWork, data: DataElementCreate) -> DataElementPublic:
    """A figure the province adds (typed by communes or imported)."""
    require_role(uow.principal, *EDITORS)
    with uow:
        s = uow.session
        m = meta(s)
        if data.code in m.elements or data.code in m.indicators:
            raise Conflict(f"Mã «{data.code}» đã có.", f"Code '{data.code}' exists.")
        m.dataset(data.dataset, "dataset")
        for c in data.categories:
            if c not in m.options:
                raise invalid("categories", f"Danh mục phân tổ «{c}» không có.",
                              f"No category '{c}'.")
        row = DataElement(**data.model_dump(), source="manual", builtin=False)
        s.add(row)
        uow.commit()
        return DataElementPublic.model_validate(row)


def list_indicators(uow: UnitOfWork) -> list[IndicatorPublic]:
    with uow:
        ensure_reference_data(uow.session)
        return [IndicatorPublic.model_validate(i) for i in uow.session.scalars(
            select(Indicator).order_by(Indicator.id))]


def _check_formula(m: Meta, text: str) -> None:
    try:
        f = formulas.compile_formula(text)
    except formulas.FormulaError as exc:
        raise invalid("expression", exc.message_vi, exc.message_en) from exc
    for ref in f.refs:
        e = m.elements.get(ref.element)
        if e is None:
            raise invalid("expression", f"Công thức dùng chỉ tiêu «{ref.element}» không có.",
                          f"The formula uses an unknown data element '{ref.element}'.")
        if ref.coc:
            m.check_coc(e, ref.coc, "expression")


def create_indicator(uow: UnitOfWork, data: IndicatorCreate) -> IndicatorPublic:
    require_role(uow.principal, *EDITORS)
    with uow:
        s = uow.session
        m = meta(s)
        if data.code in m.indicators or data.code in m.elements:
            raise Conflict(f"Mã «{data.code}» đã có.", f"Code '{data.code}' exists.")
        _check_formula(m, data.expression)
        row = Indicator(**data.model_dump(), builtin=False)
        s.add(row)
        uow.commit()
        return IndicatorPublic.model_validate(row)


def update_indicator(uow: UnitOfWork, code: str, data: IndicatorUpdate) -> IndicatorPublic:
    require_role(uow.principal, *EDITORS)
    with uow:
        s = uow.session
        row = s.scalar(select(Indicator).where(Indicator.code == code))
        if row is None:
            raise not_found("chỉ số", "indicator", code)
        changes = data.model_dump(exclude_unset=True, exclude_none=True)
        if "expression" in changes:
            _check_formula(meta(s), changes["expression"])
        for key, value in changes.items():
            setattr(row, key, value)
        bump_meta_version(s)
        uow.commit()
        return IndicatorPublic.model_validate(row)


def delete_indicator(uow: UnitOfWork, code: str) -> None:
    require_role(uow.principal, *EDITORS)
    with uow:
        s = uow.session
        row = s.scalar(select(Indicator).where(Indicator.code == code))
        if row is None:
            raise not_found("chỉ số", "indicator", code)
        if row.builtin:
            raise Conflict("Không xóa được chỉ số có sẵn (có thể sửa công thức).",
                           "A built-in indicator cannot be deleted (its formula can be edited).")
        s.delete(row)
        uow.commit()


def list_datasets(uow: UnitOfWork) -> list[DatasetPublic]:
    with uow:
        m = meta(uow.session)
        return [DatasetPublic(code=d.code, name_vi=d.name_vi, name_en=d.name_en,
                              period_type=d.period_type, approval_steps=d.approval_steps,
                              due_days=d.due_days, expected_when=d.expected_when,
                              season_kinds=";".join(d.season_kinds) or None,
                              elements=list(d.elements)) for d in m.datasets.values()]


def list_rules(uow: UnitOfWork) -> list[ValidationRulePublic]:
    with uow:
        return [ValidationRulePublic.model_validate(r) for r in meta(uow.session).rules]


def list_calendars(uow: UnitOfWork) -> list[CalendarPublic]:
    with uow:
        ensure_reference_data(uow.session)
        return [CalendarPublic.model_validate(c) for c in uow.session.scalars(
            select(SeasonCalendar).order_by(SeasonCalendar.province_code, SeasonCalendar.id))]


def set_calendar(uow: UnitOfWork, province_code: str, kind: str, data: CalendarUpdate
                 ) -> CalendarPublic:
    """A province's own dates for a kind of season."""
    require_province_officer(uow.principal, province_code)
    from nongso.stats import periods

    if kind not in periods.SEASON_KINDS:
        raise invalid("kind", f"Loại vụ «{kind}» không có.", f"Unknown season kind '{kind}'.")
    if kind in periods.CROSSING and data.end_year_offset != 1:
        raise invalid("end_year_offset", "Vụ Đông Xuân kết thúc vào năm sau.",
                      "The winter–spring season ends in the next year.")
    with uow:
        s = uow.session
        row = s.scalar(select(SeasonCalendar).where(SeasonCalendar.province_code == province_code,
                                                    SeasonCalendar.kind == kind))
        if row is None:
            row = SeasonCalendar(province_code=province_code, kind=kind, **data.model_dump())
            s.add(row)
        else:
            for key, value in data.model_dump().items():
                setattr(row, key, value)
        for month, day, loc in ((data.start_month, data.start_day, "start_day"),
                                (data.end_month, data.end_day, "end_day")):
            if day > calendar.monthrange(2024, month)[1]:  # 2024: 29 February exists
                raise invalid(loc, f"Tháng {month} không có ngày {day}.",
                              f"Month {month} has no day {day}.")
        audit.record(s, "calendar", "stats_season_calendars", f"{province_code}:{kind}",
                     data.model_dump())
        bump_meta_version(s)
        uow.commit()
        return CalendarPublic.model_validate(row)


def store_default_allocations(uow: UnitOfWork, province_code: str) -> None:
    """Store the province's default legacy -> 2025 weights if none are stored (a loader of
    legacy figures, like the demo's history, calls it; reads never write them)."""
    require_role(uow.principal, "admin")
    with uow:
        _store.ensure_allocations(uow, uow.session, province_code)
        uow.commit()


def list_allocations(uow: UnitOfWork, old_code: str | None = None) -> list[AllocationPublic]:
    require_login(uow.principal)
    province = get_settings().province_code
    with uow:
        s = uow.session
        _store.ensure_allocations(uow, s, province)
        stmt = select(Allocation).where(Allocation.province_code == province)
        if old_code:
            stmt = stmt.where(Allocation.old_code == old_code)
        else:
            stmt = stmt.where(Allocation.divided.is_(True))
        rows = s.scalars(stmt.order_by(Allocation.old_code, Allocation.new_code)).all()
        uow.commit()
        return [AllocationPublic.model_validate(r) for r in rows]


def set_allocation(uow: UnitOfWork, old_code: str, data: AllocationUpdate
                   ) -> list[AllocationPublic]:
    """Replace the shares of a split legacy commune (they must add up to 1 and go to the
    communes it was split into)."""
    province = get_settings().province_code
    require_province_officer(uow.principal, province)
    with uow:
        s = uow.session
        _store.ensure_allocations(uow, s, province)
        rows = {r.new_code: r for r in s.scalars(select(Allocation).where(
            Allocation.province_code == province, Allocation.old_code == old_code))}
        if not rows:
            raise not_found("xã cũ", "legacy commune", old_code)
        given = {sh.new_code: sh.weight for sh in data.shares}
        if set(given) != set(rows):
            raise invalid("shares", "Phải ghi tỷ lệ cho đúng các xã mới nhận phần của xã cũ: "
                          f"{', '.join(sorted(rows))}.", "Give a share for exactly the new "
                          f"communes the old one went into: {', '.join(sorted(rows))}.")
        if abs(sum(given.values()) - 1.0) > 1e-6:
            raise invalid("shares", "Các tỷ lệ phải cộng lại bằng 1.", "The shares must add up "
                          "to 1.")
        for code, row in rows.items():
            row.weight, row.method, row.note = given[code], "custom", data.note
        uow.commit()
        return [AllocationPublic.model_validate(r) for r in rows.values()]
