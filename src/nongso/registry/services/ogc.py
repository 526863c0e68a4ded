"""The registry's collections as OGC API – Features providers (see
:mod:`nongso.registry.providers`): each :class:`~nongso.registry.collections.Collection` is
published under its id, in the order of ``COLLECTIONS``, when this module is imported (by
:mod:`nongso.registry.services`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nongso.core.errors import NotFound
from nongso.core.fields import MAX_ID
from nongso.core.uow import UnitOfWork
from nongso.registry import features
from nongso.registry.collections import COLLECTIONS, Collection
from nongso.registry.providers import (
    Extent,
    FeaturePage,
    FeatureRecord,
    ItemsQuery,
    Queryable,
    register_provider,
)
from nongso.registry.services.queries import collection_extent, get_feature, query_features


@dataclass(frozen=True)
class RegistryProvider:
    """A registry collection, queried by the registry's feature engine."""

    collection: Collection

    @property
    def id(self) -> str:
        return self.collection.id

    @property
    def geometry_format(self) -> str:
        return self.collection.geometry_format

    @property
    def temporal(self) -> bool:
        return self.collection.temporal

    @property
    def queryables(self) -> Sequence[Queryable]:
        return self.collection.queryables

    def title(self, lang: str) -> str:
        return self.collection.title(lang)

    def description(self, lang: str) -> str:
        return self.collection.description(lang)

    def extent(self, uow: UnitOfWork) -> Extent:
        return collection_extent(uow, self.id)

    def items(self, uow: UnitOfWork, q: ItemsQuery) -> FeaturePage:
        return query_features(uow, self.id, features.FeatureQuery(
            bbox=q.bbox, interval=q.interval, filter=q.filter, equals=q.equals, limit=q.limit,
            after=q.after, offset=q.offset,
            # A bbox query's pages follow the spatial index (fast first page of a dense box).
            spatial_order=q.bbox is not None and q.after is None,
        ))

    def item(self, uow: UnitOfWork, feature_id: str) -> FeatureRecord:
        if not (feature_id.isascii() and feature_id.isdigit()) or int(feature_id) > MAX_ID:
            raise NotFound(f"Không tìm thấy đối tượng «{feature_id[:40]}».",
                           f"Feature '{feature_id[:40]}' was not found.")
        found = get_feature(uow, self.id, int(feature_id))
        b = found.bbox
        return FeatureRecord(found.id, found.geometry, found.properties,
                             (b[0], b[1], b[2], b[3]) if b else None)

    def record_href(self, feature_id: int) -> str | None:
        return f"/registry/{self.id}/{feature_id}"


for _collection in COLLECTIONS.values():
    register_provider(RegistryProvider(_collection))
