"""Tenant isolation of the traceability records: what part of the repository a principal may
read and which events it may capture.

The rule (also in the README, "Security → Tenant isolation"):

* an administrator reaches everything;
* a co-operative manager or a buyer reaches the records of its organisation (its lots,
  items, logistic units and locations) and the objects of every transfer it is party to (an
  event whose source or destination is one of its locations or its party PGLN): a buyer that
  received a lot sees that lot and its events, never another lot of the seller;
* a commune officer, a province officer and an inspector reach the records of the
  organisations seated in their unit and of the locations in their unit (a province officer
  only his province);
* an EPCIS event is readable when it names (as object, parent, child, input or output) an
  identifier the principal reaches, when its read point or business location is one of the
  principal's places, when it is a transfer the principal is party to, or when the principal
  or a user of its organisations (of the organisations of its unit) captured it;
* a capture may only name, as objects, identifiers the principal reaches (its own lots or lots
  it received) or identifiers the platform does not know; a read point or business location
  the platform knows must be one of the principal's places.

Someone who may not see a record is told it does not exist (404), never that it is another
organisation's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    false,
    or_,
    select,
    true,
    union,
)

from nongso.accounts import services as accounts
from nongso.core.errors import PermissionDenied
from nongso.core.permissions import ORG_SCOPED, UNIT_SCOPED, require_login
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.trace.models import (
    CaptureJob,
    EpcisEvent,
    EventRef,
    Item,
    LineageEdge,
    Location,
    LogisticUnit,
    Lot,
    Product,
)
from nongso.units import services as units

OBJECT_FIELDS = ("epc", "epcClass", "parentID", "childEPC", "childEPCClass", "inputEPC",
                 "inputEPCClass", "outputEPC", "outputEPCClass")
"""The roles in which an event names the objects it is about (see ``epcis.index_event``)."""
PARTY_FIELDS = ("source", "destination")
PGLN_BASE = "https://id.gs1.org/417/"


@dataclass(frozen=True)
class Reach:
    """The part of the repository a (non-admin) principal reaches."""

    organisation_ids: tuple[int, ...]
    communes: tuple[str, ...]
    user_ids: tuple[int, ...]  # the principal and the users of its organisations
    transfers: tuple[int, ...]  # the events (keys) whose source or destination it is
    received: tuple[str, ...]  # the objects of those transfers (and what containers held)


def reach(uow: UnitOfWork) -> Reach | None:
    """What the principal reaches; ``None`` for everything (an administrator).

    The transfers and what they moved are read here, once, so that the clauses below stay
    shallow (SQLite's parser has a nesting limit)."""
    p = uow.principal
    require_login(p)
    if p.is_admin:
        return None
    orgs: tuple[int, ...] = ()
    communes: tuple[str, ...] = ()
    if p.role in ORG_SCOPED and p.organisation_id is not None:
        orgs = (p.organisation_id,)
    elif p.role in UNIT_SCOPED and p.unit_code:
        orgs = tuple(registry.organisation_ids_in_unit(uow, p.unit_code))
        if p.role == "commune_officer":
            communes = (p.unit_code,)
        else:
            communes = tuple(c.code for c in units.communes_of_province(uow, p.unit_code))
    users = set(accounts.user_ids_of_organisations(uow, orgs))
    if p.user_id is not None:
        users.add(p.user_id)
    moves: tuple[int, ...] = ()
    objects: tuple[str, ...] = ()
    if p.role in ORG_SCOPED and orgs:
        with uow:
            s = uow.session
            rows = s.execute(select(Location.gln, Location.canonical).where(
                Location.organisation_id.in_(orgs))).all()
            parties = sorted({PGLN_BASE + g for g, _ in rows} | {c for _, c in rows})
            if parties:
                moves = tuple(sorted(set(s.scalars(select(EventRef.event_pk).where(
                    EventRef.field.in_(PARTY_FIELDS), EventRef.value.in_(parties))))))
            if moves:
                moved = set(s.scalars(select(EventRef.value).where(
                    EventRef.field.in_(OBJECT_FIELDS), EventRef.event_pk.in_(moves))))
                held = set(s.scalars(select(LineageEdge.src).where(
                    LineageEdge.kind.in_(("aggregation", "association")),
                    LineageEdge.dst.in_(sorted(moved))))) if moved else set()
                objects = tuple(sorted(moved | held))
    return Reach(orgs, communes, tuple(sorted(users)), moves, objects)


def _own_location(r: Reach) -> ColumnElement[bool]:
    return or_(Location.organisation_id.in_(r.organisation_ids),
               Location.commune_code.in_(r.communes))


def places(r: Reach) -> Select[Any]:
    """The canonical ids (SGLN) of the principal's locations."""
    return select(Location.canonical).where(_own_location(r))


def _unit_lot(r: Reach) -> ColumnElement[bool]:
    if not r.communes:
        return false()
    return Lot.location_id.in_(select(Location.id).where(Location.commune_code.in_(r.communes)))


def lot_clause(r: Reach | None) -> ColumnElement[bool]:
    """The lots the principal may see: its organisations', in its unit, or received."""
    if r is None:
        return true()
    return or_(Lot.organisation_id.in_(r.organisation_ids), _unit_lot(r),
               Lot.canonical.in_(r.received))


def item_clause(r: Reach | None) -> ColumnElement[bool]:
    if r is None:
        return true()
    return or_(Item.product_id.in_(select(Product.id).where(
        Product.organisation_id.in_(r.organisation_ids))),
        Item.lot_id.in_(select(Lot.id).where(lot_clause(r))),
        Item.canonical.in_(r.received))


def location_clause(r: Reach | None) -> ColumnElement[bool]:
    if r is None:
        return true()
    return _own_location(r)


def owned(r: Reach) -> CompoundSelect[Any]:
    """The canonical ids of the objects of the principal's organisations and unit (what it
    received is ``r.received``)."""
    return union(select(Lot.canonical).where(or_(Lot.organisation_id.in_(r.organisation_ids),
                                                 _unit_lot(r))),
                 select(Item.canonical).where(Item.product_id.in_(select(Product.id).where(
                     Product.organisation_id.in_(r.organisation_ids)))),
                 select(LogisticUnit.canonical).where(
                     LogisticUnit.organisation_id.in_(r.organisation_ids)))


def event_clause(r: Reach | None) -> ColumnElement[bool]:
    """The EPCIS events the principal may read (see the module's rule)."""
    if r is None:
        return true()
    mine = places(r)
    conditions = [
        EpcisEvent.id.in_(select(EventRef.event_pk).where(
            EventRef.field.in_(OBJECT_FIELDS),
            or_(EventRef.value.in_(owned(r)), EventRef.value.in_(r.received)))),
        EpcisEvent.id.in_(r.transfers),
        EpcisEvent.read_point.in_(mine),
        EpcisEvent.biz_location.in_(mine),
    ]
    if r.user_ids:
        conditions.append(EpcisEvent.capture_id.in_(
            select(CaptureJob.id).where(CaptureJob.user_id.in_(r.user_ids))))
    return or_(*conditions)


def lot_visible(uow: UnitOfWork, lot: Lot) -> bool:
    r = reach(uow)
    if r is None:
        return True
    return bool(uow.session.scalar(select(Lot.id).where(Lot.id == lot.id, lot_clause(r))))


def may_manage(uow: UnitOfWork, organisation_id: int | None, *,
               inspector: bool = False) -> bool:
    """Whether the principal manages an organisation's traceability records: an administrator;
    the organisation's own manager (co-operative or buyer); an officer whose unit covers the
    organisation's seat (an inspector too when ``inspector``: recall and withdrawal). Records
    of no organisation: administrators only."""
    p = uow.principal
    if p.is_admin:
        return True
    if organisation_id is None:
        return False
    if p.role in ORG_SCOPED:
        return p.organisation_id == organisation_id
    if p.role in ("province_officer", "commune_officer") or (
            inspector and p.role == "inspector"):
        scope = registry.organisation_scope(uow, organisation_id)
        return p.covers_unit(scope.commune_code, scope.province_code)
    return False


@dataclass(frozen=True)
class Refusal:
    pointer: str
    value: str
    place: bool


def capture_refusals(uow: UnitOfWork, events: Sequence[tuple[str, Iterable[tuple[str, str]],
                                                              Iterable[str]]]) -> list[Refusal]:
    """The identifiers a capture names but the principal may not write about.

    ``events``: (pointer, object refs as (field, canonical value), places) per event.
    """
    r = reach(uow)
    if r is None:
        return []
    s = uow.session
    objects = {v for _, refs, _ in events for f, v in refs if f in OBJECT_FIELDS}
    spots = {v for _, _, where in events for v in where}
    known: set[str] = set()
    allowed: set[str] = set()
    if objects:
        wanted = sorted(objects)
        for model in (Lot, Item, LogisticUnit):
            known.update(s.scalars(select(model.canonical).where(model.canonical.in_(wanted))))
        if known:
            sub = owned(r).subquery()
            allowed = set(s.scalars(select(sub.c[0]).where(sub.c[0].in_(sorted(known)))))
            allowed |= set(r.received)
    known_places: set[str] = set()
    my_places: set[str] = set()
    if spots:
        wanted = sorted(spots)
        known_places = set(s.scalars(select(Location.canonical).where(
            Location.canonical.in_(wanted))))
        my_places = set(s.scalars(places(r).where(Location.canonical.in_(wanted))))
    refusals: list[Refusal] = []
    for pointer, refs, where in events:
        for f, v in refs:
            if f in OBJECT_FIELDS and v in known and v not in allowed:
                refusals.append(Refusal(pointer, v, False))
        for v in where:
            if v in known_places and v not in my_places:
                refusals.append(Refusal(pointer, v, True))
    return refusals


def refused(refusals: Sequence[Refusal]) -> PermissionDenied:
    first = refusals[0]
    what_vi = "địa điểm" if first.place else "đối tượng"
    what_en = "location" if first.place else "object"
    return PermissionDenied(
        f"Bạn chỉ được ghi nhận sự kiện về lô hàng của tổ chức mình hoặc lô đã nhận; "
        f"{what_vi} «{first.value}» ({first.pointer}) thuộc tổ chức khác.",
        f"You may only capture events about your organisation's lots or lots it received; the "
        f"{what_en} '{first.value}' ({first.pointer}) belongs to another organisation.",
    )
