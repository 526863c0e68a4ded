"""Remote-sensing pages in headless Chromium: the commune officer's list and a field's curve."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.remote import services as remote
from tests.helpers import PASSWORD, Actors
from tests.remote.conftest import Scenes, register_fields
from tests.remote.conftest import scenes as scenes


def test_commune_officer_checks_a_difference_and_sees_the_curve(
        actors: Actors, scenes: Scenes, platform: Platform,
        live_server: str, phone: Page, artifacts: Path) -> None:
    fields = register_fields(actors, scenes)
    admin = platform.uow(SYSTEM)
    remote.ingest(admin, "local", str(scenes.path))
    remote.reduce_new_scenes(admin, "82")
    remote.compute_phenology(admin, "82")
    remote.reconcile_province(admin, "82")
    leg = platform.dialect
    page = phone
    page.goto(f"{live_server}/login?next=/remote")
    page.fill("#username", "t_commune_a")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#page-title")).to_have_text("Viễn thám: lúa theo xã")
    row = page.locator("#differences tr[data-kind='declared_rice_bare']").first
    expect(row).to_have_attribute("data-status", "open")
    row.locator("input[name=note]").fill("<img src=x onerror=alert(1)>")
    row.locator("button[value=rejected]").click()
    expect(page.locator("#differences tr[data-kind='declared_rice_bare']").first
           ).to_have_attribute("data-status", "rejected")
    expect(page.locator("#differences")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("#differences img").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts / f"remote-commune-phone-{leg}.png"), full_page=True)

    page.goto(f"{live_server}/remote/fields/{fields.ids[0]}")
    chart = page.locator("#remote-curve")
    expect(chart).to_have_attribute("data-seasons", "2")
    assert int(chart.get_attribute("data-points") or 0) > 30
    label = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById(
        'remote-curve')).getOption().xAxis[0].axisLabel.formatter(
        new Date(2026, 4, 7).getTime())""")
    assert label == "07/05"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts / f"remote-field-phone-{leg}.png"), full_page=True)
