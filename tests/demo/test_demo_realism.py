"""The demo province as a plant-protection or statistics officer would check it: seasons and
their areas, sowing dates against the demo's own light traps, dry-paddy yields, fruit
calendars, planting-area codes, fish in the right water, physical monitoring series, and the
pages saying what is simulated. One small demo (scale 0.05) is built per database for the
module, on 7 December 2026 (the Thu Đông harvest and the Đông Xuân sowing)."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nongso.alerts import rules
from nongso.app import create_app
from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import calendar as demo_calendar
from nongso.demo import monitor as demo_monitor
from nongso.demo import services
from nongso.demo.registry import saline_communes
from nongso.diary import services as diary
from nongso.diary.models import Activity, Flag, Season
from nongso.monitor import services as monitor
from nongso.registry.models import ProductionUnit
from nongso.trace.models import Lot
from tests.helpers import wipe_database

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # 09:00 in Vietnam
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def demo(_platform: Platform) -> Iterator[Platform]:
    previous = clock.use(clock.FixedClock(NOW))
    try:
        services.build_demo(_platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
        yield _platform
    finally:
        clock.use(previous)
        wipe_database(_platform)


def _rice_seasons(platform: Platform) -> list[Season]:
    with platform.uow() as uow:
        rows = list(uow.session.scalars(select(Season).where(Season.crop == "rice")
                                        .order_by(Season.plot_id, Season.sowing_date)))
        uow.session.expunge_all()
    return rows


def test_thu_dong_is_sown_on_about_0_5_to_0_65_of_the_dong_xuan_area(demo: Platform) -> None:
    area: dict[str, float] = defaultdict(float)
    for s in _rice_seasons(demo):
        area[s.season_key] += s.area_ha
    ratio = area["thu_dong:2026"] / area["dong_xuan:2025-2026"]
    assert 0.5 <= ratio <= 0.65, ratio
    assert area["he_thu:2026"] == pytest.approx(area["dong_xuan:2025-2026"])


def test_every_plot_sows_its_next_season_after_its_own_harvest(demo: Platform) -> None:
    by_plot: dict[int, list[Season]] = defaultdict(list)
    for s in _rice_seasons(demo):
        by_plot[s.plot_id].append(s)
    pairs = 0
    for seasons in by_plot.values():
        for before, after in itertools.pairwise(seasons):
            harvested = before.first_harvest_date or before.expected_harvest_date
            assert harvested is not None and after.sowing_date is not None
            assert after.sowing_date > harvested, (before.season_key, after.season_key)
            pairs += 1
    assert pairs > 200


def _trap_counts(platform: Platform) -> list[tuple[dt.date, float]]:
    stream = next(s for s in monitor.rule_streams(platform.uow(SYSTEM))
                  if s.thing_properties.get("demoKey") == "bay-den-my-hiep")
    daily = monitor.daily_values(platform.uow(SYSTEM), stream.datastream_id,
                                 NOW.date() - dt.timedelta(days=500))
    return [(day, total) for day, _n, total, _lo, _hi in daily]


def test_dong_xuan_is_sown_in_the_ne_ray_windows_of_the_demo_traps(demo: Platform) -> None:
    # The peaks the province's rule finds in the demo's own light-trap counts...
    peaks = rules.bph_light_trap_peaks(_trap_counts(demo))
    assert len(peaks) >= 14  # a flight every 25 days over the diary's seasons
    # The last flight peaked three nights ago: this morning's count (sent by the simulator)
    # confirms it; the one before is on record with its window.
    assert peaks[-1].day == NOW.date() - dt.timedelta(days=3 + demo_calendar.GENERATION_DAYS)
    # ... and every Đông Xuân field sown inside the sowing window after one of them.
    sowings = [s.sowing_date for s in _rice_seasons(demo) if s.season_kind == "dong_xuan"]
    assert len(sowings) > 100
    for day in sowings:
        assert day is not None
        assert any(p.sowing_start <= day <= p.sowing_end for p in peaks), day


def test_rice_yields_are_dry_paddy_in_the_delta_range(demo: Platform) -> None:
    kg: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for s in _rice_seasons(demo):
        if s.harvest_kg:
            kg[s.season_kind][0] += s.harvest_kg
            kg[s.season_kind][1] += s.harvest_dry_kg
            kg[s.season_kind][2] += s.area_ha
    dry = {k: d / 1000 / a for k, (_f, d, a) in kg.items()}
    fresh = {k: f / 1000 / a for k, (f, _d, a) in kg.items()}
    assert set(dry) == {"dong_xuan", "he_thu", "thu_dong"}
    for kind, value in dry.items():
        assert 5.0 <= value <= 8.0, (kind, value)
        assert fresh[kind] > value * 1.05  # weighed at 20–27 % moisture
    # Old Đồng Tháp 2013 (dry): Đông Xuân 7.07, Hè Thu 5.65, Thu Đông 5.42 t/ha.
    assert dry["dong_xuan"] == pytest.approx(7.07, abs=0.35)
    assert dry["he_thu"] == pytest.approx(5.65, abs=0.35)
    assert dry["thu_dong"] == pytest.approx(5.42, abs=0.35)
    with demo.uow() as uow:
        moistures = list(uow.session.scalars(select(Activity.moisture_pct).join(
            Season, Season.id == Activity.season_id).where(
            Activity.kind == "harvest", Season.crop == "rice")))
    assert moistures and all(m is not None and 20 <= m <= 27 for m in moistures)
    # The commune figures count dry paddy.
    agg = diary.area_aggregate(demo.uow(SYSTEM), "82", "dong_xuan:2025-2026")
    dry_t = sum(r.harvest_t for r in agg.rows)
    fresh_t = sum(r.harvest_fresh_t for r in agg.rows)
    assert dry_t == pytest.approx(kg["dong_xuan"][1] / 1000, rel=1e-3)
    assert fresh_t == pytest.approx(kg["dong_xuan"][0] / 1000, rel=1e-3)
    assert all(5.0 <= (r.yield_t_ha or 0) <= 9.0 for r in agg.rows)


def _fruit_harvests(platform: Platform) -> list[tuple[str, int, dt.date, float, float]]:
    with platform.uow() as uow:
        rows = uow.session.execute(
            select(Season.crop, Season.id, Activity.at, Activity.quantity_base, Season.area_ha)
            .join(Activity, Activity.season_id == Season.id)
            .where(Activity.kind == "harvest", Activity.status == "done",
                   Season.crop != "rice")).all()
    return [(crop, sid, at.astimezone(VN).date() if at.tzinfo else at.date(), kg, area)
            for crop, sid, at, kg, area in rows]


def test_fruit_is_harvested_in_its_own_seasons(demo: Platform) -> None:
    harvests = _fruit_harvests(demo)
    calendar = demo_calendar.fruit_calendar()
    months: dict[str, Counter[int]] = defaultdict(Counter)
    per_season: dict[tuple[str, int], int] = Counter()
    for crop, sid, day, _kg, _area in harvests:
        assert day.month in calendar[crop].months(), (crop, day)
        months[crop][day.month] += 1
        per_season[(crop, sid)] += 1
    assert set(months) == {"mango", "durian", "pomelo", "longan", "dragon_fruit"}
    # Not all July–September once a year any more:
    mango = months["mango"]
    assert sum(mango[m] for m in (3, 4, 5)) > sum(mango.values()) / 2  # main season Mar–May
    assert sum(mango[m] for m in (7, 8, 9, 10, 11, 12)) > 0  # off-season crops
    durian = months["durian"]
    assert sum(durian[m] for m in (5, 6, 7, 8)) >= 0.6 * sum(durian.values())
    assert max(n for (crop, _), n in per_season.items() if crop == "durian") == 1
    assert len(months["pomelo"]) >= 5 and len(months["longan"]) >= 5  # largely year-round
    full_year = [n for (crop, _), n in per_season.items() if crop == "dragon_fruit"]
    assert statistics.mean(full_year) >= 3  # several flushes


def test_mango_yield_is_near_dong_thap(demo: Platform) -> None:
    kg: dict[int, float] = defaultdict(float)
    area: dict[int, float] = {}
    for crop, sid, day, q, a in _fruit_harvests(demo):
        if crop == "mango" and day.year == 2025:  # a whole year of harvests
            kg[sid] += q
            area[sid] = a
    t_ha = sum(kg.values()) / 1000 / sum(area.values())
    assert t_ha == pytest.approx(8.6, abs=1.2)  # old Đồng Tháp: ~120,000 t on ~14,000 ha


def test_planting_area_codes_are_the_size_of_real_codes(demo: Platform) -> None:
    with demo.uow() as uow:
        areas = list(uow.session.scalars(select(ProductionUnit.area_ha).where(
            ProductionUnit.kind == "planting_area")))
    assert len(areas) > 50
    mean = statistics.mean(a or 0 for a in areas)
    assert 20 <= mean <= 36, mean  # real Đồng Tháp mango codes: 8,300 ha / 295 = 28 ha


def test_no_pangasius_in_the_saline_coastal_communes(demo: Platform) -> None:
    saline = saline_communes()
    assert {"28747", "28696", "28738"} <= saline  # Gò Công Đông, Tân Phú Đông, Tân Điền
    with demo.uow() as uow:
        ponds = uow.session.execute(select(ProductionUnit.commune_code, ProductionUnit.species)
                                    .where(ProductionUnit.kind.in_(("aquaculture",
                                                                    "raw_material_area")))
                                    ).all()
    coastal = Counter(sp for c, sp in ponds if c in saline)
    assert coastal and "pangasius" not in coastal and "giant_prawn" not in coastal
    assert set(coastal) <= {"whiteleg_shrimp", "black_tiger_shrimp"}
    assert any(sp == "pangasius" for c, sp in ponds if c not in saline)


RIVER = ("tram-vam-kenh", "tram-hoa-binh", "tram-vam-giong", "tram-my-tho", "tram-dong-tam")


def _series(scenario: demo_monitor.Scenario) -> dict[str, list[float]]:
    start = NOW - dt.timedelta(days=7)
    out = {}
    for st in demo_monitor.STATIONS:
        if st.kind in ("salinity", "water_level"):
            times, values = demo_monitor.readings(st, start, NOW, NOW, 2026, scenario)[
                st.streams[0]]
            assert times[-1] - times[0] > dt.timedelta(days=6)
            out[st.key] = values
    return out


def _tides(values: list[float]) -> int:
    """High waters: local maxima over a 6-hour neighbourhood."""
    return sum(1 for i in range(18, len(values) - 18)
               if values[i] == max(values[i - 18:i + 19]) and values[i] > min(values))


def test_salinity_follows_the_season_the_distance_and_the_tide(demo: Platform) -> None:
    dry = demo_monitor.scenario_for(NOW)  # December: the dry season
    assert dry.code == "dry"
    series = _series(dry)
    distance = {st.key: st.distance_km for st in demo_monitor.STATIONS}
    for key in (*RIVER, "tram-tan-dien"):
        values = series[key]
        assert all(0.05 <= v <= 35 for v in values), key
        # No step in two hours larger than the tide can carry; small far inland.
        jump = max(max(values[i:i + 13]) - min(values[i:i + 13]) for i in range(len(values)))
        assert jump <= (2.0 if distance[key] >= 40 else 12.0), (key, jump)
        # A semi-diurnal tide: about two high waters a day, never flat for an hour.
        assert 11 <= _tides(values) <= 16, key
        assert all(values[i:i + 6] != [values[i]] * 6 for i in range(len(values) - 6)), key
    # Saltier towards the sea, at every moment.
    for i in range(len(series["tram-vam-kenh"])):
        along = [series[k][i] for k in RIVER]
        assert along == sorted(along, reverse=True) or max(
            b - a for a, b in itertools.pairwise(along)) < 0.05
    # The water at Tân Châu stays low in the dry season; the flood season is fresh.
    assert max(series["tram-tan-chau"]) < 2.0
    flood = _series(demo_monitor.scenario_for(NOW, "flood"))
    assert all(max(flood[k]) < 0.5 for k in RIVER)
    assert max(flood["tram-tan-chau"]) >= 3.5 > max(flood["tram-tan-chau"][:-36])
    # What the demo stored is what the scenario plays.
    stream = next(s for s in monitor.rule_streams(demo.uow(SYSTEM))
                  if s.thing_properties.get("demoKey") == "tram-my-tho")
    stored = [r[1] for r in monitor.readings(demo.uow(SYSTEM), stream.datastream_id,
                                             NOW - dt.timedelta(days=7))]
    assert 0 < max(stored) < 2.0 and len(stored) > 900


def test_pages_say_what_is_simulated(demo: Platform) -> None:
    with TestClient(create_app(demo)) as client:
        page = client.get("/monitor")
        assert "Kịch bản mô phỏng: mùa khô 2026" in page.text
        assert "Simulated scenario: dry season 2026" in client.get("/monitor?lang=en").text
        with demo.uow() as uow:
            lot = uow.session.scalars(select(Lot).where(Lot.lot_code.is_not(None))
                                      .order_by(Lot.id)).first()
            assert lot is not None and lot.gtin.lstrip("0").startswith("952")
            link = f"/01/{lot.gtin}/10/{lot.lot_code}"
        vi = client.get(link, headers={"Accept": "text/html"})
        assert vi.status_code == 200 and 'id="demo-notice"' in vi.text
        assert "Dữ liệu mẫu (demo)" in vi.text
        en = client.get(link + "?lang=en", headers={"Accept": "text/html"})
        assert "Demo data: GTINs starting with 952" in en.text


@pytest.mark.parametrize("hour", [0, 5, 6, 9, 23])
def test_traps_and_sowing_windows_agree_at_any_hour(hour: int) -> None:
    """The latest confirmed flight is on record whatever the hour of the build (the morning
    count comes at 06:00), and the diary's Đông Xuân window is one the rule finds."""
    anchor = dt.datetime(2026, 12, 7, hour, 30, tzinfo=VN)
    trap = next(st for st in demo_monitor.STATIONS if st.key == "bay-den-my-hiep")
    times, counts = demo_monitor.readings(trap, anchor - dt.timedelta(days=90), anchor,
                                          anchor, 2026)["light_trap_count"]
    peaks = rules.bph_light_trap_peaks([(t.astimezone(VN).date(), c)
                                        for t, c in zip(times, counts, strict=True)])
    day = demo_calendar.count_day(anchor)
    assert peaks[-1].day == day - dt.timedelta(days=3)
    assert peaks[-1].sowing_end >= anchor.date()  # the advisory is current
    window = demo_calendar.dong_xuan_window(day, 2026, dt.date(2026, 11, 1))
    assert any((p.sowing_start, p.sowing_end) == (window.first, window.last) for p in peaks)


def test_demo_planthopper_counts_are_judged_at_stem_elongation(demo: Platform) -> None:
    with demo.uow() as uow:
        rows = uow.session.execute(
            select(Activity.id, Activity.at, Activity.density_per_m2, Season.sowing_date)
            .join(Season, Season.id == Activity.season_id)
            .where(Activity.kind == "scouting", Activity.pest == "rầy nâu",
                   Activity.status == "done", Season.crop == "rice")).all()
        flagged = set(uow.session.scalars(select(Flag.activity_id).where(
            Flag.rule_id == "pest-threshold-reached")).all())
    assert rows
    for aid, at, density, sowing in rows:
        days = (at.astimezone(VN).date() - sowing).days
        assert 43 <= days <= 46, days  # stem elongation: the 1,000/m² threshold
        assert (aid in flagged) == (density >= 1000), (aid, density)
    assert {aid in flagged for aid, *_ in rows} == {True, False}
