"""Market pages in headless Chromium: the prices page on a phone, a series' chart drawn by the
page's own script (no inline script), with screenshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import Page, expect

from nongso.core.platform import Platform
from tests.helpers import Actors
from tests.market.test_anomalies import _history


def test_prices_and_series_chart(actors: Actors, platform: Platform, live_server: str,
                                 phone: Page, artifacts: Path) -> None:
    _history(actors, "lúa IR 50404", actors.commune_a, dt.date(2023, 1, 1), 47, spike=1600)
    leg = platform.dialect
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(live_server + "/market")
    expect(phone.locator("#page-title")).to_have_text("Giá nông sản và cảnh báo giá bất thường")
    expect(phone.locator("#warnings li.st-alert")).to_have_count(1)
    phone.screenshot(path=str(artifacts / f"market-prices-phone-{leg}.png"), full_page=True)
    phone.click("#warnings li.st-alert a")
    chart = phone.locator("#price-chart")
    expect(chart).to_have_attribute("data-points", "47")
    expect(chart).to_have_attribute("data-forecast", "6")
    expect(phone.locator("#forecast-explanation")).to_contain_text("MASE")
    phone.screenshot(path=str(artifacts / f"market-series-phone-{leg}.png"), full_page=True)
    assert errors == []
