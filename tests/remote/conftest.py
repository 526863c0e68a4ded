"""A small synthetic season over a few registered fields (written once per test session)."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer

from nongso.core.permissions import SYSTEM
from nongso.core.settings import get_settings
from nongso.registry import services as registry
from nongso.registry.schemas import ProductionUnitCreate
from nongso.remote import simulate
from nongso.remote import synthetic as syn
from nongso.remote.rasters import write_cog
from tests.helpers import Actors

START, END = dt.date(2026, 3, 1), dt.date(2026, 11, 30)
SEED = 31
TO_LL = Transformer.from_crs(32648, 4326, always_xy=True)
TO_UTM = Transformer.from_crs(4326, 32648, always_xy=True)
# Field plan (index: cover, width m x length m): rice fields, an orchard, a bare field declared
# rice, a pond, and a field smaller than a pixel.
PLAN: list[tuple[str, float, float]] = [
    ("rice", 60, 200), ("rice", 45, 200), ("rice", 80, 200), ("rice", 30, 200),
    ("rice", 100, 200), ("orchard", 50, 200), ("bare", 60, 200), ("water", 40, 120),
    ("rice", 6, 6),
]
SOWING = [dt.date(2026, 4, 20), dt.date(2026, 4, 26), dt.date(2026, 5, 2), dt.date(2026, 4, 14),
          dt.date(2026, 4, 30)]


@dataclass
class Scenes:
    folder: Path  # relative to the scenes root (<var>/remote)
    path: Path
    layout: list[tuple[str, dict[str, Any]]]  # cover, lon/lat polygon
    truths: list[syn.FieldTruth]
    files: list[Path]


def polygon(x: float, y: float, w: float, h: float) -> dict[str, Any]:
    xs, ys = [x, x + w, x + w, x, x], [y, y, y + h, y + h, y]
    lons, lats = TO_LL.transform(xs, ys)
    return {"type": "Polygon", "coordinates": [[[round(a, 8), round(b, 8)]
                                                for a, b in zip(lons, lats, strict=True)]]}


def _layout(lon: float, lat: float) -> list[tuple[str, dict[str, Any]]]:
    x0, y0 = TO_UTM.transform(lon, lat)
    x0, y0 = math.floor(x0), math.floor(y0)
    out, x = [], x0
    for cover, w, h in PLAN:
        out.append((cover, polygon(x, y0, w, h)))
        x += w + 8
    return out


@pytest.fixture(scope="session")
def scenes() -> Scenes:
    """COGs of the season over the plan's fields near the first rural commune of province 82
    (the same place :class:`Actors` uses as commune A)."""
    root = (get_settings().var_dir / "remote").resolve()
    folder = Path("test-season")
    path = root / folder
    shutil.rmtree(path, ignore_errors=True)
    layout = _layout(105.62, 10.46)
    truths = []
    for k, (cover, _) in enumerate(layout):
        seasons: tuple[syn.SeasonTruth, ...] = ()
        if cover == "rice":
            sow = SOWING[k] if k < len(SOWING) else dt.date(2026, 4, 22)
            seasons = (syn.season(sow, 92), syn.season(sow + dt.timedelta(days=110), 90))
        truths.append(syn.FieldTruth(k + 1, cover, seasons))
    sim = simulate.write_season(path, [(k + 1, g) for k, (_, g) in enumerate(layout)],
                                {t.field_id: t for t in truths}, START, END, seed=SEED,
                                pixel=10.0, supersample=2)
    # One optical date entirely under cloud.
    g = sim.grid
    cloudy = write_cog(path / "s2_all_cloud.tif",
                       {"ndvi": np.full((g.height, g.width), 0.05, dtype=np.float32),
                        "cloud": np.ones((g.height, g.width), dtype=np.float32)},
                       x0=g.x0, y0=g.y0, pixel=g.pixel, crs=sim.crs,
                       acquired_on=dt.date(2026, 6, 3), sensor="s2")
    return Scenes(folder, path, layout, truths, [*sim.files, cloudy])


@dataclass
class Fields:
    ids: list[int]
    commune: str


def register_fields(actors: Actors, scenes: Scenes) -> Fields:
    """The plan's fields in the registry (commune A), in plan order."""
    uow = actors.platform.uow(SYSTEM)
    ids = []
    for k, (cover, geometry) in enumerate(scenes.layout):
        crop = {"orchard": "mango", "water": None}.get(cover, "rice")
        kind = {"orchard": "orchard", "water": "aquaculture"}.get(cover, "plot")
        unit = registry.create_production_unit(uow, ProductionUnitCreate(
            kind=kind, name=f"Thửa viễn thám {k + 1}", commune_code=actors.commune_a,
            farmer_id=actors.farmer_a.id, organisation_id=actors.coop_a.id, crop=crop,
            geometry=geometry))
        ids.append(unit.id)
    return Fields(ids, actors.commune_a)
