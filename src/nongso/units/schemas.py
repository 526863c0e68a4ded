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
