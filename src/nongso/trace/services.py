"""Use cases of traceability: identifiers, lots, the EPCIS repository, the Merkle log, the
resolver and consumer view, recall and OCOP products.

Every function here opens the unit of work (``with uow:``) and is the only place that commits;
functions whose name starts with an underscore run inside a caller's unit of work (the domain
event handlers use them, in the diary's transaction).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Executable,
    Integer,
    String,
    TextClause,
    and_,
    bindparam,
    extract,
    false,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from nongso.core import audit, clock, events
from nongso.core.errors import (
    AppError,
    Conflict,
    FieldError,
    NotFound,
    TooLarge,
    ValidationFailed,
    not_found,
)
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login, require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.trace import catalogue, epcis, merkle, qr, recall, store
from nongso.trace.checkpoint import CheckpointError, verify_signed_note
from nongso.trace.digital_link import build_digital_link, parse_digital_link
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
    LotInput,
    OcopProduct,
    Product,
)
from nongso.trace.schemas import (
    CaptureJobPublic,
    CheckpointPublic,
    CompanyPrefixSet,
    ConsistencyProofPublic,
    ConsumerView,
    InclusionProofPublic,
    ItemCreate,
    ItemPublic,
    LabelSheetRequest,
    LocationCreate,
    LocationPublic,
    LotCreate,
    LotPublic,
    LotStatusUpdate,
    MapPoint,
    OcopProductCreate,
    OcopProductPublic,
    OcopProductUpdate,
    OrganisationLots,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    QueryResult,
    RecallEdge,
    RecallInput,
    RecallLocation,
    RecallNode,
    RecallOrigin,
    RecallReport,
    RecallRequest,
    RecallShipment,
    TimelineStep,
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


_UNIT_NAMES: dict[str, str | None] = {}


def _unit_name(uow: UnitOfWork, code: str) -> str | None:
    """The name of an administrative unit (reference data: kept once read)."""
    if code not in _UNIT_NAMES:
        if len(_UNIT_NAMES) > 10000:
            _UNIT_NAMES.clear()
        _UNIT_NAMES[code] = _commune_place(uow, code)[0]
    return _UNIT_NAMES[code]


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
        _snapshot_inputs(uow, lot)
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
        quantity_list: list[dict[str, Any]] = [{"epcClass": lot.epc_class} for lot in sold]
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
        # The price stays in the diary: events are shared along the chain, prices are not.
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
                      offset: int = 0) -> list[CaptureJobPublic]:
    require_role(uow.principal, *CAPTURE_ROLES, *READ_ROLES)
    with uow:
        stmt = select(CaptureJob)
        p = uow.principal
        if not p.is_admin and p.role not in ("province_officer", "inspector"):
            stmt = stmt.where(CaptureJob.user_id == p.user_id)
        jobs = uow.session.scalars(stmt.order_by(CaptureJob.created_at.desc(),
                                                 CaptureJob.id.desc())
                                   .limit(per_page).offset(offset)).all()
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
                                          or_(*conditions) if conditions else false())
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




# ------------------------------------------------------------------------------------------
# Inputs of the season of a harvested lot (from the diary's contract functions)


def _snapshot_inputs(uow: UnitOfWork, lot: Lot) -> None:
    """Keep the inputs the diary recorded for the lot's season (see :class:`LotInput`)."""
    if lot.season_id is None:
        return
    from nongso.diary import services as diary

    try:
        uses = diary.season_input_uses(uow, lot.season_id)
    except (NotFound, AppError):
        return  # a season the diary does not know (or may not show): nothing to keep
    for use in uses:
        uow.session.add(LotInput(
            lot_id=lot.id, season_id=lot.season_id, applied_at=use.at,
            activity_kind=use.kind, input_kind=use.input_kind,
            product_name=use.product_name[:200],
            quantity=f"{use.quantity:g} {use.unit}"[:60], purchase_lot=use.purchase_lot,
            dealer_organisation_id=use.dealer_organisation_id, dealer_name=use.dealer_name,
            flags=list(use.flags),
        ))
    uow.session.flush()


# ------------------------------------------------------------------------------------------
# Walking the lineage graph


@functools.cache
def _q_edges(forward: bool, since: bool, until: bool) -> Executable:
    column = LineageEdge.src if forward else LineageEdge.dst
    stmt = select(LineageEdge.src, LineageEdge.dst, LineageEdge.kind, LineageEdge.event_pk,
                  LineageEdge.event_time).where(column.in_(bindparam("nodes", expanding=True)))
    if since:
        stmt = stmt.where(LineageEdge.event_time >= bindparam("since"))
    if until:
        stmt = stmt.where(LineageEdge.event_time < bindparam("until"))
    return stmt


def _edges_from_db(session: Session, forward: bool, since: dt.datetime | None,
                   until: dt.datetime | None) -> recall.EdgesOf:
    stmt = _q_edges(forward, since is not None, until is not None)

    def edges_of(frontier: set[str]) -> list[recall.Edge]:
        out: list[recall.Edge] = []
        nodes = sorted(frontier)
        for start in range(0, len(nodes), 500):
            params: dict[str, Any] = {"nodes": nodes[start:start + 500]}
            if since is not None:
                params["since"] = since
            if until is not None:
                params["until"] = until
            out.extend(recall.Edge(*row) for row in session.execute(stmt, params))
        return out

    return edges_of


def _events_of_nodes(session: Session, nodes: Iterable[str], since: dt.datetime | None = None,
                     until: dt.datetime | None = None, limit: int = 5000,
                     skip_steps: Sequence[str] = ()) -> list[Any]:
    """The stored events that mention any of ``nodes`` (as EPC, class, parent or child)."""
    ids: set[int] = set()
    values = sorted(n for n in nodes if not n.startswith("tx:"))
    for start in range(0, len(values), 500):
        ids.update(session.scalars(select(EventRef.event_pk).where(
            EventRef.value.in_(values[start:start + 500]),
            EventRef.field.notin_(("bizTransaction", "source", "destination")))))
    if not ids:
        return []
    rows: list[Any] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        stmt = select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.event_type,
                      EpcisEvent.event_time, EpcisEvent.biz_step, EpcisEvent.biz_location,
                      EpcisEvent.read_point, EpcisEvent.document).where(
            EpcisEvent.id.in_(ordered[start:start + 500]))
        if since is not None:
            stmt = stmt.where(EpcisEvent.event_time >= since)
        if until is not None:
            stmt = stmt.where(EpcisEvent.event_time < until)
        if skip_steps:
            stmt = stmt.where(or_(EpcisEvent.biz_step.is_(None),
                                  EpcisEvent.biz_step.notin_(skip_steps)))
        rows.extend(session.execute(stmt))
    rows.sort(key=lambda r: (r.event_time, r.id))
    return rows[:limit]


def _events_by_pk(session: Session, pks: Iterable[int]) -> list[Any]:
    ordered = sorted(set(pks))
    rows: list[Any] = []
    for start in range(0, len(ordered), 500):
        rows.extend(session.execute(
            select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.event_type,
                   EpcisEvent.event_time, EpcisEvent.biz_step, EpcisEvent.biz_location,
                   EpcisEvent.read_point, EpcisEvent.document)
            .where(EpcisEvent.id.in_(ordered[start:start + 500]))))
    return rows


# The read paths of the resolver and of recall run on every scan: their statements are built
# once (values bound as expanding parameters) and they read Core rows, which carry the same
# attribute names as the models, instead of loading ORM objects. Building a statement and
# loading entities cost more than the indexed queries themselves (``bench_trace``).


@functools.cache
def _q_rows_in(model: Any, column: str) -> Executable:
    """The rows of ``model`` whose ``column`` is one of the bound ``values``."""
    table = model.__table__
    return select(table).where(table.c[column].in_(bindparam("values", expanding=True)))


@dataclass
class _Known:
    """What the platform knows about canonical identifiers: lots, items, logistic units,
    locations (one query per kind, whatever the number of identifiers). Values are rows with
    the columns of ``Lot``, ``Item``, ``LogisticUnit``, ``Location`` and ``Product``."""

    lots: dict[str, Any]
    items: dict[str, Any]
    units: dict[str, Any]
    locations: dict[str, Any]
    products: dict[int, Any]


def _known(session: Session, ids: Iterable[str]) -> _Known:
    values = sorted(set(i for i in ids if i and not i.startswith("tx:")))
    # Canonical Digital Links say what they are: /10/ a lot, /21/ an item, /00/ an SSCC,
    # /414/ a location; each kind is one query, and only when there is something to find.
    wanted: dict[Any, list[str]] = {Lot: [], Item: [], LogisticUnit: [], Location: []}
    for value in values:
        if "/10/" in value:
            wanted[Lot].append(value)
        elif "/21/" in value:
            wanted[Item].append(value)
        elif "/00/" in value:
            wanted[LogisticUnit].append(value)
        elif "/414/" in value:
            wanted[Location].append(value)
        else:  # not a GS1 key we issue: look everywhere
            for bucket in wanted.values():
                bucket.append(value)

    def fetch(model: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        keys = wanted[model]
        for start in range(0, len(keys), 500):
            for row in session.execute(_q_rows_in(model, "canonical"),
                                       {"values": keys[start:start + 500]}):
                out[row.canonical] = row
        return out

    lots, items, units_, locations = fetch(Lot), fetch(Item), fetch(LogisticUnit), \
        fetch(Location)
    product_ids = {lot.product_id for lot in lots.values()} | {
        item.product_id for item in items.values()}
    products = {p.id: p for p in session.execute(
        _q_rows_in(Product, "id"), {"values": sorted(product_ids)})} if product_ids else {}
    return _Known(lots, items, units_, locations, products)


_ROUTINE_STEPS = ("storing", "sensor_reporting", "cycle_counting", "stock_taking")
_STEP_LABELS: dict[str, tuple[str, str]] = {
    "commissioning": ("Thu hoạch, tạo lô", "Harvested, lot created"),
    "creating_class_instance": ("Chế biến", "Processed"),
    "packing": ("Đóng gói", "Packed"),
    "shipping": ("Xuất hàng", "Shipped"),
    "receiving": ("Nhận hàng", "Received"),
    "departing": ("Rời kho", "Departed"),
    "arriving": ("Đến nơi", "Arrived"),
    "storing": ("Lưu kho", "Stored"),
    "inspecting": ("Kiểm tra", "Inspected"),
    "retail_selling": ("Bán lẻ", "Sold at retail"),
    "stock_taking": ("Kiểm đếm lại", "Recounted"),
    "removing": ("Thu hồi", "Recalled"),
    "holding": ("Tạm giữ", "Held"),
    "transporting": ("Vận chuyển", "Transported"),
    "unpacking": ("Tháo kiện", "Unpacked"),
    "loading": ("Xếp hàng lên xe", "Loaded"),
    "unloading": ("Dỡ hàng", "Unloaded"),
}
_PROCESS_LABELS: dict[str, tuple[str, str]] = {
    "drying": ("Sấy", "Dried"), "milling": ("Xay xát", "Milled"),
    "sorting": ("Phân loại", "Sorted"), "packing": ("Đóng gói", "Packed"),
}


def step_label(step: str | None, process: str | None = None) -> tuple[str, str]:
    if process and process in _PROCESS_LABELS:
        return _PROCESS_LABELS[process]
    if step is None:
        return ("Sự kiện", "Event")
    return _STEP_LABELS.get(step, (step.replace("_", " "), step.replace("_", " ")))


def _place_of(event: Mapping[str, Any], row: Any) -> str | None:
    place: str | None = row.biz_location or row.read_point
    return place


# ------------------------------------------------------------------------------------------
# The resolver and the consumer view (public: no personal data by construction)


def _gtin_or_404(gtin: str) -> str:
    try:
        return normalise_gtin(gtin)
    except GS1Error as exc:
        raise NotFound(exc.message_vi, exc.message_en) from exc


def _unknown_lot(gtin: str, lot: str | None, serial: str | None) -> NotFound:
    what = f"lô {lot}" if lot else f"số sê-ri {serial}" if serial else "sản phẩm"
    what_en = f"lot {lot}" if lot else f"serial {serial}" if serial else "product"
    return NotFound(f"Không tìm thấy {what} của mã sản phẩm (GTIN) {gtin}. Mã QR có thể đã bị "
                    "in sai hoặc không do hệ thống này cấp.",
                    f"No {what_en} of GTIN {gtin} is known here. The QR code may be misprinted "
                    "or not issued by this system.")


class Withdrawn(AppError):
    status, code = 410, "withdrawn"
    title_vi, title_en = "Lô hàng không còn hiệu lực", "Lot withdrawn"


def _round(value: float | None) -> float | None:
    # About 1 km: where the field is, never whose house it is.
    return round(value, 2) if value is not None else None


@functools.cache
def _resolver_queries() -> dict[str, Executable]:
    """The resolver's own look-ups, built once (see the read paths' note above)."""
    lots, items, products = Lot.__table__, Item.__table__, Product.__table__
    locations, ocop = Location.__table__, OcopProduct.__table__
    gtin, key = bindparam("gtin", type_=String), bindparam("key", type_=String)
    id_ = bindparam("id", type_=Integer)
    return {
        "product": select(products).where(products.c.gtin == gtin),
        "lot": select(lots).where(lots.c.gtin == gtin, lots.c.lot_code == key),
        "item": select(items).where(items.c.gtin == gtin, items.c.serial == key),
        "lot_by_id": select(lots).where(lots.c.id == id_),
        "location": select(locations).where(locations.c.id == id_),
        "ocop": select(ocop).where(ocop.c.product_id == id_,
                                   ocop.c.status == "active").limit(1),
    }


def _q_resolve(what: str) -> Executable:
    return _resolver_queries()[what]


def consumer_view(uow: UnitOfWork, gtin: str, lot_code: str | None = None,
                  serial: str | None = None) -> ConsumerView:
    """What a scan of a lot's (or item's) QR code shows: product, producer organisation,
    planting-area code, harvest date, certifications, OCOP stars and the journey."""
    gtin14 = _gtin_or_404(gtin)
    with uow:
        s = uow.session
        product = s.execute(_q_resolve("product"), {"gtin": gtin14}).first()
        if product is None:
            raise _unknown_lot(gtin14, lot_code, serial)
        lot: Any = None  # rows with the columns of Lot and Item (see _q_resolve)
        item: Any = None
        if lot_code is not None:
            lot = s.execute(_q_resolve("lot"), {"gtin": gtin14, "key": lot_code}).first()
            if lot is None:
                raise _unknown_lot(gtin14, lot_code, serial)
        if serial is not None:
            item = s.execute(_q_resolve("item"), {"gtin": gtin14, "key": serial}).first()
            if item is None:
                raise _unknown_lot(gtin14, lot_code, serial)
            if lot is None and item.lot_id is not None:
                lot = s.execute(_q_resolve("lot_by_id"), {"id": item.lot_id}).first()
        status = lot.status if lot else (item.status if item else "active")
        reason = lot.status_reason if lot else None
        if status == "withdrawn":
            raise Withdrawn(
                "Lô hàng này đã được nhà sản xuất rút lại, thông tin không còn hiệu lực"
                + (f": {reason}" if reason else "."),
                "The producer withdrew this lot; its information is no longer valid"
                + (f": {reason}" if reason else "."))
        org = None
        organisation_id = (lot.organisation_id if lot else None) or product.organisation_id
        if organisation_id is not None:
            org = registry.get_organisation(uow, organisation_id)
        producer_commune = producer_province = None
        if org is not None:
            producer_commune = _unit_name(uow, org.commune_code)
            producer_province = _unit_name(uow, org.province_code)
        start = {lot.canonical} if lot else set()
        if item is not None:
            start.add(item.canonical)
        timeline, points = _journey(s, start)
        farm = s.execute(_q_resolve("location"), {"id": lot.location_id}).first() if (
            lot and lot.location_id) else None
        if farm is not None and farm.lat is not None and farm.lon is not None and not any(
            p.label == farm.name for p in points
        ):
            points.insert(0, MapPoint(lat=_round(farm.lat) or 0, lon=_round(farm.lon) or 0,
                                      label=farm.name))
        ocop = s.execute(_q_resolve("ocop"), {"id": product.id}).first()
        certifications = list(lot.certifications) if lot else []
        query = (f"/epcis/events?MATCH_anyEPCClass={lot.epc_class}" if lot else
                 f"/epcis/events?MATCH_anyEPC={item.epc}" if item else "/epcis/events")
        return ConsumerView(
            link=digital_link(gtin14, lot_code, serial), gtin=gtin14, lot_code=lot_code,
            serial=serial, product_name=product.name, product_name_en=product.name_en,
            producer_name=org.name if org else None, producer_kind=org.kind if org else None,
            producer_commune=producer_commune, producer_province=producer_province,
            planting_area_code=(lot.planting_area_code if lot else None) or (
                farm.planting_area_code if farm else None),
            crop=lot.crop if lot else product.crop, variety=lot.variety if lot else None,
            harvest_date=lot.harvest_date if lot else None,
            production_date=lot.production_date if lot else None,
            expiry_date=lot.expiry_date if lot else None, certifications=certifications,
            ocop_stars=ocop.stars if ocop else None,
            ocop_certificate=ocop.certificate_no if ocop else None, status=status,
            status_reason=reason, timeline=timeline, map_points=points, epcis_query=query,
        )


@functools.cache
def _q_closure(forward: bool, seeds: int) -> TextClause:
    near, far = ("src", "dst") if forward else ("dst", "src")
    starts = " UNION ALL ".join(f"SELECT CAST(:s{n} AS VARCHAR(300)) AS node, 0 AS depth"
                                for n in range(seeds))
    return text(
        f"WITH RECURSIVE walk(node, depth) AS ({starts} "
        f"UNION SELECT e.{far}, w.depth + 1 FROM walk w CROSS JOIN trace_lineage e "
        f"WHERE e.{near} = w.node AND w.depth < :max_depth) "
        f"SELECT e.src, e.dst, e.kind, e.event_pk, e.event_time, MIN(w.depth) AS depth "
        f"FROM walk w CROSS JOIN trace_lineage e WHERE e.{near} = w.node "
        f"AND w.depth < :max_depth "
        f"GROUP BY e.id, e.src, e.dst, e.kind, e.event_pk, e.event_time")


def _closure(session: Session, start: set[str], *, forward: bool, max_depth: int) -> recall.Walk:
    """The lineage upstream (or downstream) of ``start`` in one recursive query.

    For the consumer page, whose graphs are small: the depth bound ends cycles. Recalls, whose
    graphs may be large and cyclic, walk level by level instead (:func:`recall.walk`).
    ``walk CROSS JOIN trace_lineage`` keeps SQLite's planner from scanning the whole lineage
    index and probing the walk (it keeps the written join order); PostgreSQL reads it as an
    inner join.
    """
    params: dict[str, Any] = {"max_depth": max_depth}
    for n, node in enumerate(sorted(start)):
        params[f"s{n}"] = node
    result = recall.Walk()
    for node in start:
        result.depth[node] = 0
    for src, dst, kind, event_pk, event_time, depth in session.execute(
            _q_closure(forward, len(start)), params):
        time = event_time if isinstance(event_time, dt.datetime) else dt.datetime.fromisoformat(
            str(event_time))
        if time.tzinfo is None:
            time = time.replace(tzinfo=dt.UTC)
        result.edges.append(recall.Edge(src, dst, kind, event_pk, time))
        reached = dst if forward else src
        if reached not in result.depth or result.depth[reached] > depth + 1:
            result.depth[reached] = depth + 1
    return result


@functools.cache
def _q_journey_events(with_pks: bool, limit: int) -> Executable:
    mentions = select(EventRef.event_pk).where(
        EventRef.value.in_(bindparam("values", expanding=True)),
        EventRef.field.notin_(("bizTransaction", "source", "destination")))
    return select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.event_type,
                  EpcisEvent.event_time, EpcisEvent.biz_step, EpcisEvent.biz_location,
                  EpcisEvent.read_point, EpcisEvent.document).where(
        or_(EpcisEvent.id.in_(mentions),
            EpcisEvent.id.in_(bindparam("pks", expanding=True)))
        if with_pks else EpcisEvent.id.in_(mentions),
        or_(EpcisEvent.biz_step.is_(None),
            EpcisEvent.biz_step.notin_(bindparam("skip", expanding=True))),
    ).order_by(EpcisEvent.event_time.desc(), EpcisEvent.id.desc()).limit(limit)


def _events_of_journey(session: Session, nodes: Iterable[str], event_pks: set[int],
                       skip_steps: Sequence[str], limit: int) -> list[Any]:
    """The events that mention the nodes (and the lineage's own events), in one query."""
    params: dict[str, Any] = {"values": sorted(n for n in nodes if not n.startswith("tx:")),
                              "skip": list(skip_steps)}
    if event_pks:
        params["pks"] = sorted(event_pks)
    return list(session.execute(_q_journey_events(bool(event_pks), limit), params))


def _journey(session: Session, start: set[str]) -> tuple[list[TimelineStep], list[MapPoint]]:
    """The lot's journey: upstream through processing to the fields, and forward into the
    packs that carried it (not into other products made from it)."""
    if not start:
        return [], []
    back = _closure(session, start, forward=False, max_depth=12)
    # Forward only into packs, level by level: a kind filter inside the recursive query makes
    # SQLite build a Bloom filter over the whole lineage index on every call.
    ahead = recall.walk(start, _edges_from_db(session, True, None, None), forward=True,
                        max_depth=4, follow=lambda e: e.kind in ("aggregation", "association"))
    nodes = set(back.depth) | set(ahead.depth)
    # Routine storage checks and sensor readings are for inspectors, not the consumer page.
    rows = _events_of_journey(session, nodes, {e.event_pk for e in back.edges},
                              _ROUTINE_STEPS, limit=200)
    ordered = sorted(rows, key=lambda r: (r.event_time, r.id))[-60:]
    places = {p for r in ordered for p in (r.biz_location, r.read_point) if p}
    # A lot's product is named by the GTIN in its identifier: the lots themselves are not
    # looked up (one random index read each when the database is on disk).
    known = _known(session, places | {n for n in nodes if "/10/" not in n})
    events_ = [(row, epcis_json_loads(row.document)) for row in ordered]
    lot_classes = {epcis.normalise_id(element["epcClass"]) for _, event in events_
                   for element in _quantity_elements(event)}
    gtins = {c: _gtin_of_lot(c) for c in lot_classes}
    products = {p.gtin: p for p in session.execute(
        _q_rows_in(Product, "gtin"), {"values": sorted({g for g in gtins.values() if g})})
    } if any(gtins.values()) else {}
    steps: list[TimelineStep] = []
    points: list[MapPoint] = []
    for row, event in events_:
        vi, en = step_label(row.biz_step, event.get("nongso:processKind"))
        if row.event_type == "AggregationEvent" and row.biz_step == "packing":
            vi, en = "Xếp vào kiện hàng", "Packed into a logistic unit"
        place = known.locations.get(_place_of(event, row) or "")
        product = None
        quantity = None
        for element in _quantity_elements(event):
            p = products.get(gtins.get(epcis.normalise_id(element["epcClass"])) or "")
            if p is not None:
                product = p.name
                if "quantity" in element:
                    quantity = _quantity_text(element["quantity"], element.get("uom"))
                break
        if product is None:
            unit_ = next((known.units[epcis.normalise_id(e)] for e in event.get("epcList") or ()
                          if epcis.normalise_id(e) in known.units), None)
            if unit_ is not None:
                product = unit_.label
        steps.append(TimelineStep(
            time=row.event_time, step=row.biz_step or row.event_type, label_vi=vi, label_en=en,
            place=place.name if place else None, commune=place.address if place else None,
            product=product, quantity=quantity,
        ))
        if place is not None and place.lat is not None and place.lon is not None and not any(
            p.label == place.name for p in points
        ):
            points.append(MapPoint(lat=_round(place.lat) or 0, lon=_round(place.lon) or 0,
                                   label=place.name))
    return steps, points


def _quantity_elements(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a timeline step names: the outputs, the quantities or the packed children."""
    return list(event.get("outputQuantityList") or event.get("quantityList") or
                event.get("childQuantityList") or [])


def _gtin_of_lot(canonical: str) -> str | None:
    """The GTIN of a lot's Digital Link (``…/01/{gtin}/10/{lot}``); anything else → ``None``."""
    try:
        link = parse_digital_link(canonical)
    except GS1Error:
        return None
    return link.gtin if link.lot is not None and link.serial is None else None


_UNITS = {"KGM": "kg", "TNE": "t", "GRM": "g", "LTR": "L", "H87": "", "EA": ""}


def _quantity_text(value: float, uom: str | None) -> str:
    """12500 KGM → "12.500 kg" (Vietnamese thousands)."""
    number = f"{value:,.3f}".rstrip("0").rstrip(".").replace(",", "\x00").replace(
        ".", ",").replace("\x00", ".")
    unit = _UNITS.get(uom or "", uom or "")
    return f"{number} {unit}".strip()


LINK_TYPES = {
    "gs1:defaultLink": "https://gs1.org/voc/defaultLink",
    "gs1:pip": "https://gs1.org/voc/pip",
    "gs1:traceability": "https://gs1.org/voc/traceability",
    "gs1:epcis": "https://gs1.org/voc/epcis",
    "gs1:recallStatus": "https://gs1.org/voc/recallStatus",
    "gs1:certificationInfo": "https://gs1.org/voc/certificationInfo",
}


def linkset(view: ConsumerView) -> dict[str, Any]:
    """The resolver's links of a lot as an RFC 9264 linkset (GS1-Conformant Resolver)."""
    base = get_settings().base_url.rstrip("/")
    page = view.link
    links: dict[str, list[dict[str, Any]]] = {
        LINK_TYPES["gs1:defaultLink"]: [{"href": page, "title": view.product_name,
                                         "type": "text/html", "hreflang": ["vi", "en"]}],
        LINK_TYPES["gs1:pip"]: [{"href": page, "title": "Thông tin sản phẩm / product "
                                 "information", "type": "text/html", "hreflang": ["vi", "en"]}],
        LINK_TYPES["gs1:traceability"]: [{"href": page + "#hanh-trinh",
                                          "title": "Hành trình / journey", "type": "text/html"}],
        LINK_TYPES["gs1:epcis"]: [{"href": base + view.epcis_query,
                                   "title": "EPCIS 2.0 events", "type": "application/ld+json"}],
        LINK_TYPES["gs1:recallStatus"]: [{"href": page + "?linkType=gs1:recallStatus",
                                          "title": f"status: {view.status}",
                                          "type": "application/json"}],
    }
    if view.ocop_certificate:
        links[LINK_TYPES["gs1:certificationInfo"]] = [{
            "href": page, "title": f"OCOP {view.ocop_stars}★ {view.ocop_certificate}",
            "type": "text/html"}]
    return {"linkset": [{"anchor": page, **links}]}


# ------------------------------------------------------------------------------------------
# QR codes and label sheets


def _lot_label(s: Session, lot: Lot) -> qr.Label:
    product = s.get(Product, lot.product_id)
    assert product is not None
    lines = [f"Lô: {lot.lot_code}"]
    if lot.harvest_date:
        lines.append(f"Thu hoạch: {lot.harvest_date:%d/%m/%Y}")
    if lot.expiry_date:
        lines.append(f"HSD: {lot.expiry_date:%d/%m/%Y}")
    if lot.planting_area_code:
        lines.append(f"Mã vùng trồng: {lot.planting_area_code}")
    if lot.certifications:
        lines.append(", ".join(lot.certifications))
    return qr.Label(digital_link(lot.gtin, lot.lot_code), product.name, lines,
                    f"(01){lot.gtin}(10){lot.lot_code}")


def _item_label(s: Session, item: Item) -> qr.Label:
    product = s.get(Product, item.product_id)
    assert product is not None
    lines = [item.label]
    if item.planted_year:
        lines.append(f"Trồng năm {item.planted_year}")
    return qr.Label(digital_link(item.gtin, serial=item.serial), product.name, lines,
                    f"(01){item.gtin}(21){item.serial}")


def lot_qr(uow: UnitOfWork, lot_id: int, kind: str) -> bytes:
    """The QR code of a lot's Digital Link URI, as PNG or SVG."""
    require_role(uow.principal, *READ_ROLES)
    with uow:
        lot = _load_lot(uow.session, lot_id)
        uri = digital_link(lot.gtin, lot.lot_code)
    return qr.qr_png(uri) if kind == "png" else qr.qr_svg(uri).encode()


def item_qr(uow: UnitOfWork, item_id: int, kind: str) -> bytes:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        item = uow.session.get(Item, item_id)
        if item is None:
            raise not_found("đối tượng", "item", item_id)
        uri = digital_link(item.gtin, serial=item.serial)
    return qr.qr_png(uri) if kind == "png" else qr.qr_svg(uri).encode()


def label_sheet(uow: UnitOfWork, data: LabelSheetRequest) -> bytes:
    """A printable A4 sheet (PDF) of QR labels for lots and items, ``copies`` of each."""
    require_role(uow.principal, *READ_ROLES)
    if not data.lot_ids and not data.item_ids:
        raise ValidationFailed("Chọn ít nhất một lô hoặc một đối tượng.",
                               "Choose at least one lot or item.",
                               [FieldError("lot_ids", "Trống", "Empty")])
    with uow:
        s = uow.session
        labels: list[qr.Label] = []
        for lot_id in data.lot_ids:
            labels.extend([_lot_label(s, _load_lot(s, lot_id))] * data.copies)
        for item_id in data.item_ids:
            item = s.get(Item, item_id)
            if item is None:
                raise not_found("đối tượng", "item", item_id)
            labels.extend([_item_label(s, item)] * data.copies)
    if len(labels) > 2400:
        raise ValidationFailed("Tối đa 2400 nhãn (100 trang) mỗi lần in.",
                               "At most 2400 labels (100 pages) per sheet.",
                               [FieldError("copies", "Quá nhiều", "Too many")])
    return qr.label_sheet_pdf(labels)


# ------------------------------------------------------------------------------------------
# Recall: forward (every downstream lot, shipment and receiving place) and backward (every
# upstream lot, field, season, spray and input dealer)


RECALL_ROLES = ("inspector", "province_officer", "commune_officer", "coop_manager", "buyer")
_MOVES = frozenset({"shipping", "receiving", "departing", "arriving", "transporting",
                    "retail_selling", "loading", "unloading"})


def _recall_start(s: Session, data: RecallRequest) -> tuple[set[str], str]:
    value = data.value.strip()
    if data.kind in ("lot", "item", "epc"):
        lot = None
        if data.kind == "lot" and value.isdigit():
            lot = s.get(Lot, int(value))
        if lot is None and data.kind == "lot" and "/01/" in value:
            try:
                link = parse_digital_link(value)
            except GS1Error as exc:
                raise ValidationFailed(exc.message_vi, exc.message_en,
                                       [FieldError("value", exc.message_vi,
                                                   exc.message_en)]) from exc
            lot = s.scalar(select(Lot).where(Lot.gtin == link.gtin, Lot.lot_code == link.lot))
        if lot is None and data.kind == "lot":
            lot = s.scalar(select(Lot).where(or_(Lot.lot_code == value,
                                                 Lot.epc_class == value)).limit(1))
        if lot is not None:
            return {lot.canonical}, lot.label
        if data.kind == "lot":
            raise not_found("lô hàng", "lot", value)
        canonical = epcis.normalise_id(value)
        return {canonical}, value
    if data.kind == "input_batch":
        lot_ids = set(s.scalars(select(LotInput.lot_id).where(or_(
            LotInput.purchase_lot == value, func.lower(LotInput.product_name) == value.lower()
        ))))
        lots = s.scalars(select(Lot).where(Lot.id.in_(lot_ids))).all() if lot_ids else []
        starts = {lot.canonical for lot in lots}
        canonical = epcis.normalise_id(value)
        if ":" in value:  # an input batch captured as an EPC class in EPCIS
            starts.add(canonical)
        if not starts:
            raise not_found("lô vật tư", "input batch", value)
        return starts, f"Lô vật tư {value} ({len(lots)} lô nông sản)"
    # a farm: a registry field id, a GLN or a planting-area code
    stmt = select(Lot)
    if value.isdigit() and len(value) == 13:
        location = s.scalar(select(Location).where(Location.gln == value))
        if location is None:
            raise not_found("địa điểm", "location", value)
        stmt = stmt.where(Lot.location_id == location.id)
    elif value.isdigit():
        stmt = stmt.where(Lot.production_unit_id == int(value))
    else:
        stmt = stmt.where(Lot.planting_area_code == value)
    stmt = stmt.where(Lot.source.like("diary:%") | Lot.harvest_date.is_not(None))
    if data.since is not None:
        stmt = stmt.where(Lot.harvest_date >= _local_date(data.since))
    if data.until is not None:
        stmt = stmt.where(Lot.harvest_date < _local_date(data.until) + dt.timedelta(days=1))
    lots = s.scalars(stmt.limit(5000)).all()
    if not lots:
        raise not_found("lô thu hoạch của vùng/ruộng", "harvested lot of the farm", value)
    return {lot.canonical for lot in lots}, f"Ruộng/vùng {value} ({len(lots)} lô)"


def recall_trace(uow: UnitOfWork, data: RecallRequest) -> RecallReport:
    """Forward and/or backward trace of a lot, an input batch or a farm in a time window."""
    require_role(uow.principal, *RECALL_ROLES)
    if data.since and data.until and data.since >= data.until:
        raise ValidationFailed("«since» phải trước «until».", "'since' must be before 'until'.",
                               [FieldError("until", "Trước since", "Before since")])
    with uow:
        s = uow.session
        start, start_label = _recall_start(s, data)
        forward = back = None
        if data.direction in ("forward", "both"):
            forward = recall.walk(start, _edges_from_db(s, True, data.since, data.until),
                                  forward=True)
        if data.direction in ("backward", "both"):
            back = recall.walk(start, _edges_from_db(s, False, data.since, data.until),
                               forward=False)
        depth: dict[str, tuple[str, int]] = {n: ("start", 0) for n in start}
        edges: list[recall.Edge] = []
        for name, result in (("forward", forward), ("backward", back)):
            if result is None:
                continue
            edges.extend(result.edges)
            for node, d in result.depth.items():
                depth.setdefault(node, (name, d))
        known = _known(s, depth)
        event_rows = {r.id: r for r in _events_by_pk(s, {e.event_pk for e in edges})}
        nodes: list[RecallNode] = []
        for node, (direction, d) in sorted(depth.items(), key=lambda x: (x[1][1], x[0])):
            nodes.append(_recall_node(node, direction, d, known, event_rows, edges))
        # Shipments and receiving places: the moves of the start and downstream nodes.
        moving = {n for n, (direction, _) in depth.items() if direction in ("start", "forward")}
        if data.direction == "backward":
            moving = set(start)
        shipments: list[RecallShipment] = []
        locations: dict[str, RecallLocation] = {}
        rows = _events_of_nodes(s, moving, data.since, data.until)
        places = {p for r in rows for p in (r.biz_location, r.read_point) if p}
        for r in rows:
            event = epcis_json_loads(r.document)
            for member in ("destinationList", "sourceList"):
                for x in event.get(member) or ():
                    places.add(epcis.normalise_id(x.get("destination") or x.get("source")))
        places_known = _known(s, places).locations
        for r in rows:
            event = epcis_json_loads(r.document)
            if r.biz_step not in _MOVES:
                continue
            destination = next((epcis.normalise_id(x["destination"]) for x in
                                event.get("destinationList") or () if
                                epcis.cbv_short(x["type"], "SDT") == "location"), None)
            source = next((epcis.normalise_id(x["source"]) for x in event.get("sourceList") or ()
                           if epcis.cbv_short(x["type"], "SDT") == "location"), None)
            where = r.biz_location or r.read_point
            shipments.append(RecallShipment(
                event_id=r.event_id, time=r.event_time, step=r.biz_step,
                objects=[*(event.get("epcList") or ()),
                         *(q["epcClass"] for q in event.get("quantityList") or ())],
                source=_place_name(places_known, source),
                destination=_place_name(places_known, destination),
                location=_place_name(places_known, where),
                transactions=[t["bizTransaction"] for t in event.get("bizTransactionList")
                              or ()]))
            role_places = [(destination, "destination")] if r.biz_step in (
                "shipping", "departing") else [(where, "receiving")]
            for canonical, role in role_places:
                if canonical is None or (canonical in locations and locations[
                        canonical].role == "receiving"):
                    continue
                found = places_known.get(canonical)
                locations[canonical] = RecallLocation(
                    id=canonical, name=found.name if found else canonical,
                    kind=found.kind if found else None,
                    commune_code=found.commune_code if found else None,
                    first_seen=min(r.event_time, locations[canonical].first_seen)
                    if canonical in locations else r.event_time, role=role)
        origins, dealers, diary_available = _origins(uow, depth, known)
        return RecallReport(
            start=sorted(start), start_label=start_label, direction=data.direction,
            since=data.since, until=data.until, nodes=nodes,
            edges=[RecallEdge(src=e.src, dst=e.dst, kind=e.kind,
                              event_id=event_rows[e.event_pk].event_id, time=e.time)
                   for e in edges if e.event_pk in event_rows],
            shipments=shipments, locations=sorted(locations.values(),
                                                  key=lambda x: x.first_seen),
            origins=origins, dealers=dealers,
            truncated=bool((forward and forward.truncated) or (back and back.truncated)),
            diary_available=diary_available,
        )


def _place_name(places: Mapping[str, Location], canonical: str | None) -> str | None:
    if canonical is None:
        return None
    found = places.get(canonical)
    return found.name if found else canonical


def _recall_node(node: str, direction: str, depth: int, known: _Known,
                 event_rows: Mapping[int, Any], edges: Sequence[recall.Edge]) -> RecallNode:
    lot = known.lots.get(node)
    if lot is not None:
        product = known.products.get(lot.product_id)
        return RecallNode(id=node, kind="lot", label=lot.label, direction=direction,
                          depth=depth, lot_id=lot.id, gtin=lot.gtin, lot_code=lot.lot_code,
                          product=product.name if product else None, status=lot.status,
                          quantity=lot.quantity)
    item = known.items.get(node)
    if item is not None:
        return RecallNode(id=node, kind="item", label=item.label, direction=direction,
                          depth=depth, gtin=item.gtin, status=item.status)
    unit = known.units.get(node)
    if unit is not None:
        return RecallNode(id=node, kind="logistic_unit", label=unit.label, direction=direction,
                          depth=depth)
    if node.startswith("tx:"):
        pk = next((e.event_pk for e in edges if node in (e.src, e.dst)), None)
        row = event_rows.get(pk) if pk is not None else None
        label = "Chế biến / transformation"
        if row is not None:
            event = epcis_json_loads(row.document)
            vi, _ = step_label(row.biz_step, event.get("nongso:processKind"))
            label = f"{vi} {row.event_time.astimezone(VN_TIME):%d/%m/%Y}"
        return RecallNode(id=node, kind="transformation", label=label, direction=direction,
                          depth=depth)
    return RecallNode(id=node, kind="other", label=node, direction=direction, depth=depth)


def _origins(uow: UnitOfWork, depth: Mapping[str, tuple[str, int]], known: _Known
             ) -> tuple[list[RecallOrigin], list[dict[str, Any]], bool]:
    """The fields, seasons, inputs and input dealers upstream (from the farm diary)."""
    from nongso.diary import services as diary

    s = uow.session
    origins: list[RecallOrigin] = []
    dealers: dict[int | str, dict[str, Any]] = {}
    available = True
    for node, (direction, _) in depth.items():
        if direction == "forward":
            continue
        lot = known.lots.get(node)
        if lot is None or (lot.season_id is None and lot.production_unit_id is None):
            continue
        location = s.get(Location, lot.location_id) if lot.location_id else None
        season: dict[str, Any] | None = None
        inputs: list[RecallInput] = []
        if lot.season_id is not None:
            try:
                season = diary.get_season(uow, lot.season_id).model_dump(mode="json")
                uses = diary.season_input_uses(uow, lot.season_id)
                inputs = [RecallInput(
                    season_id=lot.season_id, name=u.product_name, kind=u.input_kind,
                    batch=u.purchase_lot, quantity=f"{u.quantity:g} {u.unit}",
                    applied_on=_local_date(u.at), dealer_id=u.dealer_organisation_id,
                    dealer_name=u.dealer_name, banned=any("banned" in f for f in u.flags),
                ) for u in uses]
            except AppError:
                available = False  # a season the caller may not see, or that is gone
                inputs = [RecallInput(
                    season_id=lot.season_id, name=x.product_name, kind=x.input_kind,
                    batch=x.purchase_lot, quantity=x.quantity,
                    applied_on=_local_date(x.applied_at), dealer_id=x.dealer_organisation_id,
                    dealer_name=x.dealer_name, banned=any("banned" in f for f in x.flags),
                ) for x in s.scalars(select(LotInput).where(LotInput.lot_id == lot.id))]
        for use in inputs:
            key = use.dealer_id if use.dealer_id is not None else (use.dealer_name or "")
            if not key:
                continue
            dealer = dealers.setdefault(key, {"id": use.dealer_id, "name": use.dealer_name,
                                              "inputs": []})
            entry = f"{use.name}" + (f" (lô {use.batch})" if use.batch else "")
            if entry not in dealer["inputs"]:
                dealer["inputs"].append(entry)
        origins.append(RecallOrigin(
            lot_id=lot.id, node=node, label=lot.label, production_unit_id=lot.production_unit_id,
            location=location.name if location else None,
            planting_area_code=lot.planting_area_code, harvest_date=lot.harvest_date,
            season_id=lot.season_id, season=season, inputs=inputs,
        ))
    return origins, list(dealers.values()), available


def recall_excel(report: RecallReport, lang: str = "vi") -> bytes:
    """The recall report as an Excel workbook (one sheet per part, bilingual headers)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    def local(value: dt.datetime | None) -> str:
        return value.astimezone(VN_TIME).strftime("%d/%m/%Y %H:%M") if value else ""

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Tóm tắt"
    rows: list[tuple[str, Any]] = [
        ("Truy xuất / Trace", report.start_label),
        ("Hướng / Direction", report.direction),
        ("Từ / Since", local(report.since)), ("Đến / Until", local(report.until)),
        ("Số lô và đối tượng / Lots and objects", len(report.nodes)),
        ("Số lần vận chuyển / Moves", len(report.shipments)),
        ("Nơi nhận hàng / Receiving places", len(report.locations)),
        ("Ruộng, vụ gốc / Origins", len(report.origins)),
        ("Đại lý vật tư / Input dealers", len(report.dealers)),
        ("Chưa đầy đủ (giới hạn) / Truncated", "có / yes" if report.truncated else "không / no"),
    ]
    for row in rows:
        summary.append(row)

    def sheet(title: str, header: list[str], data: Iterable[Sequence[Any]]) -> None:
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for line in data:
            ws.append(list(line))
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)

    sheet("Lô hàng", ["Mã / Id", "Loại / Kind", "Tên / Label", "Hướng / Direction",
                      "Bậc / Depth", "GTIN", "Số lô / Lot", "Sản phẩm / Product",
                      "Trạng thái / Status", "Khối lượng (kg) / Quantity"],
          [(n.id, n.kind, n.label, n.direction, n.depth, n.gtin, n.lot_code, n.product,
            n.status, n.quantity) for n in report.nodes])
    sheet("Vận chuyển", ["Thời điểm / Time", "Bước / Step", "Từ / From", "Đến / To",
                         "Nơi / At", "Hàng / Objects", "Giao dịch / Transactions", "eventID"],
          [(local(x.time), x.step, x.source, x.destination, x.location, " ".join(x.objects),
            " ".join(x.transactions), x.event_id) for x in report.shipments])
    sheet("Nơi nhận", ["Địa điểm / Place", "Loại / Kind", "Mã xã / Commune",
                       "Lần đầu / First seen", "Vai trò / Role", "Mã / Id"],
          [(x.name, x.kind, x.commune_code, local(x.first_seen), x.role, x.id)
           for x in report.locations])
    sheet("Nguồn gốc", ["Lô / Lot", "Ruộng / Field", "Mã vùng trồng / Planting area",
                        "Ngày thu hoạch / Harvest", "Vụ / Season"],
          [(o.label, o.location, o.planting_area_code,
            o.harvest_date.strftime("%d/%m/%Y") if o.harvest_date else "",
            (o.season or {}).get("name", o.season_id)) for o in report.origins])
    sheet("Vật tư", ["Vụ / Season", "Vật tư / Input", "Loại / Kind", "Lô vật tư / Batch",
                     "Lượng / Quantity", "Ngày dùng / Applied", "Đại lý / Dealer",
                     "Cấm / Banned"],
          [(i.season_id, i.name, i.kind, i.batch, i.quantity,
            i.applied_on.strftime("%d/%m/%Y") if i.applied_on else "", i.dealer_name,
            "có / yes" if i.banned else "") for o in report.origins for i in o.inputs])
    sheet("Đại lý", ["Đại lý / Dealer", "Vật tư đã bán / Inputs supplied"],
          [(d["name"], "; ".join(d["inputs"])) for d in report.dealers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------
# OCOP products (public information) and the export for the national traceability portal


OCOP_ROLES = ("province_officer", "commune_officer")
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _ocop_public(row: OcopProduct) -> OcopProductPublic:
    out = OcopProductPublic.model_validate(row)
    out.has_image = row.image is not None
    return out


def _load_ocop(session: Session, ocop_id: int) -> OcopProduct:
    row = session.get(OcopProduct, ocop_id)
    if row is None:
        raise not_found("sản phẩm OCOP", "OCOP product", ocop_id)
    return row


def _require_ocop_manager(uow: UnitOfWork, commune_code: str, province_code: str) -> None:
    require_role(uow.principal, *OCOP_ROLES)
    if not uow.principal.is_admin and not uow.principal.covers_unit(commune_code, province_code):
        raise deny()


def create_ocop_product(uow: UnitOfWork, data: OcopProductCreate) -> OcopProductPublic:
    with uow:
        scope = registry.organisation_scope(uow, data.organisation_id)
        _require_ocop_manager(uow, scope.commune_code, scope.province_code)
        s = uow.session
        if data.valid_until <= data.certified_on:
            raise ValidationFailed("Ngày hết hiệu lực phải sau ngày cấp.",
                                   "The validity must end after the certification date.",
                                   [FieldError("valid_until", "Trước ngày cấp",
                                               "Before the certification date")])
        if data.product_id is not None:
            _load_product(s, data.product_id)
        if s.scalar(select(OcopProduct.id).where(
                OcopProduct.certificate_no == data.certificate_no)):
            raise Conflict(f"Giấy chứng nhận {data.certificate_no} đã có.",
                           f"Certificate {data.certificate_no} already exists.",
                           [FieldError("certificate_no", "Đã có", "Already exists")])
        row = OcopProduct(**data.model_dump(), province_code=scope.province_code,
                          commune_code=scope.commune_code)
        s.add(row)
        uow.commit()
        return _ocop_public(row)


def list_ocop_products(uow: UnitOfWork, page: PageRequest, stars: int | None = None,
                       commune_code: str | None = None, q: str | None = None,
                       status: str | None = None) -> Page[OcopProductPublic]:
    """OCOP products are public (a consumer's and a buyer's information)."""
    stmt = select(OcopProduct)
    if stars is not None:
        stmt = stmt.where(OcopProduct.stars == stars)
    if commune_code:
        stmt = stmt.where(OcopProduct.commune_code == commune_code)
    if status:
        stmt = stmt.where(OcopProduct.status == status)
    if q:
        stmt = stmt.where(func.lower(OcopProduct.name).contains(q.lower()))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(OcopProduct.stars.desc(), OcopProduct.id)
                                   .limit(page.limit).offset(page.offset)).all()
        return Page(items=[_ocop_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def get_ocop_product(uow: UnitOfWork, ocop_id: int) -> OcopProductPublic:
    with uow:
        return _ocop_public(_load_ocop(uow.session, ocop_id))


def update_ocop_product(uow: UnitOfWork, ocop_id: int, data: OcopProductUpdate
                        ) -> OcopProductPublic:
    with uow:
        row = _load_ocop(uow.session, ocop_id)
        _require_ocop_manager(uow, row.commune_code, row.province_code)
        for key, value in data.model_dump(exclude_unset=True).items():
            setattr(row, key, value)
        if row.valid_until <= row.certified_on:
            raise ValidationFailed("Ngày hết hiệu lực phải sau ngày cấp.",
                                   "The validity must end after the certification date.",
                                   [FieldError("valid_until", "Trước ngày cấp",
                                               "Before the certification date")])
        uow.commit()
        return _ocop_public(row)


def delete_ocop_product(uow: UnitOfWork, ocop_id: int) -> None:
    with uow:
        row = _load_ocop(uow.session, ocop_id)
        _require_ocop_manager(uow, row.commune_code, row.province_code)
        uow.session.delete(row)
        uow.commit()


def set_ocop_image(uow: UnitOfWork, ocop_id: int, content: bytes) -> OcopProductPublic:
    """Keep the product photo (PNG or JPEG up to 2 MB, checked by decoding it)."""
    import io

    from PIL import Image, UnidentifiedImageError

    if len(content) > MAX_IMAGE_BYTES:
        raise TooLarge("Ảnh tối đa 2 MB.", "The image may be at most 2 MB.")
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = (image.format or "").lower()
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationFailed("Tệp không phải ảnh PNG hoặc JPEG đọc được.",
                               "The file is not a readable PNG or JPEG image.",
                               [FieldError("image", "Không đọc được", "Unreadable")]) from exc
    if kind not in ("png", "jpeg"):
        raise ValidationFailed("Chỉ nhận ảnh PNG hoặc JPEG.", "Only PNG or JPEG is accepted.",
                               [FieldError("image", f"Định dạng {kind}", f"Format {kind}")])
    with uow:
        row = _load_ocop(uow.session, ocop_id)
        _require_ocop_manager(uow, row.commune_code, row.province_code)
        row.image = content
        row.image_type = f"image/{kind}"
        audit.record(uow.session, "set_image", "trace_ocop_products", str(ocop_id),
                     {"bytes": len(content), "type": row.image_type})
        uow.commit()
        return _ocop_public(row)


def ocop_image(uow: UnitOfWork, ocop_id: int) -> tuple[bytes, str]:
    with uow:
        row = _load_ocop(uow.session, ocop_id)
        if row.image is None or row.image_type is None:
            raise not_found("ảnh sản phẩm OCOP", "OCOP product image", ocop_id)
        return bytes(row.image), row.image_type


def ocop_portal_fields() -> list[dict[str, str]]:
    import csv
    from importlib import resources

    path = resources.files("nongso.trace").joinpath("data", "ocop_portal_fields.csv")
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def ocop_export_rows(uow: UnitOfWork, province_code: str | None = None) -> list[dict[str, Any]]:
    """One row per lot of each active OCOP product (or one per product without lots), with the
    fields the national traceability portal asks for."""
    base = get_settings().base_url.rstrip("/")
    with uow:
        s = uow.session
        stmt = select(OcopProduct).where(OcopProduct.status == "active")
        if province_code:
            stmt = stmt.where(OcopProduct.province_code == province_code)
        products = s.scalars(stmt.order_by(OcopProduct.id)).all()
        org_ids = {p.organisation_id for p in products}
        orgs = {o.id: o for o in (registry.get_organisation(uow, i) for i in org_ids)}
        rows: list[dict[str, Any]] = []
        for ocop in products:
            org = orgs[ocop.organisation_id]
            address = ", ".join(x for x in (org.address, _unit_name(uow, org.commune_code))
                                if x)
            lots = s.scalars(select(Lot).where(Lot.product_id == ocop.product_id,
                                               Lot.status == "active")
                             .order_by(Lot.id.desc()).limit(1000)).all() \
                if ocop.product_id is not None else []
            product = s.get(Product, ocop.product_id) if ocop.product_id else None
            common = {
                "product_name": ocop.name,
                "image": f"{base}/api/v1/trace/ocop/{ocop.id}/image" if ocop.image else "",
                "producer_name": org.name, "producer_address": address,
                "stars": ocop.stars, "certificate_no": ocop.certificate_no,
                "valid_until": f"{ocop.valid_until:%d/%m/%Y}",
            }
            shelf = ocop.shelf_life_days or (product.shelf_life_days if product else None)
            if not lots:
                rows.append({**common, "production_time": "",
                             "code": f"(01){product.gtin}" if product else "",
                             "shelf_life": f"{shelf} ngày / days" if shelf else ""})
            for lot in lots:
                made = lot.production_date or lot.harvest_date
                rows.append({
                    **common,
                    "production_time": f"{made:%d/%m/%Y}" if made else "",
                    "code": f"(01){lot.gtin}(10){lot.lot_code} "
                            f"{digital_link(lot.gtin, lot.lot_code)}",
                    "shelf_life": f"{lot.expiry_date:%d/%m/%Y}" if lot.expiry_date else (
                        f"{shelf} ngày / days" if shelf else ""),
                })
        return rows


def ocop_export(uow: UnitOfWork, kind: str, province_code: str | None = None) -> bytes:
    """The portal export as ``csv`` (UTF-8 with BOM), ``xlsx`` or ``json``."""
    import csv
    import io
    import json

    rows = ocop_export_rows(uow, province_code)
    fields = ocop_portal_fields()
    if kind == "json":
        return json.dumps({"fields": fields, "rows": rows}, ensure_ascii=False,
                          indent=1).encode()
    header = [f["label_vi"] for f in fields]
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(f["key"], "") for f in fields])
        return ("\ufeff" + out.getvalue()).encode()
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "OCOP"
    ws.append(header)
    ws.append([f["label_en"] for f in fields])
    for cell in [*ws[1], *ws[2]]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row.get(f["key"], "") for f in fields])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------
# The staff's overview


@dataclass(frozen=True)
class Overview:
    lots: int
    recalled: int
    events: int
    products: int
    checkpoint: CheckpointPublic | None
    recent: list[LotPublic]


def overview(uow: UnitOfWork) -> Overview:
    """Counts and the newest lots the caller may see, and the log's latest checkpoint."""
    require_role(uow.principal, *READ_ROLES)
    with uow:
        s = uow.session
        stmt = select(Lot)
        p = uow.principal
        if p.role in ("coop_manager", "buyer"):
            stmt = stmt.where(Lot.organisation_id == p.organisation_id)
        lots = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        recalled = s.scalar(select(func.count()).select_from(
            stmt.where(Lot.status == "recalled").subquery())) or 0
        recent = [_lot_public(x) for x in s.scalars(stmt.order_by(Lot.id.desc()).limit(20))]
        cp = store.checkpoint_for(s)
        return Overview(
            lots=lots, recalled=recalled, events=store.log_size(s),
            products=s.scalar(select(func.count()).select_from(Product)) or 0,
            checkpoint=_checkpoint_public(cp) if cp else None, recent=recent)


def lot_journey(uow: UnitOfWork, lot_id: int) -> tuple[LotPublic, list[TimelineStep],
                                                        list[MapPoint]]:
    """A lot and its journey for the staff's lot page."""
    require_role(uow.principal, *READ_ROLES)
    with uow:
        lot = _load_lot(uow.session, lot_id)
        steps, points = _journey(uow.session, {lot.canonical})
        return _lot_public(lot), steps, points


def lots_by_organisation(uow: UnitOfWork) -> list[OrganisationLots]:
    """Lots per organisation and year (of harvest, else production, else creation): which
    co-operatives trace their products, for the statistics (admin or the system)."""
    require_role(uow.principal, "admin")
    dated = func.coalesce(Lot.harvest_date, Lot.production_date)
    counts: dict[tuple[int, int], int] = {}
    with uow:
        s = uow.session
        for org, year, n in s.execute(
                select(Lot.organisation_id, extract("year", dated), func.count())
                .where(Lot.organisation_id.is_not(None), dated.is_not(None))
                .group_by(Lot.organisation_id, extract("year", dated))).all():
            key = (int(org or 0), int(year))
            counts[key] = counts.get(key, 0) + int(n)
        for org, year, n in s.execute(
                select(Lot.organisation_id, extract("year", Lot.created_at), func.count())
                .where(Lot.organisation_id.is_not(None), dated.is_(None))
                .group_by(Lot.organisation_id, extract("year", Lot.created_at))).all():
            key = (int(org or 0), int(year))
            counts[key] = counts.get(key, 0) + int(n)
    return [OrganisationLots(organisation_id=o, year=y, lots=n)
            for (o, y), n in sorted(counts.items())]
