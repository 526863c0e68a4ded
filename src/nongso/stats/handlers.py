"""Domain event handlers of the statistics (subscribed in ``nongso.wiring``).

They run inside the publisher's transaction, so they only queue what must be recounted (one
small insert): a failure of the statistics can never lose a harvest, and a rolled-back
harvest leaves nothing queued."""

from __future__ import annotations

from nongso.core import events
from nongso.core.uow import UnitOfWork
from nongso.stats import services


def on_harvest(uow: UnitOfWork, e: events.HarvestRecorded) -> None:
    key = services.season_key_of(e.season_name)
    services.enqueue(uow, "diary", f"{e.commune_code}|{key}" if key else services.RECENT)
    services.enqueue(uow, "trace", "lots")


def on_harvest_corrected(uow: UnitOfWork, e: events.HarvestCorrected) -> None:
    services.enqueue(uow, "diary", services.RECENT)


def on_activity_deleted(uow: UnitOfWork, e: events.ActivityDeleted) -> None:
    if e.kind in ("harvest", "sowing"):
        services.enqueue(uow, "diary", services.RECENT)
