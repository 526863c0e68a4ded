"""What still refers to a record: a delete that would break a foreign key is a 409 that names
the referring tables, checked before the database refuses it.

The tables are read from the declarative metadata (every domain's models share it), so core
needs to know no domain: any foreign key that points at the record's table and neither
cascades nor sets null counts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nongso.core.errors import Conflict


def references_to(session: Session, row: Any) -> list[tuple[str, int]]:
    """``(table, rows)`` of every table whose foreign keys still point at ``row``."""
    table = row.__table__
    found: list[tuple[str, int]] = []
    for other in table.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table or (fk.ondelete or "").upper() in (
                    "CASCADE", "SET NULL"):
                continue
            if other is table and fk.parent.key == fk.column.key:
                continue
            value = getattr(row, fk.column.key)
            count = session.scalar(
                select(func.count()).select_from(other).where(fk.parent == value)) or 0
            if count:
                found.append((other.name, count))
    return sorted(found)


def ensure_unreferenced(session: Session, row: Any, what_vi: str, what_en: str) -> None:
    """Raise :class:`Conflict` (409) naming what still refers to ``row``."""
    refs = references_to(session, row)
    if not refs:
        return
    listed = ", ".join(f"{name} ({count})" for name, count in refs)
    raise Conflict(
        f"Không xoá được {what_vi}: còn được tham chiếu bởi {listed}.",
        f"The {what_en} cannot be deleted: it is still referred to by {listed}.",
        extra={"referenced_by": [{"table": name, "rows": count} for name, count in refs]},
    )
