"""Versioned history of map features: the ``registry_versions`` table
(:class:`FeatureVersion`) and the session hooks that write a row to it on every change.

Models that inherit :class:`Versioned` get, at flush time and in the same transaction:

* a new row ``change="create"`` (version 1) when inserted;
* on a meaningful update (any column except the derived ``flags``, ``updated_at``,
  ``version``, ``search_key``) the current version is closed (``valid_to``) and a new one is
  opened; the row's ``version`` counter is incremented;
* on delete the current version is closed and a ``change="delete"`` marker is added.

A version is valid from ``valid_from`` (the *effective* time of the change: by default now,
or what the use case set with :func:`set_effective`) until the next version's ``valid_from``.
"As of t" is then ``valid_from <= t AND (valid_to IS NULL OR valid_to > t)``.

Bulk loaders that insert rows with ``insert()`` (the demo, file imports) bypass the ORM and call
:func:`bulk_versions` themselves.

This module imports no other registry module but :mod:`nongso.registry.extents` (the models
import the :class:`Versioned` mixin from here; the version table lives here too), so that
``models → versioning`` is not a cycle.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from nongso.core import clock
from nongso.core.db import Base, utcnow
from nongso.registry import extents

VERSION_COLUMNS = ("kind", "code", "name", "commune_code", "province_code", "crop", "status",
                   "organisation_id")
_NOT_PROPERTIES = frozenset({"geometry", "min_lon", "min_lat", "max_lon", "max_lat",
                             "search_key", "version", "flags"})
_DERIVED = frozenset({"flags", "updated_at", "version", "search_key"})
_EFFECTIVE = "registry_effective"
_PENDING = "registry_versions_pending"


class Versioned:
    """Mixin: changes to this model are kept as versions (see the module docstring).

    ``__versioned_collection__`` names the feature's collection in the versions table; it is
    the model's table name."""

    __versioned_collection__: ClassVar[str] = ""


class FeatureVersion(Base):
    """One version of a map feature, valid from ``valid_from`` until ``valid_to`` (exclusive).

    The current version has ``valid_to`` NULL. A deletion closes the current version and adds a
    ``change="delete"`` row with an empty interval. Never updated except to close a version.
    """

    __tablename__ = "registry_versions"
    __table_args__ = (
        UniqueConstraint("collection", "feature_id", "version",
                         name="uq_registry_versions_feature_version"),
        Index("ix_registry_versions_asof", "collection", "valid_from", "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection: Mapped[str] = mapped_column(String(30))
    feature_id: Mapped[int] = mapped_column(index=True)
    version: Mapped[int]
    change: Mapped[str] = mapped_column(String(10))  # create, update, delete
    kind: Mapped[str | None] = mapped_column(String(30))
    code: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str | None] = mapped_column(String(300))
    commune_code: Mapped[str | None] = mapped_column(String(10), index=True)
    province_code: Mapped[str | None] = mapped_column(String(10))
    crop: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(20))
    organisation_id: Mapped[int | None]
    geometry: Mapped[str | None] = mapped_column(Text)
    min_lon: Mapped[float | None]
    min_lat: Mapped[float | None]
    max_lon: Mapped[float | None]
    max_lat: Mapped[float | None]
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    valid_from: Mapped[dt.datetime]
    valid_to: Mapped[dt.datetime | None]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200), default="system")


def set_effective(session: Session, when: dt.datetime | None) -> None:
    """The effective time of the changes flushed next in this session (None: now)."""
    if when is None:
        session.info.pop(_EFFECTIVE, None)
    else:
        if when.tzinfo is None:
            raise ValueError("the effective time must be timezone-aware")
        session.info[_EFFECTIVE] = when


def _effective(session: Session) -> dt.datetime:
    when: dt.datetime | None = session.info.get(_EFFECTIVE)
    return when if when is not None else clock.now()


def _actor(session: Session) -> str:
    principal = session.info.get("principal")
    return "system" if principal is None else str(principal.label())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def values_of(obj: Any) -> dict[str, Any]:
    """The column values of an ORM object."""
    return {a.key: getattr(obj, a.key) for a in inspect(obj).mapper.column_attrs}


def version_row(
    collection: str, values: Mapping[str, Any], *, version: int, change: str,
    valid_from: dt.datetime, actor: str, recorded_at: dt.datetime,
) -> dict[str, Any]:
    """The ``registry_versions`` row of a feature's state given by its column values."""
    geometry = values.get("geometry")
    bbox: tuple[Any, Any, Any, Any] = (
        values.get("min_lon"), values.get("min_lat"), values.get("max_lon"), values.get("max_lat"))
    if "geometry" not in values and values.get("lon") is not None and values.get("lat") is not None:
        lon, lat = float(values["lon"]), float(values["lat"])
        geometry = json.dumps({"type": "Point", "coordinates": [lon, lat]})
        bbox = (lon, lat, lon, lat)
    row: dict[str, Any] = {c: values.get(c) for c in VERSION_COLUMNS}
    if row["kind"] is None and values.get("soil_type") is not None:
        row["kind"] = values["soil_type"]
    row.update(
        collection=collection, feature_id=values["id"], version=version, change=change,
        geometry=geometry, min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3],
        properties={k: _jsonable(v) for k, v in values.items() if k not in _NOT_PROPERTIES},
        valid_from=valid_from, valid_to=valid_from if change == "delete" else None,
        recorded_at=recorded_at, actor=actor,
    )
    if change == "delete":
        row.update(geometry=None, min_lon=None, min_lat=None, max_lon=None, max_lat=None)
    return row


def bulk_versions(
    session: Session, collection: str, rows: Iterable[Mapping[str, Any]],
    valid_from: dt.datetime | Callable[[Mapping[str, Any]], dt.datetime] | None = None,
    valid_to: dt.datetime | None = None,
) -> int:
    """Write the versions of rows inserted in bulk (with their ids and ``version``); returns
    how many. ``valid_from`` is one time or a function of the row; ``valid_to`` closes them
    (an earlier version of a feature). The collection's table is noted as changed: its cached
    extents are forgotten when the session commits."""
    extents.mark_changed(session, collection)
    default = _effective(session)
    now = clock.now()
    actor = _actor(session)
    batch: list[dict[str, Any]] = []
    count = 0
    for values in rows:
        when = valid_from(values) if callable(valid_from) else (valid_from or default)
        row = version_row(collection, values, version=int(values.get("version") or 1),
                          change="create" if int(values.get("version") or 1) == 1 else "update",
                          valid_from=when, actor=actor, recorded_at=now)
        row["valid_to"] = valid_to
        batch.append(row)
        if len(batch) >= 5000:
            session.execute(insert(FeatureVersion), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(FeatureVersion), batch)
        count += len(batch)
    return count


def _meaningful(session: Session, obj: Any) -> bool:
    if not session.is_modified(obj, include_collections=False):
        return False
    state = inspect(obj)
    return any(
        state.attrs[a.key].history.has_changes()
        for a in state.mapper.column_attrs if a.key not in _DERIVED
    )


def _soft_deleted(obj: Any) -> bool:
    state = inspect(obj)
    if "status" not in state.attrs:
        return False
    hist = state.attrs["status"].history
    return bool(hist.added) and hist.added[0] == "deleted"


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    pending: list[tuple[Any, str, int]] = session.info.setdefault(_PENDING, [])
    now = clock.now()
    for obj in session.new:
        if isinstance(obj, Versioned):
            obj.version = 1  # type: ignore[attr-defined]
            obj.updated_at = now  # type: ignore[attr-defined]
            pending.append((obj, "create", 1))
    for obj in session.dirty:
        if isinstance(obj, Versioned) and _meaningful(session, obj):
            version = int(obj.version or 1) + 1  # type: ignore[attr-defined]
            obj.version = version  # type: ignore[attr-defined]
            obj.updated_at = now  # type: ignore[attr-defined]
            pending.append((obj, "delete" if _soft_deleted(obj) else "update", version))
    for obj in session.deleted:
        if isinstance(obj, Versioned):
            pending.append((obj, "delete", int(obj.version or 1) + 1))  # type: ignore[attr-defined]


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: Any) -> None:
    pending: list[tuple[Any, str, int]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    when = _effective(session)
    now = clock.now()
    actor = _actor(session)
    conn = session.connection()
    created = [(type(o).__versioned_collection__, o.id) for o, c, _ in pending if c == "create"]
    # On SQLite an id freed by a hard delete can be given again: continue its version numbers.
    previous: dict[tuple[str, int], int] = {}
    if created:
        for collection in {c for c, _ in created}:
            ids = [i for c, i in created if c == collection]
            for start in range(0, len(ids), 500):
                previous.update(
                    ((collection, fid), int(v)) for fid, v in conn.execute(
                        select(FeatureVersion.feature_id, func.max(FeatureVersion.version))
                        .where(FeatureVersion.collection == collection,
                               FeatureVersion.feature_id.in_(ids[start:start + 500]))
                        .group_by(FeatureVersion.feature_id)
                    )
                )
    rows: list[dict[str, Any]] = []
    for obj, change, version in pending:
        collection = type(obj).__versioned_collection__
        values = values_of(obj)
        if change != "create":
            conn.execute(
                update(FeatureVersion)
                .where(and_(FeatureVersion.collection == collection,
                            FeatureVersion.feature_id == values["id"],
                            FeatureVersion.valid_to.is_(None)))
                .values(valid_to=when)
            )
        elif previous.get((collection, values["id"])):
            version += previous[(collection, values["id"])]
            table = inspect(obj).mapper.local_table
            conn.execute(update(table).where(table.c.id == values["id"]).values(version=version))
            set_committed_value(obj, "version", version)
            values["version"] = version
        rows.append(version_row(collection, values, version=version, change=change,
                                valid_from=when, actor=actor, recorded_at=now))
    conn.execute(insert(FeatureVersion), rows)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
