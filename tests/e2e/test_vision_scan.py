"""The scanner in a real browser: the code is read in the page by zxing-wasm (served by the
app, offline) from a chosen photo and from the camera (Chromium's fake camera playing a
generated video of a QR code); a banned input warns at once, a lot's Digital Link opens its
journey."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from nongso.trace.gs1 import check_digit
from tests.e2e.conftest import CHROMIUM_FLAGS
from tests.helpers import PASSWORD
from tests.vision.conftest import Farm, farm  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

GTIN = "0952820000001" + check_digit("0952820000001")


def _code(content: str, fmt: zxingcpp.BarcodeFormat, path: Path) -> Path:
    arr = np.array(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(content, fmt),
                                                   scale=6))
    canvas = np.full((arr.shape[0] + 160, arr.shape[1] + 160), 255, dtype=np.uint8)
    canvas[80:-80, 80:-80] = arr
    Image.fromarray(canvas).convert("RGB").save(path)
    return path


def _login(page: Page, live_server: str, username: str, next_path: str) -> None:
    page.goto(f"{live_server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")


def test_photo_of_codes_decoded_in_the_page(
    farm: Farm,  # noqa: F811
    live_server: str, phone: Page, tmp_path: Path,
) -> None:
    ean = "893500000002"
    ean += check_digit(ean)
    r = farm.actors.client.post("/api/v1/vision/input-codes", json={
        "gtin": ean, "input_id": farm.banned.id}, headers=farm.actors.headers("province"))
    assert r.status_code == 201, r.text
    wasm_requests: list[str] = []
    phone.on("request", lambda req: wasm_requests.append(req.url)
             if req.url.endswith(".wasm") else None)
    _login(phone, live_server, "t_farmer_a", "/scan")
    expect(phone.locator("h1")).to_have_text("Quét mã vạch, mã QR")
    phone.set_input_files("#scan-file", str(_code(ean, zxingcpp.BarcodeFormat.EAN13,
                                                  tmp_path / "ean.png")))
    expect(phone.locator("#scan-result.banned")).to_be_visible(timeout=20_000)
    expect(phone.locator("#scan-message")).to_contain_text("CẢNH BÁO")
    expect(phone.locator("#scan-record")).to_be_visible()
    assert wasm_requests and all(u.startswith(live_server) for u in wasm_requests)

    link = f"https://truyxuat.example.vn/01/{GTIN}/10/LUA-E2E"
    phone.set_input_files("#scan-file", str(_code(link, zxingcpp.BarcodeFormat.QRCode,
                                                  tmp_path / "qr.png")))
    phone.wait_for_url(f"{live_server}/01/{GTIN}/10/LUA-E2E", timeout=20_000)


def _y4m(image: Image.Image, path: Path, frames: int = 10) -> Path:
    """A short Y4M (4:2:0) video of one still picture, for Chromium's fake camera."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (b - y) * 0.564 + 128
    v = (r - y) * 0.713 + 128
    planes = [np.clip(y, 0, 255).astype(np.uint8)]
    planes += [np.clip(c[::2, ::2], 0, 255).astype(np.uint8) for c in (u, v)]
    h, w = y.shape
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n")
            for plane in planes:
                f.write(plane.tobytes())
    return path


def test_camera_reads_a_lot_qr_code(
    farm: Farm,  # noqa: F811
    live_server: str, browser: Browser, tmp_path: Path,
) -> None:
    link = f"https://truyxuat.example.vn/01/{GTIN}/10/CAMERA-1"
    code = Image.open(_code(link, zxingcpp.BarcodeFormat.QRCode, tmp_path / "c.png"))
    frame = Image.new("RGB", (640, 480), (200, 200, 200))
    code.thumbnail((400, 400))
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    video = _y4m(frame, tmp_path / "camera.y4m")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    # A second Chromium of the same Playwright, with a fake camera playing the video.
    camera = browser.browser_type.launch(executable_path=executable, headless=True, args=[
        *CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
        context.grant_permissions(["camera"], origin=live_server)
        page = context.new_page()
        _login(page, live_server, "t_farmer_a", "/scan")
        page.click("#scan-start")
        page.wait_for_url(f"{live_server}/01/{GTIN}/10/CAMERA-1", timeout=30_000)
    finally:
        camera.close()
