"""Administrative boundaries of the map: synthetic ones for the demo, real ones imported from
a file, and the province's basemap."""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nongso.core import audit, clock
from nongso.core.permissions import deny, require_role
from nongso.core.uow import UnitOfWork
from nongso.registry import boundaries, geo, importers, rules
from nongso.registry.models import AdminBoundary
from nongso.registry.schemas import BoundarySummary, ImportReport
from nongso.registry.services._common import geometry_columns
from nongso.registry.services.imports import ImportRefused, row_error
from nongso.units import services as units


def synthesize_boundaries(uow: UnitOfWork, province_code: str) -> BoundarySummary:
    """Create synthetic commune boundaries and a province outline where none exist yet."""
    require_role(uow.principal, "province_officer")
    with uow:
        s = uow.session
        province = units.require_scope_unit(uow, province_code, "province_code")
        if uow.principal.role == "province_officer" and uow.principal.unit_code != province.code:
            raise deny()
        communes = [c for c in units.communes_of_province(uow, province.code)
                    if c.lat is not None and c.lon is not None]
        points = [boundaries.CommunePoint(c.code, c.name, float(c.lon or 0), float(c.lat or 0),
                                          c.area_km2) for c in communes]
        shapes = boundaries.synthesize(province.code, province.name, points)
        existing = set(s.execute(select(AdminBoundary.level, AdminBoundary.code).where(
            AdminBoundary.province_code == province.code)))
        for b in shapes:
            if (b.level, b.code) in existing:
                continue
            s.add(AdminBoundary(level=b.level, code=b.code, name=b.name,
                                province_code=province.code,
                                **geometry_columns(b.geometry, precision=6),
                                area_km2=b.area_km2, official_area_km2=b.official_area_km2,
                                synthetic=True, source=boundaries.SYNTHETIC_SOURCE))
        uow.commit()
        return _boundary_summary(s, province.code)


def _boundary_summary(s: Session, province_code: str) -> BoundarySummary:
    rows = s.execute(select(AdminBoundary.synthetic, func.count()).where(
        AdminBoundary.province_code == province_code, AdminBoundary.level == "commune")
        .group_by(AdminBoundary.synthetic)).all()
    counts = {bool(k): int(n) for k, n in rows}
    return BoundarySummary(province_code=province_code,
                           communes=counts.get(True, 0) + counts.get(False, 0),
                           synthetic=counts.get(True, 0), real=counts.get(False, 0))


def import_boundaries(
    uow: UnitOfWork, province_code: str, filename: str, data: bytes, source: str,
    lang: str = "vi",
) -> ImportReport:
    """Real commune boundaries from a file (GeoJSON, KML, zipped Shapefile…): each feature is
    matched to an official commune by a code attribute or its name; a file with any row that
    cannot be matched or read imports nothing."""
    require_role(uow.principal, "province_officer")
    with uow:
        s = uow.session
        province = units.require_scope_unit(uow, province_code, "province_code")
        if uow.principal.role == "province_officer" and uow.principal.unit_code != province.code:
            raise deny()
        result = importers.import_file(filename, data)
        communes = units.communes_of_province(uow, province.code)
        by_code = {c.code: c.name for c in communes}
        by_name = {boundaries._strip_type(c.name): c.code for c in communes}
        errors = [row_error(e.row, e.field, e.message_vi, e.message_en) for e in result.errors]
        matched: dict[str, tuple[int, BaseGeometry]] = {}
        for f in result.features:
            code = boundaries.match_commune(f.properties, by_code, by_name)
            if code is None:
                errors.append(row_error(f.row, None,
                                         "không khớp mã hoặc tên xã nào của tỉnh.",
                                         "matches no commune code or name of the province."))
            elif f.geometry.geom_type not in rules.POLYGONAL:
                errors.append(row_error(f.row, "geometry", "ranh giới phải là đa giác.",
                                         "a boundary must be a polygon."))
            elif code in matched:
                errors.append(row_error(f.row, None, f"xã {code} đã có ở dòng "
                                         f"{matched[code][0]}.",
                                         f"commune {code} already given on row "
                                         f"{matched[code][0]}."))
            else:
                matched[code] = (f.row, f.geometry)
        report_errors = [e.as_row(lang) for e in errors]
        if errors:
            raise ImportRefused(report_errors, "admin_boundaries", result.format,
                                len(result.features) + len(result.errors))
        for code, (_, geom) in matched.items():
            row = s.scalar(select(AdminBoundary).where(AdminBoundary.level == "commune",
                                                       AdminBoundary.code == code))
            commune = next(c for c in communes if c.code == code)
            values = dict(name=commune.name, province_code=province.code,
                          **geometry_columns(geom, precision=6),
                          area_km2=round(geo.area_ha(geom, crs=rules.AREA_CRS) / 100, 2),
                          official_area_km2=commune.area_km2, synthetic=False,
                          source=source[:300], updated_at=clock.now())
            if row is None:
                s.add(AdminBoundary(level="commune", code=code, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
        audit.record(s, "import", "admin_boundaries", province.code,
                     {"file": filename, "communes": len(matched)})
        uow.commit()
        return ImportReport(format=result.format, collection="admin_boundaries",
                            rows=len(result.features), valid=len(matched),
                            imported=len(matched), errors=[], ids=[], dry_run=False)


def boundaries_geojson(uow: UnitOfWork, province_code: str) -> dict[str, Any]:
    """The province outline and its communes as one GeoJSON FeatureCollection (the basemap)."""
    with uow:
        rows = uow.session.scalars(select(AdminBoundary).where(
            AdminBoundary.province_code == province_code).order_by(AdminBoundary.level.desc(),
                                                                   AdminBoundary.code)).all()
        return {"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": f"{b.level}-{b.code}",
            "geometry": json.loads(b.geometry),
            "properties": {"level": b.level, "code": b.code, "name": b.name,
                           "synthetic": b.synthetic, "area_km2": b.area_km2,
                           "official_area_km2": b.official_area_km2},
        } for b in rows]}
