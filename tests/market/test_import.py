"""Price sheets (CSV, Excel): every row checked, all or nothing or only the valid rows."""

from __future__ import annotations

import io

from openpyxl import Workbook

from nongso.core.permissions import SYSTEM
from nongso.market.models import PriceQuote
from tests.helpers import Actors, assert_problem
from tests.market.conftest import csv_sheet

IMPORT = "/api/v1/market/quotes/import"


def _count(actors: Actors) -> int:
    with actors.platform.uow(SYSTEM) as uow:
        return uow.session.query(PriceQuote).count()


def _post(actors: Actors, content: bytes, name: str = "gia.csv", lang: str = "vi",
          **form: str) -> object:
    return actors.client.post(IMPORT, files={"file": (name, content)}, data=form,
                              headers={**actors.headers("province"), "Accept-Language": lang})


def _rows(actors: Actors) -> list[list[object]]:
    a = actors.commune_a
    return [
        ["01/12/2026", "Lúa IR 50404", "tại ruộng", a, "7.200", "", "Tổ thu mua"],
        ["02/12/2026", "lúa ST 25", "tại ruộng", a, "9 ngàn rưỡi", "", "Tổ thu mua"],
        ["03/12/2026", "Gạo thơm", "bán lẻ", "82", "18.000", "", ""],
        ["03/12/2026", "lúa thơm", "Tại ruộng", a, "170.000", "giạ", "Tổ thu mua"],
    ]


def test_a_clean_sheet_is_imported(actors: Actors) -> None:
    r = _post(actors, csv_sheet(_rows(actors)))
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert (body["rows_read"], body["rows_imported"], body["rows_with_errors"]) == (4, 4, 0)
    prices = sorted(q["price_vnd_per_kg"] for q in actors.client.get(
        "/api/v1/market/quotes", headers=actors.headers("province")).json()["items"])
    assert prices == [7200, 8500, 9500, 18000]


def test_errors_name_row_and_column_and_nothing_is_stored(actors: Actors) -> None:
    rows = [*_rows(actors),
            ["31/12/2026", "Lúa IR 50404", "tại ruộng", actors.commune_a, "7.000", "", ""],
            ["04/12/2026", "lúa", "tại ruộng", "Xã Không Có", "7.000", "", ""],
            ["04/12/2026", "lúa", "chợ trời", actors.commune_a, "7.5", "", ""],
            ["01/12/2026", "Lúa IR 50404", "tại ruộng", actors.commune_a, "7.300", "",
             "Tổ thu mua"]]
    body = assert_problem(_post(actors, csv_sheet(rows)), 422)  # type: ignore[arg-type]
    messages = [e["message"] for e in body["errors"]]
    assert any(m.startswith("Dòng 6, cột Ngày:") and "tương lai" in m for m in messages)
    assert any(m.startswith("Dòng 7, cột Nơi:") for m in messages)
    assert any(m.startswith("Dòng 8, cột Cấp thị trường:") for m in messages)
    assert any(m.startswith("Dòng 9,") and "trùng với dòng 2" in m for m in messages)
    assert body["rows_with_errors"] == 4
    assert _count(actors) == 0
    en = assert_problem(_post(actors, csv_sheet(rows), lang="en"), 422)  # type: ignore[arg-type]
    assert any(e["message"].startswith("Row 6, column date:") for e in en["errors"])
    # only_valid keeps the good rows and reports the others; dry_run stores nothing.
    dry = _post(actors, csv_sheet(rows), mode="only_valid", dry_run="true").json()  # type: ignore[attr-defined]
    assert dry["rows_imported"] == 0 and dry["rows_with_errors"] == 4 and _count(actors) == 0
    r = _post(actors, csv_sheet(rows), mode="only_valid").json()  # type: ignore[attr-defined]
    assert (r["rows_imported"], r["rows_with_errors"]) == (4, 4)
    assert _count(actors) == 4


def test_excel_sheet_with_a_title_row(actors: Actors) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["BẢNG GIÁ NÔNG SẢN THÁNG 12/2026"])
    ws.append(["Ngày", "Mặt hàng", "Cấp thị trường", "Nơi", "Giá", "Đơn vị"])
    import datetime as dt

    ws.append([dt.datetime(2026, 12, 2), "xoài cát Hòa Lộc", "bán buôn", actors.commune_a,
               45000, "kg"])
    ws.append([dt.datetime(2026, 12, 2), "Sầu riêng Ri 6", "tại vườn", actors.commune_a,
               "6,5 triệu", "tạ"])
    buf = io.BytesIO()
    wb.save(buf)
    r = _post(actors, buf.getvalue(), "gia.xlsx")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    assert r.json()["rows_imported"] == 2  # type: ignore[attr-defined]


def test_not_a_sheet(actors: Actors) -> None:
    body = assert_problem(_post(actors, b"%PDF-1.4", "gia.pdf"), 422)  # type: ignore[arg-type]
    assert ".xlsx" in body["detail"]
    body = assert_problem(_post(actors, b"a,b\n1,2\n", "gia.csv"), 422)  # type: ignore[arg-type]
    assert "tiêu đề" in body["detail"]
    body = assert_problem(_post(actors, b"junk", "gia.xlsx"), 422)  # type: ignore[arg-type]
    assert "Excel" in body["detail"]
