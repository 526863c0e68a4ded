"""The demo province: deterministic, realistic sizes, non-overlapping fields inside the province."""

from __future__ import annotations

import json
import re

from shapely.geometry import shape
from shapely.strtree import STRtree
from sqlalchemy import select

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import registry as demo_registry
from nongso.demo import services
from nongso.registry.models import Organisation, ProductionUnit
from nongso.stats import services as stats
from nongso.stats.models import DataValue, Report
from nongso.units import services as units


def test_generator_is_deterministic_and_realistic(platform: Platform) -> None:
    communes = units.communes_of_province(platform.uow(), "82")
    a = demo_registry.build(communes, seed=7, scale=0.1)
    b = demo_registry.build(communes, seed=7, scale=0.1)
    assert a == b
    c = demo_registry.build(communes, seed=8, scale=0.1)
    assert c.farmers != a.farmers
    # The farmers' fields (the map's other features are checked in tests/registry).
    fields = [u for u in a.units if u["kind"] in ("plot", "orchard")]
    geoms = [shape(json.loads(u["geometry"])) for u in fields]
    assert all(g.is_valid for g in geoms)
    areas = [u["area_ha"] for u in fields]
    assert min(areas) >= 0.3 and max(areas) <= 5.0
    # No two fields overlap (touching edges would also be wrong: there are canals between).
    tree = STRtree(geoms)
    for i, g in enumerate(geoms):
        for j in tree.query(g, predicate="intersects"):
            assert j == i, (fields[i]["name"], fields[int(j)]["name"])
    # Inside the province's extent (the official commune centroids, with a margin).
    lats = [c.lat for c in communes if c.lat]
    lons = [c.lon for c in communes if c.lon]
    for g in geoms:
        x, y = g.centroid.x, g.centroid.y
        assert min(lons) - 0.1 < x < max(lons) + 0.1 and min(lats) - 0.1 < y < max(lats) + 0.1
    rice_share = sum(1 for u in fields if u["crop"] == "rice") / len(fields)
    assert 0.55 < rice_share < 0.85
    names = {f["full_name"] for f in a.farmers}
    assert len(names) > len(a.farmers) / 3  # varied invented names
    assert all(f["national_id"] is None for f in a.farmers)


def test_build_demo_loads_and_is_idempotent(platform: Platform) -> None:
    lines: list[str] = []
    first = services.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05,
                                progress=lines.append)
    # The long build reports each step as it ends: what, how many, the time taken so far.
    steps = [re.fullmatch(r"  \[ *(\d+\.\d) s \| *(\d+\.\d) s\] (.+)", line) for line in lines]
    assert all(steps), lines
    texts = [m.group(3) for m in steps if m]
    assert any(t.startswith("Ghi sổ đăng ký / registry written: ") for t in texts), texts
    assert any(re.match(r"Nhật ký / diaries: \d+ thửa, \d+ vụ", t) for t in texts), texts
    assert any(t.startswith("Viễn thám / remote sensing: ") for t in texts), texts
    assert texts[-1].startswith("Tổng / total") and len(texts) >= 12
    elapsed = [float(m.group(2)) for m in steps if m]
    assert elapsed == sorted(elapsed) and elapsed[-1] > 0
    assert first.built and first.farmers > 100 and first.fields > first.farmers
    assert {a.role for a in first.accounts} == {
        "admin", "province_officer", "commune_officer", "coop_manager", "farmer", "buyer",
        "inspector"}
    # A season of synthetic rasters over the demo commune, reduced and reconciled.
    assert first.remote is not None and first.remote.scenes > 40
    assert 0 < first.remote.rice_fields <= first.remote.fields
    again = services.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
    assert not again.built and again.fields == first.fields and again.remote is None
    with platform.uow() as uow:
        unit = uow.session.scalars(select(ProductionUnit).limit(1)).one()
        assert unit.geometry and unit.min_lon is not None and unit.area_ha
        coop = uow.session.scalars(select(Organisation).where(
            Organisation.kind == "cooperative").limit(1)).one()
        # "Xã …, Tỉnh Đồng Tháp": the province by name, not by its code.
        assert coop.address is not None and coop.address.endswith(", Tỉnh Đồng Tháp")
    # Statistics: counted from the diaries and imported history (legacy communes too),
    # reports in several states, and typing slips for the outlier checks to find.
    with platform.uow() as uow:
        s = uow.session
        sources = {(src, gen) for src, gen in s.execute(
            select(DataValue.source, DataValue.generation).distinct()).all()}
        statuses = set(s.scalars(select(Report.status).distinct()))
        recent_history = sorted(set(s.scalars(select(DataValue.period).where(
            DataValue.source == "import", DataValue.generation == "2025"))))
    assert {("diary", "2025"), ("import", "legacy"), ("import", "2025")} <= sources
    assert {"accepted", "approved", "returned"} <= statuses
    found = [o for pe in recent_history
             for o in stats.outliers_scan(platform.uow(SYSTEM), "crop_season", pe)]
    assert any(o.likely_meant is not None for o in found)
