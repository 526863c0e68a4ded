"""End to end in a real browser: a harvest written in the farm diary becomes a lot whose QR
code opens the consumer page on a phone; an inspector traces and recalls it on a desktop."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Page, expect

from nongso.core.platform import Platform
from nongso.core.settings import get_settings
from tests.helpers import PASSWORD
from tests.trace.conftest import Journey, diary, journey  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


def _login(page: Page, live_server: str, username: str, next_path: str) -> None:
    page.goto(f"{live_server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")


def test_diary_harvest_to_qr_to_consumer_page_on_a_phone(
    journey: Journey,  # noqa: F811
    live_server: str, phone: Page, artifacts: Path, platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    j = journey
    leg = platform.dialect
    # The resolver host is this server: the printed QR code opens it.
    monkeypatch.setattr(get_settings(), "base_url", live_server)
    png = j.client.get(f"/api/v1/trace/lots/{j.packed.id}/qr.png",
                       headers=j.d.actors.headers("coop_a"))
    (scanned,) = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))]
    assert scanned == f"{live_server}/01/{j.packed.gtin}/10/{j.packed.lot_code}"
    phone.goto(scanned)
    expect(phone.locator("#product-name")).to_have_text("Gạo túi 5kg")
    expect(phone.locator("#producer")).to_have_text(j.d.actors.coop_a.name)
    # The packed lot comes from the harvests of 12 and 13 March: the label says both days.
    expect(phone.locator("#harvest-date")).to_have_text("thu hoạch từ 12/03 đến 13/03/2026")
    timeline = phone.locator("#timeline li")
    assert timeline.count() >= 9
    expect(phone.locator("#timeline")).to_contain_text("Thu hoạch, tạo lô")
    expect(phone.locator("#timeline")).to_contain_text(j.shops[1].name)
    expect(phone.locator("#trace-map .leaflet-interactive").first).to_be_attached()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Nguyễn Văn Thử" not in phone.content()
    phone.screenshot(path=str(artifacts / f"trace-consumer-phone-vi-{leg}.png"), full_page=True)
    phone.click("#lang-en")
    expect(phone.locator("#hanh-trinh")).to_have_text("The product's journey")
    phone.screenshot(path=str(artifacts / f"trace-consumer-phone-en-{leg}.png"), full_page=True)
    # A misprinted code gives a clear page.
    phone.goto(f"{live_server}/01/{j.packed.gtin}/10/KHONG-CO")
    expect(phone.locator("#resolver-problem h1")).to_have_text("Lot not found")


def test_inspector_traces_and_recalls_on_a_desktop(
    journey: Journey,  # noqa: F811
    live_server: str, desktop: Page, artifacts: Path, platform: Platform,
) -> None:
    j = journey
    leg = platform.dialect
    _login(desktop, live_server, "t_inspector", "/trace/recall")
    desktop.select_option("#recall-kind", "lot")
    desktop.fill("#recall-value", j.harvest_a.lot_code)
    desktop.click("#recall-run")
    expect(desktop.locator("#recall-title")).to_contain_text(j.harvest_a.label)
    expect(desktop.locator("#recall-places")).to_contain_text(j.shops[0].name)
    expect(desktop.locator("#recall-dealers")).to_contain_text(j.d.dealer.name)
    expect(desktop.locator("#recall-graph svg")).to_be_attached()
    assert desktop.locator("#recall-graph svg path").count() > 10
    desktop.screenshot(path=str(artifacts / f"trace-recall-desktop-{leg}.png"), full_page=True)
    with desktop.expect_download() as download:
        desktop.click("#excel-link")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "Nơi nhận" in book.sheetnames
    # The overview and the lot page with its QR code.
    desktop.goto(f"{live_server}/trace/lots/{j.packed.id}")
    expect(desktop.locator("#lot-qr svg")).to_be_visible()
    desktop.goto(f"{live_server}/trace")
    expect(desktop.locator("#lots")).to_contain_text(j.packed.lot_code)
    desktop.screenshot(path=str(artifacts / f"trace-overview-desktop-{leg}.png"), full_page=True)
