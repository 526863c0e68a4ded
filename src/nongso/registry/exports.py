"""Exports of map features: GeoJSON, CSV (UTF-8 with BOM, so Excel reads the diacritics) and
Excel; and the planting-area-code list in the layout the plant protection office uses.

Pure functions of already-projected features (public properties only: what an anonymous user
may see is decided before, in :mod:`nongso.registry.features`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from shapely.geometry import shape

from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.spreadsheet import safe_row
from nongso.registry.features import FeatureRecord
from nongso.registry.messages import CROP_LABELS, STATUS_LABELS, label

FORMATS: Final = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed(
            f"Định dạng «{fmt}» không hỗ trợ (geojson, csv, xlsx).",
            f"Format '{fmt}' is not supported (geojson, csv, xlsx).",
            [FieldError("format", "Không hỗ trợ", "Not supported")],
        )
    return fmt


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _point(record: FeatureRecord) -> tuple[float | None, float | None]:
    if record.geometry is None:
        return None, None
    p = shape(record.geometry).representative_point()
    return round(p.x, 6), round(p.y, 6)


def features_file(collection: str, fmt: str, records: Sequence[FeatureRecord]) -> ExportFile:
    check_format(fmt)
    stamp = dt.date.today().isoformat()
    name = f"{collection}-{stamp}.{fmt}"
    if fmt == "geojson":
        body = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": r.id, "geometry": r.geometry, "properties": r.properties}
            for r in records]}
        return ExportFile(name, FORMATS[fmt], json.dumps(body, ensure_ascii=False).encode())
    keys: list[str] = []
    for r in records:
        for k in r.properties:
            if k not in keys:
                keys.append(k)
    header = ["id", *keys, "lon", "lat", "wkt"]
    rows: list[list[Any]] = []
    for r in records:
        lon, lat = _point(r)
        wkt = shape(r.geometry).wkt if r.geometry else None
        rows.append([r.id, *(_cell(r.properties.get(k)) for k in keys), lon, lat, wkt])
    return ExportFile(name, FORMATS[fmt], _table(fmt, collection, header, rows))


def _table(fmt: str, sheet: str, header: list[str], rows: list[list[Any]]) -> bytes:
    if fmt == "csv":
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(safe_row(row) for row in rows)  # user text is never a formula
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append(header)
    for row in rows:
        ws.append(safe_row(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PLANT_PROTECTION_HEADER: Final = {
    "vi": ["STT", "Mã số vùng trồng", "Địa điểm", "Xã, phường", "Cây trồng", "Giống",
           "Diện tích (ha)", "Tổ chức, cá nhân quản lý", "Vĩ độ", "Kinh độ", "Thị trường",
           "Hiệu lực đến", "Trạng thái"],
    "en": ["No.", "Planting-area code", "Location", "Commune", "Crop", "Variety", "Area (ha)",
           "Owner / manager", "Latitude", "Longitude", "Market", "Valid until", "Status"],
}


def planting_area_list(
    fmt: str, records: Sequence[FeatureRecord], farmer_names: Mapping[int, str], lang: str
) -> ExportFile:
    """Code, location, commune, crop, area (ha), owner, coordinates — one row per code.

    The owner is the managing organisation; a household's name only when the caller may see
    it (``farmer_names`` holds only those), else "Hộ nông dân" / "Farmer household"."""
    if fmt not in ("csv", "xlsx"):
        check_format(fmt if fmt != "geojson" else "_")
    rows: list[list[Any]] = []
    for n, r in enumerate(sorted(records, key=lambda r: (r.properties.get("code") or "", r.id)),
                          start=1):
        p = r.properties
        lon, lat = _point(r)
        owner = p.get("organisation_name")
        if not owner and p.get("farmer_id") in farmer_names:
            owner = farmer_names[int(p["farmer_id"])]
        if not owner:
            owner = "Hộ nông dân" if lang == "vi" else "Farmer household"
        commune = p.get("commune_name") or p.get("commune_code")
        location = p.get("location") or p.get("name")
        valid_to = p.get("valid_to")
        rows.append([
            n, p.get("code"), location, commune, label(CROP_LABELS, p.get("crop"), lang),
            p.get("variety"), p.get("area_ha"), owner, lat, lon, p.get("export_market"),
            _dmy(valid_to), label(STATUS_LABELS, p.get("status"), lang),
        ])
    stamp = dt.date.today().isoformat()
    return ExportFile(f"ma-so-vung-trong-{stamp}.{fmt}", FORMATS[fmt],
                      _table(fmt, "MSVT" if lang == "vi" else "Planting areas",
                             PLANT_PROTECTION_HEADER[lang], rows))


def _dmy(value: Any) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)
