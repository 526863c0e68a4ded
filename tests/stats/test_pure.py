"""Pure statistics logic without a database: periods, formulas, outliers, encodings, cells."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nongso.stats import encodings, formulas, outliers, parsing, periods

# --- periods ---------------------------------------------------------------------------------


def test_season_crossing_the_year_has_its_dates_and_counts_in_its_last_year() -> None:
    p = periods.parse("dong_xuan:2025-2026")
    assert (p.type, p.start, p.end, p.year) == ("season", dt.date(2025, 11, 1),
                                                dt.date(2026, 4, 30), 2026)
    assert p.label("vi") == "Đông Xuân 2025-2026"
    assert p.label("en") == "Winter–spring 2025-2026"
    assert periods.parse("thu_dong:2026-2027").end == dt.date(2027, 12, 31)
    assert periods.parse("he_thu:2026").start == dt.date(2026, 4, 1)


def test_season_dates_come_from_the_provinces_calendar() -> None:
    cal = {"dong_xuan": periods.Window("dong_xuan", 12, 15, 3, 31, 1)}
    p = periods.parse("dong_xuan:2025-2026", cal)
    assert (p.start, p.end) == (dt.date(2025, 12, 15), dt.date(2026, 3, 31))


@pytest.mark.parametrize("text,kind,start,end", [
    ("2026", "year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ("2026Q2", "quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
    ("202602", "month", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
    ("2026W1", "week", dt.date(2025, 12, 29), dt.date(2026, 1, 4)),
    ("20260315", "day", dt.date(2026, 3, 15), dt.date(2026, 3, 15)),
])
def test_calendar_periods(text: str, kind: str, start: dt.date, end: dt.date) -> None:
    p = periods.parse(text)
    assert (p.type, p.start, p.end) == (kind, start, end)


@pytest.mark.parametrize("bad", ["dong_xuan:2025", "dong_xuan:2025-2027", "mua_mua:2025",
                                 "2026Q5", "202613", "20260230", "1900", "abc", "he_thu:2026-2025"])
def test_bad_periods_are_refused_with_a_message(bad: str) -> None:
    with pytest.raises(periods.PeriodError) as err:
        periods.parse(bad)
    assert err.value.message_vi and err.value.message_en


def test_previous_same_period() -> None:
    assert periods.previous_same(periods.parse("dong_xuan:2025-2026")).id == \
        "dong_xuan:2024-2025"
    assert periods.previous_same(periods.parse("thu_dong:2026-2027")).id == \
        "thu_dong:2025-2026"
    assert periods.previous_same(periods.parse("2026Q3")).id == "2025Q3"
    assert periods.previous_same(periods.parse("20240229")).id == "20230228"


def test_relative_seasons_are_the_rice_seasons_begun_by_today() -> None:
    got = periods.relative("LAST_4_SEASONS", dt.date(2026, 3, 20))
    assert [p.id for p in got] == ["dong_xuan:2024-2025", "he_thu:2025", "thu_dong:2025",
                                   "dong_xuan:2025-2026"]
    assert len(periods.relative("LAST_15_SEASONS", dt.date(2026, 3, 20))) == 15
    assert [p.id for p in periods.relative("LAST_2_YEARS", dt.date(2026, 3, 20))] == \
        ["2024", "2025"]
    assert [p.id for p in periods.relative("THIS_YEAR", dt.date(2026, 3, 20))] == ["2026"]


@pytest.mark.parametrize("text,expected", [
    ("Đông Xuân 2024-2025", "dong_xuan:2024-2025"),
    ("ĐX 2024-2025", "dong_xuan:2024-2025"),
    ("DX 24-25", "dong_xuan:2024-2025"),
    ("Vụ Đông Xuân 2024 - 2025", "dong_xuan:2024-2025"),
    ("Hè Thu 2025", "he_thu:2025"),
    ("HT 2025", "he_thu:2025"),
    ("Thu Đông 2025", "thu_dong:2025"),
    ("dong_xuan:2024-2025", "dong_xuan:2024-2025"),
])
def test_season_labels_as_written(text: str, expected: str) -> None:
    assert periods.parse_season_label(text).id == expected


def test_dx_with_one_year_is_ambiguous_and_says_both_readings() -> None:
    with pytest.raises(periods.PeriodError) as err:
        periods.parse_season_label("ĐX 2025")
    assert "Đông Xuân 2024-2025" in err.value.message_vi
    assert "Đông Xuân 2025-2026" in err.value.message_en


def test_seasons_containing_a_day_overlap() -> None:
    ids = {p.id for p in periods.seasons_containing(dt.date(2026, 4, 15))}
    assert ids == {"dong_xuan:2025-2026", "he_thu:2026"}


# --- formulas --------------------------------------------------------------------------------


def _resolver(values: dict[tuple[str, str, int], float]) -> formulas.Resolver:
    return lambda ref, offset: values.get((ref.element, ref.coc, offset))


def test_formula_yield_and_change_against_previous_year() -> None:
    f = formulas.compile_formula(
        "100 * (#{output.rice} / #{harvested_area.rice}) / "
        "previous(#{output.rice} / #{harvested_area.rice}) - 100")
    assert f.refs == (formulas.Ref("output", "rice"), formulas.Ref("harvested_area", "rice"))
    assert f.uses_previous
    values = {("output", "rice", 0): 7200.0, ("harvested_area", "rice", 0): 1000.0,
              ("output", "rice", -1): 6000.0, ("harvested_area", "rice", -1): 1000.0}
    assert formulas.evaluate(f, _resolver(values)) == pytest.approx(20.0)


def test_formula_missing_values_and_division_by_zero_give_no_value() -> None:
    f = formulas.compile_formula("#{output} / #{harvested_area}")
    assert formulas.evaluate(f, _resolver({("output", "", 0): 5.0})) is None
    assert formulas.evaluate(f, _resolver({("output", "", 0): 5.0,
                                           ("harvested_area", "", 0): 0.0})) is None
    g = formulas.compile_formula("coalesce(#{a}, 0) + max(#{b}, 2) + abs(-#{b})")
    assert formulas.evaluate(g, _resolver({("b", "", 0): 3.0})) == 6.0


@pytest.mark.parametrize("bad", [
    "__import__('os').system('x')", "#{a}.__class__", "open('/etc/passwd')", "#{a} ** 2",
    "#{a} if 1 else 2", "[#{a}]", "lambda: 1", "#{a} + x", "1 + 2", "", "#{A}", "#{a} +",
    "previous(#{a}, #{b})", "'text' + #{a}", "#{a} // 2", "min(#{a}, key=1)",
])
def test_formula_refuses_anything_but_arithmetic(bad: str) -> None:
    with pytest.raises(formulas.FormulaError) as err:
        formulas.compile_formula(bad)
    assert err.value.message_vi.startswith("Công thức")


# --- outliers --------------------------------------------------------------------------------


def test_modified_zscore_is_robust_to_the_outlier_itself() -> None:
    values = [7.0, 7.2, 6.9, 7.1, 7.3, 6.8, 70.0]
    mz = outliers.modified_zscores(values)
    assert mz[-1] is not None and mz[-1] > 3.5
    assert all(abs(z) < 3.5 for z in mz[:-1] if z is not None)
    # 0.6745 · (x − median) / MAD by hand: median 7.1, MAD 0.2.
    assert mz[0] == pytest.approx(0.6745 * (7.0 - 7.1) / 0.2)


def test_detect_finds_a_slip_by_history_and_bounds_and_names_the_meant_value() -> None:
    cands = [outliers.Candidate("a", 80.0, history=[7.0, 7.4, 6.8, 7.1], low=2, high=12),
             outliers.Candidate("b", 7.2, history=[7.0, 7.4, 6.8, 7.1], low=2, high=12)]
    found = outliers.detect(cands, intensive=True)
    assert {f.method for f in found["a"]} >= {"min_max", "history"}
    assert found["b"] == []
    hist = next(f for f in found["a"] if f.method == "history")
    assert outliers.likely_slip(80.0, hist.expected) == pytest.approx(8.0)
    assert outliers.likely_slip(7250.0, 7.1) == pytest.approx(7.25)
    assert outliers.likely_slip(7.5, 7.1) is None


def test_extensive_figures_are_not_compared_across_communes() -> None:
    cands = [outliers.Candidate(i, v) for i, v in enumerate([10, 12, 11, 9, 5000])]
    assert all(not f for f in outliers.detect(cands, intensive=False).values())
    assert outliers.detect(cands, intensive=True)[4]


def test_nearest_neighbours() -> None:
    pts = {"a": (105.0, 10.0), "b": (105.01, 10.0), "c": (105.5, 10.0), "d": (106.0, 10.0)}
    assert outliers.nearest(pts, 2)["a"] == ["b", "c"]


# --- encodings -------------------------------------------------------------------------------

NAME = "Xã Mỹ Hiệp, Đồng Tháp: lúa Đông Xuân, sản lượng"


def _vni(text: str) -> bytes:
    reverse = {v: k for k, v in encodings.VNI_TABLE.items()}
    single = {"đ": "\xf1", "Đ": "\xd1", "ơ": "\xf4", "ư": "\xf6", "ì": "\xec", "í": "\xed",
              "ỉ": "\xe6", "ĩ": "\xf3", "ị": "\xf2", "ỵ": "\xee"}
    return "".join(single.get(ch) or reverse.get(ch) or ch for ch in text).encode("latin-1")


def _tcvn3(text: str) -> bytes:
    reverse = {v: k for k, v in encodings.TCVN3_TABLE.items()}
    return "".join(reverse.get(ch, ch) for ch in text).encode("latin-1")


def test_utf8_with_bom_and_legacy_encodings_are_recognised() -> None:
    assert encodings.decode("\ufeffMã xã".encode()) == ("Mã xã", "utf-8-sig")
    assert encodings.decode(_vni(NAME)) == (NAME, "vni")
    assert encodings.decode(_vni("Xin chào các bạn"))[0] == "Xin chào các bạn"
    # TCVN3 has no toned capitals: they come out lower-case (the .VnTimeH font's letters).
    text, enc = encodings.decode(_tcvn3("xã mỹ hiệp, đồng tháp: lúa đông xuân"))
    assert (text, enc) == ("xã mỹ hiệp, đồng tháp: lúa đông xuân", "tcvn3")
    assert encodings.from_tcvn3("B\xb6o Th\xbeng") == "Bảo Thắng"
    with pytest.raises(encodings.EncodingError):
        encodings.decode(_vni(NAME), "utf-8")


# --- cells -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cells,style", [
    (["1.234,5", "12"], "vi"), (["7,25"], "vi"), (["1,234.5"], "en"), (["7.25"], "en"),
    (["12.500.000"], "vi"), (["7.250", "100"], None),
])
def test_number_style_of_a_file(cells: list[object], style: str | None) -> None:
    assert parsing.number_style(cells) == style


def test_number_style_mixed_is_refused() -> None:
    with pytest.raises(parsing.CellError):
        parsing.number_style(["1.234,5", "1,234.5"])


@pytest.mark.parametrize("cell,style,value", [
    ("1.234,5", None, 1234.5), ("1,234.5", "en", 1234.5), ("7,25", "vi", 7.25),
    ("7.250", "vi", 7250.0), ("7.250", "en", 7.25), ("12 500", None, 12500.0),
    ("0", None, 0.0), ("-3", None, -3.0), (8.0, None, 8.0), ("12.500.000", "en", 12500000.0),
])
def test_numbers(cell: object, style: str | None, value: float) -> None:
    assert parsing.parse_number(cell, style) == value


def test_blank_is_no_value_and_zero_is_zero() -> None:
    assert parsing.parse_number("  ") is None
    assert parsing.parse_number(None) is None
    assert parsing.parse_number("0") == 0.0
    with pytest.raises(parsing.CellError):
        parsing.parse_number("tám")


@given(st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False))
def test_vietnamese_and_english_writing_read_back_the_same(d: object) -> None:
    value = float(d)  # type: ignore[arg-type]
    en = f"{value:,.2f}"
    vi = en.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    assert parsing.parse_number(vi, "vi") == pytest.approx(value)
    assert parsing.parse_number(en, "en") == pytest.approx(value)


def test_dates_excel_serials_and_day_month_order() -> None:
    assert parsing.parse_date(45658) == dt.date(2025, 1, 1)
    assert parsing.parse_date("45658") == dt.date(2025, 1, 1)
    assert parsing.parse_date("03/04/2025") == dt.date(2025, 4, 3)
    assert parsing.date_order(["03/04/2025", "04/13/2025"]) == parsing.MONTH_FIRST
    assert parsing.parse_date("04/13/2025", parsing.MONTH_FIRST) == dt.date(2025, 4, 13)
    assert parsing.date_order(["13/04/2025", "03/04/2025"]) == parsing.DAY_FIRST
    with pytest.raises(parsing.CellError):
        parsing.date_order(["13/04/2025", "04/13/2025"])
    with pytest.raises(parsing.CellError):
        parsing.parse_date("31/02/2025")


@pytest.mark.parametrize("unit,target,factor", [
    ("công", "ha", 0.1), ("công lớn", "ha", 0.1296), ("m²", "ha", 1e-4), ("tạ", "t", 0.1),
    ("kg", "t", 0.001), ("giạ", "t", 0.02), ("tạ/ha", "t/ha", 0.1), ("kg/ha", "t/ha", 0.001),
    ("giạ/công", "t/ha", 0.2), ("tấn", "t", 1.0), (None, "ha", 1.0), ("con", "head", 1.0),
])
def test_local_units(unit: str | None, target: str, factor: float) -> None:
    assert parsing.conversion(unit, target).factor == pytest.approx(factor)


def test_local_unit_sizes_are_options_and_wrong_units_are_refused() -> None:
    local = parsing.LocalUnits(cong_m2=1296, gia_kg=18)
    assert parsing.conversion("công", "ha", local).factor == pytest.approx(0.1296)
    assert parsing.conversion("giạ", "t", local).factor == pytest.approx(0.018)
    with pytest.raises(parsing.CellError):
        parsing.conversion("kg", "ha")
    assert parsing.split_header("Năng suất (tạ/ha)") == ("Năng suất", "tạ/ha")
