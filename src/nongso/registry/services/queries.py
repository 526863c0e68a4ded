"""Queries over the map's features: one feature, a page of a collection, its extent, what lies
near a point or in a commune, and which communes are near a point."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from nongso.core.errors import FieldError, ValidationFailed, not_found
from nongso.core.permissions import ANONYMOUS
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import features, geo, rules
from nongso.registry.models import AdminBoundary
from nongso.registry.schemas import CommuneRef, FeaturePublic, FeatureRef
from nongso.units import services as units


def get_feature(uow: UnitOfWork, collection: str, feature_id: int,
                as_of: dt.datetime | None = None) -> FeaturePublic:
    """One feature of a collection, public properties (``as_of``: as it was then)."""
    coll = features.get_collection(collection)
    with uow:
        found = features.get(uow, coll, feature_id, as_of)
        if found is None:
            raise not_found("đối tượng", "feature", feature_id)
        return _feature_public(coll.id, found)


def _feature_public(collection: str, f: features.FeatureRecord) -> FeaturePublic:
    return FeaturePublic(id=f.id, collection=collection, geometry=f.geometry,
                         properties=f.properties, bbox=list(f.bbox) if f.bbox else None)


def open_features(uow: UnitOfWork, collection: str, *, kinds: Sequence[str] = (),
                  after: int | None = None, limit: int = 500
                  ) -> tuple[list[FeaturePublic], int | None]:
    """A page of a collection's current features as the anonymous public sees them, whoever
    asks (open data: never a farmer, never an organisation's phone), in id order; with the id
    to continue ``after`` (None at the end)."""
    coll = features.get_collection(collection)
    public = uow.as_principal(ANONYMOUS)
    with public:
        page = features.query(public, coll, features.FeatureQuery(
            kinds=tuple(kinds), after=after, limit=max(1, min(limit, 500))))
        return [_feature_public(coll.id, f) for f in page.features], page.next_after


def query_features(uow: UnitOfWork, collection: str,
                   q: features.FeatureQuery) -> features.FeaturePage:
    """A page of a collection's features (the OGC API items and the exports)."""
    coll = features.get_collection(collection)
    with uow:
        return features.query(uow, coll, q)


def collection_extent(
    uow: UnitOfWork, collection: str
) -> tuple[geo.BBox | None, tuple[dt.date | None, dt.date | None]]:
    coll = features.get_collection(collection)
    with uow:
        return features.extent(uow, coll)


def box_around(lon: float, lat: float, radius_m: float) -> geo.BBox:
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return geo.BBox(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def _check_point(lon: float, lat: float, radius_m: float) -> None:
    if not geo.in_vietnam_extent(lon, lat):
        raise ValidationFailed(
            f"Điểm [{lon}, {lat}] nằm ngoài Việt Nam (thứ tự: kinh độ, vĩ độ).",
            f"Point [{lon}, {lat}] is outside Vietnam (order: longitude, latitude).",
            [FieldError("lon", "Ngoài Việt Nam", "Outside Vietnam")],
        )
    if not 0 < radius_m <= 100_000:
        raise ValidationFailed(
            "Bán kính phải từ 1 m đến 100 km.", "The radius must be between 1 m and 100 km.",
            [FieldError("radius_m", "Ngoài khoảng cho phép", "Out of range")],
        )


def _distance_m(origin: BaseGeometry, geometry: dict[str, Any] | None) -> float | None:
    if geometry is None:
        return None
    projected = geo.project(shape(geometry), rules.AREA_CRS)
    return float(origin.distance(projected))


def _ref(collection: str, f: features.FeatureRecord, distance: float | None) -> FeatureRef:
    point = shape(f.geometry).representative_point() if f.geometry else None
    props = f.properties
    return FeatureRef(
        collection=collection, id=f.id, kind=props.get("kind") or props.get("soil_type"),
        name=props.get("name"), code=props.get("code"), commune_code=props.get("commune_code"),
        crop=props.get("crop"), lon=round(point.x, 7) if point else None,
        lat=round(point.y, 7) if point else None,
        distance_m=round(distance, 1) if distance is not None else None,
    )


def scan(uow: UnitOfWork, coll: features.Collection, q: features.FeatureQuery,
          limit: int) -> list[features.FeatureRecord]:
    found: list[features.FeatureRecord] = []
    after = None
    while len(found) < limit:
        page = features.query(uow, coll, replace(q, after=after, limit=min(500, limit)))
        found.extend(page.features)
        if page.next_after is None:
            break
        after = page.next_after
    return found[:limit]


def features_near(
    uow: UnitOfWork, lon: float, lat: float, radius_m: float,
    collections: Sequence[str] = ("production_units",), kinds: Sequence[str] = (),
    limit: int = 1000,
) -> list[FeatureRef]:
    """Features within ``radius_m`` metres of a point (lon/lat), nearest first."""
    _check_point(lon, lat, radius_m)
    origin = geo.project(Point(lon, lat), rules.AREA_CRS)
    box = box_around(lon, lat, radius_m)
    out: list[FeatureRef] = []
    with uow:
        for name in collections:
            coll = features.get_collection(name)
            q = features.FeatureQuery(bbox=box, kinds=tuple(kinds))
            for f in scan(uow, coll, q, limit * 4):
                distance = _distance_m(origin, f.geometry)
                if distance is not None and distance <= radius_m:
                    out.append(_ref(coll.id, f, distance))
    out.sort(key=lambda r: (r.distance_m or 0.0, r.collection, r.id))
    return out[:limit]


def features_in_commune(
    uow: UnitOfWork, commune_code: str, collections: Sequence[str] = ("production_units",),
    kinds: Sequence[str] = (), limit: int = 10_000,
) -> list[FeatureRef]:
    """The features registered in a commune."""
    units.require_commune(uow, commune_code)
    out: list[FeatureRef] = []
    with uow:
        for name in collections:
            coll = features.get_collection(name)
            q = features.FeatureQuery(commune_code=commune_code, kinds=tuple(kinds))
            out.extend(_ref(coll.id, f, None) for f in scan(uow, coll, q, limit - len(out)))
            if len(out) >= limit:
                break
    return out


def communes_near(
    uow: UnitOfWork, lon: float, lat: float, radius_m: float,
    province_codes: Sequence[str] | None = None,
) -> list[CommuneRef]:
    """Communes within ``radius_m`` of a point (0 m: the commune it lies in), nearest first.

    Distances are to the boundaries on the map (real ones, else the synthetic demo ones — said
    in ``boundary``); a commune without any boundary is measured from its official centre point.
    ``province_codes``: where to look for communes without boundaries (default: this
    installation's province).
    """
    _check_point(lon, lat, radius_m)
    origin = geo.project(Point(lon, lat), rules.AREA_CRS)
    box = box_around(lon, lat, radius_m)
    found: dict[str, CommuneRef] = {}
    with uow:
        s = uow.session
        rows = s.scalars(select(AdminBoundary).where(
            AdminBoundary.level == "commune", AdminBoundary.min_lon <= box.max_lon,
            AdminBoundary.max_lon >= box.min_lon, AdminBoundary.min_lat <= box.max_lat,
            AdminBoundary.max_lat >= box.min_lat)).all()
        for b in rows:
            geometry = geo.project(shape(json.loads(b.geometry)), rules.AREA_CRS)
            distance = float(origin.distance(geometry))
            if distance <= radius_m:
                found[b.code] = CommuneRef(
                    code=b.code, name=b.name, province_code=b.province_code,
                    distance_m=round(distance, 1), boundary="synthetic" if b.synthetic else "real")
        provinces = list(province_codes or (get_settings().province_code,))
        with_boundary = set(s.scalars(select(AdminBoundary.code).where(
            AdminBoundary.level == "commune", AdminBoundary.province_code.in_(provinces))))
        for province in provinces:
            for c in units.communes_of_province(uow, province):
                if c.code in with_boundary or c.lon is None or c.lat is None:
                    continue
                centre = geo.project(Point(c.lon, c.lat), rules.AREA_CRS)
                distance = float(origin.distance(centre))
                if distance <= radius_m:
                    found[c.code] = CommuneRef(code=c.code, name=c.name,
                                               province_code=c.province_code,
                                               distance_m=round(distance, 1), boundary="none")
    return sorted(found.values(), key=lambda r: (r.distance_m, r.code))
