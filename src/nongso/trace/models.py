"""Traceability: products (GTIN), locations (GLN), lots, serialised items, logistic units,
the EPCIS 2.0 event repository with its query index and lineage graph, the Merkle log of every
captured event with its signed checkpoints, and OCOP product records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow

LOT_STATUSES = ("active", "held", "recalled", "withdrawn", "consumed")
LOCATION_KINDS = ("farm", "facility", "warehouse", "distributor", "shop", "processor", "other")


class Product(Audited, Base):
    """A trade item with its GTIN (a crop product, a processed product or a by-product)."""

    __tablename__ = "trace_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    company_prefix: Mapped[str] = mapped_column(String(12))  # splits the GTIN in EPC URIs
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(50), index=True)  # paddy, milled_rice, husk, …
    crop: Mapped[str | None] = mapped_column(String(50))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    unit: Mapped[str] = mapped_column(String(3), default="KGM")  # UN/CEFACT Rec. 20
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    by_product: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Location(Audited, Base):
    """A place with a GLN: a farm or planting area, a drying/milling facility, a shop…"""

    __tablename__ = "trace_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    gln: Mapped[str] = mapped_column(String(13), unique=True)
    sgln: Mapped[str] = mapped_column(String(60), unique=True)  # urn:epc:id:sgln:…
    canonical: Mapped[str] = mapped_column(String(100), unique=True)  # id.gs1.org/414/…
    name: Mapped[str] = mapped_column(String(300))
    # The English name of a location the platform named (a field); None for a name people
    # gave (a shop, an organisation's facility), shown as it is in both languages.
    name_en: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    production_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("production_units.id"), unique=True
    )
    commune_code: Mapped[str | None] = mapped_column(String(10), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    planting_area_code: Mapped[str | None] = mapped_column(String(50), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Lot(Audited, Base):
    """A batch of a product (GS1 AI 10), its EPC class and its lot master data."""

    __tablename__ = "trace_lots"
    __table_args__ = (UniqueConstraint("gtin", "lot_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("trace_products.id"), index=True)
    gtin: Mapped[str] = mapped_column(String(14))
    lot_code: Mapped[str] = mapped_column(String(20))  # GS1 82-character set, ≤ 20
    label: Mapped[str] = mapped_column(String(300))  # the human-readable name (Vietnamese)
    epc_class: Mapped[str] = mapped_column(String(120), unique=True)  # urn:epc:class:lgtin:…
    canonical: Mapped[str] = mapped_column(String(200), unique=True)  # canonical Digital Link
    quantity: Mapped[float | None]
    unit: Mapped[str] = mapped_column(String(3), default="KGM")
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("trace_locations.id"), index=True)
    production_unit_id: Mapped[int | None] = mapped_column(ForeignKey("production_units.id"),
                                                           index=True)
    planting_area_code: Mapped[str | None] = mapped_column(String(50))
    season_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the diary's season
    crop: Mapped[str | None] = mapped_column(String(50))
    variety: Mapped[str | None] = mapped_column(String(100))
    harvest_date: Mapped[dt.date | None] = mapped_column(Date)
    # A lot made from several harvests: the last harvest day (harvest_date is the first) and
    # every variety in it (variety is then empty); None for a lot of one harvest.
    harvest_end_date: Mapped[dt.date | None] = mapped_column(Date)
    varieties: Mapped[list[str] | None] = mapped_column(JSON)
    production_date: Mapped[dt.date | None] = mapped_column(Date)
    expiry_date: Mapped[dt.date | None] = mapped_column(Date)
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What made the lot (e.g. "diary:harvest:123"): a second delivery makes nothing new.
    source: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LotInput(Base):
    """An input the farm diary recorded for the season of a harvested lot, as it stood when
    the lot was commissioned: lets a recall start from an input batch (a dealer's lot)."""

    __tablename__ = "trace_lot_inputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("trace_lots.id"), index=True)
    season_id: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[dt.datetime]
    activity_kind: Mapped[str] = mapped_column(String(30))
    input_kind: Mapped[str] = mapped_column(String(20))
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[str | None] = mapped_column(String(60))
    purchase_lot: Mapped[str | None] = mapped_column(String(100), index=True)
    dealer_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                               index=True)
    dealer_name: Mapped[str | None] = mapped_column(String(300))
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)


class Item(Audited, Base):
    """A serialised item (SGTIN, GS1 AI 21): a fruit tree, a box, a sack."""

    __tablename__ = "trace_items"
    __table_args__ = (UniqueConstraint("gtin", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("trace_products.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("trace_lots.id"), index=True)
    gtin: Mapped[str] = mapped_column(String(14))
    serial: Mapped[str] = mapped_column(String(20))
    epc: Mapped[str] = mapped_column(String(120), unique=True)  # urn:epc:id:sgtin:…
    canonical: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="item")  # tree | box | item
    label: Mapped[str] = mapped_column(String(300))
    production_unit_id: Mapped[int | None] = mapped_column(ForeignKey("production_units.id"),
                                                           index=True)
    planted_year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LogisticUnit(Base):
    """A pallet, crate or container with an SSCC (GS1 AI 00), the parent of a packing."""

    __tablename__ = "trace_logistic_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    sscc: Mapped[str] = mapped_column(String(18), unique=True)
    epc: Mapped[str] = mapped_column(String(60), unique=True)  # urn:epc:id:sscc:…
    canonical: Mapped[str] = mapped_column(String(100), unique=True)
    label: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    source: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CompanyPrefix(Base):
    """The GS1 company prefix an organisation was assigned (Viet Nam: 893…)."""

    __tablename__ = "trace_company_prefixes"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 primary_key=True)
    prefix: Mapped[str] = mapped_column(String(12), unique=True)


class HandledSource(Base):
    """A domain event (e.g. "diary:sale:42") already turned into EPCIS events: a second
    delivery of the same event makes nothing new."""

    __tablename__ = "trace_handled_sources"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Counter(Base):
    """Sequences for item references, location references and serials, per GS1 prefix."""

    __tablename__ = "trace_counters"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# ------------------------------------------------------------------------------------------
# EPCIS repository


class CaptureJob(Base):
    """One ``POST /epcis/capture``: its outcome as the EPCIS capture job resource shows it."""

    __tablename__ = "trace_capture_jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[dt.datetime | None]
    running: Mapped[bool] = mapped_column(Boolean, default=False)
    success: Mapped[bool] = mapped_column(Boolean, default=True)
    error_behaviour: Mapped[str] = mapped_column(String(10), default="rollback")
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    event_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    captured: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(40), default="api")  # api | diary | demo


class EpcisEvent(Base):
    """A captured EPCIS event: the stored JSON text and its indexed fields.

    ``id`` is the event's leaf index in the Merkle log (0, 1, 2, … in capture order).
    """

    __tablename__ = "trace_epcis_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(300), unique=True)
    event_type: Mapped[str] = mapped_column(String(30), index=True)
    event_time: Mapped[dt.datetime] = mapped_column(index=True)
    record_time: Mapped[dt.datetime] = mapped_column(index=True)
    action: Mapped[str | None] = mapped_column(String(10))
    biz_step: Mapped[str | None] = mapped_column(String(300), index=True)
    disposition: Mapped[str | None] = mapped_column(String(300), index=True)
    read_point: Mapped[str | None] = mapped_column(String(300), index=True)
    biz_location: Mapped[str | None] = mapped_column(String(300), index=True)
    transformation_id: Mapped[str | None] = mapped_column(String(300), index=True)
    has_error_declaration: Mapped[bool] = mapped_column(Boolean, default=False)
    # The CBV 2.0 event hash of the content (equals event_id when the id was computed).
    content_hash: Mapped[str] = mapped_column(String(120))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON of the stored event
    namespaces: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    capture_id: Mapped[str | None] = mapped_column(ForeignKey("trace_capture_jobs.id"),
                                                   index=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class EventRef(Base):
    """An identifier an event mentions, by role (what MATCH_/EQ_ query parameters use)."""

    __tablename__ = "trace_event_refs"
    __table_args__ = (Index("ix_trace_event_refs_value_field", "value", "field", "event_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("trace_epcis_events.id"), index=True)
    field: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(100))


class LineageEdge(Base):
    """upstream → downstream: a transformation's input → node → output, a child → parent."""

    __tablename__ = "trace_lineage"

    id: Mapped[int] = mapped_column(primary_key=True)
    src: Mapped[str] = mapped_column(String(300), index=True)
    dst: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    event_pk: Mapped[int] = mapped_column(ForeignKey("trace_epcis_events.id"), index=True)
    event_time: Mapped[dt.datetime]


class LogHead(Base):
    """The current size and compact range of the Merkle log (one row, locked on append)."""

    __tablename__ = "trace_log_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    frontier: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LogNode(Base):
    """The hash of a perfect subtree of the log at a level that is a multiple of 4."""

    __tablename__ = "trace_log_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Checkpoint(Base):
    """A signed checkpoint (C2SP signed note) of the log after a capture."""

    __tablename__ = "trace_log_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(Integer, unique=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


# ------------------------------------------------------------------------------------------
# OCOP


class OcopProduct(Audited, Base):
    """An OCOP ("One Commune One Product") product with its star rating and certificate."""

    __tablename__ = "trace_ocop_products"
    __audit_exclude__ = frozenset({"image"})

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("trace_products.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(50))
    stars: Mapped[int] = mapped_column(Integer)
    certificate_no: Mapped[str] = mapped_column(String(100), unique=True)
    certified_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    commune_code: Mapped[str] = mapped_column(String(10), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_type: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
