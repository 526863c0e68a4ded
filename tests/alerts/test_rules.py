"""Alert rules on realistic synthetic series, with the edge cases that break naive rules."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nongso.alerts.rules import (
    CAP_SEVERITY,
    DEFAULT_HYSTERESIS_M,
    RULE_BPH_LIGHT_TRAP,
    RULE_FLOOD_LEVEL,
    RULE_RATE_OF_RISE,
    RULE_RICE_BLAST,
    RULE_SALINITY,
    RULE_SILENCE,
    Reading,
    RuleError,
    RuleResult,
    TrapPeak,
    TriggerValue,
    WeatherDay,
    bph_light_trap_peaks,
    bph_sowing_advice,
    flood_alarm,
    flood_level,
    good_readings,
    load_flood_stations,
    load_salinity_thresholds,
    rate_of_rise,
    rice_blast_weather,
    salinity_risk,
    station_silence,
)

ICT = timezone(timedelta(hours=7))
THRESHOLDS = load_salinity_thresholds()
STATIONS = load_flood_stations()
TAN_CHAU = STATIONS["Tân Châu"]


def hours_from(start: datetime, values: list[float]) -> list[Reading]:
    return [(start + timedelta(hours=h), v) for h, v in enumerate(values)]


def check_result(result: RuleResult) -> None:
    """What every result must carry."""
    assert result.rule_id and result.subject
    # The source in each language (the Vietnamese page must not show the English one).
    assert result.source_vi and result.source_en and result.source_vi != result.source_en
    assert any(c in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịỉĩọỏốồổỗộớờởỡợụủứừửữựỳỷỹýíìúùóòéèáà"
               for c in result.source_vi.lower()), result.source_vi
    assert result.headline_vi and result.headline_en and result.headline_vi != result.headline_en
    assert result.description_vi and result.description_en
    assert result.severity in CAP_SEVERITY
    assert result.cap_severity in {"Minor", "Moderate", "Severe", "Extreme"}


# ------------------------------------------------------------------------------------------
# Rule data


def test_salinity_thresholds_are_the_reference_facts() -> None:
    expected = {
        "rice": 2.0,
        "durian": 0.5,
        "rambutan": 1.28,
        "pomelo": 1.55,
        "citrus": 2.0,
        "coconut": 10.0,
        "mango": 1.0,
    }
    assert {k: t.max_safe_per_mille for k, t in THRESHOLDS.items()} == expected
    assert THRESHOLDS["rice"].name_vi == "Lúa"
    assert "2–3 ‰" in THRESHOLDS["citrus"].note
    for threshold in THRESHOLDS.values():
        assert "Salinity of irrigation water" in threshold.source
        assert "shared/reference" not in threshold.source
        assert "Độ mặn nước tưới" in threshold.source_vi


def test_flood_stations_are_the_reference_facts() -> None:
    assert set(STATIONS) == {"Tân Châu", "Châu Đốc"}
    assert TAN_CHAU.alarm_levels == (3.5, 4.0, 4.5)
    assert TAN_CHAU.river == "Tiền"
    assert STATIONS["Châu Đốc"].alarm_levels == (3.0, 3.5, 4.0)
    assert "05/2020/QĐ-TTg" in TAN_CHAU.source
    assert TAN_CHAU.source_vi.startswith("Quyết định 05/2020/QĐ-TTg")
    assert "Hòn Dấu" in TAN_CHAU.datum


HEADER = "crop,name_vi,name_en,max_safe_per_mille,note,source\n"
FLOOD_HEADER = "station,river,alarm_1_m,alarm_2_m,alarm_3_m,datum,source\n"


@pytest.mark.parametrize(
    ("loader", "text", "line", "english"),
    [
        ("salinity", "crop,max_safe_per_mille\nrice,2\n", 1, "missing column"),
        ("salinity", HEADER + "rice,Lúa,Rice,hai,,src\n", 2, "positive number, got 'hai'"),
        ("salinity", HEADER + "rice,Lúa,Rice,-1,,src\n", 2, "positive number"),
        ("salinity", HEADER + "rice,Lúa,Rice,2,,s\nrice,Lúa,Rice,3,,s\n", 3, "appears twice"),
        ("salinity", HEADER + "rice,Lúa,Rice,2\n", 2, "wrong number of columns"),
        ("flood", FLOOD_HEADER + "Tân Châu,Tiền,4.0,3.5,4.5,d,s\n", 2, "must increase"),
        ("flood", FLOOD_HEADER + ",Tiền,3.5,4.0,4.5,d,s\n", 2, "name missing"),
    ],
)
def test_bad_rule_data_is_reported_with_its_line(
    tmp_path: Path, loader: str, text: str, line: int, english: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    load = load_salinity_thresholds if loader == "salinity" else load_flood_stations
    with pytest.raises(RuleError) as info:
        load(path)
    assert isinstance(info.value, ValueError)
    assert info.value.line == line
    assert english in info.value.message_en
    assert "data.csv" in info.value.message_vi


def test_missing_rule_data_file(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="Cannot read"):
        load_flood_stations(tmp_path / "none.csv")


# ------------------------------------------------------------------------------------------
# Series


def test_good_readings_leave_out_bad_ones() -> None:
    t0 = datetime(2025, 2, 10, tzinfo=ICT)
    readings: list[Reading] = [
        (t0 + timedelta(hours=3), 1.0),
        (t0, 0.5, "good"),
        (t0 + timedelta(hours=1), math.nan),
        (t0 + timedelta(hours=2), 45.0, "bad"),
        (t0 + timedelta(hours=4), None),
        (t0 + timedelta(hours=5), 75.0),  # outside salinity's physical range
        (t0 + timedelta(hours=6), math.inf),
    ]
    assert good_readings(readings, "salinity") == [(t0, 0.5), (t0 + timedelta(hours=3), 1.0)]
    assert good_readings(readings) == [
        (t0, 0.5),
        (t0 + timedelta(hours=3), 1.0),
        (t0 + timedelta(hours=5), 75.0),
    ]
    assert good_readings([]) == []
    with pytest.raises(RuleError, match="time zone"):
        good_readings([(datetime(2025, 2, 10), 1.0)])


# ------------------------------------------------------------------------------------------
# Salinity: an intrusion at Cầu Quan rising above 2 ‰ over three days, with the tide


def intrusion() -> list[Reading]:
    """Hourly salinity (‰): 0.4 rising about 0.03 ‰/h with a ±0.1 ‰ tide, ending at 2.6."""
    tide = [0.0, 0.1, 0.0, -0.1]
    values = [round(0.4 + 0.03 * h + tide[h % 4], 3) for h in range(72)] + [2.6]
    return hours_from(datetime(2025, 2, 10, tzinfo=ICT), values)


CROPS = ["rice", "durian", "pomelo", "coconut", "shrimp"]


def test_salinity_intrusion_puts_crops_at_risk() -> None:
    results = salinity_risk("Cầu Quan", intrusion(), CROPS, THRESHOLDS)
    assert [(r.subject, r.severity) for r in results] == [
        ("durian", "extreme"),  # 2.6 / 0.5 = 5.2
        ("pomelo", "moderate"),  # 2.6 / 1.55 = 1.68
        ("rice", "minor"),  # 2.6 / 2.0 = 1.3
    ]
    rice = results[-1]
    check_result(rice)
    assert rice.rule_id == RULE_SALINITY
    assert rice.values == (
        TriggerValue(datetime(2025, 2, 13, 0, tzinfo=ICT), 2.6, "salinity_per_mille"),
    )
    assert rice.headline_vi == "Mặn 2,60 ‰ tại Cầu Quan: nguy hại cho lúa"
    assert rice.headline_en == "Salinity 2.60 ‰ at Cầu Quan: rice at risk"
    assert "1,3 lần" in rice.description_vi and "2,00 ‰" in rice.description_vi
    assert "Salinity of irrigation water" in rice.source_en
    assert "Độ mặn nước tưới" in rice.source_vi


def test_rice_is_safe_until_the_water_passes_2_per_mille() -> None:
    series = intrusion()
    first_alert = next(
        i
        for i in range(1, len(series) + 1)
        if salinity_risk("Cầu Quan", series[:i], ["rice"], THRESHOLDS)
    )
    at, value = series[first_alert - 1][:2]
    assert value is not None and value > 2.0
    assert all(v is not None and v <= 2.0 for _, v, *_ in series[: first_alert - 1][-1:])
    assert at.date() == date(2025, 2, 12)


def test_salinity_ignores_bad_readings_and_can_ask_for_confirmation() -> None:
    series = intrusion()
    end = series[-1][0]
    glitches: list[Reading] = [
        (end + timedelta(minutes=10), math.nan),
        (end + timedelta(minutes=20), 45.0, "bad"),
        (end + timedelta(minutes=30), 75.0),
        (end + timedelta(minutes=40), None),
    ]
    results = salinity_risk("Cầu Quan", series + glitches, ["rice"], THRESHOLDS)
    assert [r.values[0].value for r in results] == [2.6]
    # One high reading after 1.8 ‰: with confirm=2 the level is the lower of the two.
    spike = hours_from(datetime(2025, 2, 10, tzinfo=ICT), [1.7, 1.8, 2.6])
    assert salinity_risk("X", spike, ["rice"], THRESHOLDS)
    confirmed = salinity_risk("X", spike, ["rice", "durian"], THRESHOLDS, confirm=2)
    assert [(r.subject, r.severity) for r in confirmed] == [("durian", "extreme")]
    assert len(confirmed[0].values) == 2


def test_salinity_edge_cases() -> None:
    assert salinity_risk("X", [], CROPS, THRESHOLDS) == []
    nan_only = hours_from(datetime(2025, 2, 10, tzinfo=ICT), [math.nan, math.nan])
    assert salinity_risk("X", nan_only, CROPS, THRESHOLDS) == []
    assert salinity_risk("X", intrusion(), [], THRESHOLDS) == []
    assert salinity_risk("X", intrusion(), ["shrimp"], THRESHOLDS) == []
    # Exactly at the limit is still safe.
    at_limit = hours_from(datetime(2025, 2, 10, tzinfo=ICT), [2.0])
    assert salinity_risk("X", at_limit, ["rice"], THRESHOLDS) == []
    with pytest.raises(RuleError):
        salinity_risk("X", intrusion(), CROPS, THRESHOLDS, confirm=0)


# ------------------------------------------------------------------------------------------
# Flood alarm levels with hysteresis


@pytest.mark.parametrize(
    ("previous", "value", "expected"),
    [
        (0, 3.49, 0),
        (0, 3.5, 1),
        (0, 4.0, 2),
        (0, 4.6, 3),
        (1, 4.5, 3),
        (2, 3.96, 2),  # within 5 cm below II: stays
        (2, 3.95, 2),
        (2, 3.949, 1),
        (2, 3.3, 0),
        (3, 4.46, 3),
        (3, 4.44, 2),
        (3, 3.0, 0),
        (1, math.nan, 1),
        (3, math.inf, 3),
    ],
)
def test_flood_level(previous: int, value: float, expected: int) -> None:
    assert flood_level(previous, value, TAN_CHAU) == expected
    assert flood_level(previous, value, (3.5, 4.0, 4.5)) == expected


def test_flood_level_parameters_are_checked() -> None:
    with pytest.raises(RuleError):
        flood_level(4, 3.0, TAN_CHAU)
    with pytest.raises(RuleError):
        flood_level(0, 3.0, (3.5, 4.0))
    with pytest.raises(RuleError, match="increase"):
        flood_level(0, 3.0, (4.0, 3.5, 4.5))
    with pytest.raises(RuleError):
        flood_level(0, 3.0, TAN_CHAU, hysteresis=-0.01)


@given(
    st.integers(0, 3),
    st.floats(-5, 15, allow_nan=False),
    st.floats(0, 0.5, allow_nan=False),
)
def test_flood_level_rises_at_levels_and_falls_only_past_the_hysteresis(
    previous: int, value: float, hysteresis: float
) -> None:
    levels = TAN_CHAU.alarm_levels
    reached = sum(1 for t in levels if value >= t)
    new = flood_level(previous, value, TAN_CHAU, hysteresis)
    assert reached <= new <= max(previous, reached)
    if new < previous:
        assert value < levels[new] - hysteresis  # below the next level up, minus hysteresis


# The 2025 flood at Tân Châu: rises through I, II and III, hovers around II, then recedes.
FLOOD = [3.30, 3.40, 3.48, 3.52, 3.70, 3.90, 3.99, 4.00,
         3.98, 4.01, 3.97, 4.03, 3.96, 4.02, 3.955,  # oscillating around alarm II
         4.10, 4.30, 4.50, 4.60, 4.52, 4.46, 4.44,
         4.20, 3.96, 3.94, 3.60, 3.46, 3.44]  # fmt: skip


def test_flood_rise_and_fall_at_tan_chau() -> None:
    start = datetime(2025, 9, 20, tzinfo=ICT)
    assessment = flood_alarm(TAN_CHAU, hours_from(start, FLOOD))
    assert assessment.level == 0
    changes = [(r.values[0].value, r.severity) for r in assessment.changes]
    assert changes == [
        (3.52, "minor"),  # I
        (4.00, "moderate"),  # II, and no flapping while it hovers around 4.0 m
        (4.50, "severe"),  # III
        (4.44, "moderate"),  # back to II only below 4.45 m
        (3.94, "minor"),  # back to I below 3.95 m
        (3.44, "info"),  # cleared below 3.45 m
    ]
    first = assessment.changes[0]
    check_result(first)
    assert first.rule_id == RULE_FLOOD_LEVEL and first.subject == "Tân Châu"
    assert first.headline_vi == "Tân Châu (Tiền): mực nước 3,52 m, vượt báo động I"
    assert first.values[0].at == start + timedelta(hours=3)
    assert "05/2020/QĐ-TTg" in first.source_en and "hysteresis" in first.source_en
    assert first.source_vi.startswith("Quyết định 05/2020/QĐ-TTg") and "độ trễ" in first.source_vi
    assert "dưới báo động I" in assessment.changes[-1].headline_vi


def test_flood_without_hysteresis_would_flap() -> None:
    start = datetime(2025, 9, 20, tzinfo=ICT)
    flapping = flood_alarm(TAN_CHAU, hours_from(start, FLOOD), hysteresis=0)
    steady = flood_alarm(TAN_CHAU, hours_from(start, FLOOD), hysteresis=DEFAULT_HYSTERESIS_M)
    assert len(flapping.changes) > len(steady.changes) + 4


def test_flood_alarm_edge_cases() -> None:
    start = datetime(2025, 9, 20, tzinfo=ICT)
    assert flood_alarm(TAN_CHAU, []) == flood_alarm(TAN_CHAU, [], previous_level=0)
    assert flood_alarm(TAN_CHAU, [], previous_level=2).level == 2
    readings: list[Reading] = [
        (start, 3.6),
        (start + timedelta(hours=1), math.nan),
        (start + timedelta(hours=2), 9.9, "bad"),  # a faulty gauge, flagged
        (start + timedelta(hours=3), 25.0),  # outside the physical range
        (start + timedelta(hours=4), 3.62),
    ]
    assessment = flood_alarm(TAN_CHAU, readings)
    assert assessment.level == 1 and len(assessment.changes) == 1
    # Continuing from a known level: no change, no result.
    assert flood_alarm(TAN_CHAU, readings, previous_level=1).changes == ()


# ------------------------------------------------------------------------------------------
# Rate of rise


def test_rate_of_rise() -> None:
    start = datetime(2025, 9, 20, tzinfo=ICT)
    rising = [(start + timedelta(hours=3 * k), 3.2 + 0.03 * k) for k in range(17)]
    # 24 cm a day for two days
    window = timedelta(hours=48)
    result = rate_of_rise("Tân Châu", rising, window=window, threshold_m_per_day=0.1)
    assert result is not None
    check_result(result)
    assert result.rule_id == RULE_RATE_OF_RISE and result.severity == "moderate"
    assert result.headline_en == "Tân Châu: water rising fast, 24.0 cm/day"
    assert result.headline_vi == "Tân Châu: nước lên nhanh 24,0 cm/ngày"
    assert len(result.values) == 17 and result.onset == start
    assert rate_of_rise("T", rising, window=window, threshold_m_per_day=0.3) is None
    # Only the last window counts: an old rise followed by a flat level is not an alert.
    flat = [(start + timedelta(hours=50 + 3 * k), 3.7) for k in range(17)]
    assert rate_of_rise("T", rising + flat, window=window, threshold_m_per_day=0.1) is None


def test_the_tide_is_not_a_flood_rise() -> None:
    # A semi-diurnal tide of ±0.6 m (more than 5 cm an hour) over a level that rises 2 cm a day:
    # no alert at 10 cm a day; the same level rising 30 cm a day is one.
    start = datetime(2025, 9, 20, tzinfo=ICT)

    def level(hours: float, per_day: float) -> float:
        return 2.5 + per_day * hours / 24 + 0.6 * math.sin(2 * math.pi * hours / 12.42)

    slow = [(start + timedelta(hours=h), level(h, 0.02)) for h in range(49)]
    fast = [(start + timedelta(hours=h), level(h, 0.30)) for h in range(49)]
    window = timedelta(hours=48)
    assert rate_of_rise("T", slow, window=window, threshold_m_per_day=0.1) is None
    result = rate_of_rise("T", fast, window=window, threshold_m_per_day=0.1)
    assert result is not None and result.headline_en == "T: water rising fast, 30.0 cm/day"


def test_rate_of_rise_needs_enough_data() -> None:
    start = datetime(2025, 9, 20, tzinfo=ICT)
    two = [(start, 3.0), (start + timedelta(hours=1), 3.5)]
    assert rate_of_rise("T", two, window=timedelta(hours=6), threshold_m_per_day=1.2) is None
    short = [(start + timedelta(minutes=10 * k), 3.0 + 0.1 * k) for k in range(5)]
    assert rate_of_rise("T", short, window=timedelta(hours=6), threshold_m_per_day=1.2) is None
    assert rate_of_rise("T", [], window=timedelta(hours=6), threshold_m_per_day=1.2) is None
    with pytest.raises(RuleError):
        rate_of_rise("T", two, window=timedelta(0), threshold_m_per_day=1.2)
    with pytest.raises(RuleError):
        rate_of_rise("T", two, window=timedelta(hours=1), threshold_m_per_day=math.nan)


# ------------------------------------------------------------------------------------------
# Silence


def test_station_silence() -> None:
    now = datetime(2025, 9, 20, 12, 0, tzinfo=ICT)
    readings: list[Reading] = [(now - timedelta(hours=7), 3.1), (now - timedelta(hours=9), 3.0)]
    result = station_silence("Châu Đốc", readings, now, timedelta(hours=6))
    assert result is not None
    check_result(result)
    assert result.rule_id == RULE_SILENCE and result.onset == now - timedelta(hours=7)
    assert "20/09/2025 05:00" in result.description_vi
    assert station_silence("Châu Đốc", readings, now, timedelta(hours=8)) is None
    # A reading of bad quality still shows the station is alive.
    alive: list[Reading] = [*readings, (now - timedelta(hours=1), math.nan, "bad")]
    assert station_silence("Châu Đốc", alive, now, timedelta(hours=6)) is None
    # A name that already says "station" is not said twice ("Trạm Trạm đo mặn …").
    assert result.headline_vi == "Trạm Châu Đốc mất tín hiệu"
    named = station_silence("Trạm đo mặn Bình Đại", readings, now, timedelta(hours=6))
    assert named is not None and named.headline_vi == "Trạm đo mặn Bình Đại mất tín hiệu"
    assert named.headline_en == "Trạm đo mặn Bình Đại is silent"


def test_station_silence_edge_cases() -> None:
    now = datetime(2025, 9, 20, 12, 0, tzinfo=ICT)
    never = station_silence("Mới", [], now, timedelta(hours=6))
    assert never is not None and "never reported" in never.description_en
    # A reading stamped in the future does not prove the station is alive now.
    future: list[Reading] = [(now + timedelta(days=1), 3.0)]
    assert station_silence("X", future, now, timedelta(hours=6)) is not None
    with pytest.raises(RuleError):
        station_silence("X", [], datetime(2025, 9, 20, 12, 0), timedelta(hours=6))
    with pytest.raises(RuleError):
        station_silence("X", [], now, timedelta(0))


# ------------------------------------------------------------------------------------------
# Brown planthopper light-trap peaks (two flights 25 days apart)

BASELINE = [30, 45, 25, 60, 40, 35, 50]
FLIGHT_1 = {date(2025, 3, 19): 150, date(2025, 3, 20): 600, date(2025, 3, 21): 1500,
            date(2025, 3, 22): 700, date(2025, 3, 23): 250, date(2025, 3, 24): 80}  # fmt: skip
ECHO = {date(2025, 4, 3): 400}  # 13 days after the first flight: the same generation
FLIGHT_2 = {date(2025, 4, 13): 300, date(2025, 4, 14): 900, date(2025, 4, 15): 2300,
            date(2025, 4, 16): 1200, date(2025, 4, 17): 400, date(2025, 4, 18): 100}  # fmt: skip
SMALL = {date(2025, 5, 1): 90}  # above the baseline but under the minimum count


def trap_counts(last: date = date(2025, 5, 9)) -> list[tuple[date, float]]:
    special = FLIGHT_1 | ECHO | FLIGHT_2 | SMALL
    days = [date(2025, 3, 1) + timedelta(days=k) for k in range((last - date(2025, 3, 1)).days + 1)]
    return [(d, float(special.get(d, BASELINE[i % len(BASELINE)]))) for i, d in enumerate(days)]


def test_two_light_trap_peaks_25_days_apart() -> None:
    peaks = bph_light_trap_peaks(trap_counts())
    assert [(p.day, p.count) for p in peaks] == [
        (date(2025, 3, 21), 1500),
        (date(2025, 4, 15), 2300),
    ]
    assert (peaks[1].day - peaks[0].day).days == 25
    first = peaks[0]
    assert first.confirmed_on == date(2025, 3, 24)
    assert (first.sowing_start, first.sowing_end) == (date(2025, 3, 25), date(2025, 3, 31))
    assert first.baseline == 45  # median of 7–20 March, the rise included


def test_sowing_advice_for_each_peak() -> None:
    advice = bph_sowing_advice("Đèn bẫy ấp Tân Hòa", bph_light_trap_peaks(trap_counts()))
    assert len(advice) == 2
    first = advice[0]
    check_result(first)
    assert first.rule_id == RULE_BPH_LIGHT_TRAP and first.severity == "info"
    assert (first.onset, first.expires) == (date(2025, 3, 25), date(2025, 3, 31))
    assert first.headline_vi == (
        "Đỉnh rầy nâu vào đèn 21/03/2025: gieo né rầy từ 25/03/2025 đến 31/03/2025"
    )
    assert first.values == (TriggerValue(date(2025, 3, 21), 1500, "light_trap_count"),)
    assert "né rầy" in first.source_en and "Mekong Delta" in first.source_en
    assert "né rầy" in first.source_vi and "Đồng bằng sông Cửu Long" in first.source_vi
    assert bph_sowing_advice("X", []) == []


def test_peaks_closer_than_a_generation_are_one_flight() -> None:
    closer = bph_light_trap_peaks(trap_counts(), min_separation_days=10)
    assert [p.day for p in closer] == [date(2025, 3, 21), date(2025, 4, 3), date(2025, 4, 15)]
    # 90 insects on 1 May, 16 days after the second flight: under the minimum count, not three
    # times the baseline (about 45) and too close to the flight before.
    may_1 = date(2025, 5, 1)
    assert may_1 not in [p.day for p in bph_light_trap_peaks(trap_counts(), min_count=80)]
    lower = bph_light_trap_peaks(
        trap_counts(), min_count=80, baseline_ratio=1.5, min_separation_days=15
    )
    assert may_1 in [p.day for p in lower]


def test_a_peak_is_confirmed_only_after_the_following_days() -> None:
    assert [p.day for p in bph_light_trap_peaks(trap_counts(last=date(2025, 4, 17)))] == [
        date(2025, 3, 21)
    ]
    assert len(bph_light_trap_peaks(trap_counts(last=date(2025, 4, 18)))) == 2


def test_trap_counts_edge_cases() -> None:
    assert bph_light_trap_peaks([]) == []
    counts = trap_counts()
    # NaN, missing and fractional counts in the baseline are ignored.
    noisy: list[tuple[date, float | None] | tuple[date, float | None, str]] = [
        (d, math.nan if d.day % 5 == 0 and v < 100 else v) for d, v in counts
    ]
    noisy += [(date(2025, 3, 10), None), (date(2025, 3, 11), 12.5)]
    assert [p.day for p in bph_light_trap_peaks(noisy)] == [date(2025, 3, 21), date(2025, 4, 15)]
    # The top count flagged bad by the operator: the next night becomes the peak.
    flagged: list[tuple[date, float | None] | tuple[date, float | None, str]] = [
        (d, v, "bad") if d == date(2025, 3, 21) else (d, v) for d, v in counts
    ]
    assert bph_light_trap_peaks(flagged)[0].day == date(2025, 3, 22)
    # Two collections in one night are added up.
    split = [*counts, (date(2025, 3, 21), 700.0)]
    assert bph_light_trap_peaks(split)[0].count == 2200
    with pytest.raises(RuleError, match="daily"):
        bph_light_trap_peaks([(datetime(2025, 3, 1, tzinfo=ICT), 10.0)])
    with pytest.raises(RuleError):
        bph_light_trap_peaks(counts, window_days=0)


def test_trap_peak_is_a_plain_record() -> None:
    peak = bph_light_trap_peaks(trap_counts())[0]
    assert isinstance(peak, TrapPeak)
    assert peak.sowing_end - peak.sowing_start == timedelta(days=6)  # seven sowing days


# ------------------------------------------------------------------------------------------
# Rice blast weather


def blast_days() -> list[WeatherDay]:
    d = date(2025, 10, 1)
    weather = [
        (27.5, 95),  # 1/10: nights too warm
        (26.5, 93),
        (24.0, 92),  # 3/10: the run starts
        (23.5, 95),
        (22.0, 97),
        (20.0, 90.0),  # bounds are included
        (26.0, 91),
        (23.0, 96),  # 8/10: six days
        (23.0, 85),  # 9/10: too dry
        (24.0, 94),
        (24.0, 94),
        (24.0, 94),  # 12/10: three days
    ]
    days = [WeatherDay(d + timedelta(days=k), t, rh) for k, (t, rh) in enumerate(weather)]
    return [*days, WeatherDay(date(2025, 10, 14), 24.0, 94)]  # 13/10 missing


def test_rice_blast_weather() -> None:
    results = rice_blast_weather("Xã Tân Hòa", blast_days())
    assert len(results) == 1
    warning = results[0]
    check_result(warning)
    assert warning.rule_id == RULE_RICE_BLAST and warning.severity == "moderate"
    assert (warning.onset, warning.expires) == (date(2025, 10, 3), date(2025, 10, 8))
    assert "03/10/2025, 04/10/2025, 05/10/2025, 06/10/2025, 07/10/2025, 08/10/2025" in (
        warning.description_vi
    )
    assert warning.headline_vi == "Xã Tân Hòa: thời tiết thuận lợi cho bệnh đạo ôn 6 ngày liền"
    assert len(warning.values) == 12
    assert warning.values[:2] == (
        TriggerValue(date(2025, 10, 3), 24.0, "night_min_temperature_c"),
        TriggerValue(date(2025, 10, 3), 92.0, "relative_humidity_pct"),
    )


def test_rice_blast_parameters_and_severity() -> None:
    days = blast_days()
    assert [r.onset for r in rice_blast_weather("X", days, min_days=3)] == [
        date(2025, 10, 3),
        date(2025, 10, 10),
    ]
    assert rice_blast_weather("X", days, min_days=7) == []
    assert rice_blast_weather("X", list(reversed(days))) == rice_blast_weather("X", days)
    week = [WeatherDay(date(2025, 10, 1) + timedelta(days=k), 23.0, 95.0) for k in range(7)]
    assert rice_blast_weather("X", week)[0].severity == "severe"
    assert rice_blast_weather("X", []) == []
    with pytest.raises(RuleError):
        rice_blast_weather("X", days, min_days=0)


def test_rice_blast_gaps_and_bad_values_break_a_run() -> None:
    days = blast_days()
    for broken in (
        WeatherDay(date(2025, 10, 5), 22.0, math.nan),
        WeatherDay(date(2025, 10, 5), None, 97.0),
        WeatherDay(date(2025, 10, 5), 22.0, 120.0),  # humidity outside its physical range
    ):
        patched = [broken if w.day == broken.day else w for w in days]
        assert rice_blast_weather("X", patched) == []
    without_day = [w for w in days if w.day != date(2025, 10, 6)]
    assert rice_blast_weather("X", without_day) == []
