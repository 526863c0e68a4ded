"""Data entry: a commune's form of a dataset for a period (automatic values read-only with
their source, the rest typed by the commune officer), saved whole or not at all."""

from __future__ import annotations

from sqlalchemy import select

from nongso.core.db import utcnow
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.permissions import deny, require_login
from nongso.core.uow import UnitOfWork
from nongso.stats.models import DataValue
from nongso.stats.schemas import FormCell, FormPublic, FormSave
from nongso.stats.services import _store, approval, quality
from nongso.stats.services._common import (
    AUTOMATIC,
    commune,
    require_commune_writer,
)


def get_form(uow: UnitOfWork, dataset: str, period: str, org_unit: str,
             lang: str = "vi") -> FormPublic:
    """The form: every value of the dataset for the commune and period, what may be typed,
    the report's status and the rules the values break."""
    require_login(uow.principal)
    with uow:
        s = uow.session
        m, d, p, province = approval._context(uow, dataset, period, org_unit)
        unit = commune(uow, org_unit)
        if not uow.principal.covers_unit(unit.code, unit.province_code):
            raise deny()
        rows = {(r.data_element, r.coc): r for r in s.scalars(select(DataValue).where(
            DataValue.org_unit == unit.code, DataValue.generation == "2025",
            DataValue.period == p.id, DataValue.data_element.in_(d.elements)))}
        report = approval.report_of(uow, m, d, p, unit.code, unit.name)
        locked = report.status in approval.LOCKING
        cells: list[FormCell] = []
        for code in d.elements:
            e = m.elements[code]
            cocs = m.cocs(e)
            if e.automatic:
                shown = [c for c in cocs if (code, c) in rows] or (["rice"] if "rice" in cocs
                                                                     else cocs[:1])
            else:
                shown = cocs
            for coc in shown:
                r = rows.get((code, coc))
                auto = r is not None and r.source in AUTOMATIC
                cells.append(FormCell(
                    element=code, element_name=e.name(lang), unit=e.unit, coc=coc,
                    coc_name=m.coc_name(e, coc, lang), value=r.value if r else None,
                    source=r.source if r else None, editable=not locked and not auto,
                    pending_value=r.pending_value if r else None,
                    source_ref=r.source_ref if r else None,
                    source_count=r.source_count if r else None,
                    comment=r.comment if r else None))
        cube = _store.load_cube(uow, s, m, province, quality.rule_elements(m, d.code), [p],
                                communes={unit.code})
        violations = quality.check_rules(m, d.code, quality.resolver(cube, p.id, unit), lang,
                                         unit.code)
        return FormPublic(dataset=d.code, dataset_name=d.name(lang), period=p.id,
                          period_label=p.label(lang), org_unit=unit.code,
                          org_unit_name=unit.name, report=report, locked=locked, cells=cells,
                          violations=violations)


def save_form(uow: UnitOfWork, data: FormSave, lang: str = "vi") -> FormPublic:
    """Save typed values (blank removes a value, 0 is a value); all or nothing."""
    with uow:
        s = uow.session
        m, d, p, _province = approval._context(uow, data.dataset, data.period, data.org_unit)
        unit = commune(uow, data.org_unit)
        require_commune_writer(uow.principal, unit)
        if approval.is_locked(s, d.code, p.id, unit.code):
            raise approval.locked_error(unit.name, p.label("vi"))
        existing = {(r.data_element, r.coc): r for r in s.scalars(select(DataValue).where(
            DataValue.org_unit == unit.code, DataValue.generation == "2025",
            DataValue.period == p.id, DataValue.data_element.in_(d.elements)))}
        errors: list[FieldError] = []
        seen: set[tuple[str, str]] = set()
        for i, v in enumerate(data.values):
            loc = f"values/{i}"
            if v.element not in d.elements:
                errors.append(FieldError(f"{loc}/element",
                                         f"Chỉ tiêu «{v.element}» không thuộc biểu này.",
                                         f"Data element '{v.element}' is not in this dataset."))
                continue
            e = m.elements[v.element]
            try:
                m.check_coc(e, v.coc, f"{loc}/coc")
            except ValidationFailed as exc:
                errors += exc.errors
                continue
            if (v.element, v.coc) in seen:
                errors.append(FieldError(loc, "Ô này được gửi hai lần.",
                                         "This cell is sent twice."))
            seen.add((v.element, v.coc))
            if v.value is not None and v.value < 0:
                errors.append(FieldError(f"{loc}/value", "Số liệu không được âm.",
                                         "A figure cannot be negative."))
            row = existing.get((v.element, v.coc))
            if row is not None and row.source in AUTOMATIC:
                errors.append(FieldError(
                    f"{loc}/value",
                    f"«{e.name_vi}» được lấy tự động ({row.source}); sửa ở nguồn.",
                    f"'{e.name_en}' is filled automatically ({row.source}); correct the "
                    "source."))
        if errors:
            raise ValidationFailed("Biểu có ô không hợp lệ; chưa lưu gì.",
                                   "Some cells are invalid; nothing was saved.", errors)
        now = utcnow()
        for v in data.values:
            row = existing.get((v.element, v.coc))
            if v.value is None:
                if row is not None:
                    s.delete(row)
                continue
            if row is None:
                s.add(DataValue(
                    data_element=v.element, period=p.id, period_type=p.type, year=p.year,
                    start_date=p.start, end_date=p.end, province_code=unit.province_code,
                    org_unit=unit.code, generation="2025", coc=v.coc, value=v.value,
                    source="manual", comment=v.comment, updated_by=uow.principal.user_id,
                    created_at=now, updated_at=now))
            else:
                row.value, row.comment = v.value, v.comment
                row.source, row.updated_by, row.updated_at = "manual", uow.principal.user_id, now
        uow.commit()
        return get_form(uow, d.code, p.id, unit.code, lang)
