"""The audit log: every change to an audited table (who, when, what, before/after).

Changes are captured automatically at flush time from the ORM's attribute history, in the same
transaction as the change, so a rolled-back use case leaves no audit row either.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, and_, event, insert, inspect, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from nongso.core.db import Base, utcnow


class Audited:
    """Mixin: changes to this model are written to the audit log."""

    __audit_exclude__: frozenset[str] = frozenset()


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))  # create, update, delete, or a verb
    entity: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _columns(obj: Any) -> list[str]:
    exclude: frozenset[str] = getattr(obj, "__audit_exclude__", frozenset())
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key not in exclude]


def _snapshot(obj: Any) -> dict[str, Any]:
    return {k: _jsonable(getattr(obj, k)) for k in _columns(obj)}


def _entity_id(obj: Any) -> str:
    ident = inspect(obj).identity
    if ident:
        return ",".join(str(i) for i in ident)
    return str(getattr(obj, "id", "?"))


def _actor(session: Session) -> tuple[int | None, str]:
    principal = session.info.get("principal")
    if principal is None:
        return None, "system"
    return principal.user_id, principal.label()


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context: Any) -> None:
    rows: list[dict[str, Any]] = []
    user_id, actor = _actor(session)
    now = utcnow()
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append(dict(action="create", before=None, after=_snapshot(obj), obj=obj))
    for obj in session.dirty:
        if not isinstance(obj, Audited) or not session.is_modified(obj):
            continue
        state = inspect(obj)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for key in _columns(obj):
            hist = state.attrs[key].history
            if hist.has_changes():
                before[key] = _jsonable(hist.deleted[0]) if hist.deleted else None
                after[key] = _jsonable(hist.added[0]) if hist.added else None
        if after:
            rows.append(dict(action="update", before=before, after=after, obj=obj))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append(dict(action="delete", before=_snapshot(obj), after=None, obj=obj))
    if not rows:
        return
    values = [
        {
            "at": now,
            "actor_user_id": user_id,
            "actor": actor,
            "action": r["action"],
            "entity": type(r["obj"]).__tablename__,
            "entity_id": _entity_id(r["obj"]),
            "before": r["before"],
            "after": r["after"],
        }
        for r in rows
    ]
    session.connection().execute(insert(AuditEntry), values)


def record(session: Session, action: str, entity: str, entity_id: str,
           detail: dict[str, Any] | None = None) -> None:
    """Record an action that is not a row change (a login, a bulk import, a demo build)."""
    user_id, actor = _actor(session)
    session.add(
        AuditEntry(
            actor_user_id=user_id, actor=actor, action=action, entity=entity,
            entity_id=entity_id, before=None, after=detail,
        )
    )


ERASED = "[đã xoá / erased]"


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, ERASED)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def redact(session: Session, secrets: Any, *, entities: Any = (),
           actor_user_ids: Any = (), keys: Any = ()) -> int:
    """Erase a person's values from the audit trail (Decree 13/2023/NĐ-CP) without losing
    the trail: in the entries about ``entities`` ((table, id) pairs) and those acted by
    ``actor_user_ids``, every occurrence of a value in ``secrets`` (before, after, the actor's
    label, the entity id of a failed log-in) becomes :data:`ERASED`. The values those entries
    held under ``keys`` (earlier names, phones…) are erased too. Returns the number of entries
    changed."""
    clauses: list[Any] = [and_(AuditEntry.entity == e, AuditEntry.entity_id == str(i))
                          for e, i in entities]
    ids = list(actor_user_ids)
    if ids:
        clauses.append(AuditEntry.actor_user_id.in_(ids))
    found = {str(v) for v in secrets if v}
    names = [str(v) for v in found]
    if names:
        clauses.append(and_(AuditEntry.entity == "users", AuditEntry.entity_id.in_(names)))
    if not clauses:
        return 0
    entries = session.scalars(select(AuditEntry).where(or_(*clauses))).all()
    pairs = {(e, str(i)) for e, i in entities}
    for entry in entries:
        if (entry.entity, entry.entity_id) in pairs:
            for snap in (entry.before, entry.after):
                if isinstance(snap, dict):
                    found.update(str(snap[k]) for k in keys if snap.get(k))
    wanted = tuple(sorted((v for v in found if len(v) >= 3 and v != ERASED),
                          key=len, reverse=True))
    if not wanted:
        return 0
    changed = 0
    for entry in entries:
        new = (_scrub(entry.before, wanted), _scrub(entry.after, wanted),
               _scrub(entry.actor, wanted), _scrub(entry.entity_id, wanted))
        if new != (entry.before, entry.after, entry.actor, entry.entity_id):
            entry.before, entry.after, entry.actor, entry.entity_id = new
            changed += 1
    return changed
