"""The registry's rules as pure functions."""

from __future__ import annotations

import datetime as dt

import pytest
from shapely.geometry import LineString, Point

from nongso.core.errors import ValidationFailed
from nongso.registry import rules
from nongso.registry.messages import CROP_LABELS
from tests.registry.shapes import TAN_PHUOC_1, rect


def polygon(width_m: float, height_m: float, dx_m: float = 0.0) -> object:
    from shapely.geometry import shape

    return shape(rect(*TAN_PHUOC_1, width_m, height_m, dx_m=dx_m))


def test_geometry_kinds() -> None:
    rules.check_geometry_kind("sluice", Point(106.2, 10.5), "Cống", "sluice")
    rules.check_geometry_kind("dyke_segment", LineString([(106.2, 10.5), (106.3, 10.5)]), "", "")
    with pytest.raises(ValidationFailed) as err:
        rules.check_geometry_kind("planting_area", Point(106.2, 10.5), "Mã số vùng trồng",
                                  "planting-area code")
    assert "đa giác" in err.value.message_vi and "polygon" in err.value.message_en
    rules.check_geometry_kind("livestock_farm", Point(106.2, 10.5), "", "")  # point or area


def test_area_on_vn2000_utm() -> None:
    assert rules.area_ha(polygon(100, 100)) == pytest.approx(1.0, rel=1e-3)  # type: ignore[arg-type]
    assert rules.area_ha(Point(106, 10)) is None
    assert rules.length_m(LineString([(106.0, 10.5), (106.01, 10.5)])) == pytest.approx(
        1094, rel=0.01)


def test_planting_area_minimum() -> None:
    defaults = rules.default_area_rules()
    assert defaults["durian"].min_area_ha == 1.0 and defaults["rice"].min_area_ha == 0.1
    assert "export planting-area codes" in defaults["mango"].source
    assert all("shared/reference" not in r.source for r in defaults.values())
    rules.check_planting_area("durian", 1.0, defaults, CROP_LABELS)
    rules.check_planting_area("rice", 0.1, defaults, CROP_LABELS)
    rules.check_planting_area("cacao", 0.01, defaults, CROP_LABELS)  # no rule, no minimum
    with pytest.raises(ValidationFailed) as err:
        rules.check_planting_area("durian", 0.99, defaults, CROP_LABELS)
    assert "Sầu riêng".lower() in err.value.message_vi.lower() and "0,99 ha" in err.value.message_vi
    with pytest.raises(ValidationFailed):
        rules.check_planting_area(None, 3.0, defaults, CROP_LABELS)


def test_overlaps_ignore_digitising_noise() -> None:
    a = polygon(100, 100)
    touching = rules.Neighbour(2, "B", polygon(100, 100, dx_m=100))  # shares an edge only
    sliver = rules.Neighbour(3, "C", polygon(100, 100, dx_m=99.95))  # 5 m² in common
    real = rules.Neighbour(4, "D", polygon(100, 100, dx_m=50))
    found = rules.overlaps(a, [touching, sliver, real])  # type: ignore[arg-type]
    assert [(n.id, round(m2)) for n, m2 in found] == [(4, 5000)]
    flag = rules.overlap_flag(4, "D", 5000)
    assert flag["code"] == "overlap" and "0,50 ha" in flag["message_vi"]


def test_flags_and_statuses() -> None:
    today = dt.date(2026, 6, 1)
    assert rules.effective_status("active", dt.date(2026, 5, 31), today) == "expired"
    assert rules.effective_status("active", dt.date(2026, 6, 1), today) == "active"
    assert rules.effective_status("revoked", dt.date(2020, 1, 1), today) == "revoked"
    assert rules.licence_status("12/GCN", dt.date(2026, 1, 1), today) == "expired"
    assert rules.licence_status("12/GCN", None, today) == "valid"
    assert rules.licence_status(None, None, today) is None
    assert rules.declared_area_flag(1.0, 1.1) is None
    assert rules.declared_area_flag(1.0, 1.2)["code"] == "declared_area_mismatch"  # type: ignore[index]
    assert rules.declared_area_flag(None, 1.2) is None
    kept = rules.replace_flags([{"code": "overlap", "other_id": 1, "message_vi": "",
                                 "message_en": ""}, {"code": "x", "message_vi": "",
                                                     "message_en": ""}],
                               {"overlap"}, [])
    assert [f["code"] for f in kept] == ["x"]
    assert rules.commune_flag("28321", "28321", {}) is None
    assert rules.commune_flag("28321", None, {}) is None
    assert rules.commune_flag("28321", "28327", {"28327": "Xã Tân Phước 2"})["derived"] == "28327"  # type: ignore[index]
    with pytest.raises(ValidationFailed):
        rules.check_validity(dt.date(2026, 1, 2), dt.date(2026, 1, 1))
    for good in ("VN-DTOR-0001", "TV-TANCHAU", "A1/2"):
        rules.check_code(good, required=True, label_vi="", label_en="")
    for bad in ("vn-1", "AB", "Mã-1", "X" * 51):
        with pytest.raises(ValidationFailed):
            rules.check_code(bad, required=True, label_vi="", label_en="")
