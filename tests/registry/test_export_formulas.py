"""Exports never write user text as a live formula (OWASP CSV injection): every CSV and Excel
cell that came from user text and begins with =, +, - or @ starts with an apostrophe."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from nongso.core.spreadsheet import FORMULA_STARTS
from tests.helpers import Actors

HOSTILE = '=HYPERLINK("http://x.invalid","bấm")'
SQUARE = [[105.63, 10.46], [105.64, 10.46], [105.64, 10.47], [105.63, 10.47], [105.63, 10.46]]


def assert_no_formula_xlsx(content: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(content))
    texts = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def assert_no_formula_csv(content: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)], cells
    return cells


def test_registry_exports_neutralise_formulas(actors: Actors) -> None:
    r = actors.client.post("/api/v1/registry/production-units", headers=actors.headers("admin"),
                           json={"kind": "planting_area", "name": HOSTILE, "crop": "longan",
                                 "code": "VN-82-TEST-0001",
                                 "variety": "@SUM(1+1)", "commune_code": actors.commune_a,
                                 "geometry": {"type": "Polygon", "coordinates": [SQUARE]}})
    assert r.status_code == 201, r.text
    for collection in ("production_units", "planting_areas"):
        xlsx = actors.client.get(f"/api/v1/registry/export/{collection}.xlsx")
        assert xlsx.status_code == 200, xlsx.text
        assert "'" + HOSTILE in assert_no_formula_xlsx(xlsx.content)
        text = actors.client.get(f"/api/v1/registry/export/{collection}.csv")
        assert "'" + HOSTILE in assert_no_formula_csv(text.content)
