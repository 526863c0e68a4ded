"""Storage of the EPCIS repository and its Merkle log, inside the caller's transaction.

These helpers take a SQLAlchemy session and never commit: the services open the unit of work
and decide. Appending to the log takes the one log-head row first (an UPDATE, so that
PostgreSQL locks the row and SQLite takes its write lock before anything is read), which
serialises concurrent captures: leaf indexes are never handed out twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import type_coerce
from sqlalchemy.types import NullType

from nongso.core.settings import Settings
from nongso.trace import merkle
from nongso.trace.checkpoint import (
    Checkpoint as CheckpointText,
)
from nongso.trace.checkpoint import (
    key_hash,
    public_key_bytes,
    sign_checkpoint,
    verifier_key,
)
from nongso.trace.epcis import IndexedEvent, lineage_edges
from nongso.trace.models import (
    Checkpoint,
    Counter,
    EpcisEvent,
    EventRef,
    LineageEdge,
    LogHead,
    LogNode,
)

_log = logging.getLogger("nongso.trace.log")

NODE_LEVEL_STEP = 4
"""Perfect subtrees are stored every 4 levels (1/15 of the leaf count in rows): any subtree
hash is then at most 8 stored hashes away."""


# ------------------------------------------------------------------------------------------
# The signing key


@dataclass(frozen=True)
class LogKey:
    name: str  # the log's origin, also the key name of its signed notes
    private: Ed25519PrivateKey
    witness: Path | None = None  # the append-only file of signed checkpoints (outside the DB)

    @property
    def public(self) -> bytes:
        return public_key_bytes(self.private.public_key())

    @property
    def key_id(self) -> str:
        return key_hash(self.name, self.public).hex()

    @property
    def verifier(self) -> str:
        return verifier_key(self.name, self.public)


def log_origin(settings: Settings) -> str:
    host = urlsplit(settings.base_url).netloc or "localhost"
    return f"{host}/trace/{settings.province_code}"


def log_key(settings: Settings) -> LogKey:
    path = settings.trace_log_key_file or settings.var_dir / "trace-log-ed25519.pem"
    return LogKey(log_origin(settings), _load_key(str(Path(path).resolve())),
                  witness_file(settings))


def witness_file(settings: Settings) -> Path:
    """The witness: every signed checkpoint, appended as one JSON line after its commit.

    It lives outside the database, so that someone who can rewrite the tables (drop the tail
    of the log, its head and the newer checkpoints) cannot rewrite what was published.
    """
    return settings.var_dir / "trace" / "checkpoints.log"


def _witness_line(tree_size: int, root: bytes, note: str) -> str:
    return json.dumps({"tree_size": tree_size, "root_hash": root.hex(), "note": note},
                      ensure_ascii=False, sort_keys=True) + "\n"


def _queue_witness(session: Session, path: Path, line: str) -> None:
    """Append ``line`` to the witness once (and only if) the transaction commits."""
    pending: list[tuple[Path, str]] | None = session.info.get("trace_witness")
    if pending is None:
        pending = session.info["trace_witness"] = []
        sa_event.listen(session, "after_commit", _write_witness)
        sa_event.listen(session, "after_rollback", _drop_witness)
    pending.append((path, line))


def _write_witness(session: Session) -> None:
    pending: list[tuple[Path, str]] = session.info.get("trace_witness") or []
    for path, line in pending:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            with os.fdopen(descriptor, "a", encoding="utf-8") as out:
                out.write(line)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            # The capture is committed: say so loudly rather than answer an error for it. The
            # verifier only requires witnessed checkpoints to be in the database.
            _log.error("trace log witness %s not written: %s", path, exc)
    pending.clear()


def _drop_witness(session: Session) -> None:
    pending: list[tuple[Path, str]] = session.info.get("trace_witness") or []
    pending.clear()


def read_witness(path: Path | None) -> list[tuple[int, int, bytes, str]] | None:
    """(line number, tree size, root, note) of every witness line; None without a witness.

    A line that is not a checkpoint record comes back with tree size -1.
    """
    if path is None or not path.exists():
        return None
    out: list[tuple[int, int, bytes, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            out.append((number, int(record["tree_size"]), bytes.fromhex(record["root_hash"]),
                        str(record["note"])))
        except (ValueError, TypeError, KeyError):
            out.append((number, -1, b"", line))
    return out


@lru_cache(maxsize=8)
def _load_key(path: str) -> Ed25519PrivateKey:
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
    loaded = load_pem_private_key(file.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{file} is not an Ed25519 private key")
    return loaded


# ------------------------------------------------------------------------------------------
# Counters


def next_values(session: Session, name: str, count: int = 1) -> list[int]:
    """``count`` fresh values of a named sequence (1, 2, 3, …), locked for the transaction."""
    result: Any = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + count))
    updated = result.rowcount
    if not updated:
        session.execute(insert(Counter).values(name=name, value=count))
        last = count
    else:
        last = session.scalar(select(Counter.value).where(Counter.name == name)) or count
    return list(range(last - count + 1, last + 1))


# ------------------------------------------------------------------------------------------
# Appending events


@dataclass
class PreparedEvent:
    """A validated event ready to store: its final JSON text and the fields to index."""

    event_id: str
    content_hash: str
    document: str  # canonical JSON (the leaf data)
    indexed: IndexedEvent
    raw: dict[str, Any]
    namespaces: dict[str, str] = field(default_factory=dict)


def lock_head(session: Session) -> LogHead:
    """The log head, locked for this transaction (created on first use)."""
    now = dt.datetime.now(dt.UTC)
    result: Any = session.execute(
        update(LogHead).where(LogHead.id == 1).values(updated_at=now))
    locked = result.rowcount
    if not locked:
        session.execute(insert(LogHead).values(id=1, size=0, frontier=[], updated_at=now))
    head = session.get(LogHead, 1, populate_existing=True)
    assert head is not None
    return head


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def append(
    session: Session, events: Sequence[PreparedEvent], capture_id: str | None, key: LogKey,
    record_time: dt.datetime,
) -> list[int]:
    """Store ``events`` as the next leaves of the log; returns their leaf indexes."""
    if not events:
        return []
    head = lock_head(session)
    frontier = merkle.Frontier.from_json(head.size, head.frontier)
    first = head.size
    event_rows: list[dict[str, Any]] = []
    ref_rows: list[dict[str, Any]] = []
    edge_rows: list[dict[str, Any]] = []
    node_rows: list[dict[str, Any]] = []
    for offset, event in enumerate(events):
        index = first + offset
        leaf = merkle.leaf_hash(event.document.encode())
        for level, idx, value in frontier.append(leaf):
            if level % NODE_LEVEL_STEP == 0:
                node_rows.append({"level": level, "idx": idx, "hash": value})
        ix = event.indexed
        event_rows.append({
            "id": index, "event_id": event.event_id, "event_type": ix.event_type,
            "event_time": ix.event_time, "record_time": record_time, "action": ix.action,
            "biz_step": ix.biz_step, "disposition": ix.disposition,
            "read_point": ix.read_point, "biz_location": ix.biz_location,
            "transformation_id": ix.transformation_id,
            "has_error_declaration": ix.has_error_declaration,
            "content_hash": event.content_hash, "document": event.document,
            "namespaces": event.namespaces, "capture_id": capture_id, "leaf_hash": leaf,
        })
        ref_rows.extend(
            {"event_pk": index, "field": f, "value": v, "kind": k} for f, v, k in ix.refs
        )
        edge_rows.extend(
            {"src": s, "dst": d, "kind": kind, "event_pk": index, "event_time": ix.event_time}
            for s, d, kind in lineage_edges(event.raw, event.event_id)
        )
    # Core inserts (one executemany per table), not ORM bulk saves.
    session.execute(insert(_table(EpcisEvent)), event_rows)
    if ref_rows:
        session.execute(insert(_table(EventRef)), ref_rows)
    if edge_rows:
        session.execute(insert(_table(LineageEdge)), edge_rows)
    if node_rows:
        session.execute(insert(_table(LogNode)), node_rows)
    head.size = frontier.size
    head.frontier = frontier.to_json()
    root = frontier.root()
    note = sign_checkpoint(CheckpointText(key.name, frontier.size, root), key.private, key.name)
    session.execute(insert(Checkpoint).values(
        tree_size=frontier.size, root_hash=root, note=note, key_id=key.key_id,
        created_at=record_time,
    ))
    if key.witness is not None:
        _queue_witness(session, key.witness, _witness_line(frontier.size, root, note))
    session.flush()
    return list(range(first, first + len(events)))


# ------------------------------------------------------------------------------------------
# Hashes of ranges of the log, for proofs


class RangeHasher:
    """``range_hash(start, end)`` of the stored log, from stored nodes and leaf hashes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._leaves: dict[int, bytes] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}

    def _leaf_hashes(self, start: int, end: int) -> list[bytes]:
        missing = [i for i in range(start, end) if i not in self._leaves]
        if missing:
            rows = self.session.execute(
                select(EpcisEvent.id, EpcisEvent.leaf_hash)
                .where(EpcisEvent.id >= missing[0], EpcisEvent.id <= missing[-1])
            ).all()
            self._leaves.update((i, bytes(h)) for i, h in rows)
        try:
            return [self._leaves[i] for i in range(start, end)]
        except KeyError as exc:
            raise merkle.MerkleError(f"leaf {exc.args[0]} is missing from the log") from exc

    def _stored(self, level: int, first: int, count: int) -> list[bytes]:
        missing = [i for i in range(first, first + count) if (level, i) not in self._nodes]
        if missing:
            rows = self.session.execute(
                select(LogNode.idx, LogNode.hash).where(
                    LogNode.level == level, LogNode.idx >= missing[0],
                    LogNode.idx <= missing[-1])
            ).all()
            self._nodes.update(((level, i), bytes(h)) for i, h in rows)
        try:
            return [self._nodes[(level, i)] for i in range(first, first + count)]
        except KeyError as exc:
            raise merkle.MerkleError(f"node {exc.args[0]} is missing from the log") from exc

    def perfect(self, level: int, index: int) -> bytes:
        base = level - level % NODE_LEVEL_STEP
        width = 1 << (level - base)
        first = index << (level - base)
        if base == 0:
            hashes = self._leaf_hashes(first, first + width)
        else:
            hashes = self._stored(base, first, width)
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def __call__(self, start: int, end: int) -> bytes:
        n = end - start
        if n <= 0:
            return merkle.EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            return self.perfect(n.bit_length() - 1, start // n)
        k = merkle.largest_power_of_two_below(n)
        return merkle.node_hash(self(start, start + k), self(start + k, end))


# ------------------------------------------------------------------------------------------
# Reading back


def events_by_ids(session: Session, event_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """event_id → (leaf index, content hash) of the stored events among ``event_ids``."""
    ids = list(dict.fromkeys(event_ids))
    out: dict[str, tuple[int, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for pk, event_id, content in session.execute(
            select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.content_hash)
            .where(EpcisEvent.event_id.in_(chunk))
        ):
            out[event_id] = (pk, content)
    return out


INDEXED_COLUMNS = ("event_type", "event_time", "action", "biz_step", "disposition", "read_point",
            "biz_location", "transformation_id", "has_error_declaration")
# The indexed columns as the database holds them (no type conversion): a malformed value (an
# integer in ``event_time``) is then reported by the verifier instead of failing the read.
_RAW_COLUMNS = tuple(type_coerce(getattr(EpcisEvent, name), NullType()).label(name)
                     for name in INDEXED_COLUMNS)


def raw_time(value: Any) -> dt.datetime:
    """A datetime column read without conversion, as an aware UTC datetime (or ValueError)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise ValueError(f"not a date and time: {value!r}")
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def refs_of(session: Session, first: int, last: int) -> dict[int, list[tuple[Any, ...]]]:
    """event pk → its (field, value, kind) rows of the query index, for pks in a range."""
    out: dict[int, list[tuple[Any, ...]]] = {}
    for pk, name, value, kind in session.execute(
        select(EventRef.event_pk, EventRef.field, EventRef.value, EventRef.kind)
        .where(EventRef.event_pk >= first, EventRef.event_pk <= last)
    ):
        out.setdefault(pk, []).append((name, value, kind))
    return out


def lineage_of(session: Session, first: int, last: int) -> dict[int, list[tuple[Any, ...]]]:
    """event pk → its (src, dst, kind, raw event_time) lineage rows, for pks in a range."""
    out: dict[int, list[tuple[Any, ...]]] = {}
    for pk, src, dst, kind, time in session.execute(
        select(LineageEdge.event_pk, LineageEdge.src, LineageEdge.dst, LineageEdge.kind,
               type_coerce(LineageEdge.event_time, NullType()))
        .where(LineageEdge.event_pk >= first, LineageEdge.event_pk <= last)
    ):
        out.setdefault(pk, []).append((src, dst, kind, time))
    return out


def rows_beyond(session: Session, size: int) -> tuple[int | None, int | None]:
    """The smallest event pk outside ``0 … size-1`` in the query index and in the lineage."""
    ref = session.scalar(select(func.min(EventRef.event_pk)).where(
        or_(EventRef.event_pk >= size, EventRef.event_pk < 0)))
    edge = session.scalar(select(func.min(LineageEdge.event_pk)).where(
        or_(LineageEdge.event_pk >= size, LineageEdge.event_pk < 0)))
    return ref, edge


def iter_log(session: Session, batch: int = 5000) -> Iterator[Sequence[Any]]:
    """Every stored event in log order, in batches (for verification): id, event_id,
    document, leaf_hash, then the indexed columns raw (see ``INDEXED_COLUMNS``)."""
    last = -1
    while True:
        rows = session.execute(
            select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.document,
                   EpcisEvent.leaf_hash, *_RAW_COLUMNS)
            .where(EpcisEvent.id > last).order_by(EpcisEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def log_size(session: Session) -> int:
    head = session.get(LogHead, 1)
    return head.size if head is not None else 0


def checkpoint_for(session: Session, size: int | None = None) -> Checkpoint | None:
    stmt = select(Checkpoint)
    if size is not None:
        stmt = stmt.where(Checkpoint.tree_size == size)
    return session.scalar(stmt.order_by(Checkpoint.tree_size.desc()).limit(1))


def stored_nodes(session: Session) -> dict[tuple[int, int], bytes]:
    return {(level, idx): bytes(h) for level, idx, h in session.execute(
        select(LogNode.level, LogNode.idx, LogNode.hash))}


__all__ = [
    "INDEXED_COLUMNS",
    "NODE_LEVEL_STEP",
    "LogKey",
    "PreparedEvent",
    "RangeHasher",
    "append",
    "checkpoint_for",
    "events_by_ids",
    "iter_log",
    "lineage_of",
    "lock_head",
    "log_key",
    "log_origin",
    "log_size",
    "next_values",
    "raw_time",
    "read_witness",
    "refs_of",
    "rows_beyond",
    "stored_nodes",
    "witness_file",
]
