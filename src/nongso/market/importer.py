"""Reading a price sheet (CSV or Excel) into rows (pure: bytes in, rows out).

Columns are found by their header, Vietnamese or English, with or without diacritics:

| column | headers |
|---|---|
| date | Ngày, Ngày ghi nhận, Date |
| product | Mặt hàng, Sản phẩm, Product |
| level | Cấp thị trường, Loại giá, Level |
| place | Nơi, Xã, Địa bàn, Place (a commune code or name) |
| price | Giá, Price (as written: 7.500, 7,5k, 150.000 đ/giạ…) |
| unit | Đơn vị, Unit (optional: kg, giạ, tạ, tấn…) |
| source | Nguồn, Source (optional) |
| usd_rate | Tỷ giá, USD rate (optional) |
| market | Chợ, Market (optional) |
| note | Ghi chú, Note (optional) |

The header is the first row whose cells name at least the date, product and price columns.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from nongso.core.i18n import fold

HEADERS: dict[str, tuple[str, ...]] = {
    "date": ("ngay", "ngay ghi nhan", "ngay bao gia", "date", "day"),
    "product": ("mat hang", "san pham", "hang", "product"),
    "level": ("cap thi truong", "loai gia", "cap", "level", "market level"),
    "place": ("noi", "xa", "dia ban", "dia diem", "xa phuong", "place", "commune"),
    "price": ("gia", "don gia", "price"),
    "unit": ("don vi", "don vi tinh", "dvt", "unit"),
    "source": ("nguon", "source"),
    "usd_rate": ("ty gia", "ty gia usd", "usd rate", "fx"),
    "market": ("cho", "ten cho", "market"),
    "note": ("ghi chu", "note"),
}
REQUIRED = ("date", "product", "level", "place", "price")
MAX_ROWS = 20_000


class SheetError(ValueError):
    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class Row:
    number: int  # the row number in the sheet (1-based, as Excel shows it)
    cells: dict[str, Any]


def _column(text: Any) -> str | None:
    key = fold(str(text or "")).strip(" :*")
    for name, aliases in HEADERS.items():
        if key in aliases:
            return name
    return None


def _table(content: bytes, filename: str) -> list[list[Any]]:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # a file that is not a workbook: say so
            raise SheetError("Tệp Excel không đọc được.", "The Excel file cannot be read.") \
                from exc
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    if name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SheetError("Tệp CSV phải mã hoá UTF-8.", "The CSV file must be UTF-8.") \
                from exc
        dialect: Any = csv.excel
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        return [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    raise SheetError("Chỉ nhận tệp .xlsx hoặc .csv.", "Only .xlsx or .csv files are accepted.")


def read_rows(content: bytes, filename: str) -> list[Row]:
    """The data rows with their cells by column name (empty rows skipped)."""
    table = _table(content, filename)
    header_at = None
    columns: dict[int, str] = {}
    for n, cells in enumerate(table[:20]):
        found = {i: c for i, c in ((i, _column(v)) for i, v in enumerate(cells)) if c}
        if {"date", "product", "price"} <= set(found.values()):
            header_at, columns = n, found
            break
    if header_at is None:
        raise SheetError(
            "Không tìm thấy dòng tiêu đề (cần các cột Ngày, Mặt hàng, Cấp thị trường, Nơi, "
            "Giá).",
            "No header row found (columns Date, Product, Level, Place, Price are needed).")
    missing = [c for c in REQUIRED if c not in columns.values()]
    if missing:
        raise SheetError(f"Thiếu cột: {', '.join(missing)}.",
                         f"Missing columns: {', '.join(missing)}.")
    out = []
    for n, cells in enumerate(table[header_at + 1:], start=header_at + 2):
        values = {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        out.append(Row(n, values))
        if len(out) > MAX_ROWS:
            raise SheetError(f"Tối đa {MAX_ROWS} dòng một lần nhập.",
                             f"At most {MAX_ROWS} rows per import.")
    return out


def parse_day(value: Any) -> dt.date:
    """dd/mm/yyyy, yyyy-mm-dd, or an Excel date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise SheetError(f"Ngày «{text}» không hợp lệ (dd/mm/yyyy).",
                     f"Invalid date '{text}' (dd/mm/yyyy).")


LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "farm_gate": ("farm_gate", "tai ruong", "tai vuon", "ruong", "tai trai", "farm gate",
                  "thuong lai mua", "gia ruong"),
    "wholesale": ("wholesale", "ban buon", "ban si", "si", "dau moi", "cho dau moi"),
    "retail": ("retail", "ban le", "le", "cho le"),
    "export": ("export", "xuat khau", "fob"),
}


def parse_level(value: Any) -> str:
    key = fold(str(value or "")).replace("-", " ").strip()
    for level, words in LEVEL_WORDS.items():
        if key in words:
            return level
    raise SheetError(
        f"Cấp thị trường «{value}» không rõ (tại ruộng, bán buôn, bán lẻ, xuất khẩu).",
        f"Unknown market level '{value}' (farm gate, wholesale, retail, export).")
