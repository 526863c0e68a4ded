"""Use cases: export the large tables to the Parquet lake (incremental), and the heavy reports
on DuckDB or Dask over it.

- Diary activities change and are deleted: the watermark is the latest ``updated_at``
  exported; each run re-reads the rows changed since (with a five-minute overlap, so a row
  committed late is not missed) and the deletions noted by the ``ActivityDeleted`` handler,
  and rewrites every partition that holds one of them, old place or new, in full.
- Observations and EPCIS events are only appended: the watermark is the last id; each run
  adds one file per partition it touches.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import delete, select

from nongso.core import clock
from nongso.core.permissions import require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.opendata import lake, reports
from nongso.opendata.models import LakeDeletion
from nongso.opendata.providers import table_from_rows
from nongso.opendata.schemas import (
    CommuneSeasonRowPublic,
    LakeReport,
    LakeTableReport,
    ReportPublic,
)
from nongso.opendata.sources import ACTIVITY_SCHEMA

BATCH = 100_000
OVERLAP = dt.timedelta(minutes=5)

_lake_root: Path | None = None


def use_lake_root(path: Path | None) -> Path | None:
    global _lake_root
    previous, _lake_root = _lake_root, path
    return previous


def lake_root() -> Path:
    return _lake_root or get_settings().var_dir / "lake"


OBSERVATION_SCHEMA = pa.schema([
    ("id", pa.int64()), ("datastream_id", pa.int64()), ("thing_id", pa.int64()),
    ("commune_code", pa.string()), ("province_code", pa.string()),
    ("phenomenon_time", pa.timestamp("us", tz="UTC")), ("result", pa.float64()),
    ("quality", pa.int16())])
EVENT_SCHEMA = pa.schema([
    ("id", pa.int64()), ("event_id", pa.string()), ("event_type", pa.string()),
    ("event_time", pa.timestamp("us", tz="UTC")), ("record_time", pa.timestamp("us", tz="UTC")),
    ("action", pa.string()), ("biz_step", pa.string()), ("disposition", pa.string()),
    ("read_point", pa.string()), ("biz_location", pa.string())])


def _activity_partition(row: tuple[Any, ...]) -> lake.Partition:
    season_key, at, province = row[7], row[11], row[6]
    return lake.Partition(lake.vn_year(at), lake.partition_value(season_key),
                          lake.partition_value(province), season_key or "")


def _finish(root: Path, manifest: lake.Manifest, written: list[lake.LakeFile],
            replaced: set[lake.Partition], watermark: str | None, started: float,
            name: str) -> LakeTableReport:
    manifest.files = [f for f in manifest.files if f.partition not in replaced] + written
    manifest.files.sort(key=lambda f: f.path)
    manifest.watermark = watermark
    manifest.runs += 1
    manifest.updated_at = clock.now().isoformat()
    lake.save_manifest(root, manifest)
    lake.remove_unlisted(root, manifest)
    return LakeTableReport(table=name, rows_written=sum(f.rows for f in written),
                           files_written=len(written), partitions_rewritten=len(replaced),
                           watermark=watermark, total_rows=manifest.total_rows(),
                           total_files=len(manifest.files))


def _export_activities(uow: UnitOfWork, root: Path, full: bool) -> LakeTableReport:
    from nongso.diary import services as diary

    started = time.perf_counter()
    name = "diary_activities"
    previous = lake.load_manifest(root, name)
    manifest = previous if previous and not full else lake.Manifest(table=name)
    run = manifest.runs + 1
    writer = lake.PartitionWriter(root, name, ACTIVITY_SCHEMA, run)
    newest: dt.datetime | None = None
    replaced: set[lake.Partition] = set()
    deleted_ids: list[int] = []
    try:
        if manifest.watermark is None:  # the first (or a full) export: every row
            replaced = {f.partition for f in manifest.files}
            after = 0
            while rows := diary.activity_rows(uow, after_id=after, limit=BATCH):
                table = table_from_rows(diary.ACTIVITY_ROW_COLUMNS, rows, ACTIVITY_SCHEMA)
                for part, chunk in lake.split(table, map(_activity_partition, rows)).items():
                    writer.write(part, chunk)
                batch_newest = max(r[15] for r in rows)
                newest = batch_newest if newest is None else max(newest, batch_newest)
                after = int(rows[-1][0])
        else:
            since = dt.datetime.fromisoformat(manifest.watermark) - OVERLAP
            changed: list[tuple[Any, ...]] = []
            after = 0
            while rows := diary.activity_rows(uow, after_id=after, limit=BATCH,
                                              changed_since=since):
                changed += rows
                after = int(rows[-1][0])
            with uow:
                deleted_ids = list(uow.session.scalars(select(LakeDeletion.row_id).where(
                    LakeDeletion.table_name == name)))
            affected = {_activity_partition(r) for r in changed}
            ids = [int(r[0]) for r in changed] + deleted_ids
            affected |= _partitions_holding(root, manifest, ids)
            for part in sorted(affected, key=lambda p: p.path()):
                start = dt.datetime(part.year, 1, 1, tzinfo=lake.VN)
                end = dt.datetime(part.year + 1, 1, 1, tzinfo=lake.VN)
                after = 0
                province = None if part.province == "none" else part.province
                while rows := diary.activity_rows(
                        uow, after_id=after, limit=BATCH, season_key=part.season_key or "",
                        province_code=province, at_from=start, at_to=end):
                    writer.write(part, table_from_rows(diary.ACTIVITY_ROW_COLUMNS, rows,
                                                       ACTIVITY_SCHEMA))
                    after = int(rows[-1][0])
            replaced = affected
            newest = max((r[15] for r in changed), default=None)
        written = writer.close()
    except BaseException:
        writer.abort()
        raise
    watermark = newest.isoformat() if newest else manifest.watermark
    report = _finish(root, manifest, written, replaced, watermark, started, name)
    if deleted_ids:
        with uow:
            uow.session.execute(delete(LakeDeletion).where(
                LakeDeletion.table_name == name, LakeDeletion.row_id.in_(deleted_ids)))
            uow.commit()
    return report


def _partitions_holding(root: Path, manifest: lake.Manifest,
                        ids: list[int]) -> set[lake.Partition]:
    """The partitions whose files hold any of ``ids`` (DuckDB over the listed files)."""
    if not ids or not manifest.files:
        return set()
    by_path = {str(root / manifest.table / f.path): f.partition for f in manifest.files}
    con = duckdb.connect(":memory:")
    try:
        con.register("wanted", pa.table({"id": pa.array(sorted(set(ids)), pa.int64())}))
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in by_path)
        found = con.execute(f"SELECT DISTINCT filename FROM read_parquet([{files}], "
                            "filename = true) WHERE id IN (SELECT id FROM wanted)").fetchall()
    finally:
        con.close()
    return {by_path[str(f)] for (f,) in found if str(f) in by_path}


def _export_appended(uow: UnitOfWork, root: Path, full: bool, name: str, fetch: Any,
                     columns: tuple[str, ...], schema: pa.Schema, time_col: int,
                     province_of: Any) -> LakeTableReport:
    started = time.perf_counter()
    previous = lake.load_manifest(root, name)
    manifest = previous if previous and not full else lake.Manifest(table=name)
    replaced = {f.partition for f in manifest.files} if full and previous else set()
    after = int(manifest.watermark or 0)
    writer = lake.PartitionWriter(root, name, schema, manifest.runs + 1)
    try:
        while rows := fetch(uow, after_id=after, limit=BATCH):
            table = table_from_rows(columns, rows, schema)
            keys = (lake.Partition(lake.vn_year(r[time_col]),
                                   lake.calendar_season(r[time_col].astimezone(lake.VN).date()),
                                   lake.partition_value(province_of(r))) for r in rows)
            for part, chunk in lake.split(table, keys).items():
                writer.write(part, chunk)
            after = int(rows[-1][0])
        written = writer.close()
    except BaseException:
        writer.abort()
        raise
    return _finish(root, manifest, written, replaced, str(after), started, name)


def export_lake(uow: UnitOfWork, *, full: bool = False,
                tables: tuple[str, ...] = ("diary_activities", "observations", "epcis_events")
                ) -> LakeReport:
    """Export what changed since the last run (``full``: everything again). Administrators;
    the rows carry internal ids, so the lake stays on the server (it is not open data)."""
    from nongso.monitor import services as monitor
    from nongso.trace import services as trace

    require_role(uow.principal, "admin")
    started = time.perf_counter()
    root = lake_root()
    province = get_settings().province_code
    out = []
    if "diary_activities" in tables:
        out.append(_export_activities(uow, root, full))
    if "observations" in tables:
        out.append(_export_appended(uow, root, full, "observations", monitor.observation_rows,
                                    monitor.OBSERVATION_ROW_COLUMNS, OBSERVATION_SCHEMA, 5,
                                    lambda r: r[4]))
    if "epcis_events" in tables:
        out.append(_export_appended(uow, root, full, "epcis_events", trace.event_rows,
                                    trace.EVENT_ROW_COLUMNS, EVENT_SCHEMA, 3,
                                    lambda r: province))
    return LakeReport(tables=out, seconds=round(time.perf_counter() - started, 3))


def lake_files(table: str = "diary_activities") -> list[str]:
    """The files the table's manifest lists (what every reader reads)."""
    root = lake_root()
    manifest = lake.load_manifest(root, table)
    return manifest.paths(root) if manifest else []


def commune_season_report(uow: UnitOfWork, engine: str = "duckdb",
                          client: Any = None) -> ReportPublic:
    """The commune × season report over the lake's activities, on DuckDB or Dask."""
    require_role(uow.principal, "province_officer", "inspector")
    files = lake_files()
    rows = (reports.dask_commune_season(files, client) if engine == "dask"
            else reports.duckdb_commune_season(files))
    return ReportPublic(engine="dask" if engine == "dask" else "duckdb",
                        source="lake:diary_activities",
                        rows=[CommuneSeasonRowPublic(**r.__dict__) for r in rows],
                        suppressed_rows=0)
