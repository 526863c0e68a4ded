"""In a real browser: log in, switch language, load the home page (phone and desktop)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from playwright.sync_api import Page, expect

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.registry import services as registry
from nongso.registry.schemas import OrganisationCreate
from nongso.units import services as units
from tests.helpers import PASSWORD, Actors


def test_login_language_and_home_on_a_phone(
    actors: Actors, live_server: str, phone: Page, artifacts: Path, platform: Platform
) -> None:
    leg = platform.dialect
    page = phone
    # 22 more communes with 1-3 co-operatives each: the commune table needs more than a page.
    uow = platform.uow(SYSTEM)
    for n, c in enumerate(units.communes_of_province(platform.uow(), "82")[2:24]):
        for k in range(1 + n % 3):
            registry.create_organisation(uow, OrganisationCreate(
                kind="cooperative", name=f"HTX Bảng {n}-{k}", commune_code=c.code))
    page.goto(live_server + "/")
    expect(page.locator("#page-title")).to_contain_text("Tổng quan tỉnh")
    expect(page.locator("#count-communes")).to_have_text("102")
    expect(page.locator("#count-farmers")).to_have_text("2")
    # Nothing wider than the phone screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    page.screenshot(path=str(artifacts / f"home-phone-vi-{leg}.png"), full_page=True)

    # The 102-row commune table: pages of 20 rows, a search that ignores diacritics, sorting.
    rows = page.locator("#by-commune tbody tr:visible")
    expect(rows).to_have_count(20)
    commune = units.get_unit(platform.uow(), actors.commune_a).name
    plain = unicodedata.normalize("NFD", commune.replace("đ", "d").replace("Đ", "D"))
    page.fill(".table-search", "".join(c for c in plain if not unicodedata.combining(c)).lower())
    expect(rows.first).to_contain_text(commune)
    assert rows.count() < 20
    page.fill(".table-search", "")
    page.locator("#by-commune th button.sort").nth(1).click()
    page.locator("#by-commune th button.sort").nth(1).click()  # co-operatives, most first
    expect(page.locator("#by-commune th").nth(1)).to_have_attribute("aria-sort", "descending")
    coops = [int(t) for t in
             page.locator("#by-commune tbody tr:visible td:nth-child(2)").all_inner_texts()]
    assert len(coops) == 20 and coops == sorted(coops, reverse=True) and coops[0] == 3, coops
    page.click(".pager button >> nth=1")  # the next page
    expect(page.locator(".pager span")).to_contain_text("2/2")

    page.click("#login-link")
    page.fill("#username", "t_commune_a")
    page.fill("#password", "sai-mat-khau")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_contain_text("không đúng")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#who")).to_contain_text("t_commune_a · Cán bộ xã")
    page.screenshot(path=str(artifacts / f"home-phone-logged-in-{leg}.png"), full_page=True)

    page.click("#lang-en")
    expect(page.locator("#page-title")).to_contain_text("Province overview")
    expect(page.locator("#who")).to_contain_text("Commune officer")
    page.screenshot(path=str(artifacts / f"home-phone-en-{leg}.png"), full_page=True)

    page.click("#menu summary")
    page.click("nav >> text=Administrative units")
    expect(page.locator("#unit-results")).not_to_contain_text("Phường Cao Lãnh")
    page.fill("#unit-search", "cao lanh")
    # The page's own script swaps the results in as one types, and the address keeps the query.
    expect(page.locator("#unit-results")).to_contain_text("Phường Cao Lãnh")
    expect(page).to_have_url(live_server + "/units?q=cao%20lanh")
    assert page.locator("#unit-search").input_value() == "cao lanh"
    page.screenshot(path=str(artifacts / f"units-search-en-{leg}.png"), full_page=True)

    page.click("#lang-vi")
    page.click("#logout")
    expect(page.locator("#login-link")).to_be_visible()


def test_home_on_desktop(actors: Actors, live_server: str, desktop: Page, artifacts: Path,
                         platform: Platform) -> None:
    desktop.goto(live_server + "/")
    expect(desktop.locator("nav a[aria-current=page]")).to_have_text("Trang chủ")
    # The test co-operative's commune is listed with its real name.
    commune = units.get_unit(platform.uow(), actors.commune_a).name
    expect(desktop.locator("#by-commune")).to_contain_text(commune)
    desktop.screenshot(path=str(artifacts / f"home-desktop-{platform.dialect}.png"),
                       full_page=True)
