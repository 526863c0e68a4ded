"""The market's pages: Vietnamese first, user text escaped, forms with CSRF, errors shown."""

from __future__ import annotations

import datetime as dt
import re

from tests.helpers import Actors
from tests.market.conftest import make_field, quote
from tests.market.test_anomalies import _history

XSS = "<img src=x onerror=alert(1)>"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_prices_page_says_why(actors: Actors) -> None:
    _history(actors, "lúa IR 50404", actors.commune_a, dt.date(2023, 1, 1), 47, spike=1600)
    assert quote(actors, "commune_a", product="lúa thơm").status_code == 201
    html = actors.client.get("/market").text
    assert "Giá nông sản và cảnh báo giá bất thường" in html
    assert 'data-status="alert"' in html and 'data-status="missing_lag"' in html
    assert "thiếu giá 3 tháng hoặc 12 tháng trước" in html
    assert "ít hơn 3 năm số liệu" in html  # the method, with its limits
    en = actors.client.get("/market?lang=en").text
    assert "Farm prices and price anomaly warnings" in en and "abnormal" in en
    series_id = re.search(r'<li class="st-alert" data-series="(\d+)"', html)
    assert series_id
    page = actors.client.get(f"/market/series/{series_id.group(1)}").text
    assert 'id="chart-data"' in page and 'id="forecast-explanation"' in page
    assert "MASE" in page and "/static/js/market.js" in page


def test_catalogue_and_listing_escape_user_text(actors: Actors) -> None:
    r = actors.client.post("/api/v1/market/listings", headers=actors.headers("coop_a"), json={
        "title": XSS, "description": f"Mô tả {XSS}", "price_vnd": 50_000})
    assert r.status_code == 201
    for path in ("/market/catalogue", f"/market/listings/{r.json()['id']}"):
        html = actors.client.get(path).text
        assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_trade_page_and_matching_form(actors: Actors) -> None:
    assert actors.client.get("/market/trade", headers={"Accept": "text/html"},
                             follow_redirects=False).status_code == 303
    c = actors.client
    page = c.get("/market/trade", headers=actors.headers("province")).text
    assert 'id="run-matching"' in page
    r = c.post("/market/trade/run", data={"csrf": "sai"}, headers={
        **actors.headers("province"), "Accept": "text/html"})
    assert r.status_code == 400 and "Phiên làm việc đã hết hạn" in r.text
    r = c.post("/market/trade/run", data={"csrf": _csrf(page)}, headers=actors.headers(
        "province"), follow_redirects=False)
    assert r.status_code == 303
    assert 'id="run-matching"' not in c.get("/market/trade", headers=actors.headers(
        "coop_a")).text


def test_booking_form_shows_errors_in_vietnamese(actors: Actors) -> None:
    field = make_field(actors.platform, actors.commune_a, 105.60, 10.45,
                       farmer_id=actors.farmer_a.id, organisation_id=actors.coop_a.id)
    machine = actors.client.post("/api/v1/market/equipment", headers=actors.headers("coop_a"),
                                 json={"kind": "drone", "name": f"Drone {XSS}",
                                       "rate_vnd": 150_000, "rate_unit": "ha", "lon": 105.59,
                                       "lat": 10.44}).json()
    url = f"/market/equipment/{machine['id']}"
    page = actors.client.get(url, headers=actors.headers("farmer_a")).text
    assert XSS not in page and "giờ Việt Nam" in page
    form = {"csrf": _csrf(page), "field_ids": str(field), "starts_at": "2026-12-10T09:00",
            "ends_at": "2026-12-10T07:00"}
    r = actors.client.post(f"{url}/book", data=form, headers=actors.headers("farmer_a"))
    assert r.status_code == 422 and "Giờ kết thúc phải sau giờ bắt đầu" in r.text
    form["ends_at"] = "2026-12-10T11:00"
    r = actors.client.post(f"{url}/book", data=form, headers=actors.headers("farmer_a"))
    assert r.status_code == 201 and "10/12/2026 09:00 (giờ Việt Nam, UTC+7)" in r.text
    search = actors.client.get("/market/equipment", params={"field_id": field,
                                                            "radius_km": 5}).text
    assert f'href="/market/equipment/{machine["id"]}"' in search and XSS not in search
