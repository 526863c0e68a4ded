"""Scanning: the text of a code read in the browser, or a photo of a code decoded on the server
with zxing-cpp; GS1 Digital Links open a lot, GTINs fill an input (and warn if banned),
planting-area codes open the area; anything else gets a clear answer."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from nongso.trace.gs1 import check_digit
from nongso.vision import codes
from tests.helpers import assert_problem
from tests.vision.conftest import Farm, png

GTIN = "0952820000001" + check_digit("0952820000001")  # 14 digits with its check digit
EAN13 = "893500000001"
EAN13 += check_digit(EAN13)


def code_image(content: str, fmt: zxingcpp.BarcodeFormat, gs1: bool = False) -> bytes:
    """A photo-like PNG of a code: quiet zone, a little noise."""
    barcode = zxingcpp.create_barcode(content, fmt, gs1=gs1) if gs1 else zxingcpp.create_barcode(
        content, fmt)
    arr = np.array(zxingcpp.write_barcode_to_image(barcode, scale=4), dtype=np.float64)
    canvas = np.full((arr.shape[0] + 120, arr.shape[1] + 120), 235.0)
    canvas[60:-60, 60:-60] = arr * 0.85 + 20
    canvas += np.random.default_rng(0).normal(0, 4, canvas.shape)
    return png(Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).convert("RGB"))


def _scan(farm: Farm, text: str, lang: str = "vi", who: str = "farmer_a") -> object:
    return farm.actors.client.post("/api/v1/vision/scan", json={"text": text},
                                   headers={**farm.actors.headers(who), "Accept-Language": lang})


def test_sorting_codes() -> None:
    assert codes.sort_code("https://id.example.vn/01/09528200000012/10/LUA").kind == \
        "digital_link"
    assert codes.sort_code("https://example.vn/tin-tuc").kind == "other"
    found = codes.sort_code("]d2(01)09528200000012(17)261231(10)LUA-1")
    assert found.gs1 == "(01)09528200000012(10)LUA-1" and found.other_fields == {"17": "261231"}
    raw = codes.sort_code("\x1d010952820000001217261231\x1d10AB\x1d21X9")
    assert raw.gs1 == "(01)09528200000012(10)AB(21)X9"
    assert codes.sort_code("8935000000014").kind == "gtin"
    assert codes.sort_code("vn-dtor-0042").kind == "planting_area"
    assert codes.sort_code("HTX-123").kind == "other"


def test_digital_link_opens_the_lot(farm: Farm) -> None:
    r = _scan(farm, f"https://truyxuat.dongthap.example/01/{GTIN}/10/LUA-2026")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "lot" and body["target"] == f"/01/{GTIN}/10/LUA-2026"
    element = _scan(farm, f"(01){GTIN}(17)271231(10)L7").json()
    assert element["target"] == f"/01/{GTIN}/10/L7" and element["other_fields"] == {
        "17": "271231"}


def test_gtin_fills_the_input_and_warns_when_banned(farm: Farm) -> None:
    client, h = farm.actors.client, farm.actors.headers
    bad = "8935000000021"[:-1]
    bad += check_digit(bad)
    for gtin, item in ((EAN13, farm.safe), (bad, farm.banned)):
        r = client.post("/api/v1/vision/input-codes", json={"gtin": gtin, "input_id": item.id},
                        headers=h("province"))
        assert r.status_code == 201, r.text
    dup = client.post("/api/v1/vision/input-codes", json={"gtin": EAN13,
                                                         "input_id": farm.safe.id},
                      headers=h("province"))
    assert_problem(dup, 422)
    safe = _scan(farm, EAN13).json()
    assert safe["kind"] == "input" and safe["input"]["id"] == farm.safe.id
    assert not safe["banned"]
    banned = _scan(farm, bad, lang="en").json()
    assert banned["banned"] and banned["input"]["banned_ingredients"]
    assert banned["message"].startswith("WARNING") and "carbendazim" in banned["message"].lower()
    other = "8935000000045"[:-1]
    other += check_digit(other)
    assert_problem(client.post("/api/v1/vision/input-codes", json={
        "gtin": other, "input_id": farm.safe.id}, headers=h("farmer_a")), 403)


def test_wrong_check_digit_and_non_gs1_codes(farm: Farm) -> None:
    wrong = EAN13[:-1] + str((int(EAN13[-1]) + 1) % 10)
    vi = assert_problem(_scan(farm, wrong), 422)
    assert "Số kiểm tra" in vi["detail"] and vi["errors"][0]["loc"] == "code"
    en = assert_problem(_scan(farm, wrong, lang="en"), 422)
    assert "check digit" in en["detail"]
    other = assert_problem(_scan(farm, "HTX-PHONG-HOA-123"), 422)
    assert "GS1" in other["detail"]
    unknown = assert_problem(_scan(farm, "8935000000038"), 404)
    assert "8935000000038" in unknown["detail"]
    assert_problem(farm.actors.client.post("/api/v1/vision/scan", json={"text": EAN13}), 401)


def test_planting_area_code_opens_the_area(farm: Farm) -> None:
    body = _scan(farm, "VN-DTOR-0042").json()
    assert body["kind"] == "planting_area"
    assert body["target"] == f"/registry/planting_areas/{farm.area_id}"
    assert_problem(_scan(farm, "VN-DTOR-9999"), 404)


@pytest.mark.parametrize("fmt,content,gs1,kind", [
    (zxingcpp.BarcodeFormat.QRCode, f"https://id.example.vn/01/{GTIN}/10/LUA7", False, "lot"),
    (zxingcpp.BarcodeFormat.DataMatrix, f"(01){GTIN}(10)LUA8(17)271231", True, "lot"),
    (zxingcpp.BarcodeFormat.EAN13, EAN13, False, "input"),
])
def test_photo_of_a_code_is_decoded_on_the_server(farm: Farm, fmt: zxingcpp.BarcodeFormat,
                                                  content: str, gs1: bool, kind: str) -> None:
    client, h = farm.actors.client, farm.actors.headers
    client.post("/api/v1/vision/input-codes", json={"gtin": EAN13, "input_id": farm.safe.id},
                headers=h("province"))
    r = client.post("/api/v1/vision/scan/image", headers=h("farmer_a"),
                    files={"photo": ("code.png", code_image(content, fmt, gs1), "image/png")})
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == kind


def test_photo_without_a_code(farm: Farm) -> None:
    blank = png(Image.new("RGB", (400, 300), (240, 240, 240)))
    r = farm.actors.client.post("/api/v1/vision/scan/image", headers=farm.actors.headers(
        "farmer_a"), files={"photo": ("x.png", blank, "image/png")})
    assert "mã vạch" in assert_problem(r, 422)["detail"]
    code128 = code_image("HTX-123", zxingcpp.BarcodeFormat.Code128)
    r = farm.actors.client.post("/api/v1/vision/scan/image", headers=farm.actors.headers(
        "farmer_a"), files={"photo": ("x.png", code128, "image/png")})
    assert "GS1" in assert_problem(r, 422)["detail"]
