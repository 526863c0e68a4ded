"""Helpers of the market benchmarks: both databases (SQLite and PostgreSQL), bulk price
months, ratios."""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from collections.abc import Iterator

from _common import fresh_platform
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from nongso.core.platform import Platform
from nongso.market.ipa import add_months
from nongso.market.models import PriceMonth, PriceSeries
from nongso.units import services as units

SCALE = float(os.environ.get("NONGSO_BENCH_SCALE", "1"))
PG_ADMIN = os.environ.get("NONGSO_BENCH_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LEVELS = ("farm_gate", "wholesale", "retail", "export")


def databases() -> Iterator[tuple[str, Platform]]:
    """A fresh SQLite database, then a fresh PostgreSQL database (dropped afterwards)."""
    yield "sqlite", fresh_platform()
    admin = create_engine(make_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    name = f"nongso_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    platform = None
    try:
        platform = fresh_platform(make_url(PG_ADMIN).set(database=name)
                                  .render_as_string(hide_password=False))
        yield "postgresql", platform
    finally:
        if platform is not None:
            platform.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def price_months(platform: Platform, n_series: int, months: int, last: dt.date,
                 seed: int = 7) -> list[int]:
    """``n_series`` monthly series (synthetic products × levels × places of province 82),
    ``months`` months up to ``last``, with a season, a trend and noise."""
    rng = random.Random(seed)
    places = ["82"] + [c.code for c in units.communes_of_province(platform.uow(), "82")]
    series = []
    sid = 0
    product = 0
    while len(series) < n_series:
        for level in LEVELS:
            for place in places:
                if len(series) == n_series:
                    break
                sid += 1
                series.append(dict(id=sid, product_code=f"p{product:03d}", level=level,
                                   place_code=place, province_code="82"))
        product += 1
    first = add_months(last, -(months - 1))
    rows = []
    with platform.engine.begin() as conn:
        conn.execute(insert(PriceSeries), series)
        for s in series:
            base = rng.uniform(5000, 80000)
            for k in range(months):
                month = add_months(first, k)
                price = base * (1.003 ** k) * (1 + 0.08 * ((month.month % 12) - 6) / 6) \
                    * rng.gauss(1, 0.03)
                rows.append(dict(series_id=s["id"], month=month, n=1, total_vnd_per_kg=price))
            if len(rows) >= 50_000:
                conn.execute(insert(PriceMonth), rows)
                rows = []
        if rows:
            conn.execute(insert(PriceMonth), rows)
    return [s["id"] for s in series]
