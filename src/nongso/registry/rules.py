"""Business rules of the registry (pure: no database, no I/O except reading shipped data).

* which geometry types each kind of feature accepts;
* areas in hectares on VN-2000 / UTM zone 48N and the declared-area check (> 10 % flagged);
* the administrative unit derived from the geometry vs the declared one (a contradiction is
  flagged);
* planting-area codes: minimum size per crop (data/planting_area_rules.csv, overridable),
  overlapping code areas flagged, expiry;
* input dealers' licences: expired or not.

A *flag* is a data-quality warning kept with the record (``{"code", "message_vi",
"message_en", ...}``); an *error* (:class:`~nongso.core.errors.ValidationFailed`) refuses it.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Final

from shapely.geometry.base import BaseGeometry

from nongso.core.errors import FieldError, ValidationFailed
from nongso.registry import geo

AREA_CRS: Final = geo.VN2000_UTM48N
"""Areas and lengths of the registry: VN-2000 / UTM zone 48N (EPSG:3405)."""

AREA_TOLERANCE: Final = 0.10
"""Declared and mapped areas differing by more than this (relative) are flagged."""

MIN_OVERLAP_M2: Final = 10.0
"""Two planting areas overlap when they share more than this (digitising noise is ignored)."""

POLYGONAL = frozenset({"Polygon", "MultiPolygon"})
PUNCTUAL = frozenset({"Point", "MultiPoint"})
LINEAR = frozenset({"LineString", "MultiLineString"})

GEOMETRY_TYPES_BY_KIND: Final[dict[str, frozenset[str]]] = {
    # production units
    "field_block": POLYGONAL,
    "dyke_ring": POLYGONAL,
    "plot": POLYGONAL,
    "planting_area": POLYGONAL,
    "orchard": POLYGONAL,
    "livestock_farm": POLYGONAL | PUNCTUAL,
    "aquaculture": POLYGONAL,
    "raw_material_area": POLYGONAL,
    # infrastructure
    "pumping_station": PUNCTUAL,
    "sluice": PUNCTUAL,
    "monitoring_station": PUNCTUAL,
    "dyke_segment": LINEAR,
    # soil map units
    "soil_unit": POLYGONAL,
}

_GEOMETRY_NAMES_VI: Final = {
    "Polygon": "đa giác", "MultiPolygon": "đa giác", "Point": "điểm", "MultiPoint": "điểm",
    "LineString": "đường", "MultiLineString": "đường",
}

CODE_PATTERN: Final = re.compile(r"^[A-Z0-9][A-Z0-9\-./_]{2,49}$")


def check_geometry_kind(kind: str, geometry: BaseGeometry, label_vi: str, label_en: str) -> None:
    """Refuse a geometry type the kind does not take (a sluice is a point, a field an area)."""
    allowed = GEOMETRY_TYPES_BY_KIND.get(kind)
    if allowed is None or geometry.geom_type in allowed:
        return
    names_vi = sorted({_GEOMETRY_NAMES_VI.get(t, t) for t in allowed})
    names_en = sorted({t.replace("Multi", "").lower() for t in allowed})
    got_vi = _GEOMETRY_NAMES_VI.get(geometry.geom_type, geometry.geom_type)
    raise ValidationFailed(
        f"{label_vi} phải có hình học dạng {' hoặc '.join(names_vi)}, không phải {got_vi} "
        f"({geometry.geom_type}).",
        f"A {label_en} must have a {' or '.join(names_en)} geometry, not a "
        f"{geometry.geom_type}.",
        [FieldError("geometry", f"Cần {' hoặc '.join(names_vi)}",
                    f"Expected {' or '.join(names_en)}")],
    )


def area_ha(geometry: BaseGeometry) -> float | None:
    """Area in ha on VN-2000 / UTM 48N; None for points and lines."""
    if geometry.geom_type not in POLYGONAL:
        return None
    return round(geo.area_ha(geometry, crs=AREA_CRS), 4)


def length_m(geometry: BaseGeometry) -> float | None:
    if geometry.geom_type not in LINEAR:
        return None
    return round(geo.length_m(geometry, crs=AREA_CRS), 1)


def flag(code: str, message_vi: str, message_en: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message_vi": message_vi, "message_en": message_en, **extra}


def declared_area_flag(
    computed_ha: float | None, declared_ha: float | None
) -> dict[str, Any] | None:
    if computed_ha is None or declared_ha is None:
        return None
    found = geo.compare_declared_area(computed_ha, declared_ha, AREA_TOLERANCE)
    if found is None:
        return None
    return flag(found.code, found.message_vi, found.message_en,
                computed_ha=round(found.computed_ha, 4), declared_ha=found.declared_ha,
                relative_difference=round(found.relative_difference, 4))


def commune_flag(
    declared: str | None, derived: str | None, names: Mapping[str, str]
) -> dict[str, Any] | None:
    """A declared commune that contradicts the one the geometry lies in."""
    if declared is None or derived is None or declared == derived:
        return None
    d_name = names.get(declared, declared)
    g_name = names.get(derived, derived)
    return flag(
        "commune_mismatch",
        f"Đơn vị hành chính kê khai ({d_name}, {declared}) khác với đơn vị chứa hình học "
        f"({g_name}, {derived}); bản ghi được xếp vào {g_name}.",
        f"The declared administrative unit ({d_name}, {declared}) differs from the unit the "
        f"geometry lies in ({g_name}, {derived}); the record is filed under {g_name}.",
        declared=declared, derived=derived,
    )


# --- planting-area codes ---------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRule:
    crop: str
    crop_group: str
    min_area_ha: float
    source: str


@lru_cache(maxsize=1)
def default_area_rules() -> dict[str, AreaRule]:
    """The shipped minimum sizes (data/planting_area_rules.csv)."""
    path = resources.files("nongso.registry").joinpath("data", "planting_area_rules.csv")
    with path.open(encoding="utf-8") as f:
        return {
            r["crop"]: AreaRule(r["crop"], r["crop_group"], float(r["min_area_ha"]), r["source"])
            for r in csv.DictReader(f)
        }


def check_code(code: str | None, *, required: bool, label_vi: str, label_en: str) -> None:
    if code is None:
        if required:
            raise ValidationFailed(
                f"{label_vi} cần có mã.", f"A {label_en} needs a code.",
                [FieldError("code", "Thiếu mã", "Code required")],
            )
        return
    if not CODE_PATTERN.match(code):
        raise ValidationFailed(
            f"Mã «{code}» không hợp lệ: chỉ dùng chữ in hoa không dấu, số và - . / _ "
            "(3–50 ký tự), ví dụ VN-DTOR-0123.",
            f"Code '{code}' is invalid: use upper-case letters without accents, digits and "
            "- . / _ (3–50 characters), e.g. VN-DTOR-0123.",
            [FieldError("code", "Mã không hợp lệ", "Invalid code")],
        )


def check_planting_area(
    crop: str | None, computed_ha: float | None, rules: Mapping[str, AreaRule],
    crop_labels: Mapping[str, tuple[str, str]],
) -> None:
    """A planting-area code needs a crop and at least the crop's minimum area."""
    if not crop:
        raise ValidationFailed(
            "Mã số vùng trồng phải ghi rõ cây trồng.", "A planting-area code needs a crop.",
            [FieldError("crop", "Thiếu cây trồng", "Crop required")],
        )
    rule = rules.get(crop)
    if rule is None or computed_ha is None:
        return
    if computed_ha + 1e-9 < rule.min_area_ha:
        vi, en = crop_labels.get(crop, (crop, crop))
        group_vi = "cây lâu năm" if rule.crop_group == "perennial" else "cây hằng năm"
        raise ValidationFailed(
            f"Vùng trồng {vi} có diện tích {geo.ha_vi(computed_ha)} ha, nhỏ hơn diện tích tối "
            f"thiểu {geo.ha_vi(rule.min_area_ha)} ha của mã số vùng trồng {group_vi}.",
            f"The {en} planting area measures {computed_ha:.2f} ha, below the "
            f"{rule.min_area_ha:g} ha minimum of a planting-area code for "
            f"{rule.crop_group} crops.",
            [FieldError("geometry", "Diện tích nhỏ hơn mức tối thiểu", "Area below the minimum")],
        )


@dataclass(frozen=True)
class Neighbour:
    """Another planting area near the one being checked."""

    id: int
    code: str | None
    geometry: BaseGeometry


def overlaps(geometry: BaseGeometry, others: Iterable[Neighbour]) -> list[tuple[Neighbour, float]]:
    """The neighbours sharing more than :data:`MIN_OVERLAP_M2` with ``geometry`` (m² shared)."""
    found: list[tuple[Neighbour, float]] = []
    for other in others:
        if not geometry.intersects(other.geometry):
            continue
        shared = geometry.intersection(other.geometry)
        if shared.is_empty:
            continue
        m2 = geo.area_ha(shared, crs=AREA_CRS) * 10_000
        if m2 > MIN_OVERLAP_M2:
            found.append((other, m2))
    return found


def overlap_flag(other_id: int, other_code: str | None, shared_m2: float) -> dict[str, Any]:
    name = other_code or f"#{other_id}"
    return flag(
        "overlap",
        f"Chồng lấn {geo.ha_vi(shared_m2 / 10_000)} ha với vùng trồng {name}.",
        f"Overlaps the planting area {name} by {shared_m2 / 10_000:.2f} ha.",
        other_id=other_id, shared_ha=round(shared_m2 / 10_000, 4),
    )


def replace_flags(
    flags: Sequence[Mapping[str, Any]] | None, codes: set[str], new: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``flags`` without those of the given codes, plus ``new``."""
    kept = [dict(f) for f in (flags or []) if f.get("code") not in codes]
    return kept + [dict(f) for f in new]


def effective_status(status: str | None, valid_to: dt.date | None, today: dt.date) -> str:
    """``expired`` when the validity ended before today, else the stored status."""
    if status in (None, "active") and valid_to is not None and valid_to < today:
        return "expired"
    return status or "active"


def licence_status(licence_no: str | None, expiry: dt.date | None, today: dt.date) -> str | None:
    if licence_no is None and expiry is None:
        return None
    if expiry is not None and expiry < today:
        return "expired"
    return "valid"


def check_validity(valid_from: dt.date | None, valid_to: dt.date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(
            "Ngày hết hiệu lực phải sau ngày bắt đầu.",
            "The end of validity must not precede its start.",
            [FieldError("valid_to", "Trước ngày bắt đầu", "Before the start date")],
        )


