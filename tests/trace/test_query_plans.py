"""The resolver's queries use the indexes on SQLite whatever the size of the tables.

Without ``ANALYZE`` statistics SQLite plans every table as if it held a million rows, so the
plans of an empty database are the plans of a large one. A plan that scans ``trace_lineage``
or builds a Bloom filter over it costs a full pass over the lineage on every scan of a QR code
(what the journey's recursive query did before: ``bench_trace`` measured it). PostgreSQL plans
from its statistics, so its plans on these tiny test tables say nothing about large ones; this
test is about SQLite's planner and runs on its own SQLite file.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import TextClause, create_engine, text
from sqlalchemy.dialects import sqlite

from nongso.core import migrate
from nongso.trace.models import Item, Location, LogisticUnit, Lot, Product
from nongso.trace.services import lineage, resolver

LOT = "https://id.gs1.org/01/08930000000017/10/L1"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'plans.db'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _plan(engine: Any, statement: Any, **params: Any) -> list[str]:
    bound = statement.bindparams(**params) if isinstance(statement, TextClause) else (
        statement.params(**params))
    sql = str(bound.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]


def _full_passes(plan: list[str]) -> list[str]:
    """Plan steps that read a whole trace table (or index) instead of searching it."""
    return [step for step in plan
            if "BLOOM FILTER" in step
            or (step.startswith("SCAN ") and not step.startswith(("SCAN w", "SCAN CONSTANT")))]


@pytest.mark.parametrize("forward", [False, True])
@pytest.mark.parametrize("seeds", [1, 2])
def test_journey_closure_searches_the_lineage_index(engine: Any, forward: bool,
                                                    seeds: int) -> None:
    params: dict[str, Any] = {f"s{n}": f"{LOT}-{n}" for n in range(seeds)}
    plan = _plan(engine, resolver._q_closure(forward, seeds), max_depth=12, **params)
    column = "src" if forward else "dst"
    assert any(f"USING INDEX ix_trace_lineage_{column} ({column}=?)" in s for s in plan), plan
    assert _full_passes(plan) == [], plan


@pytest.mark.parametrize("forward", [False, True])
def test_lineage_steps_search_the_index(engine: Any, forward: bool) -> None:
    plan = _plan(engine, lineage._q_edges(forward, False, False), nodes=[LOT])
    assert _full_passes(plan) == [], plan


@pytest.mark.parametrize("with_pks", [False, True])
def test_journey_events_search_the_indexes(engine: Any, with_pks: bool) -> None:
    params: dict[str, Any] = {"values": [LOT], "skip": ["storing"]}
    if with_pks:
        params["pks"] = [1, 2]
    plan = _plan(engine, resolver._q_journey_events(with_pks, 200), **params)
    assert any("ix_trace_event_refs_value_field" in s for s in plan), plan
    assert _full_passes(plan) == [], plan


@pytest.mark.parametrize("model,column,value", [
    (Lot, "canonical", LOT), (Item, "canonical", LOT), (LogisticUnit, "canonical", LOT),
    (Location, "canonical", LOT), (Product, "id", 1), (Product, "gtin", "08930000000017"),
])
def test_known_identifiers_are_looked_up_by_index(engine: Any, model: Any, column: str,
                                                  value: Any) -> None:
    plan = _plan(engine, lineage._q_rows_in(model, column), values=[value])
    assert _full_passes(plan) == [], plan


@pytest.mark.parametrize("what,params", [
    ("product", {"gtin": "08930000000017"}),
    ("lot", {"gtin": "08930000000017", "key": "L1"}),
    ("item", {"gtin": "08930000000017", "key": "S1"}),
    ("lot_by_id", {"id": 1}), ("location", {"id": 1}), ("ocop", {"id": 1}),
])
def test_resolver_lookups_are_searches(engine: Any, what: str, params: dict[str, Any]) -> None:
    plan = _plan(engine, resolver._q_resolve(what), **params)
    assert _full_passes(plan) == [], plan


def test_the_check_sees_a_full_pass(engine: Any) -> None:
    """The check itself: the join order SQLite picked before (lineage first) is caught."""
    before = text(
        "WITH RECURSIVE walk(node, depth) AS (SELECT CAST(:s0 AS VARCHAR(300)), 0 "
        "UNION SELECT e.src, w.depth + 1 FROM trace_lineage e JOIN walk w ON e.dst = w.node "
        "WHERE w.depth < :max_depth) SELECT e.src, MIN(w.depth) FROM trace_lineage e "
        "JOIN walk w ON e.dst = w.node WHERE w.depth < :max_depth GROUP BY e.id, e.src")
    assert _full_passes(_plan(engine, before, s0=LOT, max_depth=12)) != []
