"""Price anomaly warnings from stored prices, sent through the alert channels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from nongso.alerts import services as alerts
from nongso.core import clock
from nongso.core.pagination import PageRequest
from nongso.core.permissions import SYSTEM
from nongso.market import ipa
from nongso.market import services as market
from tests.helpers import Actors, assert_problem
from tests.market.conftest import csv_sheet

SEASON = [300, 450, 200, -100, -400, -500, -300, -50, 100, 250, 400, 350]


def _history(actors: Actors, product: str, place: str, first: dt.date, months: int,
             spike: float = 0.0) -> list[float]:
    prices = []
    rows = []
    for k in range(months):
        month = ipa.add_months(first, k)
        price = 7000 + 15 * k + SEASON[month.month - 1] + (spike if k == months - 1 else 0)
        prices.append(float(price))
        rows.append([month.replace(day=10).strftime("%d/%m/%Y"), product, "tại ruộng", place,
                     f"{price:,.0f}".replace(",", "."), "", "Tổ thu mua xã"])
    r = actors.client.post("/api/v1/market/quotes/import",
                           files={"file": ("gia.csv", csv_sheet(rows))},
                           headers=actors.headers("province"))
    assert r.status_code == 200 and r.json()["rows_imported"] == months, r.text
    return prices


def test_report_matches_the_indicator_and_says_why(actors: Actors) -> None:
    a, b = actors.commune_a, actors.commune_b
    spiked = _history(actors, "lúa IR 50404", a, dt.date(2023, 1, 1), 47, spike=1600)
    _history(actors, "lúa thơm", a, dt.date(2024, 1, 1), 35)  # two annual rates in November
    _history(actors, "lúa ST25", b, dt.date(2022, 1, 1), 56)  # ends August 2026
    report = actors.client.get("/api/v1/market/anomalies", params={"all": "true"}).json()
    assert report["current_month"] == "2026-12-01" and report["series"] == 3
    by_product = {r["series"]["product_code"]: r for r in report["warnings"]}
    hot = by_product["lua_tuoi_thuong"]
    expected = ipa.compute(np.array([spiked]), dt.date(2023, 1, 1)).ipa[0, -1]
    assert hot["status"] == "alert" and hot["ipa"] == pytest.approx(expected, abs=1e-9)
    assert hot["month"] == "2026-11-01" and "cao bất thường" in hot["explanation"]
    young = by_product["lua_tuoi_thom"]
    assert young["status"] == "insufficient_history" and young["ipa"] is None
    assert "2 năm" in young["explanation"] and "ít nhất 3 năm" in young["explanation"]
    old = by_product["lua_tuoi_st"]
    assert old["status"] == "stale" and "08/2026" in old["explanation"]
    en = actors.client.get("/api/v1/market/anomalies?all=true&lang=en").json()
    assert any("older than 2 months" in r["explanation"] for r in en["warnings"])
    warnings_only = actors.client.get("/api/v1/market/anomalies").json()["warnings"]
    assert [w["series"]["product_code"] for w in warnings_only] == ["lua_tuoi_thuong"]
    detail = actors.client.get(f"/api/v1/market/series/{hot['series']['id']}").json()
    assert len(detail["history"]) == 47 and detail["latest"]["status"] == "alert"
    assert detail["ipa"][-1]["ipa"] == pytest.approx(expected, abs=1e-9)


def test_warnings_go_out_as_alerts_and_clear(actors: Actors,
                                            fixed_clock: clock.FixedClock) -> None:
    _history(actors, "lúa IR 50404", actors.commune_a, dt.date(2023, 1, 1), 47, spike=1600)
    assert_problem(actors.client.post("/api/v1/market/anomalies/evaluate",
                                      headers=actors.headers("coop_a")), 403)
    r = actors.client.post("/api/v1/market/anomalies/evaluate",
                           headers=actors.headers("province"))
    assert r.status_code == 200 and r.json()["raised"] == 1, r.text
    opened = alerts.list_alerts(actors.platform.uow(SYSTEM), PageRequest(50, 0),
                                status="open", rule="market.price_anomaly")
    assert opened.total == 1
    alert = opened.items[0]
    assert alert.severity == "moderate" and alert.communes == [actors.commune_a]
    assert alert.crops == ["rice"] and "11/2026" in alert.headline_vi
    assert "FAO GIEWS" in alert.source and alert.station_name.startswith("Lúa tươi thường")
    cap = actors.client.get(f"/api/v1/alerts/{alert.id}/cap.xml")
    assert cap.status_code == 200 and "market.price_anomaly" in cap.text
    page = actors.client.get(f"/alerts/{alert.id}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "FAO GIEWS" in page.text
    # Evaluated again: the same alert, no duplicate.
    again = market.evaluate_anomalies(actors.platform.uow(SYSTEM))
    assert (again.raised, again.updated, again.cleared) == (0, 0, 0)
    # Three months later without new prices: too old to warn, the alert clears.
    fixed_clock.advance(dt.timedelta(days=92))
    later = market.evaluate_anomalies(actors.platform.uow(SYSTEM))
    assert later.cleared == 1 and later.counts == {"stale": 1}
    assert alerts.list_alerts(actors.platform.uow(SYSTEM), PageRequest(50, 0),
                              status="open", rule="market.price_anomaly").total == 0
