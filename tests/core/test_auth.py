"""Log-in throttling, tokens, device keys, and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from nongso.accounts.models import Device
from tests.helpers import PASSWORD, Actors, assert_problem

TOKEN = "/api/v1/auth/token"


def test_login_is_throttled_after_repeated_failures(actors: Actors) -> None:
    for _ in range(5):
        r = actors.client.post(TOKEN, json={"username": "t_buyer", "password": "sai-roi"})
        assert r.status_code == 401
    r = actors.client.post(TOKEN, json={"username": "t_buyer", "password": PASSWORD})
    body = assert_problem(r, 429)
    assert "15 phút" in body["detail"]
    assert 0 < int(r.headers["retry-after"]) <= 900
    # Other accounts are not locked out by it.
    assert actors.client.post(TOKEN, json={"username": "t_admin",
                                           "password": PASSWORD}).status_code == 200


def test_tokens_authenticate_and_carry_the_scope(actors: Actors) -> None:
    r = actors.client.post(TOKEN, json={"username": "T_Commune_A", "password": PASSWORD})
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert token.startswith("nst_")
    me = actors.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "commune_officer" and me["unit_code"] == actors.commune_a


def test_device_keys_are_stored_hashed_and_authenticate(actors: Actors) -> None:
    r = actors.client.post("/api/v1/devices", headers=actors.headers("commune_a"),
                           json={"name": "tram-man-01", "unit_code": actors.commune_a})
    assert r.status_code == 201, r.text
    key = r.json()["api_key"]
    assert key.startswith("nsd_")
    with actors.platform.uow() as uow:
        device = uow.session.scalar(select(Device).where(Device.name == "tram-man-01"))
        assert device is not None and key not in device.key_hash and len(device.key_hash) == 64
    # The key is never shown again.
    listed = actors.client.get("/api/v1/devices", headers=actors.headers("commune_a"))
    assert key not in listed.text
    r = actors.client.get("/api/v1/organisations", headers={"X-API-Key": key})
    assert r.status_code == 200
    # A commune officer may not register a device for another commune.
    r = actors.client.post("/api/v1/devices", headers=actors.headers("commune_a"),
                           json={"name": "tram-khac", "unit_code": actors.commune_b})
    assert_problem(r, 403)


def test_audit_log_records_who_what_before_after(actors: Actors) -> None:
    fid = actors.farmer_a.id
    r = actors.client.patch(f"/api/v1/farmers/{fid}", json={"full_name": "Nguyễn Văn Mới"},
                            headers=actors.headers("commune_a"))
    assert r.status_code == 200
    log = actors.client.get("/api/v1/audit", params={"entity": "farmers", "entity_id": str(fid)},
                            headers=actors.headers("admin")).json()
    update = next(e for e in log["items"] if e["action"] == "update")
    assert update["before"] == {"full_name": "Nguyễn Văn Thử"}
    assert update["after"] == {"full_name": "Nguyễn Văn Mới"}
    assert update["actor_user_id"] == actors.users["commune_a"]
    assert "t_commune_a" in update["actor"]
    created = next(e for e in log["items"] if e["action"] == "create")
    assert created["after"]["commune_code"] == actors.commune_a
    # Password hashes never reach the audit log.
    users = actors.client.get("/api/v1/audit", params={"entity": "users"},
                              headers=actors.headers("admin"))
    assert "password" not in users.text and "argon2" not in users.text
    # Only admins may read it.
    assert_problem(actors.client.get("/api/v1/audit", headers=actors.headers("province")), 403)


def test_passwords_are_never_logged(actors: Actors, caplog: object) -> None:
    import logging

    assert isinstance(caplog, __import__("_pytest").logging.LogCaptureFixture)
    with caplog.at_level(logging.DEBUG):
        actors.client.post(TOKEN, json={"username": "t_admin", "password": "bi-mat-khong-lo"})
        actors.client.post(TOKEN, json={"username": "t_admin", "password": PASSWORD})
    assert "bi-mat-khong-lo" not in caplog.text and PASSWORD not in caplog.text
