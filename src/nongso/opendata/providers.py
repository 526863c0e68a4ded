"""Dataset providers: the named extension point of the open-data build.

A provider knows one kind of published data (the registry's layers, the seasonal statistics,
the sensor summaries…) and answers it as :class:`Publication` s — a table (pyarrow) with its
description — read through the owning domain's public services. Providers are registered by
name from ``nongso.wiring``; registering another provider under the same name replaces it (the
statistics capability replaces the diary-based seasonal statistics that way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from nongso.core.uow import UnitOfWork
from nongso.opendata import catalog


@dataclass(frozen=True)
class BuildContext:
    province_code: str
    min_farms: int
    today: dt.date


@dataclass(frozen=True)
class Publication:
    """One dataset as a provider produced it (before it is written and versioned)."""

    id: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    keywords_vi: tuple[str, ...]
    keywords_en: tuple[str, ...]
    themes: tuple[str, ...]
    frequency: str
    table: pa.Table
    # GeoJSON geometries, one per row, when the dataset is a map layer.
    geometries: list[dict[str, Any] | None] | None = None
    temporal: tuple[dt.date, dt.date] | None = None
    # Administrative units covered (codes; the province when empty). A legacy code is named
    # by the 2025 unit it became, with the legacy unit kept as history.
    unit_codes: tuple[str, ...] = ()
    series: str | None = None
    # Rows left out because they describe fewer farms than the minimum.
    suppressed_rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class DatasetProvider(Protocol):
    name: str

    def series(self) -> Sequence[catalog.SeriesSpec]:
        """The dataset series this provider publishes members of (may be empty)."""
        ...

    def publications(self, uow: UnitOfWork, ctx: BuildContext) -> Iterable[Publication]:
        """The datasets, read through the owning domains' services."""
        ...


_providers: dict[str, DatasetProvider] = {}


def register_provider(provider: DatasetProvider) -> None:
    """Publish what ``provider`` gives (replacing a provider of the same name)."""
    _providers[provider.name] = provider


def unregister_provider(name: str) -> None:
    _providers.pop(name, None)


def registered() -> list[DatasetProvider]:
    return [_providers[k] for k in sorted(_providers)]


def table_from_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]],
                    schema: pa.Schema | None = None) -> pa.Table:
    """A pyarrow table from row tuples (columns transposed)."""
    if schema is None and not rows:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    data = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    if schema is not None:
        return pa.table([pa.array(list(col), type=schema.field(i).type)
                         for i, col in enumerate(data)], schema=schema)
    return pa.table({c: pa.array(list(col)) for c, col in zip(columns, data, strict=True)})
