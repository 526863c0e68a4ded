"""Pydantic models of administrative units."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class UnitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    type: str
    level: str
    generation: str
    parent_code: str | None
    province_code: str
    lat: float | None
    lon: float | None
    area_km2: float | None
    valid_from: dt.date | None
    valid_to: dt.date | None


class LineageLink(BaseModel):
    unit: UnitPublic
    divided: bool
    is_default: bool


class UnitDetail(UnitPublic):
    children: list[UnitPublic]
    # Legacy units merged into this one (for a 2025 unit) ...
    predecessors: list[LineageLink]
    # ... or the new units a legacy unit went into.
    successors: list[LineageLink]


class LineagePair(BaseModel):
    """One legacy commune -> 2025 commune link of a province, with both names and the new
    commune's official area (for documented allocation weights of split communes)."""

    old_code: str
    old_name: str
    old_district: str | None
    new_code: str
    new_name: str
    new_area_km2: float | None
    divided: bool
    is_default: bool
