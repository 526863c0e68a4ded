"""Tables: CSV and XLSX with latitude/longitude (or WKT/GeoJSON) columns, Vietnamese or English
headers."""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import shapely
from shapely.geometry.base import BaseGeometry

from nongso.core.limits import LimitExceeded, WorkBudget
from nongso.registry.geo import (
    GeoError,
    geometry_from_wkt,
    parse_geojson_geometry,
)
from nongso.registry.importers._common import (
    _LINE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    ImportedFeature,
    ImportFileError,
    ImportResult,
    ImportTooLarge,
    RowError,
    _archive_limits,
    _as_import_error,
    _corrupt,
    _json_safe,
    _nfc,
    _open_zip,
    _too_many_rows,
)


def _fold(name: str) -> str:
    """Column name → comparable key: no accents, lower case, single spaces."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[_\-.]+", " ", text).split())


_LAT_NAMES: Final = {"vi do", "vido", "lat", "latitude"}


_LON_NAMES: Final = {"kinh do", "kinhdo", "lon", "lng", "long", "longitude"}


_GEOMETRY_NAMES: Final = {"geometry", "wkt", "geom", "hinh hoc"}


@dataclass(frozen=True)
class _Columns:
    names: list[str]
    lat: int | None
    lon: int | None
    geometry: int | None

    @classmethod
    def from_header(cls, cells: list[Any]) -> _Columns | None:
        names: list[str] = []
        for j, cell in enumerate(cells):
            text = _nfc(str(cell).strip()) if cell is not None else ""
            names.append(text or f"column_{j + 1}")
        folded = [_fold(n) for n in names]

        def find(aliases: set[str]) -> int | None:
            return next((j for j, f in enumerate(folded) if f in aliases), None)

        lat, lon, geometry = find(_LAT_NAMES), find(_LON_NAMES), find(_GEOMETRY_NAMES)
        if geometry is None and (lat is None or lon is None):
            return None
        seen: set[str] = set()
        for n in names:
            if n in seen:
                raise ImportFileError(
                    f"Cột «{n}» xuất hiện nhiều lần ở dòng tiêu đề.",
                    f"Column '{n}' appears more than once in the header row.",
                    reason="bad-header",
                )
            seen.add(n)
        return cls(names, lat, lon, geometry)


def _no_coordinate_columns(kind: str) -> ImportFileError:
    return ImportFileError(
        f"Tệp {kind} không có cột tọa độ: cần hai cột «vĩ độ» (lat) và «kinh độ» (lon), hoặc "
        "một cột «geometry»/«wkt».",
        f"The {kind} file has no coordinate columns: it needs a 'latitude' (vĩ độ, lat) and a "
        "'longitude' (kinh độ, lon) column, or a 'geometry'/'wkt' column.",
        reason="no-coordinates",
    )


class _CellError(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en


_MINUS_SIGNS: Final = str.maketrans({"\u2212": "-", "\u2013": "-"})


def _number(value: Any) -> float:
    """A cell → float: numbers as they are, text with a decimal point or comma."""
    if isinstance(value, bool):
        raise _CellError("giá trị không phải số", "the value is not a number")
    if isinstance(value, int | float | Decimal):
        result = float(value)
    else:
        text = str(value).strip().translate(_MINUS_SIGNS).replace(" ", "").replace("\u00a0", "")
        if "," in text and "." in text:
            raise _CellError(
                f"giá trị không phải số («{text[:30]}»: có cả dấu phẩy và dấu chấm)",
                f"the value is not a number ('{text[:30]}': both a comma and a point)",
            )
        try:
            result = float(text.replace(",", "."))
        except ValueError:
            raise _CellError(
                f"giá trị không phải số («{text[:30]}»)",
                f"the value is not a number ('{text[:30]}')",
            ) from None
    if not math.isfinite(result):
        raise _CellError("giá trị không phải số hữu hạn", "the value is not a finite number")
    return result


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _import_table(
    rows: Iterable[tuple[int, list[Any]]], kind: str, fmt: str, max_rows: int
) -> ImportResult:
    """Rows (row number, cells) of a CSV or a sheet; the first non-empty row is the header."""
    columns: _Columns | None = None
    features: list[ImportedFeature] = []
    errors: list[RowError] = []
    count = 0
    for row, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        if columns is None:
            columns = _Columns.from_header(cells)
            if columns is None:
                raise _no_coordinate_columns(kind)
            continue
        count += 1
        if count > max_rows:
            raise _too_many_rows(max_rows)
        result = _table_row(row, cells, columns)
        if isinstance(result, RowError):
            errors.append(result)
        else:
            features.append(result)
    if columns is None:
        raise ImportFileError(
            f"Tệp {kind} không có dữ liệu.", f"The {kind} file has no data.", reason="empty"
        )
    return ImportResult(features, errors, fmt)


def _column_label(columns: _Columns, j: int) -> tuple[str, str]:
    header = columns.names[j]
    canonical = {columns.lat: ("vĩ độ", "latitude"), columns.lon: ("kinh độ", "longitude")}
    vi, en = canonical.get(j, (header, header))
    if _fold(header) != _fold(vi):
        vi = f"{vi} ({header})"
    if _fold(header) != _fold(en):
        en = f"{en} ({header})"
    return vi, en


def _table_row(row: int, cells: list[Any], columns: _Columns) -> ImportedFeature | RowError:
    n = len(columns.names)
    extra = [c for c in cells[n:] if not _blank(c)]
    if extra:
        return _LINE.error(
            row,
            None,
            f"có {len(extra)} giá trị nằm ngoài các cột có tiêu đề.",
            f"{len(extra)} value(s) lie outside the columns that have a header.",
        )
    cells = list(cells[:n]) + [None] * (n - len(cells))

    def cell_error(j: int, vi: str, en: str) -> RowError:
        col_vi, col_en = _column_label(columns, j)
        return RowError(
            row,
            columns.names[j],
            f"{_LINE.vi} {row}, cột {col_vi}: {vi}",
            f"{_LINE.en} {row}, column {col_en}: {en}",
        )

    geom: BaseGeometry
    if columns.geometry is not None and not _blank(cells[columns.geometry]):
        j = columns.geometry
        try:
            geom = _geometry_cell(cells[j])
        except GeoError as exc:
            return cell_error(j, exc.message_vi, exc.message_en)
    else:
        lat_j, lon_j = columns.lat, columns.lon
        if lat_j is None or lon_j is None:
            assert columns.geometry is not None
            return cell_error(columns.geometry, "ô trống.", "the cell is empty.")
        coords: dict[int, float] = {}
        for j in (lon_j, lat_j):
            if _blank(cells[j]):
                return cell_error(j, "ô trống.", "the cell is empty.")
            try:
                coords[j] = _number(cells[j])
            except _CellError as exc:
                return cell_error(j, exc.vi, exc.en)
        try:
            geom = parse_geojson_geometry(
                {"type": "Point", "coordinates": [coords[lon_j], coords[lat_j]]}
            )
        except GeoError as exc:
            fld = f"{columns.names[lat_j]}, {columns.names[lon_j]}"
            if exc.reason == "swapped-coordinates":
                lat_vi, lat_en = _column_label(columns, lat_j)
                lon_vi, lon_en = _column_label(columns, lon_j)
                return _LINE.error(
                    row,
                    fld,
                    f"vĩ độ {_num_vi(coords[lat_j])} và kinh độ {_num_vi(coords[lon_j])} nằm "
                    f"ngoài Việt Nam nhưng sẽ nằm trong nếu đổi chỗ: có vẻ giá trị của cột "
                    f"{lat_vi} và cột {lon_vi} bị đổi chỗ cho nhau.",
                    f"latitude {coords[lat_j]:g} and longitude {coords[lon_j]:g} are outside "
                    f"Vietnam but would be inside if swapped: the values of the {lat_en} and "
                    f"{lon_en} columns look swapped.",
                )
            return _LINE.geo_error(row, fld, exc)
    used = {columns.lat, columns.lon, columns.geometry}
    props = {
        columns.names[j]: _json_safe(None if _blank(v) else v)
        for j, v in enumerate(cells)
        if j not in used
    }
    return ImportedFeature(row, shapely.force_2d(geom), props)


def _num_vi(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _geometry_cell(value: Any) -> BaseGeometry:
    text = str(value).strip()
    if text.startswith("{"):
        return parse_geojson_geometry(text)
    return geometry_from_wkt(text)


_DELIMITERS: Final = (",", ";", "\t", "|")


def import_csv(data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS) -> ImportResult:
    """A CSV with a header row (see the module docstring)."""
    text = _decode_text(data)
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(_DELIMITERS, key=lambda d: (_count_outside_quotes(header_line, d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        start = 1
        try:
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
        except csv.Error as exc:
            raise _corrupt(
                "CSV", f"dòng {reader.line_num} / line {reader.line_num}: {exc}"
            ) from exc

    return _import_table(rows(), "CSV", "csv", max_rows)


def _decode_text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1258")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                "Không đọc được bảng mã của tệp: hãy lưu tệp dưới dạng CSV UTF-8.",
                "The file's encoding cannot be read: save it as CSV UTF-8.",
                reason="bad-encoding",
            ) from exc
    if "\x00" in text:
        raise _corrupt("CSV", "có ký tự NUL, có thể là tệp nhị phân / NUL bytes (binary file?)")
    return unicodedata.normalize("NFC", text)


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def import_xlsx(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImportResult:
    """The first sheet of an Excel workbook whose header has coordinate columns."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # The archive's directory is checked before openpyxl inflates anything (a small workbook
    # whose sharedStrings.xml unzips to gigabytes is refused here); openpyxl's zip reader
    # never inflates more than an entry declares.
    _open_zip(data, "Excel (.xlsx)", _archive_limits(max_bytes)).close()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _corrupt("Excel (.xlsx)", str(exc)[:200]) from exc
    try:
        for sheet in workbook.worksheets:
            rows = _sheet_rows(sheet, max_rows)
            first = next(((r, c) for r, c in rows if not all(_blank(x) for x in c)), None)
            if first is None:
                continue
            if _Columns.from_header(first[1]) is None:
                continue

            def chained(
                first: tuple[int, list[Any]] = first, rest: Iterator[tuple[int, list[Any]]] = rows
            ) -> Iterator[tuple[int, list[Any]]]:
                yield first
                yield from rest

            return _import_table(chained(), "Excel", "xlsx", max_rows)
    except (ImportFileError, ImportTooLarge):
        raise
    except LimitExceeded as exc:
        raise _as_import_error(exc) from exc
    except Exception as exc:  # openpyxl raises many kinds on damaged sheets
        raise _corrupt("Excel (.xlsx)", str(exc)[:200]) from exc
    finally:
        workbook.close()
    raise _no_coordinate_columns("Excel")


MAX_COLUMNS: Final = 100
"""Columns read from a sheet (a record keeps at most 50 attributes)."""


def _sheet_rows(sheet: Any, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a read-only sheet, streamed; the work is capped: at most
    :data:`MAX_COLUMNS` columns, and rows (empty ones included) up to twice ``max_rows``."""
    # The declared dimension may claim a million rows and 16,384 columns (openpyxl would pad
    # every row to it): read what the sheet holds, up to the cap.
    sheet.reset_dimensions()
    budget = WorkBudget(2 * max_rows + 1000, "dòng", "rows")
    for row_number, values in enumerate(
            sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
        budget.spend()
        if len(values) > MAX_COLUMNS and values[MAX_COLUMNS] is not None:
            raise ImportTooLarge(
                f"Bảng tính có quá nhiều cột (tối đa {MAX_COLUMNS}).",
                f"The sheet has too many columns (at most {MAX_COLUMNS}).",
                reason="too-many-columns", limit=MAX_COLUMNS)
        cells = list(values[:MAX_COLUMNS])
        while cells and cells[-1] is None:  # the padding of the read-only reader
            cells.pop()
        yield row_number, cells
