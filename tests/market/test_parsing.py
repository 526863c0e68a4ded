"""Prices, units and products as people write them (pure; hypothesis properties)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nongso.market import catalogue
from nongso.market.parsing import (
    PriceParseError,
    check_plausible,
    normalise_variety,
    parse_number,
    parse_price,
    parse_product,
    to_vnd_per_kg,
    variety_group,
)


def vi_grouped(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@pytest.mark.parametrize(("text", "vnd_per_kg", "unit"), [
    ("7.500đ", 7500, "kg"),
    ("7.500 đ/kg", 7500, "kg"),
    ("7,5k", 7500, "kg"),
    ("7.5k", 7500, "kg"),
    ("7k5", 7500, "kg"),
    ("7 ngàn rưỡi", 7500, "kg"),
    ("bảy ngàn rưỡi", 7500, "kg"),
    ("7 nghìn 2", 7200, "kg"),
    ("7 ngàn 250", 7250, "kg"),
    ("7 ngàn 5 trăm", 7500, "kg"),
    ("giá 7.200đ", 7200, "kg"),
    ("150.000 đồng/giạ", 7500, "gia"),
    ("150 ngàn một giạ", 7500, "gia"),
    ("750.000đ/tạ", 7500, "ta"),
    ("7,5 triệu/tấn", 7500, "tan"),
    ("1 triệu rưỡi/tạ", 15000, "ta"),
    ("7,500", 7500, "kg"),
])
def test_written_prices(text: str, vnd_per_kg: float, unit: str) -> None:
    p = parse_price(text)
    assert p.unit == unit
    assert to_vnd_per_kg(p) == pytest.approx(vnd_per_kg)


def test_usd_per_tonne_needs_the_days_rate() -> None:
    p = parse_price("480 USD/t")
    assert (p.currency, p.unit, p.value) == ("usd", "tan", 480)
    assert to_vnd_per_kg(p, 25_400) == pytest.approx(480 * 25_400 / 1000)
    with pytest.raises(PriceParseError) as err:
        to_vnd_per_kg(p)
    assert "tỷ giá" in err.value.message_vi


def test_unit_given_apart_is_used_when_the_text_names_none() -> None:
    assert parse_price("150.000", unit="giạ").unit == "gia"
    assert parse_price("7.500đ/kg", unit="giạ").unit == "kg"  # the text wins
    with pytest.raises(PriceParseError):
        parse_price("7.500", unit="thúng")


@pytest.mark.parametrize("text", ["", "abc", "-7000", "7 ngàn ngàn", "rưỡi", "7% ", "7.50.0",
                                  "7//kg", "7 8", "0", "giá âm 5000", "7,5,5"])
def test_not_prices(text: str) -> None:
    with pytest.raises(PriceParseError) as err:
        parse_price(text)
    assert err.value.message_vi and err.value.message_en


@given(st.integers(min_value=1, max_value=10**9))
def test_grouped_numbers_read_back(n: int) -> None:
    assert parse_number(vi_grouped(n)) == n
    assert parse_number(f"{n:,}") == n  # the English grouping too
    assert parse_number(str(n)) == n


@given(st.integers(min_value=1, max_value=99_999), st.integers(min_value=1, max_value=99))
def test_decimal_comma_and_point(whole: int, cents: int) -> None:
    text = f"{whole},{cents:02d}"
    expected = whole + cents / 100
    assert parse_number(text) == pytest.approx(expected)
    assert parse_number(text.replace(",", ".")) == pytest.approx(expected)
    assert parse_number(f"{vi_grouped(whole)},{cents:02d}") == pytest.approx(expected)


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=9),
       st.sampled_from(["k", " ngàn", " nghìn", "K", " Ngàn"]))
def test_thousands_words_and_k(thousands: int, hundreds: int, word: str) -> None:
    expected = thousands * 1000 + hundreds * 100
    short = f"{thousands},{hundreds}{word.strip()}" if hundreds else f"{thousands}{word}"
    assert parse_price(short).value == pytest.approx(expected)
    spoken = f"{thousands}{word} {hundreds}" if hundreds else f"{thousands}{word}"
    assert parse_price(spoken).value == pytest.approx(expected)
    assert parse_price(f"{thousands}{word} rưỡi").value == pytest.approx(thousands * 1000 + 500)


@given(st.integers(min_value=1000, max_value=500_000),
       st.sampled_from(["đ", " đ", "đồng", " VND", " vnđ", "₫", ""]),
       st.sampled_from(["kg", "giạ", "tạ", "tấn", "yến"]))
def test_unit_normalisation_divides_by_the_units_weight(n: int, currency: str, unit: str
                                                        ) -> None:
    p = parse_price(f"{vi_grouped(n)}{currency}/{unit}")
    kg = {"kg": 1, "giạ": 20, "tạ": 100, "tấn": 1000, "yến": 10}[unit]
    assert to_vnd_per_kg(p) == pytest.approx(n / kg)


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_anything_is_a_price_or_a_clear_error(text: str) -> None:
    try:
        p = parse_price(text)
    except PriceParseError as err:
        assert err.message_vi and err.message_en
    else:
        assert math.isfinite(p.value) and p.value > 0


PADDY = catalogue.product("lua_tuoi_thuong")


def test_seven_and_a_half_meant_as_thousands() -> None:
    assert PADDY is not None
    p = parse_price("7.5")
    issue = check_plausible(PADDY, to_vnd_per_kg(p), p)
    assert issue is not None and issue.code == "thousands"
    assert issue.suggestion_vnd_per_kg == 7500
    assert "7.500" in issue.message_vi and "7,500" in issue.message_en
    # Written with its multiplier it is what it says.
    assert check_plausible(PADDY, to_vnd_per_kg(parse_price("7,5k"))) is None


@pytest.mark.parametrize(("text", "code", "meant"), [
    ("150.000", "per_gia", 7500), ("750.000", "per_ta", 7500), ("75.000", "per_yen", 7500)])
def test_price_per_gia_or_ta_entered_per_kg(text: str, code: str, meant: float) -> None:
    assert PADDY is not None
    p = parse_price(text)
    issue = check_plausible(PADDY, to_vnd_per_kg(p), p)
    assert issue is not None and issue.code == code and issue.suggestion_vnd_per_kg == meant


def test_paddy_and_milled_rice_mixed_up() -> None:
    assert PADDY is not None
    issue = check_plausible(PADDY, 16_000)
    assert issue is not None and issue.code == "sibling"
    assert "gạo" in issue.message_vi.lower() and "milled" in issue.message_en
    milled = catalogue.product("gao_thuong")
    assert milled is not None
    issue = check_plausible(milled, 6_500)
    assert issue is not None and issue.code == "sibling"
    with pytest.raises(PriceParseError):
        parse_product("lúa gạo ST25")


@pytest.mark.parametrize(("text", "code"), [
    ("lúa ST25", "lua_tuoi_st"), ("Lúa ST 25", "lua_tuoi_st"), ("lua st-25", "lua_tuoi_st"),
    ("gạo ST24", "gao_st"), ("Lúa thơm", "lua_tuoi_thom"), ("lúa OM 18", "lua_tuoi_thom"),
    ("lúa Đài Thơm 8", "lua_tuoi_thom"), ("lúa khô IR 50404", "lua_kho_thuong"),
    ("Lúa IR50404", "lua_tuoi_thuong"), ("gạo thơm", "gao_thom"), ("gạo", "gao_thuong"),
    ("Xoài cát Hòa Lộc", "xoai_cat_hoa_loc"), ("sầu riêng Ri 6", "sau_rieng_ri6"),
    ("Bưởi da xanh", "buoi_da_xanh"), ("tôm thẻ chân trắng", "tom_the"),
    ("cá tra", "ca_tra"), ("lua_kho_st", "lua_kho_st")])
def test_products_as_typed(text: str, code: str) -> None:
    assert parse_product(text) == code


def test_st25_alone_asks_paddy_or_milled() -> None:
    with pytest.raises(PriceParseError) as err:
        parse_product("ST25")
    assert "lúa hay gạo" in err.value.message_vi


@given(st.lists(st.sampled_from(["", " ", "-", "  "]), min_size=1, max_size=1),
       st.sampled_from(["ST", "st", "St", "sT"]), st.sampled_from(["24", "25"]))
def test_variety_spellings_fold_to_one(sep: list[str], letters: str, digits: str) -> None:
    text = f"{letters}{sep[0]}{digits}"
    assert normalise_variety(text) == f"ST{digits}"
    assert variety_group(text) == "st"
    assert normalise_variety(normalise_variety(text)) == normalise_variety(text)
