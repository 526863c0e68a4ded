"""Settings of the market (environment variables ``NONGSO_MARKET_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class MarketSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NONGSO_MARKET_", extra="ignore")

    # The outside price feed: "none", "http" (a JSON endpoint, below) or "fake" (tests).
    feed: str = "none"
    feed_url: str = ""
    feed_api_key: str = ""
    feed_timeout_s: float = 20.0
    # Forecast candidates (comma-separated): seasonal_naive, ets, theta, arima.
    forecast_models: str = "seasonal_naive,ets,theta,arima"


@lru_cache
def market_settings() -> MarketSettings:
    return MarketSettings()
