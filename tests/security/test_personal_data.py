"""Personal data (Decree 13/2023/NĐ-CP).

- Imports refuse columns that look like personal data (by header or by value), naming them;
  the free attributes they would have become are never public anyway.
- An administrator exports a farmer's data and erases it: afterwards no text column of any
  table holds the erased values, the farmer's row, production units and the audit trail stay,
  and the erasure is audited without the values."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import JSON, String, Text, inspect, select, text

from nongso.core.platform import Platform
from tests.helpers import PASSWORD, Actors, assert_problem
from tests.registry.shapes import TAN_PHUOC_1, rect

SECRETS = {
    "Chủ hộ": "Lê Văn Bímật",
    "Số điện thoại": "0912 345 678",
    "CCCD": "083201009999",
    "Địa chỉ nhà": "Số 12 ấp Bímật, xã Tân Phước",
}


def _import(actors: Actors, extra: dict[str, Any], code: str = "VN-DTOR-7777") -> Any:
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": rect(*TAN_PHUOC_1, 150, 100),
        "properties": {"Mã số vùng trồng": code, "Tên": "Vùng riêng tư",
                       "Cây trồng": "Xoài", "Mã xã": actors.commune_a,
                       "Diện tích (ha)": "1,5", **extra}}]}
    return actors.client.post("/api/v1/registry/import",
                              files={"file": ("msvt.geojson", json.dumps(doc).encode())},
                              data={"kind": "planting_area"},
                              headers=actors.headers("commune_a"))


def _units_named(actors: Actors, code: str) -> int:
    r = actors.client.get("/api/v1/registry/production-units", params={"q": code},
                          headers=actors.headers("admin"))
    assert r.status_code == 200
    return sum(1 for u in r.json()["items"] if u.get("code") == code)


@pytest.mark.parametrize("extra, columns", [
    (SECRETS, list(SECRETS)),
    ({"Owner": "Jane Doe", "E-mail": "x@example.org", "Date of birth": "01/02/1980",
      "Home address": "12 Rice Road"}, ["Owner", "E-mail", "Date of birth", "Home address"]),
    # Headers that say nothing; the values give them away.
    ({"Liên hệ": "+84 912.345.678", "Mã khác": "083201009999", "Ghi chú 2": "a.b@c.vn",
      "CMT cũ": 381234567}, ["Liên hệ", "Mã khác", "Ghi chú 2", "CMT cũ"]),
])
def test_import_refuses_personal_columns_naming_them(actors: Actors, extra: dict[str, Any],
                                                     columns: list[str]) -> None:
    for form in ({}, {"only_valid": "true"}, {"dry_run": "true"}):
        r = actors.client.post(
            "/api/v1/registry/import",
            files={"file": ("msvt.geojson", json.dumps({
                "type": "FeatureCollection", "features": [{
                    "type": "Feature", "geometry": rect(*TAN_PHUOC_1, 150, 100),
                    "properties": {"Mã số vùng trồng": "VN-DTOR-7778", "Tên": "Vùng A",
                                   "Cây trồng": "Xoài", "Mã xã": actors.commune_a,
                                   **extra}}]}).encode())},
            data={"kind": "planting_area", **form}, headers=actors.headers("commune_a"))
        body = assert_problem(r, 422)
        assert [e["loc"] for e in body["errors"]] == [f"columns/{c}" for c in columns], body
        assert all("dữ liệu cá nhân" in e["message"] for e in body["errors"])
        assert "Nghị định 13/2023" in body["detail"]
    assert _units_named(actors, "VN-DTOR-7778") == 0  # nothing half-written


def test_ordinary_columns_are_kept_and_still_not_public(actors: Actors) -> None:
    """Columns that are not personal data (a count, a note, a year, a short code) import; the
    attributes they become stay for the unit's staff only."""
    note = "Ghi chú nội bộ Bímật"
    r = _import(actors, {"Ghi chú": note, "Số cây": 120, "Năm trồng": 2019, "Mã lô": "L-07"})
    assert r.status_code == 200, r.text
    unit_id = r.json()["ids"][0]
    c = actors.client
    anonymous: list[tuple[str, dict[str, Any]]] = [
        (f"/api/v1/registry/production-units/{unit_id}", {}),
        ("/api/v1/registry/production-units", {"q": "riêng tư"}),
        (f"/api/v1/registry/production-units/{unit_id}/history", {}),
        (f"/api/v1/registry/features/production_units/{unit_id}", {}),
        ("/api/v1/registry/nearby", {"lon": TAN_PHUOC_1[0], "lat": TAN_PHUOC_1[1]}),
        (f"/api/v1/registry/communes/{actors.commune_a}/features", {}),
        ("/ogcapi/collections/production_units/items", {}),
        (f"/ogcapi/collections/production_units/items/{unit_id}", {}),
        ("/api/v1/registry/export/production_units.csv", {}),
        ("/api/v1/registry/export/production_units.geojson", {}),
    ]
    seen = 0
    for path, params in anonymous:
        r = c.get(path, params=params)
        seen += r.status_code == 200
        assert r.status_code < 500, (path, r.text)
        assert note not in r.text, (path, r.text[:500])
    assert seen >= 6  # the scan looked at real answers, not only errors
    r = c.get(f"/api/v1/registry/production-units/{unit_id}", headers=actors.headers("commune_a"))
    assert r.json()["attributes"]["Ghi chú"] == note
    for who in ("buyer", "commune_b", "other_province"):
        r = c.get(f"/api/v1/registry/production-units/{unit_id}", headers=actors.headers(who))
        assert note not in r.text, who


def _sheet(headers: list[str], row: list[Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers)
    ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("header, value, named", [
    ("Số điện thoại chủ hộ", "abc", "Số điện thoại chủ hộ"),
    ("Họ và tên", "Lê Văn Bímật", "Họ và tên"),
    ("CCCD", "x", "CCCD"),
    ("Liên hệ", "0912345678", "Liên hệ"),
])
def test_diary_import_refuses_personal_columns(actors: Actors, header: str, value: Any,
                                               named: str) -> None:
    content = _sheet(["Mã thửa", "Ngày thực hiện", "Công việc", header],
                     ["A-001", dt.date(2026, 1, 20), "Làm đất", value])
    r = actors.client.post("/api/v1/diary/import", headers=actors.headers("farmer_a"),
                           files={"file": ("nhat-ky.xlsx", content, "application/x")})
    body = assert_problem(r, 422)
    assert f"«{named}»" in body["detail"] and "dữ liệu cá nhân" in body["detail"], body


# --- export and erasure ---------------------------------------------------------------------

PERSON = {"full_name": "Phạm Thị Xoáđi", "phone": "0987 654 321",
          "national_id": "087301004242"}
ACCOUNT = {"username": "xoadi.pham", "email": "xoadi.pham@example.vn", "phone": "0987654399"}


def _text_columns_holding(platform: Platform, values: list[str]) -> list[str]:
    """Every (table.column = value) of a text or JSON column of the database that holds one of
    the values."""
    found: list[str] = []
    engine = platform.engine
    insp = inspect(engine)
    with engine.connect() as conn:
        for table in insp.get_table_names():
            for col in insp.get_columns(table):
                if not isinstance(col["type"], String | Text | JSON) and \
                        "JSON" not in str(col["type"]).upper():
                    continue
                name = col["name"]
                cast = f'CAST("{name}" AS TEXT)'
                for value in values:
                    # JSON keeps non-ASCII as \\u escapes on some drivers: look for both.
                    escaped = json.dumps(value)[1:-1]
                    n = conn.execute(text(
                        f'SELECT count(*) FROM "{table}" WHERE {cast} LIKE :a '
                        f"OR {cast} LIKE :b"),
                        {"a": f"%{value}%", "b": f"%{escaped}%"}).scalar()
                    if n:
                        found.append(f"{table}.{name} = {value}")
    return found


def test_export_then_erase_leaves_no_trace_but_keeps_the_trail(actors: Actors) -> None:
    c = actors.client
    admin = actors.headers("admin")
    r = c.post("/api/v1/farmers", headers=actors.headers("commune_a"), json={
        "full_name": PERSON["full_name"], "phone": "0987 000 000",
        "national_id": PERSON["national_id"], "commune_code": actors.commune_a,
        "organisation_id": actors.coop_a.id})
    assert r.status_code == 201, r.text
    farmer_id = r.json()["id"]
    # A change: the audit log now holds the old and new phone.
    r = c.patch(f"/api/v1/farmers/{farmer_id}", headers=actors.headers("commune_a"),
                json={"phone": PERSON["phone"]})
    assert r.status_code == 200, r.text
    r = c.post("/api/v1/users", headers=admin, json={
        "username": ACCOUNT["username"], "full_name": PERSON["full_name"], "role": "farmer",
        "password": PASSWORD, "farmer_id": farmer_id, "email": ACCOUNT["email"],
        "phone": ACCOUNT["phone"]})
    assert r.status_code == 201, r.text
    # A failed and a good log-in (audited with the user name), a token, a subscription.
    assert c.post("/api/v1/auth/token", json={"username": ACCOUNT["username"],
                                              "password": "sai"}).status_code == 401
    r = c.post("/api/v1/auth/token", json={"username": ACCOUNT["username"],
                                           "password": PASSWORD})
    assert r.status_code == 200, r.text
    own = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = c.post("/api/v1/alerts/subscriptions", headers=own, json={"channel": "email"})
    assert r.status_code == 201, r.text
    r = c.post("/api/v1/alerts/subscriptions", headers=own,
               json={"channel": "sms", "address": ACCOUNT["phone"]})
    assert r.status_code == 201, r.text
    unit = _import(actors, {}, code="VN-DTOR-4242").json()["ids"][0]
    r = c.patch(f"/api/v1/registry/production-units/{unit}", headers=admin,
                json={"farmer_id": farmer_id})
    assert r.status_code == 200, r.text

    values = [*PERSON.values(), *ACCOUNT.values(), "0987 000 000"]
    assert _text_columns_holding(actors.platform, values)  # the scan finds them before

    # Only an administrator exports or erases.
    for who in (None, "commune_a", "province", "coop_a", "farmer_a"):
        assert c.get(f"/api/v1/persons/{farmer_id}/export",
                     headers=actors.headers(who)).status_code in (401, 403), who
        assert c.post(f"/api/v1/persons/{farmer_id}/erase",
                      headers=actors.headers(who)).status_code in (401, 403), who
    assert_problem(c.get("/api/v1/persons/999999/export", headers=admin), 404)
    export = c.get(f"/api/v1/persons/{farmer_id}/export", headers=admin)
    assert export.status_code == 200, export.text
    data = export.json()
    assert data["farmer"]["national_id"] == PERSON["national_id"]
    assert data["farmer"]["phone"] == PERSON["phone"]
    assert [a["email"] for a in data["accounts"]] == [ACCOUNT["email"]]
    assert [u["code"] for u in data["production_units"]] == ["VN-DTOR-4242"]
    assert any(e["action"] == "update" and e["entity"] == "farmers" for e in data["audit"])
    assert "password" not in export.text and "hash" not in export.text

    r = c.post(f"/api/v1/persons/{farmer_id}/erase", headers=admin)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["farmer_id"] == farmer_id and len(report["accounts"]) == 1
    assert report["audit_entries_redacted"] > 0

    # Gone from every text column of every table (the audit log included).
    assert _text_columns_holding(actors.platform, values) == []
    # The farmer, its unit and the trail stay.
    r = c.get(f"/api/v1/farmers/{farmer_id}", headers=admin)
    assert r.status_code == 200
    assert r.json()["full_name"] == f"Nông hộ đã xoá dữ liệu #{farmer_id}"
    assert r.json()["phone"] is None and r.json()["national_id"] is None
    assert r.json()["organisation_id"] == actors.coop_a.id
    r = c.get(f"/api/v1/registry/production-units/{unit}", headers=admin)
    assert r.json()["farmer_id"] == farmer_id
    # The account is closed: its token and password no longer work.
    assert c.get("/api/v1/me", headers=own).status_code == 401
    assert c.post("/api/v1/auth/token", json={"username": ACCOUNT["username"],
                                              "password": PASSWORD}).status_code == 401
    with actors.platform.engine.connect() as conn:
        from nongso.core.audit import AuditEntry

        rows = conn.execute(select(AuditEntry.action, AuditEntry.after).where(
            AuditEntry.entity == "farmers", AuditEntry.entity_id == str(farmer_id))
            .order_by(AuditEntry.id)).all()
    actions = [a for a, _ in rows]
    assert actions[:2] == ["create", "update"] and actions[-1] == "erase", actions
    assert "phone" in rows[1][1]  # the change is still there, without its values
    assert rows[-1][1]["fields"][:3] == ["full_name", "phone", "national_id"]
    # Erasing again is harmless; the export now shows nothing personal.
    assert c.post(f"/api/v1/persons/{farmer_id}/erase", headers=admin).status_code == 200
    again = c.get(f"/api/v1/persons/{farmer_id}/export", headers=admin).text
    assert not [v for v in values if v in again]
