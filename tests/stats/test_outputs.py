"""Outputs: the seasonal report (JSON, Excel, PDF), the province's targets and their
extension point, open-data rows, dashboard layouts, outliers, metadata as data."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from nongso.core.permissions import SYSTEM
from nongso.core.uow import UnitOfWork
from nongso.stats import services, targets
from tests.helpers import Actors, assert_problem
from tests.stats.helpers import SPLIT_NEW, SPLIT_OLD, put, set_report

DX = "dong_xuan:2025-2026"
PREV = "dong_xuan:2024-2025"


def _season(actors: Actors) -> None:
    a, b = actors.commune_a, actors.commune_b
    for c, (sown, harv, out) in {a: (110, 100, 720), b: (55, 50, 300)}.items():
        put(actors.platform, "sown_area", DX, c, sown)
        put(actors.platform, "harvested_area", DX, c, harv)
        put(actors.platform, "output", DX, c, out)
    put(actors.platform, "harvested_area", PREV, a, 100)
    put(actors.platform, "output", PREV, a, 600)
    # Last year's figure of a split legacy commune, shared among 2025 communes.
    put(actors.platform, "output", PREV, SPLIT_OLD, 100, generation="legacy")
    set_report(actors.platform, "crop_season", DX, a, "accepted")


def test_season_report_json_excel_pdf(actors: Actors, client: TestClient) -> None:
    _season(actors)
    h = actors.headers("province")
    body = client.get("/api/v1/stats/season-report", params={"season": DX}, headers=h).json()
    rows = {r["commune_code"]: r for r in body["rows"]}
    a = rows[actors.commune_a]
    assert (a["sown_ha"], a["harvested_ha"], a["yield_t_ha"], a["output_t"]) == \
        (110, 100, 7.2, 720)
    assert (a["prev_yield_t_ha"], a["output_change_pct"]) == (6.0, 20.0)
    assert a["status"] == "accepted"
    assert rows[SPLIT_NEW[0]]["allocated"] is True  # last year's share of a split commune
    assert body["total"]["output_t"] == 1020 and body["previous_label"] == "Đông Xuân 2024-2025"
    xlsx = client.get("/api/v1/stats/season-report", params={"season": DX, "format": "xlsx"},
                      headers=h)
    assert xlsx.headers["content-disposition"].endswith('.xlsx"')
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws is not None
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "BÁO CÁO KẾT QUẢ SẢN XUẤT LÚA VỤ ĐÔNG XUÂN 2025-2026" in cells
    assert "Tổng cộng" in cells and "Cùng vụ năm trước" in cells
    pdf = client.get("/api/v1/stats/season-report", params={"season": DX, "format": "pdf"},
                     headers=h)
    assert pdf.content.startswith(b"%PDF") and b"DejaVu" in pdf.content
    assert_problem(client.get("/api/v1/stats/season-report", params={"season": "2026"},
                              headers=h), 422)
    assert_problem(client.get("/api/v1/stats/season-report", params={"season": DX}), 401)


@pytest.fixture
def market_provider() -> Iterator[None]:
    def provider(uow: UnitOfWork, province: str, today: dt.date) -> targets.Measure:
        return targets.share(3, 4, "3/4 sản phẩm OCOP bán trực tuyến.",
                             "3/4 OCOP products sold online.")

    targets.register_target_provider("market_ocop_online", provider)
    yield
    targets.unregister_target_provider("market_ocop_online")


def test_targets_live_with_goals_and_not_yet_available(actors: Actors,
                                                       client: TestClient) -> None:
    body = {t["code"]: t for t in client.get("/api/v1/stats/targets").json()}
    assert set(body) == {"coops_tracing", "coops_selling_online", "ocop_online",
                         "iot_villages", "open_data", "automatic_statistics", "active_farmers"}
    assert body["open_data"]["available"] is False
    assert body["open_data"]["note"] == "chưa có dữ liệu"
    assert body["open_data"]["goals"] == [{"year": 2030, "min": 100, "max": None,
                                           "strict": False, "met": None}]
    tracing = body["coops_tracing"]
    assert tracing["available"] and tracing["denominator"] == 2  # the actors' two co-ops
    assert tracing["value"] == 0.0 and tracing["goals"][0]["met"] is False
    en = client.get("/api/v1/stats/targets", headers={"Accept-Language": "en"}).json()
    assert next(t for t in en if t["code"] == "open_data")["note"] == "not yet available"


def test_a_registered_provider_fills_its_target(actors: Actors, client: TestClient,
                                                market_provider: None) -> None:
    ocop = next(t for t in client.get("/api/v1/stats/targets").json()
                if t["code"] == "ocop_online")
    assert (ocop["available"], ocop["value"], ocop["goals"][0]["met"]) == (True, 75.0, False)


def test_automatic_share_and_open_data_rows(actors: Actors, client: TestClient) -> None:
    _season(actors)
    put(actors.platform, "sown_area", "he_thu:2026", actors.commune_a, 80, source="diary")
    rows = services.approved_values(actors.platform.uow(SYSTEM))
    assert {(r.commune_code, r.data_element, r.period) for r in rows} == {
        (actors.commune_a, e, DX) for e in ("sown_area", "harvested_area", "output")}
    assert rows[0].commune_name.startswith("Xã") and rows[0].unit
    auto = next(t for t in services.province_targets(actors.platform.uow(SYSTEM))
                if t.code == "automatic_statistics")
    assert auto.numerator == 1 and auto.denominator == 10


def test_dashboard_layout_is_kept_per_user(actors: Actors, client: TestClient) -> None:
    h = actors.headers("commune_a")
    default = client.get("/api/v1/stats/dashboard/layout", headers=h).json()
    assert default["items"][0]["id"] == "map"
    layout = {"items": [{"id": "targets"}, {"id": "map", "hidden": True}, {"id": "trend"}]}
    assert client.put("/api/v1/stats/dashboard/layout", json=layout, headers=h).status_code == 200
    got = client.get("/api/v1/stats/dashboard/layout", headers=h).json()["items"]
    assert [i["id"] for i in got][:3] == ["targets", "map", "trend"] and got[1]["hidden"]
    assert len(got) == 6  # items added since are appended
    assert_problem(client.put("/api/v1/stats/dashboard/layout", json={
        "items": [{"id": "map"}, {"id": "map"}]}, headers=h), 422)
    assert_problem(client.put("/api/v1/stats/dashboard/layout", json={
        "items": [{"id": "<script>"}]}, headers=h), 422)


def test_outliers_endpoint_names_the_slip(actors: Actors, client: TestClient) -> None:
    a = actors.commune_a
    for year, value in ((2020, 7.1), (2021, 6.9), (2022, 7.3), (2023, 7.0), (2024, 7.2)):
        put(actors.platform, "yield_reported", f"dong_xuan:{year}-{year + 1}", a, value)
    put(actors.platform, "yield_reported", DX, a, 72.0)
    body = client.get("/api/v1/stats/outliers", params={"dataset": "crop_season",
                                                        "period": DX},
                      headers=actors.headers("province")).json()
    slip = next(o for o in body if o["org_unit"] == a)
    assert slip["likely_meant"] == pytest.approx(7.2)
    assert {f["method"] for f in slip["findings"]} >= {"min_max", "history"}


def test_indicators_are_data_and_formulas_are_checked(actors: Actors, client: TestClient
                                                      ) -> None:
    h = actors.headers("province")
    r = client.post("/api/v1/stats/indicators", json={
        "code": "rice_output_per_household", "name_vi": "Sản lượng lúa mỗi hộ",
        "name_en": "Rice output per household", "unit": "t",
        "expression": "#{output.rice} / #{diary_households}"}, headers=h)
    assert r.status_code == 201, r.text
    put(actors.platform, "output", DX, actors.commune_a, 90)
    put(actors.platform, "diary_households", DX, actors.commune_a, 30, coc="")
    rows = client.get("/api/v1/analytics", params={"dx": "rice_output_per_household",
                                                   "pe": DX, "ou": actors.commune_a},
                      headers=h).json()["rows"]
    assert rows[0][3] == 3.0
    for bad in ("__import__('os').system('id')", "#{no_such_element} / 2",
                "#{output.banana}"):
        body = assert_problem(client.post("/api/v1/stats/indicators", json={
            "code": "bad_one", "name_vi": "x", "name_en": "x", "unit": "t",
            "expression": bad}, headers=h), 422)
        assert body["errors"][0]["loc"] == "expression"
    assert client.post("/api/v1/stats/indicators", json={
        "code": "x2", "name_vi": "x", "name_en": "x", "unit": "t",
        "expression": "#{output}"}, headers=actors.headers("commune_a")).status_code == 403
    assert_problem(client.delete("/api/v1/stats/indicators/rice_yield", headers=h), 409)


def test_calendars_and_allocation_weights_are_data(actors: Actors, client: TestClient) -> None:
    h = actors.headers("province")
    r = client.put("/api/v1/stats/calendars/82/dong_xuan", json={
        "start_month": 12, "start_day": 1, "end_month": 3, "end_day": 31,
        "end_year_offset": 1, "source": "Lịch thời vụ của Sở 2026"}, headers=h)
    assert r.status_code == 200, r.text
    form = client.get(f"/api/v1/stats/forms/crop_season/{DX}/{actors.commune_a}",
                      headers=h).json()
    assert form["report"]["due"] == "2026-04-15"  # 31 March + 15 days
    assert_problem(client.put("/api/v1/stats/calendars/82/dong_xuan", json={
        "start_month": 12, "start_day": 1, "end_month": 2, "end_day": 31,
        "end_year_offset": 1, "source": "x"}, headers=h), 422)
    shares = {"shares": [{"new_code": SPLIT_NEW[0], "weight": 0.5},
                         {"new_code": SPLIT_NEW[1], "weight": 0.5}], "note": "Theo diện tích lúa"}
    r = client.put(f"/api/v1/stats/allocations/{SPLIT_OLD}", json=shares, headers=h)
    assert r.status_code == 200 and {x["method"] for x in r.json()} == {"custom"}
    shares["shares"][0]["weight"] = 0.6  # type: ignore[index]
    assert_problem(client.put(f"/api/v1/stats/allocations/{SPLIT_OLD}", json=shares,
                              headers=h), 422)
