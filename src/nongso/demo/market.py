"""Demo market: seven years of monthly prices with anomalies to find, co-operatives'
expected harvests and buyers' demand to match, listings, shared machines with bookings.

Prices are written in bulk (series, one quote a month, the monthly sums), deterministic for
a seed; everything else goes through the market's services (the warnings through the alerts,
the matching through the optimiser, the bookings through the overlap checks).

Anomalies planted in the last month: fresh paddy at the farm gate in one commune (+28 %),
Ri6 durian at the wholesale market (+35 %), and a collapse of Cat Chu mango (−30 %: low
prices are shown, GIEWS warns of high ones). One series stopped four months ago (too old to
warn) and one started two years ago (too few years): the prices page says why they are
silent.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select

from nongso.core.errors import AppError
from nongso.core.pagination import PageRequest
from nongso.core.uow import UnitOfWork
from nongso.market import services as market
from nongso.market.ipa import add_months
from nongso.market.models import PriceMonth, PriceQuote, PriceSeries
from nongso.market.schemas import (
    BookingCreate,
    DemandCreate,
    EquipmentCreate,
    FxRateSet,
    ListingCreate,
    SupplyCreate,
)
from nongso.registry import services as registry
from nongso.registry.models import Organisation
from nongso.trace import services as trace
from nongso.units import services as units

VN = dt.timezone(dt.timedelta(hours=7))
YEARS = 7
# product: (base đ/kg seven years ago, seasonal amplitude, levels and their price factors)
PRODUCTS: dict[str, tuple[float, float, dict[str, float]]] = {
    "lua_tuoi_thuong": (5600, 0.07, {"farm_gate": 1.0, "wholesale": 1.08}),
    "lua_tuoi_thom": (6400, 0.06, {"farm_gate": 1.0, "wholesale": 1.08}),
    "lua_tuoi_st": (7600, 0.05, {"farm_gate": 1.0}),
    "gao_thuong": (11500, 0.04, {"wholesale": 1.0, "retail": 1.25, "export": 0.9}),
    "gao_st": (22000, 0.03, {"wholesale": 1.0, "retail": 1.3}),
    "xoai_cat_hoa_loc": (30000, 0.25, {"farm_gate": 1.0, "wholesale": 1.2, "retail": 1.6}),
    "xoai_cat_chu": (18000, 0.25, {"farm_gate": 1.0, "wholesale": 1.2}),
    "sau_rieng_ri6": (55000, 0.2, {"farm_gate": 1.0, "wholesale": 1.15}),
    "buoi_da_xanh": (28000, 0.12, {"farm_gate": 1.0, "retail": 1.5}),
    "nhan": (17000, 0.2, {"farm_gate": 1.0}),
    "ca_tra": (26000, 0.06, {"farm_gate": 1.0}),
    "tom_the": (110000, 0.08, {"farm_gate": 1.0}),
}
# Month of the year (1-12) with the lowest price: the harvest peak.
LOW_MONTH = {"lua_tuoi_thuong": 3, "lua_tuoi_thom": 3, "lua_tuoi_st": 3, "gao_thuong": 4,
             "gao_st": 4, "xoai_cat_hoa_loc": 5, "xoai_cat_chu": 5, "sau_rieng_ri6": 7,
             "buoi_da_xanh": 9, "nhan": 8, "ca_tra": 6, "tom_the": 10}
SPIKES = {("lua_tuoi_thuong", "farm_gate", 0): 1.28, ("sau_rieng_ri6", "wholesale", -1): 1.35,
          ("xoai_cat_chu", "farm_gate", 1): 0.7}


@dataclass
class MarketDemo:
    series: int = 0
    quotes: int = 0
    warnings: int = 0
    proposals: int = 0
    bookings: int = 0
    listings: int = 0
    notes: list[str] = field(default_factory=list)


def _price(rng: random.Random, product: str, month: dt.date, k: int, place_factor: float,
           level_factor: float, quiet: bool = False) -> float:
    base, amplitude, _ = PRODUCTS[product]
    trend = (1.035 ** (k / 12))
    season = 1 + amplitude * math.cos(2 * math.pi * (month.month - LOW_MONTH[product] - 6) / 12)
    # The last month is quiet (a usual month) except where an anomaly is planted, so that the
    # warnings the demo shows are the planted ones rather than chance (IPA ≥ 1 for about one
    # series in six whatever the noise: it is a z-score).
    noise = rng.gauss(1, 0.005 if quiet else 0.025)
    return float(round(base * trend * season * noise * place_factor * level_factor, -1))


def _prices(uow: UnitOfWork, province: str, today: dt.date, seed: int) -> tuple[int, int]:
    s = uow.session
    if s.scalar(select(func.count()).select_from(PriceSeries)
                .where(PriceSeries.province_code == province)):
        return 0, 0
    rng = random.Random(seed)
    communes = units.communes_of_province(uow, province)
    picks = [c.code for c in communes if c.type.startswith("Xã")][:4] or \
        [c.code for c in communes][:4]
    last = add_months(today.replace(day=1), -1)
    first = add_months(last, -(12 * YEARS - 1))
    series_rows: list[dict[str, Any]] = []
    plans: list[tuple[int, str, str, float, float, int, int]] = []
    next_id = (s.scalar(select(func.max(PriceSeries.id))) or 0) + 1
    for product, (_, _, levels) in PRODUCTS.items():
        for level, level_factor in levels.items():
            places = [(c, 1 + 0.03 * (n - 1.5)) for n, c in enumerate(picks)] \
                if level == "farm_gate" else [(province, 1.0)]
            for place, place_factor in places:
                series_rows.append(dict(id=next_id, product_code=product, level=level,
                                        place_code=place, province_code=province))
                start, stop = 0, 12 * YEARS
                if product == "nhan" and place == picks[-1]:
                    stop -= 4  # stopped four months ago: too old to warn
                if product == "lua_tuoi_st" and place == picks[0]:
                    start = stop - 24  # two years only: too few years to compare
                plans.append((next_id, product, level, place_factor, level_factor, start,
                              stop))
                next_id += 1
    s.execute(insert(PriceSeries), series_rows)
    quotes: list[dict[str, Any]] = []
    months: list[dict[str, Any]] = []
    spike_at = {(p, lvl, picks[i] if i >= 0 else province): f for (p, lvl, i), f in
                SPIKES.items()}
    for sid, product, level, pf, lf, start, stop in plans:
        place = next(r["place_code"] for r in series_rows if r["id"] == sid)
        for k in range(start, stop):
            month = add_months(first, k)
            price = _price(rng, product, month, k, pf, lf, quiet=k >= 12 * YEARS - 1)
            if k == 12 * YEARS - 1:
                price = round(price * spike_at.get((product, level, place), 1.0), -1)
            day = month.replace(day=min(15, 1 + (sid + k) % 27))
            quotes.append(dict(series_id=sid, observed_on=day, price_vnd_per_kg=price,
                               original_text=f"{price:,.0f}".replace(",", ".") + " đ/kg",
                               original_value=price, original_unit="vnd/kg",
                               source_kind="officer", source_name="Báo cáo giá của xã (demo)",
                               source_key="officer:demo", created_at=dt.datetime.now(dt.UTC)))
            months.append(dict(series_id=sid, month=month, n=1, total_vnd_per_kg=price))
    for n in range(0, len(quotes), 5000):
        s.execute(insert(PriceQuote), quotes[n:n + 5000])
        s.execute(insert(PriceMonth), months[n:n + 5000])
    s.flush()
    return len(series_rows), len(quotes)


def _orgs(uow: UnitOfWork, province: str, kind: str, limit: int) -> list[Organisation]:
    return list(uow.session.scalars(select(Organisation).where(
        Organisation.province_code == province, Organisation.kind == kind)
        .order_by(Organisation.id).limit(limit)))


def _trade(uow: UnitOfWork, province: str, today: dt.date, seed: int) -> int:
    rng = random.Random(seed + 1)
    coops = _orgs(uow, province, "cooperative", 6)
    buyers = _orgs(uow, province, "buyer", 3) + _orgs(uow, province, "exporter", 2)
    if not coops or not buyers:
        return 0
    harvest = today + dt.timedelta(days=60)
    products = ["lua_tuoi_thom", "lua_tuoi_thuong", "lua_tuoi_st", "xoai_cat_hoa_loc"]
    for n, coop in enumerate(coops):
        product = products[n % len(products)]
        certs: list[Any] = ["vietgap"] if n % 2 == 0 else []
        if product == "xoai_cat_hoa_loc":
            certs.append("planting_area_code")
        market.create_supply(uow, SupplyCreate(
            product=product, grade=1 + n % 2, volume_kg=rng.randrange(40, 160) * 1000,
            available_from=harvest + dt.timedelta(days=n), available_to=harvest + dt.timedelta(
                days=20 + n), organisation_id=coop.id, certifications=certs,
            planting_area_code=f"VN-{province}-DEMO-{n:03d}" if "planting_area_code" in certs
            else None, note="Sản lượng dự kiến vụ Đông Xuân (demo)"))
    for n, buyer in enumerate(buyers):
        product = products[n % len(products)]
        market.create_demand(uow, DemandCreate(
            product=product, max_grade=2, volume_kg=rng.randrange(50, 150) * 1000,
            window_from=harvest + dt.timedelta(days=5), window_to=harvest + dt.timedelta(days=40),
            organisation_id=buyer.id, max_distance_km=80,
            certifications=["vietgap"] if n == 0 else [],
            price_vnd_per_kg=[8200, 7100, 9300, 42000][n % 4]))
    report = market.run_matching(uow)
    if report.proposals:
        first = report.proposals[0]
        market.respond(uow, first.id, True)  # the administrator accepts for both (demo)
    return len(report.proposals)


def _listings(uow: UnitOfWork, province: str) -> int:
    ocops = trace.list_ocop_products(uow, PageRequest(50, 0), status="active").items
    made = 0
    for ocop in [o for o in ocops if o.province_code == province][:-1]:  # one left unlisted
        market.create_listing(uow, ListingCreate(
            title=ocop.name, title_en=ocop.name_en, description=ocop.description,
            price_vnd=[185_000, 95_000, 70_000][made % 3],
            price_unit=["túi 5 kg", "hộp 2 kg", "quả 1,5 kg"][made % 3],
            ocop_product_id=ocop.id, organisation_id=ocop.organisation_id))
        made += 1
    for lot in trace.list_lots(uow, PageRequest(3, 0), status="active").items:
        if lot.organisation_id is None:
            continue
        market.create_listing(uow, ListingCreate(
            title=lot.label, description="Nông sản có nhật ký sản xuất và mã QR truy xuất.",
            price_vnd=16_000 if lot.crop == "rice" else 45_000, price_unit="kg",
            lot_id=lot.id, organisation_id=lot.organisation_id))
        made += 1
    return made


MACHINES = [("combine", "Máy gặt đập liên hợp Kubota DC-70", 1_300_000, "ha", 0.5),
            ("drone", "Máy bay phun thuốc DJI Agras T40", 180_000, "ha", 6.0),
            ("tractor", "Máy cày Kubota L5018", 900_000, "ha", 0.8),
            ("dryer", "Lò sấy lúa 30 tấn/mẻ", 250_000, "hour", None),
            ("pump", "Máy bơm dầu 16 HP", 120_000, "hour", None)]


def _equipment(uow: UnitOfWork, province: str, now: dt.datetime) -> int:
    bookings = 0
    for n, coop in enumerate(_orgs(uow, province, "cooperative", 3)):
        fields = registry.production_units_of(uow, organisation_id=coop.id)[:12]
        if not fields:
            continue
        feature = registry.get_feature(uow, "production_units", fields[0].id)
        ring = (feature.geometry or {}).get("coordinates", [[[0, 0]]])[0]
        lon, lat = ring[0][0], ring[0][1]
        for k, (kind, name, rate, unit, work) in enumerate(MACHINES):
            machine = market.create_equipment(uow, EquipmentCreate(
                kind=kind, name=name, organisation_id=coop.id, operator_name="Tổ dịch vụ (demo)",
                rate_vnd=rate, rate_unit=unit, work_rate_ha_per_h=work, lon=lon + 0.01 * k,
                lat=lat + 0.005, working_radius_km=20, hour_meter=100.0 + 37 * k + 11 * n,
                service_interval_h=250, hours_at_service=0))
            if kind not in ("combine", "drone"):
                continue
            day = (now + dt.timedelta(days=1 + n + k)).astimezone(VN).replace(
                hour=7, minute=0, second=0, microsecond=0, tzinfo=None)
            for j, f in enumerate(fields[:3]):
                try:
                    market.book(uow, BookingCreate(
                        equipment_id=machine.id, field_ids=[f.id],
                        starts_at=day + dt.timedelta(days=j),
                        ends_at=day + dt.timedelta(days=j, hours=4)))
                    bookings += 1
                except AppError:
                    continue  # a field too far from the machine: the demo books the others
    return bookings


def load(uow: UnitOfWork, province: str, today: dt.date, now: dt.datetime,
         seed: int = 2026) -> MarketDemo:
    """Build the demo market inside the caller's unit of work (idempotent for prices)."""
    out = MarketDemo()
    with uow:
        out.series, out.quotes = _prices(uow, province, today, seed)
        if not out.series:
            return out
        market.set_fx_rate(uow, today, FxRateSet(usd_vnd=25_400,
                                                 source="Tỷ giá tham khảo (demo)"))
        out.warnings = len(market.evaluate_anomalies(uow).warnings)
        out.proposals = _trade(uow, province, today, seed)
        out.listings = _listings(uow, province)
        out.bookings = _equipment(uow, province, now)
    return out
