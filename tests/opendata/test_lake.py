"""The analytics lake: partitioned Parquet with a manifest, incremental, never a partial file
listed; the commune × season report equal on the relational store, DuckDB and Dask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services as demo
from nongso.diary import services as diary
from nongso.diary.models import Activity
from nongso.opendata import lake, reports, services

SOURCE = ("(SELECT a.*, s.season_key, s.crop FROM diary_activities a "
          "LEFT JOIN diary_seasons s ON s.id = a.season_id) x")


@pytest.fixture
def demo_lake(platform: Platform, tmp_path: Path) -> Iterator[Path]:
    previous = services.use_lake_root(tmp_path / "lake")
    old_root = services.use_root(tmp_path / "opendata")
    try:
        demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
        yield tmp_path / "lake"
    finally:
        services.use_lake_root(previous)
        services.use_root(old_root)


def _relational(platform: Platform) -> list[reports.CommuneSeasonRow]:
    with platform.engine.connect() as conn:
        return reports.relational_commune_season(conn, SOURCE)


def test_export_is_partitioned_and_reports_agree(demo_lake: Path, platform: Platform) -> None:
    report = services.export_lake(platform.uow(SYSTEM))
    tables = {t.table: t for t in report.tables}
    with platform.uow() as uow:
        n = len(list(uow.session.scalars(select(Activity.id))))
    assert tables["diary_activities"].total_rows == n > 1000
    assert tables["observations"].total_rows > 0 and tables["epcis_events"].total_rows > 0
    manifest = lake.load_manifest(demo_lake, "diary_activities")
    assert manifest is not None
    assert all(f.path.startswith("year=") and "/season=" in f.path and "/province=" in f.path
               for f in manifest.files)
    for f in manifest.files:
        from nongso.opendata.formats import sha256_of
        assert sha256_of(demo_lake / "diary_activities" / f.path) == f.sha256

    relational = _relational(platform)
    assert relational
    files = services.lake_files()
    assert reports.duckdb_commune_season(files) == relational
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        assert reports.dask_commune_season(files, client) == relational
        assert reports.dask_trend(files, client) == reports.duckdb_trend(files)

    # The diary's own aggregate (kept by the diary) says the same for what it shows: the lake
    # holds the weighed (fresh) harvest; the diary's ``harvest_t`` is at standard moisture.
    area = diary.area_aggregate(platform.uow(SYSTEM), "82")
    mine = {(r.commune_code, r.season_key): r for r in relational}
    for row in area.rows:
        ours = mine[(row.commune_code, row.season_key)]
        assert (ours.activities, ours.sprays) == (row.activities, row.sprays)
        # The diary rounds each season's fresh weight before it sums them: a gram may differ.
        assert ours.harvest_kg / 1000 == pytest.approx(row.harvest_fresh_t, abs=0.002)


def test_incremental_export_rewrites_only_what_changed(
        demo_lake: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from nongso.opendata.services import lakes

    # The demo's rows are minutes old: without the overlap a re-read shows only real changes.
    monkeypatch.setattr(lakes, "OVERLAP", dt.timedelta(0))
    services.export_lake(platform.uow(SYSTEM), tables=("diary_activities",))
    before = lake.load_manifest(demo_lake, "diary_activities")
    assert before is not None
    nothing = services.export_lake(platform.uow(SYSTEM), tables=("diary_activities",))
    assert nothing.tables[0].rows_written == 0 and nothing.tables[0].partitions_rewritten == 0

    with platform.uow() as uow:
        victim = uow.session.scalars(select(Activity).where(Activity.kind == "scouting")
                                     .order_by(Activity.id)).first()
        assert victim is not None
        victim_id = victim.id
    diary.delete_activity(platform.uow(SYSTEM), victim_id)
    again = services.export_lake(platform.uow(SYSTEM), tables=("diary_activities",)).tables[0]
    assert 1 <= again.partitions_rewritten < len({f.partition for f in before.files})
    assert again.total_rows == before.total_rows() - 1
    assert reports.duckdb_commune_season(services.lake_files()) == _relational(platform)


def test_an_interrupted_export_lists_no_partial_file(demo_lake: Path, platform: Platform,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = diary.activity_rows

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **{**kwargs, "limit": 500})

    monkeypatch.setattr(diary, "activity_rows", failing)
    with pytest.raises(RuntimeError):
        services.export_lake(platform.uow(SYSTEM), tables=("diary_activities",))
    assert lake.load_manifest(demo_lake, "diary_activities") is None
    assert list(demo_lake.rglob("*.parquet")) == []  # the started file was removed
    monkeypatch.setattr(diary, "activity_rows", real)
    done = services.export_lake(platform.uow(SYSTEM), tables=("diary_activities",))
    assert done.tables[0].total_rows > 0
    listed = set(services.lake_files())
    assert {str(p) for p in demo_lake.rglob("*.parquet")} == listed
