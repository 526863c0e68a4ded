"""The pages: the farmer's form and result, the staff's queue, advice pages with the
reference thresholds; user text is escaped."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.helpers import PASSWORD
from tests.vision.conftest import Farm, photo

XSS = "<img src=x onerror=alert(1)>"


def _login(client: TestClient, who: str) -> None:
    client.cookies.clear()
    form = client.get("/login")
    r = client.post("/login", data={"username": f"t_{who}", "password": PASSWORD,
                                    "csrf": _csrf(form.text)}, follow_redirects=False)
    assert r.status_code == 303, r.text


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_farmer_sends_a_photo_and_staff_confirm_it(farm: Farm, active_model: int) -> None:
    client = farm.actors.client
    _login(client, "farmer_a")
    page = client.get("/vision")
    assert page.status_code == 200 and 'capture="environment"' in page.text
    assert "không dùng để huấn luyện" in page.text  # the field accuracy, held-out
    r = client.post("/vision/photo", data={
        "csrf": _csrf(page.text), "plot_id": str(farm.plot_a.id), "consent": "true",
        "notes": XSS}, files={"photo": ("la.jpg", photo("blast", 3), "image/jpeg")},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    result = client.get(r.headers["location"])
    assert result.status_code == 200 and 'id="diagnosis"' in result.text
    assert "/vision/advice/" in result.text
    blurry = client.post("/vision/photo", data={
        "csrf": _csrf(page.text), "plot_id": str(farm.plot_a.id)},
        files={"photo": ("b.jpg", photo("blurry", 4), "image/jpeg")})
    assert blurry.status_code == 422 and "Ảnh bị mờ" in blurry.text

    _login(client, "commune_a")
    queue = client.get("/vision")
    assert 'id="queue"' in queue.text and "/vision/photos/" in queue.text
    photo_id = int(r.headers["location"].rsplit("/", 1)[1])
    done = client.post(f"/vision/photos/{photo_id}/review", data={
        "csrf": _csrf(queue.text), "action": "confirm", "label": "blast", "note": XSS},
        follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(f"/vision/photos/{photo_id}")
    assert XSS not in shown.text and "&lt;img src=x" in shown.text
    assert 'id="confirmed-label"' in shown.text


def test_advice_pages_carry_the_reference_thresholds(client: TestClient) -> None:
    hopper = client.get("/vision/advice/hopperburn")
    assert hopper.status_code == 200 and "1.000 con/m²" in hopper.text
    assert "2.000" in hopper.text
    blast = client.get("/vision/advice/blast?lang=en")
    assert "20–26 °C" in blast.text and "90 %" in blast.text
    none = client.get("/vision/advice/brown_spot")
    assert "không có ngưỡng" in none.text
    assert client.get("/vision/advice/rust").status_code == 404
    listing = client.get("/vision/advice")
    assert listing.text.count("/vision/advice/") >= 6


def test_scan_page_serves_the_reader_locally(farm: Farm) -> None:
    client = farm.actors.client
    assert client.get("/scan", follow_redirects=False).status_code == 303
    _login(client, "farmer_a")
    page = client.get("/scan")
    assert page.status_code == 200
    assert '/static/vendor/zxing-wasm/zxing-reader.js' in page.text and "http" not in re.sub(
        r'href="[^"]*"|action="[^"]*"', "", page.text.split("<main>")[1].split("</main>")[0])
    wasm = client.get("/static/vendor/zxing-wasm/zxing_reader.wasm")
    assert wasm.status_code == 200 and wasm.content[:4] == b"\0asm"
