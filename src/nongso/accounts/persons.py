"""A person's data on request (Decree 13/2023/NĐ-CP): an administrator exports everything the
platform holds about a farmer (the register's record, its production units, the user accounts
linked to it, the audit entries about them) and erases it.

Erasure anonymises, it does not delete: the farmer's row keeps its id, commune and
co-operative, so plots, seasons, harvests, statistics and the lots' traceability (which refer
to the farmer by id and name organisations and plots, never the person) stay intact. The
name becomes "Nông hộ đã xoá dữ liệu #id"; phone, national ID, e-mail go; linked accounts are
renamed ``erased-<id>``, deactivated, and their tokens and sessions end; log-in attempts
follow the new name; subscriptions forget their e-mail or phone (:class:`PersonErased`). The
audit trail keeps every entry, with the erased values replaced by ``[đã xoá / erased]``, and
the erasure itself is an audit entry that names the fields, never their values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from nongso.accounts.models import ApiToken, LoginAttempt, User, UserSession
from nongso.core import audit, events
from nongso.core.audit import AuditEntry
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry


def _accounts(uow: UnitOfWork, farmer_id: int) -> list[User]:
    return list(uow.session.scalars(select(User).where(User.farmer_id == farmer_id)
                                    .order_by(User.id)).all())


def export_person(uow: UnitOfWork, farmer_id: int) -> dict[str, Any]:
    """Everything held about the farmer, as JSON (administrators)."""
    require_role(uow.principal)
    with uow:
        data = registry.farmer_personal_data(uow, farmer_id)
        users = _accounts(uow, farmer_id)
        data["accounts"] = [
            {"id": u.id, "username": u.username, "full_name": u.full_name, "email": u.email,
             "phone": u.phone, "role": u.role, "language": u.language,
             "is_active": u.is_active, "created_at": u.created_at.isoformat()} for u in users]
        ids = [u.id for u in users]
        clauses: list[Any] = [(AuditEntry.entity == "farmers")
                              & (AuditEntry.entity_id == str(farmer_id))]
        if ids:
            clauses.append((AuditEntry.entity == "users")
                           & AuditEntry.entity_id.in_([str(i) for i in ids]))
            clauses.append(AuditEntry.actor_user_id.in_(ids))
        entries = uow.session.scalars(select(AuditEntry).where(or_(*clauses))
                                      .order_by(AuditEntry.id).limit(10_000)).all()
        data["audit"] = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                          "entity": e.entity, "entity_id": e.entity_id, "before": e.before,
                          "after": e.after} for e in entries]
        audit.record(uow.session, "export", "farmers", str(farmer_id),
                     {"accounts": ids})
        uow.commit()
        return data


def erase_person(uow: UnitOfWork, farmer_id: int) -> dict[str, Any]:
    """Anonymise the farmer and the accounts linked to it (administrators); see the module."""
    require_role(uow.principal)
    with uow:
        s = uow.session
        secrets = registry.anonymise_farmer(uow, farmer_id)
        users = _accounts(uow, farmer_id)
        ids = tuple(u.id for u in users)
        for u in users:
            new_name = f"erased-{u.id}"
            secrets += [v for v in (u.username, u.full_name, u.email, u.phone)
                        if v and v not in (new_name, registry.erased_name(farmer_id))]
            s.execute(update(LoginAttempt).where(LoginAttempt.username == u.username)
                      .values(username=new_name))
            s.execute(update(User).where(User.id == u.id).values(
                username=new_name, full_name=registry.erased_name(farmer_id), email=None,
                phone=None, is_active=False))
            s.expire(u)
        if ids:
            s.execute(update(ApiToken).where(ApiToken.user_id.in_(ids)).values(revoked=True))
            s.execute(delete(UserSession).where(UserSession.user_id.in_(ids)))
        events.publish(uow, events.PersonErased(farmer_id=farmer_id, user_ids=ids))
        redacted = audit.redact(
            s, secrets, entities=[("farmers", farmer_id), *(("users", i) for i in ids)],
            actor_user_ids=ids,
            keys=("full_name", "phone", "national_id", "username", "email"))
        fields = ["full_name", "phone", "national_id"]
        if ids:
            fields += ["accounts.username", "accounts.full_name", "accounts.email",
                       "accounts.phone"]
        audit.record(s, "erase", "farmers", str(farmer_id),
                     {"fields": fields, "accounts": list(ids), "audit_entries_redacted":
                      redacted})
        uow.commit()
        return {"farmer_id": farmer_id, "accounts": list(ids), "fields": fields,
                "audit_entries_redacted": redacted}
