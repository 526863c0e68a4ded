"""The read paths the resolver and recall share: the lineage graph's edges, the events that
mention a set of identifiers, what the platform knows about identifiers, and the labels of
business steps.

The read paths of the resolver and of recall run on every scan: their statements are built
once (``functools.cache``; values bound as expanding parameters) and they read Core rows, which
carry the same attribute names as the models, instead of loading ORM objects. Building a
statement and loading entities cost more than the indexed queries themselves
(``benchmarks/bench_trace.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, bindparam, or_, select
from sqlalchemy.orm import Session

from nongso.trace import recall
from nongso.trace.models import (
    EpcisEvent,
    EventRef,
    Item,
    LineageEdge,
    Location,
    LogisticUnit,
    Lot,
    Product,
)


@functools.cache
def _q_edges(forward: bool, since: bool, until: bool) -> Executable:
    column = LineageEdge.src if forward else LineageEdge.dst
    stmt = select(LineageEdge.src, LineageEdge.dst, LineageEdge.kind, LineageEdge.event_pk,
                  LineageEdge.event_time).where(column.in_(bindparam("nodes", expanding=True)))
    if since:
        stmt = stmt.where(LineageEdge.event_time >= bindparam("since"))
    if until:
        stmt = stmt.where(LineageEdge.event_time < bindparam("until"))
    return stmt


def _edges_from_db(session: Session, forward: bool, since: dt.datetime | None,
                   until: dt.datetime | None) -> recall.EdgesOf:
    stmt = _q_edges(forward, since is not None, until is not None)

    def edges_of(frontier: set[str]) -> list[recall.Edge]:
        out: list[recall.Edge] = []
        nodes = sorted(frontier)
        for start in range(0, len(nodes), 500):
            params: dict[str, Any] = {"nodes": nodes[start:start + 500]}
            if since is not None:
                params["since"] = since
            if until is not None:
                params["until"] = until
            out.extend(recall.Edge(*row) for row in session.execute(stmt, params))
        return out

    return edges_of


def _events_of_nodes(session: Session, nodes: Iterable[str], since: dt.datetime | None = None,
                     until: dt.datetime | None = None, limit: int = 5000,
                     skip_steps: Sequence[str] = ()) -> list[Any]:
    """The stored events that mention any of ``nodes`` (as EPC, class, parent or child)."""
    ids: set[int] = set()
    values = sorted(n for n in nodes if not n.startswith("tx:"))
    for start in range(0, len(values), 500):
        ids.update(session.scalars(select(EventRef.event_pk).where(
            EventRef.value.in_(values[start:start + 500]),
            EventRef.field.notin_(("bizTransaction", "source", "destination")))))
    if not ids:
        return []
    rows: list[Any] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        stmt = select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.event_type,
                      EpcisEvent.event_time, EpcisEvent.biz_step, EpcisEvent.biz_location,
                      EpcisEvent.read_point, EpcisEvent.document).where(
            EpcisEvent.id.in_(ordered[start:start + 500]))
        if since is not None:
            stmt = stmt.where(EpcisEvent.event_time >= since)
        if until is not None:
            stmt = stmt.where(EpcisEvent.event_time < until)
        if skip_steps:
            stmt = stmt.where(or_(EpcisEvent.biz_step.is_(None),
                                  EpcisEvent.biz_step.notin_(skip_steps)))
        rows.extend(session.execute(stmt))
    rows.sort(key=lambda r: (r.event_time, r.id))
    return rows[:limit]


def _events_by_pk(session: Session, pks: Iterable[int]) -> list[Any]:
    ordered = sorted(set(pks))
    rows: list[Any] = []
    for start in range(0, len(ordered), 500):
        rows.extend(session.execute(
            select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.event_type,
                   EpcisEvent.event_time, EpcisEvent.biz_step, EpcisEvent.biz_location,
                   EpcisEvent.read_point, EpcisEvent.document)
            .where(EpcisEvent.id.in_(ordered[start:start + 500]))))
    return rows


@functools.cache
def _q_rows_in(model: Any, column: str) -> Executable:
    """The rows of ``model`` whose ``column`` is one of the bound ``values``."""
    table = model.__table__
    return select(table).where(table.c[column].in_(bindparam("values", expanding=True)))


@dataclass
class _Known:
    """What the platform knows about canonical identifiers: lots, items, logistic units,
    locations (one query per kind, whatever the number of identifiers). Values are rows with
    the columns of ``Lot``, ``Item``, ``LogisticUnit``, ``Location`` and ``Product``."""

    lots: dict[str, Any]
    items: dict[str, Any]
    units: dict[str, Any]
    locations: dict[str, Any]
    products: dict[int, Any]


def _known(session: Session, ids: Iterable[str]) -> _Known:
    values = sorted(set(i for i in ids if i and not i.startswith("tx:")))
    # Canonical Digital Links say what they are: /10/ a lot, /21/ an item, /00/ an SSCC,
    # /414/ a location; each kind is one query, and only when there is something to find.
    wanted: dict[Any, list[str]] = {Lot: [], Item: [], LogisticUnit: [], Location: []}
    for value in values:
        if "/10/" in value:
            wanted[Lot].append(value)
        elif "/21/" in value:
            wanted[Item].append(value)
        elif "/00/" in value:
            wanted[LogisticUnit].append(value)
        elif "/414/" in value:
            wanted[Location].append(value)
        else:  # not a GS1 key we issue: look everywhere
            for bucket in wanted.values():
                bucket.append(value)

    def fetch(model: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        keys = wanted[model]
        for start in range(0, len(keys), 500):
            for row in session.execute(_q_rows_in(model, "canonical"),
                                       {"values": keys[start:start + 500]}):
                out[row.canonical] = row
        return out

    lots, items, units_, locations = fetch(Lot), fetch(Item), fetch(LogisticUnit), \
        fetch(Location)
    product_ids = {lot.product_id for lot in lots.values()} | {
        item.product_id for item in items.values()}
    products = {p.id: p for p in session.execute(
        _q_rows_in(Product, "id"), {"values": sorted(product_ids)})} if product_ids else {}
    return _Known(lots, items, units_, locations, products)


_ROUTINE_STEPS = ("storing", "sensor_reporting", "cycle_counting", "stock_taking")
_STEP_LABELS: dict[str, tuple[str, str]] = {
    "commissioning": ("Thu hoạch, tạo lô", "Harvested, lot created"),
    "creating_class_instance": ("Chế biến", "Processed"),
    "packing": ("Đóng gói", "Packed"),
    "shipping": ("Xuất hàng", "Shipped"),
    "receiving": ("Nhận hàng", "Received"),
    "departing": ("Rời kho", "Departed"),
    "arriving": ("Đến nơi", "Arrived"),
    "storing": ("Lưu kho", "Stored"),
    "inspecting": ("Kiểm tra", "Inspected"),
    "retail_selling": ("Bán lẻ", "Sold at retail"),
    "stock_taking": ("Kiểm đếm lại", "Recounted"),
    "removing": ("Thu hồi", "Recalled"),
    "holding": ("Tạm giữ", "Held"),
    "transporting": ("Vận chuyển", "Transported"),
    "unpacking": ("Tháo kiện", "Unpacked"),
    "loading": ("Xếp hàng lên xe", "Loaded"),
    "unloading": ("Dỡ hàng", "Unloaded"),
}
_PROCESS_LABELS: dict[str, tuple[str, str]] = {
    "drying": ("Sấy", "Dried"), "milling": ("Xay xát", "Milled"),
    "sorting": ("Phân loại", "Sorted"), "packing": ("Đóng gói", "Packed"),
}


def step_label(step: str | None, process: str | None = None) -> tuple[str, str]:
    if process and process in _PROCESS_LABELS:
        return _PROCESS_LABELS[process]
    if step is None:
        return ("Sự kiện", "Event")
    return _STEP_LABELS.get(step, (step.replace("_", " "), step.replace("_", " ")))


def _place_of(event: Mapping[str, Any], row: Any) -> str | None:
    place: str | None = row.biz_location or row.read_point
    return place
