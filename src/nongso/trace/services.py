"""Use cases of traceability: identifiers, lots, the EPCIS repository, the Merkle log, the
resolver and consumer view, recall and OCOP products.

Every function here opens the unit of work (``with uow:``) and is the only place that commits;
functions whose name starts with an underscore run inside a caller's unit of work (the domain
event handlers use them, in the diary's transaction).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from nongso.core import audit, clock, events
from nongso.core.errors import (
    AppError,
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
    not_found,
)
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login, require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.trace import catalogue, epcis, merkle, store
from nongso.trace.checkpoint import CheckpointError, verify_signed_note
from nongso.trace.digital_link import build_digital_link
from nongso.trace.epcis import EpcisError, Issue
from nongso.trace.event_hash import EventHashError, document_event_hashes, event_hash
from nongso.trace.gs1 import (
    GS1Error,
    check_digit,
    lgtin_uri,
    make_gtin,
    make_lot_code,
    normalise_gtin,
    sgln_uri,
    sgtin_uri,
    validate_gln,
    validate_lot,
    validate_serial,
)
from nongso.trace.models import (
    CaptureJob,
    Checkpoint,
    CompanyPrefix,
    EpcisEvent,
    EventRef,
    HandledSource,
    Item,
    LineageEdge,
    Location,
    LogisticUnit,
    Lot,
    Product,
)
from nongso.trace.schemas import (
    CaptureJobPublic,
    CheckpointPublic,
    CompanyPrefixSet,
    ConsistencyProofPublic,
    InclusionProofPublic,
    ItemCreate,
    ItemPublic,
    LocationCreate,
    LocationPublic,
    LotCreate,
    LotPublic,
    LotStatusUpdate,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    QueryResult,
    VerifyReport,
)
from nongso.units import services as units

NAMESPACE = "https://nongso.vn/epcis/"
"""The namespace of the platform's EPCIS extension fields (``nongso:plantingAreaCode``…)."""
CONTEXT: list[Any] = [epcis.EPCIS_CONTEXT, {"nongso": NAMESPACE}]

# Who may capture events and who may read the repository (admins always may).
CAPTURE_ROLES = ("coop_manager", "buyer", "province_officer", "commune_officer")
READ_ROLES = ("province_officer", "commune_officer", "inspector", "coop_manager", "buyer")
MANAGE_ROLES = ("coop_manager", "buyer", "province_officer", "commune_officer")


# ------------------------------------------------------------------------------------------
# Identifiers


def _prefix(session: Session, organisation_id: int | None) -> str:
    if organisation_id is not None:
        own = session.get(CompanyPrefix, organisation_id)
        if own is not None:
            return own.prefix
    return get_settings().gs1_company_prefix


def _allocate_gtin(session: Session, prefix: str) -> str:
    room = 12 - len(prefix)
    while True:
        (n,) = store.next_values(session, f"item:{prefix}")
        if n >= 10 ** room:
            raise Conflict(
                f"Đã dùng hết mã mặt hàng của tiền tố GS1 {prefix}.",
                f"The item references of the GS1 prefix {prefix} are used up.",
            )
        gtin = make_gtin(prefix, str(n))
        if session.scalar(select(Product.id).where(Product.gtin == gtin)) is None:
            return gtin


def _allocate_gln(session: Session, prefix: str) -> str:
    room = 12 - len(prefix)
    while True:
        (n,) = store.next_values(session, f"location:{prefix}")
        if n >= 10 ** room:
            raise Conflict(
                f"Đã dùng hết mã địa điểm của tiền tố GS1 {prefix}.",
                f"The location references of the GS1 prefix {prefix} are used up.",
            )
        body = prefix + str(n).zfill(room)
        gln = body + check_digit(body)
        if session.scalar(select(Location.id).where(Location.gln == gln)) is None:
            return gln


def _gs1_field_error(exc: GS1Error, field: str) -> ValidationFailed:
    return ValidationFailed(exc.message_vi, exc.message_en,
                            [FieldError(field, exc.message_vi, exc.message_en)])


def digital_link(gtin: str, lot: str | None = None, serial: str | None = None) -> str:
    """The lot's (or item's) GS1 Digital Link URI on this installation's resolver."""
    resolver = get_settings().base_url.split("://", 1)[-1].rstrip("/")
    uri = build_digital_link(gtin, lot=lot, serial=serial, resolver=resolver)
    if get_settings().base_url.startswith("http://"):
        uri = "http://" + uri[len("https://"):]
    return uri


def _canonical(epc_uri: str) -> str:
    """The form events index an identifier in (see :func:`epcis.normalise_id`)."""
    return epcis.normalise_id(epc_uri)


def set_company_prefix(uow: UnitOfWork, organisation_id: int, data: CompanyPrefixSet) -> str:
    """Record the GS1 company prefix of an organisation (province officers, admins)."""
    require_role(uow.principal, "province_officer")
    with uow:
        registry.organisation_scope(uow, organisation_id)
        taken = uow.session.scalar(select(CompanyPrefix.organisation_id).where(
            CompanyPrefix.prefix == data.prefix))
        if taken is not None and taken != organisation_id:
            raise Conflict(f"Tiền tố GS1 {data.prefix} đã thuộc tổ chức #{taken}.",
                           f"The GS1 prefix {data.prefix} already belongs to #{taken}.",
                           [FieldError("prefix", "Đã được dùng", "Already used")])
        row = uow.session.get(CompanyPrefix, organisation_id)
        if row is None:
            uow.session.add(CompanyPrefix(organisation_id=organisation_id, prefix=data.prefix))
        else:
            row.prefix = data.prefix
        audit.record(uow.session, "set_prefix", "trace_company_prefixes", str(organisation_id),
                     {"prefix": data.prefix})
        uow.commit()
        return data.prefix


# ------------------------------------------------------------------------------------------
# Permissions


def _can_manage_org(p: Principal, organisation_id: int | None) -> bool:
    if p.is_admin or p.role == "province_officer":
        return True
    return p.role in ("coop_manager", "buyer") and organisation_id is not None and (
        p.organisation_id == organisation_id
    )


def _require_manage(uow: UnitOfWork, organisation_id: int | None) -> None:
    require_login(uow.principal)
    p = uow.principal
    if p.role == "commune_officer" and organisation_id is not None:
        scope = registry.organisation_scope(uow, organisation_id)
        if p.covers_unit(scope.commune_code, scope.province_code):
            return
    if not _can_manage_org(p, organisation_id):
        raise deny()


# ------------------------------------------------------------------------------------------
# Products


def _ensure_product(
    session: Session, organisation_id: int | None, kind: str, name: str, *,
    name_en: str | None = None, crop: str | None = None, by_product: bool = False,
    shelf_life_days: int | None = None,
) -> Product:
    product = session.scalar(select(Product).where(
        Product.organisation_id.is_(None) if organisation_id is None
        else Product.organisation_id == organisation_id,
        Product.kind == kind, Product.name == name,
    ).limit(1))
    if product is not None:
        return product
    prefix = _prefix(session, organisation_id)
    product = Product(
        gtin=_allocate_gtin(session, prefix), company_prefix=prefix, name=name, name_en=name_en,
        kind=kind, crop=crop, organisation_id=organisation_id, unit="KGM",
        shelf_life_days=shelf_life_days, by_product=by_product,
    )
    session.add(product)
    session.flush()
    return product


def create_product(uow: UnitOfWork, data: ProductCreate) -> ProductPublic:
    with uow:
        _require_manage(uow, data.organisation_id)
        s = uow.session
        if data.organisation_id is not None:
            registry.organisation_scope(uow, data.organisation_id)
        prefix = _prefix(s, data.organisation_id)
        if data.gtin is not None:
            try:
                gtin = normalise_gtin(data.gtin)
            except GS1Error as exc:
                raise _gs1_field_error(exc, "gtin") from exc
            if s.scalar(select(Product.id).where(Product.gtin == gtin)) is not None:
                raise Conflict(f"GTIN {gtin} đã được dùng.", f"GTIN {gtin} is already used.",
                               [FieldError("gtin", "Đã được dùng", "Already used")])
            if not gtin[1:].startswith(prefix):
                prefix = gtin[1:8]  # a GTIN of another company: assume a 7-digit prefix
        else:
            gtin = _allocate_gtin(s, prefix)
        product = Product(**data.model_dump(exclude={"gtin"}), gtin=gtin, company_prefix=prefix)
        s.add(product)
        uow.commit()
        return ProductPublic.model_validate(product)


def list_products(uow: UnitOfWork, page: PageRequest, organisation_id: int | None = None,
                  q: str | None = None) -> Page[ProductPublic]:
    """Products (trade items) are public master data."""
    stmt = select(Product)
    if organisation_id is not None:
        stmt = stmt.where(Product.organisation_id == organisation_id)
    if q:
        stmt = stmt.where(or_(func.lower(Product.name).contains(q.lower()), Product.gtin == q))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Product.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[ProductPublic.model_validate(r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def _load_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise not_found("sản phẩm", "product", product_id)
    return product


def get_product(uow: UnitOfWork, product_id: int) -> ProductPublic:
    with uow:
        return ProductPublic.model_validate(_load_product(uow.session, product_id))


def update_product(uow: UnitOfWork, product_id: int, data: ProductUpdate) -> ProductPublic:
    with uow:
        product = _load_product(uow.session, product_id)
        _require_manage(uow, product.organisation_id)
        for key, value in data.model_dump(exclude_unset=True).items():
            setattr(product, key, value)
        uow.commit()
        return ProductPublic.model_validate(product)


def delete_product(uow: UnitOfWork, product_id: int) -> None:
    with uow:
        product = _load_product(uow.session, product_id)
        _require_manage(uow, product.organisation_id)
        used = uow.session.scalar(select(func.count()).select_from(Lot)
                                  .where(Lot.product_id == product_id))
        if used:
            raise Conflict(f"Sản phẩm còn {used} lô hàng; không xoá được.",
                           f"The product still has {used} lots; it cannot be deleted.")
        uow.session.delete(product)
        uow.commit()


# ------------------------------------------------------------------------------------------
# Locations


def _commune_place(uow: UnitOfWork, commune_code: str | None) -> tuple[str | None, float | None,
                                                                        float | None]:
    if not commune_code:
        return None, None, None
    try:
        unit = units.get_unit(uow, commune_code)
    except NotFound:
        return None, None, None
    return unit.name, unit.lat, unit.lon


def _new_location(
    uow: UnitOfWork, *, name: str, kind: str, organisation_id: int | None,
    production_unit_id: int | None = None, commune_code: str | None = None,
    address: str | None = None, planting_area_code: str | None = None, gln: str | None = None,
    lat: float | None = None, lon: float | None = None,
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
        name=name, kind=kind, organisation_id=organisation_id,
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
        name = f"Vùng trồng {planting_area_code}"
    elif org_name:
        name = f"Ruộng thuộc {org_name}"
    else:
        name = "Ruộng sản xuất"
    return _new_location(
        uow, name=name, kind="farm", organisation_id=organisation_id,
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
    stmt = select(Location)
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
        location = uow.session.get(Location, location_id)
        if location is None:
            raise not_found("địa điểm", "location", location_id)
        return LocationPublic.model_validate(location)


# ------------------------------------------------------------------------------------------
# Lots and serialised items


def _lot_public(lot: Lot) -> LotPublic:
    out = LotPublic.model_validate(lot)
    out.digital_link = digital_link(lot.gtin, lot.lot_code)
    return out


def _item_public(item: Item) -> ItemPublic:
    out = ItemPublic.model_validate(item)
    out.digital_link = digital_link(item.gtin, serial=item.serial)
    return out


def _unique_lot_code(session: Session, gtin: str, wanted: str) -> str:
    code = wanted
    n = 1
    while session.scalar(select(Lot.id).where(Lot.gtin == gtin, Lot.lot_code == code)):
        n += 1
        suffix = f"-{n}"
        code = wanted[: 20 - len(suffix)] + suffix
    return code


@dataclass
class _NewLot:
    product: Product
    label: str
    lot_code: str
    quantity: float | None
    organisation_id: int | None = None
    location: Location | None = None
    production_unit_id: int | None = None
    planting_area_code: str | None = None
    season_id: int | None = None
    crop: str | None = None
    variety: str | None = None
    harvest_date: dt.date | None = None
    production_date: dt.date | None = None
    expiry_date: dt.date | None = None
    certifications: Sequence[str] = ()
    source: str | None = None


def _create_lot(session: Session, new: _NewLot) -> Lot:
    product = new.product
    try:
        code = validate_lot(new.lot_code)
    except GS1Error as exc:
        raise _gs1_field_error(exc, "lot_code") from exc
    code = _unique_lot_code(session, product.gtin, code)
    expiry = new.expiry_date
    base_date = new.production_date or new.harvest_date
    if expiry is None and product.shelf_life_days and base_date is not None:
        expiry = base_date + dt.timedelta(days=product.shelf_life_days)
    lot = Lot(
        product_id=product.id, gtin=product.gtin, lot_code=code, label=new.label,
        epc_class=lgtin_uri(product.gtin, code, len(product.company_prefix)),
        canonical=_canonical(lgtin_uri(product.gtin, code, len(product.company_prefix))),
        quantity=new.quantity, unit=product.unit,
        status="active", organisation_id=new.organisation_id,
        location_id=new.location.id if new.location else None,
        production_unit_id=new.production_unit_id,
        planting_area_code=new.planting_area_code, season_id=new.season_id,
        crop=new.crop or product.crop, variety=new.variety, harvest_date=new.harvest_date,
        production_date=new.production_date, expiry_date=expiry,
        certifications=list(new.certifications), source=new.source,
    )
    session.add(lot)
    session.flush()
    return lot


def _load_lot(session: Session, lot_id: int) -> Lot:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise not_found("lô hàng", "lot", lot_id)
    return lot


def list_lots(
    uow: UnitOfWork, page: PageRequest, organisation_id: int | None = None,
    status: str | None = None, q: str | None = None,
) -> Page[LotPublic]:
    require_role(uow.principal, *READ_ROLES)
    stmt = select(Lot)
    p = uow.principal
    if p.role in ("coop_manager", "buyer"):
        stmt = stmt.where(Lot.organisation_id == p.organisation_id)
    if organisation_id is not None:
        stmt = stmt.where(Lot.organisation_id == organisation_id)
    if status:
        stmt = stmt.where(Lot.status == status)
    if q:
        stmt = stmt.where(or_(Lot.lot_code == q, func.lower(Lot.label).contains(q.lower())))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Lot.id.desc()).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[_lot_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def get_lot(uow: UnitOfWork, lot_id: int) -> LotPublic:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        return _lot_public(_load_lot(uow.session, lot_id))


def commission_lot(uow: UnitOfWork, data: LotCreate) -> LotPublic:
    """Create a lot by hand and capture its commissioning event (ObjectEvent ADD)."""
    with uow:
        s = uow.session
        product = _load_product(s, data.product_id)
        _require_manage(uow, product.organisation_id)
        location = None
        if data.location_id is not None:
            location = s.get(Location, data.location_id)
            if location is None:
                raise ValidationFailed("Địa điểm không tồn tại.", "The location does not exist.",
                                       [FieldError("location_id", "Không tồn tại",
                                                   "Does not exist")])
        elif product.organisation_id is not None:
            location = _org_location(uow, product.organisation_id)
        try:
            code = data.lot_code or make_lot_code(data.label)
            validate_lot(code)
        except GS1Error as exc:
            raise _gs1_field_error(exc, "lot_code") from exc
        lot = _create_lot(s, _NewLot(
            product=product, label=data.label, lot_code=code, quantity=data.quantity,
            organisation_id=product.organisation_id, location=location,
            production_unit_id=data.production_unit_id,
            planting_area_code=data.planting_area_code or (
                location.planting_area_code if location else None),
            harvest_date=data.harvest_date, production_date=data.production_date,
            expiry_date=data.expiry_date, certifications=data.certifications,
        ))
        at = data.commissioned_at or clock.now()
        _record(uow, [_commissioning_event(lot, location, at)], source="api")
        uow.commit()
        return _lot_public(lot)


def set_lot_status(uow: UnitOfWork, lot_id: int, data: LotStatusUpdate) -> LotPublic:
    """Recall, withdraw or re-activate a lot; a recall is also captured as an EPCIS event."""
    with uow:
        lot = _load_lot(uow.session, lot_id)
        p = uow.principal
        if not (_can_manage_org(p, lot.organisation_id) or p.role == "inspector"):
            require_login(p)
            raise deny()
        lot.status = data.status
        lot.status_reason = data.reason
        if data.status in ("recalled", "withdrawn"):
            event = _event("ObjectEvent", clock.now(), action="OBSERVE",
                           bizStep="holding" if data.status == "withdrawn" else "removing",
                           disposition="recalled" if data.status == "recalled"
                           else "non_sellable_other",
                           quantityList=[{"epcClass": lot.epc_class}],
                           **{"nongso:reason": data.reason})
            _record(uow, [event], source="api")
        uow.commit()
        return _lot_public(lot)


def create_item(uow: UnitOfWork, data: ItemCreate) -> ItemPublic:
    """A serialised item (a tree, a box) and its commissioning event."""
    with uow:
        s = uow.session
        product = _load_product(s, data.product_id)
        _require_manage(uow, product.organisation_id)
        if data.serial is None:
            (n,) = store.next_values(s, f"serial:{product.gtin}")
            serial = str(n)
        else:
            serial = data.serial
        try:
            validate_serial(serial)
        except GS1Error as exc:
            raise _gs1_field_error(exc, "serial") from exc
        if s.scalar(select(Item.id).where(Item.gtin == product.gtin, Item.serial == serial)):
            raise Conflict(f"Số sê-ri {serial} đã có.", f"Serial {serial} already exists.",
                           [FieldError("serial", "Đã có", "Already exists")])
        lot = _load_lot(s, data.lot_id) if data.lot_id is not None else None
        item = Item(
            product_id=product.id, lot_id=lot.id if lot else None, gtin=product.gtin,
            serial=serial, epc=sgtin_uri(product.gtin, serial, len(product.company_prefix)),
            canonical=_canonical(sgtin_uri(product.gtin, serial, len(product.company_prefix))),
            kind=data.kind, label=data.label,
            production_unit_id=data.production_unit_id, planted_year=data.planted_year,
        )
        s.add(item)
        s.flush()
        location = None
        if data.production_unit_id is not None:
            location = s.scalar(select(Location).where(
                Location.production_unit_id == data.production_unit_id))
        if location is None and product.organisation_id is not None:
            location = _org_location(uow, product.organisation_id)
        fields: dict[str, Any] = {"epcList": [item.epc]}
        if location is not None:
            fields["readPoint"] = {"id": location.sgln}
            fields["bizLocation"] = {"id": location.sgln}
        if data.planted_year:
            fields["ilmd"] = {"nongso:plantedYear": data.planted_year}
        _record(uow, [_event("ObjectEvent", clock.now(), action="ADD", bizStep="commissioning",
                             disposition="active", **fields)], source="api")
        uow.commit()
        return _item_public(item)


def list_items(uow: UnitOfWork, page: PageRequest, lot_id: int | None = None,
               product_id: int | None = None) -> Page[ItemPublic]:
    require_role(uow.principal, *READ_ROLES)
    stmt = select(Item)
    if lot_id is not None:
        stmt = stmt.where(Item.lot_id == lot_id)
    if product_id is not None:
        stmt = stmt.where(Item.product_id == product_id)
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Item.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[_item_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


# ------------------------------------------------------------------------------------------
# Building events


def _iso(at: dt.datetime) -> str:
    """EPCIS time: UTC+7 local time with its offset, milliseconds."""
    local = at.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return local.isoformat(timespec="milliseconds")


def _event(event_type: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": event_type, "eventTime": _iso(at),
                             "eventTimeZoneOffset": "+07:00"}
    event.update({k: v for k, v in fields.items() if v is not None})
    return event


def _commissioning_event(lot: Lot, location: Location | None, at: dt.datetime) -> dict[str, Any]:
    ilmd: dict[str, Any] = {"cbvmda:lotNumber": lot.lot_code, "cbvmda:countryOfOrigin": "VN"}
    if lot.harvest_date:
        ilmd["cbvmda:harvestStartDate"] = lot.harvest_date.isoformat()
        ilmd["cbvmda:harvestEndDate"] = lot.harvest_date.isoformat()
    if lot.expiry_date:
        ilmd["cbvmda:itemExpirationDate"] = lot.expiry_date.isoformat()
    if lot.planting_area_code:
        ilmd["nongso:plantingAreaCode"] = lot.planting_area_code
    if location is not None:
        ilmd["nongso:farm"] = location.sgln
    if lot.crop:
        ilmd["nongso:crop"] = lot.crop
    if lot.variety:
        ilmd["nongso:variety"] = lot.variety
    if lot.certifications:
        ilmd["nongso:certifications"] = list(lot.certifications)
    quantity: dict[str, Any] = {"epcClass": lot.epc_class}
    if lot.quantity is not None:
        quantity.update(quantity=lot.quantity, uom=lot.unit)
    place = {"id": location.sgln} if location is not None else None
    return _event("ObjectEvent", at, action="ADD", bizStep="commissioning",
                  disposition="active", quantityList=[quantity], readPoint=place,
                  bizLocation=place, ilmd=ilmd)


# ------------------------------------------------------------------------------------------
# Events from the farm diary (run inside the diary's unit of work: the diary checked who may
# record; a failure here rolls the diary's record back too)


VN_TIME = dt.timezone(dt.timedelta(hours=7))


def _local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(VN_TIME).date()


def _handled(session: Session, key: str) -> bool:
    """Whether a domain event was turned into EPCIS events already (and mark it if not)."""
    if session.get(HandledSource, key) is not None:
        return True
    session.add(HandledSource(key=key))
    session.flush()
    return False


def _product_for(session: Session, organisation_id: int | None, name: str,
                 variety: str | None = None, by_product: bool | None = None,
                 crop: str | None = None) -> Product:
    spec = catalogue.product_spec(name, by_product)
    name_vi, name_en = catalogue.with_variety(spec, variety)
    return _ensure_product(session, organisation_id, spec.kind, name_vi, name_en=name_en,
                           crop=crop, by_product=spec.by_product,
                           shelf_life_days=spec.shelf_life_days)


def commission_harvest(uow: UnitOfWork, e: events.HarvestRecorded) -> Lot | None:
    """A harvest in a farm diary: a lot of the crop with its ILMD, commissioned at the field
    (ObjectEvent ADD, bizStep commissioning)."""
    with uow:
        s = uow.session
        if _handled(s, f"diary:harvest:{e.activity_id}"):
            return None
        location = _farm_location(uow, e.production_unit_id, e.organisation_id,
                                  e.commune_code, e.planting_area_code)
        product = _product_for(s, e.organisation_id, e.crop, e.variety, crop=e.crop)
        day = _local_date(e.harvested_at)
        label = f"{product.name} — thu hoạch {day:%d/%m/%Y}"
        if e.season_name:
            label += f" — vụ {e.season_name}"
        lot = _create_lot(s, _NewLot(
            product=product, label=label, lot_code=f"TH{day:%y%m%d}-{e.activity_id}"[:20],
            quantity=round(e.quantity_kg, 3) if e.quantity_kg else None,
            organisation_id=e.organisation_id, location=location,
            production_unit_id=e.production_unit_id, planting_area_code=e.planting_area_code,
            season_id=e.season_id, crop=e.crop, variety=e.variety, harvest_date=day,
            certifications=e.certifications, source=f"diary:{e.activity_id}",
        ))
        event = _commissioning_event(lot, location, e.harvested_at)
        if e.season_name:
            event["ilmd"]["nongso:season"] = e.season_name
        if e.moisture_pct is not None:
            event["ilmd"]["nongso:moisturePct"] = e.moisture_pct
        if e.area_ha:
            event["ilmd"]["nongso:harvestedAreaHa"] = e.area_ha
        if e.tree_id is not None:
            tree = _tree_item(uow, e.tree_id, product, e.production_unit_id)
            event["ilmd"]["nongso:tree"] = tree.epc
        _record(uow, [event], source="diary")
        return lot


def _tree_item(uow: UnitOfWork, tree_id: int, product: Product,
               production_unit_id: int | None) -> Item:
    """The serialised item (SGTIN) of a diary tree, made when it is first harvested."""
    s = uow.session
    serial = f"T{tree_id}"
    item = s.scalar(select(Item).where(Item.gtin == product.gtin, Item.serial == serial))
    if item is None:
        item = Item(product_id=product.id, gtin=product.gtin, serial=serial,
                    epc=sgtin_uri(product.gtin, serial, len(product.company_prefix)),
                    canonical=_canonical(sgtin_uri(product.gtin, serial,
                                                   len(product.company_prefix))),
                    kind="tree", label=f"Cây {serial}", production_unit_id=production_unit_id)
        s.add(item)
        s.flush()
    return item


def _lots_by_source(session: Session, activity_ids: Iterable[int]) -> dict[int, Lot]:
    wanted = {f"diary:{a}": a for a in activity_ids}
    if not wanted:
        return {}
    rows = session.scalars(select(Lot).where(Lot.source.in_(wanted))).all()
    return {wanted[lot.source]: lot for lot in rows if lot.source is not None}


def _common(values: Iterable[Any]) -> Any:
    found = set(values)
    return found.pop() if len(found) == 1 else None


def _allocate_sscc(session: Session, organisation_id: int | None) -> tuple[str, str]:
    """An SSCC-18 (extension digit 0) and its EPC URI."""
    prefix = _prefix(session, organisation_id)
    (n,) = store.next_values(session, f"sscc:{prefix}")
    reference = str(n).zfill(16 - len(prefix))
    body = "0" + prefix + reference
    return body + check_digit(body), f"urn:epc:id:sscc:{prefix}.0{reference}"


def record_processing(uow: UnitOfWork, e: events.ProcessingRecorded) -> list[Lot]:
    """Drying, sorting, milling: a TransformationEvent from the input lots to the main product
    and by-product lots; packing: an AggregationEvent of the lots into a logistic unit."""
    with uow:
        s = uow.session
        if _handled(s, f"diary:processing:{e.activity_id}"):
            return []
        sources = _lots_by_source(s, [a for a, _ in e.inputs])
        inputs = [(sources[a], kg) for a, kg in e.inputs if a in sources]
        input_lots = [lot for lot, _ in inputs]
        organisation_id = e.organisation_id or _common(x.organisation_id for x in input_lots)
        if organisation_id is not None:
            location: Location | None = _org_location(uow, organisation_id)
        else:
            location = s.get(Location, input_lots[0].location_id) if (
                input_lots and input_lots[0].location_id) else None
        place = {"id": location.sgln} if location is not None else None
        day = _local_date(e.at)
        kind_vi = {"drying": "sấy", "sorting": "phân loại", "milling": "xay xát",
                   "packing": "đóng gói"}.get(e.kind, e.kind)
        outputs: list[Lot] = []
        wanted = list(e.outputs)
        if not wanted and e.kind != "packing" and input_lots:
            # Recorded without outputs: the same product comes out (quantity not recorded).
            first = s.get(Product, input_lots[0].product_id)
            assert first is not None
            wanted = [("lúa khô" if e.kind == "drying" and first.kind == "paddy" else
                       first.name, 0.0, True)]
        for n, (name, kg, is_main) in enumerate(wanted):
            product = _product_for(s, organisation_id, name, by_product=not is_main,
                                   crop=_common(x.crop for x in input_lots))
            key = f"diary:{e.activity_id}" if n == 0 else f"diary:{e.activity_id}:{n}"
            outputs.append(_create_lot(s, _NewLot(
                product=product, label=f"{product.name} — {kind_vi} {day:%d/%m/%Y}",
                lot_code=f"CB{day:%y%m%d}-{e.activity_id}" + (f"-{n}" if n else ""),
                quantity=round(kg, 3) if kg else None, organisation_id=organisation_id,
                location=location,
                production_unit_id=_common(x.production_unit_id for x in input_lots),
                planting_area_code=_common(x.planting_area_code for x in input_lots),
                season_id=e.season_id or _common(x.season_id for x in input_lots),
                crop=_common(x.crop for x in input_lots),
                variety=_common(x.variety for x in input_lots),
                harvest_date=min((x.harvest_date for x in input_lots if x.harvest_date),
                                 default=None),
                production_date=day,
                certifications=sorted(set.intersection(*(set(x.certifications)
                                                         for x in input_lots)))
                if input_lots else (),
                source=key,
            )))

        def quantities(rows: Sequence[tuple[Lot, float | None]]) -> list[dict[str, Any]]:
            out = []
            for lot, kg in rows:
                element: dict[str, Any] = {"epcClass": lot.epc_class}
                if kg:
                    element.update(quantity=round(kg, 3), uom="KGM")
                out.append(element)
            return out

        recorded: list[dict[str, Any]] = []
        if outputs:
            recorded.append(_event(
                "TransformationEvent", e.at,
                bizStep="packing" if e.kind == "packing" else "creating_class_instance",
                disposition="active", readPoint=place, bizLocation=place,
                inputQuantityList=quantities(inputs) or None,
                outputQuantityList=quantities([(lot, lot.quantity) for lot in outputs]),
                **{"nongso:processKind": e.kind},
            ))
        if e.kind == "packing":
            children = [(lot, lot.quantity) for lot in outputs] or list(inputs)
            if children:
                sscc, epc = _allocate_sscc(s, organisation_id)
                s.add(LogisticUnit(
                    sscc=sscc, epc=epc, canonical=_canonical(epc),
                    label=f"Kiện hàng {sscc} — đóng gói {day:%d/%m/%Y}",
                    organisation_id=organisation_id, source=f"diary:{e.activity_id}"))
                recorded.append(_event(
                    "AggregationEvent", e.at + dt.timedelta(seconds=1), action="ADD",
                    bizStep="packing", disposition="container_closed", parentID=epc,
                    childQuantityList=quantities(children), readPoint=place,
                    bizLocation=place))
        if recorded:
            _record(uow, recorded, source="diary")
        return outputs


def record_sale(uow: UnitOfWork, e: events.SaleRecorded) -> list[str]:
    """A sale: the seller's shipping (source and destination lists, the sale as a business
    transaction) and the buyer's receiving, both ObjectEvents; returns their eventIDs."""
    with uow:
        s = uow.session
        if _handled(s, f"diary:sale:{e.activity_id}"):
            return []
        lots = _lots_by_source(s, e.source_activity_ids)
        units_ = {u.source: u for u in s.scalars(select(LogisticUnit).where(
            LogisticUnit.source.in_([f"diary:{a}" for a in e.source_activity_ids])))}
        epcs = [units_[f"diary:{a}"].epc for a in e.source_activity_ids
                if f"diary:{a}" in units_]
        sold = [lots[a] for a in e.source_activity_ids
                if a in lots and f"diary:{a}" not in units_]
        if not epcs and not sold:
            return []  # produce the traceability records do not know (recorded before them)
        quantity_list = [{"epcClass": lot.epc_class} for lot in sold]
        if len(quantity_list) == 1 and not epcs and e.quantity_kg:
            quantity_list[0].update(quantity=round(e.quantity_kg, 3), uom="KGM")
        seller_id = e.seller_organisation_id or _common(lot.organisation_id for lot in sold)
        if seller_id is not None:
            seller: Location | None = _org_location(uow, seller_id)
        else:
            seller = s.get(Location, sold[0].location_id) if sold and sold[0].location_id \
                else None
        buyer = _org_location(uow, e.buyer_organisation_id) if e.buyer_organisation_id else None
        sources: list[dict[str, str]] = []
        destinations: list[dict[str, str]] = []
        if seller_id is not None:
            sources.append({"type": "owning_party", "source": _party(uow, seller_id)})
        if seller is not None:
            sources.append({"type": "location", "source": seller.sgln})
        if e.buyer_organisation_id is not None and buyer is not None:
            destinations.append({"type": "owning_party",
                                 "destination": _party(uow, e.buyer_organisation_id)})
            destinations.append({"type": "location", "destination": buyer.sgln})
        issuer = seller.gln if seller is not None else get_settings().gs1_company_prefix
        transactions = [{"type": "inv",
                         "bizTransaction": f"urn:epcglobal:cbv:bt:{issuer}:SALE-{e.activity_id}"}]
        common: dict[str, Any] = {
            "epcList": epcs or None, "quantityList": quantity_list or None,
            "bizTransactionList": transactions, "sourceList": sources or None,
            "destinationList": destinations or None,
        }
        if e.price_vnd_per_kg is not None:
            common["nongso:priceVndPerKg"] = e.price_vnd_per_kg
        recorded = [_event("ObjectEvent", e.at, action="OBSERVE", bizStep="shipping",
                           disposition="in_transit",
                           readPoint={"id": seller.sgln} if seller else None,
                           bizLocation={"id": seller.sgln} if seller else None, **common)]
        if buyer is not None:
            recorded.append(_event("ObjectEvent", e.at + dt.timedelta(seconds=1),
                                   action="OBSERVE", bizStep="receiving",
                                   disposition="in_progress", readPoint={"id": buyer.sgln},
                                   bizLocation={"id": buyer.sgln}, **common))
        return _record(uow, recorded, source="diary")


def correct_harvest(uow: UnitOfWork, e: events.HarvestCorrected) -> None:
    """A harvest edited in the diary: the lot's quantity is recounted (ObjectEvent OBSERVE,
    bizStep stock_taking, naming the corrected commissioning)."""
    with uow:
        s = uow.session
        lot = _lots_by_source(s, [e.activity_id]).get(e.activity_id)
        if lot is None:
            return
        day = _local_date(e.harvested_at)
        if lot.quantity == round(e.quantity_kg, 3) and lot.harvest_date == day:
            return
        lot.quantity = round(e.quantity_kg, 3)
        lot.harvest_date = day
        location = s.get(Location, lot.location_id) if lot.location_id else None
        place = {"id": location.sgln} if location else None
        _record(uow, [_event(
            "ObjectEvent", clock.now(), action="OBSERVE", bizStep="stock_taking",
            disposition="active", readPoint=place, bizLocation=place,
            quantityList=[{"epcClass": lot.epc_class, "quantity": lot.quantity, "uom": lot.unit}],
            **{"nongso:correction": "harvest", "nongso:harvestDate": day.isoformat()},
        )], source="diary")


def withdraw_deleted(uow: UnitOfWork, e: events.ActivityDeleted) -> None:
    """A diary record deleted: the lots it made are withdrawn (their events stay: the log is
    append-only), so the consumer page says the lot is no longer valid."""
    with uow:
        s = uow.session
        lots = s.scalars(select(Lot).where(or_(
            Lot.source == f"diary:{e.activity_id}",
            Lot.source.like(f"diary:{e.activity_id}:%")))).all()
        for lot in lots:
            if lot.status == "active":
                lot.status = "withdrawn"
                lot.status_reason = "Bản ghi nhật ký đã bị xoá / the diary record was deleted"
        if lots:
            _record(uow, [_event(
                "ObjectEvent", clock.now(), action="OBSERVE", bizStep="holding",
                disposition="non_sellable_other",
                quantityList=[{"epcClass": lot.epc_class} for lot in lots],
                **{"nongso:reason": "diary record deleted"},
            )], source="diary")


# ------------------------------------------------------------------------------------------
# The EPCIS repository: capture


def _record_time() -> dt.datetime:
    now = clock.now().astimezone(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _time_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _content_fallback(event: Mapping[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in ("eventID", "recordTime")}
    return "sha256:" + hashlib.sha256(epcis.canonical_json(body).encode()).hexdigest()


def _prepare(
    events: Sequence[Mapping[str, Any]], context: Any, record_time: dt.datetime,
    pointers: Sequence[str],
) -> tuple[list[store.PreparedEvent | None], list[Issue]]:
    """Event IDs, content hashes and stored text of valid events (``None`` where it fails)."""
    namespaces = epcis.document_namespaces(context)
    hashes: list[str | None]
    try:
        hashes = list(document_event_hashes(
            {"@context": context, "epcisBody": {"eventList": list(events)}}))
    except EventHashError:
        hashes = []
        for event in events:
            try:
                hashes.append(event_hash(event, context))
            except EventHashError:
                hashes.append(None)
    prepared: list[store.PreparedEvent | None] = []
    issues: list[Issue] = []
    stamp = _time_text(record_time)
    for event, content, pointer in zip(events, hashes, pointers, strict=True):
        given = event.get("eventID")
        if isinstance(given, str) and not given.startswith("_:"):
            event_id = given
            content = content or _content_fallback(event)
        elif content is None:
            issues.append(Issue(
                f"{pointer}/eventID",
                "Không tính được eventID theo thuật toán băm sự kiện CBV 2.0 (ví dụ "
                "bizTransaction, source, destination thiếu type); hãy gửi kèm eventID.",
                "The eventID cannot be computed by the CBV 2.0 event hash algorithm (e.g. a "
                "bizTransaction, source or destination without type); send an eventID.",
            ))
            prepared.append(None)
            continue
        else:
            event_id = content
        stored = dict(event)
        stored["eventID"] = event_id
        stored["recordTime"] = stamp
        own = epcis.document_namespaces(event.get("@context")) if "@context" in event else {}
        prepared.append(store.PreparedEvent(
            event_id=event_id, content_hash=content, document=epcis.canonical_json(stored),
            indexed=epcis.index_event(event), raw=stored, namespaces={**namespaces, **own},
        ))
    return prepared, issues


@dataclass
class _Outcome:
    job: CaptureJob
    event_ids: list[str]


def _store_events(
    uow: UnitOfWork, events: Sequence[Mapping[str, Any]], context: Any, *,
    pointers: Sequence[str], behaviour: str, source: str,
    early_issues: Sequence[Issue] = (),
) -> _Outcome:
    """Hash, de-duplicate and append validated events; one capture job records the outcome."""
    s = uow.session
    record_time = _record_time()
    prepared, issues = _prepare(events, context, record_time, pointers)
    issues = [*early_issues, *issues]
    # Duplicates: the same eventID with the same content is captured once (idempotent); the
    # same eventID for another content is an error.
    existing = store.events_by_ids(s, [p.event_id for p in prepared if p is not None])
    seen: dict[str, str] = {}
    to_store: list[store.PreparedEvent] = []
    duplicates = 0
    for item, pointer in zip(prepared, pointers, strict=True):
        if item is None:
            continue
        known = existing.get(item.event_id)
        previous = seen.get(item.event_id) or (known[1] if known else None)
        if previous is None:
            seen[item.event_id] = item.content_hash
            to_store.append(item)
        elif previous == item.content_hash:
            duplicates += 1
        else:
            issues.append(Issue(
                f"{pointer}/eventID",
                f"eventID «{item.event_id}» đã dùng cho một sự kiện khác.",
                f"The eventID '{item.event_id}' already identifies a different event.",
            ))
    if issues and behaviour == "rollback":
        raise epcis.validation_error(issues)
    job = CaptureJob(
        id=secrets.token_hex(12), created_at=record_time, finished_at=record_time,
        running=False, success=not issues, error_behaviour=behaviour,
        errors=[{"type": "epcisException:ValidationException", "title": "Invalid event",
                 "status": 400, "pointer": i.pointer, "detail": i.message_en,
                 "detail_vi": i.message_vi} for i in issues],
        captured=len(to_store), duplicates=duplicates, user_id=uow.principal.user_id,
        source=source,
    )
    s.add(job)
    s.flush()
    store.append(s, to_store, job.id, store.log_key(get_settings()), record_time)
    return _Outcome(job, [p.event_id for p in to_store])


def _record(uow: UnitOfWork, events: Sequence[dict[str, Any]], source: str) -> list[str]:
    """Capture events the platform itself produces (validated like any client's)."""
    pointers = [f"/epcisBody/eventList/{n}" for n in range(len(events))]
    issues = [i for n, e in enumerate(events) for i in epcis.validate_event(e, pointers[n])]
    if issues:  # a bug of ours, never the user's input
        raise epcis.validation_error(issues)
    outcome = _store_events(uow, events, CONTEXT, pointers=pointers, behaviour="rollback",
                            source=source)
    return outcome.event_ids


def _job_public(session: Session, job: CaptureJob) -> CaptureJobPublic:
    ids = list(session.scalars(select(EpcisEvent.event_id).where(
        EpcisEvent.capture_id == job.id).order_by(EpcisEvent.id)))
    return CaptureJobPublic(
        captureID=job.id, createdAt=job.created_at, finishedAt=job.finished_at,
        running=job.running, success=job.success, captureErrorBehaviour=job.error_behaviour,
        errors=list(job.errors), eventIDs=ids, captured=job.captured,
        duplicates=job.duplicates,
    )


def capture(
    uow: UnitOfWork, document: Any, *, behaviour: str = "rollback", source: str = "api",
) -> CaptureJobPublic:
    """``POST /epcis/capture``: all events stored, or none (``rollback``) / the valid ones
    (``proceed``), in one transaction with their Merkle log leaves and a signed checkpoint."""
    require_role(uow.principal, *CAPTURE_ROLES)
    if behaviour not in ("rollback", "proceed"):
        raise EpcisError("ValidationException", 400,
                         "GS1-Capture-Error-Behaviour phải là rollback hoặc proceed.",
                         "GS1-Capture-Error-Behaviour must be rollback or proceed.")
    events = epcis.document_events(document)
    limit = get_settings().trace_capture_limit
    if len(events) > limit:
        raise EpcisError("CaptureLimitExceededException", 413,
                         f"Mỗi lần gửi tối đa {limit} sự kiện; tài liệu có {len(events)}.",
                         f"At most {limit} events per capture; the document has {len(events)}.")
    if not events:
        raise epcis.validation_error([Issue("/epcisBody/eventList", "Danh sách sự kiện rỗng.",
                                            "The event list is empty.")])
    base = epcis.event_list_pointer(document)
    pointers = [base if base.endswith("/event") else f"{base}/{n}" for n in range(len(events))]
    context = document.get("@context")
    issues: list[Issue] = []
    if context is None:
        issues.append(Issue("/@context", "Thiếu @context (ngữ cảnh JSON-LD của EPCIS 2.0).",
                            "@context (the EPCIS 2.0 JSON-LD context) is missing."))
    valid: list[Any] = []
    valid_pointers: list[str] = []
    for event, pointer in zip(events, pointers, strict=True):
        found = epcis.validate_event(event, pointer)
        if found:
            issues.extend(found)
        else:
            valid.append(event)
            valid_pointers.append(pointer)
    if issues and (behaviour == "rollback" or not valid or context is None):
        raise epcis.validation_error(issues)
    with uow:
        outcome = _store_events(uow, valid, context, pointers=valid_pointers,
                                behaviour=behaviour, source=source, early_issues=issues)
        audit.record(uow.session, "capture", "trace_capture_jobs", outcome.job.id,
                     {"events": outcome.job.captured, "duplicates": outcome.job.duplicates,
                      "errors": len(outcome.job.errors)})
        uow.commit()
        return _job_public(uow.session, outcome.job)


def capture_event(uow: UnitOfWork, event: Any) -> str:
    """``POST /epcis/events``: one event, captured synchronously; returns its eventID."""
    if not isinstance(event, Mapping):
        raise epcis.validation_error([Issue("", "Sự kiện phải là một đối tượng JSON.",
                                            "The event must be a JSON object.")])
    context = event.get("@context", [epcis.EPCIS_CONTEXT])
    body = {k: v for k, v in event.items() if k != "@context"}
    job = capture(uow, {"@context": context, "type": "EPCISDocument", "schemaVersion": "2.0",
                        "creationDate": _time_text(clock.now()),
                        "epcisBody": {"eventList": [body]}})
    if job.eventIDs:
        return job.eventIDs[0]
    # Captured before: the same content (idempotent) — report the stored event's id.
    with uow:
        prepared, _ = _prepare([body], context, _record_time(), ["/"])
        assert prepared[0] is not None
        return prepared[0].event_id


def get_capture_job(uow: UnitOfWork, capture_id: str) -> CaptureJobPublic:
    require_role(uow.principal, *CAPTURE_ROLES, *READ_ROLES)
    with uow:
        job = uow.session.get(CaptureJob, capture_id)
        p = uow.principal
        if job is None or (not p.is_admin and p.role not in ("province_officer", "inspector")
                           and job.user_id != p.user_id):
            raise EpcisError("NoSuchNameException", 404,
                             f"Không có lần ghi nhận «{capture_id}».",
                             f"There is no capture job '{capture_id}'.")
        return _job_public(uow.session, job)


def list_capture_jobs(uow: UnitOfWork, per_page: int = 30,
                      before: str | None = None) -> list[CaptureJobPublic]:
    require_role(uow.principal, *CAPTURE_ROLES, *READ_ROLES)
    with uow:
        stmt = select(CaptureJob)
        p = uow.principal
        if not p.is_admin and p.role not in ("province_officer", "inspector"):
            stmt = stmt.where(CaptureJob.user_id == p.user_id)
        if before is not None:
            stmt = stmt.where(CaptureJob.id < before)
        jobs = uow.session.scalars(stmt.order_by(CaptureJob.created_at.desc(),
                                                 CaptureJob.id.desc()).limit(per_page)).all()
        return [CaptureJobPublic(
            captureID=j.id, createdAt=j.created_at, finishedAt=j.finished_at,
            running=j.running, success=j.success, captureErrorBehaviour=j.error_behaviour,
            errors=list(j.errors), eventIDs=[], captured=j.captured, duplicates=j.duplicates,
        ) for j in jobs]


# ------------------------------------------------------------------------------------------
# The EPCIS repository: queries


def _escape_like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ref_filter(match: epcis.Match) -> Any:
    conditions = []
    if match.values:
        conditions.append(EventRef.value.in_(match.values))
    for prefix in match.prefixes:
        conditions.append(EventRef.value.like(_escape_like(prefix) + "%", escape="\\"))
    sub = select(EventRef.event_pk).where(EventRef.field.in_(match.fields),
                                          or_(*conditions) if conditions else False)
    if match.kind is not None:
        sub = sub.where(EventRef.kind == match.kind)
    return EpcisEvent.id.in_(sub)


def _query_statement(query: epcis.EventQuery) -> Any:
    stmt = select(EpcisEvent.id, EpcisEvent.event_time, EpcisEvent.record_time,
                  EpcisEvent.document, EpcisEvent.namespaces)
    if query.event_types:
        stmt = stmt.where(EpcisEvent.event_type.in_(query.event_types))
    columns = {"GE_eventTime": EpcisEvent.event_time, "LT_eventTime": EpcisEvent.event_time,
               "GE_recordTime": EpcisEvent.record_time, "LT_recordTime": EpcisEvent.record_time}
    for name, at in query.times:
        column = columns[name]
        stmt = stmt.where(column >= at if name.startswith("GE") else column < at)
    for column_name, values in query.equals:
        stmt = stmt.where(getattr(EpcisEvent, column_name).in_(values))
    for match in query.matches:
        stmt = stmt.where(_ref_filter(match))
    if query.exists_error_declaration is not None:
        stmt = stmt.where(EpcisEvent.has_error_declaration.is_(
            query.exists_error_declaration))
    return stmt


def _merge_namespaces(rows: Sequence[Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    merged: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    for row in rows:
        event = epcis_json_loads(row.document)
        conflicting = {k: v for k, v in row.namespaces.items() if merged.get(k, v) != v}
        for key, value in row.namespaces.items():
            merged.setdefault(key, value)
        if conflicting:  # another event used the prefix for another namespace
            own = event.get("@context")
            event["@context"] = [own, conflicting] if own else conflicting
        events.append(event)
    return events, merged


def epcis_json_loads(text: str) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(text)
    return value


def query_events(
    uow: UnitOfWork, params: Sequence[tuple[str, str]], *, path_event_type: str | None = None,
) -> QueryResult:
    """``GET /epcis/events``: an EPCISQueryDocument page and the token of the next page."""
    require_role(uow.principal, *READ_ROLES)
    query = epcis.parse_query(params, max_per_page=get_settings().max_page_size,
                              path_event_type=path_event_type)
    token_text = next((v for k, v in params if k == "nextPageToken"), None)
    token = epcis.PageToken.decode(token_text, query) if token_text else None
    stmt = _query_statement(query)
    sort = {"eventTime": EpcisEvent.event_time, "recordTime": EpcisEvent.record_time}.get(
        query.order_by or "")
    returned = token.returned if token else 0
    limit = query.per_page
    if query.event_count_limit is not None:
        limit = min(limit, max(query.event_count_limit - returned, 0))
    if token is not None:
        if sort is None:
            stmt = stmt.where(EpcisEvent.id > token.after_id)
        elif query.descending:
            stmt = stmt.where(or_(sort < token.after_time, and_(
                sort == token.after_time, EpcisEvent.id < token.after_id)))
        else:
            stmt = stmt.where(or_(sort > token.after_time, and_(
                sort == token.after_time, EpcisEvent.id > token.after_id)))
    if sort is None:
        stmt = stmt.order_by(EpcisEvent.id)
    elif query.descending:
        stmt = stmt.order_by(sort.desc(), EpcisEvent.id.desc())
    else:
        stmt = stmt.order_by(sort.asc(), EpcisEvent.id.asc())
    with uow:
        rows = uow.session.execute(stmt.limit(limit + 1)).all() if limit > 0 else []
    more = len(rows) > limit
    rows = rows[:limit]
    events, namespaces = _merge_namespaces(rows)
    next_token = None
    if more and rows:
        last = rows[-1]
        after_time = None if sort is None else (
            last.event_time if query.order_by == "eventTime" else last.record_time)
        next_token = epcis.PageToken(query.fingerprint(), after_time, last.id,
                                     returned + len(rows)).encode()
    return QueryResult(document=epcis.query_document(events, namespaces, clock.now()),
                       next_token=next_token)


def get_event(uow: UnitOfWork, event_id: str) -> dict[str, Any]:
    """``GET /epcis/events/{eventID}``: an EPCISQueryDocument with that one event."""
    require_role(uow.principal, *READ_ROLES)
    with uow:
        rows = uow.session.execute(
            select(EpcisEvent.document, EpcisEvent.namespaces)
            .where(EpcisEvent.event_id == event_id)).all()
    if not rows:
        raise EpcisError("NoSuchNameException", 404,
                         f"Không có sự kiện «{event_id}».", f"There is no event '{event_id}'.")
    events, namespaces = _merge_namespaces(rows)
    return epcis.query_document(events, namespaces, clock.now())


def event_types(uow: UnitOfWork) -> list[str]:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        present = set(uow.session.scalars(select(EpcisEvent.event_type).distinct()))
    return [t for t in epcis.EVENT_TYPES if t in present]


def vocabulary_values(uow: UnitOfWork, column: str, limit: int = 500) -> list[str]:
    """The distinct business steps, dispositions, read points or business locations used."""
    require_role(uow.principal, *READ_ROLES)
    attribute = getattr(EpcisEvent, column)
    with uow:
        return [v for v in uow.session.scalars(
            select(attribute).where(attribute.is_not(None)).distinct().order_by(attribute)
            .limit(limit))]


# ------------------------------------------------------------------------------------------
# The Merkle log


def _checkpoint_public(cp: Checkpoint) -> CheckpointPublic:
    key = store.log_key(get_settings())
    return CheckpointPublic(tree_size=cp.tree_size, root_hash=bytes(cp.root_hash).hex(),
                            created_at=cp.created_at, note=cp.note, key_name=key.name,
                            verifier_key=key.verifier)


def latest_checkpoint(uow: UnitOfWork, tree_size: int | None = None) -> CheckpointPublic:
    """The newest signed checkpoint (or the one of ``tree_size``): public, hashes only."""
    with uow:
        cp = store.checkpoint_for(uow.session, tree_size)
        if cp is None:
            raise NotFound("Nhật ký chưa có điểm kiểm tra nào (chưa có sự kiện).",
                           "The log has no checkpoint yet (no event was captured).")
        return _checkpoint_public(cp)


def log_public_key() -> dict[str, str]:
    key = store.log_key(get_settings())
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    pem = key.private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return {"name": key.name, "key_id": key.key_id, "verifier_key": key.verifier,
            "public_key_pem": pem.decode(), "algorithm": "Ed25519"}


def inclusion_proof(
    uow: UnitOfWork, *, event_id: str | None = None, leaf_index: int | None = None,
    tree_size: int | None = None,
) -> InclusionProofPublic:
    """The audit path of an event (by eventID or leaf index) in a tree of ``tree_size``."""
    with uow:
        s = uow.session
        row = None
        if event_id is not None:
            row = s.execute(select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.leaf_hash)
                            .where(EpcisEvent.event_id == event_id)).first()
        elif leaf_index is not None:
            row = s.execute(select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.leaf_hash)
                            .where(EpcisEvent.id == leaf_index)).first()
        if row is None:
            raise not_found("sự kiện", "event", event_id if event_id is not None else leaf_index)
        size = tree_size if tree_size is not None else store.log_size(s)
        if not row.id < size <= store.log_size(s):
            raise ValidationFailed(
                f"Kích thước cây phải lớn hơn {row.id} và không quá {store.log_size(s)}.",
                f"The tree size must be above {row.id} and at most {store.log_size(s)}.",
                [FieldError("tree_size", "Ngoài khoảng", "Out of range")])
        hasher = store.RangeHasher(s)
        path = merkle.inclusion_proof(row.id, size, hasher)
        root = hasher(0, size)
        cp = store.checkpoint_for(s, size)
        return InclusionProofPublic(
            event_id=row.event_id, leaf_index=row.id, tree_size=size,
            leaf_hash=bytes(row.leaf_hash).hex(), audit_path=[p.hex() for p in path],
            root_hash=root.hex(), checkpoint=cp.note if cp is not None else None,
        )


def consistency_proof(uow: UnitOfWork, first: int, second: int | None = None
                      ) -> ConsistencyProofPublic:
    with uow:
        s = uow.session
        size = store.log_size(s)
        second = size if second is None else second
        if not 0 < first <= second <= size:
            raise ValidationFailed(
                f"Cần 0 < first ≤ second ≤ {size}.", f"Need 0 < first ≤ second ≤ {size}.",
                [FieldError("first", "Ngoài khoảng", "Out of range")])
        hasher = store.RangeHasher(s)
        proof = merkle.consistency_proof(first, second, hasher)
        return ConsistencyProofPublic(first=first, second=second,
                                      first_root=hasher(0, first).hex(),
                                      second_root=hasher(0, second).hex(),
                                      proof=[p.hex() for p in proof])


def _problem(code: str, vi: str, en: str, report: VerifyReport, leaf: int | None = None,
             event_id: str | None = None) -> VerifyReport:
    report.ok = False
    report.problem_code, report.problem_vi, report.problem_en = code, vi, en
    report.leaf_index, report.event_id = leaf, event_id
    return report


def verify_log(uow: UnitOfWork, public_key: bytes | None = None) -> VerifyReport:
    """Recompute the whole log from the stored events and report the first inconsistency.

    Checks, in log order: every leaf hash against the stored event text, the indexed columns
    against the text, every stored perfect-subtree hash, every checkpoint's root against the
    recomputed tree of its size and its Ed25519 signature, and the log head.
    """
    require_role(uow.principal, "inspector", "province_officer")
    key = store.log_key(get_settings())
    trusted = public_key or key.public
    with uow:
        s = uow.session
        head_size = store.log_size(s)
        checkpoints = {cp.tree_size: cp for cp in s.scalars(select(Checkpoint))}
        nodes = store.stored_nodes(s)
        report = VerifyReport(ok=True, tree_size=head_size, checkpoints_checked=0,
                              events_checked=0)
        frontier = merkle.Frontier()
        expected = 0
        for batch in store.iter_log(s):
            for pk, event_id, event_type, event_time, biz_step, document, leaf in batch:
                if pk != expected:
                    return _problem("gap", f"Thiếu sự kiện ở vị trí {expected} của nhật ký.",
                                    f"The event at log position {expected} is missing.",
                                    report, expected)
                recomputed = merkle.leaf_hash(document.encode())
                if recomputed != bytes(leaf):
                    return _problem(
                        "leaf-hash", f"Nội dung sự kiện ở vị trí {pk} đã bị sửa: mã băm không "
                        "khớp với nhật ký.", f"The event at log position {pk} was altered: its "
                        "text no longer matches its leaf hash.", report, pk, event_id)
                problem = _column_mismatch(document, event_id, event_type, event_time, biz_step)
                if problem is not None:
                    return _problem("index", f"Dữ liệu chỉ mục của sự kiện ở vị trí {pk} khác "
                                    f"với nội dung đã ký ({problem}).",
                                    f"The indexed fields of the event at position {pk} differ "
                                    f"from its signed text ({problem}).", report, pk, event_id)
                for level, idx, value in frontier.append(recomputed):
                    if level % store.NODE_LEVEL_STEP == 0 and nodes.get((level, idx)) != value:
                        return _problem(
                            "node", f"Nút cây mức {level} số {idx} không khớp.",
                            f"The stored tree node at level {level}, index {idx} differs.",
                            report, pk, event_id)
                expected += 1
                report.events_checked += 1
                cp = checkpoints.get(frontier.size)
                if cp is not None:
                    failure = _check_checkpoint(cp, frontier.root(), key.name, trusted)
                    if failure is not None:
                        return _problem("checkpoint", failure[0], failure[1], report, pk,
                                        event_id)
                    report.checkpoints_checked += 1
        if expected != head_size:
            return _problem("head", f"Đầu nhật ký ghi {head_size} sự kiện nhưng có {expected}.",
                            f"The log head says {head_size} events but {expected} are stored.",
                            report)
        beyond = [size for size in checkpoints if size > expected]
        if beyond:
            return _problem("checkpoint", f"Có điểm kiểm tra cho {min(beyond)} sự kiện nhưng "
                            f"chỉ còn {expected} sự kiện: đã có sự kiện bị xoá.",
                            f"A checkpoint covers {min(beyond)} events but only {expected} are "
                            "stored: events were deleted.", report)
        return report


def _column_mismatch(document: str, event_id: str, event_type: str, event_time: dt.datetime,
                     biz_step: str | None) -> str | None:
    event = epcis_json_loads(document)
    if event.get("eventID") != event_id:
        return "eventID"
    if event.get("type") != event_type:
        return "type"
    parsed = epcis.parse_time(event.get("eventTime"))
    if parsed is None or abs(parsed.astimezone(dt.UTC) - event_time) > dt.timedelta(
        milliseconds=1
    ):
        return "eventTime"
    step = epcis.cbv_short(event["bizStep"], "BizStep") if "bizStep" in event else None
    if step != biz_step:
        return "bizStep"
    return None


def _check_checkpoint(cp: Checkpoint, root: bytes, name: str, public_key: bytes
                      ) -> tuple[str, str] | None:
    if bytes(cp.root_hash) != root:
        return (f"Điểm kiểm tra {cp.tree_size} sự kiện có gốc khác với cây tính lại.",
                f"The checkpoint of {cp.tree_size} events has a root that differs from the "
                "recomputed tree.")
    try:
        signed = verify_signed_note(cp.note, name, public_key)
    except CheckpointError:
        # Checkpoints signed under an earlier origin name carry that name in their note.
        try:
            from nongso.trace.checkpoint import parse_signed_note

            _, signatures = parse_signed_note(cp.note)
            signed = verify_signed_note(cp.note, signatures[0][0], public_key)
        except (CheckpointError, IndexError):
            return (f"Chữ ký của điểm kiểm tra {cp.tree_size} sự kiện không hợp lệ.",
                    f"The signature of the checkpoint of {cp.tree_size} events is invalid.")
    if signed.size != cp.tree_size or signed.root != root:
        return (f"Điểm kiểm tra {cp.tree_size} sự kiện đã ký một cây khác.",
                f"The checkpoint of {cp.tree_size} events signs another tree.")
    return None


__all__ = [
    "CAPTURE_ROLES",
    "CONTEXT",
    "MANAGE_ROLES",
    "READ_ROLES",
    "AppError",
    "Iterable",
    "capture",
    "capture_event",
    "commission_lot",
    "consistency_proof",
    "create_item",
    "create_location",
    "create_product",
    "digital_link",
    "event_types",
    "get_capture_job",
    "get_event",
    "get_lot",
    "inclusion_proof",
    "latest_checkpoint",
    "list_capture_jobs",
    "list_items",
    "list_locations",
    "list_lots",
    "list_products",
    "query_events",
    "set_company_prefix",
    "set_lot_status",
    "update",
    "verify_log",
]
