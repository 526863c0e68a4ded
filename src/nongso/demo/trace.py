"""Demo traceability: lots with QR codes and journeys from the field to the shop.

Everything goes through the real paths, inside the demo's unit of work:

* the demo diaries are written in bulk (see ``demo/diary.py``) without events, so the diary is
  asked to publish its contract events for them (``publish_recorded_events``): on the real
  event bus its harvests become lots with ILMD and commissioning events;
* the co-operatives' drying, milling (rice, husk, bran), packing and sale to a distributor are
  recorded with the diary's services, which publish ``ProcessingRecorded``/``SaleRecorded``;
* each distributor's system captures an EPCISDocument over the repository's capture service:
  unpacking, shipping to two shops and the shops' receiving;
* a few mango trees get serial numbers (their own QR codes), three OCOP products get records
  and images, and one lot is recalled so that the consumer page shows the warning.

Deterministic for a seed: client UUIDs are derived from it, so running the demo again adds
nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from nongso.core.errors import AppError
from nongso.core.pagination import PageRequest
from nongso.core.uow import UnitOfWork
from nongso.diary import services as diary
from nongso.diary.schemas import ActivityCreate, ProcessingOutput, ProcessingSource
from nongso.registry.models import Organisation
from nongso.trace import epcis, store
from nongso.trace import services as trace
from nongso.trace.models import Item, Location, LogisticUnit, Lot, OcopProduct, Product
from nongso.trace.schemas import (
    ItemCreate,
    LocationCreate,
    LotStatusUpdate,
    OcopProductCreate,
)

VN = dt.timezone(dt.timedelta(hours=7))
NAMESPACE = uuid.UUID("5b6d1c1e-8f55-4c6e-9d1a-6a1f0b0c82aa")
SHOPS = ["Cửa hàng Nông sản sạch {commune}", "Siêu thị Xanh {commune}",
         "Cửa hàng Gạo ngon {commune}", "Quầy Trái cây Miền Tây {commune}"]


@dataclass
class TraceDemo:
    lots: int = 0
    journeys: int = 0
    events: int = 0
    links: list[str] = field(default_factory=list)


def _uuid(seed: int, *parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in (seed, *parts)))


def _replay_harvests(uow: UnitOfWork, organisation_id: int, today: dt.date,
                     limit: int) -> dict[str, list[tuple[Any, Any]]]:
    """Have the diary publish its contract events for the co-operative's records (written in
    bulk by the diary demo, without events); returns the (season, harvest) pairs by crop of
    the seasons harvested long enough ago for a journey to follow, oldest first."""
    diary.publish_recorded_events(uow, organisation_id=organisation_id)
    by_crop: dict[str, list[tuple[Any, Any]]] = {}
    seasons = diary.list_seasons(uow, PageRequest(500, 0), organisation_id=organisation_id).items
    for season in sorted(seasons, key=lambda x: x.id):
        if season.harvest_date is None or season.harvest_date > today - dt.timedelta(days=12):
            continue
        harvests = diary.list_activities(uow, PageRequest(50, 0), season_id=season.id,
                                         kind="harvest", status="done").items
        for activity in harvests:
            if sum(len(v) for v in by_crop.values()) >= limit:
                return by_crop
            by_crop.setdefault(season.crop, []).append((season, activity))
    return by_crop


def _coop_journey(uow: UnitOfWork, seed: int, coop: int, buyer: int,
                  harvests: list[tuple[Any, Any]], n: int) -> int | None:
    """Drying of a few farmers' paddy, milling, packing and a sale; the packing's id."""
    last: dt.datetime = max(h.at for _, h in harvests)
    kg = [float(h.quantity_base or h.quantity or 0) for _, h in harvests]
    if min(kg) <= 0:
        return None

    def at(days: int) -> dt.datetime:
        moment: dt.datetime = last + dt.timedelta(days=days)
        return moment.astimezone(VN).replace(hour=8, minute=0)

    variety = harvests[0][0].variety or ""
    dried = round(sum(kg) * 0.86, 1)
    rice = round(dried * 0.63, 1)
    try:
        drying, _ = diary.create_activity(uow, ActivityCreate(
            client_uuid=_uuid(seed, "drying", coop, n), organisation_id=coop, kind="drying",
            at=at(1), sources=[ProcessingSource(activity_id=h.id, quantity_kg=k)
                               for (_, h), k in zip(harvests, kg, strict=True)],
            outputs=[ProcessingOutput(product="lúa khô", quantity_kg=dried)]))
        milling, _ = diary.create_activity(uow, ActivityCreate(
            client_uuid=_uuid(seed, "milling", coop, n), organisation_id=coop,
            kind="milling", at=at(2),
            sources=[ProcessingSource(activity_id=drying.id, quantity_kg=dried)],
            outputs=[ProcessingOutput(product="gạo", quantity_kg=rice),
                     ProcessingOutput(product="trấu", quantity_kg=round(dried * 0.2, 1),
                                      is_main=False),
                     ProcessingOutput(product="cám", quantity_kg=round(dried * 0.09, 1),
                                      is_main=False)]))
        bagged = round(rice * 0.95, 1)
        packing, _ = diary.create_activity(uow, ActivityCreate(
            client_uuid=_uuid(seed, "packing", coop, n), organisation_id=coop,
            kind="packing", at=at(3),
            sources=[ProcessingSource(activity_id=milling.id, quantity_kg=bagged)],
            outputs=[ProcessingOutput(product=f"gạo {variety} túi 5kg".replace("  ", " "),
                                      quantity_kg=bagged)]))
        diary.create_activity(uow, ActivityCreate(
            client_uuid=_uuid(seed, "sale", coop, n), organisation_id=coop, kind="sale",
            at=at(4), quantity=bagged, unit="kg", buyer_organisation_id=buyer,
            price_vnd_per_kg=float(15000 + 100 * (n % 9)),
            sources=[ProcessingSource(activity_id=packing.id, quantity_kg=bagged)]))
    except AppError:
        return None  # the diary refuses (e.g. not enough left): this journey is not made
    return packing.id


def _shops(uow: UnitOfWork, buyer: Organisation, communes: list[Any], n: int
           ) -> list[Location]:
    s = uow.session
    found = list(s.scalars(select(Location).where(Location.organisation_id == buyer.id,
                                                  Location.kind == "shop")
                           .order_by(Location.id)))
    while len(found) < 2:
        commune = communes[(n * 5 + len(found) * 11) % len(communes)]
        name = SHOPS[(n + len(found)) % len(SHOPS)].format(commune=commune.short_name)
        created = trace.create_location(uow, LocationCreate(
            name=name, kind="shop", organisation_id=buyer.id, commune_code=commune.code))
        shop = s.get(Location, created.id)
        assert shop is not None
        found.append(shop)
    return found


def _distribute(uow: UnitOfWork, packing_id: int, buyer_id: int, shops: list[Location]
                ) -> None:
    """The distributor's system captures unpacking, shipping to the shops and receiving."""
    s = uow.session
    lot = s.scalar(select(Lot).where(Lot.source == f"diary:{packing_id}"))
    pallet = s.scalar(select(LogisticUnit).where(LogisticUnit.source == f"diary:{packing_id}"))
    home = s.scalar(select(Location).where(Location.organisation_id == buyer_id,
                                           Location.kind == "distributor"))
    if lot is None or pallet is None or home is None or not lot.quantity:
        return
    # The sale was the day after the packing; the distributor dispatches the day after.
    packed_on = lot.production_date or dt.date.today()
    start = dt.datetime.combine(packed_on + dt.timedelta(days=2), dt.time(7, 0), VN)
    place = {"id": home.sgln}
    stamp = "%Y-%m-%dT%H:%M:%S.000+07:00"
    split = [round(lot.quantity * 0.4, 1), round(lot.quantity * 0.6, 1)]
    documents: list[dict[str, Any]] = [{
        "type": "AggregationEvent", "action": "DELETE", "parentID": pallet.epc,
        "childQuantityList": [{"epcClass": lot.epc_class, "quantity": lot.quantity,
                               "uom": "KGM"}],
        "bizStep": "unpacking", "disposition": "container_open",
        "eventTime": start.strftime(stamp), "eventTimeZoneOffset": "+07:00",
        "readPoint": place, "bizLocation": place,
    }]
    for n, (shop, kg) in enumerate(zip(shops, split, strict=True)):
        common = {
            "quantityList": [{"epcClass": lot.epc_class, "quantity": kg, "uom": "KGM"}],
            "eventTimeZoneOffset": "+07:00",
            "bizTransactionList": [{"type": "desadv", "bizTransaction":
                                    f"urn:epcglobal:cbv:bt:{home.gln}:PX-{packing_id}-{n}"}],
            "sourceList": [{"type": "location", "source": home.sgln}],
            "destinationList": [{"type": "location", "destination": shop.sgln}],
        }
        shipped = start + dt.timedelta(hours=1 + n)
        documents.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                          "disposition": "in_transit", "eventTime": shipped.strftime(stamp),
                          "readPoint": place, **common})
        documents.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving",
                          "disposition": "sellable_accessible",
                          "eventTime": (shipped + dt.timedelta(hours=5)).strftime(stamp),
                          "readPoint": {"id": shop.sgln}, "bizLocation": {"id": shop.sgln},
                          **common})
    trace.capture(uow, {"@context": [epcis.EPCIS_CONTEXT], "type": "EPCISDocument",
                        "schemaVersion": "2.0", "creationDate": start.isoformat(),
                        "epcisBody": {"eventList": documents}}, source="demo")


def _image(text: str, colour: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (320, 320), colour)
    draw = ImageDraw.Draw(image)
    try:
        font: Any = ImageFont.truetype("DejaVuSans-Bold.ttf", 34)
    except OSError:
        font = ImageFont.load_default()
    draw.rounded_rectangle([20, 20, 300, 300], radius=30, outline=(255, 255, 255), width=6)
    y = 110
    for line in text.split("\n"):
        width = draw.textlength(line, font=font)
        draw.text(((320 - width) / 2, y), line, fill=(255, 255, 255), font=font)
        y += 48
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _ocop(uow: UnitOfWork, coop: Organisation, today: dt.date) -> None:
    s = uow.session
    if s.scalar(select(OcopProduct.id).limit(1)) is not None:
        return
    rice = s.scalar(select(Product).where(Product.organisation_id == coop.id,
                                          Product.kind == "milled_rice",
                                          Product.name.like("%túi 5kg%")).order_by(Product.id))
    mango = s.scalar(select(Product).where(Product.kind == "mango").order_by(Product.id))
    start = today - dt.timedelta(days=300)
    specs: list[tuple[str, str, int, Product | None, Organisation, tuple[int, int, int]]] = [
        (f"Gạo thơm {coop.name.removeprefix('HTX Nông nghiệp ')}",
         "Fragrant rice", 4, rice, coop, (46, 125, 50)),
        ("Xoài Cát Hòa Lộc", "Cat Hoa Loc mango", 4, mango, coop, (239, 108, 0)),
        ("Bưởi Da xanh", "Green-skin pomelo", 3, None, coop, (85, 139, 47)),
    ]
    for n, (name, name_en, stars, product, org, colour) in enumerate(specs, start=1):
        if org is None:
            continue
        created = trace.create_ocop_product(uow, OcopProductCreate(
            name=name, name_en=name_en, category="food", stars=stars,
            certificate_no=f"OCOP-{org.province_code}-{start.year}-{n:03d}",
            certified_on=start, valid_until=start + dt.timedelta(days=3 * 365),
            organisation_id=org.id, product_id=product.id if product else None,
            shelf_life_days=365 if n == 1 else 14 if n == 2 else 45,
            description="Sản phẩm OCOP mô phỏng cho dữ liệu mẫu (demo)."))
        trace.set_ocop_image(uow, created.id, _image(f"OCOP\n{'★' * stars}", colour))


def load(uow: UnitOfWork, province_code: str, today: dt.date, seed: int = 2026,
         scale: float = 1.0) -> TraceDemo:
    """Generate the demo journeys (inside the caller's unit of work)."""
    from nongso.units import services as units

    s = uow.session
    rng = random.Random(seed)
    coops = list(s.scalars(select(Organisation).where(
        Organisation.kind == "cooperative", Organisation.province_code == province_code)
        .order_by(Organisation.id)))
    buyers = list(s.scalars(select(Organisation).where(
        Organisation.kind == "buyer", Organisation.province_code == province_code)
        .order_by(Organisation.id)))
    if not coops or not buyers:
        return TraceDemo()
    communes = [c for c in units.communes_of_province(uow, province_code)
                if c.type.startswith("Xã")]
    out = TraceDemo()
    wanted = max(3, round(6 * scale))
    lot_budget = max(40, round(160 * scale))
    made = 0
    for coop in coops[: max(2, round(3 * scale))]:
        by_crop = _replay_harvests(uow, coop.id, today, lot_budget // 2)
        rice = by_crop.get("rice", [])
        rng.shuffle(rice)
        for n in range(0, len(rice) - 1, 2):
            if made >= wanted:
                break
            group = rice[n:n + 2 + (n // 2) % 2]
            buyer = buyers[made % len(buyers)]
            packing = _coop_journey(uow, seed, coop.id, buyer.id, group, n)
            if packing is None:
                continue
            shops = _shops(uow, buyer, communes, made)
            _distribute(uow, packing, buyer.id, shops)
            made += 1
            lot = s.scalar(select(Lot).where(Lot.source == f"diary:{packing}"))
            if lot is not None and len(out.links) < 3:
                out.links.append(trace.digital_link(lot.gtin, lot.lot_code))
        mangoes = by_crop.get("mango", [])
        product = s.scalar(select(Product).where(Product.kind == "mango",
                                                 Product.organisation_id == coop.id))
        if mangoes and product is not None and not s.scalar(
                select(Item.id).where(Item.product_id == product.id)):
            season = mangoes[0][0]
            for tree in range(1, 6):
                trace.create_item(uow, ItemCreate(
                    product_id=product.id, kind="tree", serial=f"C{season.plot_id}-{tree}",
                    label=f"Cây xoài số {tree} — {season.plot_code}",
                    production_unit_id=season.production_unit_id, planted_year=2012 + tree))
    out.journeys = made
    _ocop(uow, coops[0], today)
    # One lot is recalled, so that the consumer page and the recall page show it.
    # (A bag held for inspection — a violation upstream — is left to the inspector.)
    recalled = s.scalar(select(Lot).where(Lot.source.like("diary:%"), Lot.status == "active",
                                          Lot.product_id.in_(select(Product.id).where(
                                              Product.kind == "milled_rice",
                                              Product.name.like("%túi 5kg%"))))
                        .order_by(Lot.id.desc()))
    if recalled is not None and recalled.status == "active" and made > 1:
        trace.set_lot_status(uow, recalled.id, LotStatusUpdate(
            status="recalled", reason="Mẫu kiểm tra phát hiện dư lượng thuốc bảo vệ thực vật "
            "vượt giới hạn (dữ liệu mô phỏng)"))
    out.lots = len(s.scalars(select(Lot.id)).all())
    out.events = store.log_size(s)
    return out
