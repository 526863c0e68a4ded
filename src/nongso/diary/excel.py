"""The diary's Excel import (pure): the Vietnamese template and a tolerant reader.

The reader finds the header wherever it is in the first rows, understands two-row headers
with merged group cells ("Vật tư" over "Tên vật tư | Số lượng | Đơn vị"), skips empty rows,
reads dd/mm/yyyy dates (text or real Excel dates) and Vietnamese decimal commas, and reports
every problem with its row and column as the file shows them: "Dòng 12, cột Ngày phun: ngày
không hợp lệ".
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from nongso.core import limits, personal_data
from nongso.core.i18n import fold
from nongso.diary.moisture import MAX_MOISTURE_PCT
from nongso.diary.quantities import QuantityError, accepted_units, parse_number, parse_unit
from nongso.diary.rules import ACTIVITY_KINDS

MAX_ROWS = 50_000
MAX_SHEET_ROWS = 2 * MAX_ROWS + 1000
"""Rows walked at most, empty ones included."""
MAX_COLUMNS = 60
"""Columns read at most (the template has 17)."""
XLSX_LIMITS = limits.ArchiveLimits(max_entries=500, max_entry_bytes=32 * limits.MB,
                                   max_total_bytes=64 * limits.MB)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's sub-header (or the only header)
    group: str | None
    aliases: tuple[str, ...]
    width: int = 14
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("plot_code", "Mã thửa", None, ("ma thua", "ma lo", "thua", "plot", "plot code"), 14,
           True),
    Column("season", "Vụ", None, ("vu", "mua vu", "season", "vu san xuat"), 20),
    Column("date", "Ngày thực hiện", None, ("ngay thuc hien", "ngay", "ngay phun", "ngay bon",
                                             "ngay lam", "date", "thoi gian"), 14, True),
    Column("kind", "Công việc", None, ("cong viec", "hoat dong", "loai cong viec", "activity",
                                       "kind"), 14, True),
    Column("input_name", "Tên vật tư", "Vật tư", ("vat tu ten vat tu", "ten vat tu",
                                                  "vat tu ten", "ten thuoc", "ten phan",
                                                  "vat tu", "input", "product"), 30),
    Column("input_quantity", "Số lượng", "Vật tư", ("vat tu so luong", "so luong vat tu",
                                                    "so luong", "luong dung", "quantity"), 10),
    Column("input_unit", "Đơn vị", "Vật tư", ("vat tu don vi", "don vi", "dvt", "unit"), 8),
    Column("purchase_lot", "Lô mua", "Vật tư", ("vat tu lo mua", "lo mua", "so lo", "lot"), 12),
    Column("harvest_kg", "Sản lượng (kg)", "Thu hoạch", ("thu hoach san luong (kg)",
                                                          "san luong (kg)", "san luong",
                                                          "thu hoach san luong", "yield kg"),
           12),
    Column("moisture_pct", "Độ ẩm (%)", "Thu hoạch", ("thu hoach do am (%)", "do am (%)",
                                                     "do am", "moisture"), 10),
    Column("pest", "Tên sâu bệnh", "Sâu bệnh", ("sau benh ten sau benh", "ten sau benh",
                                                "sau benh", "pest"), 18),
    Column("density", "Mật độ (con/m²)", "Sâu bệnh", ("sau benh mat do (con/m2)",
                                                      "mat do (con/m2)", "mat do", "density"),
           12),
    Column("growth_stage", "Giai đoạn", "Sâu bệnh", ("sau benh giai doan", "giai doan",
                                                     "growth stage"), 14),
    Column("area_ha", "Diện tích (ha)", None, ("dien tich (ha)", "dien tich", "area"), 10),
    Column("done_by", "Người thực hiện", None, ("nguoi thuc hien", "nguoi lam", "done by"), 18),
    Column("notes", "Ghi chú", None, ("ghi chu", "notes", "note"), 30),
)
BY_KEY = {c.key: c for c in COLUMNS}
GROUPS = {"vat tu", "thu hoach", "sau benh"}

KIND_WORDS: dict[str, str] = {fold(vi): k for k, (vi, _) in ACTIVITY_KINDS.items()} | {
    fold(en): k for k, (_, en) in ACTIVITY_KINDS.items()} | {k.replace("_", " "): k
                                                             for k in ACTIVITY_KINDS} | {
    "phun": "spraying", "phun xit": "spraying", "xit thuoc": "spraying", "phun thuoc bvtv":
    "spraying", "bon": "fertilising", "bon thuc": "fertilising", "bon lot": "fertilising",
    "gieo": "sowing", "sa": "sowing", "gieo sa lua": "sowing", "cay": "planting",
    "tuoi": "irrigation", "bom nuoc": "irrigation", "lam co": "land_prep", "cay dat":
    "land_prep", "tham vuon": "scouting", "kiem tra dong": "scouting", "gat": "harvest",
    "thu hoach lua": "harvest", "phoi": "drying", "say": "drying", "phoi say lua": "drying",
    "phan loai trai": "sorting", "ban lua": "sale", "xay": "milling", "dong goi": "packing",
    "tia canh": "pruning",
}


@dataclass
class RowError:
    row: int
    column: str | None
    message_vi: str
    message_en: str

    def message(self, lang: str) -> str:
        where_vi = f"Dòng {self.row}" + (f", cột {self.column}" if self.column else "")
        where_en = f"Row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where_vi}: {self.message_vi}" if lang == "vi" else \
            f"{where_en}: {self.message_en}"


@dataclass
class ImportRow:
    row: int
    plot_code: str
    season: str | None
    at: dt.datetime  # naive: Vietnam time
    kind: str
    input_name: str | None = None
    input_quantity: float | None = None
    input_unit: str | None = None
    purchase_lot: str | None = None
    harvest_kg: float | None = None
    moisture_pct: float | None = None
    pest: str | None = None
    density: float | None = None
    growth_stage: str | None = None
    area_ha: float | None = None
    done_by: str | None = None
    notes: str | None = None

    def fingerprint(self) -> str:
        return "|".join(str(x) for x in (
            fold(self.plot_code), self.at.isoformat(), self.kind, fold(self.input_name or ""),
            self.input_quantity, self.input_unit, self.harvest_kg, fold(self.pest or ""),
            fold(self.notes or "")))


@dataclass
class ParseResult:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # key -> header as in the file


class ExcelFileError(ValueError):
    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


# --- the template ---------------------------------------------------------------------------

def template_xlsx(example: bool = True) -> bytes:
    """The Vietnamese template: a merged two-row header, examples, a guide sheet."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Nhật ký"
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEEDD")
    last = get_column_letter(len(COLUMNS))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = "NHẬT KÝ SẢN XUẤT — MẪU NHẬP DỮ LIỆU (Nông Số)"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = ("Mỗi dòng một công việc (một vật tư). Ngày ghi dd/mm/yyyy; số thập phân dùng "
                "dấu phẩy (ví dụ 1,5). Vụ ghi như «Đông Xuân 2025-2026»; để trống là vụ đang mở "
                "của thửa. Xem trang «Hướng dẫn».")
    ws["A2"].alignment = Alignment(wrap_text=True)
    ws.row_dimensions[2].height = 30
    col = 1
    while col <= len(COLUMNS):
        c = COLUMNS[col - 1]
        letter = get_column_letter(col)
        if c.group is None:
            ws.merge_cells(f"{letter}3:{letter}4")
            ws[f"{letter}3"] = c.header
            col += 1
            continue
        span = [x for x in COLUMNS if x.group == c.group]
        end = get_column_letter(col + len(span) - 1)
        ws.merge_cells(f"{letter}3:{end}3")
        ws[f"{letter}3"] = c.group
        for n, x in enumerate(span):
            ws[f"{get_column_letter(col + n)}4"] = x.header
        col += len(span)
    for n, c in enumerate(COLUMNS, start=1):
        letter = get_column_letter(n)
        ws.column_dimensions[letter].width = c.width
        for r in (3, 4):
            cell = ws[f"{letter}{r}"]
            cell.font = Font(bold=True)
            cell.fill = head_fill
            cell.border = box
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.freeze_panes = "A5"
    kinds = DataValidation(type="list", formula1='"' + ",".join(
        vi for vi, _ in ACTIVITY_KINDS.values()) + '"', allow_blank=True)
    ws.add_data_validation(kinds)
    kinds.add("D5:D5000")
    if example:
        rows = [
            ["TH-001", "Đông Xuân 2025-2026", "05/12/2025", "Gieo sạ", "Lúa giống OM5451 xác "
             "nhận", "100", "kg", "", "", "", "", "", "", "1", "", "Sạ hàng"],
            ["TH-001", "Đông Xuân 2025-2026", "13/12/2025", "Bón phân", "Urê 46% N", "40",
             "kg", "", "", "", "", "", "", "", "", ""],
            ["TH-001", "Đông Xuân 2025-2026", "18/01/2026", "Phun thuốc", "Rầy Sạch 50WG "
             "(pymetrozine)", "0,3", "kg", "", "", "", "Rầy nâu", "1200", "Làm đòng", "", "",
             ""],
            ["TH-001", "Đông Xuân 2025-2026", "10/03/2026", "Thu hoạch", "", "", "", "",
             "7.050", "24,5", "", "", "", "", "", ""],
        ]
        for r, values in enumerate(rows, start=5):
            for j, value in enumerate(values, start=1):
                ws.cell(row=r, column=j, value=value or None)
    guide = wb.create_sheet("Hướng dẫn")
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 90
    lines: list[tuple[str, str]] = [
        ("Cột", "Cách ghi"),
        ("Mã thửa", "Mã thửa trong nhật ký (bắt buộc)."),
        ("Vụ", "Ví dụ «Đông Xuân 2025-2026», «Hè Thu 2026»; để trống: vụ đang mở của thửa."),
        ("Ngày thực hiện", "dd/mm/yyyy (có thể thêm giờ: dd/mm/yyyy hh:mm). Không ghi ngày "
         "sau ngày mai."),
        ("Công việc", ", ".join(vi for vi, _ in ACTIVITY_KINDS.values())),
        ("Vật tư", "Tên đúng như trong danh mục vật tư; số lượng dùng cho cả thửa; đơn vị: "
         + ", ".join(accepted_units())),
        ("Thu hoạch", "Sản lượng (kg) và độ ẩm (%)."),
        ("Sâu bệnh", "Khi thăm đồng: tên sâu bệnh, mật độ (con/m²), giai đoạn sinh trưởng."),
        ("Nhập", "Mặc định: có lỗi ở bất kỳ dòng nào thì không nhập dòng nào; báo lỗi theo "
         "dòng và cột. Nhập lại cùng tệp không tạo bản ghi trùng."),
    ]
    for r, (a, b) in enumerate(lines, start=1):
        guide.cell(row=r, column=1, value=a).font = Font(bold=r == 1)
        guide.cell(row=r, column=2, value=b).alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading --------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _match(label: str) -> str | None:
    key = fold(label).replace("²", "2")
    for c in COLUMNS:
        if key in c.aliases:
            return c.key
    return None


def _locate_header(rows: list[tuple[Any, ...]]) -> tuple[int, dict[int, str], dict[int, str]]:
    """(index of the last header row, column index -> field key, column -> label shown)."""
    best: tuple[int, int, dict[int, str], dict[int, str]] = (-1, 0, {}, {})
    for i, row in enumerate(rows):
        above = rows[i - 1] if i > 0 else ()
        groups: list[str] = []
        carry = ""
        for j in range(len(row)):
            top = _text(above[j]) if j < len(above) else ""
            if top:
                carry = top
            elif not _text(row[j]):
                carry = ""
            groups.append(carry if fold(carry) in GROUPS else "")
        mapping: dict[int, str] = {}
        shown: dict[int, str] = {}
        for j, cell in enumerate(row):
            sub = _text(cell)
            top = _text(above[j]) if j < len(above) else ""
            candidates = [f"{groups[j]} {sub}".strip(), sub] if sub else [top]
            for label in candidates:
                key = _match(label) if label else None
                if key is not None and key not in mapping.values():
                    mapping[j] = key
                    shown[j] = sub or top
                    break
        score = len(mapping)
        if score > best[1]:
            best = (i, score, mapping, shown)
    index, score, mapping, shown = best
    if score < 3 or not {"plot_code", "date", "kind"} <= set(mapping.values()):
        raise ExcelFileError(
            "Không tìm thấy dòng tiêu đề (cần ít nhất các cột Mã thửa, Ngày thực hiện, Công "
            "việc). Hãy dùng tệp mẫu.",
            "No header row found (at least Mã thửa, Ngày thực hiện and Công việc are needed). "
            "Use the template.",
        )
    return index, mapping, shown


_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T](\d{1,2})[:h](\d{2}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?")


def parse_date(value: Any) -> dt.datetime:
    """A date (and time) as written in Vietnam: 05/12/2025, 5/12/2025 07:30, a real Excel
    date, or ISO 2025-12-05. Returns a naive datetime (Vietnam time; 07:00 without a time)."""
    if isinstance(value, dt.datetime):
        return value if (value.hour or value.minute) else value.replace(hour=7)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(7, 0))
    text = _text(value)
    m = _DATE.match(text)
    try:
        if m:
            day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            hour, minute = (int(m.group(4)), int(m.group(5))) if m.group(4) else (7, 0)
            return dt.datetime(year, month, day, hour, minute)
        m = _ISO.match(text)
        if m:
            hour, minute = (int(m.group(4)), int(m.group(5))) if m.group(4) else (7, 0)
            return dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), hour, minute)
    except ValueError:
        pass
    raise ValueError(text)


def _kind(value: Any) -> str | None:
    return KIND_WORDS.get(fold(_text(value)))


def _rows(content: bytes) -> Iterator[tuple[Any, ...]]:
    """The rows of the diary sheet, streamed (openpyxl's read-only mode), with the work capped:
    the archive is checked before anything is inflated (entries, uncompressed sizes: a small
    file whose shared strings unzip to gigabytes is a 413 at once), at most
    :data:`MAX_COLUMNS` columns are read and at most :data:`MAX_SHEET_ROWS` rows (empty ones
    included) are walked."""
    try:
        limits.open_archive(content, XLSX_LIMITS, "Excel (.xlsx)").close()
    except limits.UnreadableUpload as exc:
        raise ExcelFileError("Tệp không phải là tệp Excel (.xlsx) đọc được.",
                             "The file is not a readable Excel (.xlsx) file.") from exc
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, AttributeError,
            IndexError, SyntaxError, EOFError) as exc:
        raise ExcelFileError("Tệp không phải là tệp Excel (.xlsx) đọc được.",
                             "The file is not a readable Excel (.xlsx) file.") from exc
    try:
        sheet = wb["Nhật ký"] if "Nhật ký" in wb.sheetnames else wb.worksheets[0]
        # A declared dimension of a million rows by 16,384 columns would pad every row.
        sheet.reset_dimensions()
        budget = limits.WorkBudget(MAX_SHEET_ROWS, "dòng", "rows")
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            budget.spend()
            yield row
    finally:
        wb.close()


def _other_columns(head: list[tuple[Any, ...]], index: int,
                   mapping: dict[int, str]) -> dict[int, str]:
    """The columns the diary does not read (column index → label); one whose header names
    personal data (an owner's name, phone, CCCD, address…) refuses the file."""
    row = head[index]
    above = head[index - 1] if index > 0 else ()
    others: dict[int, str] = {}
    for j in range(len(row)):
        if j in mapping:
            continue
        label = _text(row[j]) or (_text(above[j]) if j < len(above) else "")
        kind = personal_data.header_kind(label) if label else None
        if kind is not None:
            raise ExcelFileError(*personal_data.refusal(label, kind))
        others[j] = label or get_column_letter(j + 1)
    return others


def parse(content: bytes) -> ParseResult:
    """Read the rows of an import file; every problem becomes a RowError (nothing raised for a
    bad row; ExcelFileError only when the file as a whole cannot be read)."""
    rows = _rows(content)
    head: list[tuple[Any, ...]] = []
    for row in rows:
        head.append(row)
        if len(head) >= 15:
            break
    index, mapping, shown = _locate_header(head)
    result = ParseResult(headers={key: shown[j] for j, key in mapping.items()})
    others = _other_columns(head, index, mapping)
    data_rows = ((n + 1, r) for n, r in enumerate(head) if n > index)

    def all_rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        yield from data_rows
        yield from enumerate(rows, start=len(head) + 1)

    cols = sorted(mapping.items())
    for number, raw in all_rows():
        if not any(_text(v) for v in raw):
            continue  # empty rows are skipped
        result.rows_read += 1
        if result.rows_read > MAX_ROWS:
            raise ExcelFileError(f"Tệp có hơn {MAX_ROWS} dòng; hãy chia nhỏ.",
                                 f"The file has more than {MAX_ROWS} rows; split it.")
        values = {key: raw[j] if j < len(raw) else None for j, key in cols}
        for j, label in others.items():
            kind = personal_data.value_kind(raw[j]) if j < len(raw) else None
            if kind is not None:
                raise ExcelFileError(*personal_data.refusal(label, kind))
        errors: list[RowError] = []

        def err(key: str, vi: str, en: str, _n: int = number,
                _errors: list[RowError] = errors) -> None:
            _errors.append(RowError(_n, result.headers.get(key, BY_KEY[key].header), vi, en))

        def number_of(key: str, _values: dict[str, Any] = values) -> float | None:
            text = _text(_values.get(key))
            if not text:
                return None
            try:
                x = parse_number(_values[key])
            except QuantityError:
                err(key, f"«{text}» không phải là số.", f"'{text}' is not a number.")
                return None
            if x < 0:
                err(key, "không được âm.", "cannot be negative.")
                return None
            return x

        plot_code = _text(values.get("plot_code"))
        if not plot_code:
            err("plot_code", "thiếu mã thửa.", "the plot code is missing.")
        at: dt.datetime | None = None
        if not _text(values.get("date")):
            err("date", "thiếu ngày.", "the date is missing.")
        else:
            try:
                at = parse_date(values["date"])
            except ValueError:
                err("date", "ngày không hợp lệ (dd/mm/yyyy).", "invalid date (dd/mm/yyyy).")
        kind = _kind(values.get("kind"))
        if kind is None:
            err("kind", f"công việc «{_text(values.get('kind'))}» không hợp lệ.",
                f"unknown activity '{_text(values.get('kind'))}'.")
        input_name = _text(values.get("input_name")) or None
        qty = number_of("input_quantity")
        unit = _text(values.get("input_unit")) or None
        if unit:
            try:
                unit = parse_unit(unit).symbol
            except QuantityError as exc:
                err("input_unit", exc.message_vi, exc.message_en)
        if input_name and (qty is None or not unit) and not any(
                e.column in (result.headers.get("input_quantity"),
                             result.headers.get("input_unit")) for e in errors):
            err("input_quantity" if qty is None else "input_unit",
                "vật tư cần số lượng và đơn vị.", "an input needs its quantity and unit.")
        harvest = number_of("harvest_kg")
        moisture = number_of("moisture_pct")
        if moisture is not None and moisture > MAX_MOISTURE_PCT:
            err("moisture_pct", "độ ẩm phải từ 0 đến 60 %.", "moisture must be 0–60 %.")
        density = number_of("density")
        area = number_of("area_ha")
        season = _text(values.get("season")) or None
        if errors or at is None or kind is None:
            result.errors += errors
            continue
        result.rows.append(ImportRow(
            row=number, plot_code=plot_code, season=season, at=at, kind=kind,
            input_name=input_name, input_quantity=qty, input_unit=unit,
            purchase_lot=_text(values.get("purchase_lot")) or None, harvest_kg=harvest,
            moisture_pct=moisture, pest=_text(values.get("pest")) or None, density=density,
            growth_stage=_text(values.get("growth_stage")) or None, area_ha=area or None,
            done_by=_text(values.get("done_by")) or None,
            notes=_text(values.get("notes")) or None,
        ))
    return result
