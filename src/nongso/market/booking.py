"""Rules of shared-equipment bookings (pure): times and zones, windows, overlaps, distances,
adjacent fields, maintenance by hour meter, the cost of a job.

Times without a zone are Vietnam time (Asia/Ho_Chi_Minh, UTC+7) and the answer says so.
Distances are geodesic on WGS 84 (pyproj); the gaps between fields are measured on their
shapes in UTM zone 48N (EPSG:32648), the projection of the delta.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

VN_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
GEOD = Geod(ellps="WGS84")
RADII_KM = (5, 20, 50)
PAST_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Moment:
    utc: dt.datetime
    assumed_zone: bool  # the time had no zone: Asia/Ho_Chi_Minh was assumed


def to_utc(value: dt.datetime) -> Moment:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return Moment(value.replace(tzinfo=VN_ZONE).astimezone(dt.UTC), True)
    return Moment(value.astimezone(dt.UTC), False)


def local_text(value: dt.datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time, with the zone named."""
    return value.astimezone(VN_ZONE).strftime("%d/%m/%Y %H:%M") + " (giờ Việt Nam, UTC+7)"


@dataclass(frozen=True)
class Problem:
    code: str
    field: str
    message_vi: str
    message_en: str


def check_window(start: dt.datetime, end: dt.datetime, now: dt.datetime,
                 max_days: int) -> list[Problem]:
    """End after start, not in the past, not longer than ``max_days``."""
    out = []
    if end <= start:
        out.append(Problem("end_before_start", "ends_at",
                           "Giờ kết thúc phải sau giờ bắt đầu.",
                           "The end must be after the start."))
    if start < now - PAST_TOLERANCE:
        out.append(Problem("in_past", "starts_at",
                           f"Không thể đặt lịch trong quá khứ (bắt đầu {local_text(start)}).",
                           f"A booking cannot start in the past ({local_text(start)})."))
    if end - start > dt.timedelta(days=max_days):
        out.append(Problem("too_long", "ends_at",
                           f"Một lần đặt tối đa {max_days} ngày.",
                           f"A booking may last at most {max_days} days."))
    return out


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime,
             b_end: dt.datetime) -> bool:
    """Half-open intervals [start, end) overlap (touching ends do not)."""
    return a_start < b_end and b_start < a_end


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    _, _, metres = GEOD.inv(lon1, lat1, lon2, lat2)
    return float(metres) / 1000.0


@dataclass(frozen=True)
class Machine:
    id: int
    lon: float
    lat: float
    working_radius_km: float


@dataclass(frozen=True)
class Reach:
    id: int
    distance_km: float


def within(machines: Sequence[Machine], lon: float, lat: float, radius_km: float) -> list[Reach]:
    """Machines within ``radius_km`` of the point whose own working area reaches it, nearest
    first."""
    if not machines:
        return []
    _, _, metres = GEOD.inv([m.lon for m in machines], [m.lat for m in machines],
                            [lon] * len(machines), [lat] * len(machines))
    out = []
    for m, d in zip(machines, metres, strict=True):
        km = float(d) / 1000.0
        if km <= radius_km and km <= m.working_radius_km:
            out.append(Reach(m.id, round(km, 3)))
    out.sort(key=lambda r: (r.distance_km, r.id))
    return out


@lru_cache
def _to_utm() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)


def projected(geometry: dict[str, Any]) -> BaseGeometry:
    t = _to_utm()
    return shapely.transform(shape(geometry), lambda xy: np.column_stack(
        t.transform(xy[:, 0], xy[:, 1])))


def adjacent_groups(fields: Sequence[tuple[int, dict[str, Any]]], gap_m: float
                    ) -> list[list[int]]:
    """Fields whose shapes are within ``gap_m`` metres of each other (directly or through
    other fields of the list), as groups of ids in the order given."""
    shapes = [(fid, projected(geom)) for fid, geom in fields]
    parent = list(range(len(shapes)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a in range(len(shapes)):
        for b in range(a + 1, len(shapes)):
            if shapes[a][1].distance(shapes[b][1]) <= gap_m:
                parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for k, (fid, _) in enumerate(shapes):
        groups.setdefault(find(k), []).append(fid)
    return list(groups.values())


def centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    point = shape(geometry).representative_point()
    return float(point.x), float(point.y)


def maintenance_due(hour_meter: float, hours_at_service: float, interval_h: float) -> bool:
    return hour_meter - hours_at_service >= interval_h


def hours_needed(area_ha: float, work_rate_ha_per_h: float | None) -> float | None:
    if not work_rate_ha_per_h or work_rate_ha_per_h <= 0:
        return None
    return area_ha / work_rate_ha_per_h


def job_cost(rate_vnd: float, rate_unit: str, area_ha: float, hours: float) -> float:
    """The price of a job: per ha, per hour of the hour meter, or per started day (8 h)."""
    if rate_unit == "ha":
        return round(rate_vnd * area_ha)
    if rate_unit == "hour":
        return round(rate_vnd * hours)
    return round(rate_vnd * max(1, math.ceil(hours / 8)))
