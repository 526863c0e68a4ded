"""Reading the tables of historic figures (pure): Excel or CSV in any encoding, the header
found below the report's title rows, columns recognised by their Vietnamese or English
names, in the long layout (one figure a row) or the officers' wide layout (one commune a row,
one column per figure with its unit in brackets: "Năng suất (tạ/ha)").
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook

from nongso.core.i18n import fold
from nongso.stats import encodings
from nongso.stats.parsing import split_header

MAX_ROWS = 20_000
HEADER_SCAN = 15

# Column role -> the folded names it goes by.
ROLES: dict[str, tuple[str, ...]] = {
    "commune_code": ("ma xa", "ma don vi", "ma xa phuong", "ma dvhc", "commune code",
                     "commune_code", "org_unit", "ou", "ma"),
    "commune_name": ("xa", "ten xa", "xa phuong", "xa, phuong", "ten don vi", "don vi",
                     "commune", "commune name", "ten xa phuong"),
    "district": ("huyen", "ten huyen", "quan huyen", "district"),
    "period": ("ky", "ky bao cao", "vu", "mua vu", "vu san xuat", "period", "season"),
    "date": ("ngay", "ngay bao cao", "date"),
    "element": ("chi tieu", "ma chi tieu", "element", "data element", "data_element"),
    "coc": ("phan to", "coc", "loai", "doi tuong"),
    "crop": ("cay trong", "crop", "loai cay"),
    "value": ("gia tri", "so lieu", "value"),
    "unit": ("don vi tinh", "dvt", "unit"),
    "comment": ("ghi chu", "comment", "note"),
    "index": ("stt", "tt", "so tt", "no", "#"),
}
_BY_NAME = {name: role for role, names in ROLES.items() for name in names}


class TableError(ValueError):
    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass
class Table:
    header_row: int  # 1-based row number of the header in the file
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number in the file, cells)
    encoding: str
    roles: dict[str, int] = field(default_factory=dict)  # role -> column index
    # Columns not recognised as a role: (column index, name, unit in brackets).
    others: list[tuple[int, str, str | None]] = field(default_factory=list)

    def cell(self, cells: list[Any], role: str) -> Any:
        i = self.roles.get(role)
        return cells[i] if i is not None and i < len(cells) else None


def _is_xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise TableError("Tệp Excel bị hỏng hoặc không phải .xlsx.",
                         "The Excel file is damaged or not .xlsx.") from exc
    ws = wb.worksheets[0]
    out = []
    for row in ws.iter_rows(values_only=True):
        out.append(list(row))
        if len(out) > MAX_ROWS + HEADER_SCAN:
            raise TableError(f"Tệp quá {MAX_ROWS} dòng.", f"More than {MAX_ROWS} rows.")
    wb.close()
    return out


def _csv_rows(text: str) -> list[list[Any]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if len(rows) > MAX_ROWS + HEADER_SCAN:
        raise TableError(f"Tệp quá {MAX_ROWS} dòng.", f"More than {MAX_ROWS} rows.")
    return [list(r) for r in rows]


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def role_of(header: str) -> str | None:
    name, _unit = split_header(header)
    return _BY_NAME.get(fold(name)) or _BY_NAME.get(fold(header))


def read(content: bytes, filename: str, encoding: str = "auto") -> Table:
    """The table of a file: header row found, roles and other columns mapped."""
    if not content:
        raise TableError("Tệp rỗng.", "The file is empty.")
    if _is_xlsx(content) or filename.lower().endswith((".xlsx", ".xlsm")):
        raw, used = _xlsx_rows(content), "xlsx"
    elif filename.lower().endswith((".csv", ".txt")) or not filename:
        try:
            text, used = encodings.decode(content, encoding)
        except encodings.EncodingError as exc:
            raise TableError(exc.message_vi, exc.message_en) from exc
        raw = _csv_rows(text)
    else:
        raise TableError("Chỉ nhận tệp .xlsx hoặc .csv.", "Only .xlsx or .csv files are read.")
    header_index = None
    for i, row in enumerate(raw[:HEADER_SCAN]):
        cells = [str(c) for c in row if not _blank(c)]
        roles = {role_of(c) for c in cells}
        if len(cells) >= 2 and roles & {"commune_code", "commune_name"}:
            header_index = i
            break
    if header_index is None:
        raise TableError(
            "Không tìm thấy dòng tiêu đề (cần cột «Mã xã» hoặc «Xã») trong 15 dòng đầu.",
            "No header row (with a 'Mã xã' or 'Xã' column) in the first 15 rows.")
    headers = ["" if _blank(c) else str(c).strip() for c in raw[header_index]]
    table = Table(header_row=header_index + 1, headers=headers, rows=[], encoding=used)
    for col, header in enumerate(headers):
        if not header:
            continue
        role = role_of(header)
        if role is not None and role not in table.roles:
            table.roles[role] = col
        elif role is None:
            name, unit = split_header(header)
            table.others.append((col, name, unit))
    for n, row in enumerate(raw[header_index + 1:], start=header_index + 2):
        if all(_blank(c) for c in row):
            continue
        table.rows.append((n, list(row) + [None] * (len(headers) - len(row))))
    return table
