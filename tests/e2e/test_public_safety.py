"""In a real browser: names that users write (an organisation, a plot, a production unit, the
places of a journey) are shown as text everywhere, never run as HTML, and the pages run under
their Content-Security-Policy without a violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Page, expect
from sqlalchemy import update

from nongso.trace.models import Location
from tests.e2e.test_trace import _login
from tests.trace.conftest import Journey, diary, journey  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e

PAYLOAD = "<img src=x onerror=alert(1)>"


def _watch(page: Page) -> list[str]:
    """Every dialog, uncaught error and console error (CSP violations are reported there)."""
    problems: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            problems.append(f"console: {msg.text} at {msg.location}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"error: {exc}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400
            else None)
    # Violations of the policy, also those the console would word differently.
    page.add_init_script("""document.addEventListener("securitypolicyviolation", function (e) {
        console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI); });""")
    return problems


def _no_injected_image(page: Page) -> None:
    assert page.locator('img[src="x"]').count() == 0


def test_names_are_text_on_public_and_staff_pages(
    journey: Journey,  # noqa: F811
    live_server: str, phone: Page, desktop: Page, platform: Any,
) -> None:
    j = journey
    a = j.d.actors
    names = {what: f"{PAYLOAD} {what}" for what in ("org", "unit", "plot", "farm", "shop", "hub")}
    r = a.client.patch(f"/api/v1/organisations/{a.coop_a.id}", headers=a.headers("admin"),
                       json={"name": names["org"]})
    assert r.status_code == 200, r.text
    r = a.client.patch(f"/api/v1/registry/production-units/{j.d.plot_a.production_unit_id}",
                       headers=a.headers("admin"), json={"name": names["unit"]})
    assert r.status_code == 200, r.text
    r = a.client.patch(f"/api/v1/diary/plots/{j.d.plot_a.id}", headers=a.headers("admin"),
                       json={"name": names["plot"]})
    assert r.status_code == 200, r.text
    # Locations have no edit form: their names are set where they are stored.
    with platform.uow() as uow:
        for what, loc in (("farm", j.farm_a), ("shop", j.shops[0]), ("hub", j.distributor)):
            uow.session.execute(update(Location).where(Location.id == loc.id)
                                .values(name=names[what]))
        uow.commit()

    # The consumer page a QR code opens, with its journey map.
    problems = _watch(phone)
    phone.goto(f"{live_server}/01/{j.packed.gtin}/10/{j.packed.lot_code}")
    expect(phone.locator("#producer")).to_have_text(names["org"])
    expect(phone.locator("#timeline")).to_contain_text(names["shop"])
    markers = phone.locator("#trace-map path.leaflet-interactive")
    expect(markers.first).to_be_attached()
    # The markers share a commune centre: each one's tooltip is opened in turn.
    shown = []
    for n in range(markers.count()):
        markers.nth(n).dispatch_event("mouseover")
        shown += phone.locator(".leaflet-tooltip").all_text_contents()
        markers.nth(n).dispatch_event("mouseout")
    assert any(text.endswith(names["farm"]) for text in shown), shown
    assert any(text.endswith(names["shop"]) for text in shown), shown
    _no_injected_image(phone)
    assert problems == []

    # Staff pages: the lot's recall graph and the production unit's record with its map.
    problems = _watch(desktop)
    _login(desktop, live_server, "t_inspector", "/trace/recall")
    expect(desktop.locator("#recall-form")).to_be_visible()
    desktop.goto(f"{live_server}/trace/recall?kind=lot&value={j.harvest_a.lot_code}")
    expect(desktop.locator("#recall-graph svg")).to_be_attached()
    expect(desktop.locator("#recall-places")).to_contain_text(names["shop"])
    _no_injected_image(desktop)
    desktop.goto(f"{live_server}/registry/production_units/{j.d.plot_a.production_unit_id}")
    expect(desktop.locator("body")).to_contain_text(names["unit"])
    expect(desktop.locator("#mini-map.leaflet-container")).to_be_attached()
    _no_injected_image(desktop)
    desktop.goto(f"{live_server}/map")
    expect(desktop.locator("#map-status[data-count]")).to_be_attached()
    assert problems == []
