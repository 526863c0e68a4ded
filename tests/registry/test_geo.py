"""Geometry parsing, validation and measures (pure functions, no database)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point, Polygon, box

from nongso.core.errors import ValidationFailed
from nongso.registry.geo import (
    VN2000_UTM48N,
    BBox,
    GeoError,
    area_ha,
    bbox,
    centroid,
    compare_declared_area,
    geometry_from_wkb,
    geometry_from_wkt,
    geometry_to_wkb,
    geometry_to_wkt,
    length_m,
    parse_geojson_geometry,
    to_geojson,
    validate_geometry,
)

GEOD = Geod(ellps="WGS84")
CAO_LANH = (105.63, 10.46)
EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def square_ha(lon: float, lat: float, side_m: float = 100.0) -> dict[str, Any]:
    """A square with geodesic sides of ``side_m`` metres, south-west corner at (lon, lat)."""
    lon1, lat1, _ = GEOD.fwd(lon, lat, 90, side_m)
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, 0, side_m)
    lon3, lat3, _ = GEOD.fwd(lon, lat, 0, side_m)
    ring = [[lon, lat], [lon1, lat1], [lon2, lat2], [lon3, lat3], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def rectangle(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def reason_of(obj: Any) -> str:
    with pytest.raises(GeoError) as info:
        parse_geojson_geometry(obj)
    return info.value.reason


# -- areas -----------------------------------------------------------------------------------


def test_one_hectare_square_near_cao_lanh() -> None:
    geom = parse_geojson_geometry(square_ha(*CAO_LANH))
    assert area_ha(geom) == pytest.approx(1.0, rel=0.005)
    # VN-2000 / UTM 48N gives the same to < 0.1 %.
    assert area_ha(geom, crs=VN2000_UTM48N) == pytest.approx(area_ha(geom), rel=0.001)
    assert length_m(geom) == pytest.approx(400.0, rel=0.005)


def test_measures_of_points_and_lines() -> None:
    point = parse_geojson_geometry({"type": "Point", "coordinates": list(CAO_LANH)})
    assert area_ha(point) == 0.0
    assert length_m(point) == 0.0
    lon1, lat1, _ = GEOD.fwd(*CAO_LANH, 45, 1000)
    line = parse_geojson_geometry(
        {"type": "LineString", "coordinates": [list(CAO_LANH), [lon1, lat1]]}
    )
    assert length_m(line) == pytest.approx(1000.0, rel=0.005)


def test_area_needs_a_metric_crs() -> None:
    geom = parse_geojson_geometry(square_ha(*CAO_LANH))
    with pytest.raises(GeoError) as info:
        area_ha(geom, crs="EPSG:4326")
    assert info.value.reason == "bad-crs"
    with pytest.raises(GeoError):
        area_ha(geom, crs="not a crs")


_SPHERICAL_TOLERANCE = 0.01  # ellipsoid vs sphere ≈ 0.4 % at 10° N, plus UTM scale ≤ 0.1 %


@settings(max_examples=60, deadline=None)
@given(
    lon=st.floats(104.5, 106.7),
    lat=st.floats(8.6, 10.9),
    width=st.floats(0.0005, 0.05),
    height=st.floats(0.0005, 0.05),
)
def test_rectangles_in_the_delta_match_the_spherical_area(
    lon: float, lat: float, width: float, height: float
) -> None:
    geom = parse_geojson_geometry(rectangle(lon, lat, lon + width, lat + height))
    spherical_m2 = (
        EARTH_RADIUS_M**2
        * math.radians(width)
        * (math.sin(math.radians(lat + height)) - math.sin(math.radians(lat)))
    )
    assert area_ha(geom) == pytest.approx(spherical_m2 / 10_000, rel=_SPHERICAL_TOLERANCE)
    # And the (exact) ellipsoidal area to better than 0.15 % (UTM scale error in the delta).
    geodesic_m2 = abs(GEOD.geometry_area_perimeter(geom)[0])
    assert area_ha(geom) == pytest.approx(geodesic_m2 / 10_000, rel=0.0015)


# -- validation ------------------------------------------------------------------------------


def test_valid_geometries_are_accepted() -> None:
    assert parse_geojson_geometry({"type": "Point", "coordinates": [105.63, 10.46, 2.0]}).has_z
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            rectangle(105.60, 10.40, 105.61, 10.41)["coordinates"],
            rectangle(105.62, 10.40, 105.63, 10.41)["coordinates"],
        ],
    }
    assert parse_geojson_geometry(multi).geom_type == "MultiPolygon"
    with_hole = {
        "type": "Polygon",
        "coordinates": [
            rectangle(105.60, 10.40, 105.64, 10.44)["coordinates"][0],
            rectangle(105.61, 10.41, 105.62, 10.42)["coordinates"][0],
        ],
    }
    assert parse_geojson_geometry(with_hole).geom_type == "Polygon"
    collection = {
        "type": "GeometryCollection",
        "geometries": [{"type": "Point", "coordinates": [105.6, 10.4]}, multi],
    }
    assert parse_geojson_geometry(collection).geom_type == "GeometryCollection"
    # JSON text is accepted too.
    assert parse_geojson_geometry('{"type": "Point", "coordinates": [105.6, 10.4]}').equals(
        Point(105.6, 10.4)
    )


def test_islands_are_inside_vietnam() -> None:
    for lon, lat in [(103.96, 10.22), (111.92, 8.64), (112.33, 16.53), (106.61, 8.68)]:
        parse_geojson_geometry({"type": "Point", "coordinates": [lon, lat]})


def test_self_intersecting_bowtie_is_rejected() -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[105.6, 10.4], [105.7, 10.5], [105.7, 10.4], [105.6, 10.5], [105.6, 10.4]]
        ],
    }
    with pytest.raises(GeoError) as info:
        parse_geojson_geometry(bowtie)
    err = info.value
    assert err.reason == "invalid-topology"
    assert "tự cắt" in err.message_vi
    assert "Self-intersection" in err.message_en
    assert err.coordinate == pytest.approx((105.65, 10.45))
    assert isinstance(err, ValueError)
    assert isinstance(err, ValidationFailed)
    assert err.status == 422


def test_swapped_coordinates_are_detected() -> None:
    with pytest.raises(GeoError) as info:
        parse_geojson_geometry({"type": "Point", "coordinates": [10.46, 105.63]})
    err = info.value
    assert err.reason == "swapped-coordinates"
    assert "[kinh độ, vĩ độ]" in err.message_vi
    assert "đổi chỗ" in err.message_vi
    assert "(lon, lat)" in err.message_en
    assert "swapped" in err.message_en
    assert "[105.63, 10.46]" in err.message_en  # the suggested correction
    swapped_polygon = rectangle(10.40, 105.60, 10.41, 105.61)
    assert reason_of(swapped_polygon) == "swapped-coordinates"


def test_outside_vietnam_is_rejected() -> None:
    assert reason_of({"type": "Point", "coordinates": [100.50, 13.75]}) == "outside-vietnam"
    assert reason_of({"type": "Point", "coordinates": [2.35, 48.85]}) == "outside-vietnam"
    # One vertex out is enough.
    assert reason_of(rectangle(105.6, 10.4, 101.0, 10.5)) == "outside-vietnam"
    # Projected metres (e.g. VN-2000 / UTM) instead of degrees.
    assert reason_of({"type": "Point", "coordinates": [571000, 1156000]}) == (
        "projected-coordinates"
    )
    # The extent check can be switched off, not the degree check.
    parse_geojson_geometry({"type": "Point", "coordinates": [2.35, 48.85]}, check_extent=False)


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ({"type": "Circle", "coordinates": [105.6, 10.4]}, "unknown-type"),
        ({"coordinates": [105.6, 10.4]}, "unknown-type"),
        ({"type": "Feature", "geometry": None}, "not-geometry"),
        ([105.6, 10.4], "not-geometry"),
        ("{not json", "not-geometry"),
        ({"type": "Point", "coordinates": [105.6]}, "bad-coordinates"),
        ({"type": "Point", "coordinates": ["105.6", 10.4]}, "bad-coordinates"),
        ({"type": "Point", "coordinates": [True, 10.4]}, "bad-coordinates"),
        ({"type": "Point", "coordinates": [float("nan"), 10.4]}, "bad-coordinates"),
        ({"type": "LineString", "coordinates": [[105.6, 10.4]]}, "too-few-points"),
        (
            {"type": "Polygon", "coordinates": [[[105.6, 10.4], [105.7, 10.4], [105.6, 10.4]]]},
            "too-few-points",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[105.6, 10.4], [105.7, 10.4], [105.7, 10.5], [105.6, 10.5]]],
            },
            "ring-not-closed",
        ),
        ({"type": "MultiPolygon", "coordinates": []}, "empty"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "GeometryCollection", "geometries": "x"}, "bad-coordinates"),
    ],
)
def test_malformed_geojson_is_rejected(obj: Any, reason: str) -> None:
    assert reason_of(obj) == reason


def test_unclosed_ring_message_names_the_ring() -> None:
    ring = [[105.6, 10.4], [105.7, 10.4], [105.7, 10.5], [105.6, 10.5]]
    with pytest.raises(GeoError) as info:
        parse_geojson_geometry({"type": "Polygon", "coordinates": [ring]})
    assert info.value.path == "coordinates[0]"
    assert "không khép kín" in info.value.message_vi
    assert "not closed" in info.value.message_en


def test_too_many_vertices() -> None:
    ring = [[105.6 + i * 1e-5, 10.4] for i in range(50)] + [[105.6, 10.41], [105.6, 10.4]]
    with pytest.raises(GeoError) as info:
        parse_geojson_geometry({"type": "Polygon", "coordinates": [ring]}, max_vertices=20)
    assert info.value.reason == "too-many-vertices"


# -- declared area ---------------------------------------------------------------------------


def test_compare_declared_area() -> None:
    assert compare_declared_area(1.0, 1.05) is None
    assert compare_declared_area(1.0, 1.10) is None  # the tolerance is inclusive
    assert compare_declared_area(1.0, None) is None
    assert compare_declared_area(0.0, 2.0) is None  # a point has no area to compare
    flag = compare_declared_area(1.0, 1.3)
    assert flag is not None
    assert flag.code == "declared_area_mismatch"
    assert flag.relative_difference == pytest.approx(0.3)
    assert "1,30 ha" in flag.message_vi and "lớn hơn" in flag.message_vi
    assert "larger" in flag.message_en
    smaller = compare_declared_area(2.0, 1.5, tolerance=0.2)
    assert smaller is not None and smaller.relative_difference == pytest.approx(-0.25)
    assert "nhỏ hơn" in smaller.message_vi
    assert compare_declared_area(2.0, 1.5, tolerance=0.3) is None
    with pytest.raises(GeoError):
        compare_declared_area(1.0, -1.0)
    with pytest.raises(GeoError):
        compare_declared_area(1.0, 1.0, tolerance=-0.1)


# -- conversions -----------------------------------------------------------------------------


def test_wkt_wkb_geojson_round_trips() -> None:
    geom = parse_geojson_geometry(square_ha(*CAO_LANH))
    assert geometry_from_wkt(geometry_to_wkt(geom)).equals_exact(geom, 0)
    assert geometry_from_wkb(geometry_to_wkb(geom)).equals_exact(geom, 0)
    assert parse_geojson_geometry(to_geojson(geom)).equals_exact(geom, 0)
    assert geometry_to_wkt(box(105.6, 10.4, 105.7, 10.5), precision=1).startswith("POLYGON ((")
    rounded = to_geojson(Point(105.123456789, 10.987654321), precision=6)
    assert rounded == {"type": "Point", "coordinates": [105.123457, 10.987654]}


def test_wkt_and_wkb_are_validated() -> None:
    with pytest.raises(GeoError) as info:
        geometry_from_wkt("POLYGON ((105.6 10.4, 105.7")
    assert info.value.reason == "bad-wkt"
    with pytest.raises(GeoError) as info:
        geometry_from_wkt("POINT (10.46 105.63)")
    assert info.value.reason == "swapped-coordinates"
    bowtie = "POLYGON ((105.6 10.4, 105.7 10.5, 105.7 10.4, 105.6 10.5, 105.6 10.4))"
    with pytest.raises(GeoError):
        geometry_from_wkt(bowtie)
    assert not geometry_from_wkt(bowtie, validate=False).is_valid
    with pytest.raises(GeoError) as info:
        geometry_from_wkb(b"\x01\x02garbage")
    assert info.value.reason == "bad-wkb"


def test_centroid_and_bbox() -> None:
    geom = parse_geojson_geometry(rectangle(105.60, 10.40, 105.62, 10.44))
    c = centroid(geom)
    assert c.x == pytest.approx(105.61, abs=1e-6)
    assert c.y == pytest.approx(10.42, abs=1e-4)
    assert bbox(geom) == BBox(105.60, 10.40, 105.62, 10.44)
    assert bbox(geom).min_lon == 105.60


def test_validate_geometry_on_shapely_objects() -> None:
    polygon = Polygon([(105.6, 10.4), (105.7, 10.4), (105.7, 10.5), (105.6, 10.4)])
    assert validate_geometry(polygon) is polygon
    with pytest.raises(GeoError):
        validate_geometry(Polygon())
