"""Organisations and farmers through the API: the CRUD contract and unit scopes."""

from __future__ import annotations

from typing import Any

from tests.helpers import Actors, ApiCrudContract, assert_problem


class TestOrganisationsApi(ApiCrudContract):
    path = "/api/v1/organisations"
    writer = "commune_a"
    denied = "commune_b"
    reader = None  # organisations are public business information
    update_field = "name"

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return {"kind": "coop_group", "name": f"Tổ hợp tác số {n}",
                "commune_code": actors.commune_a, "parent_id": actors.coop_a.id}

    def update_payload(self) -> dict[str, Any]:
        return {"name": "Tổ hợp tác Sen Hồng — đã đổi tên"}


class TestFarmersApi(ApiCrudContract):
    path = "/api/v1/farmers"
    writer = "commune_a"
    denied = "commune_b"
    reader = "commune_a"
    denied_write_status = 404  # another commune's farmers are not visible to its officer

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return {"full_name": f"Nông dân số {n}", "commune_code": actors.commune_a,
                "organisation_id": actors.coop_a.id}


def test_commune_officer_cannot_read_or_change_another_communes_farmers(actors: Actors) -> None:
    fb = actors.farmer_b.id
    headers = actors.headers("commune_a")
    assert_problem(actors.client.get(f"/api/v1/farmers/{fb}", headers=headers), 404)
    r = actors.client.patch(f"/api/v1/farmers/{fb}", json={"full_name": "Đổi tên"},
                            headers=headers)
    assert_problem(r, 404)
    assert_problem(actors.client.delete(f"/api/v1/farmers/{fb}", headers=headers), 404)
    listed = actors.client.get("/api/v1/farmers", headers=headers).json()
    assert [f["id"] for f in listed["items"]] == [actors.farmer_a.id]
    # Filtering by the other commune gives nothing rather than leaking it.
    other = actors.client.get("/api/v1/farmers", params={"commune_code": actors.commune_b},
                              headers=headers).json()
    assert other["items"] == [] and other["total"] == 0
    # ... and the record is unchanged for its own commune officer.
    own = actors.client.get(f"/api/v1/farmers/{fb}", headers=actors.headers("commune_b"))
    assert own.json()["full_name"] == "Trần Thị Nghiệm"


def test_commune_officer_cannot_register_in_another_commune(actors: Actors) -> None:
    r = actors.client.post("/api/v1/farmers", headers=actors.headers("commune_a"), json={
        "full_name": "X", "commune_code": actors.commune_b})
    assert_problem(r, 403)
    r = actors.client.post("/api/v1/organisations", headers=actors.headers("commune_a"), json={
        "kind": "cooperative", "name": "HTX lạ", "commune_code": actors.commune_b})
    assert_problem(r, 403)
    r = actors.client.patch(f"/api/v1/organisations/{actors.coop_b.id}",
                            headers=actors.headers("commune_a"), json={"name": "Đổi"})
    assert_problem(r, 403)


def test_anonymous_sees_public_data_only(actors: Actors) -> None:
    assert actors.client.get("/api/v1/organisations").status_code == 200
    assert_problem(actors.client.get("/api/v1/farmers"), 401)
    assert_problem(actors.client.get(f"/api/v1/farmers/{actors.farmer_a.id}"), 401)
    assert_problem(actors.client.get("/api/v1/users"), 401)
    assert_problem(actors.client.get("/api/v1/audit"), 401)
    summary = actors.client.get("/api/v1/provinces/82/summary").json()
    assert summary["farmers"] == 2 and "Nguyễn Văn Thử" not in str(summary)


def test_farmer_sees_only_himself_and_coop_manager_sees_members(actors: Actors) -> None:
    mine = actors.client.get("/api/v1/farmers", headers=actors.headers("farmer_a")).json()
    assert [f["id"] for f in mine["items"]] == [actors.farmer_a.id]
    coop = actors.client.get("/api/v1/farmers", headers=actors.headers("coop_a")).json()
    assert [f["id"] for f in coop["items"]] == [actors.farmer_a.id]
    r = actors.client.get(f"/api/v1/farmers/{actors.farmer_b.id}",
                          headers=actors.headers("coop_a"))
    assert_problem(r, 404)


def test_province_officer_of_another_province_sees_nothing(actors: Actors) -> None:
    listed = actors.client.get("/api/v1/farmers", headers=actors.headers("other_province"))
    assert listed.json()["total"] == 0
    listed = actors.client.get("/api/v1/farmers", headers=actors.headers("province"))
    assert listed.json()["total"] == 2


def test_unknown_commune_code_is_rejected(actors: Actors) -> None:
    r = actors.client.post("/api/v1/farmers", headers=actors.headers("admin"), json={
        "full_name": "X", "commune_code": "00001"})
    body = assert_problem(r, 422)
    assert body["errors"][0]["loc"] == "commune_code"


def test_contact_data_is_hidden_from_anonymous_users(actors: Actors) -> None:
    """An organisation's phone is for those logged in, never the anonymous public: the list,
    the record, its history and the map all apply the same rule."""
    created = actors.client.post("/api/v1/organisations", headers=actors.headers("commune_a"),
                                 json={"kind": "input_dealer", "name": "Đại lý Ba Lúa",
                                       "commune_code": actors.commune_a,
                                       "phone": "0901 234 567"})
    assert created.status_code == 201, created.text
    org_id = created.json()["id"]
    listing = {"kind": "input_dealer", "q": "ba lúa"}
    anonymous = [actors.client.get(f"/api/v1/organisations/{org_id}").json(),
                 *actors.client.get("/api/v1/organisations", params=listing).json()["items"]]
    assert [o["id"] for o in anonymous] == [org_id, org_id]
    assert all(o["phone"] is None and o["name"] == "Đại lý Ba Lúa" for o in anonymous)
    history = actors.client.get(f"/api/v1/registry/organisations/{org_id}/history").json()
    assert history and all("phone" not in v["properties"] for v in history)
    feature = f"/api/v1/registry/features/businesses/{org_id}"
    assert "phone" not in actors.client.get(feature).json()["properties"]
    assert actors.client.get(feature, headers=actors.headers("province")).json()[
        "properties"]["phone"] == "0901 234 567"
    for who in ("commune_a", "province"):
        headers = actors.headers(who)
        seen = [actors.client.get(f"/api/v1/organisations/{org_id}", headers=headers).json(),
                *actors.client.get("/api/v1/organisations", params=listing,
                                   headers=headers).json()["items"]]
        assert [o["phone"] for o in seen] == ["0901 234 567", "0901 234 567"], who
