"""The analytics API: DHIS2-like dimensions, indicators, totals, CSV, history re-aggregated
to the 2025 communes, approval, bad requests."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nongso.core.permissions import SYSTEM
from nongso.stats import services
from nongso.stats.models import Allocation
from tests.helpers import Actors, assert_problem, count_queries
from tests.stats.helpers import MERGED_OLDS, SPLIT_NEW, SPLIT_OLD, put, set_report

DX = "dong_xuan:2025-2026"
DX_PREV = "dong_xuan:2024-2025"


def _rows(body: dict[str, object]) -> dict[tuple[str, str, str], list[object]]:
    return {(r[0], r[1], r[2]): r for r in body["rows"]}  # type: ignore[index,union-attr]


def test_indicator_by_commune_and_season_with_totals(actors: Actors, client: TestClient
                                                     ) -> None:
    a, b = actors.commune_a, actors.commune_b
    for commune, (area, out, area0, out0) in {a: (100, 720, 100, 650), b: (50, 300, 40, 240)
                                              }.items():
        put(actors.platform, "harvested_area", DX, commune, area)
        put(actors.platform, "output", DX, commune, out)
        put(actors.platform, "harvested_area", DX_PREV, commune, area0)
        put(actors.platform, "output", DX_PREV, commune, out0)
    r = client.get("/api/v1/analytics", params={
        "dx": "rice_yield;output.rice;rice_yield_change_pct", "pe": f"{DX};{DX_PREV}",
        "ou": f"{a};{b};82", "totals": "true"}, headers=actors.headers("province"))
    assert r.status_code == 200, r.text
    body = r.json()
    rows = _rows(body)
    assert body["headers"] == ["dx", "pe", "ou", "value", "allocated", "approved"]
    assert rows[("rice_yield", DX, a)][3] == pytest.approx(7.2)
    assert rows[("rice_yield", DX, b)][3] == pytest.approx(6.0)
    # A province's yield is the ratio of its sums, not the mean of the communes' yields.
    assert rows[("rice_yield", DX, "82")][3] == pytest.approx(1020 / 150)
    assert rows[("rice_yield_change_pct", DX, a)][3] == pytest.approx(100 * 7.2 / 6.5 - 100,
                                                                       abs=0.05)
    assert ("rice_yield_change_pct", DX_PREV, a) not in rows  # no earlier year: no value
    assert rows[("output.rice", "total", a)][3] == pytest.approx(720 + 650)
    # The total over the units counts each commune once (the province contains a and b).
    assert rows[("output.rice", DX, "total")][3] == pytest.approx(720 + 300)
    assert body["items"][a]["name"].startswith("Xã")
    assert body["items"][DX]["name"] == "Đông Xuân 2025-2026"
    assert body["items"]["rice_yield"]["unit"] == "t/ha"


def test_level_2_lists_every_commune_and_a_year_sums_its_seasons(actors: Actors,
                                                                 client: TestClient) -> None:
    a = actors.commune_a
    put(actors.platform, "sown_area", DX, a, 100)
    put(actors.platform, "sown_area", "he_thu:2026", a, 90)
    put(actors.platform, "sown_area", "thu_dong:2026", a, 60)
    put(actors.platform, "sown_area", "he_thu:2025", a, 80)
    r = client.get("/api/v1/analytics", params={"dx": "sown_area", "pe": "2026",
                                                "ou": "LEVEL-2;82"},
                   headers=actors.headers("admin"))
    body = r.json()
    assert body["rows"] == [["sown_area", "2026", a, 250.0, False, False]]
    assert len(body["dimensions"]["ou"]) == 102  # every commune of Đồng Tháp


def test_history_of_legacy_communes_is_reaggregated_exactly(actors: Actors,
                                                            client: TestClient) -> None:
    old_pe = "dong_xuan:2023-2024"
    put(actors.platform, "sown_area", old_pe, SPLIT_OLD, 1000, generation="legacy")
    for old in MERGED_OLDS:
        if old != SPLIT_OLD:
            put(actors.platform, "sown_area", old_pe, old, 200, generation="legacy")
    r = client.get("/api/v1/analytics", params={"dx": "sown_area", "pe": old_pe,
                                                "ou": "LEVEL-2;82", "totals": "true"},
                   headers=actors.headers("admin"))
    rows = _rows(r.json())
    split = [rows[("sown_area", old_pe, c)] for c in SPLIT_NEW]
    assert all(row[4] is True for row in split)  # allocated shares are marked
    assert rows[("sown_area", old_pe, "28249")][3] == pytest.approx(
        400 + 1000 * 14.3 / (14.3 + 73.3), abs=1e-3)
    # No double counting: the 2025 communes add up to the old total exactly.
    assert rows[("sown_area", old_pe, "total")][3] == pytest.approx(1400)
    weights = services.list_allocations(actors.platform.uow(SYSTEM), SPLIT_OLD)
    assert sum(w.weight for w in weights) == pytest.approx(1.0)
    assert {w.method for w in weights} == {"area_share"}


def test_reading_legacy_history_writes_nothing(actors: Actors, client: TestClient) -> None:
    """The analytics, the /stats page and its outlier scan read the legacy history through
    the default weights without storing them: a read that inserted them and rolled back redid
    it on every request and, on PostgreSQL, made concurrent requests wait on each other's
    rows of the unique index (``/stats`` p95 of 75 s under a light load)."""
    old_pe = "dong_xuan:2023-2024"
    put(actors.platform, "sown_area", old_pe, SPLIT_OLD, 1000, generation="legacy")
    put(actors.platform, "sown_area", old_pe, "28282", 200, generation="legacy")
    with count_queries(actors.platform.engine) as queries:
        r = client.get("/api/v1/analytics", params={"dx": "sown_area", "pe": old_pe,
                                                    "ou": f"{';'.join(SPLIT_NEW)}"},
                       headers=actors.headers("admin"))
        page = client.get("/stats", params={"season": old_pe, "indicator": "sown_area.rice"},
                          headers=actors.headers("province"))
    assert r.status_code == 200 and page.status_code == 200, (r.text, page.text)
    rows = _rows(r.json())
    assert rows[("sown_area", old_pe, "28249")][3] == pytest.approx(
        200 + 1000 * 14.3 / (14.3 + 73.3), abs=1e-3)
    assert rows[("sown_area", old_pe, "29869")][3] == pytest.approx(
        1000 * 73.3 / (14.3 + 73.3), abs=1e-3)
    writes = [q for q in queries.statements
              if q.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert not [w for w in writes if "stats_allocations" in w], writes
    with actors.platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Allocation)).scalar() == 0
    # Stored (a write that commits), the weights are what the reads used.
    services.store_default_allocations(actors.platform.uow(SYSTEM), "82")
    again = _rows(client.get("/api/v1/analytics", params={
        "dx": "sown_area", "pe": old_pe, "ou": f"{';'.join(SPLIT_NEW)}"},
        headers=actors.headers("admin")).json())
    assert {k: v[3] for k, v in again.items()} == {k: v[3] for k, v in rows.items()}


def test_anonymous_callers_see_approved_values_only(actors: Actors, client: TestClient) -> None:
    a, b = actors.commune_a, actors.commune_b
    put(actors.platform, "sown_area", DX, a, 100)
    put(actors.platform, "sown_area", DX, b, 50)
    set_report(actors.platform, "crop_season", DX, a, "accepted")
    set_report(actors.platform, "crop_season", DX, b, "approved")  # 2 steps: not final yet
    params = {"dx": "sown_area", "pe": DX, "ou": f"{a};{b}"}
    anon = client.get("/api/v1/analytics", params=params).json()
    assert [r[2] for r in anon["rows"]] == [a]
    officer = _rows(client.get("/api/v1/analytics", params=params,
                               headers=actors.headers("province")).json())
    assert officer[("sown_area", DX, a)][5] is True
    assert officer[("sown_area", DX, b)][5] is False


def test_csv_for_excel(actors: Actors, client: TestClient) -> None:
    put(actors.platform, "sown_area", DX, actors.commune_a, 1234.5)
    r = client.get("/api/v1/analytics", params={"dx": "sown_area.rice", "pe": DX,
                                                "ou": actors.commune_a, "format": "csv"},
                   headers=actors.headers("admin"))
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0]["dx_name"] == "Diện tích gieo trồng — Lúa"
    assert rows[0]["pe_name"] == "Đông Xuân 2025-2026"
    assert float(rows[0]["value"]) == 1234.5 and rows[0]["unit"] == "ha"


@pytest.mark.parametrize("params,parameter", [
    ({"pe": DX, "ou": "82"}, "dx"),
    ({"dx": "nothing_like_this", "pe": DX, "ou": "82"}, "dx"),
    ({"dx": "sown_area.banana", "pe": DX, "ou": "82"}, "dx"),
    ({"dx": "sown_area", "pe": "dong_xuan:2025", "ou": "82"}, "pe"),
    ({"dx": "sown_area", "pe": "LAST_99_SEASONS", "ou": "82"}, "pe"),
    ({"dx": "sown_area", "pe": DX, "ou": "28252"}, "ou"),  # merged away in 2025
    ({"dx": "sown_area", "pe": DX, "ou": "82;92"}, "ou"),
    ({"dx": "SOWN AREA", "pe": DX, "ou": "82"}, "dx"),
])
def test_bad_dimensions_say_which_parameter(actors: Actors, client: TestClient,
                                            params: dict[str, str], parameter: str) -> None:
    body = assert_problem(client.get("/api/v1/analytics", params=params), 422)
    assert body["errors"][0]["loc"] == parameter
    en = assert_problem(client.get("/api/v1/analytics", params=params,
                                   headers={"Accept-Language": "en"}), 422)
    assert en["detail"] != body["detail"]
