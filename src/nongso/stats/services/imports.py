"""Importing historic figures from Excel or CSV: all or nothing, every problem reported with
its row and column, in the user's language.

Figures of periods that ended before 1 July 2025 are the legacy communes' (as the reports of
the time were written) and are stored as such; the analytics re-aggregate them to the 2025
communes. A later period needs a 2025 commune: a commune merged away gets a message naming
the commune it is part of now.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, tuple_

from nongso.core import audit
from nongso.core.db import utcnow
from nongso.core.errors import Conflict, FieldError, ValidationFailed
from nongso.core.i18n import fold
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.stats import exports, outliers, parsing, periods, tables
from nongso.stats.models import DataValue, Import, Report
from nongso.stats.schemas import ImportReport, ImportRowError
from nongso.stats.services import _store
from nongso.stats.services._common import (
    AUTOMATIC,
    ElementMeta,
    Meta,
    invalid,
    meta,
    require_officer,
)
from nongso.units import services as units

MAX_ERRORS = 200
ELEMENT_ALIASES = {
    "dien tich gieo trong": "sown_area", "dien tich gieo cay": "sown_area",
    "dien tich xuong giong": "sown_area", "dt gieo trong": "sown_area",
    "dien tich thu hoach": "harvested_area", "dt thu hoach": "harvested_area",
    "san luong": "output", "nang suat": "yield_reported", "nang suat binh quan":
    "yield_reported", "tong dan": "livestock_heads", "dien tich nuoi": "aquaculture_area",
    "dien tich nuoi trong": "aquaculture_area", "san luong nuoi": "aquaculture_output",
    "dien tich nhiem": "pest_area", "dien tich nhiem sau benh": "pest_area",
}
_TYPES = ("xa ", "phuong ", "thi tran ", "dac khu ")


def _short(name: str) -> str:
    folded = fold(name)
    for t in _TYPES:
        if folded.startswith(t):
            return folded[len(t):]
    return folded


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    generation: str
    district: str | None = None
    successors: tuple[tuple[str, str], ...] = ()  # legacy: (new code, new name)


@dataclass
class _Units:
    current: dict[str, _Unit] = field(default_factory=dict)
    legacy: dict[str, _Unit] = field(default_factory=dict)
    current_names: dict[str, list[_Unit]] = field(default_factory=dict)
    legacy_names: dict[str, list[_Unit]] = field(default_factory=dict)


def _load_units(uow: UnitOfWork, province: str) -> _Units:
    out = _Units()
    for c in units.communes_of_province(uow, province):
        u = _Unit(c.code, c.name, "2025")
        out.current[c.code] = u
        for key in {fold(c.name), _short(c.name)}:
            out.current_names.setdefault(key, []).append(u)
    links: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, tuple[str, str | None]] = {}
    for pair in units.lineage_of_province(uow, province):
        links.setdefault(pair.old_code, []).append((pair.new_code, pair.new_name))
        names[pair.old_code] = (pair.old_name, pair.old_district)
    for code, (name, district) in names.items():
        u = _Unit(code, name, "legacy", district, tuple(links[code]))
        out.legacy[code] = u
        for key in {fold(name), _short(name)}:
            out.legacy_names.setdefault(key, []).append(u)
    return out


class _RowError(Exception):
    def __init__(self, column: str | None, vi: str, en: str) -> None:
        super().__init__(en)
        self.column, self.vi, self.en = column, vi, en


@dataclass
class _Parsed:
    row: int
    element: ElementMeta
    period: periods.Period
    unit: _Unit
    coc: str
    value: float
    comment: str | None
    column: str


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _merged_message(u: _Unit, period_label: str) -> tuple[str, str]:
    names_vi = ", ".join(f"{n} (mã {c})" for c, n in u.successors)
    names_en = ", ".join(f"{n} (code {c})" for c, n in u.successors)
    return (f"{u.name} không còn từ 01/07/2025 (nay thuộc {names_vi}); số liệu {period_label} "
            "phải ghi cho xã mới.",
            f"{u.name} no longer exists since 1 July 2025 (now part of {names_en}); figures "
            f"for {period_label} go to the new commune.")


def _resolve_unit(us: _Units, code_cell: Any, name_cell: Any, district_cell: Any,
                  p: periods.Period, units_2025: bool) -> _Unit:
    legacy_period = p.end < periods.REFORM_DATE and not units_2025
    code = _text(code_cell)
    name = _text(name_cell)
    if code.isdigit() and len(code) < 5:
        code = code.zfill(5)  # Excel drops the leading zeros of "00004"
    if legacy_period:
        pool, by_name = us.legacy, us.legacy_names
    else:
        pool, by_name = us.current, us.current_names
    if code:
        if code in pool:
            return pool[code]
        if not legacy_period and code in us.legacy:
            vi, en = _merged_message(us.legacy[code], p.label("vi"))
            raise _RowError("commune", vi, en)
        raise _RowError("commune", f"Mã xã «{code}» không có trong tỉnh"
                        f"{' (danh mục trước 01/07/2025)' if legacy_period else ''}.",
                        f"Commune code '{code}' is not in the province"
                        f"{' (units before 1 July 2025)' if legacy_period else ''}.")
    if not name:
        raise _RowError("commune", "Thiếu mã xã hoặc tên xã.", "The commune is missing.")
    found = by_name.get(fold(name)) or by_name.get(_short(name)) or []
    if len(found) > 1 and district_cell:
        d = fold(_text(district_cell))
        found = [u for u in found if u.district and d in fold(u.district)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise _RowError("commune", f"Có {len(found)} xã tên «{name}»: ghi mã xã (hoặc huyện).",
                        f"{len(found)} communes are named '{name}': give the code (or "
                        "district).")
    if not legacy_period:
        old = us.legacy_names.get(fold(name)) or us.legacy_names.get(_short(name)) or []
        if old:
            vi, en = _merged_message(old[0], p.label("vi"))
            raise _RowError("commune", vi, en)
    raise _RowError("commune", f"Không có xã «{name}» trong tỉnh.",
                    f"No commune '{name}' in the province.")


def _element_by_name(m: Meta, text: str) -> ElementMeta | None:
    key = fold(parsing.split_header(text)[0])
    if key in m.elements:
        return m.elements[key]
    if key in ELEMENT_ALIASES:
        return m.elements.get(ELEMENT_ALIASES[key])
    for e in m.elements.values():
        if key in (fold(e.name_vi), fold(e.name_en), fold(e.name_vi.split("(")[0])):
            return e
    return None


def _option(m: Meta, category: str, text: str) -> str | None:
    key = fold(text)
    for code, (vi, en) in m.options.get(category, {}).items():
        if key in (code, fold(vi), fold(en)):
            return code
    return None


def _coc(m: Meta, e: ElementMeta, coc_cell: Any, crop_cell: Any, default_crop: str | None
         ) -> str:
    if not e.categories:
        return ""
    text = _text(coc_cell)
    if text:
        parts = [p.strip() for p in text.replace(",", ".").replace(";", ".").split(".")]
        if len(parts) != len(e.categories):
            raise _RowError("coc", f"Phân tổ «{text}» cần {len(e.categories)} phần "
                            f"({', '.join(e.categories)}).", f"Disaggregation '{text}' needs "
                            f"{len(e.categories)} parts ({', '.join(e.categories)}).")
        codes = []
        for category, part in zip(e.categories, parts, strict=True):
            code = _option(m, category, part)
            if code is None:
                raise _RowError("coc", f"«{part}» không có trong danh mục {category}.",
                                f"'{part}' is not in category {category}.")
            codes.append(code)
        return ".".join(codes)
    crop_text = _text(crop_cell) or default_crop or ""
    if e.categories == ("crop",):
        code = _option(m, "crop", crop_text or "rice")
        if code is None:
            raise _RowError("crop", f"Cây trồng «{crop_text}» không có trong danh mục.",
                            f"Crop '{crop_text}' is not in the list.")
        return code
    raise _RowError("coc", f"Chỉ tiêu «{e.name_vi}» cần cột phân tổ ({', '.join(e.categories)}).",
                    f"'{e.name_en}' needs a disaggregation column ({', '.join(e.categories)}).")


def _period(m: Meta, e: ElementMeta, period_cell: Any, date_cell: Any, default: str | None,
            province: str, order: str) -> periods.Period:
    cal = m.calendar(province)
    text = _text(period_cell) or (default or "")
    try:
        if text:
            if e.period_type == "season":
                return periods.parse_season_label(text, cal)
            p = periods.parse(text, cal)
            return p
        day = parsing.parse_date(date_cell, order)
    except periods.PeriodError as exc:
        raise _RowError("period", exc.message_vi, exc.message_en) from exc
    except parsing.CellError as exc:
        raise _RowError("date", exc.message_vi, exc.message_en) from exc
    if day is None:
        raise _RowError("period", "Thiếu kỳ báo cáo (cột Kỳ/Vụ hoặc Ngày).",
                        "The period is missing (a Period/Season or Date column).")
    try:
        return periods.of_type(day, e.period_type)
    except periods.PeriodError as exc:
        raise _RowError("date", exc.message_vi, exc.message_en) from exc


def _check_plausible(m: Meta, e: ElementMeta, coc: str, value: float, column: str) -> None:
    bound = m.bound(e.code, coc)
    if bound is None or bound[0] <= value <= bound[1]:
        return
    meant = outliers.likely_slip(value, (bound[0] + bound[1]) / 2)
    hint_vi = f"; có phải {meant:g}?" if meant is not None else "."
    hint_en = f"; did you mean {meant:g}?" if meant is not None else "."
    raise _RowError(column, f"{value:g} {e.unit} ngoài khoảng hợp lý {bound[0]:g}–{bound[1]:g}"
                    f" {e.unit}{hint_vi}", f"{value:g} {e.unit} is outside the plausible range "
                    f"{bound[0]:g}–{bound[1]:g} {e.unit}{hint_en}")


def import_file(uow: UnitOfWork, content: bytes, filename: str, *, encoding: str = "auto",
                period: str | None = None, crop: str | None = None,
                cong_m2: float = 1000.0, gia_kg: float = 20.0, units_2025: bool = False,
                replace: bool = False, approved: bool = False, dry_run: bool = False,
                lang: str = "vi") -> ImportReport:
    """Import a file of figures whole, or nothing with every row's problem."""
    p_ = uow.principal
    require_officer(p_)
    if approved and p_.role not in ("admin", "province_officer"):
        raise invalid("approved", "Chỉ cán bộ tỉnh nhập được số liệu đã phê duyệt.",
                      "Only province officers may import figures as approved.")
    if not 500 <= cong_m2 <= 2000 or not 5 <= gia_kg <= 50:
        raise invalid("cong_m2", "Kích thước công (500–2000 m²) hoặc giạ (5–50 kg) không hợp lệ.",
                      "Invalid size of a công (500–2000 m²) or a giạ (5–50 kg).")
    local = parsing.LocalUnits(cong_m2=cong_m2, gia_kg=gia_kg)
    digest = hashlib.sha256(content).hexdigest()
    province = get_settings().province_code
    try:
        table = tables.read(content, filename, encoding)
    except tables.TableError as exc:
        raise invalid("file", exc.message_vi, exc.message_en) from exc
    errors: list[tuple[int | None, str | None, str, str]] = []
    warnings: list[str] = []

    def err(row: int | None, column: str | None, vi: str, en: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.append((row, column, vi, en))

    def header(role_or_col: str | int | None) -> str | None:
        if isinstance(role_or_col, int):
            return table.headers[role_or_col]
        if role_or_col is None:
            return None
        i = table.roles.get(role_or_col)
        return table.headers[i] if i is not None else role_or_col

    with uow:
        s = uow.session
        m = meta(s)
        earlier = s.scalar(select(Import).where(Import.sha256 == digest))
        if earlier is not None:
            raise Conflict(
                f"Tệp này đã được nhập ngày {earlier.created_at:%d/%m/%Y} (lần nhập "
                f"#{earlier.id}, {earlier.values} số liệu); không nhập lại.",
                f"This file was imported on {earlier.created_at:%d/%m/%Y} (import "
                f"#{earlier.id}, {earlier.values} figures); it is not imported twice.",
                extra={"import_id": earlier.id})
        us = _load_units(uow, province)
        long_layout = "value" in table.roles
        wide: list[tuple[int, ElementMeta, str | None]] = []
        if not long_layout:
            for col, name, unit in table.others:
                e = _element_by_name(m, name)
                if e is None:
                    warnings.append(f"Bỏ qua cột «{table.headers[col]}» (không phải chỉ tiêu)."
                                    if lang == "vi" else
                                    f"Column '{table.headers[col]}' ignored (not a figure).")
                else:
                    wide.append((col, e, unit))
            if not wide:
                raise invalid("file", "Không có cột số liệu nào (cần cột «Giá trị» hoặc cột "
                              "tên chỉ tiêu như «Diện tích gieo trồng (ha)»).",
                              "No figure columns (a 'Value' column, or columns named after "
                              "data elements such as 'Diện tích gieo trồng (ha)').")
        value_cells = [c[i] for _, c in table.rows for i in (
            [table.roles["value"]] if long_layout else [w[0] for w in wide]) if i < len(c)]
        try:
            style = parsing.number_style(value_cells) or parsing.COMMA_DECIMAL
            order = parsing.date_order([table.cell(c, "date") for _, c in table.rows])
        except parsing.CellError as exc:
            raise invalid("file", exc.message_vi, exc.message_en) from exc
        parsed: list[_Parsed] = []
        for n, cells in table.rows:
            targets: list[tuple[ElementMeta, Any, str | None, str]] = []
            if long_layout:
                text = _text(table.cell(cells, "element"))
                e = _element_by_name(m, text) if text else None
                if e is None:
                    err(n, header("element"), f"Chỉ tiêu «{text}» không có." if text else
                        "Thiếu chỉ tiêu.", f"Unknown data element '{text}'." if text else
                        "The data element is missing.")
                    continue
                targets.append((e, table.cell(cells, "value"), _text(table.cell(cells, "unit"))
                                or None, header("value") or "value"))
            else:
                targets += [(e, cells[col], unit, table.headers[col]) for col, e, unit in wide]
            for e, cell, unit_text, column in targets:
                try:
                    value = parsing.parse_number(cell, style)
                except parsing.CellError as exc:
                    err(n, column, exc.message_vi, exc.message_en)
                    continue
                if value is None:
                    continue  # blank: no figure (a zero is written 0)
                try:
                    if value < 0:
                        raise _RowError(column, "Số liệu không được âm.",
                                        "A figure cannot be negative.")
                    conv = parsing.conversion(unit_text, e.unit, local)
                    value *= conv.factor
                    p = _period(m, e, table.cell(cells, "period"), table.cell(cells, "date"),
                                period, province, order)
                    if p.type != e.period_type and not (
                            e.period_type == "season" and p.type == "season"):
                        raise _RowError("period", f"«{e.name_vi}» báo cáo theo kỳ loại "
                                        f"{e.period_type}, không phải {p.type}.",
                                        f"'{e.name_en}' is reported by {e.period_type}, not "
                                        f"{p.type}.")
                    coc = _coc(m, e, table.cell(cells, "coc"), table.cell(cells, "crop"), crop)
                    org = _resolve_unit(us, table.cell(cells, "commune_code"),
                                         table.cell(cells, "commune_name"),
                                         table.cell(cells, "district"), p, units_2025)
                    _check_plausible(m, e, coc, value, column)
                    if p_.role == "commune_officer" and not (
                            org.code == p_.unit_code or any(
                                c == p_.unit_code for c, _ in org.successors)):
                        raise _RowError("commune", f"{org.name} ngoài phạm vi của bạn.",
                                        f"{org.name} is outside your scope.")
                except parsing.CellError as exc:
                    err(n, column, exc.message_vi, exc.message_en)
                    continue
                except _RowError as exc:
                    err(n, header(exc.column) if exc.column in tables.ROLES else exc.column,
                        exc.vi, exc.en)
                    continue
                parsed.append(_Parsed(n, e, p, org, coc, value,
                                      _text(table.cell(cells, "comment")) or None, column))
        _check_duplicates_and_existing(s, m, parsed, replace, err)
        _check_consistency(m, parsed, warnings, lang)
        report_errors = [ImportRowError(row=r, column=c, message=vi if lang == "vi" else en)
                         for r, c, vi, en in errors]
        common = dict(filename=filename[:300], encoding=table.encoding,
                      number_style=style, date_order=order, rows_read=len(table.rows),
                      warnings=warnings)
        if errors:
            raise ValidationFailed(
                f"Tệp có {len(errors)} lỗi; chưa nhập số liệu nào.",
                f"The file has {len(errors)} errors; nothing was imported.",
                [FieldError(f"row {r}" + (f", {c}" if c else "") if r else (c or "file"), vi, en)
                 for r, c, vi, en in errors],
                extra={"report": ImportReport(import_id=None, values=0, allocated_values=0,
                                              dry_run=dry_run, errors=report_errors,
                                              **common).model_dump(mode="json")})
        allocated = 0
        if any(v.unit.generation == "legacy" for v in parsed):
            if not dry_run:  # a dry run writes nothing
                _store.ensure_allocations(uow, s, province)
            split = {old for old, shares in _store.allocations(uow, s, province).items()
                     if len(shares) > 1}
            allocated = sum(1 for v in parsed if v.unit.generation == "legacy"
                            and v.unit.code in split)
        if dry_run:
            return ImportReport(import_id=None, values=len(parsed), allocated_values=allocated,
                                dry_run=True, errors=[], **common)
        record = Import(filename=filename[:300], sha256=digest, encoding=table.encoding,
                        rows=len(table.rows), values=len(parsed), created_by=p_.user_id,
                        created_at=utcnow(), summary={"warnings": warnings[:50],
                                                      "approved": approved})
        s.add(record)
        s.flush()
        _write(s, parsed, province, record.id, p_.user_id, replace)
        if approved:
            _mark_accepted(s, m, parsed, province, p_.user_id, filename)
        audit.record(s, "import", "stats_imports", str(record.id),
                     {"filename": filename[:300], "values": len(parsed),
                      "approved": approved})
        uow.commit()
        return ImportReport(import_id=record.id, values=len(parsed),
                            allocated_values=allocated, dry_run=False, errors=[], **common)


def _check_duplicates_and_existing(s: Any, m: Meta, parsed: list[_Parsed], replace: bool,
                                   err: Any) -> None:
    first: dict[tuple[str, str, str, str, str], int] = {}
    for v in parsed:
        key = (v.element.code, v.period.id, v.unit.code, v.unit.generation, v.coc)
        if key in first:
            err(v.row, v.column, f"Trùng với dòng {first[key]} (cùng xã, kỳ, chỉ tiêu).",
                f"Duplicates row {first[key]} (same commune, period and figure).")
        else:
            first[key] = v.row
    keys = list(first)
    existing: dict[tuple[str, str, str, str, str], DataValue] = {}
    for i in range(0, len(keys), 300):
        chunk = keys[i:i + 300]
        for row in s.scalars(select(DataValue).where(tuple_(
                DataValue.data_element, DataValue.period, DataValue.org_unit,
                DataValue.generation, DataValue.coc).in_(chunk))):
            existing[(row.data_element, row.period, row.org_unit, row.generation,
                      row.coc)] = row
    locked = set()
    pairs = sorted({(v.period.id, v.unit.code) for v in parsed})
    for i in range(0, len(pairs), 300):
        for dataset, period, org_unit, status in s.execute(
                select(Report.dataset, Report.period, Report.org_unit, Report.status)
                .where(tuple_(Report.period, Report.org_unit).in_(pairs[i:i + 300]))):
            if status in ("approved", "accepted"):
                locked.add((dataset, period, org_unit))
    for v in parsed:
        key = (v.element.code, v.period.id, v.unit.code, v.unit.generation, v.coc)
        if first.get(key) != v.row:
            continue
        if (v.element.dataset, v.period.id, v.unit.code) in locked:
            err(v.row, v.column, f"Số liệu {v.unit.name}, {v.period.label('vi')} đã được phê "
                "duyệt: không ghi đè.", f"The figures of {v.unit.name}, "
                f"{v.period.label('en')} are approved: not overwritten.")
            continue
        row = existing.get(key)
        if row is None:
            continue
        if row.source in AUTOMATIC:
            err(v.row, v.column, f"Đã có số liệu tự động ({row.source}) cho ô này.",
                f"An automatic figure ({row.source}) exists for this cell.")
        elif not replace:
            err(v.row, v.column, f"Đã có số liệu ({row.value:g}, {row.source}); chọn «ghi đè» "
                "để thay.", f"A figure exists ({row.value:g}, {row.source}); choose "
                "'replace' to overwrite it.")


def _check_consistency(m: Meta, parsed: list[_Parsed], warnings: list[str], lang: str) -> None:
    """Output ≈ harvested area × yield when a row gives all three (a warning)."""
    by_row: dict[tuple[int, str], dict[str, float]] = {}
    for v in parsed:
        by_row.setdefault((v.row, v.coc), {})[v.element.code] = v.value
    for (row, _coc), vals in sorted(by_row.items()):
        if {"output", "harvested_area", "yield_reported"} <= set(vals):
            expected = vals["harvested_area"] * vals["yield_reported"]
            if expected and abs(vals["output"] - expected) > 0.05 * expected:
                warnings.append(
                    f"Dòng {row}: sản lượng {vals['output']:g} t khác diện tích × năng suất "
                    f"= {expected:g} t." if lang == "vi" else
                    f"Row {row}: output {vals['output']:g} t differs from area × yield = "
                    f"{expected:g} t.")


def _write(s: Any, parsed: list[_Parsed], province: str, import_id: int, user_id: int | None,
           replace: bool) -> None:
    now = utcnow()
    if replace:
        keys = [(v.element.code, v.period.id, v.unit.code, v.unit.generation, v.coc)
                for v in parsed]
        for i in range(0, len(keys), 300):
            for row in s.scalars(select(DataValue).where(tuple_(
                    DataValue.data_element, DataValue.period, DataValue.org_unit,
                    DataValue.generation, DataValue.coc).in_(keys[i:i + 300]))):
                s.delete(row)
        s.flush()
    rows = [dict(data_element=v.element.code, period=v.period.id, period_type=v.period.type,
                 year=v.period.year, start_date=v.period.start, end_date=v.period.end,
                 province_code=province, org_unit=v.unit.code, generation=v.unit.generation,
                 coc=v.coc, value=round(v.value, 6), source="import",
                 source_ref=f"/api/v1/stats/imports/{import_id}", source_count=1,
                 import_id=import_id, comment=v.comment, updated_by=user_id, created_at=now,
                 updated_at=now) for v in parsed]
    for i in range(0, len(rows), 2000):
        s.execute(insert(DataValue), rows[i:i + 2000])


def _mark_accepted(s: Any, m: Meta, parsed: list[_Parsed], province: str,
                   user_id: int | None, filename: str) -> None:
    now = utcnow()
    seen = set()
    for v in parsed:
        key = (v.element.dataset, v.period.id, v.unit.code)
        if key in seen:
            continue
        seen.add(key)
        row = s.scalar(select(Report).where(Report.dataset == key[0], Report.period == key[1],
                                            Report.org_unit == key[2]))
        if row is None:
            row = Report(dataset=key[0], period=key[1], org_unit=key[2], level="commune",
                         province_code=province)
            s.add(row)
        row.status, row.approved_by, row.approved_at = "accepted", user_id, now
        row.accepted_by, row.accepted_at, row.completed_at = user_id, now, now
        row.on_time = None
        row.comment = f"Số liệu lịch sử nhập từ tệp «{filename[:200]}» (đã duyệt trên giấy)."
        row.updated_at = now


def template(uow: UnitOfWork) -> bytes:
    """The import template, with the data elements of this installation."""
    with uow:
        m = meta(uow.session)
        return exports.import_template([
            (e.code, e.name_vi, e.unit, ", ".join(e.categories))
            for e in m.elements.values()])
