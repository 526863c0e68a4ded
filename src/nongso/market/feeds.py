"""Outside price feeds: a small interface with a registry of named implementations.

``http`` reads a JSON endpoint (``NONGSO_MARKET_FEED_URL``) answering
``{"quotes": [{"product", "level", "place_code", "date", "price", "unit", "market"}]}`` for
``?since=YYYY-MM-DD``; ``fake`` serves quotes given by a test. The quotes go through the same
checks as typed ones (``services.prices.pull_feed``): a wrong row is reported, not stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from nongso.market.config import MarketSettings, market_settings


@dataclass(frozen=True)
class FeedQuote:
    product: str
    level: str
    place_code: str
    day: str  # as the feed sends it (ISO 8601 expected)
    price: str  # as the feed sends it: "7500", "7.500 đ/kg", "480 USD/t"...
    unit: str | None = None
    market: str | None = None


class FeedError(RuntimeError):
    """The feed could not be read (network, HTTP status, malformed body)."""


class PriceFeed(Protocol):
    name: str

    def fetch(self, since: dt.date) -> list[FeedQuote]:
        """Quotes observed on or after ``since``."""
        ...


def _quote(item: Any, n: int) -> FeedQuote:
    if not isinstance(item, dict):
        raise FeedError(f"quote {n} is not an object")
    try:
        return FeedQuote(product=str(item["product"]), level=str(item["level"]),
                         place_code=str(item["place_code"]), day=str(item["date"]),
                         price=str(item["price"]),
                         unit=str(item["unit"]) if item.get("unit") else None,
                         market=str(item["market"])[:200] if item.get("market") else None)
    except KeyError as exc:
        raise FeedError(f"quote {n} lacks {exc.args[0]!r}") from exc


class HttpJsonFeed:
    """The real feed: one GET of a JSON endpoint (httpx; a transport can be given for tests)."""

    name = "http"

    def __init__(self, url: str, api_key: str = "", timeout_s: float = 20.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not url:
            raise FeedError("NONGSO_MARKET_FEED_URL is not set")
        self.url = url
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.transport = transport

    def fetch(self, since: dt.date) -> list[FeedQuote]:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            with httpx.Client(timeout=self.timeout_s, transport=self.transport) as client:
                r = client.get(self.url, params={"since": since.isoformat()}, headers=headers)
        except httpx.HTTPError as exc:
            raise FeedError(f"{type(exc).__name__}: {exc}") from exc
        if r.status_code != 200:
            raise FeedError(f"HTTP {r.status_code}")
        try:
            body = r.json()
        except ValueError as exc:
            raise FeedError("the answer is not JSON") from exc
        items = body.get("quotes") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise FeedError("the answer has no 'quotes' list")
        return [_quote(item, n) for n, item in enumerate(items, 1)]


class FakeFeed:
    """Serves the quotes it was given (tests, demos)."""

    name = "fake"

    def __init__(self, quotes: list[FeedQuote] | None = None) -> None:
        self.quotes = list(quotes or [])
        self.calls: list[dt.date] = []

    def fetch(self, since: dt.date) -> list[FeedQuote]:
        self.calls.append(since)
        return list(self.quotes)


_fake = FakeFeed()

FEEDS: dict[str, Callable[[MarketSettings], PriceFeed]] = {
    "http": lambda s: HttpJsonFeed(s.feed_url, s.feed_api_key, s.feed_timeout_s),
    "fake": lambda s: _fake,
}


def register(name: str, factory: Callable[[MarketSettings], PriceFeed]) -> None:
    FEEDS[name] = factory


def get_feed(name: str | None = None) -> PriceFeed:
    s = market_settings()
    key = name or s.feed
    if key not in FEEDS:
        raise FeedError(f"unknown price feed {key!r} (known: {', '.join(sorted(FEEDS))})")
    return FEEDS[key](s)


def fake_feed() -> FakeFeed:
    """The shared fake feed (tests set its quotes)."""
    return _fake
