"""The province's digital-transformation targets: a named extension point (pure).

Each target of ``stats_targets`` names a *provider*, a function that measures it from the
platform's records. Providers are registered by name from ``nongso.wiring`` — those of the
domains that exist (traceability, monitoring, diary, the statistics themselves) and, when
they are built, the market's and the open-data catalogue's. A target whose provider is not
registered is shown as "chưa có dữ liệu / not yet available", never as 0 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nongso.core.uow import UnitOfWork


@dataclass(frozen=True)
class Measure:
    """A target's value now (a share in % or a count) and how it was counted."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    note_vi: str | None = None
    note_en: str | None = None


# (unit of work, province code, today) -> the measure.
Provider = Callable[["UnitOfWork", str, dt.date], Measure]

_providers: dict[str, Provider] = {}


def register_target_provider(name: str, provider: Provider) -> None:
    """Make a provider available under ``name`` (idempotent; a new one replaces the old)."""
    _providers[name] = provider


def unregister_target_provider(name: str) -> None:
    _providers.pop(name, None)


def target_provider(name: str) -> Provider | None:
    return _providers.get(name)


def registered() -> list[str]:
    return sorted(_providers)


def share(numerator: float, denominator: float, note_vi: str, note_en: str) -> Measure:
    """A share in %, or no value when there is nothing to divide by."""
    if denominator <= 0:
        return Measure(None, numerator, denominator, note_vi, note_en)
    return Measure(round(100 * numerator / denominator, 1), numerator, denominator, note_vi,
                   note_en)


def goal_met(value: float | None, low: float | None, strict: bool) -> bool | None:
    """Whether a value meets a goal: at least its minimum, or above it when the scheme says
    "trên" (``strict``). A range such as "15–20 %" is met from 15 % on."""
    if value is None:
        return None
    if low is None:
        return True
    return value > low if strict else value >= low
