"""Domain event handlers: the farm diary's records become lots and EPCIS events.

Thin adapters (subscribed in ``nongso.wiring``): each calls one service, inside the diary's
unit of work, so the record and its traceability events are written together or not at all.
"""

from __future__ import annotations

from nongso.core import events
from nongso.core.uow import UnitOfWork
from nongso.trace import services


def on_harvest(uow: UnitOfWork, event: events.HarvestRecorded) -> None:
    services.commission_harvest(uow, event)


def on_processing(uow: UnitOfWork, event: events.ProcessingRecorded) -> None:
    services.record_processing(uow, event)


def on_sale(uow: UnitOfWork, event: events.SaleRecorded) -> None:
    services.record_sale(uow, event)


def on_harvest_corrected(uow: UnitOfWork, event: events.HarvestCorrected) -> None:
    services.correct_harvest(uow, event)


def on_activity_deleted(uow: UnitOfWork, event: events.ActivityDeleted) -> None:
    services.withdraw_deleted(uow, event)


def on_violations_recorded(uow: UnitOfWork, event: events.ViolationsRecorded) -> None:
    services.hold_for_violations(uow, event)
