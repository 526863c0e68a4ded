"""The web shell through HTTP: home counts, log-in with CSRF, language, error pages."""

from __future__ import annotations

import datetime as dt
import re

from nongso.alerts import services as alerts
from nongso.core import clock
from nongso.core.pagination import PageRequest
from nongso.core.permissions import SYSTEM
from nongso.monitor import services as monitor
from nongso.monitor.ingest import SeriesIn
from tests.alerts.conftest import add_fields
from tests.helpers import PASSWORD, Actors
from tests.monitor.conftest import make_station


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_home_shows_real_counts(actors: Actors) -> None:
    html = actors.client.get("/").text
    assert "Tổng quan tỉnh: Tỉnh Đồng Tháp" in html
    assert re.search(r'id="count-communes">102<', html)
    assert re.search(r'id="count-farmers">2<', html)
    assert re.search(r'id="count-cooperatives">2<', html)


def test_home_shows_todays_alerts_and_stations(actors: Actors) -> None:
    """The open warnings and the stations' states, from the alerts' services."""
    quiet = actors.client.get("/").text
    assert re.search(r'id="count-open-alerts">0<', quiet)
    assert "Không có cảnh báo nào đang diễn ra." in quiet
    now = clock.now()
    salty = make_station(actors.platform, "Trạm đo mặn Vàm Giồng", lon=106.515, lat=10.317,
                         commune_code=actors.commune_a)
    add_fields(actors.platform, 106.515, 10.317, {"rice": actors.commune_a})
    times = [now - dt.timedelta(hours=6) + dt.timedelta(minutes=30 * i) for i in range(12)]
    monitor.ingest(actors.platform.uow(SYSTEM), [SeriesIn(salty.salinity, times, [4.0] * 12)])
    alerts.evaluate_periodic(actors.platform.uow(SYSTEM))
    html = actors.client.get("/").text
    opened = alerts.list_alerts(actors.platform.uow(), PageRequest(limit=5, offset=0),
                                status="open")
    assert opened.total >= 1
    assert re.search(rf'id="count-open-alerts">{opened.total}<', html)
    assert opened.items[0].headline_vi in html and f'href="/alerts/{opened.items[0].id}"' in html
    # 4 ‰ beside rice (safe limit 2 ‰): the station is in warning.
    assert re.search(r'data-status="warning">1 cảnh báo<', html)
    en = actors.client.get("/?lang=en").text
    assert opened.items[0].headline_en in en and "Open alerts" in en


def test_login_requires_csrf_and_sets_a_session(actors: Actors) -> None:
    c = actors.client
    r = c.post("/login", data={"username": "t_admin", "password": PASSWORD, "csrf": "sai"},
               headers={"Accept": "text/html"})
    assert r.status_code == 400 and "Phiên làm việc đã hết hạn" in r.text
    token = _csrf(c.get("/login").text)
    r = c.post("/login", data={"username": "t_admin", "password": "sai", "csrf": token})
    assert r.status_code == 401 and "không đúng" in r.text
    r = c.post("/login", data={"username": "t_admin", "password": PASSWORD, "csrf": token,
                               "next": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    home = c.get("/").text
    assert "t_admin" in home and "Quản trị hệ thống" in home
    audit = c.get("/audit")
    assert audit.status_code == 200 and "Nhật ký thay đổi" in audit.text


def test_language_switch(actors: Actors) -> None:
    c = actors.client
    r = c.get("/lang/en", params={"next": "/units"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/units"
    c.cookies.set("lang", "en")
    assert "Administrative units" in c.get("/units").text
    c.cookies.set("lang", "vi")
    assert "Đơn vị hành chính" in c.get("/units").text


def test_unit_search_page_without_accents(actors: Actors) -> None:
    html = actors.client.get("/units", params={"q": "cao lanh"}).text
    assert "Phường Cao Lãnh" in html


def test_error_pages_for_browsers(actors: Actors) -> None:
    r = actors.client.get("/units/99999", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "Không tìm thấy" in r.text and "<html" in r.text
    r = actors.client.get("/khong-co-trang", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "Không tìm thấy trang." in r.text


def test_pages_are_vietnamese_first_whatever_the_browser_language(actors: Actors) -> None:
    c = actors.client
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    assert "Tổng quan tỉnh" in c.get("/", headers=english_browser).text
    assert "Province overview" in c.get("/", params={"lang": "en"}).text
    # The API still negotiates: an English client gets English problem messages.
    r = c.get("/api/v1/units/99999", headers=english_browser)
    assert r.status_code == 404 and r.json()["title"] == "Not found"
