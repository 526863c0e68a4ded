"""Outside price feeds: the interface, the real HTTP reader (over httpx's mock transport, the
feed's server being outside the machine) and the fake; seasonal output forecasts."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from nongso.core.errors import Unavailable
from nongso.core.permissions import SYSTEM
from nongso.market import feeds
from nongso.market import services as market
from tests.helpers import Actors, assert_problem


def _handler(request: httpx.Request) -> httpx.Response:
    assert request.url.params["since"] == "2026-12-01"
    assert request.headers["authorization"] == "Bearer k"
    return httpx.Response(200, json={"quotes": [
        {"product": "lúa IR 50404", "level": "tại ruộng", "place_code": "82",
         "date": "2026-12-02", "price": "7.300đ/kg"},
        {"product": "gạo ST25", "level": "retail", "place_code": "82",
         "date": "2026-12-02", "price": "32.000", "market": "Chợ Cao Lãnh"},
        {"product": "lúa IR 50404", "level": "farm_gate", "place_code": "82",
         "date": "2026-12-02", "price": "7.5"},
        {"product": "lúa", "level": "chợ trời", "place_code": "82", "date": "hôm qua",
         "price": "7000"},
    ]})


def test_http_feed_reads_json_and_bad_rows_are_reported(actors: Actors) -> None:
    feed = feeds.HttpJsonFeed("https://gia.example.invalid/api", "k",
                              transport=httpx.MockTransport(_handler))
    report = market.pull_feed(actors.platform.uow(SYSTEM), dt.date(2026, 12, 1), feed)
    assert (report.received, report.imported, report.rejected) == (4, 2, 2)
    messages = " ".join(e.message for e in report.errors)
    assert "Dòng 3" in messages and "7.500" in messages and "Dòng 4" in messages
    again = market.pull_feed(actors.platform.uow(SYSTEM), dt.date(2026, 12, 1), feed)
    assert again.imported == 0  # the same quotes sent again are not stored twice


@pytest.mark.parametrize(("response", "words"), [
    (httpx.Response(503), "HTTP 503"), (httpx.Response(200, content=b"<html>"), "not JSON"),
    (httpx.Response(200, json={"data": []}), "'quotes'")])
def test_http_feed_failures_are_503_with_the_reason(actors: Actors, response: httpx.Response,
                                                    words: str) -> None:
    feed = feeds.HttpJsonFeed("https://gia.example.invalid/api",
                              transport=httpx.MockTransport(lambda _: response))
    with pytest.raises(Unavailable) as err:
        market.pull_feed(actors.platform.uow(SYSTEM), dt.date(2026, 12, 1), feed)
    assert words in err.value.message_en


def test_fake_feed_through_the_api(actors: Actors, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = feeds.fake_feed()
    fake.quotes = [feeds.FeedQuote(product="xoài cát Hòa Lộc", level="wholesale",
                                   place_code="82", day="2026-12-03", price="45 ngàn")]
    monkeypatch.setattr(feeds.market_settings(), "feed", "fake")
    r = actors.client.post("/api/v1/market/feed/pull", params={"since": "2026-12-01"},
                           headers=actors.headers("province"))
    assert r.status_code == 200, r.text
    assert r.json() == {"feed": "fake", "received": 1, "imported": 1, "rejected": 0,
                        "errors": []}
    assert_problem(actors.client.post("/api/v1/market/feed/pull",
                                      params={"since": "2026-12-01"},
                                      headers=actors.headers("buyer")), 403)
    fake.quotes = []
    assert json.loads(actors.client.get("/api/v1/market/series").text)["total"] == 1


def test_seasonal_output_forecast_needs_history_and_says_so(actors: Actors) -> None:
    url = f"/api/v1/market/output-forecast/{actors.commune_a}"
    assert_problem(actors.client.get(url), 401)
    body = actors.client.get(url, headers=actors.headers("commune_a")).json()
    assert body["outcome"] == "too_short" and body["m"] == 3
    assert "Chưa đủ dữ liệu" in body["explanation"]
