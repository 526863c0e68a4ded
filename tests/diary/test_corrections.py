"""Correcting and deleting a diary record: only its author (or the co-op manager) may, every
change is in the audit log, and traceability follows (a corrected harvest recounts its lot, a
deleted one withdraws it; produce already processed or sold cannot be deleted, and the refusal
names what used it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from nongso.core.audit import AuditEntry
from nongso.core.permissions import Principal
from nongso.diary import services
from nongso.diary.schemas import ActivityCreate, ProcessingOutput, ProcessingSource
from nongso.trace.models import Lot
from tests.diary.conftest import Diary


def _audit(d: Diary, activity_id: int) -> list[str]:
    with d.platform.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "diary_activities", AuditEntry.entity_id == str(activity_id))
            .order_by(AuditEntry.id)).all())


def _lot(d: Diary, activity_id: int) -> tuple[float | None, str]:
    with d.platform.uow() as uow:
        lot = uow.session.scalars(select(Lot).where(Lot.source == f"diary:{activity_id}")).one()
        return lot.quantity, lot.status


def test_correct_and_delete_are_audited_and_reach_traceability(diary: Diary) -> None:
    a = diary.actors
    farmer = a.headers("farmer_a")
    url = "/api/v1/diary/activities"
    r = a.client.post(url, headers=farmer, json={
        "season_id": diary.season_a.id, "kind": "harvest", "at": "2026-03-12T08:00",
        "quantity": 5000, "unit": "kg"})
    assert r.status_code == 201, r.text
    harvest = r.json()
    assert _lot(diary, harvest["id"]) == (5000, "active")

    # Another farmer can neither correct nor delete it.
    other = a.headers("buyer")
    assert a.client.patch(f"{url}/{harvest['id']}", headers=other,
                          json={"quantity": 1}).status_code in (403, 404)
    assert a.client.delete(f"{url}/{harvest['id']}", headers=other).status_code in (403, 404)

    # The author corrects the harvest: audited, and the lot is recounted.
    logged = _audit(diary, harvest["id"])
    assert logged[0] == "create"
    r = a.client.patch(f"{url}/{harvest['id']}", headers=farmer, json={
        "base_version": harvest["version"], "quantity": 4800})
    assert r.status_code == 200, r.text
    assert _lot(diary, harvest["id"]) == (4800, "active")
    added = _audit(diary, harvest["id"])[len(logged):]
    assert added and set(added) == {"update"}, added

    # The co-op dries it: the harvest can no longer be deleted; the refusal names the drying.
    coop = diary.platform.uow(Principal(role="coop_manager", user_id=a.users["coop_a"],
                                        username="t_coop_a", organisation_id=a.coop_a.id))
    drying, _ = services.create_activity(coop, ActivityCreate(
        organisation_id=a.coop_a.id, kind="drying", at=dt.datetime(2026, 3, 14, 8),
        sources=[ProcessingSource(activity_id=harvest["id"], quantity_kg=4800)],
        outputs=[ProcessingOutput(product="lúa khô", quantity_kg=4100, is_main=True)]))
    r = a.client.delete(f"{url}/{harvest['id']}", headers=farmer)
    assert r.status_code == 409, r.text
    assert f"#{drying.id} Phơi sấy 14/03/2026" in r.json()["detail"]
    assert _lot(diary, harvest["id"]) == (4800, "active")

    # Once the drying is deleted (by the co-op manager who recorded it), the harvest can go:
    # both deletions are audited and the harvest's lot is withdrawn, not erased.
    assert a.client.delete(f"{url}/{drying.id}", headers=a.headers("coop_a")).status_code == 204
    assert a.client.delete(f"{url}/{harvest['id']}", headers=farmer).status_code == 204
    assert _audit(diary, harvest["id"])[-1] == "delete"
    assert _audit(diary, drying.id)[-1] == "delete"
    assert _lot(diary, harvest["id"]) == (4800, "withdrawn")
    assert a.client.get(f"{url}/{harvest['id']}", headers=farmer).status_code == 404
