"""Shared equipment: search by distance, bookings of adjacent fields, maintenance by hour
meter, jobs; every bad booking refused clearly, nothing half-written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.market.models import Job, Slot
from tests.helpers import Actors, assert_problem
from tests.market.conftest import make_field

M = "/api/v1/market"


@pytest.fixture
def farm(actors: Actors) -> dict[str, Any]:
    """Three adjacent fields of farmer A, one far field of his, a combine of co-op A."""
    p = actors.platform
    f = dict(farmer_id=actors.farmer_a.id, organisation_id=actors.coop_a.id)
    fields = [make_field(p, actors.commune_a, 105.600 + 0.0011 * k, 10.450, **f)
              for k in range(3)]
    far = make_field(p, actors.commune_a, 105.700, 10.450, **f)
    other = make_field(p, actors.commune_b, 105.601, 10.460, farmer_id=actors.farmer_b.id)
    r = actors.client.post(f"{M}/equipment", headers=actors.headers("coop_a"), json={
        "kind": "combine", "name": "Máy gặt Kubota DC-70", "operator_name": "Anh Tư",
        "operator_phone": "0900 111 222", "rate_vnd": 1_200_000, "rate_unit": "ha",
        "work_rate_ha_per_h": 0.5, "lon": 105.59, "lat": 10.44, "working_radius_km": 15,
        "hour_meter": 240, "service_interval_h": 250})
    assert r.status_code == 201, r.text
    return {"fields": fields, "far": far, "other": other, "machine": r.json()["id"]}


def _book(actors: Actors, farm: dict[str, Any], who: str = "farmer_a", lang: str = "vi",
          **kw: Any) -> Any:
    body = {"equipment_id": farm["machine"], "field_ids": farm["fields"][:2],
            "starts_at": "2026-12-10T07:00:00", "ends_at": "2026-12-10T11:00:00"}
    body.update(kw)
    return actors.client.post(f"{M}/bookings", json=body,
                              headers={**actors.headers(who), "Accept-Language": lang})


def _slots(actors: Actors) -> int:
    with actors.platform.uow(SYSTEM) as uow:
        return int(uow.session.query(Slot).count())


def test_search_by_radius_hides_the_operator_from_the_public(actors: Actors,
                                                             farm: dict[str, Any]) -> None:
    r = actors.client.get(f"{M}/equipment/search", params={"field_id": farm["fields"][0],
                                                           "radius_km": 5})
    [found] = r.json()
    assert found["id"] == farm["machine"] and 1 < found["distance_km"] < 2
    assert found["operator_phone"] is None and found["operator_name"] is None
    signed = actors.client.get(f"{M}/equipment/search", headers=actors.headers("farmer_a"),
                               params={"field_id": farm["fields"][0], "radius_km": 5}).json()
    assert signed[0]["operator_phone"] == "0900 111 222"
    # The far field is ~12 km away: not within 5 km, within 20 km (and the machine's 15 km).
    assert actors.client.get(f"{M}/equipment/search", params={
        "field_id": farm["far"], "radius_km": 5}).json() == []
    assert len(actors.client.get(f"{M}/equipment/search", params={
        "field_id": farm["far"], "radius_km": 20}).json()) == 1
    assert_problem(actors.client.get(f"{M}/equipment/search", params={
        "field_id": farm["far"], "radius_km": 7}), 422)


def test_booking_adjacent_fields_in_vietnam_time(actors: Actors, farm: dict[str, Any]) -> None:
    r = _book(actors, farm, field_ids=farm["fields"])
    assert r.status_code == 201, r.text
    slot = r.json()
    assert slot["assumed_zone"] and slot["timezone"] == "Asia/Ho_Chi_Minh"
    assert slot["starts_at"] == "2026-12-10T00:00:00Z"
    assert slot["starts_local"] == "10/12/2026 07:00 (giờ Việt Nam, UTC+7)"
    assert slot["area_ha"] > 0 and slot["estimated_cost_vnd"] == round(
        slot["area_ha"] * 1_200_000)
    with_zone = _book(actors, farm, starts_at="2026-12-11T07:00:00+07:00",
                      ends_at="2026-12-11T09:00:00+07:00")
    assert with_zone.status_code == 201 and not with_zone.json()["assumed_zone"]
    calendar = actors.client.get(f"{M}/equipment/{farm['machine']}/slots").json()
    assert len(calendar) == 2 and calendar[0]["field_ids"] == []  # the public sees busy times


def test_bad_bookings_are_refused_and_nothing_is_written(actors: Actors,
                                                        farm: dict[str, Any]) -> None:
    assert _book(actors, farm).status_code == 201
    before = _slots(actors)
    body = assert_problem(_book(actors, farm, starts_at="2026-12-10T10:00:00",
                                ends_at="2026-12-10T12:00:00"), 409)
    assert "đã được đặt" in body["detail"] and "10/12/2026 07:00" in body["detail"]
    cases = [
        ({"ends_at": "2026-12-10T06:00:00"}, 422, "ends_at", "sau giờ bắt đầu"),
        ({"starts_at": "2026-12-01T07:00:00", "ends_at": "2026-12-01T09:00:00"}, 422,
         "starts_at", "quá khứ"),
        ({"starts_at": "2026-12-12T07:00:00", "ends_at": "2026-12-30T07:00:00"}, 422,
         "ends_at", "tối đa 14 ngày"),
        ({"area_ha": 0, "starts_at": "2026-12-12T07:00:00", "ends_at": "2026-12-12T09:00:00"},
         422, "area_ha", "0 ha"),
        ({"field_ids": [farm["fields"][0], farm["far"]], "starts_at": "2026-12-12T07:00:00",
          "ends_at": "2026-12-12T09:00:00"}, 422, "field_ids", "không liền kề"),
        ({"field_ids": [farm["other"]], "starts_at": "2026-12-12T07:00:00",
          "ends_at": "2026-12-12T09:00:00"}, 403, "", "thửa"),
        ({"field_ids": [987654], "starts_at": "2026-12-12T07:00:00",
          "ends_at": "2026-12-12T09:00:00"}, 422, "field_ids/0", "không có trong sổ"),
    ]
    for change, status, field, words in cases:
        body = assert_problem(_book(actors, farm, **change), status)
        text = " ".join([body["detail"]] + [e["message"] for e in body.get("errors", [])
                                           if e["loc"].endswith(field)])
        assert words in text, (change, body)
    en = assert_problem(_book(actors, farm, "farmer_a", "en", ends_at="2026-12-10T06:00:00"),
                        422)
    assert "Vietnam time" in en["detail"] and "after the start" in en["errors"][0]["message"]
    assert _slots(actors) == before


def test_maintenance_blocks_and_hour_meter(actors: Actors, farm: dict[str, Any],
                                          fixed_clock: clock.FixedClock) -> None:
    owner = actors.headers("coop_a")
    r = actors.client.post(f"{M}/equipment/{farm['machine']}/maintenance", headers=owner,
                           json={"starts_at": "2026-12-15T07:00:00",
                                 "ends_at": "2026-12-16T17:00:00", "note": "Thay dầu"})
    assert r.status_code == 201, r.text
    body = assert_problem(_book(actors, farm, starts_at="2026-12-16T07:00:00",
                                ends_at="2026-12-16T09:00:00"), 409)
    assert "bảo dưỡng" in body["detail"] and body["conflict"] == "maintenance"
    booked = _book(actors, farm).json()
    # The job: hours from the hour meter, cost from the rate; reaching 250 h blocks it.
    job_url = f"{M}/bookings/{booked['id']}/job"
    body = assert_problem(actors.client.post(job_url, headers=owner, json={
        "hour_meter_end": 239.5, "area_ha": 0.6}), 422)
    assert "không thể lùi" in body["errors"][0]["message"]
    assert_problem(actors.client.post(job_url, headers=owner, json={
        "hour_meter_end": 243, "area_ha": 0}), 422)
    assert_problem(actors.client.post(job_url, headers=actors.headers("farmer_a"), json={
        "hour_meter_end": 243, "area_ha": 0.6}), 403)
    with actors.platform.uow(SYSTEM) as uow:
        assert uow.session.query(Job).count() == 0
    assert actors.client.post(f"{M}/bookings/{booked['id']}/start",
                              headers=owner).json()["status"] == "started"
    body = assert_problem(actors.client.post(f"{M}/bookings/{booked['id']}/cancel",
                                             headers=actors.headers("farmer_a")), 409)
    assert "đã bắt đầu" in body["detail"]
    job = actors.client.post(job_url, headers=owner, json={
        "hour_meter_end": 251.5, "area_ha": 0.6, "fuel_l": 18})
    assert job.status_code == 201, job.text
    j = job.json()
    assert j["hours"] == 11.5 and j["cost_vnd"] == 720_000 and j["fuel_l"] == 18
    block = j["maintenance_block"]
    assert block["kind"] == "maintenance" and block["starts_at"] == "2026-12-10T04:00:00Z"
    machine = actors.client.get(f"{M}/equipment/{farm['machine']}").json()
    assert machine["hour_meter"] == 251.5 and machine["maintenance_due"]
    # Due for service: a booking after the automatic block is accepted, inside it refused.
    assert_problem(_book(actors, farm, starts_at="2026-12-10T20:00:00",
                         ends_at="2026-12-10T22:00:00"), 409)
    assert _book(actors, farm, starts_at="2026-12-12T07:00:00",
                 ends_at="2026-12-12T09:00:00").status_code == 201
    done = actors.client.post(f"{M}/maintenance/{block['id']}/complete", headers=owner)
    assert done.status_code == 200
    assert not actors.client.get(f"{M}/equipment/{farm['machine']}").json()["maintenance_due"]


def test_cancel_before_the_work_starts(actors: Actors, farm: dict[str, Any],
                                       fixed_clock: clock.FixedClock) -> None:
    booked = _book(actors, farm).json()
    assert_problem(actors.client.post(f"{M}/bookings/{booked['id']}/cancel",
                                      headers=actors.headers("buyer")), 403)
    second = _book(actors, farm, starts_at="2026-12-11T07:00:00",
                   ends_at="2026-12-11T09:00:00").json()
    r = actors.client.post(f"{M}/bookings/{booked['id']}/cancel",
                           headers=actors.headers("farmer_a"))
    assert r.json()["status"] == "cancelled"
    # The slot is free again.
    assert _book(actors, farm).status_code == 201
    fixed_clock.advance(dt.timedelta(days=4))  # 11/12/2026 10:00: the second has begun
    body = assert_problem(actors.client.post(f"{M}/bookings/{second['id']}/cancel",
                                             headers=actors.headers("farmer_a")), 409)
    assert "đã đến giờ làm" in body["detail"]
