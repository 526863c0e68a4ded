"""Use cases: the province's publication settings, what changed since the last build (fed by
domain events, subscribed in ``nongso.wiring``), when to rebuild, and the share of the
agricultural databases published as open data."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from nongso.core import clock, events
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.opendata.models import LakeDeletion, OpendataSettings
from nongso.opendata.schemas import (
    DatabaseShare,
    OpendataSettingsPublic,
    OpendataSettingsUpdate,
    PublishedShare,
)
from nongso.opendata.services.publish import default_settings, load_settings, store


def get_settings_public(uow: UnitOfWork) -> OpendataSettingsPublic:
    return load_settings(uow)


def update_settings(uow: UnitOfWork, data: OpendataSettingsUpdate) -> OpendataSettingsPublic:
    """The province sets its licence, contact, minimum farms per aggregate and schedule."""
    require_role(uow.principal, "province_officer")
    with uow:
        s = uow.session
        row = s.scalar(select(OpendataSettings).where(OpendataSettings.id == 1))
        if row is None:
            row = OpendataSettings(id=1, **default_settings().model_dump(exclude={"updated_at"}))
            s.add(row)
        for key, value in data.model_dump(exclude_none=True).items():
            setattr(row, key, str(value) if key == "licence_uri" else value)
        row.updated_at = clock.now()
        uow.commit()
        return OpendataSettingsPublic.model_validate(row)


# --- changes since the last build ------------------------------------------------------------

_lock = threading.Lock()
_changed_at: dt.datetime | None = None
_changes = 0


def note_change(uow: UnitOfWork, event: events.DomainEvent) -> None:
    """Event handler: published data may have changed (no database write: a rolled-back
    change only costs one build more; a restart is covered by the schedule)."""
    global _changed_at, _changes
    with _lock:
        _changed_at = clock.now()
        _changes += 1


def note_deletion(uow: UnitOfWork, event: events.ActivityDeleted) -> None:
    """Event handler: a diary activity was deleted; the lake rewrites the partitions that
    hold it at its next export (written in the deleting transaction)."""
    uow.session.add(LakeDeletion(table_name="diary_activities", row_id=event.activity_id))
    note_change(uow, event)


def pending_changes() -> tuple[dt.datetime | None, int]:
    with _lock:
        return _changed_at, _changes


def forget_changes(until: dt.datetime) -> None:
    """After a build that started at ``until``: changes noted before it are published."""
    global _changed_at, _changes
    with _lock:
        if _changed_at is not None and _changed_at <= until:
            _changed_at, _changes = None, 0


def rebuild_due(conf: OpendataSettingsPublic, now: dt.datetime,
                last_build: dt.datetime | None) -> str | None:
    """Why a build is due now ("changed", "schedule", "first"), or None."""
    changed_at, _ = pending_changes()
    if last_build is None:
        return "first"
    if changed_at is not None and now - changed_at >= dt.timedelta(
            seconds=conf.debounce_seconds):
        return "changed"
    if conf.schedule_hours and now - last_build >= dt.timedelta(hours=conf.schedule_hours):
        return "schedule"
    return None


def last_build_time() -> dt.datetime | None:
    st = store()
    current = st.current()
    cat = st.catalogue(current) if current else None
    return cat.built_at if cat else None


# --- the province's target: share of the agricultural databases published -------------------

# The agricultural databases the platform keeps, and which published datasets come from them.
DATABASES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("registry-production-units", "Cơ sở dữ liệu vùng sản xuất", "Production units database",
     ("production-units",)),
    ("registry-planting-areas", "Cơ sở dữ liệu mã số vùng trồng", "Planting-area code database",
     ("planting-areas",)),
    ("registry-organisations", "Cơ sở dữ liệu hợp tác xã, tổ hợp tác",
     "Co-operatives database", ("cooperatives",)),
    ("registry-businesses", "Cơ sở dữ liệu đại lý vật tư", "Input dealers database",
     ("input-dealers",)),
    ("registry-infrastructure", "Cơ sở dữ liệu hạ tầng thủy lợi", "Irrigation infrastructure "
     "database", ("infrastructure",)),
    ("diary", "Cơ sở dữ liệu nhật ký sản xuất (tổng hợp)", "Farm diary database (aggregates)",
     ("seasonal-statistics-",)),
    ("monitor", "Cơ sở dữ liệu quan trắc", "Monitoring database", ("sensor-daily-",)),
    ("alerts", "Cơ sở dữ liệu cảnh báo", "Alerts database", ("alerts",)),
    ("trace-ocop", "Cơ sở dữ liệu sản phẩm OCOP", "OCOP products database", ("ocop-products",)),
)


def published_share(uow: UnitOfWork) -> PublishedShare:
    """The share of the agricultural databases published as machine-readable open data in the
    current catalogue (for the province's targets: 100 % by 2030)."""
    st = store()
    current = st.current()
    cat = st.catalogue(current) if current else None
    ids = [d.id for d in cat.datasets if d.distributions] if cat else []
    out = []
    for key, vi, en, prefixes in DATABASES:
        found = [i for i in ids if any(i == p or (p.endswith("-") and i.startswith(p))
                                       for p in prefixes)]
        out.append(DatabaseShare(database=key, title_vi=vi, title_en=en, published=bool(found),
                                 datasets=found))
    published = sum(1 for d in out if d.published)
    return PublishedShare(databases=len(out), published=published,
                          share=round(published / len(out), 4), by_database=out,
                          catalogue_version=current)
