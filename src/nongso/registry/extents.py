"""The cache of the collections' extents (bounding box and time span), forgotten after commit.

Collection metadata (``/ogcapi/collections``) is read far more often than features change, and
its extent is an aggregate over a whole table: it is kept for :data:`TTL_SECONDS` per database
and collection. Staleness is bounded by what was *committed*:

* a write is noted on its session (an ORM flush touching the table, or :func:`mark_changed`
  for rows inserted in bulk) and the table's cached extents are forgotten **after commit**
  (the session's ``after_commit`` event); a rolled-back transaction forgets its notes and leaves
  the cache alone;
* a session with uncommitted writes to a table computes that table's extents afresh (it sees its
  own writes) and never caches them;
* each table has a generation counter, bumped when its extents are forgotten: a result computed
  while another session committed is not stored (it may predate that commit).

The cache is per process; other processes see a change within :data:`TTL_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from nongso.registry.geo import BBox

Extent = tuple[BBox | None, tuple[dt.date | None, dt.date | None]]
TTL_SECONDS = 60.0

_CHANGED = "registry_changed_tables"
_lock = threading.Lock()
# (database url, table, collection) -> (monotonic time stored, extent)
_cache: dict[tuple[str, str, str], tuple[float, Extent]] = {}
_generation: dict[str, int] = {}


def mark_changed(session: Session, table: str) -> None:
    """Note that this session wrote to ``table`` (its cached extents go when it commits)."""
    session.info.setdefault(_CHANGED, set()).add(table)


def has_pending_writes(session: Session, table: str) -> bool:
    """Whether this session wrote to ``table`` and has not committed yet."""
    return table in session.info.get(_CHANGED, ())


def forget(table: str) -> None:
    """Forget the cached extents of every collection of ``table`` (every database)."""
    with _lock:
        _generation[table] = _generation.get(table, 0) + 1
        for key in [k for k in _cache if k[1] == table]:
            del _cache[key]


def cached(session: Session, table: str, collection: str,
           compute: Callable[[], Extent]) -> Extent:
    """The extent of ``collection`` (rows of ``table``), from the cache when it may be."""
    if has_pending_writes(session, table):
        return compute()
    key = (str(session.get_bind().engine.url), table, collection)
    with _lock:
        found = _cache.get(key)
        generation = _generation.get(table, 0)
    if found is not None and time.monotonic() - found[0] < TTL_SECONDS:
        return found[1]
    extent = compute()
    with _lock:
        if _generation.get(table, 0) == generation and not has_pending_writes(session, table):
            _cache[key] = (time.monotonic(), extent)
    return extent


@event.listens_for(Session, "after_flush")
def _note_writes(session: Session, flush_context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if isinstance(table, str):
            mark_changed(session, table)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: the enclosing transaction may still roll back
    for table in session.info.pop(_CHANGED, ()):
        forget(table)


@event.listens_for(Session, "after_transaction_end")
def _drop_notes(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without commit (after_commit took the notes otherwise):
    # what it wrote was rolled back and never reached anyone else.
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
