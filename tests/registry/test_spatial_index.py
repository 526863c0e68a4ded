"""The spatial index: kept equal to the tables by every writer, and used by the queries."""

from __future__ import annotations

import json
import random

from sqlalchemy import delete, insert, select, text, update

from nongso.core.platform import Platform
from nongso.registry import spatial
from nongso.registry.geo import BBox
from nongso.registry.models import Organisation, ProductionUnit

TABLE = ProductionUnit.__table__


def _rows(n: int, seed: int = 5) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        lon, lat = rng.uniform(105.2, 106.8), rng.uniform(10.0, 10.9)
        d = rng.uniform(0.0005, 0.02)
        ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
        out.append(dict(id=i, kind="plot", name=f"T{i}", commune_code="28321",
                        province_code="82", geometry=json.dumps({"type": "Polygon",
                                                                 "coordinates": [ring]}),
                        min_lon=lon, min_lat=lat, max_lon=lon + d, max_lat=lat + d,
                        attributes={}))
    return out


def test_index_and_plain_columns_agree(platform: Platform) -> None:
    with platform.engine.begin() as conn:
        conn.execute(insert(ProductionUnit), _rows(800))
    rng = random.Random(11)
    with platform.engine.connect() as conn:
        for _ in range(40):
            x, y = rng.uniform(105.2, 106.8), rng.uniform(10.0, 10.9)
            w, h = rng.uniform(0.001, 0.3), rng.uniform(0.001, 0.3)
            b = BBox(x, y, x + w, y + h)
            indexed = conn.execute(select(TABLE.c.id).where(
                spatial.bbox_filter(TABLE, platform.dialect, b)).order_by(TABLE.c.id)).scalars()
            plain = conn.execute(select(TABLE.c.id).where(
                spatial.columns_condition(TABLE, b)).order_by(TABLE.c.id)).scalars()
            assert list(indexed) == list(plain)


def test_sqlite_rtree_follows_inserts_updates_and_deletes(platform: Platform) -> None:
    if platform.dialect != "sqlite":
        with platform.engine.connect() as conn:
            names = conn.execute(text(
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'gix_%'")).scalars().all()
        assert set(names) == {f"gix_{t}_bbox" for t in spatial.SPATIAL_TABLES}
        return
    r = spatial.rtree("production_units")
    with platform.engine.begin() as conn:
        conn.execute(insert(ProductionUnit), _rows(50))  # a bulk insert, not the ORM
        conn.execute(update(ProductionUnit).where(ProductionUnit.id == 7).values(
            min_lon=106.0, max_lon=106.001, min_lat=10.5, max_lat=10.501))
        conn.execute(update(ProductionUnit).where(ProductionUnit.id == 8).values(
            min_lon=None, max_lon=None, min_lat=None, max_lat=None))
        conn.execute(delete(ProductionUnit).where(ProductionUnit.id == 9))
        conn.execute(update(ProductionUnit).where(ProductionUnit.id == 10).values(
            status="deleted"))  # a soft delete leaves the index too
    with platform.engine.connect() as conn:
        boxes = {row.id: row for row in conn.execute(select(r))}
        assert set(boxes) == set(range(1, 51)) - {8, 9, 10}
        assert abs(boxes[7].min_lon - 106.0) < 1e-4 and abs(boxes[7].max_lat - 10.501) < 1e-4
        # Organisations are indexed by their point.
        conn.execute(insert(Organisation).values(id=1, kind="cooperative", name="HTX",
                                                 commune_code="28321", province_code="82",
                                                 lat=10.5, lon=106.2, attributes={}))
        assert conn.execute(select(spatial.rtree("organisations").c.id)).scalars().all() == [1]
        conn.rollback()


def test_the_query_plan_uses_the_index(platform: Platform) -> None:
    with platform.engine.begin() as conn:
        conn.execute(insert(ProductionUnit), _rows(300))
        stmt = select(TABLE.c.id).where(spatial.bbox_filter(
            TABLE, platform.dialect, BBox(106.0, 10.4, 106.1, 10.5)))
        compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
        if platform.dialect == "postgresql":
            conn.execute(text("ANALYZE production_units"))
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(conn.execute(text(f"EXPLAIN {compiled}")).scalars())
            assert "gix_production_units_bbox" in plan, plan
        else:
            rows = conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            plan = "\n".join(str(r[-1]) for r in rows)
            assert "VIRTUAL TABLE INDEX" in plan and "rtree_production_units" in plan, plan
