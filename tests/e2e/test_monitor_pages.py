"""Monitoring and alert pages in headless Chromium (phone and desktop), with screenshots."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import update

from nongso.alerts.models import Alert
from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import services as monitor
from nongso.monitor.ingest import SeriesIn
from tests.alerts.conftest import add_fields
from tests.helpers import PASSWORD, Actors
from tests.monitor.conftest import make_station


def _stations(platform: Platform, actors: Actors) -> tuple[int, int]:
    now = clock.now()
    salty = make_station(platform, "Trạm đo mặn Vàm Giồng", lon=106.515, lat=10.317,
                         commune_code=actors.commune_a)
    add_fields(platform, 106.515, 10.317, {"durian": actors.commune_a, "rice": actors.commune_a})
    flood = make_station(platform, "Trạm thủy văn Tân Châu", lon=105.248, lat=10.774,
                         extra_properties={"floodStation": "Tân Châu", "kind": "water_level"})
    times = [now - dt.timedelta(hours=48) + dt.timedelta(minutes=30 * i) for i in range(96)]
    monitor.ingest(platform.uow(SYSTEM), [
        SeriesIn(salty.salinity, times, [0.2 + 0.01 * i for i in range(96)]),
        SeriesIn(flood.water, times, [3.0 + 0.006 * i for i in range(96)]),
    ])
    return salty.thing_id, flood.thing_id


def test_station_map_and_chart_on_a_phone(actors: Actors, platform: Platform,
                                          live_server: str, phone: Page,
                                          artifacts: Path) -> None:
    salty, _flood = _stations(platform, actors)
    leg = platform.dialect
    page = phone
    page.goto(live_server + "/monitor")
    expect(page.locator("#page-title")).to_have_text("Bản đồ trạm quan trắc")
    expect(page.locator("#station-map")).to_have_attribute("data-stations", "2")
    # Two station markers over the commune dots, coloured by status.
    markers = page.locator("path.leaflet-interactive[fill='#c62828']")
    expect(markers).to_have_count(1)  # durian at 1.15 ‰: extreme -> alarm
    expect(page.locator("#stations tr[data-status='alarm']")).to_contain_text("Vàm Giồng")
    expect(page.locator("#stations tr[data-status='warning']")).to_contain_text("Tân Châu")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts / f"monitor-map-phone-{leg}.png"), full_page=True)

    page.click("text=Trạm đo mặn Vàm Giồng")
    chart = page.locator(f"#chart-{_first_ds(platform, salty)}")
    expect(chart).to_have_attribute("data-ready", "1")
    # The crop limits around the station are drawn: durian 0.5 ‰, rice 2 ‰.
    expect(chart).to_have_attribute("data-thresholds", "2")
    assert int(chart.get_attribute("data-points") or 0) >= 40
    expect(page.locator("#station-alerts")).to_contain_text("sầu riêng")
    # Dates on the time axis as the UI writes them (dd/mm), values with a decimal comma.
    labels = page.evaluate("""(id) => {
        const o = echarts.getInstanceByDom(document.getElementById(id)).getOption();
        return [o.xAxis[0].axisLabel.formatter(new Date(2026, 10, 25).getTime()),
                o.yAxis[0].axisLabel.formatter(1.5)];
    }""", f"chart-{_first_ds(platform, salty)}")
    assert labels == ["25/11", "1,5"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts / f"monitor-station-phone-{leg}.png"), full_page=True)


def _first_ds(platform: Platform, thing_id: int) -> int:
    streams = [s for s in monitor.rule_streams(platform.uow(SYSTEM)) if s.thing_id == thing_id]
    return min(s.datastream_id for s in streams)


def test_flood_chart_shows_the_alarm_levels(actors: Actors, platform: Platform,
                                            live_server: str, desktop: Page,
                                            artifacts: Path) -> None:
    _, flood = _stations(platform, actors)
    desktop.goto(live_server + f"/monitor/stations/{flood}?lang=en")
    water = next(s for s in monitor.rule_streams(platform.uow(SYSTEM))
             if s.thing_id == flood and s.property_code == "water_level")
    chart = desktop.locator(f"#chart-{water.datastream_id}")
    expect(chart).to_have_attribute("data-thresholds", "3")
    levels = actors.client.get(f"/api/v1/alerts/thresholds/{water.datastream_id}").json()
    fractional = [t for t in levels if t["value"] != int(t["value"])]
    assert fractional, levels  # Tân Châu's alarm levels are 3.5, 4.0, 4.5 m
    for t in fractional:
        assert f"{t['value']:g}".replace(".", ",") in t["label_vi"], t
        assert f"{t['value']:g}" in t["label_en"], t
    expect(desktop.locator("#station-status")).to_have_text("Warning")
    desktop.screenshot(path=str(artifacts / f"monitor-flood-desktop-{platform.dialect}.png"),
                       full_page=True)


def test_alert_list_and_acknowledge(actors: Actors, platform: Platform, live_server: str,
                                    desktop: Page, artifacts: Path) -> None:
    _stations(platform, actors)
    page = desktop
    page.goto(live_server + "/alerts")
    expect(page.locator("#page-title")).to_have_text("Cảnh báo và khuyến cáo")
    items = page.locator("#alert-list .alert-item")
    expect(items.first).to_be_visible()
    expect(page.locator("#alert-list")).to_contain_text("Tân Châu (Tiền): mực nước")
    expect(page.locator("#alert-list")).to_contain_text("nguy hại cho sầu riêng")
    # The map draws each located alert; its popup is built from DOM nodes.
    markers = page.locator("#alert-map path.leaflet-interactive")
    expect(markers.first).to_be_visible()
    markers.last.click(force=True)
    expect(page.locator(".leaflet-popup-content a")).to_have_text("Xem chi tiết")
    page.screenshot(path=str(artifacts / f"alerts-list-{platform.dialect}.png"), full_page=True)

    # A hostile station name in a headline reaches the popup as text, never as HTML.
    hostile = "<img src=x onerror=alert(1)>"
    with platform.engine.begin() as conn:
        conn.execute(update(Alert).values(headline_vi=hostile + Alert.headline_vi))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live_server + "/alerts")
    page.locator("#alert-map path.leaflet-interactive").last.click(force=True)
    expect(page.locator(".leaflet-popup-content b")).to_contain_text(hostile)
    assert page.locator(".leaflet-popup-content img").count() == 0 and dialogs == []

    page.goto(live_server + "/login?next=/alerts")
    page.fill("#username", "t_commune_a")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.check("#alerts-mine")
    page.click("#f-submit")
    expect(page).to_have_url(re.compile(r"mine=true"))
    expect(page.locator("#alert-list")).to_contain_text("sầu riêng")
    page.click("text=nguy hại cho sầu riêng")
    expect(page.locator("#alert-status")).to_have_text("Mới")
    page.click("#acknowledge")
    expect(page.locator("#alert-status")).to_have_text("Đã nắm tin")
    expect(page.locator("#cap-xml")).to_be_visible()
    page.screenshot(path=str(artifacts / f"alert-acknowledged-{platform.dialect}.png"),
                    full_page=True)
    page.click("#lang-en")
    expect(page.locator("#alert-status")).to_have_text("Acknowledged")
    cap = page.request.get(live_server + page.locator("#cap-xml").get_attribute("href"))
    assert cap.ok and "urn:oasis:names:tc:emergency:cap:1.2" in cap.text()


def test_station_and_registry_record_link_each_other(actors: Actors, platform: Platform,
                                                     live_server: str, desktop: Page) -> None:
    from tests.monitor.test_registry_links import registry_station

    record = registry_station(actors, "MAN-LIENKET")
    station = make_station(platform, "Trạm đo mặn Liên Kết", lon=106.37, lat=10.35,
                           extra_properties={"registryFeatureId": record})
    page = desktop
    page.goto(live_server + "/monitor")
    expect(page.locator("#station-map")).to_have_attribute("data-stations", "1")
    # The station's popup on the map links to its registry record...
    page.locator("path.leaflet-interactive[stroke='#263238']").click()
    link = page.locator(".leaflet-popup a.registry-link")
    expect(link).to_have_text("Hồ sơ trạm trong sổ đăng ký")
    link.click()
    # ... whose page lists the sensor and links back to the station's page.
    expect(page.locator("#page-title")).to_have_text("Công trình MAN-LIENKET")
    sensor = page.locator(f"#sensors li[data-thing='{station.thing_id}'] a").first
    expect(sensor).to_have_text("Trạm đo mặn Liên Kết")
    sensor.click()
    expect(page.locator("#page-title")).to_have_text("Trạm đo mặn Liên Kết")
    expect(page.locator("#registry-record")).to_contain_text("MAN-LIENKET")
