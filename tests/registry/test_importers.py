"""Import of uploaded files: GeoJSON, KML/KMZ, zipped Shapefile, CSV, XLSX."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import openpyxl
import pytest
import shapefile
from pyproj import CRS, Transformer
from shapely.geometry import Point

from nongso.registry.geo import area_ha
from nongso.registry.importers import (
    ImportFileError,
    ImportResult,
    ImportTooLarge,
    import_file,
)

SQUARE = [[105.63, 10.46], [105.64, 10.46], [105.64, 10.47], [105.63, 10.47], [105.63, 10.46]]
BOWTIE = [[105.6, 10.4], [105.7, 10.5], [105.7, 10.4], [105.6, 10.5], [105.6, 10.4]]


def feature(geometry: Any, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def rows_of(result: ImportResult) -> list[int]:
    return [f.row for f in result.features]


def error_rows(result: ImportResult) -> list[int]:
    return [e.row for e in result.errors]


# -- GeoJSON ---------------------------------------------------------------------------------


def test_geojson_feature_collection() -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            feature({"type": "Polygon", "coordinates": [SQUARE]}, ten="Ruộng Ông Năm", ha=1.2),
            feature({"type": "Polygon", "coordinates": [BOWTIE]}, ten="Hình nơ"),
            feature({"type": "Point", "coordinates": [10.46, 105.63]}, ten="Đảo trục"),
            feature(None, ten="Không hình"),
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.6, 10.4]}},
            "not a feature",
        ],
    }
    result = import_file("thua_dat.geojson", json.dumps(doc, ensure_ascii=False).encode())
    assert result.format == "geojson"
    assert rows_of(result) == [1, 5]
    assert error_rows(result) == [2, 3, 4, 6]
    first = result.features[0]
    assert first.properties == {"ten": "Ruộng Ông Năm", "ha": 1.2}
    assert area_ha(first.geometry) == pytest.approx(121.0, rel=0.01)
    assert result.features[1].properties == {}
    bowtie, swapped, missing, _ = result.errors
    assert bowtie.field == "geometry"
    assert bowtie.message_vi.startswith("Đối tượng 2: ")
    assert "tự cắt" in bowtie.message_vi
    assert bowtie.message_en.startswith("Feature 2: ")
    assert "đổi chỗ" in swapped.message_vi and "swapped" in swapped.message_en
    assert "không có hình học" in missing.message_vi


def test_geojson_with_a_projected_crs_is_reprojected() -> None:
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:3405", always_xy=True)
    ring = [list(to_utm.transform(x, y)) for x, y in SQUARE]
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3405"}},
        "features": [feature({"type": "Polygon", "coordinates": [ring]})],
    }
    result = import_file("vn2000.json", json.dumps(doc).encode())
    assert not result.errors
    assert result.source_crs == "urn:ogc:def:crs:EPSG::3405"
    minx, miny, _, _ = result.features[0].geometry.bounds
    assert (minx, miny) == pytest.approx((105.63, 10.46), abs=1e-7)


@pytest.mark.parametrize(
    "data",
    [b"{not json", b'{"type": "Topology"}', b"[1, 2]", b'{"type": "FeatureCollection"}', b"\xff"],
)
def test_corrupt_geojson_is_rejected(data: bytes) -> None:
    with pytest.raises(ImportFileError) as info:
        import_file("x.geojson", data)
    assert info.value.reason == "corrupt"
    assert info.value.message_vi and info.value.message_en


# -- KML -------------------------------------------------------------------------------------

KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
  <Document>
    <name>Vùng nguyên liệu</name>
    <Folder>
      <Placemark>
        <name>Kho lúa Mỹ Trà</name>
        <description><![CDATA[<b>Kho</b> 500 tấn]]></description>
        <Point><coordinates>105.63,10.46,0</coordinates></Point>
      </Placemark>
      <Placemark>
        <name>Ruộng A</name>
        <ExtendedData>
          <Data name="cây trồng"><value>lúa</value></Data>
          <SchemaData schemaUrl="#s"><SimpleData name="ma_thua">T-01</SimpleData></SchemaData>
        </ExtendedData>
        <Polygon>
          <outerBoundaryIs><LinearRing><coordinates>
            105.63,10.46,0 105.64,10.46,0 105.64,10.47,0 105.63,10.47,0 105.63,10.46,0
          </coordinates></LinearRing></outerBoundaryIs>
        </Polygon>
      </Placemark>
      <Placemark>
        <name>Kênh và cống</name>
        <MultiGeometry>
          <LineString><coordinates>105.60,10.40 105.61,10.41</coordinates></LineString>
          <Point><coordinates>105.605, 10.405</coordinates></Point>
        </MultiGeometry>
      </Placemark>
      <Placemark>
        <name>Hỏng</name>
        <Point><coordinates>105,6;10,4</coordinates></Point>
      </Placemark>
      <Placemark><name>Không có hình</name></Placemark>
      <Placemark>
        <name>Hai thửa</name>
        <MultiGeometry>
          <Polygon><outerBoundaryIs><LinearRing><coordinates>
            105.60,10.40 105.61,10.40 105.61,10.41 105.60,10.40
          </coordinates></LinearRing></outerBoundaryIs></Polygon>
          <Polygon><outerBoundaryIs><LinearRing><coordinates>
            105.62,10.40 105.63,10.40 105.63,10.41 105.62,10.40
          </coordinates></LinearRing></outerBoundaryIs></Polygon>
        </MultiGeometry>
      </Placemark>
      <Placemark>
        <name>Hai hình</name>
        <Point><coordinates>105.6,10.4</coordinates></Point>
        <LineString><coordinates>105.6,10.4 105.7,10.5</coordinates></LineString>
      </Placemark>
      <Placemark>
        <name>Trục đảo</name>
        <Point><coordinates>10.46,105.63</coordinates></Point>
      </Placemark>
    </Folder>
  </Document>
</kml>
"""


def test_kml_placemarks() -> None:
    result = import_file("ban_do.kml", KML.encode())
    assert result.format == "kml"
    assert rows_of(result) == [1, 2, 3, 6]
    assert error_rows(result) == [4, 5, 7, 8]
    kho, ruong, kenh, hai_thua = result.features
    assert kho.geometry.geom_type == "Point" and not kho.geometry.has_z
    assert kho.properties == {"name": "Kho lúa Mỹ Trà", "description": "<b>Kho</b> 500 tấn"}
    assert ruong.geometry.geom_type == "Polygon"
    assert ruong.properties == {"name": "Ruộng A", "cây trồng": "lúa", "ma_thua": "T-01"}
    assert kenh.geometry.geom_type == "GeometryCollection"
    assert hai_thua.geometry.geom_type == "MultiPolygon"
    bad, empty, two, swapped = result.errors
    assert "MultiGeometry" in two.message_vi
    assert bad.message_vi.startswith("Placemark 4: ") and "tọa độ" in bad.message_vi
    assert "không có hình học" in empty.message_vi
    assert swapped.field == "geometry" and "đổi chỗ" in swapped.message_vi


def test_kmz_and_kml_without_namespace() -> None:
    plain = KML.replace(' xmlns="http://www.opengis.net/kml/2.2"', "")
    assert len(import_file("a.kml", plain.encode()).features) == 4
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("doc.kml", KML)
    result = import_file("a.KMZ", buffer.getvalue())
    assert result.format == "kmz"
    assert len(result.features) == 4


@pytest.mark.parametrize(
    "data",
    [
        b"<kml><Placemark>",
        b"<html><body/></html>",
        b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>',
    ],
)
def test_corrupt_kml_is_rejected(data: bytes) -> None:
    with pytest.raises(ImportFileError) as info:
        import_file("x.kml", data)
    assert info.value.reason == "corrupt"


# -- Shapefile -------------------------------------------------------------------------------


def zipped_shapefile(
    polygons: list[tuple[list[list[float]] | None, str, float]],
    *,
    encoding: str = "utf-8",
    prj: str | None = None,
    cpg: str | None = None,
    stem: str = "thua_dat",
) -> bytes:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding
    )
    writer.field("ten", "C", size=60)
    writer.field("dien_tich", "N", size=12, decimal=2)
    for ring, name, declared in polygons:
        if ring is None:
            writer.null()
        else:
            writer.poly([ring])
        writer.record(name, declared)
    writer.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(f"{stem}/{stem}.shp", shp.getvalue())
        zf.writestr(f"{stem}/{stem}.shx", shx.getvalue())
        zf.writestr(f"{stem}/{stem}.dbf", dbf.getvalue())
        if prj is not None:
            zf.writestr(f"{stem}/{stem}.prj", prj)
        if cpg is not None:
            zf.writestr(f"{stem}/{stem}.cpg", cpg)
    return buffer.getvalue()


WGS84_PRJ = CRS.from_epsg(4326).to_wkt(version="WKT1_ESRI")


def test_zipped_shapefile_in_wgs84() -> None:
    data = zipped_shapefile(
        [
            (SQUARE, "Ruộng Ông Năm", 1.2),
            (BOWTIE, "Hình nơ", 0.5),
            (None, "Trống", 0.0),
            ([[y, x] for x, y in SQUARE], "Đảo trục", 1.0),
        ],
        prj=WGS84_PRJ,
        cpg="UTF-8",
    )
    result = import_file("thua_dat.zip", data)
    assert result.format == "shapefile"
    assert result.source_crs is None
    assert rows_of(result) == [1]
    assert error_rows(result) == [2, 3, 4]
    assert result.features[0].properties == {"ten": "Ruộng Ông Năm", "dien_tich": 1.2}
    assert result.errors[0].message_vi.startswith("Bản ghi 2: ")
    assert "tự cắt" in result.errors[0].message_vi
    assert "không có hình học" in result.errors[1].message_vi
    assert "đổi chỗ" in result.errors[2].message_vi


def test_zipped_shapefile_in_vn2000_is_reprojected() -> None:
    to_vn2000 = Transformer.from_crs("EPSG:4326", "EPSG:3405", always_xy=True)
    ring = [list(to_vn2000.transform(x, y)) for x, y in SQUARE]
    prj = CRS.from_epsg(3405).to_wkt(version="WKT1_ESRI")
    result = import_file("vn2000.zip", zipped_shapefile([(ring, "Thửa 1", 1.0)], prj=prj))
    assert not result.errors
    assert result.source_crs == "VN-2000 / UTM zone 48N"
    geom = result.features[0].geometry
    assert geom.bounds == pytest.approx((105.63, 10.46, 105.64, 10.47), abs=1e-7)


def test_zipped_shapefile_without_prj_in_metres_is_explained() -> None:
    to_vn2000 = Transformer.from_crs("EPSG:4326", "EPSG:3405", always_xy=True)
    ring = [list(to_vn2000.transform(x, y)) for x, y in SQUARE]
    result = import_file("no_prj.zip", zipped_shapefile([(ring, "Thửa 1", 1.0)]))
    assert not result.features
    assert "mét" in result.errors[0].message_vi


def test_zipped_shapefile_attribute_encodings() -> None:
    # Windows-1258 spells Vietnamese with combining tone marks: the import normalises to NFC.
    cp1258_name = "Ruô\u0323ng Lúa Đông Xuân"
    for cpg in ("1258", None):
        data = zipped_shapefile([(SQUARE, cp1258_name, 1.0)], encoding="cp1258", cpg=cpg)
        result = import_file("cp1258.zip", data)
        assert result.features[0].properties["ten"] == "Ruộng Lúa Đông Xuân"
    data = zipped_shapefile([(SQUARE, "Ruộng", 1.0)], cpg="65001")
    assert import_file("utf8.zip", data).features[0].properties["ten"] == "Ruộng"
    with pytest.raises(ImportFileError) as info:
        import_file("bad.zip", zipped_shapefile([(SQUARE, "x", 1.0)], cpg="klingon"))
    assert info.value.reason == "bad-encoding"


def test_broken_shapefile_zips_are_rejected() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(ImportFileError) as info:
        import_file("empty.zip", buffer.getvalue())
    assert info.value.reason == "corrupt"
    with pytest.raises(ImportFileError) as info:
        import_file("garbage.zip", b"PK\x03\x04 not really a zip")
    assert info.value.reason == "corrupt"
    with pytest.raises(ImportFileError) as info:
        import_file("bad_prj.zip", zipped_shapefile([(SQUARE, "x", 1.0)], prj="GEOGCS[nonsense"))
    assert info.value.reason == "bad-crs"


# -- CSV -------------------------------------------------------------------------------------


def test_csv_with_decimal_commas_and_a_broken_row() -> None:
    text = (
        "Tên;Vĩ độ;Kinh độ;Cây trồng\n"  # line 1
        "Ruộng Ông Năm;10,46;105,63;lúa\n"  # line 2
        "Vườn xoài;10,47;abc;xoài\n"  # line 3: not a number
        "\n"  # line 4: blank, skipped
        "Ao cá;10.45;105.62;\n"  # line 5: points are fine too
        "Trục đảo;105,63;10,46;lúa\n"  # line 6: swapped
        "Thiếu;;105,6;lúa\n"  # line 7: empty latitude
    )
    result = import_file("diem.csv", text.encode("utf-8-sig"))
    assert result.format == "csv"
    assert rows_of(result) == [2, 5]
    assert error_rows(result) == [3, 6, 7]
    first = result.features[0]
    assert first.geometry.equals(Point(105.63, 10.46))
    assert first.properties == {"Tên": "Ruộng Ông Năm", "Cây trồng": "lúa"}
    assert result.features[1].properties["Cây trồng"] is None
    not_number, swapped, empty = result.errors
    assert not_number.field == "Kinh độ"
    assert not_number.message_vi.startswith("Dòng 3, cột kinh độ: giá trị không phải số")
    assert not_number.message_en.startswith("Row 3, column longitude (Kinh độ): ")
    assert "đổi chỗ" in swapped.message_vi
    assert empty.field == "Vĩ độ" and "ô trống" in empty.message_vi


def test_csv_english_headers_quotes_and_wkt() -> None:
    text = (
        'name,lat,lng,note\n"Kho, số 1","10,46","105,63",ok\n'
        '"Multi\nline",10.4,105.6,"a\nb"\n'  # quoted fields spanning lines 3–5
        "bad,10.4,105.6,x,extra\n"  # line 6: a value outside the header's columns
    )
    result = import_file("points.csv", text.encode())
    assert rows_of(result) == [2, 3]
    assert result.features[0].properties == {"name": "Kho, số 1", "note": "ok"}
    assert result.features[1].properties == {"name": "Multi\nline", "note": "a\nb"}
    assert error_rows(result) == [6]
    assert result.errors[0].field is None

    wkt = (
        "ma;wkt\n"
        "T1;POLYGON ((105.63 10.46, 105.64 10.46, 105.64 10.47, 105.63 10.47, 105.63 10.46))\n"
        "T2;POLYGON ((105.6 10.4, 105.7 10.5, 105.7 10.4, 105.6 10.5, 105.6 10.4))\n"
        'T3;"{""type"": ""Point"", ""coordinates"": [105.6, 10.4]}"\n'
        "T4;POLYGON ((105.6 10.4\n"
    )
    result = import_file("thua.csv", wkt.encode())
    assert rows_of(result) == [2, 4]
    assert error_rows(result) == [3, 5]
    assert result.errors[0].field == "wkt"
    assert "tự cắt" in result.errors[0].message_vi


def test_csv_in_cp1258_and_tab_separated() -> None:
    text = "Tên\tlat\tlon\nRuô\u0323ng Năm\t10.46\t105.63\n"  # cp1258: combining tone mark
    result = import_file("cp1258.csv", text.encode("cp1258"))
    assert result.features[0].properties == {"Tên": "Ruộng Năm"}


def test_csv_without_coordinate_columns_is_rejected() -> None:
    with pytest.raises(ImportFileError) as info:
        import_file("x.csv", b"name,address\na,b\n")
    assert info.value.reason == "no-coordinates"
    assert "vĩ độ" in info.value.message_vi
    with pytest.raises(ImportFileError) as info:
        import_file("x.csv", b"lat,lon,lat\n1,2,3\n")
    assert info.value.reason == "bad-header"


# -- XLSX ------------------------------------------------------------------------------------


def test_xlsx_with_lat_lon() -> None:
    workbook = openpyxl.Workbook()
    guide = workbook.active
    assert guide is not None
    guide.title = "Hướng dẫn"
    guide.append(["Điền tọa độ ở trang sau"])
    sheet = workbook.create_sheet("Điểm")
    sheet.append(["Mã", "Latitude", "Longitude", "Ngày khảo sát"])  # row 1
    sheet.append(["K1", 10.46, 105.63, dt.date(2025, 3, 1)])  # row 2
    sheet.append(["K2", "10,47", "105,64", None])  # row 3: decimal comma as text
    sheet.append([])  # row 4: empty
    sheet.append(["K3", "mười", 105.6, None])  # row 5: not a number
    sheet.append(["K4", 48.85, 2.35, None])  # row 6: outside Vietnam
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_file("khao_sat.xlsx", buffer.getvalue())
    assert result.format == "xlsx"
    assert rows_of(result) == [2, 3]
    assert error_rows(result) == [5, 6]
    assert result.features[0].properties == {"Mã": "K1", "Ngày khảo sát": "2025-03-01T00:00:00"}
    assert result.features[1].geometry.equals(Point(105.64, 10.47))
    assert result.errors[0].message_vi.startswith("Dòng 5, cột vĩ độ (Latitude): ")
    assert "ngoài phạm vi Việt Nam" in result.errors[1].message_vi


def test_xlsx_without_coordinates_or_corrupt() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["a", "b"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ImportFileError) as info:
        import_file("x.xlsx", buffer.getvalue())
    assert info.value.reason == "no-coordinates"
    with pytest.raises(ImportFileError) as info:
        import_file("x.xlsx", b"definitely not a workbook")
    assert info.value.reason == "corrupt"


# -- limits and types ------------------------------------------------------------------------


def test_unknown_and_partial_types_are_rejected() -> None:
    for name in ("a.docx", "noextension", "a.shp", "a.xls"):
        with pytest.raises(ImportFileError) as info:
            import_file(name, b"data")
        assert info.value.reason == "unknown-type"
        assert info.value.status == 422
    with pytest.raises(ImportFileError) as info:
        import_file("a.shp", b"data")
    assert ".zip" in info.value.message_vi
    with pytest.raises(ImportFileError) as info:
        import_file("a.csv", b"  \n")
    assert info.value.reason == "empty"


def test_limits() -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [feature({"type": "Point", "coordinates": [105.6, 10.4]})] * 3,
    }
    data = json.dumps(doc).encode()
    assert len(import_file("a.geojson", data, max_rows=3).features) == 3
    with pytest.raises(ImportTooLarge) as info:
        import_file("a.geojson", data, max_rows=2)
    assert info.value.reason == "too-many-rows"
    assert info.value.status == 413
    assert isinstance(info.value, ValueError)
    with pytest.raises(ImportTooLarge) as info:
        import_file("a.geojson", data, max_bytes=10)
    assert info.value.reason == "too-many-bytes"
    csv_data = b"lat,lon\n" + b"10.4,105.6\n" * 5
    with pytest.raises(ImportTooLarge):
        import_file("a.csv", csv_data, max_rows=4)
    shp = zipped_shapefile([(SQUARE, "a", 1.0)] * 3)
    with pytest.raises(ImportTooLarge):
        import_file("a.zip", shp, max_rows=2)
