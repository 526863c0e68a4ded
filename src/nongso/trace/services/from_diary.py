"""Use case: the farm diary's records become lots and EPCIS events (harvests, processing and
packing, sales, corrections, deletions), and a harvested lot keeps its season's inputs.

These run inside the diary's unit of work (called by ``trace/handlers.py``): the diary checked
who may record, and a failure here rolls the diary's record back too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nongso.core import audit, clock, events
from nongso.core.errors import AppError, NotFound
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.trace import catalogue
from nongso.trace.gs1 import sgtin_uri
from nongso.trace.models import HandledSource, Item, Location, LogisticUnit, Lot, LotInput, Product
from nongso.trace.recall import walk
from nongso.trace.services._common import _event, _local_date
from nongso.trace.services.epcis_capture import _record
from nongso.trace.services.identifiers import _allocate_sscc, _canonical
from nongso.trace.services.lineage import _edges_from_db
from nongso.trace.services.locations import _farm_location, _org_location, _party
from nongso.trace.services.lots import _commissioning_event, _create_lot, _NewLot
from nongso.trace.services.products import _ensure_product


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
        held = _hold_event(lot, e.violations, e.harvested_at, location)
        if e.season_name:
            event["ilmd"]["nongso:season"] = e.season_name
        if e.moisture_pct is not None:
            event["ilmd"]["nongso:moisturePct"] = e.moisture_pct
        if e.area_ha:
            event["ilmd"]["nongso:harvestedAreaHa"] = e.area_ha
        if e.tree_id is not None:
            tree = _tree_item(uow, e.tree_id, product, e.production_unit_id)
            event["ilmd"]["nongso:tree"] = tree.epc
        _record(uow, [event, *held], source="diary")
        return lot


HELD_VI = "Chờ kiểm tra"
HELD_EN = "Held for inspection"


def _hold_event(lot: Lot, reasons: Sequence[str], at: dt.datetime,
                location: Location | None) -> list[dict[str, Any]]:
    """Hold a new lot whose backward trace has a rule violation: not in circulation until an
    inspector releases it (ObjectEvent OBSERVE, bizStep holding, disposition
    non_sellable_other). Returns the event to record (none for a clean lot)."""
    if not reasons:
        return []
    lot.status = "held"
    lot.status_reason = (f"{HELD_VI} / {HELD_EN}: " + "; ".join(reasons))[:500]
    place = {"id": location.sgln} if location is not None else None
    return [_event("ObjectEvent", at + dt.timedelta(seconds=1), action="OBSERVE",
                   bizStep="holding", disposition="non_sellable_other",
                   quantityList=[{"epcClass": lot.epc_class}], readPoint=place,
                   bizLocation=place, **{"nongso:reason": lot.status_reason})]


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


def _varieties(lot: Lot) -> list[str]:
    """The varieties in a lot (one, several for a lot made from several, none if unknown)."""
    return list(lot.varieties or ()) or ([lot.variety] if lot.variety else [])


def _shared(values: Iterable[Any]) -> Any:
    """The one value all of ``values`` share, else ``None``."""
    found = set(values)
    return found.pop() if len(found) == 1 else None


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
        organisation_id = e.organisation_id or _shared(x.organisation_id for x in input_lots)
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
        varieties = sorted({v for x in input_lots for v in _varieties(x)})
        harvests = [d for x in input_lots for d in (x.harvest_date, x.harvest_end_date) if d]
        first_day, last_day = min(harvests, default=None), max(harvests, default=None)
        if not wanted and e.kind != "packing" and input_lots:
            # Recorded without outputs: the same product comes out (quantity not recorded);
            # inputs of several varieties make a product named after none of them.
            first = s.get(Product, input_lots[0].product_id)
            assert first is not None
            name = first.name
            if len(varieties) > 1 and input_lots[0].variety and name.endswith(
                    f" {input_lots[0].variety}"):
                name = name[:-len(input_lots[0].variety) - 1]
            wanted = [("lúa khô" if e.kind == "drying" and first.kind == "paddy" else
                       name, 0.0, True)]
        for n, (name, kg, is_main) in enumerate(wanted):
            product = _product_for(s, organisation_id, name, by_product=not is_main,
                                   crop=_shared(x.crop for x in input_lots))
            key = f"diary:{e.activity_id}" if n == 0 else f"diary:{e.activity_id}:{n}"
            outputs.append(_create_lot(s, _NewLot(
                product=product, label=f"{product.name} — {kind_vi} {day:%d/%m/%Y}",
                lot_code=f"CB{day:%y%m%d}-{e.activity_id}" + (f"-{n}" if n else ""),
                quantity=round(kg, 3) if kg else None, organisation_id=organisation_id,
                location=location,
                production_unit_id=_shared(x.production_unit_id for x in input_lots),
                planting_area_code=_shared(x.planting_area_code for x in input_lots),
                season_id=e.season_id or _shared(x.season_id for x in input_lots),
                crop=_shared(x.crop for x in input_lots),
                variety=varieties[0] if len(varieties) == 1 else None,
                varieties=varieties if len(varieties) > 1 else None,
                harvest_date=first_day,
                harvest_end_date=last_day if last_day != first_day else None,
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
        held_inputs = [x for x in input_lots if x.status != "active"]
        if held_inputs and outputs:
            why = [f"nguyên liệu lô {x.lot_code} — {x.status}"
                   + (f" ({x.status_reason})" if x.status_reason else "") for x in held_inputs]
            for lot in outputs:
                recorded += _hold_event(lot, why, e.at + dt.timedelta(seconds=1), location)
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
        seller_id = e.seller_organisation_id or _shared(lot.organisation_id for lot in sold)
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


def hold_for_violations(uow: UnitOfWork, e: events.ViolationsRecorded) -> list[Lot]:
    """A violation recorded (or corrected in) after a lot exists: the lots of the season's later
    harvests and every lot made from them that is still in circulation are held for inspection,
    as when a lot is created with a violation upstream (ObjectEvent holding, disposition
    non_sellable_other) and in the audit log. Returns the lots held."""
    with uow:
        s = uow.session
        starts = list(_lots_by_source(s, e.harvest_activity_ids).values())
        if not starts:
            return []
        reached = walk({lot.canonical for lot in starts}, _edges_from_db(s, True, None, None),
                       forward=True)
        lots = s.scalars(select(Lot).where(Lot.canonical.in_(sorted(reached.depth)))
                         .order_by(Lot.id)).all()
        held: list[Lot] = []
        recorded: list[dict[str, Any]] = []
        for lot in lots:
            if lot.status != "active":
                continue  # already held, recalled, withdrawn or consumed
            location = s.get(Location, lot.location_id) if lot.location_id else None
            recorded += _hold_event(lot, e.violations, clock.now(), location)
            audit.record(s, "lot_status", "trace_lots", str(lot.id), {
                "from": "active", "to": "held", "reason": lot.status_reason,
                "lot_code": lot.lot_code, "activity_id": e.activity_id})
            held.append(lot)
        if recorded:
            _record(uow, recorded, source="diary")
        return held


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
