"""The in-process domain event bus: handlers run inside the publisher's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from nongso.core import clock, events
from nongso.core.platform import Platform
from nongso.core.uow import UnitOfWork
from nongso.registry.models import Organisation


@dataclass(frozen=True)
class _Happened(events.DomainEvent):
    name: str


@pytest.fixture
def bus() -> Iterator[list[str]]:
    seen: list[str] = []
    saved = {k: list(v) for k, v in events._handlers.items()}
    yield seen
    events._handlers.clear()
    events._handlers.update(saved)


def _count(platform: Platform) -> int:
    with platform.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Organisation)) or 0


def _write_org(uow: UnitOfWork, name: str) -> None:
    uow.session.add(Organisation(kind="cooperative", name=name, commune_code="28321",
                                 province_code="82", attributes={}))


def test_handler_writes_in_the_same_transaction(platform: Platform, bus: list[str]) -> None:
    def on_happened(uow: UnitOfWork, event: _Happened) -> None:
        bus.append(event.name)
        _write_org(uow, "HTX từ sự kiện")

    events.subscribe(_Happened, on_happened)
    events.subscribe(_Happened, on_happened)  # subscribing twice does not deliver twice
    with platform.uow() as uow:
        _write_org(uow, "HTX gốc")
        events.publish(uow, _Happened("a"))
        uow.commit()
    assert bus == ["a"]
    assert _count(platform) == 2


def test_failing_handler_rolls_back_the_publisher(platform: Platform, bus: list[str]) -> None:
    def on_happened(uow: UnitOfWork, event: _Happened) -> None:
        raise ValueError("handler failed")

    events.subscribe(_Happened, on_happened)
    with pytest.raises(ValueError, match="handler failed"), platform.uow() as uow:
        _write_org(uow, "HTX gốc")
        events.publish(uow, _Happened("b"))
        uow.commit()
    assert _count(platform) == 0


def test_fixed_clock_replaces_the_system_clock() -> None:
    at = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)
    previous = clock.use(clock.FixedClock(at))
    try:
        assert clock.now() == at
        assert clock.today_vn() == dt.date(2026, 3, 2)  # 03:00 the next day in Vietnam
    finally:
        clock.use(previous)
    assert clock.now() != at
    with pytest.raises(ValueError):
        clock.FixedClock(dt.datetime(2026, 1, 1))
