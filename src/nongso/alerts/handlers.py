"""Reactions of alerts to other domains' events (subscribed in ``nongso.wiring``)."""

from __future__ import annotations

from nongso.alerts import services
from nongso.core.events import (
    LotRecalled,
    ObservationsIngested,
    PersonErased,
    PestThresholdReached,
)
from nongso.core.uow import UnitOfWork


def on_observations_ingested(uow: UnitOfWork, event: ObservationsIngested) -> None:
    """Evaluate the rules of the datastreams that got data, in the same transaction: the
    alert is raised together with the readings that raised it, or neither is stored."""
    services.evaluate_datastreams(uow, event.datastream_ids, data_arrived=True)


def on_person_erased(uow: UnitOfWork, event: PersonErased) -> None:
    """Forget the e-mail and phone the person's subscriptions and deliveries copied."""
    services.forget_addresses(uow, event.user_ids)


def on_pest_threshold_reached(uow: UnitOfWork, event: PestThresholdReached) -> None:
    """A scouting record at a pest's spray threshold raises the pest alert of its commune."""
    services.raise_scouting_finding(uow, event)


def on_lot_recalled(uow: UnitOfWork, event: LotRecalled) -> None:
    """A recalled or withdrawn lot is told to the organisations downstream."""
    services.notify_recall(uow, event)
