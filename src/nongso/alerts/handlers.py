"""Reactions of alerts to other domains' events (subscribed in ``nongso.wiring``)."""

from __future__ import annotations

from nongso.alerts import services
from nongso.core.events import ObservationsIngested, PersonErased
from nongso.core.uow import UnitOfWork


def on_observations_ingested(uow: UnitOfWork, event: ObservationsIngested) -> None:
    """Evaluate the rules of the datastreams that got data, in the same transaction: the
    alert is raised together with the readings that raised it, or neither is stored."""
    services.evaluate_datastreams(uow, event.datastream_ids, data_arrived=True)


def on_person_erased(uow: UnitOfWork, event: PersonErased) -> None:
    """Forget the e-mail and phone the person's subscriptions and deliveries copied."""
    services.forget_addresses(uow, event.user_ids)
