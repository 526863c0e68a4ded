"""Stations on the map: their data status with their worst open alert."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from nongso.alerts import engine, rules
from nongso.alerts.models import Alert
from nongso.alerts.schemas import StationStatusPublic
from nongso.core.uow import UnitOfWork
from nongso.monitor import services as monitor


def stations_with_status(uow: UnitOfWork) -> list[StationStatusPublic]:
    """Monitoring stations with their data status and their worst open alert."""
    base = monitor.stations(uow)
    with uow:
        worst: dict[int, str] = {}
        counts: dict[int, int] = defaultdict(int)
        silent: set[int] = set()
        for thing_id, severity, rule_id in uow.session.execute(
            select(Alert.thing_id, Alert.severity, Alert.rule_id)
            .where(Alert.status != "cleared", Alert.thing_id.is_not(None))):
            if thing_id is None:
                continue
            counts[thing_id] += 1
            if rule_id == rules.RULE_SILENCE:
                silent.add(thing_id)
            if engine.rank(severity) >= engine.rank(worst.get(thing_id, "info")):
                worst[thing_id] = severity
    out = []
    for st in base:
        status = st.status
        sev = worst.get(st.id)
        if st.id in silent:
            status = "silent"
        elif status not in ("silent", "no_data") and sev is not None:
            status = "alarm" if engine.rank(sev) >= engine.rank("severe") else "warning"
        out.append(StationStatusPublic(
            id=st.id, name=st.name, kind=st.kind, commune_code=st.commune_code, lon=st.lon,
            lat=st.lat, status=status,
            last_time=st.last_time,
            latest=[v.model_dump(mode="json") for v in st.latest], alerts=counts.get(st.id, 0),
            worst_severity=sev, registry_feature_id=st.registry_feature_id,
        ))
    return out
