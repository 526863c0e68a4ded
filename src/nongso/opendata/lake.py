"""The analytics lake: Parquet files partitioned by year, season and province (hive layout),
with a manifest per table.

::

    {root}/{table}/year=2026/season=dong_xuan_2025-2026/province=82/part-000003-0.parquet
    {root}/{table}/_manifest.json   files (path, partition, rows, sha256), watermark, runs

Readers take the file list from the manifest, never from a directory listing: files are
written under a hidden temporary name, renamed when complete, and only then listed by the
manifest, which is itself replaced atomically. An export interrupted half-way leaves hidden
files that no manifest names (the next run removes them).

Years and calendar seasons are Vietnamese (UTC+7). A diary row's season is its crop season
(``dong_xuan:2025-2026``); an observation or an EPCIS event, which have none, fall in the
calendar season of their month (Đông Xuân December–April, Hè Thu May–August, Thu Đông
September–November).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from nongso.opendata.formats import sha256_of

VN = dt.timezone(dt.timedelta(hours=7))
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def calendar_season(day: dt.date) -> str:
    if day.month in (12, 1, 2, 3, 4):
        return "dong_xuan"
    return "he_thu" if day.month <= 8 else "thu_dong"


def partition_value(text: str | None) -> str:
    """A season key or province as a directory-safe value (``dong_xuan:2025-2026`` ->
    ``dong_xuan_2025-2026``; nothing -> ``none``)."""
    if not text:
        return "none"
    return _UNSAFE.sub("_", text)


def vn_year(at: dt.datetime) -> int:
    return at.astimezone(VN).year


@dataclass(frozen=True)
class Partition:
    year: int
    season: str  # the directory value
    province: str
    season_key: str | None = None  # the source's own key (diary), to re-read the partition

    def path(self) -> str:
        return f"year={self.year}/season={self.season}/province={self.province}"


@dataclass
class LakeFile:
    path: str  # relative to the table's folder
    partition: Partition
    rows: int
    sha256: str
    bytes: int


@dataclass
class Manifest:
    table: str
    watermark: str | None = None  # ISO time (diary) or last id (append-only tables)
    runs: int = 0
    updated_at: str | None = None
    files: list[LakeFile] = field(default_factory=list)

    def total_rows(self) -> int:
        return sum(f.rows for f in self.files)

    def paths(self, root: Path) -> list[str]:
        return [str(root / self.table / f.path) for f in self.files]


def load_manifest(root: Path, table: str) -> Manifest | None:
    path = root / table / "_manifest.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    files = [LakeFile(f["path"], Partition(**f["partition"]), f["rows"], f["sha256"], f["bytes"])
             for f in data.pop("files")]
    return Manifest(**data, files=files)


def save_manifest(root: Path, manifest: Manifest) -> None:
    folder = root / manifest.table
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".manifest-{uuid.uuid4().hex}.json"
    data: dict[str, Any] = asdict(manifest)
    temp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    with temp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(temp, folder / "_manifest.json")


def remove_unlisted(root: Path, manifest: Manifest) -> int:
    """Delete the files no manifest lists (replaced partitions, interrupted runs)."""
    folder = root / manifest.table
    listed = {f.path for f in manifest.files}
    removed = 0
    for path in folder.rglob("*.parquet"):
        rel = path.relative_to(folder).as_posix()
        if rel not in listed:
            path.unlink(missing_ok=True)
            removed += 1
    for path in folder.glob(".manifest-*.json"):
        path.unlink(missing_ok=True)
    return removed


class PartitionWriter:
    """Writes record batches into one new file per partition (hidden until ``close``)."""

    def __init__(self, root: Path, table: str, schema: pa.Schema, run: int) -> None:
        self.folder = root / table
        self.schema = schema
        self.run = run
        self._open: dict[Partition, tuple[pq.ParquetWriter, Path, Path, int]] = {}

    def write(self, partition: Partition, batch: pa.Table) -> None:
        if batch.num_rows == 0:
            return
        entry = self._open.get(partition)
        if entry is None:
            folder = self.folder / partition.path()
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"part-{self.run:06d}-{uuid.uuid4().hex[:8]}.parquet"
            temp = folder / f".tmp-{uuid.uuid4().hex}.parquet"
            writer = pq.ParquetWriter(temp, self.schema, compression="zstd")
            entry = (writer, temp, final, 0)
        writer, temp, final, rows = entry
        writer.write_table(batch.cast(self.schema))
        self._open[partition] = (writer, temp, final, rows + batch.num_rows)

    def close(self) -> list[LakeFile]:
        """Finish every file and give it its final name (nothing is listed yet)."""
        out = []
        for partition, (writer, temp, final, rows) in self._open.items():
            writer.close()
            with temp.open("rb") as fh:
                os.fsync(fh.fileno())
            temp.rename(final)
            out.append(LakeFile(final.relative_to(self.folder).as_posix(), partition, rows,
                                sha256_of(final), final.stat().st_size))
        self._open.clear()
        return out

    def abort(self) -> None:
        for writer, temp, _, _ in self._open.values():
            try:
                writer.close()
            finally:
                temp.unlink(missing_ok=True)
        self._open.clear()


def split(table: pa.Table, keys: Iterable[Partition]) -> dict[Partition, pa.Table]:
    """Rows of ``table`` grouped by their partition (``keys``: one per row)."""
    index: dict[Partition, list[int]] = {}
    for n, key in enumerate(keys):
        index.setdefault(key, []).append(n)
    return {k: table.take(pa.array(rows, pa.int64())) for k, rows in index.items()}
