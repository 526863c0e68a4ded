"""Versioned history: every change is a new version with its validity; "as of" a date shows
the registry as it was (own API, the map and the feature endpoint)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from nongso.core import clock
from nongso.core.clock import FixedClock
from tests.helpers import Actors, assert_problem
from tests.registry.shapes import TAN_PHUOC_1, rect
from tests.registry.test_features_api import PU, planting_area

T0 = dt.datetime(2026, 1, 10, 3, 0, tzinfo=dt.UTC)  # 10:00 in Vietnam


@pytest.fixture
def fixed_clock() -> Iterator[FixedClock]:
    fixed = FixedClock(T0)
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


def test_changes_make_versions_and_as_of_shows_the_past(
        actors: Actors, fixed_clock: FixedClock) -> None:
    h = actors.headers("commune_a")
    unit = actors.client.post(PU, headers=h, json=planting_area(actors, 1)).json()
    assert unit["version"] == 1
    fixed_clock.advance(dt.timedelta(days=30))  # 9 February 2026
    new_shape = rect(*TAN_PHUOC_1, 200, 100, dx_m=2000)
    r = actors.client.patch(f"{PU}/{unit['id']}", headers=h,
                            json={"geometry": new_shape, "variety": "Cát Chu"})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert r.json()["area_ha"] == pytest.approx(2.0, rel=1e-3)

    history = actors.client.get(f"{PU}/{unit['id']}/history").json()
    assert [(v["version"], v["change"]) for v in history] == [(1, "create"), (2, "update")]
    assert history[0]["valid_to"] == history[1]["valid_from"]
    assert history[1]["valid_to"] is None
    assert history[0]["properties"]["variety"] == "Cát Hòa Lộc"
    assert history[0]["actor"] == ""  # anonymous readers do not see who changed it
    seen = actors.client.get(f"{PU}/{unit['id']}/history", headers=h).json()
    assert seen[1]["actor"].startswith("t_commune_a")

    feature = f"/api/v1/registry/features/production_units/{unit['id']}"
    then = actors.client.get(feature, params={"as_of": "2026-01-20"}).json()
    assert then["properties"]["variety"] == "Cát Hòa Lộc"
    assert then["geometry"] == unit["geometry"]
    now = actors.client.get(feature).json()
    assert now["properties"]["variety"] == "Cát Chu" and now["geometry"] == r.json()["geometry"]
    assert_problem(actors.client.get(feature, params={"as_of": "2026-01-09"}), 404)
    assert_problem(actors.client.get(feature, params={"as_of": "2026-01-01/2026-02-01"}), 400)

    # The map "as of" the old date finds it at its old place, not at the new one.
    lon, lat = TAN_PHUOC_1
    old_box = f"{lon + 0.003},{lat - 0.001},{lon + 0.006},{lat + 0.002}"  # 330–660 m east
    params = {"bbox": old_box, "zoom": 16, "layers": "production_units"}
    past = actors.client.get("/api/v1/registry/map", params={**params, "as_of": "2026-01-20"})
    assert [f["id"] for f in past.json()["layers"][0]["features"]] == [unit["id"]]
    today = actors.client.get("/api/v1/registry/map", params=params).json()
    assert today["layers"][0]["features"] == []


def test_effective_dates(actors: Actors, fixed_clock: FixedClock) -> None:
    h = actors.headers("commune_a")
    unit = actors.client.post(PU, headers=h, json=planting_area(
        actors, 1, valid_from="2025-03-01")).json()
    history = actors.client.get(f"{PU}/{unit['id']}/history").json()
    assert history[0]["valid_from"].startswith("2025-02-28T17:00:00")  # 1 March, Vietnam time
    future = actors.client.patch(f"{PU}/{unit['id']}", headers=h,
                                 json={"name": "X", "effective_date": "2026-02-01"})
    assert_problem(future, 422)
    before = actors.client.patch(f"{PU}/{unit['id']}", headers=h,
                                 json={"name": "X", "effective_date": "2025-01-01"})
    body = assert_problem(before, 422)
    assert body["errors"][0]["loc"] == "effective_date"
    ok = actors.client.patch(f"{PU}/{unit['id']}", headers=h,
                             json={"name": "Vùng trồng đổi tên", "effective_date": "2025-12-01"})
    assert ok.status_code == 200
    feature = f"/api/v1/registry/features/production_units/{unit['id']}"
    assert actors.client.get(feature, params={"as_of": "2025-11-30"}).json()[
        "properties"]["name"] == "Vùng trồng xoài số 1"
    assert actors.client.get(feature, params={"as_of": "2025-12-01"}).json()[
        "properties"]["name"] == "Vùng trồng đổi tên"
    # Unchanged: nothing to version.
    same = actors.client.patch(f"{PU}/{unit['id']}", headers=h,
                               json={"name": "Vùng trồng đổi tên"})
    assert same.json()["version"] == 2


def test_deleted_features_stay_in_the_past(actors: Actors, fixed_clock: FixedClock) -> None:
    h = actors.headers("commune_a")
    unit = actors.client.post(PU, headers=h, json=planting_area(actors, 1)).json()
    fixed_clock.advance(dt.timedelta(days=2))
    actors.client.delete(f"{PU}/{unit['id']}", headers=h)
    feature = f"/api/v1/registry/features/production_units/{unit['id']}"
    assert actors.client.get(feature, params={"as_of": "2026-01-11"}).status_code == 200
    assert_problem(actors.client.get(feature, params={"as_of": "2026-01-13"}), 404)
    assert_problem(actors.client.get(feature), 404)


def test_flag_changes_of_neighbours_do_not_make_versions(actors: Actors,
                                                         fixed_clock: FixedClock) -> None:
    h = actors.headers("commune_a")
    first = actors.client.post(PU, headers=h, json=planting_area(actors, 1)).json()
    overlapping = planting_area(actors, 2, geometry=rect(*TAN_PHUOC_1, 150, 100, dx_m=450))
    actors.client.post(PU, headers=h, json=overlapping)
    again = actors.client.get(f"{PU}/{first['id']}").json()
    assert [f["code"] for f in again["flags"]] == ["overlap"] and again["version"] == 1
    assert len(actors.client.get(f"{PU}/{first['id']}/history").json()) == 1


def test_organisations_have_a_history(actors: Actors, fixed_clock: FixedClock) -> None:
    org_id = actors.coop_a.id
    fixed_clock.advance(dt.timedelta(days=1))
    r = actors.client.patch(f"/api/v1/organisations/{org_id}", headers=actors.headers("commune_a"),
                            json={"name": "HTX Thử nghiệm A (đổi tên)", "phone": "0900 111 222"})
    assert r.status_code == 200 and r.json()["version"] == 2
    history = actors.client.get(f"/api/v1/registry/organisations/{org_id}/history").json()
    assert [v["name"] for v in history] == ["HTX Thử nghiệm A", "HTX Thử nghiệm A (đổi tên)"]
    assert all("phone" not in v["properties"] for v in history)  # anonymous
    seen = actors.client.get(f"/api/v1/registry/organisations/{org_id}/history",
                             headers=actors.headers("province")).json()
    assert seen[1]["properties"]["phone"] == "0900 111 222"
