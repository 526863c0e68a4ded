"""Listing text: phone numbers found however they are written; prices left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nongso.market.texts import find_phones, mask_phones


@pytest.mark.parametrize("text", [
    "Gọi 0912 345 678 nhé", "0912.345.678", "+84 912-345-678", "(028) 3829 1234",
    "0 9 1 2 3 4 5 6 7 8", "zalo:0912345678", "84912345678"])
def test_phones_are_found_and_masked(text: str) -> None:
    assert find_phones(text)
    masked = mask_phones(text)
    assert masked is not None and "[số điện thoại đã ẩn]" in masked
    assert not find_phones(masked)


@pytest.mark.parametrize("text", [
    "Giá 150.000 đ/kg", "1.250.000 đ một hộp", "Gạo ST25 túi 5 kg, mã lô TH260312-1234",
    "Năm 2024 đạt OCOP 4 sao", "GTIN 8930000000012"])
def test_prices_and_codes_are_not_phones(text: str) -> None:
    assert find_phones(text) == []
    assert mask_phones(text) == text


@given(st.sampled_from(["3", "5", "7", "8", "9"]), st.integers(0, 99_999_999),
       st.sampled_from(["", " ", ".", "-"]))
def test_any_mobile_number_spacing(prefix: str, rest: int, sep: str) -> None:
    digits = f"0{prefix}{rest:08d}"
    text = "Liên hệ " + sep.join([digits[:4], digits[4:7], digits[7:]]) + " để đặt hàng"
    assert find_phones(text)
    assert digits not in (mask_phones(text) or "").replace(sep, "")
