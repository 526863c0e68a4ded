"""What is around a station: the registry's fields (production units), in one place.

The only module of monitoring that reads the registry's ``production_units`` table (read
only, by id and by bounding box). When the registry offers its own spatial query, these two
functions are where to switch to it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nongso.registry.models import ProductionUnit

EARTH_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class NearbyUnit:
    id: int
    commune_code: str
    crop: str | None
    area_ha: float | None
    distance_m: float


def existing_production_units(session: Session, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return set(session.scalars(select(ProductionUnit.id).where(ProductionUnit.id.in_(wanted))))


def production_units_near(
    session: Session, lon: float, lat: float, radius_m: float
) -> list[NearbyUnit]:
    """Production units whose bounding-box centre lies within ``radius_m`` of the point,
    nearest first (bounding boxes prefilter on the indexed columns)."""
    dlat = radius_m / EARTH_M_PER_DEG_LAT
    dlon = radius_m / (EARTH_M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    rows = session.execute(
        select(ProductionUnit.id, ProductionUnit.commune_code, ProductionUnit.crop,
               ProductionUnit.area_ha, ProductionUnit.min_lon, ProductionUnit.min_lat,
               ProductionUnit.max_lon, ProductionUnit.max_lat)
        .where(ProductionUnit.min_lon <= lon + dlon, ProductionUnit.max_lon >= lon - dlon,
               ProductionUnit.min_lat <= lat + dlat, ProductionUnit.max_lat >= lat - dlat)
    ).all()
    out: list[NearbyUnit] = []
    kx = EARTH_M_PER_DEG_LAT * math.cos(math.radians(lat))
    for uid, commune, crop, area, x0, y0, x1, y1 in rows:
        if x0 is None or y0 is None or x1 is None or y1 is None:
            continue
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        d = math.hypot((cx - lon) * kx, (cy - lat) * EARTH_M_PER_DEG_LAT)
        if d <= radius_m:
            out.append(NearbyUnit(uid, commune, crop, area, d))
    out.sort(key=lambda u: (u.distance_m, u.id))
    return out


def production_units_by_id(session: Session, ids: Iterable[int]) -> list[NearbyUnit]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = session.execute(
        select(ProductionUnit.id, ProductionUnit.commune_code, ProductionUnit.crop,
               ProductionUnit.area_ha).where(ProductionUnit.id.in_(wanted))
    ).all()
    return [NearbyUnit(i, c, crop, a, 0.0) for i, c, crop, a in rows]


def production_units_of_farmer(session: Session, farmer_id: int) -> list[NearbyUnit]:
    """A farmer's own fields (for "alerts for me": his communes and crops)."""
    rows = session.execute(
        select(ProductionUnit.id, ProductionUnit.commune_code, ProductionUnit.crop,
               ProductionUnit.area_ha).where(ProductionUnit.farmer_id == farmer_id)
    ).all()
    return [NearbyUnit(i, c, crop, a, 0.0) for i, c, crop, a in rows]


def production_units_of_organisation(session: Session, organisation_id: int) -> list[NearbyUnit]:
    rows = session.execute(
        select(ProductionUnit.id, ProductionUnit.commune_code, ProductionUnit.crop,
               ProductionUnit.area_ha).where(ProductionUnit.organisation_id == organisation_id)
    ).all()
    return [NearbyUnit(i, c, crop, a, 0.0) for i, c, crop, a in rows]
