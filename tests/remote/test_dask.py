"""Zonal statistics of a region on a real Dask distributed cluster (LocalCluster)."""

from __future__ import annotations

import pytest

from nongso.remote import rasters, zonal
from tests.remote.conftest import Scenes


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_local_cluster_gives_the_same_statistics_as_threads(scenes: Scenes) -> None:
    from dask.distributed import Client, LocalCluster

    path = next(p for p in scenes.files if p.name.startswith("s1_"))
    info = rasters.inspect(path)
    zones = zonal.project_zones([(k + 1, g) for k, (_, g) in enumerate(scenes.layout)],
                                info.crs)
    local = zonal.zonal_scene(path, ["vh", "vv"], info.units, zones, info.pixel_m,
                              chunk_size=3)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        remote = zonal.zonal_scene(path, ["vh", "vv"], info.units, zones, info.pixel_m,
                                   chunk_size=3, client=client)
        workers = len(client.scheduler_info()["workers"])
    assert workers == 2
    for band in ("vh", "vv"):
        assert len(remote[band]) == len(zones) == len(local[band])
        assert sorted(remote[band], key=lambda s: s.zone_id) == sorted(
            local[band], key=lambda s: s.zone_id)
