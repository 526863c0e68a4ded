"""Importing historic figures: the bad input the province's files really have, each with a
clear message in the user's language, and nothing half-written."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from nongso.stats import encodings
from nongso.stats.models import DataValue, Import
from tests.helpers import Actors, assert_problem
from tests.stats.helpers import SPLIT_OLD, csv_bytes, put, set_report

HEAD = ["Mã xã", "Tên xã", "Kỳ", "Chỉ tiêu", "Phân tổ", "Giá trị", "Đơn vị tính"]


def _post(client: TestClient, actors: Actors, content: bytes, name: str = "so-lieu.csv",
          lang: str = "vi", who: str = "province", **form: Any) -> Any:
    headers = {**actors.headers(who), "Accept-Language": lang}
    return client.post("/api/v1/stats/imports", files={"file": (name, content)},
                       data={k: str(v) for k, v in form.items()}, headers=headers)


def _count(actors: Actors) -> int:
    with actors.platform.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(DataValue)) or 0


def _values(actors: Actors) -> dict[tuple[str, str, str, str], float]:
    with actors.platform.uow() as uow:
        return {(r.data_element, r.period, r.org_unit, r.coc): r.value
                for r in uow.session.scalars(select(DataValue))}


def _messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body["errors"]]


def test_the_officers_wide_excel_with_title_rows_local_units_and_history(
        actors: Actors, client: TestClient) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["UBND TỈNH ĐỒNG THÁP"])
    ws.append(["BÁO CÁO KẾT QUẢ SẢN XUẤT LÚA VỤ ĐÔNG XUÂN 2024-2025"])
    ws.append([])
    ws.append(["STT", "Mã xã", "Tên xã", "Diện tích gieo trồng (ha)",
               "Diện tích thu hoạch (công)", "Năng suất (tạ/ha)", "Sản lượng (tấn)"])
    ws.append([1, "28249", "Phường 5", "1.234,5", 12000, "72,5", 870])
    ws.append([2, "28252", "Phường 4", 500, 5000, 70, 350])
    out = io.BytesIO()
    wb.save(out)
    r = _post(client, actors, out.getvalue(), "bao-cao-dx.xlsx", period="Đông Xuân 2024-2025",
              approved="true")
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["values"] == 8 and report["allocated_values"] == 4
    values = _values(actors)
    key = "dong_xuan:2024-2025"
    assert values[("sown_area", key, "28249", "rice")] == 1234.5
    assert values[("harvested_area", key, "28249", "rice")] == pytest.approx(1200)  # công
    assert values[("yield_reported", key, "28249", "rice")] == pytest.approx(7.25)  # tạ/ha
    # The legacy figures reach the 2025 communes, shares of the split one marked.
    a = client.get("/api/v1/analytics", params={"dx": "sown_area", "pe": key,
                                                "ou": "28249;29869", "totals": "true"}).json()
    rows = {r[2]: r for r in a["rows"] if r[1] == key}
    assert rows["total"][3] == pytest.approx(1734.5)
    assert rows["29869"][4] is True and rows["28249"][4] is True
    assert rows["28249"][5] is True  # imported as approved (paper reports)


def test_decimal_comma_bom_and_blank_against_zero(actors: Actors, client: TestClient) -> None:
    a = actors.commune_a
    content = csv_bytes([HEAD,
                         [a, "", "Hè Thu 2025", "sown_area", "Lúa", "1.234,5", "ha"],
                         [a, "", "Hè Thu 2025", "vietgap_area", "Lúa", "0", "ha"],
                         [a, "", "Hè Thu 2025", "harvested_area", "Lúa", "", "ha"]],
                        "utf-8-sig")
    r = _post(client, actors, content)
    assert r.status_code == 201, r.text
    assert r.json()["encoding"] == "utf-8-sig" and r.json()["number_style"] == "vi"
    values = _values(actors)
    assert values[("sown_area", "he_thu:2025", a, "rice")] == 1234.5
    assert values[("vietgap_area", "he_thu:2025", a, "rice")] == 0.0  # zero is a figure
    assert ("harvested_area", "he_thu:2025", a, "rice") not in values  # blank is none


def _legacy_text(text: str, encoding: str) -> bytes:
    if encoding == "tcvn3":
        reverse = {v: k for k, v in encodings.TCVN3_TABLE.items()}
        return "".join(reverse.get(ch, reverse.get(ch.lower(), ch)) for ch in text) \
            .encode("latin-1")
    reverse = {v: k for k, v in encodings.VNI_TABLE.items()}
    single = {"đ": "\xf1", "Đ": "\xd1", "ơ": "\xf4", "ư": "\xf6", "ì": "\xec", "í": "\xed",
              "ỉ": "\xe6", "ĩ": "\xf3", "ị": "\xf2", "ỵ": "\xee"}
    return "".join(single.get(ch) or reverse.get(ch) or ch for ch in text).encode("latin-1")


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_encodings_are_read(actors: Actors, client: TestClient, encoding: str) -> None:
    name = "Xã Tân Phước 1"  # commune A, found by its name in a legacy-encoded file
    text = "\r\n".join(";".join(r) for r in [
        ["Tên xã", "Kỳ", "Chỉ tiêu", "Phân tổ", "Giá trị"],
        [name, "Hè Thu 2025", "Diện tích gieo trồng", "Lúa", "850"],
        [name, "Thu Đông 2025", "Diện tích gieo trồng", "Lúa", "610"]]) + "\r\n"
    r = _post(client, actors, _legacy_text(text, encoding))
    assert r.status_code == 201, r.text
    assert r.json()["encoding"] == encoding
    assert _values(actors)[("sown_area", "thu_dong:2025", actors.commune_a, "rice")] == 610


def test_excel_serial_dates_and_month_first_dates(actors: Actors, client: TestClient) -> None:
    a = actors.commune_a
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Mã xã", "Ngày", "Chỉ tiêu", "Phân tổ", "Giá trị", "Đơn vị tính"])
    ws.append([a, 45930, "livestock_heads", "Heo", 1200, "con"])  # serial: 30/09/2025
    out = io.BytesIO()
    wb.save(out)
    assert _post(client, actors, out.getvalue(), "dan.xlsx").status_code == 201
    assert _values(actors)[("livestock_heads", "2025Q3", a, "pig")] == 1200
    mdy = csv_bytes([["Mã xã", "Ngày", "Chỉ tiêu", "Phân tổ", "Giá trị"],
                     [a, "12/31/2025", "livestock_heads", "Bò", "40"],
                     [a, "10/15/2025", "livestock_heads", "Trâu", "12"]])
    r = _post(client, actors, mdy, "dan-mdy.csv")
    assert r.status_code == 201 and r.json()["date_order"] == "mdy"
    assert _values(actors)[("livestock_heads", "2025Q4", a, "buffalo")] == 12
    mixed = csv_bytes([["Mã xã", "Ngày", "Chỉ tiêu", "Phân tổ", "Giá trị"],
                       [a, "31/12/2025", "livestock_heads", "Gà", "4"],
                       [a, "12/31/2025", "livestock_heads", "Bò", "4"]])
    body = assert_problem(_post(client, actors, mixed, "mixed.csv"), 422)
    assert "dd/mm" in body["detail"]


def test_local_units(actors: Actors, client: TestClient) -> None:
    a = actors.commune_a
    content = csv_bytes([HEAD,
                         [a, "", "Hè Thu 2025", "sown_area", "Lúa", "100", "công"],
                         [a, "", "Hè Thu 2025", "output", "Lúa", "500", "giạ"],
                         [a, "", "Thu Đông 2025", "output", "Lúa", "30", "tạ"],
                         [a, "", "Hè Thu 2025", "yield_reported", "Lúa", "40", "giạ/công"]])
    assert _post(client, actors, content, cong_m2=1296).status_code == 201
    values = _values(actors)
    assert values[("sown_area", "he_thu:2025", a, "rice")] == pytest.approx(12.96)
    assert values[("output", "he_thu:2025", a, "rice")] == pytest.approx(10.0)
    assert values[("output", "thu_dong:2025", a, "rice")] == pytest.approx(3.0)
    assert values[("yield_reported", "he_thu:2025", a, "rice")] == pytest.approx(
        40 * 20 / 1296 * 10)


def test_every_bad_row_is_reported_and_nothing_is_written(actors: Actors,
                                                          client: TestClient) -> None:
    a = actors.commune_a
    content = csv_bytes([
        HEAD,
        [a, "", "Hè Thu 2025", "sown_area", "Lúa", "900", "ha"],  # good
        [a, "", "Hè Thu 2025", "yield_reported", "Lúa", "80", "t/ha"],  # 80 for 8.0
        [a, "", "Hè Thu 2025", "harvested_area", "Lúa", "-5", "ha"],  # negative
        [SPLIT_OLD, "", "Hè Thu 2025", "sown_area", "Lúa", "10", "ha"],  # merged in 2025
        [a, "", "ĐX 2025", "sown_area", "Lúa", "10", "ha"],  # which Đông Xuân?
        [a, "", "Hè Thu 2025", "sown_area", "Lúa", "901", "ha"],  # duplicate of row 2
        [a, "", "Hè Thu 2025", "sown_area", "Lúa", "abc", "ha"],  # not a number
        [a, "", "Hè Thu 2025", "sown_area", "Sắn", "1", "ha"],  # unknown crop
        [a, "", "Hè Thu 2025", "output", "Lúa", "5", "lít"],  # wrong unit
    ])
    body = assert_problem(_post(client, actors, content), 422)
    text = "\n".join(_messages(body))
    assert "có phải 8?" in text
    assert "không được âm" in text
    assert "không còn từ 01/07/2025" in text and "Phường Đạo Thạnh" in text
    assert "Đông Xuân 2024-2025" in text and "Đông Xuân 2025-2026" in text
    assert "Trùng với dòng 2" in text
    assert "không phải là số" in text and "Sắn" in text and "lít" in text
    assert {e["loc"].split(",")[0] for e in body["errors"]} == {f"row {n}" for n in range(3, 11)}
    assert body["report"]["values"] == 0
    assert _count(actors) == 0
    en = assert_problem(_post(client, actors, content, lang="en"), 422)
    assert "did you mean 8?" in "\n".join(_messages(en))
    assert "nothing was imported" in en["detail"]


def test_the_same_file_twice_is_refused(actors: Actors, client: TestClient) -> None:
    content = csv_bytes([HEAD, [actors.commune_a, "", "Hè Thu 2025", "sown_area", "Lúa", "9",
                                "ha"]])
    assert _post(client, actors, content).status_code == 201
    body = assert_problem(_post(client, actors, content), 409)
    assert "đã được nhập" in body["detail"] and body["import_id"] > 0
    with actors.platform.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Import)) == 1


def test_existing_approved_and_automatic_figures_are_not_overwritten(
        actors: Actors, client: TestClient) -> None:
    a, b = actors.commune_a, actors.commune_b
    put(actors.platform, "sown_area", "he_thu:2025", a, 100, source="diary")
    put(actors.platform, "sown_area", "he_thu:2025", b, 50)
    set_report(actors.platform, "crop_season", "he_thu:2025", b, "approved")
    put(actors.platform, "output", "thu_dong:2025", b, 7)
    content = csv_bytes([HEAD,
                         [a, "", "Hè Thu 2025", "sown_area", "Lúa", "90", "ha"],
                         [b, "", "Hè Thu 2025", "harvested_area", "Lúa", "40", "ha"],
                         [b, "", "Thu Đông 2025", "output", "Lúa", "8", "t"]])
    body = assert_problem(_post(client, actors, content), 422)
    text = "\n".join(_messages(body))
    assert "tự động (diary)" in text and "đã được phê duyệt" in text and "ghi đè" in text
    assert _values(actors)[("output", "thu_dong:2025", b, "rice")] == 7
    # "replace" overwrites the imported one; still not the approved or automatic ones.
    body = assert_problem(_post(client, actors, content, replace="true"), 422)
    assert len(body["errors"]) == 2


def test_commune_officers_import_their_own_commune_only(actors: Actors,
                                                        client: TestClient) -> None:
    content = csv_bytes([HEAD,
                         [actors.commune_a, "", "Hè Thu 2025", "sown_area", "Lúa", "9", "ha"],
                         [actors.commune_b, "", "Hè Thu 2025", "sown_area", "Lúa", "9", "ha"]])
    body = assert_problem(_post(client, actors, content, who="commune_a"), 422)
    assert [e["loc"] for e in body["errors"]] == ["row 3, commune"]
    assert _post(client, actors, content, who="farmer_a").status_code == 403
    assert _post(client, actors, content, who="commune_a", approved="true").status_code == 422


def test_files_that_are_not_tables(actors: Actors, client: TestClient) -> None:
    assert "Excel" in assert_problem(_post(client, actors, b"PK\x03\x04garbage", "x.xlsx"),
                                     422)["detail"]
    assert "tiêu đề" in assert_problem(_post(client, actors, b"a;b\n1;2\n"), 422)["detail"]
    assert assert_problem(_post(client, actors, b""), 422)
    assert assert_problem(_post(client, actors, b"x", "x.pdf"), 422)
