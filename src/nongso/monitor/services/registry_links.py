"""Links with the registry: the fields a station watches (or those around it), a farmer's
or an organisation's fields, the stations on a registry infrastructure record.
"""

from __future__ import annotations

from sqlalchemy import select

from nongso.core.uow import UnitOfWork
from nongso.monitor.models import Thing
from nongso.monitor.services._common import _visible_thing_ids
from nongso.monitor.services.streams import RuleStream
from nongso.registry import services as registry
from nongso.registry.schemas import FieldRef, LinkedRecord


def fields_around(uow: UnitOfWork, stream: RuleStream, radius_m: float
                  ) -> list[FieldRef]:
    """The fields a station watches (its linked production units), else those around it
    (both from the registry's services)."""
    if stream.production_unit_ids:
        return registry.production_units_by_id(uow, stream.production_unit_ids)
    if stream.lon is None or stream.lat is None:
        return []
    return registry.production_units_near(uow, stream.lon, stream.lat, radius_m)


def fields_of(uow: UnitOfWork, *, farmer_id: int | None = None,
              organisation_id: int | None = None) -> list[FieldRef]:
    """A farmer's or an organisation's fields (communes and crops), from the registry."""
    return registry.production_units_of(uow, farmer_id=farmer_id,
                                        organisation_id=organisation_id)


def things_of_registry_feature(uow: UnitOfWork, registry_feature_id: int) -> list[LinkedRecord]:
    """The Things (sensor stations) linked to a registry infrastructure record by their
    ``registryFeatureId``, that the caller may see: for the registry's record (wired in
    :mod:`nongso.wiring`) and the web pages."""
    with uow:
        rows = uow.session.execute(
            select(Thing.id, Thing.name, Thing.kind)
            .where(Thing.registry_feature_id == registry_feature_id,
                   Thing.id.in_(_visible_thing_ids(uow)))
            .order_by(Thing.id)).all()
    return [LinkedRecord(domain="monitor", id=i, name=name, kind=kind,
                         href=f"/monitor/stations/{i}", self_link=f"/sta/v1.1/Things({i})")
            for i, name, kind in rows]
