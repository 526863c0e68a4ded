"""Use case: recall — the forward trace (every downstream lot, shipment and receiving place)
and the backward trace (every upstream lot, field, season, spray and input dealer) of a lot,
an input batch or a farm in a time window. The Excel report is written by
``trace/exports.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from nongso.core.errors import AppError, FieldError, ValidationFailed, not_found
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.trace import epcis
from nongso.trace.digital_link import parse_digital_link
from nongso.trace.gs1 import GS1Error
from nongso.trace.models import Location, Lot, LotInput
from nongso.trace.recall import Edge, walk
from nongso.trace.schemas import (
    RecallEdge,
    RecallInput,
    RecallLocation,
    RecallNode,
    RecallOrigin,
    RecallReport,
    RecallRequest,
    RecallShipment,
)
from nongso.trace.services._common import VN_TIME, _local_date, epcis_json_loads
from nongso.trace.services._tenancy import lot_clause, reach
from nongso.trace.services.lineage import (
    _edges_from_db,
    _events_by_pk,
    _events_of_nodes,
    _Known,
    _known,
    step_label,
)

RECALL_ROLES = ("inspector", "province_officer", "commune_officer", "coop_manager", "buyer")
_MOVES = frozenset({"shipping", "receiving", "departing", "arriving", "transporting",
                    "retail_selling", "loading", "unloading"})


def _recall_start(s: Session, data: RecallRequest, visible: Any) -> tuple[set[str], str]:
    """The start nodes among the lots the caller may see (``visible``: a clause on lots)."""
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
        if lot is not None and s.scalar(select(Lot.id).where(Lot.id == lot.id, visible)):
            return {lot.canonical}, lot.label
        if lot is not None:
            raise not_found("lô hàng", "lot", value)
        if data.kind == "lot":
            raise not_found("lô hàng", "lot", value)
        canonical = epcis.normalise_id(value)
        return {canonical}, value
    if data.kind == "input_batch":
        lot_ids = set(s.scalars(select(LotInput.lot_id).where(or_(
            LotInput.purchase_lot == value, func.lower(LotInput.product_name) == value.lower()
        ))))
        lots = s.scalars(select(Lot).where(Lot.id.in_(lot_ids), visible)).all() \
            if lot_ids else []
        starts = {lot.canonical for lot in lots}
        canonical = epcis.normalise_id(value)
        if ":" in value:  # an input batch captured as an EPC class in EPCIS
            starts.add(canonical)
        if not starts:
            raise not_found("lô vật tư", "input batch", value)
        return starts, f"Lô vật tư {value} ({len(lots)} lô nông sản)"
    # a farm: a registry field id, a GLN or a planting-area code
    stmt = select(Lot).where(visible)
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
        visible = lot_clause(reach(uow))
        start, start_label = _recall_start(s, data, visible)
        forward = back = None
        if data.direction in ("forward", "both"):
            forward = walk(start, _edges_from_db(s, True, data.since, data.until),
                                  forward=True)
        if data.direction in ("backward", "both"):
            back = walk(start, _edges_from_db(s, False, data.since, data.until),
                               forward=False)
        depth: dict[str, tuple[str, int]] = {n: ("start", 0) for n in start}
        edges: list[Edge] = []
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
        # Fields, sprays, doses and dealers: only of the lots the caller may see.
        mine = set(s.scalars(select(Lot.canonical).where(
            Lot.canonical.in_(sorted(known.lots)), visible))) if known.lots else set()
        origins, dealers, diary_available = _origins(
            uow, {n: d for n, d in depth.items() if n in mine}, known)
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


def _downstream_receivers(s: Session, lot: Lot) -> list[int]:
    """The organisations that received the lot or anything made from it (buyers, shops: the
    destinations and receiving places of the forward trace's moves, and the owners of the
    lots made from it), other than the lot's own organisation."""
    reached = walk({lot.canonical}, _edges_from_db(s, True, None, None), forward=True)
    places: set[str] = set()
    for r in _events_of_nodes(s, reached.depth):
        if r.biz_step not in _MOVES:
            continue
        if r.biz_step in ("receiving", "arriving", "unloading", "retail_selling"):
            places.update(p for p in (r.biz_location, r.read_point) if p)
        event = epcis_json_loads(r.document)
        places.update(epcis.normalise_id(x["destination"])
                      for x in event.get("destinationList") or ()
                      if epcis.cbv_short(x["type"], "SDT") == "location")
    known = _known(s, places | set(reached.depth))
    found = {x.organisation_id for x in known.locations.values()}
    found |= {x.organisation_id for x in known.lots.values()}
    return sorted(x for x in found if x is not None and x != lot.organisation_id)


def _place_name(places: Mapping[str, Location], canonical: str | None) -> str | None:
    if canonical is None:
        return None
    found = places.get(canonical)
    return found.name if found else canonical


def _recall_node(node: str, direction: str, depth: int, known: _Known,
                 event_rows: Mapping[int, Any], edges: Sequence[Edge]) -> RecallNode:
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
