"""Bad input gets a clear problem+json answer, in the user's language, and changes nothing."""

from __future__ import annotations

import json

from tests.helpers import Actors, assert_problem

FARMERS = "/api/v1/farmers"


def _farmer_count(actors: Actors) -> int:
    total: int = actors.client.get(FARMERS, headers=actors.headers("admin")).json()["total"]
    return total


def test_malformed_json(actors: Actors) -> None:
    before = _farmer_count(actors)
    r = actors.client.post(FARMERS, content=b'{"full_name": "A", ', headers={
        **actors.headers("admin"), "Content-Type": "application/json"})
    body = assert_problem(r, 400)
    assert body["title"] == "JSON không hợp lệ"
    r = actors.client.post(FARMERS, content=b"{not json", headers={
        **actors.headers("admin"), "Content-Type": "application/json",
        "Accept-Language": "en-US,en;q=0.9"})
    assert assert_problem(r, 400)["title"] == "Malformed JSON"
    assert _farmer_count(actors) == before


def test_wrong_types_and_unknown_fields_name_the_field(actors: Actors) -> None:
    r = actors.client.post(FARMERS, headers=actors.headers("admin"), json={
        "full_name": 42, "commune_code": actors.commune_a, "organisation_id": "một",
        "nickname": "x"})
    body = assert_problem(r, 422)
    locs = {e["loc"]: e["message"] for e in body["errors"]}
    assert locs["body/full_name"] == "Phải là chuỗi ký tự."
    assert locs["body/organisation_id"] == "Phải là số nguyên."
    assert locs["body/nickname"] == "Trường này không được phép."
    assert _farmer_count(actors) == 2


def test_english_messages_by_accept_language(actors: Actors) -> None:
    r = actors.client.post(FARMERS, headers={**actors.headers("admin"), "Accept-Language": "en"},
                           json={"commune_code": actors.commune_a})
    body = assert_problem(r, 422)
    assert body["title"] == "Invalid data"
    assert {"loc": "body/full_name", "message": "Field required."} in body["errors"]


def test_oversized_body_is_refused(actors: Actors) -> None:
    big = json.dumps({"full_name": "A" * (11 * 1024 * 1024), "commune_code": actors.commune_a})
    r = actors.client.post(FARMERS, content=big.encode(), headers={
        **actors.headers("admin"), "Content-Type": "application/json"})
    body = assert_problem(r, 413)
    assert body["detail"] == "Nội dung gửi lên vượt quá giới hạn 10 MB."
    assert _farmer_count(actors) == 2


def test_oversized_chunked_body_is_refused(actors: Actors) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"full_name": "'
        for _ in range(12):
            yield b"A" * (1024 * 1024)
        yield b'"}'

    r = actors.client.post(FARMERS, content=chunks(), headers={
        **actors.headers("admin"), "Content-Type": "application/json"})
    assert_problem(r, 413)


def test_invalid_unit_codes(actors: Actors) -> None:
    for code in ("abc", "1234567"):  # not a unit code at all
        body = assert_problem(actors.client.get(f"/api/v1/units/{code}"), 422)
        assert body["errors"] == [{"loc": "path/code", "message": "Không đúng định dạng."}]
    body = assert_problem(actors.client.get("/api/v1/units/123"), 404)  # a code, no such unit
    assert body["detail"] == "Không tìm thấy đơn vị hành chính «123»."
    body = assert_problem(actors.client.get("/api/v1/units/99999"), 404)
    assert "99999" in body["detail"]


def test_sql_injection_like_strings_are_plain_data(actors: Actors) -> None:
    evil = "Robert'); DROP TABLE farmers;-- \" OR 1=1 --"
    r = actors.client.post(FARMERS, headers=actors.headers("admin"), json={
        "full_name": evil, "commune_code": actors.commune_a})
    assert r.status_code == 201
    fid = r.json()["id"]
    assert actors.client.get(f"{FARMERS}/{fid}",
                             headers=actors.headers("admin")).json()["full_name"] == evil
    r = actors.client.get("/api/v1/units", params={"q": "' OR '1'='1"})
    assert r.status_code == 200 and r.json()["total"] == 0
    r = actors.client.get("/api/v1/units", params={"q": "%_%"})
    assert r.status_code == 200 and r.json()["total"] == 0
    assert _farmer_count(actors) == 3


def test_very_long_unicode_strings(actors: Actors) -> None:
    name = "Nguyễn Thị Ánh Tuyết 🌾" * 50  # > 200 characters
    r = actors.client.post(FARMERS, headers=actors.headers("admin"), json={
        "full_name": name, "commune_code": actors.commune_a})
    body = assert_problem(r, 422)
    assert body["errors"][0]["loc"] == "body/full_name"
    r = actors.client.get("/api/v1/units", params={"q": "Đồng Tháp" * 100})
    assert_problem(r, 422)
    ok_name = "Huỳnh Thị Ngọc Hân 🌾 ơ ư ạ ả ã"
    r = actors.client.post(FARMERS, headers=actors.headers("admin"), json={
        "full_name": ok_name, "commune_code": actors.commune_a})
    assert r.status_code == 201 and r.json()["full_name"] == ok_name


def test_invalid_login(actors: Actors) -> None:
    r = actors.client.post("/api/v1/auth/token", json={"username": "t_admin", "password": "sai"})
    body = assert_problem(r, 401)
    assert body["detail"] == "Tên đăng nhập hoặc mật khẩu không đúng."
    r = actors.client.post("/api/v1/auth/token", json={"username": "khong-co", "password": "x"})
    assert assert_problem(r, 401)["detail"] == body["detail"]  # no user enumeration
    assert_problem(actors.client.post("/api/v1/auth/token", json={"username": "t_admin"}), 422)


def test_bad_tokens_are_rejected_not_treated_as_anonymous(actors: Actors) -> None:
    r = actors.client.get("/api/v1/organisations", headers={"Authorization": "Bearer nst_sai"})
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    r = actors.client.get("/api/v1/organisations", headers={"X-API-Key": "nsd_sai-khoa"})
    assert_problem(r, 401)


def test_unknown_path_and_method(actors: Actors) -> None:
    assert_problem(actors.client.get("/api/v1/khong-ton-tai"), 404)
    assert_problem(actors.client.put("/api/v1/units"), 405)
