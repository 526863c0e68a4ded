"""CAP 1.2 export: one alert as XML or JSON, the Atom feed of recent alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from nongso.alerts import cap
from nongso.alerts.models import Alert
from nongso.alerts.services._common import _cap_context, _load, _public, _publics
from nongso.core import clock
from nongso.core.uow import UnitOfWork


def cap_xml(uow: UnitOfWork, alert_id: int) -> str:
    with uow:
        return cap.to_xml(_public(uow, _load(uow, alert_id)), _cap_context(uow))


def cap_json(uow: UnitOfWork, alert_id: int) -> dict[str, Any]:
    with uow:
        return cap.to_json(_public(uow, _load(uow, alert_id)), _cap_context(uow))


def cap_feed(uow: UnitOfWork, feed_url: str) -> str:
    """Atom feed of the open alerts and those cleared in the last 7 days."""
    with uow:
        since = clock.now() - dt.timedelta(days=7)
        rows = list(uow.session.scalars(select(Alert).where(
            (Alert.status != "cleared") | (Alert.cleared_at >= since))
            .order_by(Alert.updated_at.desc()).limit(500)))
        publics = _publics(uow, rows)
        updated = max((a.updated_at for a in publics), default=clock.now())
        return cap.to_atom(publics, _cap_context(uow), updated, feed_url)
