"""What the readers of every format share: results, errors, limits, reprojection, JSON-safe
properties."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from nongso.core.errors import TooLarge, ValidationFailed
from nongso.core.limits import (
    ArchiveLimits,
    LimitExceeded,
    UnreadableUpload,
    open_archive,
    read_member,
)
from nongso.registry.geo import (
    GeoError,
    validate_geometry,
)

DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024


DEFAULT_MAX_ROWS: Final = 10_000


_UNZIP_FACTOR: Final = 10
"""Uncompressed content of a zip (Shapefile, KMZ, XLSX) may be this many times max_bytes."""


SUPPORTED_EXTENSIONS: Final = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".kml": "kml",
    ".kmz": "kmz",
    ".zip": "shapefile",
    ".csv": "csv",
    ".xlsx": "xlsx",
}


@dataclass(frozen=True)
class ImportedFeature:
    """One feature read from the file: its row (see the module docstring), geometry, properties."""

    row: int
    geometry: BaseGeometry
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported. ``field`` is the column / member concerned, if any."""

    row: int
    field: str | None
    message_vi: str
    message_en: str


@dataclass(frozen=True)
class ImportResult:
    features: list[ImportedFeature]
    errors: list[RowError]
    format: str = ""
    """``geojson``, ``kml``, ``kmz``, ``shapefile``, ``csv`` or ``xlsx``."""
    source_crs: str | None = None
    """The CRS the file declared (Shapefile .prj, GeoJSON ``crs``) when it was not WGS 84."""


class ImportFileError(ValidationFailed, ValueError):
    """The file as a whole cannot be imported. ``reason``: ``unknown-type``, ``corrupt``,
    ``empty``, ``no-coordinates``, ``bad-header``, ``bad-crs``, ``bad-encoding``."""

    code = "import-failed"

    def __init__(self, message_vi: str, message_en: str, *, reason: str) -> None:
        super().__init__(message_vi, message_en, extra={"reason": reason})
        self.reason = reason


class ImportTooLarge(TooLarge, ValueError):
    """The file has more bytes or rows than allowed. ``reason``: ``too-many-bytes``,
    ``too-many-rows``."""

    def __init__(self, message_vi: str, message_en: str, *, reason: str, limit: int) -> None:
        super().__init__(message_vi, message_en, extra={"reason": reason, "limit": limit})
        self.reason = reason
        self.limit = limit


def _unknown_type(filename: str, ext: str) -> ImportFileError:
    supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
    if ext in (".shp", ".shx", ".dbf", ".prj"):
        return ImportFileError(
            f"Tệp «{filename}» chỉ là một phần của Shapefile: hãy nén các tệp .shp, .shx, .dbf "
            "và .prj vào một tệp .zip rồi tải lên tệp .zip đó.",
            f"File '{filename}' is only one part of a Shapefile: zip the .shp, .shx, .dbf and "
            ".prj files together and upload the .zip.",
            reason="unknown-type",
        )
    if ext == ".xls":
        return ImportFileError(
            f"Tệp «{filename}» là Excel cũ (.xls): hãy lưu lại dưới dạng .xlsx.",
            f"File '{filename}' is an old Excel file (.xls): save it as .xlsx.",
            reason="unknown-type",
        )
    return ImportFileError(
        f"Không hỗ trợ loại tệp «{ext or filename}» (hỗ trợ: {supported}).",
        f"Unsupported file type '{ext or filename}' (supported: {supported}).",
        reason="unknown-type",
    )


def _corrupt(kind: str, detail: str) -> ImportFileError:
    return ImportFileError(
        f"Tệp {kind} bị hỏng hoặc không đúng định dạng: {detail}.",
        f"The {kind} file is corrupt or not in the expected format: {detail}.",
        reason="corrupt",
    )


def _too_many_rows(max_rows: int) -> ImportTooLarge:
    return ImportTooLarge(
        f"Tệp có quá nhiều dòng (tối đa {max_rows}): hãy chia thành nhiều tệp nhỏ hơn.",
        f"The file has too many rows (at most {max_rows}): split it into smaller files.",
        reason="too-many-rows",
        limit=max_rows,
    )


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 100 * 1024 else f"{n} B"


@dataclass(frozen=True)
class _RowLabel:
    vi: str
    en: str

    def error(self, row: int, fld: str | None, vi: str, en: str) -> RowError:
        return RowError(row, fld, f"{self.vi} {row}: {vi}", f"{self.en} {row}: {en}")

    def geo_error(self, row: int, fld: str | None, exc: GeoError) -> RowError:
        return self.error(row, fld, exc.message_vi, exc.message_en)


_FEATURE = _RowLabel("Đối tượng", "Feature")


_PLACEMARK = _RowLabel("Placemark", "Placemark")


_RECORD = _RowLabel("Bản ghi", "Record")


_LINE = _RowLabel("Dòng", "Row")


def _transformer_to_wgs84(crs_text: str) -> Transformer:
    try:
        crs = CRS.from_user_input(crs_text)
    except Exception as exc:
        raise ImportFileError(
            f"Không nhận ra hệ tọa độ của tệp ({str(exc)[:200]}).",
            f"The file's coordinate reference system is not recognised ({str(exc)[:200]}).",
            reason="bad-crs",
        ) from exc
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _is_wgs84(crs: CRS) -> bool:
    return crs.is_geographic and (
        crs.to_epsg(min_confidence=70) == 4326
        or crs.equals(CRS.from_epsg(4326), ignore_axis_order=True)
    )


def _reprojected(geometry: Any, transformer: Transformer) -> BaseGeometry:
    """A GeoJSON-like geometry in another CRS → validated WGS 84 shapely geometry."""
    try:
        geom = shape(geometry)
    except Exception as exc:
        raise GeoError(
            f"Không đọc được hình học ({str(exc)[:200]}).",
            f"Cannot read the geometry ({str(exc)[:200]}).",
            reason="bad-coordinates",
        ) from exc

    def to_wgs84(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return validate_geometry(shapely.transform(geom, to_wgs84))


def _archive_limits(max_bytes: int) -> ArchiveLimits:
    """The limits of a zip whose uncompressed content may be ``max_bytes`` in all (and never
    more than the shared default)."""
    default = ArchiveLimits()
    return ArchiveLimits(max_entries=default.max_entries,
                         max_entry_bytes=min(default.max_entry_bytes, max_bytes),
                         max_total_bytes=min(default.max_total_bytes, max_bytes))


def _open_zip(data: bytes, kind: str, limits: ArchiveLimits | None = None) -> zipfile.ZipFile:
    """The zip, once its entry count and uncompressed sizes are within ``limits`` (the shared
    guard of :mod:`nongso.core.limits`), with its errors as this package's."""
    try:
        return open_archive(data, limits or ArchiveLimits(), kind)
    except LimitExceeded as exc:
        raise _as_import_error(exc) from exc
    except UnreadableUpload as exc:
        raise _corrupt(kind, "không phải tệp zip hợp lệ / not a valid zip") from exc


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, kind: str) -> bytes:
    try:
        return read_member(zf, info, limit, kind)
    except LimitExceeded as exc:
        raise _as_import_error(exc) from exc
    except UnreadableUpload as exc:
        raise _corrupt(kind, exc.message_en) from exc


def _as_import_error(exc: LimitExceeded) -> ImportTooLarge:
    return ImportTooLarge(exc.message_vi, exc.message_en, reason=exc.reason, limit=exc.limit)


def _unzipped_too_large(max_bytes: int) -> ImportTooLarge:
    return ImportTooLarge(
        f"Nội dung giải nén quá lớn (tối đa {_mb(max_bytes)}).",
        f"The uncompressed content is too large (at most {_mb(max_bytes)}).",
        reason="too-many-bytes",
        limit=max_bytes,
    )


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return _nfc(value.decode("utf-8", errors="replace"))
    if isinstance(value, Mapping):
        return _json_safe_dict(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return _nfc(str(value))


def _json_safe_dict(props: Mapping[Any, Any]) -> dict[str, Any]:
    return {_nfc(str(k)): _json_safe(v) for k, v in props.items()}
