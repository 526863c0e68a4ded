"""Pure logic of the diary (no database): season names, quantities, compliance rules."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nongso.diary import excel, rules, seasons, templates
from nongso.diary.quantities import QuantityError, convert, parse_number, parse_unit, quantity

UTC = dt.UTC


@pytest.mark.parametrize(("kind", "sowing", "harvest", "label"), [
    ("dong_xuan", dt.date(2025, 11, 20), dt.date(2026, 2, 25), "Đông Xuân 2025-2026"),
    ("dong_xuan", dt.date(2026, 1, 5), dt.date(2026, 4, 10), "Đông Xuân 2025-2026"),
    ("he_thu", dt.date(2026, 4, 20), dt.date(2026, 7, 25), "Hè Thu 2026"),
    ("thu_dong", dt.date(2026, 9, 20), dt.date(2027, 1, 5), "Thu Đông 2026-2027"),
    ("thu_dong", dt.date(2026, 8, 10), dt.date(2026, 11, 10), "Thu Đông 2026"),
])
def test_crop_years(kind: str, sowing: dt.date, harvest: dt.date, label: str) -> None:
    cy = seasons.infer_crop_year(kind, sowing, harvest)
    assert cy.label() == label
    assert seasons.parse_label(label) == cy


def test_parse_season_labels() -> None:
    assert seasons.parse_label("dong xuan 2025-26").key == "dong_xuan:2025-2026"
    assert seasons.parse_label("ĐÔNG XUÂN 2025").key == "dong_xuan:2025-2026"
    assert seasons.parse_label("DX 2025-2026").label("en") == "Winter–spring 2025-2026"
    assert seasons.parse_label("Hè Thu 2026").key == "he_thu:2026"
    for bad in ("Mùa mưa 2026", "Đông Xuân 2025-2027", "Hè Thu", "2026"):
        with pytest.raises(seasons.SeasonError):
            seasons.parse_label(bad)


@pytest.mark.parametrize(("text", "value"), [
    ("1,5", 1.5), ("1.5", 1.5), ("0,36", 0.36), ("1.234,5", 1234.5), ("1,234.5", 1234.5),
    ("7.050", 7050.0), ("12.500.000", 12_500_000.0), ("12 500", 12500.0), ("0.375", 0.375),
    (" 45 ", 45.0), (3, 3.0), (2.5, 2.5),
])
def test_numbers_as_written_in_vietnam(text: object, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "1..2", "--1", "1.2.3", "nan", "inf", True])
def test_not_numbers(text: object) -> None:
    with pytest.raises(QuantityError):
        parse_number(text)


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False))
def test_decimal_comma_round_trip(value: object) -> None:
    text = f"{value:f}".replace(".", ",")
    assert parse_number(text) == pytest.approx(float(str(value)))


def test_units_and_conversions() -> None:
    assert parse_unit("lít").symbol == "L" and parse_unit("cc").symbol == "mL"
    assert parse_unit("Tấn").symbol == "t" and parse_unit("m²").symbol == "m2"
    assert convert(2500, "m2", "ha") == pytest.approx(0.25)
    assert convert(1.2, "t", "kg") == pytest.approx(1200)
    assert convert(250, "mL", "L") == pytest.approx(0.25)
    assert quantity("0,5", "tạ").base == pytest.approx(50)
    with pytest.raises(QuantityError):
        convert(1, "kg", "L")
    with pytest.raises(QuantityError, match="not supported"):
        parse_unit("thùng")
    with pytest.raises(QuantityError):
        quantity(-1, "kg")


def _spray(aid: int, day: dt.date, name: str = "X", ingredients: tuple[str, ...] = ("abc",),
           phi: int | None = 14, dose: float = 0.3, label: float | None = 0.4,
           status: str = "done") -> rules.ActivityFact:
    at = dt.datetime.combine(day, dt.time(1, 0), UTC)
    return rules.ActivityFact(aid, "spraying", status, at, (rules.InputFact(
        1, name, "pesticide", ingredients, phi, label, "kg", dose),))


def _harvest(aid: int, day: dt.date) -> rules.ActivityFact:
    return rules.ActivityFact(aid, "harvest", "done", dt.datetime.combine(day, dt.time(1), UTC))


def test_banned_ingredients_from_their_ban_date() -> None:
    # use_banned_from is the first day of the ban: the day before is legal, that day is not.
    day_before = _spray(1, dt.date(2019, 1, 2), ingredients=("carbendazim",))
    on_the_day = _spray(2, dt.date(2019, 1, 3), ingredients=("Carbendazim",))
    assert [f.activity_id for f in rules.evaluate([day_before, on_the_day])] == [2]
    for ingredient, first_day in (("paraquat", dt.date(2019, 2, 8)),
                                  ("acephate", dt.date(2019, 10, 28)),
                                  ("fipronil", dt.date(2021, 2, 12)),
                                  ("glyphosate", dt.date(2021, 7, 1))):
        before = _spray(1, first_day - dt.timedelta(days=1), ingredients=(ingredient,))
        on = _spray(2, first_day, ingredients=(ingredient,))
        assert [f.activity_id for f in rules.evaluate([before, on])] == [2], ingredient
    always = _spray(3, dt.date(1999, 5, 5), ingredients=("Endosulfan",))
    flag = rules.evaluate([always])[0]
    assert flag.rule_id == "banned-ingredient" and "Annex II" in flag.source
    assert rules.match_banned("paraquat dichloride") is not None
    assert rules.match_banned("Glyphosate isopropylamine salt") is not None
    assert rules.match_banned("2,4-D amine").name == "2,4-D"  # type: ignore[union-attr]
    assert rules.match_banned("Lindane").name == "BHC / lindane"  # type: ignore[union-attr]
    assert rules.match_banned("chlorpyrifos methyl") is None  # not the banned ethyl ester
    assert rules.match_banned("thiophanate methyl") is not None
    assert rules.match_banned("pymetrozine") is None
    assert len(rules.banned_list()) == 43
    for added in ("arsenic compounds", "mercury compounds", "selenium compounds",
                  "cadmium compounds", "lead compounds", "sodium pentachlorophenate monohydrate"):
        entry = rules.match_banned(added)
        assert entry is not None and entry.banned_from is None and "09/2023" in entry.source
    assert rules.match_banned("thallium sulfate").name == "thallium compounds"  # type: ignore[union-attr]


def test_plausibility_of_a_harvest() -> None:
    season = rules.SeasonFact("rice", dt.date(2026, 1, 1), 0.5)

    def harvest(aid: int, day: dt.date, kg: float) -> rules.ActivityFact:
        return rules.ActivityFact(aid, "harvest", "done",
                                  dt.datetime.combine(day, dt.time(1), UTC), (), kg)

    assert rules.evaluate([harvest(1, dt.date(2026, 4, 5), 3500)], season) == []  # 7 t/ha
    early = rules.evaluate([harvest(1, dt.date(2026, 2, 15), 3500)], season)
    assert [(f.rule_id, f.severity) for f in early] == [("harvest-too-early", "warning")]
    assert early[0].details["days_after_sowing"] == 45 and "bounds.csv" in early[0].source
    heavy = rules.evaluate([harvest(1, dt.date(2026, 4, 5), 7000)], season)  # 14 t/ha
    assert [f.rule_id for f in heavy] == ["yield-implausible"] and "14" in heavy[0].message_vi
    light = rules.evaluate([harvest(1, dt.date(2026, 4, 5), 500)], season)  # 1 t/ha
    assert [f.rule_id for f in light] == ["yield-implausible"]
    # Without the season (or for a crop without bounds) nothing is judged.
    assert rules.evaluate([harvest(1, dt.date(2026, 2, 15), 7000)]) == []
    assert rules.evaluate([harvest(1, dt.date(2026, 2, 15), 7000)],
                          rules.SeasonFact("lotus", dt.date(2026, 1, 1), 0.5)) == []


def _scouting(aid: int, day: dt.date, density: float, pest: str = "Rầy nâu",
              status: str = "done") -> rules.ActivityFact:
    # 01:00 UTC is 08:00 in Vietnam: the same date.
    return rules.ActivityFact(aid, "scouting", status, dt.datetime.combine(day, dt.time(1), UTC),
                              pest=pest, density_per_m2=density)


def test_brown_planthopper_stages_and_thresholds() -> None:
    sowing = dt.date(2026, 1, 1)
    season = rules.SeasonFact("rice", sowing, 1.0)

    def on(days: int) -> dt.date:
        return sowing + dt.timedelta(days=days)

    # Stage boundaries (days after sowing, from the rice template): none before day 40.
    assert rules.pest_threshold_on("brown_planthopper", "rice", 39) is None
    elongation = rules.pest_threshold_on("brown_planthopper", "rice", 40)
    heading = rules.pest_threshold_on("brown_planthopper", "rice", 60)
    after = rules.pest_threshold_on("brown_planthopper", "rice", 61)
    assert elongation is not None and elongation is heading
    assert elongation.stage == "stem_elongation_to_heading"
    assert elongation.min_density_per_m2 == 1000
    assert after is not None and after.stage == "after_heading"
    assert after.min_density_per_m2 == 2000 and "agronomy.md" in after.source
    assert rules.pest_threshold_on("brown_planthopper", "durian", 50) is None
    assert rules.pest_code("RẦY NÂU") == rules.pest_code("brown planthopper") == (
        "brown_planthopper")
    assert rules.pest_code("sâu cuốn lá") is None

    def flagged(*acts: rules.ActivityFact) -> list[tuple[int, str, str]]:
        return [(f.activity_id, f.rule_id, f.severity) for f in rules.evaluate(acts, season)]

    # Stem elongation to heading: 1,000/m² is the threshold, 999 is not.
    assert flagged(_scouting(1, on(45), 999)) == []
    assert flagged(_scouting(1, on(45), 1000)) == [(1, "pest-threshold-reached", "warning")]
    # Before stem elongation the reference gives no threshold: nothing is said.
    assert flagged(_scouting(1, on(39), 5000)) == []
    assert flagged(_scouting(1, on(40), 1000)) == [(1, "pest-threshold-reached", "warning")]
    # The day of heading still belongs to "stem elongation to heading" (1,000/m²).
    assert flagged(_scouting(1, on(60), 1500)) == [(1, "pest-threshold-reached", "warning")]
    # After heading the threshold is 2,000/m².
    assert flagged(_scouting(1, on(61), 1999)) == []
    assert flagged(_scouting(1, on(75), 2000)) == [(1, "pest-threshold-reached", "warning")]
    flag = rules.evaluate([_scouting(7, on(75), 2400)], season)[0]
    assert "phun thuốc là hợp lý" in flag.message_vi and "2000 con/m²" in flag.message_vi
    assert "justified" in flag.message_en and "agronomy.md" in flag.source
    assert flag.details["stage"] == "after_heading" and flag.details["days_after_sowing"] == 75
    # Another pest, a planned visit, or no sowing date: not judged; never a violation.
    assert flagged(_scouting(1, on(45), 5000, pest="sâu cuốn lá")) == []
    assert flagged(_scouting(1, on(45), 5000, status="planned")) == []
    assert rules.evaluate([_scouting(1, on(45), 5000)],
                          rules.SeasonFact("rice", None, 1.0)) == []
    assert rules.evaluate([_scouting(1, on(45), 5000)]) == []


def test_pre_harvest_interval_and_dose() -> None:
    sprays = [_spray(1, dt.date(2026, 2, 1)), _spray(2, dt.date(2026, 2, 20), phi=7)]
    assert rules.earliest_safe_harvest(sprays) == dt.date(2026, 2, 27)
    assert rules.evaluate([*sprays, _harvest(3, dt.date(2026, 2, 27))]) == []
    early = rules.evaluate([*sprays, _harvest(3, dt.date(2026, 2, 26))])
    assert [(f.rule_id, f.activity_id) for f in early] == [("pre-harvest-interval", 3)]
    assert early[0].details["safe_from"] == "2026-02-27"
    # A spray after an orchard's first pick does not flag that pick.
    later = [_harvest(1, dt.date(2026, 6, 1)), _spray(2, dt.date(2026, 6, 2))]
    assert rules.evaluate(later) == []
    # A planned spray is not a record yet.
    assert rules.evaluate([_spray(1, dt.date(2026, 2, 1), status="planned"),
                           _harvest(2, dt.date(2026, 2, 2))]) == []
    over = rules.evaluate([_spray(1, dt.date(2026, 2, 1), dose=0.41)])
    assert [f.rule_id for f in over] == ["dose-above-label"]
    assert rules.evaluate([_spray(1, dt.date(2026, 2, 1), dose=0.4)]) == []


def test_rules_and_templates_are_data_with_sources() -> None:
    catalogue = rules.rule_catalogue()
    assert set(catalogue) == {"banned-ingredient", "pre-harvest-interval", "dose-above-label",
                              "harvest-too-early", "yield-implausible", "pest-threshold-reached"}
    assert all(r.source and r.advice_vi and r.advice_en for r in catalogue.values())
    rice = templates.for_crop("rice")
    assert rice is not None and rice.steps[0].day == -7 and rice.steps[-1].kind == "drying"
    assert templates.for_crop("durian") is templates.get("cay-an-trai")
    assert all(s.kind in rules.ACTIVITY_KINDS for t in templates.all_templates() for s in t.steps)


@pytest.mark.parametrize(("value", "expected"), [
    ("05/12/2025", dt.datetime(2025, 12, 5, 7, 0)), ("5/1/2026 16:30", dt.datetime(2026, 1, 5,
                                                                                   16, 30)),
    ("2026-01-05", dt.datetime(2026, 1, 5, 7, 0)), (dt.date(2026, 1, 5),
                                                    dt.datetime(2026, 1, 5, 7, 0)),
    ("05.12.2025", dt.datetime(2025, 12, 5, 7, 0)),
])
def test_excel_dates(value: object, expected: dt.datetime) -> None:
    assert excel.parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/2026", "12/13/2026", "hôm qua", "2026/01/05", "5-1-26"])
def test_excel_bad_dates(value: str) -> None:
    with pytest.raises(ValueError):
        excel.parse_date(value)


def test_fresh_paddy_becomes_dry_paddy_at_14_percent() -> None:
    from nongso.diary import moisture

    # 1 t weighed at 25 % moisture holds 750 kg of dry matter = 872.1 kg at 14 %.
    assert moisture.dry_weight(1000, 25) == pytest.approx(750 / 0.86)
    assert moisture.dry_weight(1000, 14) == pytest.approx(1000)
    assert moisture.dry_weight(1000, 12) > 1000  # drier than the standard weighs more
    # Rice converts only with a measured moisture; fruit counts as weighed.
    assert moisture.standard_weight("rice", 8400, 24) == pytest.approx(8400 * 76 / 86)
    assert moisture.standard_weight("rice", 8400, None) == 8400
    assert moisture.standard_weight("mango", 8400, 24) == 8400
    assert moisture.standard_total("rice", [(1000, 25), (None, 20), (500, None)]) == \
        pytest.approx(750 / 0.86 + 500)
    with pytest.raises(ValueError):
        moisture.dry_weight(1000, 100)


@given(st.floats(0, 200_000), st.floats(14, 60))
def test_dry_weight_never_exceeds_fresh_above_the_standard(fresh: float, m: float) -> None:
    from nongso.diary import moisture

    dry = moisture.dry_weight(fresh, m)
    assert 0 <= dry <= fresh + 1e-6
    # The dry matter is kept: fresh x (1 - m) == dry x (1 - 14 %).
    assert dry * 0.86 == pytest.approx(fresh * (100 - m) / 100)
