"""The alerts page: filters on the server (commune, crop, severity, state), the map's data,
communes by name (grouped when many), a station's alert listing each crop with its advice."""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import insert

from nongso.alerts.models import Alert, AlertCommune
from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import services as monitor
from nongso.monitor.ingest import SeriesIn
from nongso.units import services as units
from tests.alerts.conftest import NOW, add_fields
from tests.helpers import Actors
from tests.monitor.conftest import make_station


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'class="alert-item[^"]*"[^>]*data-id="(\d+)"', html)]


def test_alerts_page_filters_maps_and_names_communes(
        platform: Platform, actors: Actors, now: clock.FixedClock) -> None:
    a, b = actors.commune_a, actors.commune_b
    add_fields(platform, 106.7, 10.27, {"durian": a, "rice": b})
    add_fields(platform, 106.9, 10.5, {"rice": b})
    st1 = make_station(platform, "Trạm đo mặn Một", lon=106.7, lat=10.27)
    st2 = make_station(platform, "Trạm đo mặn Hai", lon=106.9, lat=10.5)
    at = NOW - dt.timedelta(minutes=5)
    monitor.ingest(platform.uow(SYSTEM), [SeriesIn(st1.salinity, [at], [2.4]),
                                          SeriesIn(st2.salinity, [at], [2.2])])
    # A flood alert over the whole province (inserted as the flood rule would leave it).
    province = units.communes_of_province(platform.uow(), "82")
    with platform.engine.begin() as conn:
        flood_id = conn.execute(insert(Alert).values(
            rule_id="flood.alarm_level", key="flood.alarm_level|ds999", status="raised",
            severity="minor", level=1, subject="Mỹ Thuận", headline_vi="Lũ báo động I",
            headline_en="Flood alarm level I", description_vi="", description_en="",
            source="", station_name="Mỹ Thuận", province_code="82", raised_at=NOW,
            updated_at=NOW).returning(Alert.id)).scalar_one()
        conn.execute(insert(AlertCommune), [{"alert_id": flood_id, "commune_code": c.code}
                                            for c in province])
    c = actors.client
    page = c.get("/alerts").text
    ids = _ids(page)
    assert len(ids) == 3 and flood_id in ids
    # One alert per station, both crops in the first; the map has both stations.
    points = json.loads(re.search(r'id="alert-data">(.*?)</script>', page, re.S).group(1))
    assert {(p["lat"], p["lon"]) for p in points} == {(10.27, 106.7), (10.5, 106.9)}
    assert all(set(p) >= {"id", "headline", "severity", "radius_km"} for p in points)
    # The flood: the whole province, ten communes by name and the others folded away.
    flood = page[page.index(f'data-id="{flood_id}"'):]
    flood = flood[:flood.index("</li>")]
    assert "Toàn tỉnh" in flood and f"({len(province)})" in flood
    assert f"và {len(province) - 10} xã/phường khác" in flood and "<details" in flood
    assert not re.search(r">\d{5}<", flood)  # names, not codes (codes only in title)
    # Filters, on the server: commune, crop, severity, state (and combinations).
    by_commune = _ids(c.get("/alerts", params={"commune_code": a}).text)
    assert flood_id in by_commune and len(by_commune) == 2
    by_crop = _ids(c.get("/alerts", params={"crop": "durian"}).text)
    assert flood_id in by_crop and len(by_crop) == 2  # an alert without crops concerns all
    extreme = _ids(c.get("/alerts", params={"severity": "extreme"}).text)
    assert len(extreme) == 1 and flood_id not in extreme
    assert len(_ids(c.get("/alerts", params={"severity": "minor", "crop": "rice"}).text)) == 2
    assert _ids(c.get("/alerts", params={"severity": "minor", "crop": "durian"}).text) \
        == [flood_id]
    assert _ids(c.get("/alerts", params={"status": "cleared"}).text) == []
    assert len(_ids(c.get("/alerts", params={"status": "raised"}).text)) == 3
    assert _ids(c.get("/alerts", params={"status": "acknowledged"}).text) == []
    # Nonsense filters are ignored, not a 500.
    assert c.get("/alerts", params={"severity": "<x>", "commune_code": "9",
                                    "crop": "x"}).status_code == 200
    en = c.get("/alerts", params={"lang": "en", "severity": "minor"}).text
    assert "The whole province" in en and "more communes" in en
    # The station's alert: each crop with its communes by name and its advice.
    station_alert = next(i for i in ids if i != flood_id and i in extreme)
    detail = c.get(f"/alerts/{station_alert}").text
    table = detail[detail.index('id="crops-at-risk"'):detail.index("</table>")]
    a_name = units.get_unit(platform.uow(), a).name
    assert 'data-crop="durian"' in table and 'data-crop="rice"' in table
    assert a_name in table and "Không tưới bằng nước sông" in table
    detail_en = c.get(f"/alerts/{station_alert}", params={"lang": "en"}).text
    assert "Crops at risk" in detail_en and "Close the sluices" in detail_en


def test_rule_source_in_the_language_of_the_page(
        platform: Platform, actors: Actors, now: clock.FixedClock) -> None:
    add_fields(platform, 106.7, 10.27, {"rice": actors.commune_a})
    st = make_station(platform, "Trạm đo mặn Nguồn", lon=106.7, lat=10.27)
    monitor.ingest(platform.uow(SYSTEM),
                   [SeriesIn(st.salinity, [NOW - dt.timedelta(minutes=5)], [2.6])])
    c = actors.client
    [alert_id] = _ids(c.get("/alerts").text)
    source = re.compile(r'id="alert-source">([^<]*)<')
    vi = source.search(c.get(f"/alerts/{alert_id}").text).group(1)
    en = source.search(c.get(f"/alerts/{alert_id}", params={"lang": "en"}).text).group(1)
    assert "Độ mặn nước tưới" in vi and "Salinity" not in vi and "primary document" not in vi
    assert "Salinity of irrigation water" in en and "Độ mặn" not in en
    # The API keeps both; the CAP message gives each <info> its language's source.
    body = c.get(f"/api/v1/alerts/{alert_id}").json()
    assert (body["source"], body["source_en"]) == (vi, en)
    infos = c.get(f"/api/v1/alerts/{alert_id}/cap.json").json()["alert"]["info"]
    by_lang = {i["language"]: {p["valueName"]: p["value"] for p in i["parameter"]}
               for i in infos}
    assert by_lang["vi-VN"]["nongso:source"] == vi and by_lang["en-US"]["nongso:source"] == en
    # An alert raised before the English source was kept shows its one source in both.
    with platform.engine.begin() as conn:
        old_id = conn.execute(insert(Alert).values(
            rule_id="flood.alarm_level", key="flood.alarm_level|ds998", status="raised",
            severity="minor", level=1, subject="Mỹ Thuận", headline_vi="Lũ báo động I",
            headline_en="Flood alarm level I", description_vi="", description_en="",
            source="Quyết định 05/2020/QĐ-TTg", station_name="Mỹ Thuận", province_code="82",
            raised_at=NOW, updated_at=NOW).returning(Alert.id)).scalar_one()
    for lang in ("vi", "en"):
        page = c.get(f"/alerts/{old_id}", params={"lang": lang}).text
        assert source.search(page).group(1) == "Quyết định 05/2020/QĐ-TTg"
