"""Demo farm diaries: seasons and activities for the demo plots (deterministic per seed).

Public figures for the Mekong Delta (``shared/reference/agronomy.md``): rice seasons (Đông
Xuân sown Nov–Dec and harvested Feb–Mar, crossing the year; Hè Thu Apr–May → Jul–Aug; Thu
Đông Aug–Sep → Nov–Dec), yields of the old Đồng Tháp province in 2013 (Đông Xuân 7.07 t/ha,
Hè Thu 5.65, Thu Đông 5.42: dry paddy, as the statistics count it), fertiliser timing and
doses of the extension advice, brown planthopper spray threshold 1,000/m². A few records break
the rules on purpose (a banned ingredient, an overdose, a harvest inside the pre-harvest
interval) so that the flags show.

How the seasons follow each other on a rice plot:

- Thu Đông is sown on about 0.58 of the rice area (published: 0.5–0.65 of Đông Xuân; the
  fields inside full dyke rings), the other plots rest in the flood season;
- every plot sows its next season 7–15 days after its own harvest (land preparation), never
  before it, and not before the season's calendar;
- Đông Xuân is sown in the province's "né rầy" windows, the days 4–10 after a brown
  planthopper flight peak of the demo's own light traps (``demo.calendar``);
- the harvest is weighed fresh (20–27 % moisture) and the diary keeps that weight and the
  moisture; the dry weight at 14 % (``diary.moisture``) is what the reports count.

Orchards are harvested in their own seasons and as often as the crop is (mango Mar–May plus
induced off-season crops, durian May–Aug or off-season before Tết, pomelo three times a year,
longan induced all year, dragon fruit in monthly flushes): ``demo/data/fruit_calendar.csv``,
with sources.

The rows are generated plot by plot (:func:`generate`) and written in large batches by
:func:`load`, so that the same code builds the small demo and the 10-million-row benchmark.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from nongso.core import audit, clock
from nongso.core.db import sync_sequences
from nongso.core.i18n import fold
from nongso.core.uow import UnitOfWork
from nongso.demo import calendar as demo_calendar
from nongso.diary import moisture, rules, seasons
from nongso.diary import services as diary
from nongso.diary.models import Activity, ActivityInput, Flag, Input, Plot, Purchase, Season
from nongso.diary.schemas import ActiveIngredient, InputCreate
from nongso.registry import services as registry
from nongso.registry.models import Organisation, ProductionUnit
from nongso.registry.schemas import OrganisationCreate

VN = rules.VN
AI = ActiveIngredient
CATALOGUE: list[InputCreate] = [
    InputCreate(kind="fertiliser", name="Urê 46% N", name_en="Urea 46% N", n_pct=46,
                manufacturer="Phân bón (demo)"),
    InputCreate(kind="fertiliser", name="DAP 18-46-0", n_pct=18, p2o5_pct=46),
    InputCreate(kind="fertiliser", name="NPK 20-20-15", n_pct=20, p2o5_pct=20, k2o_pct=15),
    InputCreate(kind="fertiliser", name="Kali clorua 60% K2O",
                name_en="Potassium chloride 60% K2O", k2o_pct=60),
    InputCreate(kind="pesticide", name="Cỏ Sạch 300EC (pretilachlor)", formulation="EC",
                active_ingredients=[AI(name="pretilachlor", concentration=300, unit="g/L")],
                label_dose_max_per_ha=1.2, label_dose_unit="L", target="cỏ lồng vực, cỏ chác"),
    InputCreate(kind="pesticide", name="Rầy Sạch 50WG (pymetrozine)", formulation="WG",
                active_ingredients=[AI(name="pymetrozine", concentration=500, unit="g/kg")],
                phi_days=14, label_dose_max_per_ha=0.4, label_dose_unit="kg", target="rầy nâu"),
    InputCreate(kind="pesticide", name="Đạo Ôn Tiêu 75WP (tricyclazole)", formulation="WP",
                active_ingredients=[AI(name="tricyclazole", concentration=750, unit="g/kg")],
                phi_days=14, label_dose_max_per_ha=0.5, label_dose_unit="kg", target="đạo ôn"),
    InputCreate(kind="pesticide", name="Vàng Sạch 325SC (azoxystrobin + difenoconazole)",
                formulation="SC", active_ingredients=[
                    AI(name="azoxystrobin", concentration=200, unit="g/L"),
                    AI(name="difenoconazole", concentration=125, unit="g/L")],
                phi_days=14, label_dose_max_per_ha=0.6, label_dose_unit="L",
                target="lem lép hạt, khô vằn"),
    InputCreate(kind="pesticide", name="Sâu Xanh 1.8EC (abamectin)", formulation="EC",
                active_ingredients=[AI(name="abamectin", concentration=18, unit="g/L")],
                phi_days=7, label_dose_max_per_ha=0.8, label_dose_unit="L",
                target="sâu cuốn lá, sâu đục trái"),
    InputCreate(kind="pesticide", name="Lem Lép 50SC (carbendazim)", formulation="SC",
                active_ingredients=[AI(name="carbendazim", concentration=500, unit="g/L")],
                phi_days=7, label_dose_max_per_ha=1.0, label_dose_unit="L",
                target="lem lép hạt (hoạt chất bị cấm từ 03/01/2019)"),
    InputCreate(kind="seed", name="Lúa giống OM5451 xác nhận",
                name_en="Certified rice seed OM5451", variety="OM5451",
                certified_seed=True),
    InputCreate(kind="seed", name="Lúa giống OM18 xác nhận",
                name_en="Certified rice seed OM18", variety="OM18", certified_seed=True),
    InputCreate(kind="seed", name="Lúa giống Đài Thơm 8 xác nhận",
                name_en="Certified rice seed Đài Thơm 8", variety="Đài Thơm 8",
                certified_seed=True),
    InputCreate(kind="seed", name="Lúa giống ST25 xác nhận",
                name_en="Certified rice seed ST25", variety="ST25", certified_seed=True),
    InputCreate(kind="seed", name="Lúa giống IR50404 xác nhận",
                name_en="Certified rice seed IR50404", variety="IR50404",
                certified_seed=True),
]
DEALERS = ["Đại lý VTNN Hai Lúa", "Cửa hàng Vật tư Nông nghiệp Ba Thành",
           "Đại lý Phân bón – Thuốc BVTV Tư Hiền", "Đại lý VTNN Năm Phước"]
BANNED = "Lem Lép 50SC (carbendazim)"
# Season kind: (sowing month, day range), days to harvest, mean yield t/ha of dry paddy at
# 14 % (old Đồng Tháp province, 2013). Đông Xuân sows in the "né rầy" windows instead of its
# day range (``demo.calendar``).
RICE = {"dong_xuan": ((11, 15, 30), 95, 7.07), "he_thu": ((4, 10, 30), 92, 5.65),
        "thu_dong": ((8, 5, 25), 90, 5.42)}
THU_DONG_SHARE = 0.58
"""Share of the rice area sown in Thu Đông (published 0.5–0.65 of the Đông Xuân area)."""
LAND_PREP_DAYS = (7, 15)
"""Days from a plot's harvest to its next sowing (straw, ploughing, levelling)."""
FRESH_MOISTURE_PCT = (20.0, 27.0)
"""Moisture of paddy weighed at the harvest (``agronomy.md``)."""
BUYER_KINDS = ("buyer",)


@dataclass
class Catalogue:
    ids: dict[str, int]
    facts: dict[int, Input]


@dataclass
class Batch:
    plots: list[dict[str, Any]] = field(default_factory=list)
    seasons: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    purchases: list[dict[str, Any]] = field(default_factory=list)

    def size(self) -> int:
        return len(self.activities)


@dataclass
class Ids:
    plot: int
    season: int
    activity: int
    input_use: int
    flag: int
    purchase: int


def rice_seasons(today: dt.date, years: int) -> list[tuple[str, int, int]]:
    """The rice seasons (kind, sowing year, sowing month) started in the last ``years``
    years up to today, oldest first."""
    out = []
    for year in range(today.year - years, today.year + 1):
        for kind in ("he_thu", "thu_dong", "dong_xuan"):
            month = RICE[kind][0][0]
            if dt.date(year, month, RICE[kind][0][1]) <= today:
                out.append((kind, year, month))
    return out[-3 * years - 1:] if years else out


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.choice((6, 7, 8, 15, 16)), rng.choice((0, 30))),
                               VN).astimezone(dt.UTC)


class Generator:
    """Generates the diary of one plot at a time (rows with explicit ids)."""

    def __init__(self, catalogue: Catalogue, dealers: list[int], buyers: list[int],
                 today: dt.date, seed: int, ids: Ids, now: dt.datetime) -> None:
        self.c = catalogue
        self.dealers = dealers
        self.buyers = buyers
        self.today = today
        self.seed = seed
        self.ids = ids
        self.now = now
        # The rice area seen so far and the part of it sown in Thu Đông (kept at about
        # THU_DONG_SHARE plot after plot, so that small demos have the share too).
        self.rice_area = 0.0
        self.thu_dong_area = 0.0
        # The day of the light traps' latest morning count, from which the planthopper
        # flights (and so the "né rầy" windows) are placed, as demo.monitor does.
        self.trap_day = demo_calendar.count_day(clock.now()) \
            if today == clock.today_vn() else today
        self.fruit = demo_calendar.fruit_calendar()

    def _uuid(self, kind: str, n: int) -> str:
        # Demo rows get ordered UUIDs (seed and kind in the high bits, a counter in the low
        # ones): inserting millions of them appends to the index instead of splitting pages.
        high = (self.seed & 0xFFFFFFFF) << 32 | (0xA1 if kind == "a" else 0xB2)
        return str(uuid.UUID(int=(high << 64) | n))

    def plot(self, unit: dict[str, Any], out: Batch, season_list: list[tuple[str, int, int]],
             rng: random.Random) -> None:
        self.ids.plot += 1
        plot_id = self.ids.plot
        area = float(unit["area_ha"] or 1.0)
        code = unit["code"] or f"PU-{unit['id']}"
        scope = dict(farmer_id=unit["farmer_id"], organisation_id=unit["organisation_id"],
                     commune_code=unit["commune_code"], province_code=unit["province_code"])
        out.plots.append(dict(
            id=plot_id, production_unit_id=unit["id"], code=code, name=unit["name"],
            crop=unit["crop"], area_ha=area, planting_area_code=None, certifications=[],
            created_at=self.now, **scope))
        variety = (unit.get("attributes") or {}).get("variety") or "OM5451"
        dealer = self.dealers[unit["id"] % len(self.dealers)] if self.dealers else None
        if unit["crop"] == "rice":
            self._rice_plot(plot_id, area, scope, season_list, variety, dealer, out, rng)
        else:
            for year in (self.today.year - 1, self.today.year):
                self._orchard_season(plot_id, area, scope, year, variety, unit["crop"], dealer,
                                     out, rng)

    def _thu_dong(self, area: float, rng: random.Random) -> bool:
        """Whether this plot sows Thu Đông: the running share of the rice area stays near
        THU_DONG_SHARE (with some jitter)."""
        self.rice_area += area
        if self.thu_dong_area + area <= (THU_DONG_SHARE + rng.uniform(-0.06, 0.06)) \
                * self.rice_area:
            self.thu_dong_area += area
            return True
        return False

    def _sowing(self, kind: str, year: int, after: dt.date | None,
                rng: random.Random) -> dt.date:
        """The plot's sowing day of a season: in the season's calendar (Đông Xuân: in a
        "né rầy" window) and at least LAND_PREP_DAYS after its previous harvest."""
        earliest = after + dt.timedelta(days=rng.randint(*LAND_PREP_DAYS)) if after else None
        if kind == "dong_xuan":
            window = demo_calendar.dong_xuan_window(self.trap_day, year, earliest,
                                                    later=rng.random() < 0.3)
            first = max(window.first, earliest or window.first)
            return first + dt.timedelta(days=rng.randint(0, (window.last - first).days))
        (month, d0, d1), _length, _mean = RICE[kind]
        planned = dt.date(year, month, rng.randint(d0, d1))
        return max(planned, earliest or planned)

    def _rice_plot(self, plot_id: int, area: float, scope: dict[str, Any],
                   season_list: list[tuple[str, int, int]], variety: str, dealer: int | None,
                   out: Batch, rng: random.Random) -> None:
        """The plot's seasons, one after the other: each sown after the previous harvest."""
        three_crops = self._thu_dong(area, rng)
        harvested: dt.date | None = None
        for kind, year, _month in season_list:
            if kind == "thu_dong" and not three_crops:
                continue
            sowing = self._sowing(kind, year, harvested, rng)
            if sowing > self.today:
                break  # not sown yet; nor the seasons after it
            harvested = self._rice_season(plot_id, area, scope, kind, sowing, variety, dealer,
                                          out, rng)

    # --- one season ------------------------------------------------------------------------
    def _season_row(self, plot_id: int, area: float, scope: dict[str, Any], kind: str,
                    sowing: dt.date, harvest: dt.date, crop: str, variety: str,
                    template: str) -> dict[str, Any]:
        self.ids.season += 1
        cy = seasons.infer_crop_year(kind, sowing, harvest)
        return dict(id=self.ids.season, plot_id=plot_id, season_kind=kind,
                    year_start=cy.year_start, year_end=cy.year_end, season_key=cy.key,
                    crop=crop, variety=variety, sowing_date=sowing,
                    expected_harvest_date=harvest, area_ha=area, template_code=template,
                    status="open" if harvest >= self.today else "closed", certified_at=None,
                    certified_by_user_id=None, created_at=self.now, **scope)

    def _activity(self, season: dict[str, Any], kind: str, day: dt.date, rng: random.Random,
                  out: Batch, **extra: Any) -> dict[str, Any]:
        self.ids.activity += 1
        at = _at(day, rng)
        row = dict(
            id=self.ids.activity, client_uuid=self._uuid("a", self.ids.activity), version=1,
            season_id=season["id"], plot_id=season["plot_id"], tree_id=None,
            farmer_id=season["farmer_id"], organisation_id=season["organisation_id"],
            commune_code=season["commune_code"], province_code=season["province_code"],
            kind=kind, status="done" if day <= self.today else "planned", at=at, done_by=None,
            notes=None, quantity=None, unit=None, quantity_base=None, base_unit=None,
            area_ha=None, moisture_pct=None, pest=None, density_per_m2=None, growth_stage=None,
            buyer_organisation_id=None, price_vnd_per_kg=None, bulk_id=None,
            recorded_by_user_id=None, confirmed_at=None, created_at=self.now,
            updated_at=self.now)
        row.update(extra)
        out.activities.append(row)
        return row

    def _use(self, activity: dict[str, Any], name: str, per_ha: float, area: float,
             purchases: dict[str, int], out: Batch) -> None:
        input_id = self.c.ids[name]
        item = self.c.facts[input_id]
        unit = item.label_dose_unit or "kg"
        base = round(per_ha * area, 4)
        self.ids.input_use += 1
        out.inputs.append(dict(id=self.ids.input_use, activity_id=activity["id"],
                               input_id=input_id, purchase_id=purchases.get(name),
                               quantity=base, unit=unit, quantity_base=base,
                               base_unit="L" if unit == "L" else "kg", dose_per_ha=per_ha))

    def _buy(self, season: dict[str, Any], names: list[str], per_ha: dict[str, float],
             dealer: int | None, sowing: dt.date, out: Batch, rng: random.Random
             ) -> dict[str, int]:
        if dealer is None:
            return {}
        bought: dict[str, int] = {}
        for name in names:
            self.ids.purchase += 1
            item = self.c.facts[self.c.ids[name]]
            qty = round(per_ha.get(name, 1.0) * season["area_ha"] * 1.1 + 0.5, 1)
            unit = item.label_dose_unit or "kg"
            bought[name] = self.ids.purchase
            out.purchases.append(dict(
                id=self.ids.purchase, client_uuid=self._uuid("p", self.ids.purchase),
                input_id=item.id, dealer_organisation_id=dealer, farmer_id=season["farmer_id"],
                organisation_id=season["organisation_id"], commune_code=season["commune_code"],
                province_code=season["province_code"],
                purchased_on=sowing - dt.timedelta(days=rng.randint(1, 10)), quantity=qty,
                unit=unit, quantity_base=qty, base_unit="L" if unit == "L" else "kg",
                lot=f"L{sowing:%y%m}-{rng.randint(1, 99):02d}", invoice_no=None,
                price_vnd=None, created_at=self.now))
        return bought

    def _rice_season(self, plot_id: int, area: float, scope: dict[str, Any], kind: str,
                     sowing: dt.date, variety: str, dealer: int | None, out: Batch,
                     rng: random.Random) -> dt.date:
        """One rice season sown on ``sowing``; returns its harvest day."""
        _calendar, length, mean = RICE[kind]
        harvest_day = sowing + dt.timedelta(days=length + rng.randint(-3, 5))
        season = self._season_row(plot_id, area, scope, kind, sowing, harvest_day, "rice",
                                  variety, "lua-3-vu")
        out.seasons.append(season)
        seed_name = next((n for n in self.c.ids if n.startswith("Lúa giống")
                          and fold(variety) in fold(n)), "Lúa giống OM5451 xác nhận")
        sprays = ["Cỏ Sạch 300EC (pretilachlor)", "Rầy Sạch 50WG (pymetrozine)",
                  "Đạo Ôn Tiêu 75WP (tricyclazole)",
                  "Vàng Sạch 325SC (azoxystrobin + difenoconazole)"]
        banned = rng.random() < 0.02
        overdose = rng.random() < 0.02
        early = rng.random() < 0.02
        if banned:
            sprays[3] = BANNED
        seed_rate = rng.uniform(80, 120)
        rates = {seed_name: seed_rate, "DAP 18-46-0": rng.uniform(45, 60),
                 "Urê 46% N": rng.uniform(45, 65), "NPK 20-20-15": rng.uniform(80, 110),
                 "Kali clorua 60% K2O": rng.uniform(40, 60),
                 sprays[0]: rng.uniform(0.9, 1.2), sprays[1]: rng.uniform(0.25, 0.4),
                 sprays[2]: rng.uniform(0.3, 0.5), sprays[3]: rng.uniform(0.4, 0.6)}
        if overdose:
            rates[sprays[2]] = 0.8  # label maximum 0.5 kg/ha
        bought = self._buy(season, list(rates), rates, dealer, sowing, out, rng)

        def day(n: int) -> dt.date:
            return sowing + dt.timedelta(days=n)

        self._activity(season, "land_prep", day(-rng.randint(5, 9)), rng, out,
                       notes="Cày, trục, san phẳng")
        a = self._activity(season, "sowing", sowing, rng, out, notes="Sạ lan")
        self._use(a, seed_name, rates[seed_name], area, bought, out)
        a = self._activity(season, "spraying", day(rng.randint(1, 3)), rng, out,
                           notes="Trừ cỏ tiền nảy mầm")
        self._use(a, sprays[0], rates[sprays[0]], area, bought, out)
        a = self._activity(season, "fertilising", day(rng.randint(7, 10)), rng, out,
                           notes="Bón thúc lần 1")
        self._use(a, "DAP 18-46-0", rates["DAP 18-46-0"], area, bought, out)
        self._use(a, "Urê 46% N", rates["Urê 46% N"] * 0.6, area, bought, out)
        a = self._activity(season, "fertilising", day(rng.randint(18, 22)), rng, out,
                           notes="Bón thúc lần 2")
        self._use(a, "NPK 20-20-15", rates["NPK 20-20-15"], area, bought, out)
        self._use(a, "Urê 46% N", rates["Urê 46% N"], area, bought, out)
        a = self._activity(season, "fertilising", day(rng.randint(38, 42)), rng, out,
                           notes="Bón đón đòng")
        self._use(a, "Urê 46% N", rates["Urê 46% N"] * 0.7, area, bought, out)
        self._use(a, "Kali clorua 60% K2O", rates["Kali clorua 60% K2O"], area, bought, out)
        # Brown planthoppers counted at stem elongation (days 43–46), where the spray threshold
        # is 1,000/m² (``diary/data/pest_thresholds.csv``); the diary flags the counts at or
        # above it (an advisory, not a violation) and the farmer sprays within three days.
        density = rng.choice((300, 600, 900, 1200, 1500, 2500))
        scouted = rng.randint(43, 46)
        self._activity(season, "scouting", day(scouted), rng, out, pest="rầy nâu",
                       density_per_m2=float(density), growth_stage="làm đòng")
        if density >= 1000:
            a = self._activity(season, "spraying", day(scouted + rng.randint(1, 3)), rng, out,
                               pest="rầy nâu", notes="Mật độ rầy vượt ngưỡng 1.000 con/m²")
            self._use(a, sprays[1], rates[sprays[1]], area, bought, out)
        a = self._activity(season, "spraying", day(rng.randint(52, 58)), rng, out,
                           pest="đạo ôn cổ bông")
        self._use(a, sprays[2], rates[sprays[2]], area, bought, out)
        self._activity(season, "irrigation", day(rng.randint(58, 63)), rng, out,
                       notes="Giữ nước 3–5 cm")
        late = (length - rng.randint(4, 8)) if early else rng.randint(66, 74)
        a = self._activity(season, "spraying", day(late), rng, out, pest="lem lép hạt")
        self._use(a, sprays[3], rates[sprays[3]], area, bought, out)
        # The season's yield as the statistics count it (dry paddy at 14 %), weighed fresh.
        yield_t = min(9.0, max(3.5, rng.gauss(mean, 0.45)))
        wet_pct = round(rng.uniform(*FRESH_MOISTURE_PCT), 1)
        wet = round(yield_t * 1000 * area * (100 - 14) / (100 - wet_pct), 1)
        self._activity(season, "harvest", harvest_day, rng, out, quantity=wet, unit="kg",
                       quantity_base=wet, base_unit="kg", moisture_pct=wet_pct,
                       notes="Gặt máy, cân lúa tươi tại ruộng")
        dry = round(moisture.dry_weight(wet, wet_pct), 1)
        self._activity(season, "drying", harvest_day + dt.timedelta(days=1), rng, out,
                       quantity=dry, unit="kg", quantity_base=dry, base_unit="kg",
                       moisture_pct=14.0, notes="Sấy về ẩm độ 14 %")
        if self.buyers:
            self._activity(season, "sale", harvest_day + dt.timedelta(days=rng.randint(2, 5)),
                           rng, out, quantity=dry, unit="kg", quantity_base=dry,
                           base_unit="kg", buyer_organisation_id=rng.choice(self.buyers),
                           price_vnd_per_kg=float(rng.randrange(6800, 8200, 50)))
        return harvest_day

    def _orchard_season(self, plot_id: int, area: float, scope: dict[str, Any], year: int,
                        variety: str, crop: str, dealer: int | None, out: Batch,
                        rng: random.Random) -> None:
        """A year of an orchard ("niên vụ"): pruning and recovery after the last crop, then
        for each harvest of the crop's calendar its fertiliser, sprays (the last one well
        before the pre-harvest interval), the harvest and the sorting."""
        start = dt.date(year, 1, rng.randint(5, 25))
        if start > self.today:
            return
        fruit = self.fruit[crop]
        picks = demo_calendar.fruit_harvests(fruit, year, rng)
        annual_kg = max(0.3, rng.gauss(1.0, 0.12)) * fruit.yield_t_ha_year * 1000 * area
        harvest_day = picks[-1][0]
        season = self._season_row(plot_id, area, scope, "nien_vu", start, harvest_day, crop,
                                  variety, "cay-an-trai")
        out.seasons.append(season)
        fungicide = "Vàng Sạch 325SC (azoxystrobin + difenoconazole)"
        insecticide = "Sâu Xanh 1.8EC (abamectin)"
        rates = {"NPK 20-20-15": rng.uniform(250, 350), "Kali clorua 60% K2O":
                 rng.uniform(120, 180), fungicide: rng.uniform(0.4, 0.6),
                 insecticide: rng.uniform(0.5, 0.8)}
        bought = self._buy(season, list(rates), rates, dealer, start, out, rng)

        def at_least(day: dt.date) -> dt.date:
            return max(day, start + dt.timedelta(days=6))

        self._activity(season, "pruning", start, rng, out, notes="Tỉa cành, vệ sinh vườn")
        a = self._activity(season, "fertilising", start + dt.timedelta(days=5), rng, out,
                           notes="Bón phục hồi")
        self._use(a, "NPK 20-20-15", rates["NPK 20-20-15"] / 2, area, bought, out)
        self._activity(season, "scouting", start + dt.timedelta(days=30), rng, out,
                       pest="rầy bông", density_per_m2=float(rng.randint(1, 20)),
                       growth_stage="ra đọt")
        for n in range(3):  # the dry season's irrigation (Feb–Apr)
            self._activity(season, "irrigation", dt.date(year, 2 + n, rng.randint(5, 20)),
                           rng, out)
        for day, share in picks:
            a = self._activity(season, "fertilising", at_least(day - dt.timedelta(days=60)),
                               rng, out, notes="Bón nuôi trái")
            self._use(a, "Kali clorua 60% K2O", rates["Kali clorua 60% K2O"] * share, area,
                      bought, out)
            self._use(a, "NPK 20-20-15", rates["NPK 20-20-15"] * share / 2, area, bought, out)
            a = self._activity(season, "spraying", at_least(day - dt.timedelta(days=45)), rng,
                               out, pest="thán thư")
            self._use(a, fungicide, rates[fungicide], area, bought, out)
            a = self._activity(season, "spraying",
                               at_least(day - dt.timedelta(days=rng.randint(20, 30))), rng, out,
                               pest="sâu đục trái")
            self._use(a, insecticide, rates[insecticide], area, bought, out)
            kg = round(annual_kg * share * max(0.5, rng.gauss(1.0, 0.1)), 1)
            self._activity(season, "harvest", day, rng, out, quantity=kg, unit="kg",
                           quantity_base=kg, base_unit="kg")
            self._activity(season, "sorting", day + dt.timedelta(days=1), rng, out,
                           quantity=round(kg * 0.9, 1), unit="kg",
                           quantity_base=round(kg * 0.9, 1), base_unit="kg",
                           notes="Loại 1 và loại 2")


def finish_seasons(out: Batch, catalogue: Catalogue, today: dt.date, flag_id: list[int],
                   now: dt.datetime) -> None:
    """Figures and flags of the generated seasons, with the same rules as the live diary."""
    uses: dict[int, list[dict[str, Any]]] = {}
    for u in out.inputs:
        uses.setdefault(u["activity_id"], []).append(u)
    by_season: dict[int, list[dict[str, Any]]] = {}
    for a in out.activities:
        by_season.setdefault(a["season_id"], []).append(a)
    for season in out.seasons:
        acts = by_season.get(season["id"], [])
        facts = []
        n = p = k = 0.0
        for a in acts:
            items = []
            for u in uses.get(a["id"], []):
                item = catalogue.facts[u["input_id"]]
                label = item.label_dose_max_per_ha
                if a["status"] != "planned" and item.kind == "fertiliser":
                    n += u["quantity_base"] * (item.n_pct or 0) / 100
                    p += u["quantity_base"] * (item.p2o5_pct or 0) / 100
                    k += u["quantity_base"] * (item.k2o_pct or 0) / 100
                items.append(rules.InputFact(
                    input_id=item.id, name=item.name, kind=item.kind,
                    ingredients=tuple(str(x.get("name")) for x in item.active_ingredients),
                    phi_days=item.phi_days, label_max_per_ha_base=label,
                    base_unit=u["base_unit"], dose_per_ha_base=u["dose_per_ha"]))
            facts.append(rules.ActivityFact(a["id"], a["kind"], a["status"], a["at"],
                                            tuple(items), pest=a["pest"],
                                            density_per_m2=a["density_per_m2"]))
        flags = rules.evaluate(facts) + rules.pest_flags(facts, rules.SeasonFact(
            season["crop"], season["sowing_date"], season["area_ha"]))
        for f in flags:
            flag_id[0] += 1
            out.flags.append(dict(id=flag_id[0], season_id=season["id"],
                                  activity_id=f.activity_id, rule_id=f.rule_id,
                                  severity=f.severity, message_vi=f.message_vi,
                                  message_en=f.message_en, source=f.source, details=f.details,
                                  created_at=now))
        done = [a for a in acts if a["status"] != "planned"]
        harvests = [a for a in done if a["kind"] == "harvest"]
        season.update(
            activities_count=len(done),
            sprays_count=sum(1 for a in done if a["kind"] == "spraying"),
            fertilising_count=sum(1 for a in done if a["kind"] == "fertilising"),
            harvest_kg=sum(a["quantity_base"] or 0 for a in harvests),
            harvest_dry_kg=moisture.standard_total(
                season["crop"], ((a["quantity_base"], a["moisture_pct"]) for a in harvests)),
            first_harvest_date=min((rules.local_date(a["at"]) for a in harvests), default=None),
            n_kg=n, p2o5_kg=p, k2o_kg=k,
            flags_count=sum(1 for f in flags if f.severity == "violation"),
            safe_harvest_date=rules.earliest_safe_harvest(
                [f for f in facts if f.status != "planned"]),
            last_activity_at=max((a["at"] for a in done), default=None))


def ensure_catalogue(uow: UnitOfWork) -> Catalogue:
    """The demo's shared inputs catalogue (created through the diary's own service)."""
    s = uow.session
    existing = {i.name: i for i in s.scalars(select(Input).where(Input.organisation_id.is_(None)))}
    for item in CATALOGUE:
        if item.name not in existing:
            diary.create_input(uow, item.model_copy())
    rows = s.scalars(select(Input).where(Input.organisation_id.is_(None))).all()
    return Catalogue(ids={i.name: i.id for i in rows}, facts={i.id: i for i in rows})


def ensure_dealers(uow: UnitOfWork, province_code: str, communes: list[str]) -> list[int]:
    """Input dealers of the registry (created through the registry's service if missing)."""
    s = uow.session
    ids = list(s.scalars(select(Organisation.id).where(
        Organisation.kind == "input_dealer", Organisation.province_code == province_code)
        .order_by(Organisation.id)).all())
    if ids or not communes:
        return ids
    for n, name in enumerate(DEALERS):
        org = registry.create_organisation(uow, OrganisationCreate(
            kind="input_dealer", name=name, code=f"DL-{province_code}-{n + 1}",
            commune_code=communes[(n * 13) % len(communes)]))
        ids.append(org.id)
    return ids


def _write(s: Session, out: Batch) -> None:
    for model, rows in ((Plot, out.plots), (Season, out.seasons), (Purchase, out.purchases),
                        (Activity, out.activities), (ActivityInput, out.inputs),
                        (Flag, out.flags)):
        for start in range(0, len(rows), 20000):
            s.execute(insert(model), rows[start:start + 20000])


def units_of(s: Session, province_code: str, share: float, seed: int
             ) -> Iterator[dict[str, Any]]:
    """The province's plots and orchards of the co-operatives that keep a digital diary (the
    first co-operative always does: the demo accounts belong to it)."""
    coops = list(s.scalars(select(Organisation.id).where(
        Organisation.kind == "cooperative", Organisation.province_code == province_code)
        .order_by(Organisation.id)).all())
    rng = random.Random(seed)
    chosen = {c for n, c in enumerate(coops) if n == 0 or rng.random() < share}
    taken = set(s.scalars(select(Plot.production_unit_id).where(
        Plot.production_unit_id.is_not(None))).all())
    stmt = (select(ProductionUnit.id, ProductionUnit.code, ProductionUnit.name,
                   ProductionUnit.crop, ProductionUnit.area_ha, ProductionUnit.farmer_id,
                   ProductionUnit.organisation_id, ProductionUnit.commune_code,
                   ProductionUnit.province_code, ProductionUnit.attributes)
            .where(ProductionUnit.province_code == province_code,
                   ProductionUnit.kind.in_(("plot", "orchard")),
                   ProductionUnit.farmer_id.is_not(None))
            .order_by(ProductionUnit.id))
    for row in s.execute(stmt).mappings():
        if row["organisation_id"] in chosen and row["id"] not in taken:
            yield dict(row)


def load(uow: UnitOfWork, province_code: str, today: dt.date, seed: int = 2026,
         share: float = 0.4, years: int = 1, batch_rows: int = 100_000,
         max_activities: int | None = None) -> dict[str, int]:
    """Generate and write the demo diaries (inside the caller's unit of work)."""
    s = uow.session
    communes = sorted({c for c in s.scalars(select(Organisation.commune_code).where(
        Organisation.province_code == province_code, Organisation.kind == "cooperative"))})
    catalogue = ensure_catalogue(uow)
    dealers = ensure_dealers(uow, province_code, communes)
    buyers = list(s.scalars(select(Organisation.id).where(
        Organisation.kind.in_(BUYER_KINDS), Organisation.province_code == province_code)))
    s.flush()

    def top(model: Any) -> int:
        return int(s.scalar(select(func.max(model.id))) or 0)

    ids = Ids(plot=top(Plot), season=top(Season), activity=top(Activity),
              input_use=top(ActivityInput), flag=top(Flag), purchase=top(Purchase))
    now = dt.datetime.now(dt.UTC)
    gen = Generator(catalogue, dealers, buyers, today, seed, ids, now)
    season_list = rice_seasons(today, years)
    flag_id = [ids.flag]
    totals = {"plots": 0, "seasons": 0, "activities": 0, "flags": 0}
    rng = random.Random(seed)
    out = Batch()
    for unit in units_of(s, province_code, share, seed):
        gen.plot(unit, out, season_list, rng)
        if out.size() >= batch_rows:
            finish_seasons(out, catalogue, today, flag_id, now)
            _count(totals, out)
            _write(s, out)
            out = Batch()
        if max_activities is not None and totals["activities"] + out.size() >= max_activities:
            break
    finish_seasons(out, catalogue, today, flag_id, now)
    _count(totals, out)
    _write(s, out)
    sync_sequences(s.connection(), ["diary_plots", "diary_seasons", "diary_activities",
                                    "diary_activity_inputs", "diary_flags", "diary_purchases"])
    audit.record(s, "demo", "diary", province_code, {"seed": seed, **totals})
    return totals


def _count(totals: dict[str, int], out: Batch) -> None:
    totals["plots"] += len(out.plots)
    totals["seasons"] += len(out.seasons)
    totals["activities"] += len(out.activities)
    totals["flags"] += len(out.flags)
