"""The heavy reports, on DuckDB and on Dask, over the diary's activity rows.

The same report has three paths that must agree (a test compares them): the relational
``GROUP BY`` (``COMMUNE_SEASON_SQL`` runs unchanged on SQLite, PostgreSQL and DuckDB), DuckDB
over Parquet files or an Arrow table, and Dask (``dask.distributed``) over the same Parquet
layout — the documented way the work grows beyond one machine.

A row of the activity table has the columns of ``diary.services.ACTIVITY_ROW_COLUMNS``.
An activity counts when it is not merely planned (the diary's own rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

KEYS = ("province_code", "commune_code", "season_key")
VN_TZ = "Asia/Ho_Chi_Minh"

COMMUNE_SEASON_SQL = """
SELECT province_code, commune_code, season_key,
       count(DISTINCT farmer_id) AS farms,
       count(DISTINCT season_id) AS seasons,
       count(*) FILTER (WHERE status <> 'planned') AS activities,
       count(*) FILTER (WHERE status <> 'planned' AND kind = 'spraying') AS sprays,
       coalesce(sum(quantity_base) FILTER (WHERE status <> 'planned' AND kind = 'harvest'),
                0) AS harvest_kg
FROM {source}
WHERE season_key IS NOT NULL
GROUP BY province_code, commune_code, season_key
ORDER BY province_code, commune_code, season_key
"""

TREND_SQL = """
SELECT province_code, crop, CAST(extract(year FROM "at") AS INTEGER) AS year,
       count(DISTINCT farmer_id) AS farms,
       coalesce(sum(quantity_base) FILTER (WHERE status <> 'planned' AND kind = 'harvest'),
                0) AS harvest_kg
FROM {source}
WHERE crop IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""


@dataclass(frozen=True)
class CommuneSeasonRow:
    province_code: str
    commune_code: str
    season_key: str
    farms: int
    seasons: int
    activities: int
    sprays: int
    harvest_kg: float


@dataclass(frozen=True)
class TrendRow:
    province_code: str
    crop: str
    year: int
    farms: int
    harvest_kg: float


def _commune_rows(rows: Sequence[Sequence[Any]]) -> list[CommuneSeasonRow]:
    return [CommuneSeasonRow(str(p), str(c), str(k), int(f), int(s), int(a), int(sp),
                             round(float(h or 0), 3)) for p, c, k, f, s, a, sp, h in rows]


def _trend_rows(rows: Sequence[Sequence[Any]]) -> list[TrendRow]:
    return [TrendRow(str(p), str(c), int(y), int(f), round(float(h or 0), 3))
            for p, c, y, f, h in rows]


def relational_commune_season(connection: Any, source: str) -> list[CommuneSeasonRow]:
    """The report as one ``GROUP BY`` on a DB-API/SQLAlchemy connection (``source`` is a
    table or a parenthesised sub-query with the activity columns)."""
    from sqlalchemy import text

    return _commune_rows(connection.execute(text(COMMUNE_SEASON_SQL.format(source=source)))
                         .all())


def _parquet_source(files: Sequence[str]) -> str:
    quoted = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"read_parquet([{quoted}], union_by_name = true)"


def _duck(threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    # Days and years are Vietnamese (UTC+7), as everywhere in the platform.
    con.execute("SET TimeZone = 'Asia/Ho_Chi_Minh'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def duckdb_commune_season(source: Sequence[str] | pa.Table,
                          threads: int | None = None) -> list[CommuneSeasonRow]:
    """The report on DuckDB over Parquet files (the lake's manifest) or an Arrow table."""
    con = _duck(threads)
    try:
        if isinstance(source, pa.Table):
            con.register("activities", source)
            sql = COMMUNE_SEASON_SQL.format(source="activities")
        else:
            if not source:
                return []
            sql = COMMUNE_SEASON_SQL.format(source=_parquet_source(source))
        return _commune_rows(con.execute(sql).fetchall())
    finally:
        con.close()


def duckdb_trend(source: Sequence[str] | pa.Table) -> list[TrendRow]:
    """Multi-year trend (province × crop × year) on DuckDB."""
    con = _duck(None)
    try:
        if isinstance(source, pa.Table):
            con.register("activities", source)
            sql = TREND_SQL.format(source="activities")
        else:
            if not source:
                return []
            sql = TREND_SQL.format(source=_parquet_source(source))
        return _trend_rows(con.execute(sql).fetchall())
    finally:
        con.close()


_DASK_COLUMNS = ["province_code", "commune_code", "season_key", "farmer_id", "season_id",
                 "status", "kind", "quantity_base"]


def dask_commune_season(files: Sequence[str], client: Any = None) -> list[CommuneSeasonRow]:
    """The report on Dask over the same Parquet files (``client``: a ``dask.distributed``
    client; the default scheduler without one)."""
    import dask.dataframe as dd
    import pandas as pd
    from dask.base import compute

    if not files:
        return []
    ddf = dd.read_parquet(list(files), columns=_DASK_COLUMNS)
    ddf = ddf[ddf.season_key.notnull()]
    keys = list(KEYS)
    done = ddf[ddf.status != "planned"]
    parts = (
        ddf.groupby(keys).farmer_id.nunique(),
        ddf.groupby(keys).season_id.nunique(),
        done.groupby(keys).size(),
        done[done.kind == "spraying"].groupby(keys).size(),
        done[done.kind == "harvest"].groupby(keys).quantity_base.sum(),
    )
    computed = (client.compute(list(parts), sync=True) if client is not None
                else compute(*parts))  # type: ignore[no-untyped-call]
    names = ("farms", "seasons", "activities", "sprays", "harvest_kg")
    frame = pd.concat([s.rename(n) for s, n in zip(computed, names, strict=True)], axis=1)
    frame = frame.fillna(0).sort_index()
    return _commune_rows([(*idx, r.farms, r.seasons, r.activities, r.sprays, r.harvest_kg)
                          for idx, r in zip(frame.index, frame.itertuples(), strict=True)])


def dask_trend(files: Sequence[str], client: Any = None) -> list[TrendRow]:
    import dask.dataframe as dd
    import pandas as pd
    from dask.base import compute

    if not files:
        return []
    ddf = dd.read_parquet(list(files), columns=["province_code", "crop", "at", "farmer_id",
                                                "status", "kind", "quantity_base"])
    ddf = ddf[ddf.crop.notnull()]
    ddf = ddf.assign(year=ddf["at"].dt.tz_convert(VN_TZ).dt.year.astype("int64"))
    keys = ["province_code", "crop", "year"]
    harvest = ddf[(ddf.status != "planned") & (ddf.kind == "harvest")]
    parts = (ddf.groupby(keys).farmer_id.nunique(), harvest.groupby(keys).quantity_base.sum())
    computed = (client.compute(list(parts), sync=True) if client is not None
                else compute(*parts))  # type: ignore[no-untyped-call]
    frame = pd.concat([computed[0].rename("farms"), computed[1].rename("harvest_kg")], axis=1)
    frame = frame.fillna(0).sort_index()
    return _trend_rows([(*idx, r.farms, r.harvest_kg)
                        for idx, r in zip(frame.index, frame.itertuples(), strict=True)])


def suppress(rows: Sequence[CommuneSeasonRow], min_farms: int
             ) -> tuple[list[CommuneSeasonRow], int]:
    """Rows describing fewer than ``min_farms`` farms are left out (statistical disclosure
    control); returns the kept rows and how many were left out."""
    kept = [r for r in rows if r.farms >= min_farms]
    return kept, len(rows) - len(kept)
