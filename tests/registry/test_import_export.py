"""Imports (GeoJSON, KML, zipped Shapefile, CSV, Excel) with per-row reports, and exports
(GeoJSON, CSV, Excel, the plant protection office's planting-area-code list)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import openpyxl
import pytest
from pyproj import CRS, Transformer

from nongso.core.platform import Platform
from nongso.registry.models import FeatureVersion, Infrastructure, ProductionUnit
from tests.helpers import Actors, assert_problem
from tests.registry.shapes import TAN_PHUOC_1, point, rect
from tests.registry.test_features_api import PU, count, planting_area
from tests.registry.test_importers import zipped_shapefile

IMPORT = "/api/v1/registry/import"


def upload(actors: Actors, name: str, data: bytes, who: str = "commune_a",
           lang: str = "vi", **form: Any) -> Any:
    return actors.client.post(IMPORT, files={"file": (name, data)},
                              data={k: str(v).lower() if isinstance(v, bool) else v
                                    for k, v in form.items()},
                              headers={**actors.headers(who), "Accept-Language": lang})


def planting_geojson(actors: Actors) -> bytes:
    def feat(n: int, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
        return {"type": "Feature", "geometry": geometry,
                "properties": {"Mã số vùng trồng": f"VN-DTOR-{n:04d}", "Tên": f"Vùng {n}",
                               "Cây trồng": "Xoài", "Mã xã": actors.commune_a,
                               "Diện tích (ha)": "1,5", "Giống": "Cát Chu", **props}}

    lon, lat = TAN_PHUOC_1
    bowtie = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.01, lat + 0.01],
                                                  [lon + 0.01, lat], [lon, lat + 0.01],
                                                  [lon, lat]]]}
    doc = {"type": "FeatureCollection", "features": [
        feat(1, rect(*TAN_PHUOC_1, 150, 100)),
        feat(2, bowtie),
        feat(3, rect(*TAN_PHUOC_1, 50, 50, dx_m=1000)),  # 0.25 ha: too small for mango
        feat(4, rect(*TAN_PHUOC_1, 150, 100, dx_m=2000), **{"Cây trồng": "Sầu riêng"}),
        feat(1, rect(*TAN_PHUOC_1, 150, 100, dx_m=3000)),  # the code of row 1 again
    ]}
    return json.dumps(doc, ensure_ascii=False).encode()


def test_a_file_with_errors_imports_nothing(actors: Actors, platform: Platform) -> None:
    before = (count(platform, ProductionUnit), count(platform, FeatureVersion))
    r = upload(actors, "msvt.geojson", planting_geojson(actors), kind="planting_area")
    body = assert_problem(r, 422)
    rows = sorted({int(e["loc"].split("/")[1]) for e in body["errors"]})
    assert rows == [2, 3, 5]
    messages = " ".join(e["message"] for e in body["errors"])
    assert "Dòng 2" in messages and "tự cắt" in messages
    assert "nhỏ hơn diện tích tối thiểu" in messages and "trùng với dòng 1" in messages
    assert "chỉ nhập các dòng hợp lệ" in body["detail"]
    assert (count(platform, ProductionUnit), count(platform, FeatureVersion)) == before


def test_only_the_valid_rows_when_asked(actors: Actors, platform: Platform) -> None:
    dry = upload(actors, "msvt.geojson", planting_geojson(actors), kind="planting_area",
                 dry_run=True, lang="en")
    assert dry.status_code == 200
    report = dry.json()
    assert report["dry_run"] and report["valid"] == 2 and report["imported"] == 0
    assert [e["row"] for e in report["errors"]] == [2, 3, 5]
    assert report["errors"][0]["message"].startswith("Row 2")
    assert count(platform, ProductionUnit) == 0
    r = upload(actors, "msvt.geojson", planting_geojson(actors), kind="planting_area",
               only_valid=True)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["imported"] == 2 and len(report["ids"]) == 2 and len(report["errors"]) == 3
    units = [actors.client.get(f"{PU}/{i}").json() for i in report["ids"]]
    assert [(u["code"], u["crop"], u["declared_area_ha"]) for u in units] == [
        ("VN-DTOR-0001", "mango", 1.5), ("VN-DTOR-0004", "durian", 1.5)]
    assert units[0]["attributes"] == {} and units[0]["variety"] == "Cát Chu"
    history = actors.client.get(f"{PU}/{report['ids'][0]}/history").json()
    assert [v["change"] for v in history] == ["create"]


def test_csv_of_pumping_stations_with_a_swapped_row(actors: Actors, platform: Platform) -> None:
    lon, lat = point(*TAN_PHUOC_1)["coordinates"]
    text = ("Tên;Mã;Loại;Vĩ độ;Kinh độ;Mã xã;Công suất (m3/h)\n"
            f"Trạm bơm Kênh 1;TB-1;pumping_station;{lat};{lon};{actors.commune_a};2000\n"
            f"Trạm bơm Kênh 2;TB-2;Trạm bơm;{lon};{lat};{actors.commune_a};3600\n"
            f"Trạm bơm Kênh 3;TB-3;Trạm bơm;{str(lat + 0.01).replace('.', ',')};"
            f"{str(lon).replace('.', ',')};{actors.commune_a};1000\n")
    r = upload(actors, "tram_bom.csv", text.encode("utf-8-sig"), collection="infrastructure")
    body = assert_problem(r, 422)
    assert [e["loc"].split("/")[1] for e in body["errors"]] == ["3"]
    assert "đổi chỗ" in body["errors"][0]["message"]
    assert count(platform, Infrastructure) == 0
    r = upload(actors, "tram_bom.csv", text.encode("utf-8-sig"), collection="infrastructure",
               only_valid=True)
    assert r.json()["imported"] == 2
    listed = actors.client.get("/api/v1/registry/infrastructure").json()["items"]
    assert [(i["code"], i["attributes"]) for i in listed] == [
        ("TB-1", {"Công suất (m3/h)": "2000"}), ("TB-3", {"Công suất (m3/h)": "1000"})]


def test_excel_shapefile_and_kml(actors: Actors, platform: Platform) -> None:
    lon, lat = TAN_PHUOC_1
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Tên", "Loại", "Vật nuôi", "Số con", "lat", "lon", "Mã xã"])
    ws.append(["Trại heo Tư Hùng", "livestock_farm", "Heo", 1200, lat, lon, actors.commune_a])
    ws.append(["Trại vịt", "livestock_farm", "Vịt", "nhiều", lat, lon, actors.commune_a])
    buf = io.BytesIO()
    wb.save(buf)
    r = upload(actors, "trang_trai.xlsx", buf.getvalue())
    body = assert_problem(r, 422)
    assert body["errors"][0]["loc"].startswith("rows/3")
    r = upload(actors, "trang_trai.xlsx", buf.getvalue(), only_valid=True)
    farm = actors.client.get(f"{PU}/{r.json()['ids'][0]}").json()
    assert (farm["kind"], farm["species"], farm["head_count"]) == ("livestock_farm", "pig", 1200)

    # A zipped Shapefile in VN-2000 / UTM 48N (metres): reprojected to WGS 84 on import.
    to_vn2000 = Transformer.from_crs("EPSG:4326", "EPSG:3405", always_xy=True)
    ring = rect(*TAN_PHUOC_1, 300, 200, dx_m=5000)["coordinates"][0]
    ring_vn = [list(to_vn2000.transform(x, y)) for x, y in ring]
    prj = CRS.from_epsg(3405).to_wkt(version="WKT1_ESRI")
    data = zipped_shapefile([(ring_vn, "Cánh đồng lớn Tân Phước", 6.0)], prj=prj, cpg="UTF-8")
    r = upload(actors, "canh_dong.zip", data, kind="field_block",
               **{"collection": "production_units"})
    assert r.status_code == 422  # no commune column: derived only from real boundaries
    r = actors.client.post("/api/v1/registry/boundaries/import", headers=actors.headers(
        "province"), data={"province_code": "82", "source": "Thử nghiệm"},
        files={"file": ("xa.geojson", json.dumps({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"ma_xa": actors.commune_a},
            "geometry": rect(lon, lat, 20000, 10000, dx_m=-5000, dy_m=-5000)}]}).encode())})
    assert r.status_code == 200, r.text
    r = upload(actors, "canh_dong.zip", data, kind="field_block")
    assert r.status_code == 200, r.text
    block = actors.client.get(f"{PU}/{r.json()['ids'][0]}").json()
    assert block["commune_code"] == actors.commune_a and block["name"] == "Cánh đồng lớn Tân Phước"
    assert block["area_ha"] == pytest.approx(6.0, rel=1e-3)

    kml = f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Ao cá tra Bảy Lợi</name>
<ExtendedData><Data name="Loại"><value>aquaculture</value></Data>
<Data name="Loài nuôi"><value>Cá tra</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
{" ".join(f"{x},{y},0" for x, y in rect(*TAN_PHUOC_1, 100, 100, dx_m=7000)["coordinates"][0])}
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"""
    r = upload(actors, "ao.kml", kml.encode())
    assert r.status_code == 200, r.text
    pond = actors.client.get(f"{PU}/{r.json()['ids'][0]}").json()
    assert (pond["kind"], pond["species"], pond["name"]) == ("aquaculture", "pangasius",
                                                             "Ao cá tra Bảy Lợi")


def test_import_refusals(actors: Actors) -> None:
    assert_problem(upload(actors, "a.geojson", b"{}", who=None), 401)
    body = assert_problem(upload(actors, "a.docx", b"PK..."), 422)
    assert body["reason"] == "unknown-type"
    assert_problem(upload(actors, "a.geojson", b"{not json"), 422)
    r = upload(actors, "a.geojson", planting_geojson(actors), collection="businesses")
    assert_problem(r, 422)
    # A commune officer importing into another commune: every row refused.
    r = upload(actors, "msvt.geojson", planting_geojson(actors), who="commune_b",
               kind="planting_area")
    body = assert_problem(r, 422)
    assert any("quyền" in e["message"] for e in body["errors"])


# --- exports -------------------------------------------------------------------------------


@pytest.fixture
def registered(actors: Actors) -> dict[str, Any]:
    h = actors.headers("commune_a")
    org_area = actors.client.post(PU, headers=h, json=planting_area(
        actors, 1, valid_to="2027-06-30", attributes={"location": "Ấp Mỹ Hưng"})).json()
    household = actors.client.post(PU, headers=h, json=planting_area(
        actors, 2, organisation_id=None, farmer_id=actors.farmer_a.id, crop="longan")).json()
    return {"org": org_area, "household": household}


def test_geojson_csv_and_excel_exports(actors: Actors, registered: dict[str, Any]) -> None:
    r = actors.client.get("/api/v1/registry/export/planting_areas.geojson")
    assert r.headers["content-type"].startswith("application/geo+json")
    assert 'attachment; filename="planting_areas-' in r.headers["content-disposition"]
    doc = r.json()
    assert [f["properties"]["code"] for f in doc["features"]] == ["VN-DTOR-0001", "VN-DTOR-0002"]
    assert "farmer_id" not in r.text
    r = actors.client.get("/api/v1/registry/export/planting_areas.csv", params={"crop": "longan"})
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["code"] for row in rows] == ["VN-DTOR-0002"]
    assert rows[0]["wkt"].startswith("POLYGON") and float(rows[0]["lat"]) > 10
    r = actors.client.get("/api/v1/registry/export/planting_areas.xlsx",
                          headers=actors.headers("commune_a"))
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = list(sheet.values)
    header = list(values[0])
    assert header[0] == "id" and "farmer_id" in header  # the officer may see the farmer
    assert_problem(actors.client.get("/api/v1/registry/export/planting_areas.pdf"), 422)


def test_plant_protection_list(actors: Actors, registered: dict[str, Any]) -> None:
    r = actors.client.get("/api/v1/registry/planting-area-codes.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = list(sheet.values)
    assert list(rows[0]) == ["STT", "Mã số vùng trồng", "Địa điểm", "Xã, phường", "Cây trồng",
                             "Giống", "Diện tích (ha)", "Tổ chức, cá nhân quản lý", "Vĩ độ",
                             "Kinh độ", "Thị trường", "Hiệu lực đến", "Trạng thái"]
    first, second = rows[1], rows[2]
    assert first[:5] == (1, "VN-DTOR-0001", "Ấp Mỹ Hưng", "Xã Tân Phước 1", "Xoài")
    assert first[6] == pytest.approx(1.5, rel=1e-3) and first[7] == "HTX Thử nghiệm A"
    assert 10.5 < first[8] < 10.6 and 106.2 < first[9] < 106.3
    assert first[11] == "30/06/2027" and first[12] == "Đang hiệu lực"
    assert second[4] == "Nhãn" and second[7] == "Hộ nông dân"  # anonymous: no name
    r = actors.client.get("/api/v1/registry/planting-area-codes.csv",
                          headers={**actors.headers("commune_a"), "Accept-Language": "en"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][1] == "Planting-area code" and rows[2][7] == "Nguyễn Văn Thử"
