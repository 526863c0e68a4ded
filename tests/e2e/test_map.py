"""The digital map in headless Chromium: loads, filters, popups, "as of"; phone and desktop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from shapely.geometry import shape
from sqlalchemy import select

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services as demo
from nongso.registry.models import ProductionUnit
from nongso.units import services as units
from tests.helpers import PASSWORD, Actors
from tests.registry.shapes import TAN_PHUOC_1, rect
from tests.web import pmtiles_basemap


def _seq(page: Page) -> int:
    return int(page.evaluate("window.nongsoMap.state.seq"))


def _wait_loaded(page: Page, after: int) -> int:
    """Wait for a load newer than ``after`` to finish; returns the features/counts shown."""
    page.wait_for_function(
        "(after) => { const s = document.getElementById('map-status');"
        " return window.nongsoMap.state.seq > after && !s.dataset.loading"
        " && s.dataset.count !== undefined; }", arg=after)
    return int(page.get_attribute("#map-status", "data-count") or "0")


def _a_planting_area(platform: Platform) -> tuple[int, str, str, float, float, str]:
    with platform.uow() as uow:
        unit = uow.session.scalars(select(ProductionUnit).where(
            ProductionUnit.kind == "planting_area", ProductionUnit.version == 1)
            .order_by(ProductionUnit.id)).first()
        assert unit is not None and unit.geometry and unit.code and unit.crop
        c = shape(json.loads(unit.geometry)).representative_point()
        facts = unit.id, unit.code, unit.crop, c.x, c.y, unit.commune_code
    commune = units.get_unit(platform.uow(), facts[5]).name
    return (*facts[:5], commune)


def test_map_loads_filters_and_opens_a_popup(platform: Platform, live_server: str,
                                             desktop: Page, artifacts: Path) -> None:
    demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.03)
    unit_id, code, crop, lon, lat, commune = _a_planting_area(platform)
    leg = platform.dialect
    page = desktop
    page.goto(live_server + "/map")
    expect(page.locator("#page-title")).to_have_text("Bản đồ số nông nghiệp")
    expect(page.locator("#synthetic-note")).to_contain_text("MÔ PHỎNG")
    shown = _wait_loaded(page, 0)
    assert shown > 100  # the whole province, counted per grid cell
    assert page.get_attribute("#map-status", "data-mode") == "clusters"
    # The offline basemap: the province outline and its 102 (synthetic) communes.
    page.wait_for_function("() => window.nongsoMap.state.boundaries === 103")
    page.screenshot(path=str(artifacts / f"map-province-{leg}.png"))

    before = _seq(page)
    page.evaluate(f"window.nongsoMap.map.setView([{lat}, {lon}], 16); 0")
    everything = _wait_loaded(page, before)
    assert page.get_attribute("#map-status", "data-mode") == "features"
    kinds = set(page.evaluate(
        "window.nongsoMap.polygons.getLayers().map(l => l.feature.properties.kind)"))
    assert "planting_area" in kinds
    page.screenshot(path=str(artifacts / f"map-zoomed-{leg}.png"))

    # A filter changes what is shown: only this crop's production units remain.
    before = _seq(page)
    page.select_option("#filter-crop", crop)
    filtered = _wait_loaded(page, before)
    crops = set(page.evaluate(
        "window.nongsoMap.polygons.getLayers().map(l => l.feature.properties.crop)"))
    assert crops == {crop} and 0 < filtered < everything
    assert page.evaluate("window.nongsoMap.points.getLayers().length") == 0  # no businesses

    # A popup with the key facts and a link to the record.
    point = page.evaluate(
        f"(() => {{ const p = window.nongsoMap.map.latLngToContainerPoint([{lat}, {lon}]);"
        " const r = document.getElementById('map').getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; })()")
    page.mouse.click(point[0], point[1])
    popup = page.locator(f"#popup-planting_areas-{unit_id}")  # a planting area's own layer
    expect(popup).to_contain_text(code)
    expect(popup).to_contain_text(commune)
    # A function, not an expression string: the page's CSP forbids evaluating strings.
    page.wait_for_function(  # panned so that the whole popup shows, fade-in done
        "() => { const p = document.querySelector('.leaflet-popup');"
        " const m = document.getElementById('map').getBoundingClientRect();"
        " const r = p.getBoundingClientRect();"
        " return r.top >= m.top && getComputedStyle(p).opacity === '1'; }")
    page.screenshot(path=str(artifacts / f"map-popup-{leg}.png"))
    popup.locator("a.record-link").click()
    expect(page.locator("#page-title")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("Tạo mới")
    page.screenshot(path=str(artifacts / f"map-record-{leg}.png"), full_page=True)

    # "As of" a date before the registry existed: nothing.
    page.go_back()
    page.evaluate(f"window.nongsoMap.map.setView([{lat}, {lon}], 16); 0")
    _wait_loaded(page, _seq(page) - 1)
    before = _seq(page)
    page.fill("#filter-as-of", "2019-01-01")
    page.dispatch_event("#filter-as-of", "change")
    assert _wait_loaded(page, before) == 0


def test_map_on_a_phone(platform: Platform, live_server: str, phone: Page,
                        artifacts: Path) -> None:
    demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.02)
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(live_server + "/map?lang=en")
    expect(phone.locator("#page-title")).to_have_text("Digital agriculture map")
    _wait_loaded(phone, 0)
    map_box = phone.locator("#map").bounding_box()
    assert map_box is not None and map_box["y"] < 300  # the map first, filters folded away
    expect(phone.locator("#filter-crop")).to_be_hidden()
    phone.click("#map-panel summary")
    expect(phone.locator("#filter-crop")).to_be_visible()
    # "Clear filters" clears them (a button with id="reset" once shadowed the form's reset()).
    phone.select_option("#filter-crop", "mango")
    phone.fill("#filter-q", "xoai")
    phone.click("#filter-reset")
    expect(phone.locator("#filter-crop")).to_have_value("")
    expect(phone.locator("#filter-q")).to_have_value("")
    expect(phone.locator("#basemap-note")).to_contain_text("No basemap configured")
    # No two bubbles (counts, clusters, single points) overlap on the phone's screen.
    phone.click("#map-panel summary")  # folded again: the map fills the screen
    _, _, _, lon, lat, _ = _a_planting_area(platform)
    before = _seq(phone)
    phone.evaluate(f"window.nongsoMap.map.setView([{lat}, {lon}], 11); 0")
    _wait_loaded(phone, before)
    boxes = phone.evaluate(OVERLAYS)
    assert len(boxes) > 5, boxes
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    assert overlapping == [], overlapping
    phone.screenshot(path=str(artifacts / f"map-phone-en-{platform.dialect}.png"),
                     full_page=True)
    # An unticked layer shows nothing of its own, after a pan or zoom too.
    phone.click("#map-panel summary")
    before = _seq(phone)
    phone.evaluate(f"window.nongsoMap.map.setView([{lat}, {lon}], 15); 0")
    _wait_loaded(phone, before)
    kinds = "window.nongsoMap.polygons.getLayers().map(l => l.feature.properties.kind)"
    assert "planting_area" in phone.evaluate(kinds)
    before = _seq(phone)
    phone.uncheck("#layer-planting_areas")
    phone.uncheck("#layer-businesses")
    _wait_loaded(phone, before)
    before = _seq(phone)
    phone.evaluate(f"window.nongsoMap.map.setView([{lat}, {lon}], 14); 0")
    _wait_loaded(phone, before)
    assert "planting_area" not in phone.evaluate(kinds)
    assert phone.evaluate("window.nongsoMap.polygons.getLayers().length") > 0
    shown = phone.evaluate(
        "[...window.nongsoMap.points.getLayers(), ...window.nongsoMap.counts.getLayers()]"
        ".filter(l => l.feature).map(l => l.feature.collection)")
    assert "businesses" not in shown
    assert errors == []
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


# Screen boxes [left, top, right, bottom] of what marks places on the map: the count bubbles,
# the cluster icons and the single points drawn beside them.
OVERLAYS = """() => {
  const m = window.nongsoMap, out = [];
  document.querySelectorAll('.cluster-count, .marker-cluster').forEach(e => {
    const r = e.getBoundingClientRect(); out.push([r.left, r.top, r.right, r.bottom]); });
  const box = document.getElementById('map').getBoundingClientRect();
  m.counts.getLayers().filter(l => l.getRadius).forEach(l => {
    const p = m.map.latLngToContainerPoint(l.getLatLng()), r = l.getRadius() + 1;
    out.push([box.left + p.x - r, box.top + p.y - r, box.left + p.x + r, box.top + p.y + r]); });
  return out.filter(b => b[2] > box.left && b[0] < box.right
                         && b[3] > box.top && b[1] < box.bottom);
}"""


def test_import_page_reports_rows_and_imports_the_valid_ones(
        actors: Actors, live_server: str, desktop: Page, artifacts: Path, tmp_path: Path,
        platform: Platform) -> None:
    lon, lat = TAN_PHUOC_1
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": rect(*TAN_PHUOC_1, 150, 100),
         "properties": {"Mã số vùng trồng": "VN-DTOR-0101", "Tên": "Vùng bưởi Năm Roi",
                        "Cây trồng": "Bưởi", "Mã xã": actors.commune_a}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lat, lon]},
         "properties": {"Mã số vùng trồng": "VN-DTOR-0102", "Tên": "Sai tọa độ",
                        "Cây trồng": "Bưởi", "Mã xã": actors.commune_a}},
    ]}
    upload = tmp_path / "msvt.geojson"
    upload.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    page = desktop
    page.goto(live_server + "/login?next=/registry/import")
    page.fill("#username", "t_commune_a")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#page-title")).to_have_text("Nhập dữ liệu bản đồ từ tệp")
    page.set_input_files("#import-file", str(upload))
    page.select_option("#import-kind", "planting_area")
    page.click("#import-submit")
    expect(page.locator("#import-error")).to_contain_text("không nhập gì")
    expect(page.locator("#import-errors")).to_contain_text("đổi chỗ")
    page.screenshot(path=str(artifacts / f"import-refused-{platform.dialect}.png"), full_page=True)
    page.set_input_files("#import-file", str(upload))
    page.select_option("#import-kind", "planting_area")
    page.check("#import-only-valid")
    page.click("#import-submit")
    expect(page.locator("#import-result")).to_contain_text("Đã nhập: 1/2")
    page.screenshot(path=str(artifacts / f"import-done-{platform.dialect}.png"), full_page=True)
    page.locator("#import-result a").first.click()
    expect(page.locator("#page-title")).to_have_text("Vùng bưởi Năm Roi")


def test_map_draws_the_offline_pmtiles_basemap(platform: Platform, desktop: Page,
                                               request: pytest.FixtureRequest,
                                               monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path, artifacts: Path) -> None:
    """A PMTiles file the province hosts (here: the synthetic outlines) is read in byte ranges
    and drawn under the map's layers."""
    archive = tmp_path / "dong-thap.pmtiles"
    pmtiles_basemap.build(archive)
    monkeypatch.setattr(platform.settings, "basemap_pmtiles", archive)
    monkeypatch.setattr(platform.settings, "basemap_attribution", "Sở NN&MT <Đồng Tháp>")
    live_server: str = request.getfixturevalue("live_server")
    ranges: list[tuple[str, int]] = []
    desktop.on("response", lambda r: ranges.append((r.request.headers.get("range", ""), r.status))
               if r.url.endswith("/basemap/dong-thap.pmtiles") else None)
    errors: list[str] = []
    desktop.on("pageerror", lambda exc: errors.append(str(exc)))
    desktop.goto(live_server + "/map")
    expect(desktop.locator("#basemap-note")).to_have_count(0)
    # Drawn: the basemap's canvas tiles hold the land, its outlines and the sea around it.
    desktop.wait_for_function(
        "() => { const seen = new Set();"
        " for (const c of document.querySelectorAll('.leaflet-basemap-pane canvas')) {"
        "   if (!c.width) continue;"
        "   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "   for (let i = 0; i < d.length; i += 4 * 97)"
        "     seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2] + ',' + d[i+3]);"
        " } return seen.size >= 3; }")
    expect(desktop.locator(".leaflet-control-attribution")).to_contain_text(
        "Sở NN&MT <Đồng Tháp>")
    assert ranges and all(h.startswith("bytes=") and status == 206 for h, status in ranges), ranges
    assert len(ranges) >= 2  # the header and root directory, then tiles
    assert errors == []
    desktop.screenshot(path=str(artifacts / f"map-pmtiles-{platform.dialect}.png"))
