"""What ``/ogcapi`` publishes: a small provider interface and the registry of providers.

Like pygeoapi's named providers, every collection of the OGC API – Features is a
:class:`CollectionProvider` registered under its id; :mod:`nongso.registry.ogcapi` knows nothing
else (no table, no domain). The registry's own collections are providers (registered by
:mod:`nongso.registry.services.ogc`); other domains' collections — monitoring stations, lots,
open-data layers — are registered in :mod:`nongso.wiring` with :func:`register_provider`,
usually as a :class:`FunctionProvider` built from the domain's service functions.

A provider answers:

* its metadata: ``id`` (the URL segment), ``title(lang)`` / ``description(lang)`` (``vi``,
  ``en``), ``geometry_format`` (OGC Part 3: ``geometry-point``, ``geometry-polygon``,
  ``geometry-any``…), ``temporal`` (whether ``datetime`` applies) and ``queryables``
  (:class:`Queryable`: every one is also a query parameter, ``?crop=mango``);
* ``extent(uow)``: its bounding box (lon/lat) and time span, or ``None`` parts;
* ``items(uow, q)``: one page of features for an :class:`ItemsQuery` — ``bbox`` (features
  whose geometry intersects it), ``interval`` (``datetime``: features valid then), ``filter``
  (CQL2 text, see :mod:`nongso.registry.cql`), ``equals`` (property filters), ``limit`` and the
  page position (``after``: keyset, after that id; ``offset``: from that row). The
  :class:`FeaturePage` says where the next page starts (``next_after`` or ``next_offset``) and
  gives ``number_matched`` only when it cost nothing. A provider must apply every part of the
  query it accepts, or refuse it with a 400 (:class:`nongso.registry.cql.ParameterError` /
  :class:`~nongso.registry.cql.FilterError`): nothing is silently ignored;
* ``item(uow, feature_id)``: one feature by the id in the path, or a
  :class:`~nongso.core.errors.NotFound`;
* ``record_href(feature_id)``: the web page of that record, if the platform has one.

Features are :class:`FeatureRecord` (integer id, GeoJSON geometry in lon/lat, public
properties only: the provider decides what the caller — ``uow.principal`` — may see).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from nongso.core.errors import NotFound, not_found
from nongso.core.uow import UnitOfWork
from nongso.registry.geo import BBox

QueryableType = Literal["string", "number", "integer", "boolean", "date"]
Extent = tuple[BBox | None, tuple[dt.date | None, dt.date | None]]


@dataclass(frozen=True)
class Queryable:
    name: str
    type: QueryableType
    title_vi: str
    title_en: str
    enum: tuple[str, ...] | None = None
    versioned: bool = False
    """Also available "as of" a date (a column of the versions table)."""


@dataclass(frozen=True)
class FeatureRecord:
    id: int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]
    bbox: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class FeaturePage:
    features: list[FeatureRecord]
    next_after: int | None
    number_matched: int | None
    next_offset: int | None = None
    """For spatially ordered pages: where the next page starts."""


@dataclass(frozen=True)
class ItemsQuery:
    """The OGC items request, parsed and checked (see the module docstring)."""

    bbox: BBox | None = None
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filter: str | None = None
    equals: Mapping[str, str] = field(default_factory=dict)
    limit: int = 100
    after: int | None = None
    offset: int | None = None


class CollectionProvider(Protocol):
    """One collection of the OGC API (see the module docstring)."""

    @property
    def id(self) -> str: ...

    @property
    def geometry_format(self) -> str: ...

    @property
    def temporal(self) -> bool: ...

    @property
    def queryables(self) -> Sequence[Queryable]: ...

    def title(self, lang: str) -> str: ...

    def description(self, lang: str) -> str: ...

    def extent(self, uow: UnitOfWork) -> Extent: ...

    def items(self, uow: UnitOfWork, q: ItemsQuery) -> FeaturePage: ...

    def item(self, uow: UnitOfWork, feature_id: str) -> FeatureRecord: ...

    def record_href(self, feature_id: int) -> str | None: ...


@dataclass(frozen=True)
class FunctionProvider:
    """A provider made of a domain's service functions (what :mod:`nongso.wiring` registers).

    ``get_items(uow, q)`` answers a page; ``get_item(uow, feature_id)`` one feature or None
    (404); ``get_extent(uow)`` the extent (default: none known). A ``feature_id`` that is not a
    positive integer is answered 404 without calling ``get_item``."""

    id: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    queryables: tuple[Queryable, ...]
    get_items: Callable[[UnitOfWork, ItemsQuery], FeaturePage]
    get_item: Callable[[UnitOfWork, int], FeatureRecord | None]
    get_extent: Callable[[UnitOfWork], Extent] | None = None
    geometry_format: str = "geometry-any"
    temporal: bool = False
    record_path: str | None = None
    """A web page of each record: ``"/stations/{id}"`` (``{id}`` is replaced)."""

    def title(self, lang: str) -> str:
        return self.title_vi if lang == "vi" else self.title_en

    def description(self, lang: str) -> str:
        return self.description_vi if lang == "vi" else self.description_en

    def extent(self, uow: UnitOfWork) -> Extent:
        return self.get_extent(uow) if self.get_extent is not None else (None, (None, None))

    def items(self, uow: UnitOfWork, q: ItemsQuery) -> FeaturePage:
        return self.get_items(uow, q)

    def item(self, uow: UnitOfWork, feature_id: str) -> FeatureRecord:
        found = self.get_item(uow, int(feature_id)) if _positive_id(feature_id) else None
        if found is None:
            raise NotFound(f"Không tìm thấy đối tượng «{feature_id[:40]}».",
                           f"Feature '{feature_id[:40]}' was not found.")
        return found

    def record_href(self, feature_id: int) -> str | None:
        return self.record_path.replace("{id}", str(feature_id)) if self.record_path else None


def _positive_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18 and int(text) > 0


_providers: dict[str, CollectionProvider] = {}


def register_provider(provider: CollectionProvider) -> None:
    """Publish a collection (idempotent for the same provider; another one under a taken id
    is a programming error)."""
    existing = _providers.get(provider.id)
    if existing is not None and existing is not provider:
        raise ValueError(f"an OGC API collection '{provider.id}' is already registered")
    _providers[provider.id] = provider


def unregister_provider(collection_id: str) -> None:
    """Withdraw a collection (tests, or a layer that is no longer published)."""
    _providers.pop(collection_id, None)


def providers() -> list[CollectionProvider]:
    """Every published collection, in the order they were registered."""
    return list(_providers.values())


def get_provider(collection_id: str) -> CollectionProvider:
    found = _providers.get(collection_id)
    if found is None:
        raise not_found("tập dữ liệu", "collection", collection_id)
    return found
