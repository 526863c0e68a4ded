"""Hostile requests get a clear 4xx, never a 500 (each case was a 500 before): anonymous writes
are a 401 first, out-of-range ids and nulls a 422 naming the field, deletes of referred records
a 409 naming what refers to them, bombs a 413, too-deep or too-long expressions a 400."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nongso.app import create_app
from nongso.core.permissions import SYSTEM
from nongso.diary import services as diary_services
from nongso.diary.schemas import PlotCreate
from tests.helpers import PASSWORD, Actors, assert_problem

BIG = 2**64
HUGE = 10**23
UNSAFE = {"post", "put", "patch", "delete"}
# Anonymous callers may write only to these (logging in).
PUBLIC_WRITES = {("post", "/api/v1/auth/token")}


def test_every_anonymous_write_is_refused_before_its_body_is_read(actors: Actors) -> None:
    """Every write operation of the OpenAPI document, anonymously, with a body that is wrong in
    every way (a huge id, a null, malformed JSON): 401, never 400, 422 or 500."""
    paths = actors.client.get("/api/v1/openapi.json").json()["paths"]
    checked = 0
    for template, operations in paths.items():
        if not template.startswith(("/api/v1/", "/sta/", "/epcis/capture")):
            continue  # EPCIS queries (POST /epcis/events…) are reads
        for method in set(operations) & UNSAFE:
            if (method, template) in PUBLIC_WRITES:
                continue
            path = template
            for name in [p["name"] for p in operations[method].get("parameters", [])
                         if p["in"] == "path"]:
                path = path.replace("{" + name + "}", "1" if name != "path" else "Things(1)")
            for content in (b'{"plot_id": 18446744073709551616, "name": null}', b"{not json"):
                r = actors.client.request(method.upper(), path, content=content,
                                          headers={"Content-Type": "application/json"})
                assert r.status_code == 401, (method, template, r.status_code, r.text[:300])
            checked += 1
    assert checked > 60
    r = actors.client.post("/api/v1/auth/token", json={"username": "t_admin",
                                                        "password": PASSWORD})
    assert r.status_code == 200, r.text


def test_a_huge_id_in_a_body_is_a_422_naming_the_field(actors: Actors) -> None:
    r = actors.client.post("/api/v1/diary/seasons", headers=actors.headers("admin"), json={
        "plot_id": BIG, "season_kind": "he_thu", "sowing_date": "2026-05-01"})
    body = assert_problem(r, 422)
    assert body["errors"] == [{"loc": "body/plot_id", "message": "Giá trị quá lớn."}]
    r = actors.client.post("/api/v1/diary/seasons", headers=actors.headers("admin"), json={
        "plot_id": 1, "season_kind": "he_thu", "sowing_date": "9999-05-01"})
    body = assert_problem(r, 422)
    assert body["errors"][0]["loc"] == "body/sowing_date"


@pytest.mark.parametrize("path", [
    "/api/v1/farmers/{}", "/api/v1/alerts/{}", "/api/v1/trace/products/{}",
    "/api/v1/monitor/datastreams/{}/series", "/api/v1/diary/coops/{}/input-use.xlsx"])
def test_a_huge_id_in_a_path_is_a_422(actors: Actors, path: str) -> None:
    r = actors.client.get(path.format(HUGE), headers=actors.headers("admin"))
    body = assert_problem(r, 422)
    assert body["errors"][0]["loc"].startswith("path/")


def test_huge_ids_in_ogc_and_sensorthings_paths(actors: Actors) -> None:
    r = actors.client.get(f"/ogcapi/collections/production_units/items/{HUGE}")
    assert r.status_code == 404, r.text
    for path in (f"/sta/v1.1/Things({HUGE})", f"/sta/v1.1/Datastreams({HUGE})/Observations"):
        assert_problem(actors.client.get(path), 404)
    r = actors.client.patch(f"/sta/v1.1/Things({HUGE})", headers=actors.headers("admin"),
                            json={"name": "x"})
    assert_problem(r, 404)


def _farmer_with_a_plot(actors: Actors) -> int:
    diary_services.create_plot(actors.platform.uow(SYSTEM), PlotCreate(
        farmer_id=actors.farmer_a.id, code="T-1", name="Thửa 1", area_ha=0.5, crop="rice"))
    return actors.farmer_a.id


def test_deleting_a_farmer_who_has_records_names_what_refers_to_him(actors: Actors) -> None:
    farmer_id = _farmer_with_a_plot(actors)
    r = actors.client.delete(f"/api/v1/farmers/{farmer_id}", headers=actors.headers("admin"))
    body = assert_problem(r, 409)
    assert "diary_plots (1)" in body["detail"]
    assert {"table": "diary_plots", "rows": 1} in body["referenced_by"]
    assert actors.client.get(f"/api/v1/farmers/{farmer_id}",
                             headers=actors.headers("admin")).status_code == 200


def _ids(actors: Actors) -> dict[str, int]:
    admin = actors.headers("admin")
    c = actors.client
    square = {"type": "Polygon", "coordinates": [[[105.63, 10.46], [105.64, 10.46],
                                                 [105.64, 10.47], [105.63, 10.47],
                                                 [105.63, 10.46]]]}
    unit = c.post("/api/v1/registry/production-units", headers=admin, json={
        "kind": "plot", "name": "Thửa A", "commune_code": actors.commune_a,
        "geometry": square}).json()
    soil = c.post("/api/v1/registry/soil-units", headers=admin, json={
        "name": "Đất phù sa", "soil_type": "alluvial", "commune_code": actors.commune_a,
        "geometry": square}).json()
    product = c.post("/api/v1/trace/products", headers=admin, json={
        "name": "Gạo", "kind": "rice", "organisation_id": actors.coop_a.id}).json()
    ocop = c.post("/api/v1/trace/ocop", headers=admin, json={
        "name": "Gạo OCOP", "stars": 3, "certificate_no": "01/QĐ", "certified_on": "2025-01-01",
        "valid_until": "2028-01-01", "organisation_id": actors.coop_a.id}).json()
    return {"unit": unit["id"], "soil": soil["id"], "product": product["id"],
            "ocop": ocop["id"]}


def test_an_explicit_null_for_a_required_field_is_a_422_naming_it(actors: Actors) -> None:
    ids = _ids(actors)
    farmer_id = _farmer_with_a_plot(actors)
    plot = actors.client.get("/api/v1/diary/plots", headers=actors.headers("admin")).json()
    season = actors.client.post("/api/v1/diary/seasons", headers=actors.headers("admin"), json={
        "plot_id": plot["items"][0]["id"], "season_kind": "he_thu",
        "sowing_date": "2026-05-01"}).json()
    activity = actors.client.post("/api/v1/diary/activities", headers=actors.headers("admin"),
                                  json={"season_id": season["id"], "kind": "scouting",
                                        "at": "2026-05-10T08:00:00+07:00"}).json()
    cases = [
        (f"/api/v1/farmers/{farmer_id}", "full_name"),
        (f"/api/v1/organisations/{actors.coop_a.id}", "name"),
        (f"/api/v1/registry/production-units/{ids['unit']}", "name"),
        (f"/api/v1/registry/soil-units/{ids['soil']}", "soil_type"),
        (f"/api/v1/trace/products/{ids['product']}", "name"),
        (f"/api/v1/trace/ocop/{ids['ocop']}", "stars"),
        (f"/api/v1/diary/activities/{activity['id']}", "kind"),
    ]
    for path, field in cases:
        r = actors.client.patch(path, headers={**actors.headers("admin"),
                                               "Accept-Language": "en"}, json={field: None})
        body = assert_problem(r, 422)
        assert body["errors"] == [{"loc": f"body/{field}",
                                   "message": "This field cannot be null."}], path


def _png_bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_a_decompression_bomb_photo_is_a_413(actors: Actors) -> None:
    ids = _ids(actors)
    bomb = _png_bomb(20_000, 20_000)
    r = actors.client.put(f"/api/v1/trace/ocop/{ids['ocop']}/image", content=bomb,
                          headers={**actors.headers("admin"), "Content-Type": "image/png"})
    assert_problem(r, 413)
    r = actors.client.post("/api/v1/diary/activities/1/photos", headers=actors.headers("admin"),
                           files={"photo": ("bomb.png", bomb, "image/png")})
    assert_problem(r, 413)


@pytest.mark.parametrize("path", ["/epcis/capture", "/sta/v1.1/Things", "/api/v1/farmers"])
def test_a_chunked_body_over_the_limit_is_a_413(actors: Actors, path: str) -> None:
    platform = actors.platform
    platform.settings.max_body_bytes, before = 1000, platform.settings.max_body_bytes
    try:
        with TestClient(create_app(platform)) as client:
            r = client.post(path, content=(b"x" * 100 for _ in range(100)),
                            headers={**actors.headers("admin"),
                                     "Content-Type": "application/json"})
        assert_problem(r, 413)
    finally:
        platform.settings.max_body_bytes = before


def test_deep_json_is_a_400(actors: Actors) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    h = {**actors.headers("admin"), "Content-Type": "application/json"}
    r = actors.client.post("/epcis/capture", content=deep, headers=h)
    assert r.status_code == 400, r.text
    r = actors.client.post("/sta/v1.1/Things", content=deep, headers=h)
    assert r.status_code == 400, r.text


def test_too_long_filters_and_out_of_range_literals_are_a_400(actors: Actors) -> None:
    terms = " or ".join(f"result eq {i}" for i in range(2000))
    r = actors.client.get("/sta/v1.1/Observations", params={"$filter": terms})
    assert r.status_code == 400, r.text
    assert "5000" in r.json()["detail"]  # terms (a chain of n comparisons is 3n + 1)
    r = actors.client.get("/ogcapi/collections/production_units/items",
                          params={"filter": "area_ha > 1e400"})
    assert r.status_code == 400, r.text
    r = actors.client.get("/ogcapi/collections/production_units/items", params={
        "filter": " or ".join(f"area_ha = {i}" for i in range(2000))})
    assert r.status_code == 400, r.text


def _sta_sensor(actors: Actors) -> int:
    r = actors.client.post("/sta/v1.1/Sensors", headers=actors.headers("admin"), json={
        "name": "CTD", "description": "", "encodingType": "text/html", "metadata": "x",
        "properties": {"on": True, "list": [1, 2]}})
    assert r.status_code == 201, r.text
    return int(r.headers["Location"].rsplit("(", 1)[1].rstrip(")"))


@pytest.mark.parametrize("patch", [
    [{"op": "remove", "path": ""}],
    [{"op": "replace", "path": "", "value": 3}],
    [{"op": "add", "path": "/properties/list/\u0661", "value": 3}],
    [{"op": "add", "path": "/properties/list/\u00b2", "value": 3}],
    [{"op": "test", "path": "/properties/on", "value": 1}],
    [{"op": "move", "from": "/properties", "path": "/properties/x"}],
    [{"op": "bogus", "path": "/name"}],
    {"op": "add"},
])
def test_json_patch_is_rfc_6902(actors: Actors, patch: Any) -> None:
    sensor = _sta_sensor(actors)
    import json

    r = actors.client.patch(f"/sta/v1.1/Sensors({sensor})", content=json.dumps(patch).encode(),
                            headers={**actors.headers("admin"),
                                     "Content-Type": "application/json-patch+json"})
    assert r.status_code in (400, 422), r.text
    assert actors.client.get(f"/sta/v1.1/Sensors({sensor})").json()["properties"] == {
        "on": True, "list": [1, 2]}


def test_json_patch_applies(actors: Actors) -> None:
    sensor = _sta_sensor(actors)
    r = actors.client.patch(f"/sta/v1.1/Sensors({sensor})", headers={
        **actors.headers("admin"), "Content-Type": "application/json-patch+json"},
        content=b'[{"op": "test", "path": "/properties/on", "value": true},'
                b' {"op": "add", "path": "/properties/list/1", "value": 9},'
                b' {"op": "copy", "from": "/name", "path": "/description"}]')
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["list"] == [1, 9, 2]
    assert r.json()["description"] == "CTD"


def test_images_of_any_size_are_checked_from_their_header(actors: Actors) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buf, "PNG")
    ids = _ids(actors)
    r = actors.client.put(f"/api/v1/trace/ocop/{ids['ocop']}/image", content=buf.getvalue(),
                          headers={**actors.headers("admin"), "Content-Type": "image/png"})
    assert r.status_code == 200, r.text


def test_a_client_gone_mid_body_is_not_an_unhandled_error(
        actors: Actors, caplog: pytest.LogCaptureFixture) -> None:
    """A client that disconnects while its body is read (a load generator stopping, a phone
    losing signal) is a 400 nobody reads, not an "unhandled error" with a traceback."""
    import asyncio

    app = actors.client.app
    token = actors.token("admin").encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/sta/v1.1/CreateObservations",
             "raw_path": b"/sta/v1.1/CreateObservations", "query_string": b"",
             "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"authorization", b"Bearer " + token),
                         (b"content-type", b"application/json"),
                         (b"content-length", b"1000")]}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    import threading

    with caplog.at_level("INFO"):
        # In a thread of its own: a browser test may have left a loop in the main thread.
        t = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))
        t.start()
        t.join(60)
    assert sent and sent[0]["status"] == 400
    assert "unhandled error" not in caplog.text
