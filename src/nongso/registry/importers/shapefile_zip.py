"""Zipped Shapefiles: any CRS in the .prj (VN-2000, UTM…), attributes decoded per the .cpg."""

from __future__ import annotations

import codecs
import re
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from typing import IO, Any, Final

import shapefile
import shapely
from pyproj import CRS, Transformer

from nongso.core.limits import (
    ArchiveLimits,
    LimitExceeded,
    UnreadableUpload,
    WorkBudget,
    iter_member,
)
from nongso.registry.geo import (
    GeoError,
    parse_geojson_geometry,
)
from nongso.registry.importers._common import (
    _RECORD,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    ImportedFeature,
    ImportFileError,
    ImportResult,
    RowError,
    _archive_limits,
    _as_import_error,
    _corrupt,
    _is_wgs84,
    _json_safe_dict,
    _open_zip,
    _read_member,
    _reprojected,
    _too_many_rows,
)

MAX_SHP_BYTES: Final = 128 * 1024 * 1024
"""Largest uncompressed part (.shp, .dbf) of a zipped Shapefile."""

MAX_VERTICES: Final = 2_000_000
"""Most coordinates read from one Shapefile (32 MB of them held as numbers)."""


def import_shapefile_zip(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImportResult:
    """A zip holding one Shapefile layer (``max_bytes`` bounds its uncompressed size)."""
    limits = _archive_limits(max_bytes)
    limits = ArchiveLimits(max_entries=limits.max_entries,
                           max_entry_bytes=min(max_bytes, MAX_SHP_BYTES),
                           max_total_bytes=min(max_bytes, MAX_SHP_BYTES + limits.max_total_bytes))
    zf = _open_zip(data, "Shapefile (.zip)", limits)
    with zf:
        members = {
            i.filename: i
            for i in zf.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not i.filename.rsplit("/", 1)[-1].startswith("._")
        }
        shps = [n for n in members if n.lower().endswith(".shp")]
        if not shps:
            raise _corrupt("Shapefile (.zip)", "không có tệp .shp trong tệp zip / no .shp file")
        if len(shps) > 1:
            listed = ", ".join(sorted(shps))
            raise ImportFileError(
                f"Tệp zip chứa nhiều lớp Shapefile ({listed}): mỗi lần chỉ nhập một lớp.",
                f"The zip holds several Shapefile layers ({listed}): import one at a time.",
                reason="corrupt",
            )
        stem = shps[0][:-4]
        parts: dict[str, zipfile.ZipInfo] = {}
        for name, info in members.items():
            if name[: len(stem)] == stem and name[len(stem) :].lower() in (
                ".shp",
                ".shx",
                ".dbf",
                ".prj",
                ".cpg",
            ):
                parts[name[len(stem) :].lower()] = info
        if ".dbf" not in parts:
            raise _corrupt("Shapefile (.zip)", f"thiếu tệp {stem}.dbf / missing {stem}.dbf")
        # The parts are streamed to temporary files (memory holds one chunk at a time; the
        # reader then reads one record at a time): only the small .prj and .cpg are kept.
        blobs: dict[str, bytes] = {}
        files: dict[str, IO[bytes]] = {}
        for ext, info in parts.items():
            if ext in (".prj", ".cpg"):
                blobs[ext] = _read_member(zf, info, 64 * 1024, "Shapefile (.zip)")
                continue
            spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (closed by _close)
            files[ext] = spool
            try:
                for chunk in iter_member(zf, info, limits.max_entry_bytes, "Shapefile (.zip)"):
                    spool.write(chunk)
            except LimitExceeded as exc:
                _close(files)
                raise _as_import_error(exc) from exc
            except UnreadableUpload as exc:
                _close(files)
                raise _corrupt("Shapefile (.zip)", exc.message_en) from exc

    try:
        transformer, source_crs = _transformer_of(blobs)
        return _read_layer(files, blobs, transformer, source_crs, max_rows)
    finally:
        _close(files)


def _transformer_of(blobs: Mapping[str, bytes]) -> tuple[Transformer | None, str | None]:
    """The reprojection to WGS 84 the .prj asks for (None when there is none to do)."""
    transformer: Transformer | None = None
    source_crs: str | None = None
    if ".prj" in blobs:
        prj = blobs[".prj"].decode("latin-1").strip()
        if prj:
            try:
                crs = CRS.from_user_input(prj)
            except Exception as exc:
                raise ImportFileError(
                    f"Không đọc được hệ tọa độ trong tệp .prj ({str(exc)[:200]}).",
                    f"The .prj file's coordinate reference system cannot be read "
                    f"({str(exc)[:200]}).",
                    reason="bad-crs",
                ) from exc
            if not _is_wgs84(crs):
                transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
                source_crs = crs.name
    return transformer, source_crs


def _close(files: Mapping[str, IO[bytes]]) -> None:
    for f in files.values():
        f.close()


def _read_layer(files: Mapping[str, IO[bytes]], blobs: Mapping[str, bytes],
                transformer: Transformer | None, source_crs: str | None,
                max_rows: int) -> ImportResult:
    encodings = [_codec_from_cpg(blobs[".cpg"])] if ".cpg" in blobs else ["utf-8", "cp1258"]
    last_error: Exception | None = None
    for encoding in encodings:
        for f in files.values():
            f.seek(0)
        try:
            features, errors = _read_shapefile(files, encoding, transformer, max_rows)
        except UnicodeDecodeError as exc:
            last_error = exc
            continue
        except shapefile.ShapefileException as exc:
            if "decode" in str(exc).lower():
                last_error = exc
                continue
            raise _corrupt("Shapefile", str(exc)[:200]) from exc
        return ImportResult(features, errors, "shapefile", source_crs)
    raise ImportFileError(
        f"Không giải mã được thuộc tính (.dbf) với bảng mã {', '.join(encodings)}: hãy thêm tệp "
        f".cpg ghi bảng mã (ví dụ UTF-8 hoặc 1258).",
        f"The attributes (.dbf) cannot be decoded with {', '.join(encodings)}: add a .cpg file "
        f"naming the encoding (e.g. UTF-8 or 1258). ({last_error})",
        reason="bad-encoding",
    )


def _codec_from_cpg(blob: bytes) -> str:
    text = blob.decode("ascii", errors="replace").strip().lower()
    candidates = [text, text.replace(" ", "")]
    digits = re.findall(r"\d+", text)
    if digits:
        number = digits[-1]
        candidates += ["utf-8" if number == "65001" else f"cp{number}"]
    for candidate in candidates:
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    raise ImportFileError(
        f"Tệp .cpg ghi bảng mã «{text[:40]}» không được hỗ trợ.",
        f"The .cpg file names an unsupported encoding '{text[:40]}'.",
        reason="bad-encoding",
    )


def _read_shapefile(
    files: Mapping[str, IO[bytes]],
    encoding: str,
    transformer: Transformer | None,
    max_rows: int,
) -> tuple[list[ImportedFeature], list[RowError]]:
    features: list[ImportedFeature] = []
    errors: list[RowError] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = shapefile.Reader(
                shp=files[".shp"],
                shx=files.get(".shx"),
                dbf=files[".dbf"],
                encoding=encoding,
            )
        except (shapefile.ShapefileException, struct.error, ValueError, IndexError) as exc:
            raise shapefile.ShapefileException(str(exc)) from exc
        with reader:
            if len(reader) > max_rows:
                raise _too_many_rows(max_rows)
            vertices = WorkBudget(MAX_VERTICES, "đỉnh (tọa độ)", "vertices")
            try:
                for i, item in enumerate(reader.iterShapeRecords()):
                    row = i + 1
                    props = _json_safe_dict(item.record.as_dict())
                    shp = item.shape
                    if shp is not None:
                        vertices.spend(len(shp.points))
                    if shp is None or shp.shapeType == shapefile.NULL or not shp.points:
                        errors.append(
                            _RECORD.error(row, "geometry", "không có hình học.", "has no geometry.")
                        )
                        continue
                    try:
                        geo_interface = shp.__geo_interface__
                    except Exception:  # e.g. MultiPatch: no GeoJSON equivalent
                        errors.append(
                            _RECORD.error(
                                row,
                                "geometry",
                                f"không hỗ trợ kiểu hình {shp.shapeTypeName}.",
                                f"shape type {shp.shapeTypeName} is not supported.",
                            )
                        )
                        continue
                    try:
                        if transformer is None:
                            geom = parse_geojson_geometry(_plain(geo_interface))
                        else:
                            geom = _reprojected(geo_interface, transformer)
                    except GeoError as exc:
                        errors.append(_RECORD.geo_error(row, "geometry", exc))
                        continue
                    features.append(ImportedFeature(row, shapely.force_2d(geom), props))
            except UnicodeDecodeError:
                raise
            except LimitExceeded as exc:
                raise _as_import_error(exc) from exc
            except (struct.error, ValueError, IndexError, EOFError) as exc:
                raise shapefile.ShapefileException(str(exc)) from exc
    return features, errors


def _plain(value: Any) -> Any:
    """pyshp's geo interface (tuples) → plain lists, as parse_geojson_geometry expects JSON."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
