"""Sessions and log-in: CSRF on cookie writes, log-out and password changes that end sessions
and tokens, token revoke, throttling that does not lock the owner out, trusted proxies, the
Secure cookie."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from starlette.requests import Request

from nongso.accounts import services as accounts
from nongso.app import create_app
from nongso.core.errors import TooManyRequests, Unauthorized
from nongso.core.http import client_address
from nongso.core.platform import Platform
from nongso.core.settings import Settings
from tests.helpers import PASSWORD, Actors, assert_problem

TOKEN = "/api/v1/auth/token"


def _login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; the CSRF token the pages' scripts send (from the meta tag)."""
    form = client.get("/login").text
    found = re.search(r'name="csrf" value="([^"]+)"', form)
    assert found
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf": found.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/").text)
    assert meta
    return meta.group(1)


def _me(actors: Actors, name: str) -> str:
    return f"/api/v1/users/{actors.users[name]}"


def test_cookie_writes_need_the_csrf_token(actors: Actors) -> None:
    c = actors.client
    token = _login(c, "t_commune_a")
    path = _me(actors, "commune_a")
    # The cookie alone (what a page of another site or port would send): refused.
    body = assert_problem(c.patch(path, json={"full_name": "Giả mạo"}), 403)
    assert "CSRF" in body["detail"] and "tải lại trang" in body["detail"]
    wrong = c.patch(path, json={"full_name": "Giả mạo"}, headers={"X-CSRF-Token": "sai"})
    assert_problem(wrong, 403)
    # Even a body that cannot be parsed gets the 403, not a 422 that would reveal the rest.
    garbled = c.post("/api/v1/organisations", content=b"{", headers={
        "Content-Type": "application/json"})
    assert_problem(garbled, 403)
    assert c.get(path).json()["full_name"] == "commune_a"  # reads need no token
    # With the session's token in the header (as app.js sends it): done.
    r = c.patch(path, json={"full_name": "Cán bộ xã A"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["full_name"] == "Cán bộ xã A"
    # A bearer token needs none, even alongside the cookie.
    r = c.patch(path, json={"full_name": "Cán bộ xã A2"}, headers=actors.headers("commune_a"))
    assert r.status_code == 200, r.text
    # SensorThings writes with the cookie are held to the same rule.
    sta = c.post("/sta/v1.1/Things", json={"name": "Trạm giả mạo"})
    assert_problem(sta, 403)
    # And so are EPCIS captures.
    epcis = c.post("/epcis/capture", json={"type": "EPCISDocument"})
    assert epcis.status_code == 403 and "CSRF" in epcis.text


def test_logout_ends_the_session_even_for_a_copied_cookie(actors: Actors) -> None:
    c = actors.client
    token = _login(c, "t_province")
    copied = c.cookies.get("nongso_session")
    assert copied and c.get("/api/v1/me").json()["username"] == "t_province"
    r = c.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    thief = TestClient(c.app, cookies={"nongso_session": copied})
    assert_problem(thief.get("/api/v1/me"), 401)
    log = actors.client.get("/api/v1/audit", params={"entity": "users"},
                            headers=actors.headers("admin")).json()["items"]
    actions = [e["action"] for e in log if e["entity_id"] == str(actors.users["province"])]
    assert "logout" in actions and "login" in actions


def test_password_change_ends_other_sessions_and_tokens(actors: Actors) -> None:
    old_token = actors.token("farmer_a")
    other = TestClient(actors.client.app)
    _login(other, "t_farmer_a")
    c = actors.client
    csrf = _login(c, "t_farmer_a")
    assert other.get("/api/v1/me").status_code == 200
    r = c.patch(_me(actors, "farmer_a"), json={"password": "mat-khau-moi-2026"},
                headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    # This session goes on; the other browser and the old token are out.
    assert c.get("/api/v1/me").status_code == 200
    assert_problem(other.get("/api/v1/me"), 401)
    assert_problem(c.get("/api/v1/me", headers={"Authorization": f"Bearer {old_token}"}), 401)
    # A failed and a good log-in, and the change itself, are in the audit log.
    assert c.post(TOKEN, json={"username": "t_farmer_a", "password": PASSWORD}).status_code \
        == 401
    assert c.post(TOKEN, json={"username": "t_farmer_a",
                               "password": "mat-khau-moi-2026"}).status_code == 200
    log = c.get("/api/v1/audit", params={"entity": "users",
                                          "entity_id": str(actors.users["farmer_a"])},
                headers=actors.headers("admin")).json()["items"]
    actions = [e["action"] for e in log]
    assert {"password", "login", "login_failed"} <= set(actions)
    failed = next(e for e in log if e["action"] == "login_failed")
    assert failed["after"] == {"ip": "testclient"} and "mat-khau" not in str(log)


def test_tokens_are_listed_and_revoked(actors: Actors) -> None:
    c = actors.client
    r = c.post(TOKEN, json={"username": "t_buyer", "password": PASSWORD, "name": "máy tính bảng"})
    created = r.json()
    auth = {"Authorization": f"Bearer {created['access_token']}"}
    listed = c.get("/api/v1/auth/tokens", headers=auth)
    assert listed.status_code == 200
    mine = next(t for t in listed.json() if t["id"] == created["id"])
    assert mine["name"] == "máy tính bảng" and not mine["revoked"]
    assert created["access_token"] not in listed.text
    # Another user's token is not theirs to see or revoke.
    assert_problem(c.delete(f"/api/v1/auth/tokens/{created['id']}",
                            headers=actors.headers("coop_a")), 404)
    assert c.delete(f"/api/v1/auth/tokens/{created['id']}", headers=auth).status_code == 204
    assert_problem(c.get("/api/v1/me", headers=auth), 401)
    # Tokens live a day by default (the setting token_ttl_hours).
    assert Settings().token_ttl_hours == 24


def test_guessing_slows_the_guesser_not_the_owner(actors: Actors) -> None:
    c = actors.client
    for _ in range(5):
        assert c.post(TOKEN, json={"username": "t_buyer", "password": "sai"}).status_code == 401
    r = c.post(TOKEN, json={"username": "t_buyer", "password": PASSWORD})
    body = assert_problem(r, 429)
    assert "15 phút" in body["detail"] and "địa chỉ" in body["detail"]
    assert 0 < int(r.headers["retry-after"]) <= 900
    # The owner, from another address, logs in at once; other accounts are not affected.
    owner = TestClient(c.app, client=("203.0.113.7", 50000))
    assert owner.post(TOKEN, json={"username": "t_buyer", "password": PASSWORD}).status_code \
        == 200
    assert c.post(TOKEN, json={"username": "t_admin", "password": PASSWORD}).status_code == 200
    # X-Forwarded-For from a client that is not a configured proxy changes nothing.
    spoofed = c.post(TOKEN, json={"username": "t_buyer", "password": PASSWORD},
                     headers={"X-Forwarded-For": "198.51.100.1"})
    assert_problem(spoofed, 429)


def test_parallel_guesses_are_counted_before_they_are_checked(platform: Platform,
                                                              actors: Actors) -> None:
    def guess(_: int) -> str:
        try:
            accounts.login(platform.uow(), "t_inspector", "doan-mo", "192.0.2.50")
        except Unauthorized:
            return "checked"
        except TooManyRequests:
            return "refused"
        return "in"

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(guess, range(18)))
    assert results.count("checked") <= 5 and results.count("in") == 0
    assert results.count("refused") >= 13


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_forwarded_addresses_are_believed_from_configured_proxies_only() -> None:
    assert client_address(_request("198.51.100.4", "203.0.113.1"), "") == "198.51.100.4"
    assert client_address(_request("10.0.0.2", "203.0.113.1"), "") == "10.0.0.2"
    proxies = "127.0.0.1, 10.0.0.0/8"
    assert client_address(_request("10.0.0.2", "203.0.113.1"), proxies) == "203.0.113.1"
    # The nearest hop that is not a proxy: what the client itself wrote further left is not
    # believed.
    assert client_address(_request("10.0.0.2", "1.2.3.4, 203.0.113.1, 10.0.0.9"),
                          proxies) == "203.0.113.1"
    assert client_address(_request("198.51.100.4", "203.0.113.1"), proxies) == "198.51.100.4"
    assert client_address(_request("10.0.0.2", None), proxies) == "10.0.0.2"


def test_session_cookie_is_secure_behind_https(actors: Actors) -> None:
    platform = actors.platform
    # The test settings' base URL is http: no Secure flag.
    assert not platform.settings.cookie_secure()
    assert "secure" not in actors.client.get("/login").headers["set-cookie"].lower()
    settings = platform.settings.model_copy(update={"base_url": "https://nongso.example.vn"})
    assert settings.cookie_secure()
    assert not settings.model_copy(update={"session_cookie_secure": False}).cookie_secure()
    app = create_app(Platform(settings, platform.engine, platform.session_factory))
    c = TestClient(app, base_url="https://testserver")
    assert "; secure" in c.get("/login").headers["set-cookie"].lower()
