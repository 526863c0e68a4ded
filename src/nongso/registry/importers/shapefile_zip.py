"""Zipped Shapefiles: any CRS in the .prj (VN-2000, UTM…), attributes decoded per the .cpg."""

from __future__ import annotations

import codecs
import io
import re
import struct
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any

import shapefile
import shapely
from pyproj import CRS, Transformer

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
    _corrupt,
    _is_wgs84,
    _json_safe_dict,
    _open_zip,
    _reprojected,
    _too_many_rows,
    _unzipped_too_large,
)


def import_shapefile_zip(
    data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImportResult:
    """A zip holding one Shapefile layer (``max_bytes`` bounds its uncompressed size)."""
    zf = _open_zip(data, "Shapefile (.zip)")
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
        if sum(i.file_size for i in parts.values()) > max_bytes:
            raise _unzipped_too_large(max_bytes)
        try:
            blobs = {ext: zf.read(info) for ext, info in parts.items()}
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise _corrupt("Shapefile (.zip)", str(exc)[:200]) from exc

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
    encodings = [_codec_from_cpg(blobs[".cpg"])] if ".cpg" in blobs else ["utf-8", "cp1258"]
    last_error: Exception | None = None
    for encoding in encodings:
        try:
            features, errors = _read_shapefile(blobs, encoding, transformer, max_rows)
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
    blobs: Mapping[str, bytes],
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
                shp=io.BytesIO(blobs[".shp"]),
                shx=io.BytesIO(blobs[".shx"]) if ".shx" in blobs else None,
                dbf=io.BytesIO(blobs[".dbf"]),
                encoding=encoding,
            )
        except (shapefile.ShapefileException, struct.error, ValueError, IndexError) as exc:
            raise shapefile.ShapefileException(str(exc)) from exc
        with reader:
            if len(reader) > max_rows:
                raise _too_many_rows(max_rows)
            try:
                for i, item in enumerate(reader.iterShapeRecords()):
                    row = i + 1
                    props = _json_safe_dict(item.record.as_dict())
                    shp = item.shape
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
