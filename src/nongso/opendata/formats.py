"""Writing a published table as CSV, Parquet, GeoJSON and GeoParquet (GeoParquet 1.1).

Each writer writes one file at the path it is given (the caller writes into a temporary
directory and renames it when every file is complete). Geometries are GeoJSON dicts in
lon/lat (OGC:CRS84, the default CRS of GeoJSON and GeoParquet).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely
from shapely.geometry import shape

GEO_FORMATS = ("geojson", "geoparquet")


def _plain(table: pa.Table) -> pa.Table:
    """Temporal columns as ISO 8601 text for CSV (dates as YYYY-MM-DD, times in UTC)."""
    cols = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
            col = pa.array([_iso(v) for v in col.to_pylist()], pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _wkt(geometries: list[dict[str, Any] | None]) -> pa.Array:
    return pa.array([shape(g).wkt if g else None for g in geometries], pa.string())


def write_csv(table: pa.Table, geometries: list[dict[str, Any] | None] | None,
              path: Path) -> None:
    out = _plain(table)
    if geometries is not None:
        out = out.append_column("geometry_wkt", _wkt(geometries))
    pacsv.write_csv(out, path)


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def write_geojson(table: pa.Table, geometries: list[dict[str, Any] | None], path: Path) -> None:
    rows = table.to_pylist()
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"type":"FeatureCollection","features":[')
        for n, (row, geometry) in enumerate(zip(rows, geometries, strict=True)):
            if n:
                fh.write(",")
            feature = {"type": "Feature", "id": row.get("id", n + 1), "geometry": geometry,
                       "properties": row}
            fh.write(json.dumps(feature, ensure_ascii=False, default=_iso,
                                separators=(",", ":")))
        fh.write("]}")


def write_geoparquet(table: pa.Table, geometries: list[dict[str, Any] | None],
                     path: Path) -> None:
    shapes = [shape(g) if g else None for g in geometries]
    wkb = pa.array([shapely.to_wkb(s) if s is not None else None for s in shapes], pa.binary())
    present = [s for s in shapes if s is not None]
    types = sorted({s.geom_type for s in present})
    bbox = list(shapely.total_bounds(present)) if present else []
    geo = {"version": "1.1.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": types,
                                    **({"bbox": [round(b, 7) for b in bbox]} if bbox else {})}}}
    out = table.append_column("geometry", wkb)
    metadata = dict(out.schema.metadata or {})
    metadata[b"geo"] = json.dumps(geo).encode()
    pq.write_table(out.replace_schema_metadata(metadata), path, compression="zstd")


def write(fmt: str, table: pa.Table, geometries: list[dict[str, Any] | None] | None,
          path: Path) -> None:
    if fmt == "csv":
        write_csv(table, geometries, path)
    elif fmt == "parquet":
        write_parquet(table, path)
    elif fmt == "geojson" and geometries is not None:
        write_geojson(table, geometries, path)
    elif fmt == "geoparquet" and geometries is not None:
        write_geoparquet(table, geometries, path)
    else:
        raise ValueError(f"cannot write {fmt}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
