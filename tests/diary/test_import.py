"""Excel import: the template, merged headers, dd/mm/yyyy, decimal commas, empty rows,
per-row errors with row and column, all-or-nothing by default, no duplicates on re-import."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from nongso.diary import excel
from tests.diary.conftest import Diary
from tests.helpers import assert_problem

API = "/api/v1/diary"


def _upload(d: Diary, content: bytes, who: str = "farmer_a", name: str = "nhat-ky.xlsx",
            **form: Any) -> Any:
    return d.actors.client.post(f"{API}/import", headers=d.actors.headers(who),
                                files={"file": (name, content, "application/octet-stream")},
                                data={k: str(v).lower() for k, v in form.items()})


def _template_with(rows: list[list[Any]]) -> bytes:
    wb = load_workbook(io.BytesIO(excel.template_xlsx(example=False)))
    ws = wb["Nhật ký"]
    for r, values in enumerate(rows, start=5):
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD = [
    ["A-001", "Đông Xuân 2025-2026", "13/12/2025", "Bón phân", "Urê 46% N", "45,5", "kg"],
    [],  # empty rows are skipped
    ["A-001", "Đông Xuân 2025-2026", "18/01/2026 07:30", "Phun thuốc", "Rầy Sạch 50WG",
     "0,36", "kg", None, None, None, "Rầy nâu", "1.200", "Làm đòng"],
    ["A-002", "", dt.datetime(2026, 1, 5), "Tưới nước", None, None, None, None, None, None,
     None, None, None, None, "Út Hai", "bơm 3 giờ"],
    ["A-001", "dong xuan 2025-26", "12/03/2026", "Thu hoạch", None, None, None, None, "8.400",
     "24,5"],
]


def test_template_is_vietnamese_with_merged_headers(diary: Diary) -> None:
    r = diary.actors.client.get(f"{API}/import/template.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["Nhật ký"]
    assert ws["E3"].value == "Vật tư" and ws["E4"].value == "Tên vật tư"
    assert "E3:H3" in {str(m) for m in ws.merged_cells.ranges}
    assert "A3:A4" in {str(m) for m in ws.merged_cells.ranges}
    assert "Hướng dẫn" in wb.sheetnames
    # The template's own example rows are read back correctly by the parser.
    parsed = excel.parse(r.content)
    assert parsed.errors == [] and len(parsed.rows) == 4
    assert parsed.rows[2].input_quantity == 0.3 and parsed.rows[3].harvest_kg == 7050
    assert parsed.rows[3].moisture_pct == 24.5


def test_import_good_rows_then_again_without_duplicates(diary: Diary) -> None:
    d = diary
    content = _template_with(GOOD)
    r = _upload(d, content)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["rows_read"] == 4 and report["rows_imported"] == 4
    assert report["errors"] == [] and report["rows_already_imported"] == 0
    acts = d.actors.client.get(f"{API}/activities", params={"limit": 50},
                               headers=d.actors.headers("farmer_a")).json()["items"]
    by_kind = {a["kind"]: a for a in acts}
    assert by_kind["fertilising"]["inputs"][0]["quantity"] == 45.5
    assert by_kind["spraying"]["density_per_m2"] == 1200
    assert by_kind["spraying"]["at"].startswith("2026-01-18T00:30")  # 07:30 in Vietnam
    assert by_kind["irrigation"]["plot_id"] == d.plot_a2.id  # its open season
    assert by_kind["harvest"]["quantity_base"] == 8400
    assert by_kind["harvest"]["moisture_pct"] == 24.5
    # The harvest came 53 days after a 14-day-PHI spray: no flag; the season's figures moved.
    season = d.actors.client.get(f"{API}/seasons/{d.season_a.id}",
                                 headers=d.actors.headers("farmer_a")).json()
    # Weighed fresh at 24.5 %: the yield is of dry paddy at 14 % (8,400 x 75.5 / 86 on 1.2 ha).
    assert season["harvest_kg"] == 8400
    assert season["harvest_dry_kg"] == pytest.approx(8400 * 75.5 / 86, abs=0.01)
    assert season["yield_t_ha"] == pytest.approx(8400 * 75.5 / 86 / 1000 / 1.2, abs=0.001)
    again = _upload(d, content).json()
    assert again["rows_imported"] == 0 and again["rows_already_imported"] == 4
    assert d.activity_count() == 4


def test_errors_name_row_and_column_and_nothing_is_stored(diary: Diary) -> None:
    d = diary
    rows = [*GOOD,
            ["A-001", "Đông Xuân 2025-2026", "31/02/2026", "Phun thuốc", "Rầy Sạch 50WG", "1",
             "kg"],                                                    # row 10: bad date
            ["B-001", "", "01/02/2026", "Tưới nước"],                  # row 11: not his plot
            ["A-001", "", "01/02/2026", "Cấy lúa nước"],               # row 12: unknown work
            ["A-001", "", "01/02/2026", "Bón phân", "Urê 46% N", "-3", "kg"],     # 13: negative
            ["A-001", "", "01/02/2026", "Bón phân", "Urê 46% N", "3", "thùng"],   # 14: unit
            ["A-001", "", "01/02/2026", "Phun thuốc", "Urê 46% N", "3", "kg"],    # 15: not pest.
            ["A-001", "", "01/02/2026", "Bón phân", "Phân lạ", "3", "kg"],        # 16: unknown
            ["A-001", "Hè Thu 2026", "01/02/2026", "Tưới nước"],                  # 17: no season
            ["A-001", "", "05/04/2026", "Tưới nước"],                             # 18: future
            ["A-001", "", "13/12/2025", "Bón phân", "Urê 46% N", "45,5", "kg"],   # 19: dup of 5
            ]
    r = _upload(d, _template_with(rows))
    body = assert_problem(r, 422)
    messages = [e["message"] for e in body["errors"]]
    assert "Dòng 10, cột Ngày thực hiện: ngày không hợp lệ (dd/mm/yyyy)." in messages
    assert any(m.startswith("Dòng 11, cột Mã thửa:") for m in messages)
    assert any(m.startswith("Dòng 12, cột Công việc:") for m in messages)
    assert any(m.startswith("Dòng 13, cột Số lượng:") for m in messages)
    assert any(m.startswith("Dòng 14, cột Đơn vị:") for m in messages)
    assert any(m.startswith("Dòng 15, cột Tên vật tư:") and "thuốc BVTV" in m for m in messages)
    assert any(m.startswith("Dòng 16, cột Tên vật tư:") for m in messages)
    assert any(m.startswith("Dòng 17, cột Vụ:") for m in messages)
    assert any(m.startswith("Dòng 18, cột Ngày thực hiện:") and "tương lai" in m
               for m in messages)
    assert any(m.startswith("Dòng 19:") and "trùng với dòng 5" in m for m in messages)
    assert len(messages) == 10
    assert d.activity_count() == 0  # all or nothing
    en = d.actors.client.post(f"{API}/import", headers={**d.actors.headers("farmer_a"),
                                                         "Accept-Language": "en"},
                              files={"file": ("x.xlsx", _template_with(rows), "application/x")})
    assert any(e["message"].startswith("Row 10, column Ngày thực hiện: invalid date")
               for e in en.json()["errors"])
    dry = _upload(d, _template_with(GOOD), dry_run=True).json()
    assert dry["dry_run"] and dry["rows_imported"] == 0 and d.activity_count() == 0
    partial = _upload(d, _template_with(rows), mode="partial").json()
    assert partial["rows_imported"] == 4 and partial["rows_with_errors"] == 10
    assert partial["errors"][0]["row"] == 10 and partial["errors"][0]["column"] == \
        "Ngày thực hiện"
    assert d.activity_count() == 4


def test_a_hand_made_sheet_with_its_own_headers(diary: Diary) -> None:
    """Not the template: a title, a blank line, merged group cells, "Ngày phun", real dates."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sổ phun thuốc"
    ws["A1"] = "SỔ GHI CHÉP PHUN THUỐC — HTX Thử nghiệm A"
    ws.merge_cells("A1:F1")
    ws.append([])
    ws.append(["Mã thửa", "Ngày phun", "Công việc", "Vật tư", None, None])
    ws.append([None, None, None, "Tên thuốc", "Lượng dùng", "ĐVT"])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    ws.merge_cells("C3:C4")
    ws.merge_cells("D3:F3")
    ws.append(["A-001", dt.date(2026, 1, 20), "phun", "rầy sạch 50wg", 300, "gam"])
    ws.append([None, None, None, None, None, None])
    ws.append(["A-001", "20/02/2026", "Phun thuốc", "Rầy Sạch 50WG", "0,5", "kg"])
    ws.append(["A-001", "2026-02-99", "Phun thuốc", "Rầy Sạch 50WG", "0,2", "kg"])
    out = io.BytesIO()
    wb.save(out)
    r = _upload(diary, out.getvalue(), mode="partial")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["rows_read"] == 3 and report["rows_imported"] == 2
    assert report["errors"] == [{"row": 8, "column": "Ngày phun",
                                 "message": "Dòng 8, cột Ngày phun: ngày không hợp lệ "
                                            "(dd/mm/yyyy)."}]
    acts = diary.actors.client.get(f"{API}/activities", params={"kind": "spraying"},
                                   headers=diary.actors.headers("farmer_a")).json()["items"]
    doses = sorted(a["inputs"][0]["dose_per_ha"] for a in acts)
    assert doses == [0.25, 0.5 / 1.2]
    assert {tuple(a["flags"]) for a in acts} == {(), ("dose-above-label",)}


def test_unreadable_files_are_refused(diary: Diary) -> None:
    assert_problem(_upload(diary, b"not a zip file"), 422)
    assert_problem(_upload(diary, b"a,b\n1,2", name="data.csv"), 415)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Tên", "Tuổi"])
    out = io.BytesIO()
    wb.save(out)
    body = assert_problem(_upload(diary, out.getvalue()), 422)
    assert "tiêu đề" in body["detail"]
    assert_problem(_upload(diary, _template_with(GOOD), who="commune_a"), 403)
    assert diary.activity_count() == 0
