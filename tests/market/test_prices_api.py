"""Prices through the API: as people write them, with clear refusals and nothing half-written."""

from __future__ import annotations

from nongso.core.permissions import SYSTEM
from nongso.market.models import PriceMonth, PriceQuote
from tests.helpers import Actors, assert_problem
from tests.market.conftest import QUOTES, quote


def _count(actors: Actors) -> tuple[int, int]:
    with actors.platform.uow(SYSTEM) as uow:
        return (uow.session.query(PriceQuote).count(), uow.session.query(PriceMonth).count())


def test_prices_as_written_are_normalised_and_kept(actors: Actors) -> None:
    r = quote(actors, "commune_a", price="7,5k")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["product_code"] == "lua_tuoi_thuong"
    assert body["price_vnd_per_kg"] == 7500
    assert (body["original_text"], body["original_value"], body["original_unit"]) == \
        ("7,5k", 7500, "vnd/kg")
    r = quote(actors, "commune_a", price="150.000 đồng/giạ", observed_on="2026-12-06")
    assert r.json()["price_vnd_per_kg"] == 7500 and r.json()["original_unit"] == "vnd/gia"
    r = quote(actors, "commune_a", price=7 * 1000, unit="kg", observed_on="2026-12-04")
    assert r.status_code == 201 and r.json()["price_vnd_per_kg"] == 7000
    # The month holds the three quotes: the series' monthly mean is their mean.
    series = actors.client.get("/api/v1/market/series").json()["items"]
    assert len(series) == 1 and series[0]["last_price"] == round((7500 + 7500 + 7000) / 3, 1)
    assert series[0]["place_name"] and series[0]["level_name"] == "Giá tại ruộng/vườn"


def test_usd_per_tonne_with_the_days_rate(actors: Actors) -> None:
    before = _count(actors)
    r = quote(actors, "province", product="gạo thơm", level="export", place_code="82",
              price="480 USD/t")
    body = assert_problem(r, 422)
    assert any("tỷ giá" in e["message"] for e in body["errors"])
    assert _count(actors) == before
    r = actors.client.put("/api/v1/market/fx-rates/2026-12-05", headers=actors.headers(
        "province"), json={"usd_vnd": 25_400, "source": "Ngân hàng Nhà nước, tỷ giá trung tâm"})
    assert r.status_code == 200, r.text
    r = quote(actors, "province", product="gạo thơm", level="export", place_code="82",
              price="480 USD/t")
    assert r.status_code == 201, r.text
    assert r.json()["price_vnd_per_kg"] == 480 * 25_400 / 1000
    assert r.json()["usd_vnd_rate"] == 25_400


def test_bad_prices_are_explained_and_change_nothing(actors: Actors) -> None:
    before = _count(actors)
    cases = [
        ({"price": "7.5"}, "price", "7.500"),  # 7.5 meant as 7,500 đ
        ({"price": "150.000"}, "price", "giạ"),  # per giạ entered per kg
        ({"price": "16.000"}, "price", "gạo"),  # milled rice price entered for paddy
        ({"price": "-7000"}, "price", "âm"),
        ({"product": "ST25"}, "product", "lúa hay gạo"),
        ({"product": "lúa gạo ST25"}, "product", "lúa"),
        ({"product": "khoai mì"}, "product", "mặt hàng"),
        ({"observed_on": "2026-12-20"}, "observed_on", "tương lai"),
        ({"place_code": "99999"}, "place_code", "không tồn tại"),
    ]
    for change, field, words in cases:
        r = quote(actors, "commune_a", **change)
        body = assert_problem(r, 422)
        messages = [e["message"] for e in body["errors"] if e["loc"].endswith(field)]
        assert messages and any(words in m for m in messages), (change, body)
    r = quote(actors, "commune_a", "en", price="150.000")
    body = assert_problem(r, 422)
    assert "giạ (20 kg), that is 7,500 VND/kg" in body["errors"][0]["message"]
    assert _count(actors) == before


def test_duplicate_same_day_quote_is_a_conflict(actors: Actors) -> None:
    assert quote(actors, "commune_a").status_code == 201
    before = _count(actors)
    body = assert_problem(quote(actors, "commune_a", price="7.600đ"), 409)
    assert "05/12/2026" in body["detail"] and body["existing_id"] >= 1
    assert _count(actors) == before
    # Another source (a buyer) may quote the same day.
    assert quote(actors, "buyer").status_code == 201


def test_who_may_write_prices(actors: Actors) -> None:
    assert_problem(quote(actors, None), 401)
    assert_problem(quote(actors, "farmer_a"), 403)
    assert_problem(quote(actors, "coop_a"), 403)
    body = assert_problem(quote(actors, "commune_b"), 403)  # commune B's officer, commune A
    assert "ghi giá" in body["detail"]
    assert quote(actors, "commune_b", place_code=actors.commune_b).status_code == 201
    assert_problem(quote(actors, "other_province", place_code="82"), 403)


def test_quotes_show_their_source_to_officers_only(actors: Actors) -> None:
    assert quote(actors, "buyer", source_name="Kho Thu mua Số 1").status_code == 201
    officer = actors.client.get(QUOTES, headers=actors.headers("province")).json()["items"][0]
    assert officer["source_name"] == "Kho Thu mua Số 1" and officer["source_kind"] == "buyer"
    other = actors.client.get(QUOTES, headers=actors.headers("coop_a")).json()["items"][0]
    assert other["source_name"] is None
    assert_problem(actors.client.get(QUOTES), 401)
    # Series and their means are public.
    assert actors.client.get("/api/v1/market/series").status_code == 200
