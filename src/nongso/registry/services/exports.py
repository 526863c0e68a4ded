"""Exports of the map's features: any collection as GeoJSON, CSV or Excel, and the
planting-area-code list in the plant protection office's layout."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from nongso.core.uow import UnitOfWork
from nongso.registry import exports, features
from nongso.registry.models import Farmer
from nongso.registry.services.queries import scan as _scan

EXPORT_LIMIT = 200_000


def export_features(uow: UnitOfWork, collection: str, fmt: str,
                    q: features.FeatureQuery) -> exports.ExportFile:
    """A collection's (filtered) features as GeoJSON, CSV or Excel (public properties)."""
    coll = features.get_collection(collection)
    with uow:
        records = _scan(uow, coll, replace(q, limit=500), EXPORT_LIMIT)
        return exports.features_file(coll.id, fmt, records)


def export_planting_areas(
    uow: UnitOfWork, fmt: str, commune_code: str | None = None, crop: str | None = None,
    status: str | None = None, lang: str = "vi",
) -> exports.ExportFile:
    """The planting-area-code list in the plant protection office's layout."""
    with uow:
        q = features.FeatureQuery(commune_code=commune_code, crop=crop, status=status)
        records = _scan(uow, features.PLANTING_AREAS, replace(q, limit=500), EXPORT_LIMIT)
        farmer_names: dict[int, str] = {}
        ids = {int(r.properties["farmer_id"]) for r in records if r.properties.get("farmer_id")}
        if ids:
            farmer_names = dict(uow.session.execute(select(Farmer.id, Farmer.full_name).where(
                Farmer.id.in_(sorted(ids)))).all())
        return exports.planting_area_list(fmt, records, farmer_names, lang)
