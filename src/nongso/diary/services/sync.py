"""The phone's queue of offline changes, applied one by one: duplicates recognised by
their client UUID, conflicts (an edit from an older version) returned with the server's copy.
"""

from __future__ import annotations

from sqlalchemy import select

from nongso.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nongso.core.permissions import require_login
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Activity
from nongso.diary.schemas import ActivityUpdate, SyncError, SyncItem, SyncRequest, SyncResult
from nongso.diary.services._common import _can_read, _invalid
from nongso.diary.services.activities import (
    _activity_publics,
    _conflict,
    _create_activity,
    _delete_activity,
    _update_activity,
)


def sync(uow: UnitOfWork, request: SyncRequest, lang: str = "vi") -> SyncResult:
    """Apply a phone's queue of offline changes, one result per change.

    A create whose client UUID is already known is a duplicate (the first record is
    returned); an update or delete made from an older version than the server's is a
    conflict and is not applied: the server copy is returned so the user can choose.
    Invalid changes are reported and not applied; the others are.
    """
    require_login(uow.principal)
    items: list[SyncItem] = []
    with uow:
        s = uow.session
        for op in request.ops:
            key = str(op.client_uuid)
            try:
                if op.op == "create":
                    if op.create is None:
                        raise _invalid("create", "Thiếu dữ liệu tạo mới.", "Missing 'create'.")
                    op.create.client_uuid = op.client_uuid
                    activity, created = _create_activity(uow, op.create)
                    items.append(SyncItem(
                        client_uuid=key, op=op.op, status="applied" if created else "duplicate",
                        activity=_activity_publics(uow, [activity], lang)[0]))
                    continue
                current = s.scalar(select(Activity).where(Activity.client_uuid == key))
                if current is None or not _can_read(uow.principal, current):
                    if op.op == "delete":
                        items.append(SyncItem(client_uuid=key, op=op.op, status="duplicate"))
                        continue
                    items.append(SyncItem(
                        client_uuid=key, op=op.op, status="conflict",
                        message="Bản ghi đã bị xoá trên máy chủ." if lang == "vi"
                        else "The record was deleted on the server."))
                    continue
                base = op.base_version if op.base_version is not None else (
                    op.update.base_version if op.update else None)
                if base is not None and base != current.version:
                    err = _conflict(current, base)
                    items.append(SyncItem(client_uuid=key, op=op.op, status="conflict",
                                          message=err.message(lang),
                                          server=_activity_publics(uow, [current], lang)[0]))
                    continue
                if op.op == "delete":
                    _delete_activity(uow, current)
                    items.append(SyncItem(client_uuid=key, op=op.op, status="applied"))
                    continue
                change = op.update or ActivityUpdate()
                change.base_version = None
                updated = _update_activity(uow, current, change)
                items.append(SyncItem(client_uuid=key, op=op.op, status="applied",
                                      activity=_activity_publics(uow, [updated], lang)[0]))
            except (ValidationFailed, NotFound, Conflict, PermissionDenied) as exc:
                items.append(SyncItem(
                    client_uuid=key, op=op.op, status="error", message=exc.message(lang),
                    errors=[SyncError(**e.as_dict(lang)) for e in exc.errors]))
        uow.commit()
    return SyncResult(items=items, applied=sum(1 for i in items if i.status == "applied"),
                      conflicts=sum(1 for i in items if i.status == "conflict"),
                      errors=sum(1 for i in items if i.status == "error"))
