"""Pieces several use cases of traceability share: the platform's EPCIS namespace, who may
capture, read and manage, the management check, EPCIS times and event skeletons, and the
names of administrative units (reference data kept once read).

Nothing here opens a unit of work; the functions run inside their caller's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nongso.core.errors import NotFound
from nongso.core.permissions import deny, require_login
from nongso.core.uow import UnitOfWork
from nongso.trace import epcis
from nongso.trace.services._tenancy import may_manage
from nongso.units import services as units

NAMESPACE = "https://nongso.vn/epcis/"
"""The namespace of the platform's EPCIS extension fields (``nongso:plantingAreaCode``…)."""
CONTEXT: list[Any] = [epcis.EPCIS_CONTEXT, {"nongso": NAMESPACE}]

# Who may capture events and who may read the repository (admins always may).
CAPTURE_ROLES = ("coop_manager", "buyer", "province_officer", "commune_officer")
READ_ROLES = ("province_officer", "commune_officer", "inspector", "coop_manager", "buyer")
MANAGE_ROLES = ("coop_manager", "buyer", "province_officer", "commune_officer")


def _can_manage_org(uow: UnitOfWork, organisation_id: int | None) -> bool:
    """Whether the principal manages the organisation's traceability records (its own
    organisation; officers and inspectors inside their unit only: see ``_tenancy``)."""
    return may_manage(uow, organisation_id)


def _require_manage(uow: UnitOfWork, organisation_id: int | None) -> None:
    require_login(uow.principal)
    if not may_manage(uow, organisation_id):
        raise deny()


_UNIT_NAMES: dict[str, str | None] = {}


def _unit_name(uow: UnitOfWork, code: str) -> str | None:
    """The name of an administrative unit (reference data: kept once read)."""
    if code not in _UNIT_NAMES:
        if len(_UNIT_NAMES) > 10000:
            _UNIT_NAMES.clear()
        _UNIT_NAMES[code] = _commune_place(uow, code)[0]
    return _UNIT_NAMES[code]


def _commune_place(uow: UnitOfWork, commune_code: str | None) -> tuple[str | None, float | None,
                                                                        float | None]:
    if not commune_code:
        return None, None, None
    try:
        unit = units.get_unit(uow, commune_code)
    except NotFound:
        return None, None, None
    return unit.name, unit.lat, unit.lon


def _iso(at: dt.datetime) -> str:
    """EPCIS time: UTC+7 local time with its offset, milliseconds."""
    local = at.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return local.isoformat(timespec="milliseconds")


def _event(event_type: str, at: dt.datetime, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": event_type, "eventTime": _iso(at),
                             "eventTimeZoneOffset": "+07:00"}
    event.update({k: v for k, v in fields.items() if v is not None})
    return event


VN_TIME = dt.timezone(dt.timedelta(hours=7))


def _local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(VN_TIME).date()


def epcis_json_loads(text: str) -> dict[str, Any]:
    import json

    value: dict[str, Any] = json.loads(text)
    return value


def harvest_period(first: dt.date | None, last: dt.date | None) -> tuple[str, str] | None:
    """The harvest day, or the days of a lot made from several harvests, in Vietnamese and
    English: "thu hoạch từ 02/03 đến 15/03/2026" / "harvested from 02/03 to 15/03/2026"."""
    if first is None:
        return None
    if last is None or last == first:
        return f"thu hoạch ngày {first:%d/%m/%Y}", f"harvested on {first:%d/%m/%Y}"
    start = f"{first:%d/%m}" if first.year == last.year else f"{first:%d/%m/%Y}"
    return (f"thu hoạch từ {start} đến {last:%d/%m/%Y}",
            f"harvested from {start} to {last:%d/%m/%Y}")
