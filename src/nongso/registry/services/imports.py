"""Imports of map features from a file (GeoJSON, KML/KMZ, zipped Shapefile, CSV, Excel): every
row goes through the same rules as one created through the API; a file with bad rows imports
nothing unless asked to import only the valid ones."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select

from nongso.core import audit, personal_data
from nongso.core.errors import AppError, FieldError, ValidationFailed
from nongso.core.i18n import fold
from nongso.core.permissions import require_login
from nongso.core.uow import UnitOfWork
from nongso.registry import geo, importers
from nongso.registry.messages import CROP_LABELS, KIND_LABELS
from nongso.registry.models import Organisation
from nongso.registry.schemas import (
    ImportReport,
    ImportRowError,
    InfrastructureCreate,
    ProductionUnitCreate,
    SoilUnitCreate,
)
from nongso.registry.services.infrastructure import create_infrastructure
from nongso.registry.services.production_units import create_production_unit
from nongso.registry.services.soil_units import create_soil_unit


@dataclass(frozen=True)
class _RowErr:
    row: int
    field: str | None
    message_vi: str
    message_en: str

    def as_row(self, lang: str) -> ImportRowError:
        prefix_vi = f"Dòng {self.row}: " if not self.message_vi.startswith("Dòng") else ""
        prefix_en = f"Row {self.row}: " if not self.message_en.startswith(("Row", "Line")) \
            else ""
        return ImportRowError(row=self.row, field=self.field,
                              message=(prefix_vi + self.message_vi) if lang == "vi"
                              else (prefix_en + self.message_en))


def row_error(row: int, field: str | None, vi: str, en: str) -> _RowErr:
    return _RowErr(row, field, vi, en)


class ImportRefused(ValidationFailed):
    """A file with bad rows: nothing was stored; the report lists every row's problem."""

    code = "import-refused"

    def __init__(self, errors: list[ImportRowError], collection: str, fmt: str,
                 rows: int) -> None:
        n = len(errors)
        super().__init__(
            f"Tệp có {n} dòng lỗi nên không nhập gì. Sửa các dòng lỗi, hoặc chọn «chỉ nhập các "
            "dòng hợp lệ».",
            f"The file has {n} row(s) with errors, so nothing was imported. Fix them, or choose "
            "'import only the valid rows'.",
            [FieldError(f"rows/{e.row}" + (f"/{e.field}" if e.field else ""), e.message,
                        e.message) for e in errors],
            extra={"collection": collection, "format": fmt, "rows": rows},
        )


_IMPORT_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "ten", "ten vung", "ten thua", "ten cong trinh", "ten tram", "ten don vi"),
    "code": ("code", "ma", "ma so", "ma so vung trong", "ma vung trong", "msvt", "ma tram",
             "ma cong trinh"),
    "kind": ("kind", "loai", "type"),
    "commune_code": ("commune code", "commune_code", "ma xa", "ma phuong xa", "ma dvhc"),
    "crop": ("crop", "cay trong", "cay trong chinh"),
    "variety": ("variety", "giong"),
    "species": ("species", "loai nuoi", "vat nuoi"),
    "head_count": ("head count", "so con", "quy mo (con)"),
    "water_surface_ha": ("water surface ha", "dien tich mat nuoc", "dien tich mat nuoc (ha)"),
    "declared_area_ha": ("declared area ha", "area ha", "area", "dien tich", "dien tich (ha)",
                         "dien tich ha", "dien tich ke khai"),
    "export_market": ("export market", "thi truong", "thi truong xuat khau"),
    "valid_from": ("valid from", "ngay cap", "hieu luc tu", "tu ngay"),
    "valid_to": ("valid to", "ngay het han", "het han", "hieu luc den", "den ngay"),
    "organisation_code": ("organisation code", "ma htx", "ma to chuc", "ma doanh nghiep"),
    "subtype": ("subtype", "loai tram"),
    "river": ("river", "song", "song kenh"),
    "soil_type": ("soil type", "loai dat"),
    "ph": ("ph",),
    "organic_matter_pct": ("organic matter pct", "om", "chat huu co", "chat huu co (%)"),
    "salinity_class": ("salinity class", "cap man"),
    "source": ("source", "nguon"),
    "status": ("status", "trang thai"),
}


_NUMBER_FIELDS = {"declared_area_ha", "water_surface_ha", "ph", "organic_matter_pct"}


_INT_FIELDS = {"head_count"}


_DATE_FIELDS = {"valid_from", "valid_to"}


_FIELDS_BY_COLLECTION: dict[str, set[str]] = {
    "production_units": {"name", "code", "kind", "commune_code", "crop", "variety", "species",
                         "head_count", "water_surface_ha", "declared_area_ha", "export_market",
                         "valid_from", "valid_to", "organisation_code", "status"},
    "infrastructure": {"name", "code", "kind", "commune_code", "subtype", "river", "valid_from",
                       "valid_to", "organisation_code", "status"},
    "soil_units": {"name", "code", "commune_code", "soil_type", "ph", "organic_matter_pct",
                   "salinity_class", "source", "valid_from", "valid_to", "status"},
}


def _alias_key(name: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", fold(name)).split())


_ALIAS_LOOKUP = {alias: field for field, aliases in _IMPORT_ALIASES.items() for alias in aliases}


_CROP_LOOKUP = {**{fold(vi): code for code, (vi, en) in CROP_LABELS.items()},
                **{fold(en): code for code, (vi, en) in CROP_LABELS.items()},
                **{code: code for code in CROP_LABELS}}


_KIND_LOOKUP = {**{fold(vi): code for code, (vi, en) in KIND_LABELS.items()},
                **{fold(en): code for code, (vi, en) in KIND_LABELS.items()},
                **{code: code for code in KIND_LABELS}}


def _import_value(field: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field in _NUMBER_FIELDS:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return float(str(value).strip().replace(",", "."))
    if field in _INT_FIELDS:
        return int(float(str(value).strip().replace(",", ".")))
    if field in _DATE_FIELDS:
        text = str(value).strip()[:10]
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            d, m, y = (int(x) for x in text.split("/"))
            return dt.date(y, m, d)
        return dt.date.fromisoformat(text)
    if field in ("crop", "species"):
        return _CROP_LOOKUP.get(fold(str(value)), str(value).strip())
    if field == "kind":
        return _KIND_LOOKUP.get(fold(str(value)), str(value).strip())
    if field == "commune_code":
        text = str(value).strip()
        return text.split(".")[0].zfill(5) if text.replace(".", "").isdigit() else text
    return str(value).strip()


def _map_properties(collection: str, props: dict[str, Any]
                    ) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, str]]]:
    """File properties → (schema fields, other attributes, problems (field, vi, en))."""
    allowed = _FIELDS_BY_COLLECTION[collection]
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    problems: list[tuple[str, str, str]] = []
    for key, value in props.items():
        field = _ALIAS_LOOKUP.get(_alias_key(str(key)))
        if field is None or field not in allowed:
            if value is not None and len(extra) < 40:
                extra[str(key)[:60]] = value if isinstance(value, int | float | bool) \
                    else str(value)[:500]
            continue
        try:
            converted = _import_value(field, value)
        except (ValueError, TypeError):
            problems.append((key, f"giá trị «{str(value)[:40]}» không hợp lệ.",
                             f"invalid value '{str(value)[:40]}'."))
            continue
        if converted is not None:
            fields[field] = converted
    return fields, extra, problems


def _refuse_personal_columns(collection: str, rows: list[dict[str, Any]]) -> None:
    """Columns that would be kept as free attributes and look like personal data (by their
    header or by a value) refuse the whole file (422 naming each column): personal data
    belongs in the farmer register, where it can be exported and erased."""
    allowed = _FIELDS_BY_COLLECTION[collection]
    found: dict[str, str] = {}
    for props in rows:
        for key, value in props.items():
            name = str(key)
            if name in found:
                continue
            field = _ALIAS_LOOKUP.get(_alias_key(name))
            if field is not None and field in allowed:
                continue
            kind = personal_data.header_kind(name) or personal_data.value_kind(value)
            if kind is not None:
                found[name] = kind
    if not found:
        return
    errors = [FieldError(f"columns/{name}", *personal_data.refusal(name, kind))
              for name, kind in found.items()]
    names = ", ".join(f"«{n}»" for n in found)
    raise ValidationFailed(
        f"Tệp có cột chứa dữ liệu cá nhân ({names}) nên không nhập gì. Bỏ các cột này; thông "
        "tin của nông hộ được quản lý trong sổ nông hộ (Nghị định 13/2023/NĐ-CP).",
        f"The file has columns with personal data ({names}), so nothing was imported. Remove "
        "them; a farmer's details are kept in the farmer register (Decree 13/2023/NĐ-CP).",
        errors, extra={"collection": collection})


def import_features(
    uow: UnitOfWork, collection: str, filename: str, data: bytes, *, kind: str | None = None,
    only_valid: bool = False, dry_run: bool = False, lang: str = "vi",
) -> ImportReport:
    """Import production units, infrastructure or soil units from a file.

    Every row goes through the same rules as one created through the API. A file with any bad
    row imports nothing (:class:`ImportRefused`, the report lists every bad row) unless
    ``only_valid``; ``dry_run`` checks and reports without storing."""
    require_login(uow.principal)
    if collection not in _FIELDS_BY_COLLECTION:
        raise ValidationFailed(
            f"Không nhập được vào tập «{collection}» (chỉ production_units, infrastructure, "
            "soil_units).",
            f"Cannot import into '{collection}' (only production_units, infrastructure, "
            "soil_units).", [FieldError("collection", "Không hỗ trợ", "Not supported")])
    result = importers.import_file(filename, data)
    _refuse_personal_columns(collection, [f.properties for f in result.features])
    errors: list[_RowErr] = [row_error(e.row, e.field, e.message_vi, e.message_en)
                             for e in result.errors]
    ids: list[int] = []
    valid = 0
    with uow:
        s = uow.session
        org_codes: dict[str, int] = {}
        codes = {str(f.properties.get(k)) for f in result.features for k in f.properties
                 if _ALIAS_LOOKUP.get(_alias_key(str(k))) == "organisation_code"}
        if codes:
            org_codes = dict(s.execute(select(Organisation.code, Organisation.id).where(
                Organisation.code.in_(sorted(codes)))).all())  # type: ignore[arg-type]
        seen_codes: dict[str, int] = {}
        for f in result.features:
            fields, extra, problems = _map_properties(collection, f.properties)
            for field, vi, en in problems:
                errors.append(row_error(f.row, field, vi, en))
            if problems:
                continue
            if kind is not None and "kind" not in fields:
                fields["kind"] = kind
            if collection == "soil_units":
                fields.pop("kind", None)
            org_code = fields.pop("organisation_code", None)
            if org_code is not None:
                if org_code not in org_codes:
                    errors.append(row_error(f.row, "organisation_code",
                                             f"không có tổ chức mã «{org_code}».",
                                             f"no organisation has the code '{org_code}'."))
                    continue
                fields["organisation_id"] = org_codes[org_code]
            code = fields.get("code")
            if code and code in seen_codes:
                errors.append(row_error(f.row, "code", f"mã «{code}» trùng với dòng "
                                         f"{seen_codes[code]}.",
                                         f"code '{code}' repeats row {seen_codes[code]}."))
                continue
            fields["geometry"] = geo.to_geojson(f.geometry)
            fields["attributes"] = extra
            try:
                with s.begin_nested():
                    created = _create_from_import(uow, collection, fields)
                    if dry_run or (errors and not only_valid):
                        raise _Rollback
                    ids.append(created)
            except _Rollback:
                pass
            except PydanticValidationError as exc:
                for err in exc.errors()[:5]:
                    loc = ".".join(str(x) for x in err.get("loc", ()))
                    errors.append(row_error(f.row, loc or None, f"{loc}: {err.get('msg')}",
                                             f"{loc}: {err.get('msg')}"))
                continue
            except AppError as exc:
                errors.append(row_error(f.row, exc.errors[0].loc if exc.errors else None,
                                         exc.message_vi, exc.message_en))
                continue
            valid += 1
            if code:
                seen_codes[code] = f.row
        report_errors = sorted((e.as_row(lang) for e in errors), key=lambda e: e.row)
        rows = len(result.features) + len(result.errors)
        if errors and not only_valid and not dry_run:
            raise ImportRefused(report_errors, collection, result.format, rows)
        if dry_run or not ids:
            uow.rollback()
            return ImportReport(format=result.format, collection=collection, rows=rows,
                                valid=valid, imported=0, errors=report_errors, ids=[],
                                dry_run=dry_run)
        audit.record(s, "import", collection, filename[:100],
                     {"rows": rows, "imported": len(ids), "errors": len(errors)})
        uow.commit()
        return ImportReport(format=result.format, collection=collection, rows=rows,
                            valid=valid, imported=len(ids), errors=report_errors, ids=ids,
                            dry_run=False)


class _Rollback(Exception):
    pass


def _create_from_import(uow: UnitOfWork, collection: str, fields: dict[str, Any]) -> int:
    if collection == "production_units":
        return create_production_unit(uow, ProductionUnitCreate.model_validate(fields)).id
    if collection == "infrastructure":
        return create_infrastructure(uow, InfrastructureCreate.model_validate(fields)).id
    return create_soil_unit(uow, SoilUnitCreate.model_validate(fields)).id
