"""Domain events on an in-process bus: how one domain reacts to another without its tables.

A service publishes an event inside its unit of work (``events.publish(uow, event)``);
every handler subscribed to that event type runs at once, in the same transaction, with the
same unit of work. So a harvest and the traceability lot it commissions are written together
or not at all, and a handler that fails rolls the publisher's use case back.

Handlers are registered by ``nongso.wiring.register_handlers()`` (called by the entry points:
``nongso.app.create_app``, the ``nongso`` command, the test fixtures), never as an import side
effect, so which domain listens to which is written in one place.

The events themselves are the contracts between domains: plain frozen dataclasses with ids and
facts, no ORM objects.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from nongso.core.uow import UnitOfWork


@dataclass(frozen=True)
class DomainEvent:
    """Base class of every domain event."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[["UnitOfWork", Any], None]

_handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[UnitOfWork, E], None]) -> None:
    """Run ``handler(uow, event)`` whenever an event of that type is published."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe_all() -> None:
    """Forget every subscription (tests that need a bus without listeners)."""
    _handlers.clear()


def publish(uow: UnitOfWork, event: DomainEvent) -> None:
    """Deliver the event to its handlers now, inside the caller's unit of work."""
    for event_type, handlers in list(_handlers.items()):
        if isinstance(event, event_type):
            for handler in list(handlers):
                handler(uow, event)


# --- diary -> traceability, statistics ---------------------------------------------------


@dataclass(frozen=True)
class HarvestRecorded(DomainEvent):
    """A harvest was written in a farm diary (one event per plot harvested)."""

    activity_id: int
    client_uuid: str
    season_id: int
    plot_id: int
    production_unit_id: int | None  # the registry field / planting area of the plot
    organisation_id: int | None  # the co-operative (or company) the plot belongs to
    farmer_id: int | None
    commune_code: str
    crop: str
    variety: str | None
    harvested_at: dt.datetime
    quantity_kg: float
    moisture_pct: float | None = None
    planting_area_code: str | None = None
    certifications: tuple[str, ...] = ()
    # Added by the diary (all optional): the season's name, the harvested area, the tree.
    season_name: str | None = None  # "Đông Xuân 2025-2026"
    area_ha: float | None = None
    tree_id: int | None = None
    # The rule violations in the harvest's backward trace (its own and those of the season's
    # records up to it), as "rule-id: message"; a lot made from it is held for inspection.
    violations: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessingRecorded(DomainEvent):
    """Pre-processing of harvested produce (drying, sorting, milling…): inputs -> outputs."""

    activity_id: int
    client_uuid: str
    kind: str  # "drying" | "sorting" | "milling" | "packing" | ...
    at: dt.datetime
    organisation_id: int | None
    # The harvest (or earlier processing) activities whose produce went in, with kg used.
    inputs: tuple[tuple[int, float], ...]
    # What came out: (product, kg, is_main_product), e.g. ("gạo", 620, True), ("trấu", 200, False).
    outputs: tuple[tuple[str, float, bool], ...] = field(default_factory=tuple)
    # Added by the diary: where it happened (None for a co-operative's own processing).
    season_id: int | None = None
    plot_id: int | None = None
    farmer_id: int | None = None
    commune_code: str | None = None


@dataclass(frozen=True)
class SaleRecorded(DomainEvent):
    """Produce sold and shipped to a buyer (a registry organisation)."""

    activity_id: int
    client_uuid: str
    at: dt.datetime
    seller_organisation_id: int | None
    buyer_organisation_id: int | None
    source_activity_ids: tuple[int, ...]  # harvest/processing activities sold from
    quantity_kg: float
    price_vnd_per_kg: float | None = None
    # Added by the diary.
    season_id: int | None = None
    plot_id: int | None = None
    farmer_id: int | None = None
    commune_code: str | None = None
    product: str | None = None


@dataclass(frozen=True)
class HarvestCorrected(DomainEvent):
    """A recorded harvest was edited (quantity, moisture or time changed)."""

    activity_id: int
    client_uuid: str
    harvested_at: dt.datetime
    quantity_kg: float
    moisture_pct: float | None = None


@dataclass(frozen=True)
class ViolationsRecorded(DomainEvent):
    """A record written or corrected after harvests of its season raised rule violations: the
    lots of those harvests (and what was made from them) now have a violation upstream."""

    activity_id: int
    season_id: int
    at: dt.datetime  # when the flagged activity happened
    # The season's harvests at or after it (their lots' backward traces contain it).
    harvest_activity_ids: tuple[int, ...]
    violations: tuple[str, ...]  # "rule-id: message", as in HarvestRecorded.violations


@dataclass(frozen=True)
class ActivityDeleted(DomainEvent):
    """A diary activity was deleted (its events should no longer be relied on)."""

    activity_id: int
    client_uuid: str
    kind: str


@dataclass(frozen=True)
class PestThresholdReached(DomainEvent):
    """A scouting record reports a pest at the spray threshold of the crop's growth stage (an
    observation: the record is saved with its warning; the pest alert is raised)."""

    activity_id: int
    season_id: int
    commune_code: str
    crop: str | None
    pest: str  # as written ("Rầy nâu")
    pest_code: str  # "brown_planthopper"
    at: dt.datetime
    density_per_m2: float
    threshold_per_m2: float
    message_vi: str
    message_en: str
    source: str


# --- traceability -> alerts ----------------------------------------------------------------


@dataclass(frozen=True)
class LotRecalled(DomainEvent):
    """A lot was recalled or withdrawn: the organisations downstream (buyers, shops that
    received it or what was made from it) are to be told through the alert channels."""

    lot_id: int
    lot_code: str
    label: str
    status: str  # "recalled" | "withdrawn"
    reason: str | None
    receiver_organisation_ids: tuple[int, ...]
    path: str  # the lot's page under the site's base URL, e.g. "/trace/lots/12"


# --- monitoring -> alerts ------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationsIngested(DomainEvent):
    """A batch of good-quality observations was stored (one event per batch, not per row)."""

    datastream_ids: tuple[int, ...]
    first_time: dt.datetime
    last_time: dt.datetime
    count: int


# --- accounts -> alerts (personal data) ---------------------------------------------------


@dataclass(frozen=True)
class PersonErased(DomainEvent):
    """A person's data was erased on request (Decree 13/2023/NĐ-CP): a domain that copied the
    person's contact details (an alert subscription's e-mail or phone) forgets them now."""

    farmer_id: int
    user_ids: tuple[int, ...]
