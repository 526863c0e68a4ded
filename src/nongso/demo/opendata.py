"""The demo's open data: publish the catalogue of the demo province (a few seconds)."""

from __future__ import annotations

from nongso.core.uow import UnitOfWork
from nongso.opendata import services as opendata
from nongso.opendata.schemas import BuildReport


def publish(uow: UnitOfWork) -> BuildReport:
    return opendata.build_catalogue(uow)
