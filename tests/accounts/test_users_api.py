"""Users through the API: the CRUD contract, scopes, duplicates, bad input."""

from __future__ import annotations

from typing import Any

from tests.helpers import PASSWORD, Actors, ApiCrudContract, assert_problem


class TestUsersApi(ApiCrudContract):
    path = "/api/v1/users"
    writer = "admin"
    denied = "commune_a"
    reader = "admin"

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return {"username": f"canbo.xa{n}", "full_name": f"Cán bộ xã số {n}",
                "password": "mat-khau-dai-du", "role": "commune_officer",
                "unit_code": actors.commune_a}


def test_duplicate_username_is_a_conflict_and_changes_nothing(actors: Actors) -> None:
    body = {"username": "T_Admin", "full_name": "x", "password": "mat-khau-dai-du",
            "role": "admin"}
    r = actors.client.post("/api/v1/users", json=body, headers=actors.headers("admin"))
    problem = assert_problem(r, 409)
    assert "t_admin" in problem["detail"]
    users = actors.client.get("/api/v1/users", params={"q": "t_admin"},
                              headers=actors.headers("admin")).json()
    assert [u["username"] for u in users["items"]] == ["t_admin"]


def test_role_scope_is_validated(actors: Actors) -> None:
    base = {"username": "canbo.moi", "full_name": "Cán bộ", "password": "mat-khau-dai-du"}
    cases = [
        ({"role": "commune_officer", "unit_code": "82"}, "unit_code"),
        ({"role": "commune_officer", "unit_code": "99999"}, "unit_code"),
        ({"role": "province_officer"}, "unit_code"),
        ({"role": "coop_manager"}, "organisation_id"),
        ({"role": "coop_manager", "organisation_id": 424242}, "organisation_id"),
        ({"role": "farmer"}, "farmer_id"),
    ]
    for extra, field in cases:
        r = actors.client.post("/api/v1/users", json={**base, **extra},
                               headers=actors.headers("admin"))
        body = assert_problem(r, 422)
        assert any(field in e["loc"] for e in body["errors"]), (extra, body)
    r = actors.client.get("/api/v1/users", params={"q": "canbo.moi"},
                          headers=actors.headers("admin"))
    assert r.json()["total"] == 0


def test_province_officer_manages_only_its_province(actors: Actors) -> None:
    body = {"username": "xa.moi", "full_name": "Cán bộ", "password": "mat-khau-dai-du",
            "role": "commune_officer", "unit_code": actors.commune_a}
    r = actors.client.post("/api/v1/users", json=body, headers=actors.headers("other_province"))
    assert_problem(r, 403)
    r = actors.client.post("/api/v1/users", json=body, headers=actors.headers("province"))
    assert r.status_code == 201
    r = actors.client.post("/api/v1/users", json={**body, "username": "admin2", "role": "admin"},
                           headers=actors.headers("province"))
    assert_problem(r, 403)


def test_me_and_password_not_exposed(actors: Actors) -> None:
    r = actors.client.get("/api/v1/me", headers=actors.headers("farmer_a"))
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == "t_farmer_a" and body["role"] == "farmer"
    assert "password" not in r.text and "password_hash" not in r.text


def test_user_can_change_own_password_but_not_own_role(actors: Actors) -> None:
    uid = actors.users["commune_a"]
    headers = actors.headers("commune_a")
    r = actors.client.patch(f"/api/v1/users/{uid}", json={"role": "admin"}, headers=headers)
    assert_problem(r, 403)
    r = actors.client.patch(f"/api/v1/users/{uid}", json={"password": "mat-khau-moi-123"},
                            headers=headers)
    assert r.status_code == 200
    r = actors.client.post("/api/v1/auth/token",
                           json={"username": "t_commune_a", "password": PASSWORD})
    assert_problem(r, 401)
    r = actors.client.post("/api/v1/auth/token",
                           json={"username": "t_commune_a", "password": "mat-khau-moi-123"})
    assert r.status_code == 200
