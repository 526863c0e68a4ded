"""Use case: locations (GLNs) — fields, facilities, warehouses and shops, and the organisation as
an EPCIS party. A field is named without personal data and placed at its commune's centre when
it has no exact coordinates.
"""

from __future__ import annotations

from sqlalchemy import func, select

from nongso.core.errors import Conflict, FieldError, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.trace.gs1 import GS1Error, sgln_uri, validate_gln
from nongso.trace.models import Location
from nongso.trace.schemas import LocationCreate, LocationPublic
from nongso.trace.services._common import READ_ROLES, _commune_place, _require_manage
from nongso.trace.services._tenancy import location_clause, reach
from nongso.trace.services.identifiers import _allocate_gln, _canonical, _gs1_field_error, _prefix
from nongso.units import services as units


def _new_location(
    uow: UnitOfWork, *, name: str, kind: str, organisation_id: int | None,
    production_unit_id: int | None = None, commune_code: str | None = None,
    address: str | None = None, planting_area_code: str | None = None, gln: str | None = None,
    lat: float | None = None, lon: float | None = None, name_en: str | None = None,
) -> Location:
    s = uow.session
    prefix = _prefix(s, organisation_id)
    if gln is None:
        gln = _allocate_gln(s, prefix)
        prefix_length = len(prefix)
    else:
        prefix_length = len(prefix) if gln.startswith(prefix) else 7
    commune_name, clat, clon = _commune_place(uow, commune_code)
    location = Location(
        gln=gln, sgln=sgln_uri(gln, prefix_length),
        canonical=_canonical(sgln_uri(gln, prefix_length)),
        name=name, name_en=name_en, kind=kind, organisation_id=organisation_id,
        production_unit_id=production_unit_id, commune_code=commune_code,
        address=address or commune_name, planting_area_code=planting_area_code,
        # Without exact coordinates the commune's centre is used (never a home address).
        lat=lat if lat is not None else clat, lon=lon if lon is not None else clon,
    )
    s.add(location)
    s.flush()
    return location


def _farm_location(
    uow: UnitOfWork, production_unit_id: int | None, organisation_id: int | None,
    commune_code: str, planting_area_code: str | None,
) -> Location:
    """The GLN of a field (one per registry production unit), named without personal data."""
    s = uow.session
    if production_unit_id is not None:
        found = s.scalar(select(Location).where(
            Location.production_unit_id == production_unit_id))
        if found is not None:
            if planting_area_code and found.planting_area_code != planting_area_code:
                found.planting_area_code = planting_area_code
            return found
    org_name = None
    if organisation_id is not None:
        org_name = registry.get_organisation(uow, organisation_id).name
    if planting_area_code:
        name, name_en = f"Vùng trồng {planting_area_code}", f"Planting area {planting_area_code}"
    elif org_name:
        name, name_en = f"Ruộng thuộc {org_name}", f"Field of {org_name}"
    else:
        name, name_en = "Ruộng sản xuất", "Farm field"
    return _new_location(
        uow, name=name, name_en=name_en, kind="farm", organisation_id=organisation_id,
        production_unit_id=production_unit_id, commune_code=commune_code,
        planting_area_code=planting_area_code,
    )


def _org_location(uow: UnitOfWork, organisation_id: int, kind: str = "facility") -> Location:
    """The main GLN of an organisation (its facility, warehouse or shop)."""
    s = uow.session
    found = s.scalar(select(Location).where(
        Location.organisation_id == organisation_id, Location.production_unit_id.is_(None),
        Location.kind != "farm").order_by(Location.id).limit(1))
    if found is not None:
        return found
    org = registry.get_organisation(uow, organisation_id)
    return _new_location(
        uow, name=org.name, kind=kind if org.kind != "buyer" else "distributor",
        organisation_id=organisation_id, commune_code=org.commune_code, lat=org.lat,
        lon=org.lon,
    )


def _party(uow: UnitOfWork, organisation_id: int) -> str:
    """The organisation as an EPCIS party (a PGLN: its main location's GLN)."""
    location = _org_location(uow, organisation_id)
    prefix_length = len(_prefix(uow.session, organisation_id))
    if not location.gln.startswith(_prefix(uow.session, organisation_id)):
        prefix_length = 7
    gln = location.gln
    return f"urn:epc:id:pgln:{gln[:prefix_length]}.{gln[prefix_length:12]}"


def create_location(uow: UnitOfWork, data: LocationCreate) -> LocationPublic:
    with uow:
        _require_manage(uow, data.organisation_id)
        if data.organisation_id is not None:
            registry.organisation_scope(uow, data.organisation_id)
        if data.commune_code is not None:
            units.require_commune(uow, data.commune_code)
        if data.gln is not None:
            try:
                validate_gln(data.gln)
            except GS1Error as exc:
                raise _gs1_field_error(exc, "gln") from exc
            if uow.session.scalar(select(Location.id).where(Location.gln == data.gln)):
                raise Conflict(f"GLN {data.gln} đã được dùng.", f"GLN {data.gln} is used.",
                               [FieldError("gln", "Đã được dùng", "Already used")])
        location = _new_location(uow, **data.model_dump())
        uow.commit()
        return LocationPublic.model_validate(location)


def list_locations(uow: UnitOfWork, page: PageRequest, organisation_id: int | None = None,
                   kind: str | None = None) -> Page[LocationPublic]:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        stmt = select(Location).where(location_clause(reach(uow)))
    if organisation_id is not None:
        stmt = stmt.where(Location.organisation_id == organisation_id)
    if kind:
        stmt = stmt.where(Location.kind == kind)
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Location.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[LocationPublic.model_validate(r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_location(uow: UnitOfWork, location_id: int) -> LocationPublic:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        location = uow.session.scalar(select(Location).where(
            Location.id == location_id, location_clause(reach(uow))))
        if location is None:
            raise not_found("địa điểm", "location", location_id)
        return LocationPublic.model_validate(location)
