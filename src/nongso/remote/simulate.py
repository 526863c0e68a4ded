"""Write a synthetic season as real COG files (the demo, the tests and the benchmarks).

The pure model is :mod:`nongso.remote.synthetic`; this module lays the fields on a grid
(rasterised at ``supersample`` x the resolution so that pixels mix what they contain) and
writes one Cloud-Optimised GeoTIFF per date and sensor.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rasterio.features import rasterize
from rasterio.transform import from_origin

from nongso.remote import synthetic as syn
from nongso.remote.rasters import write_cog
from nongso.remote.zonal import project_zones


@dataclass(frozen=True)
class SimulatedSeason:
    grid: syn.Grid
    crs: str
    files: list[Path]


def grid_around(zones_bounds: Sequence[tuple[float, float, float, float]], pixel: float,
                margin: float = 200.0) -> syn.Grid:
    """The grid (aligned on whole pixels) covering these bounds plus a margin."""
    x0 = min(b[0] for b in zones_bounds) - margin
    y0 = min(b[1] for b in zones_bounds) - margin
    x1 = max(b[2] for b in zones_bounds) + margin
    y1 = max(b[3] for b in zones_bounds) + margin
    x0 = math.floor(x0 / pixel) * pixel
    top = math.ceil(y1 / pixel) * pixel
    width = math.ceil((x1 - x0) / pixel)
    height = math.ceil((top - y0) / pixel)
    return syn.Grid(x0, top, pixel, width, height)


def labels_for(grid: syn.Grid, geometries: Sequence[dict[str, Any]], supersample: int
               ) -> NDArray[np.int32]:
    """Fields (in the grid's CRS) burnt as 1..n on the refined grid (0: background)."""
    fine = grid.pixel / supersample
    shape = (grid.height * supersample, grid.width * supersample)
    if not geometries:
        return np.zeros(shape, dtype=np.int32)
    burnt = rasterize(((g, i + 1) for i, g in enumerate(geometries)), out_shape=shape,
                      transform=from_origin(grid.x0, grid.y0, fine, fine), fill=0,
                      dtype="int32")
    return np.asarray(burnt, dtype=np.int32)


def write_season(folder: Path, fields: Sequence[tuple[int, dict[str, Any]]],
                 truths: dict[int, syn.FieldTruth], start: dt.date, end: dt.date, *,
                 seed: int, pixel: float = 20.0, crs: str = "EPSG:32648",
                 supersample: int = 2, sensors: Sequence[str] = ("s1", "s2"),
                 background: str = "bare") -> SimulatedSeason:
    """COGs of every acquisition in [start, end] over the fields (lon/lat polygons); between
    the fields: ``background`` (bunds and canals: bare by default)."""
    zones = project_zones(fields, crs)
    grid = grid_around([z.bbox for z in zones], pixel)
    labels = labels_for(grid, [z.geometry for z in zones], supersample)
    ordered = [truths.get(z.id, syn.FieldTruth(z.id, "bare")) for z in zones]
    plan = [(day, sensor) for day, sensor in syn.scene_days(start, end) if sensor in sensors]
    levels = syn.class_levels(ordered, [day for day, _ in plan], seed, background)
    files = []
    for k, (day, sensor) in enumerate(plan):
        today = {b: v[:, k] for b, v in levels.items()}
        bands = syn.render(grid, labels, today, day, sensor, seed, supersample=supersample)
        path = folder / f"{sensor}_{day:%Y%m%d}.tif"
        files.append(write_cog(path, bands, x0=grid.x0, y0=grid.y0, pixel=grid.pixel,
                               crs=crs, acquired_on=day, sensor=sensor))
    return SimulatedSeason(grid, crs, files)
