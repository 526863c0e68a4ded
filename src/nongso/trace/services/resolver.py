"""Use case: the GS1 Digital Link resolver and the consumer page of a lot or item (public: no
personal data by construction), its journey and its RFC 9264 linkset.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Integer, String, TextClause, bindparam, or_, select, text
from sqlalchemy.orm import Session

from nongso.core.errors import AppError, NotFound
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.trace import epcis, recall
from nongso.trace.digital_link import parse_digital_link
from nongso.trace.gs1 import GS1Error, normalise_gtin
from nongso.trace.models import EpcisEvent, EventRef, Item, Location, Lot, OcopProduct, Product
from nongso.trace.schemas import ConsumerView, MapPoint, TimelineStep
from nongso.trace.services._common import _unit_name, epcis_json_loads, harvest_period
from nongso.trace.services.identifiers import digital_link
from nongso.trace.services.lineage import (
    _ROUTINE_STEPS,
    _edges_from_db,
    _known,
    _place_of,
    _q_rows_in,
    step_label,
)


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
    """The resolver's own look-ups, built once (see the read paths' note in ``lineage``)."""
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
        period = harvest_period(lot.harvest_date, lot.harvest_end_date) if lot else None
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
            varieties=list(lot.varieties or ()) if lot else [],
            harvest_end_date=lot.harvest_end_date if lot else None,
            harvest_period_vi=period[0] if period else None,
            harvest_period_en=period[1] if period else None,
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
        product = product_en = None
        quantity = quantity_unit = None
        quantity_value: float | None = None
        for element in _quantity_elements(event):
            p = products.get(gtins.get(epcis.normalise_id(element["epcClass"])) or "")
            if p is not None:
                product, product_en = p.name, p.name_en or p.name
                if "quantity" in element:
                    quantity = _quantity_text(element["quantity"], element.get("uom"))
                    quantity_value = float(element["quantity"])
                    uom = element.get("uom") or ""
                    quantity_unit = _UNITS.get(uom, uom)
                break
        if product is None:
            unit_ = next((known.units[epcis.normalise_id(e)] for e in event.get("epcList") or ()
                          if epcis.normalise_id(e) in known.units), None)
            if unit_ is not None:
                product = unit_.label
        steps.append(TimelineStep(
            time=row.event_time, step=row.biz_step or row.event_type, label_vi=vi, label_en=en,
            place=place.name if place else None,
            place_en=(place.name_en or place.name) if place else None,
            commune=place.address if place else None,
            product=product, quantity=quantity, product_en=product_en or product,
            quantity_value=quantity_value, quantity_unit=quantity_unit,
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
