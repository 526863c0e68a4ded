"""A violation travels with the lot: a harvest after a banned spray (inside its pre-harvest
interval) is refused until confirmed, then becomes a lot held for inspection ("chờ kiểm tra"),
whose consumer page says so; only an inspector releases it, as an EPCIS event and in the
audit log; what is made from a held lot is held too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nongso.core.audit import AuditEntry
from nongso.trace.models import Lot
from tests.diary.conftest import Diary
from tests.helpers import assert_problem

API = "/api/v1/diary"
HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def _post(d: Diary, body: dict[str, Any], who: str = "farmer_a") -> Any:
    return d.actors.client.post(f"{API}/activities", json=body, headers=d.actors.headers(who))


def _lot(d: Diary, activity_id: int) -> Lot:
    with d.platform.uow() as uow:
        lot = uow.session.scalars(select(Lot).where(Lot.source == f"diary:{activity_id}")).one()
        uow.session.expunge(lot)
        return lot


def _events(d: Diary, lot: Lot) -> list[dict[str, Any]]:
    r = d.actors.client.get("/epcis/events", params={"MATCH_anyEPCClass": lot.epc_class},
                            headers=d.actors.headers("inspector"))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"]
    return found


def test_a_banned_spray_then_harvest_makes_a_held_lot(diary: Diary) -> None:
    d = diary
    spray = {"season_id": d.season_a.id, "kind": "spraying", "at": "2026-03-10T07:00:00+07:00",
             "inputs": [{"input_id": d.carbendazim.id, "quantity": 1, "unit": "L"}]}
    assert_problem(_post(d, spray), 409)
    assert _post(d, {**spray, "confirm_flags": True}).status_code == 201
    harvest = {"season_id": d.season_a.id, "kind": "harvest", "at": "2026-03-10T15:00:00+07:00",
               "quantity": 7000, "unit": "kg"}
    problem = assert_problem(_post(d, harvest), 409)
    assert [f["rule_id"] for f in problem["flags"]] == ["pre-harvest-interval"]
    saved = _post(d, {**harvest, "confirm_flags": True})
    assert saved.status_code == 201 and saved.json()["flags"] == ["pre-harvest-interval"]
    lot = _lot(d, saved.json()["id"])
    assert lot.status == "held" and "carbendazim" in (lot.status_reason or "").lower()
    hold = [e for e in _events(d, lot) if e.get("bizStep") == "holding"]
    assert len(hold) == 1 and hold[0]["disposition"] == "non_sellable_other"
    # The consumer page says so plainly.
    page = d.actors.client.get(f"/01/{lot.gtin}/10/{lot.lot_code}", headers=HTML)
    assert page.status_code == 200 and 'id="held-warning"' in page.text
    assert "chờ kiểm tra" in page.text.lower()
    # Inspectors' pages list it.
    overview = d.actors.client.get("/trace", headers=d.actors.headers("inspector"))
    assert f'data-lot="{lot.id}"' in overview.text
    # What is made from it is held too.
    drying = _post(d, {"organisation_id": d.actors.coop_a.id, "kind": "drying",
                       "at": "2026-03-11T08:00:00+07:00",
                       "sources": [{"activity_id": saved.json()["id"], "quantity_kg": 7000}],
                       "outputs": [{"product": "lúa khô", "quantity_kg": 6000}]}, who="coop_a")
    assert drying.status_code == 201, drying.text
    assert _lot(d, drying.json()["id"]).status == "held"
    # The co-op cannot release its own held lot; the inspector can.
    status = f"/api/v1/trace/lots/{lot.id}/status"
    body = {"status": "active", "reason": "Mẫu kiểm nghiệm không phát hiện dư lượng"}
    assert_problem(d.actors.client.post(status, json=body,
                                        headers=d.actors.headers("coop_a")), 403)
    r = d.actors.client.post(status, json=body, headers=d.actors.headers("inspector"))
    assert r.status_code == 200 and r.json()["status"] == "active"
    released = [e for e in _events(d, lot) if e.get("bizStep") == "inspecting"]
    assert len(released) == 1 and released[0]["disposition"] == "conformant"
    with d.platform.uow() as uow:
        audit = uow.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "trace_lots", AuditEntry.entity_id == str(lot.id))).all()
        assert [(a.after or {}).get("to") for a in audit if a.action == "lot_status"] == [
            "active"]


def test_a_clean_harvest_is_in_circulation_and_a_withdrawn_lot_says_so(diary: Diary) -> None:
    d = diary
    saved = _post(d, {"season_id": d.season_a.id, "kind": "harvest",
                      "at": "2026-03-20T08:00:00+07:00", "quantity": 7000, "unit": "kg"})
    assert saved.status_code == 201 and saved.json()["flags"] == []
    lot = _lot(d, saved.json()["id"])
    assert lot.status == "active"
    # An inspector withdraws it from its page.
    page = d.actors.client.get(f"/trace/lots/{lot.id}", headers=d.actors.headers("inspector"))
    assert 'id="lot-status-form"' in page.text
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = d.actors.client.post(f"/trace/lots/{lot.id}/status", headers=d.actors.headers(
        "inspector"), data={"csrf": csrf, "status": "withdrawn", "reason": "Sai nhãn"},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    consumer = d.actors.client.get(f"/01/{lot.gtin}/10/{lot.lot_code}", headers=HTML)
    assert consumer.status_code == 410 and "rút lại" in consumer.text


def test_a_violation_recorded_after_the_lot_exists_puts_it_and_its_products_on_hold(
        diary: Diary) -> None:
    d = diary
    harvest = _post(d, {"season_id": d.season_a.id, "kind": "harvest",
                        "at": "2026-03-20T08:00:00+07:00", "quantity": 7000, "unit": "kg"})
    assert harvest.status_code == 201 and harvest.json()["flags"] == []
    lot = _lot(d, harvest.json()["id"])
    assert lot.status == "active"
    drying = _post(d, {"organisation_id": d.actors.coop_a.id, "kind": "drying",
                       "at": "2026-03-21T08:00:00+07:00",
                       "sources": [{"activity_id": harvest.json()["id"], "quantity_kg": 7000}],
                       "outputs": [{"product": "lúa khô", "quantity_kg": 6000}]}, who="coop_a")
    assert drying.status_code == 201, drying.text
    dried = _lot(d, drying.json()["id"])
    assert dried.status == "active"
    # A banned spray before the harvest, written in the diary afterwards.
    spray = {"season_id": d.season_a.id, "kind": "spraying", "at": "2026-03-15T07:00:00+07:00",
             "inputs": [{"input_id": d.carbendazim.id, "quantity": 1, "unit": "L"}]}
    assert_problem(_post(d, spray), 409)
    assert _lot(d, harvest.json()["id"]).status == "active"  # refused: nothing changed
    assert _post(d, {**spray, "confirm_flags": True}).status_code == 201
    for held in (_lot(d, harvest.json()["id"]), _lot(d, drying.json()["id"])):
        assert held.status == "held", held.lot_code
        assert "carbendazim" in (held.status_reason or "").lower()
        hold = [e for e in _events(d, held) if e.get("bizStep") == "holding"]
        assert len(hold) == 1 and hold[0]["disposition"] == "non_sellable_other"
        page = d.actors.client.get(f"/01/{held.gtin}/10/{held.lot_code}", headers=HTML)
        assert page.status_code == 200 and 'id="held-warning"' in page.text
        assert "chờ kiểm tra" in page.text.lower()
    with d.platform.uow() as uow:
        audit = uow.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "trace_lots", AuditEntry.action == "lot_status",
            AuditEntry.entity_id.in_([str(lot.id), str(dried.id)]))).all()
        assert sorted((a.entity_id, (a.after or {}).get("to")) for a in audit) == sorted(
            [(str(lot.id), "held"), (str(dried.id), "held")])


def test_a_harvest_moved_into_a_pre_harvest_interval_holds_its_lot(diary: Diary) -> None:
    d = diary
    spray = {"season_id": d.season_a.id, "kind": "spraying", "at": "2026-03-01T07:00:00+07:00",
             "inputs": [{"input_id": d.carbendazim.id, "quantity": 1, "unit": "L"}]}
    assert _post(d, {**spray, "confirm_flags": True}).status_code == 201
    # A harvest recorded before the spray: its backward trace is clean.
    harvest = _post(d, {"season_id": d.season_a.id, "kind": "harvest",
                        "at": "2026-02-25T08:00:00+07:00", "quantity": 7000, "unit": "kg"})
    assert harvest.status_code == 201, harvest.text
    lot = _lot(d, harvest.json()["id"])
    assert lot.status == "active"  # the spray came after this harvest
    # Corrected: the harvest was in fact on the day of the spray.
    a = harvest.json()
    r = d.actors.client.patch(f"{API}/activities/{a['id']}", json={
        "at": "2026-03-01T15:00:00+07:00", "base_version": a["version"],
        "confirm_flags": True}, headers=d.actors.headers("farmer_a"))
    assert r.status_code == 200, r.text
    held = _lot(d, a["id"])
    assert held.status == "held" and "pre-harvest-interval" in (held.status_reason or "")


def test_a_recall_from_the_pages_tells_the_buyers_downstream_and_lists_the_graph(
        diary: Diary) -> None:
    d = diary
    harvest = _post(d, {"season_id": d.season_a.id, "kind": "harvest",
                        "at": "2026-03-20T08:00:00+07:00", "quantity": 7000, "unit": "kg"})
    assert harvest.status_code == 201, harvest.text
    drying = _post(d, {"organisation_id": d.actors.coop_a.id, "kind": "drying",
                       "at": "2026-03-21T08:00:00+07:00",
                       "sources": [{"activity_id": harvest.json()["id"], "quantity_kg": 7000}],
                       "outputs": [{"product": "lúa khô", "quantity_kg": 6000}]}, who="coop_a")
    assert drying.status_code == 201, drying.text
    sale = _post(d, {"organisation_id": d.actors.coop_a.id, "kind": "sale",
                     "at": "2026-03-22T08:00:00+07:00", "quantity": 6000, "unit": "kg",
                     "buyer_organisation_id": d.actors.buyer_org.id, "price_vnd_per_kg": 7400,
                     "sources": [{"activity_id": drying.json()["id"], "quantity_kg": 6000}]},
                 who="coop_a")
    assert sale.status_code == 201, sale.text
    lot = _lot(d, harvest.json()["id"])
    inbox = "/api/v1/alerts/inbox"
    assert d.actors.client.get(inbox, headers=d.actors.headers("buyer")).json()["items"] == []
    page = d.actors.client.get(f"/trace/lots/{lot.id}", headers=d.actors.headers("inspector"))
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = d.actors.client.post(f"/trace/lots/{lot.id}/status", headers=d.actors.headers(
        "inspector"), data={"csrf": csrf, "status": "recalled", "reason": "Dư lượng thuốc"},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    told = d.actors.client.get(inbox, headers=d.actors.headers("buyer")).json()["items"]
    assert len(told) == 1 and lot.lot_code in told[0]["headline"]
    assert "thu hồi" in told[0]["headline"] and told[0]["severity"] == "severe"
    # The co-op (upstream, the lot's own) and other organisations are not told.
    assert d.actors.client.get(inbox, headers=d.actors.headers("coop_a")).json()["items"] == []
    # The recall graph has a list view (one line per step) for a 360-px phone.
    recall = d.actors.client.get("/trace/recall", params={"kind": "lot", "value": lot.id},
                                 headers=d.actors.headers("inspector"))
    assert recall.status_code == 200
    listed = recall.text.split('id="recall-graph-list"', 1)[1].split("</ol>", 1)[0]
    dried = _lot(d, drying.json()["id"])
    assert listed.count("<li>") >= 2 and lot.label in listed and dried.label in listed
