"""Walking the lineage graph for a recall: pure breadth-first search, cycles included.

The graph's nodes are identifiers in their canonical form (lots, items, logistic units) and
transformation nodes (``tx:…``); its edges run upstream → downstream (a transformation's
input → node → output; a child → the container it was packed into). The store supplies the
edges of a set of nodes through a callable, one call per level, so a walk costs one query per
level whatever the fan-out. Cycles (a lot re-packed into itself, a transformation that feeds
back) end because each node is visited once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = ["Edge", "Walk", "walk"]


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    kind: str  # input | output | aggregation | association
    event_pk: int
    time: dt.datetime


@dataclass
class Walk:
    """What a walk reached: each node with its distance from the start, and the edges."""

    depth: dict[str, int] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False


EdgesOf = Callable[[set[str]], Iterable[Edge]]


def walk(
    start: Iterable[str], edges_of: EdgesOf, *, forward: bool, max_nodes: int = 20000,
    max_depth: int = 200, follow: Callable[[Edge], bool] | None = None,
) -> Walk:
    """Every node reachable from ``start`` downstream (``forward``) or upstream.

    ``edges_of(frontier)`` returns the edges leaving the frontier in the walk's direction
    (``src`` in the frontier when forward, ``dst`` when backward). ``follow`` may refuse edges
    (e.g. a consumer's journey follows packing but not a transformation into other products).
    """
    result = Walk()
    frontier = {s for s in start}
    for node in frontier:
        result.depth[node] = 0
    seen_edges: set[tuple[str, str, int]] = set()
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        following: set[str] = set()
        for edge in edges_of(frontier):
            if follow is not None and not follow(edge):
                continue
            key = (edge.src, edge.dst, edge.event_pk)
            if key in seen_edges:
                continue
            seen_edges.add(key)
            result.edges.append(edge)
            nxt = edge.dst if forward else edge.src
            if nxt not in result.depth:
                if len(result.depth) >= max_nodes:
                    result.truncated = True
                    continue
                result.depth[nxt] = depth
                following.add(nxt)
        frontier = following
    if frontier:
        result.truncated = True
    return result
