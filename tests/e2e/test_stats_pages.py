"""Statistics pages in headless Chromium at 360 px (phone) and 1366 px (desktop)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.stats import services
from nongso.stats.schemas import IndicatorCreate
from tests.helpers import PASSWORD, Actors
from tests.stats.helpers import put

DX = "dong_xuan:2025-2026"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def wide(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def _figures(platform: Platform, actors: Actors) -> None:
    for commune, (area, out) in {actors.commune_a: (100, 720),
                                 actors.commune_b: (50, 300)}.items():
        for element, v in (("sown_area", area), ("harvested_area", area), ("output", out)):
            put(platform, element, DX, commune, v)
            put(platform, element, "he_thu:2025", commune, v * 0.9)
    # A province-defined indicator whose name is hostile text: shown, never run.
    services.create_indicator(platform.uow(SYSTEM), IndicatorCreate(
        code="hostile", name_vi=XSS, name_en=XSS, unit="t", expression="#{output.rice}"))


def _login(page: Page, url: str, user: str, next_path: str) -> None:
    page.goto(f"{url}/login?next={next_path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")


def test_dashboard_on_a_phone_arranges_items(actors: Actors, platform: Platform,
                                            live_server: str, phone: Page,
                                            artifacts: Path) -> None:
    _figures(platform, actors)
    dialogs: list[str] = []
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _login(phone, live_server, "t_province", f"/stats?season={DX}")
    expect(phone.locator("#page-title")).to_have_text("Thống kê sản xuất của tỉnh")
    # The communes' map (dots at the official centres: no outlines in this database).
    expect(phone.locator("#stats-map")).to_have_attribute("data-values", "2")
    expect(phone.locator("#stats-trend")).to_have_attribute("data-points", "6")
    expect(phone.locator("#targets-table")).to_contain_text("chưa có dữ liệu")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(artifacts / f"stats-dashboard-phone-{platform.dialect}.png"),
                     full_page=True)
    board = phone.locator("#dashboard")
    first = board.get_attribute("data-order") or ""
    assert first.startswith("map,trend")
    phone.locator("section[data-item='map'] button[data-move='1']").click()
    expect(board).to_have_attribute("data-order", first.replace("map,trend", "trend,map"))
    expect(phone.locator("#arrange-status")).to_have_text("Đã lưu cách sắp xếp.")
    phone.reload()  # kept for this officer
    expect(phone.locator("#dashboard")).to_have_attribute(
        "data-order", first.replace("map,trend", "trend,map"))
    assert dialogs == []


def test_pivot_and_entry_at_1366(actors: Actors, platform: Platform, live_server: str,
                                 wide: Page, artifacts: Path) -> None:
    _figures(platform, actors)
    dialogs: list[str] = []
    wide.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _login(wide, live_server, "t_commune_a", "/stats/pivot")
    wide.fill("#pivot-dx", "rice_yield;hostile")
    wide.fill("#pivot-pe", f"he_thu:2025;{DX}")
    wide.fill("#pivot-ou", f"{actors.commune_a};{actors.commune_b}")
    wide.click("#pivot-form button[type=submit]")
    table = wide.locator("#pivot-table")
    expect(table).to_have_attribute("data-rows", "6")  # 2 dx × (2 communes + total)
    expect(table).to_contain_text("7,2")  # Vietnamese decimal comma
    expect(table).to_contain_text(XSS)  # the hostile name as text...
    assert wide.locator("#pivot-table img").count() == 0  # ...never as an element
    wide.screenshot(path=str(artifacts / f"stats-pivot-desktop-{platform.dialect}.png"),
                    full_page=True)
    # The commune officer's form: type livestock, approve, the figures lock.
    wide.goto(f"{live_server}/stats/entry?dataset=livestock&period=2026Q1"
              f"&org_unit={actors.commune_a}")
    wide.fill("input[name='v__livestock_heads__pig']", "1.250")
    wide.click("#entry-save")
    expect(wide.locator("input[name='v__livestock_heads__pig']")).to_have_value("1.250")
    wide.click("#btn-approve")
    expect(wide.locator("#report-status")).to_have_text("Xã đã duyệt")
    assert wide.locator("input[name='v__livestock_heads__pig']").count() == 0
    assert dialogs == []
